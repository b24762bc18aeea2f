#!/usr/bin/python3
"""scikit-learn on the same CSV and the same folds as `leadgate model evaluate`.

usage: sklearn_eval.py CSV FOLDS_CSV LABEL POSITIVE DROP_COLS [MODELS]
  FOLDS_CSV: written by `leadgate model evaluate ... --folds-out FILE`
             (record,line,fold,label: the rows leadgate kept and their fold)
  DROP_COLS: comma-separated, "" for none (the label and the time column too)
  MODELS:    "logistic,trees" (default) -- LogisticRegression(C=1) and
             HistGradientBoostingClassifier, both on the features leadgate uses:
             numeric (mean-imputed + missing indicator + standardised),
             categorical one-hot with values seen < 10 times grouped.
Prints one JSON line: {"logistic": {"auc", "fit_seconds"}, "trees": {...}}.
"""
import csv, json, sys, time
from datetime import date

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

MISSING = {"", "na", "n/a", "null", "nan", "none", "select", "#n/a"}


def num(v):
    try:
        x = float(v)
        return x if np.isfinite(x) else None
    except ValueError:
        pass
    if len(v) >= 10 and v[4] == "-" and v[7] == "-":
        try:
            return float((date.fromisoformat(v[:10]) - date(1970, 1, 1)).days)
        except ValueError:
            return None
    return None


def main():
    path, folds_path, label, positive, drop = sys.argv[1:6]
    models = (sys.argv[6] if len(sys.argv) > 6 else "logistic,trees").split(",")
    drop = set(filter(None, drop.split(","))) | {label}
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1:]
    folds = {}
    with open(folds_path) as f:
        for r in csv.DictReader(f):
            folds[int(r["record"])] = (int(r["fold"]), int(r["label"]))
    keep = sorted(folds)
    y = np.array([folds[k][1] for k in keep])
    fold = np.array([folds[k][0] for k in keep])
    cols = [i for i, h in enumerate(header) if h not in drop]
    numeric, categorical = [], []
    for i in cols:
        vals = [data[k][i] for k in keep]
        present = [v for v in vals if v.strip().lower() not in MISSING]
        if present and all(num(v) is not None for v in present):
            numeric.append([num(v) if v.strip().lower() not in MISSING else np.nan for v in vals])
        else:
            categorical.append([v if v.strip().lower() not in MISSING else "(missing)" for v in vals])
    Xn = np.array(numeric, dtype=float).T if numeric else np.zeros((len(keep), 0))
    Xc = np.array(categorical, dtype=object).T if categorical else np.zeros((len(keep), 0), dtype=object)
    X = np.concatenate([Xn.astype(object), Xc], axis=1)
    nn = Xn.shape[1]
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="mean", add_indicator=True), StandardScaler()),
         list(range(nn))),
        ("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=10, sparse_output=False),
         list(range(nn, X.shape[1]))),
    ])
    out = {}
    for name in models:
        oof = np.full(len(y), np.nan)
        secs = 0.0
        for f in range(fold.max() + 1):
            test = fold == f
            train = (fold != f) & ((fold < f) | (fold.min() >= 0))  # forward in time when there is a -1 block
            if fold.min() < 0:
                train = fold < f
            clf = (LogisticRegression(C=1.0, max_iter=2000) if name == "logistic"
                   else HistGradientBoostingClassifier(random_state=1))
            t0 = time.perf_counter()
            model = make_pipeline(pre, clf).fit(X[train], y[train])
            oof[test] = model.predict_proba(X[test])[:, 1]
            secs += time.perf_counter() - t0
        scored = fold >= 0
        out[name] = {"auc": round(roc_auc_score(y[scored], oof[scored]), 6), "fit_seconds": round(secs, 3)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
