#include "model/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "common/splitmix.h"
#include "model/naive_bayes.h"

namespace leadgate::model {
namespace {

using Rng = SplitMix64;  // the same sequence with every compiler and standard library

void Shuffle(std::vector<uint32_t>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.Next() % i]);
}

double Round6(double x) { return std::round(x * 1e6) / 1e6; }

Result<std::vector<double>> FitPredict(ModelKind kind, const Dataset& d,
                                       const std::vector<uint32_t>& train,
                                       const std::vector<uint32_t>& test, const EvalOptions& opt,
                                       size_t* width) {
  std::vector<uint8_t> ytr;
  ytr.reserve(train.size());
  for (uint32_t r : train) ytr.push_back(d.y[r]);
  EncoderOptions eo = opt.encoder;
  eo.for_trees = kind == ModelKind::kTrees;
  eo.native_categorical = eo.for_trees && opt.trees.native_categorical;
  Encoder enc;
  enc.Fit(d, train, eo);
  *width = enc.width();
  std::vector<double> out;
  if (kind == ModelKind::kTrees) {
    const auto xtr = enc.Encode(d, train, true);
    Trees t;
    if (Status s =
            t.Fit(xtr.data(), train.size(), enc.width(), ytr, opt.trees, enc.CategoricalOutputs());
        !s.ok())
      return s;
    const auto xte = enc.Encode(d, test, true);
    auto p = t.Predict(xte.data(), test.size(), enc.width());
    if (!p.ok()) return p.status();
    out = std::move(*p);
  } else {
    // Sparse design for the fit; the test rows are scored straight from the
    // columns (no matrix at all).
    LogisticOptions lo = opt.logistic;
    lo.covariance = false;
    const LogisticModel m = FitLogistic(enc.EncodeSparse(d, train), ytr, lo);
    out = enc.Linear(d, test, m.intercept, m.beta.data());
    for (double& v : out)
      v = v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v));
  }
  for (double v : out)
    if (!std::isfinite(v))
      return Status::Internal(std::string(ModelName(kind)) + ": a score is not finite");
  return out;
}

nlohmann::ordered_json MetricsJson(const Metrics& m) {
  nlohmann::ordered_json j;
  j["auc"] = Round6(m.auc);
  j["log_loss"] = Round6(m.log_loss);
  j["brier"] = Round6(m.brier);
  j["deciles"] = nlohmann::ordered_json::array();
  for (const auto& d : m.deciles)
    j["deciles"].push_back({{"decile", d.decile},
                            {"leads", d.leads},
                            {"conversion_rate", Round6(d.conversion_rate)},
                            {"lift", Round6(d.lift)}});
  j["calibration"] = nlohmann::ordered_json::array();
  for (const auto& c : m.calibration)
    j["calibration"].push_back(
        {{"predicted", Round6(c.predicted)}, {"observed", Round6(c.observed)}, {"leads", c.leads}});
  return j;
}

}  // namespace

bool ParseModelKind(const std::string& s, ModelKind* out) {
  if (s == "logistic")
    *out = ModelKind::kLogistic;
  else if (s == "trees")
    *out = ModelKind::kTrees;
  else if (s == "best")
    *out = ModelKind::kBest;
  else
    return false;
  return true;
}

const char* ModelName(ModelKind k) {
  switch (k) {
    case ModelKind::kLogistic:
      return "logistic";
    case ModelKind::kTrees:
      return "trees";
    case ModelKind::kBest:
      return "best";
  }
  return "?";
}

Result<std::vector<int>> AssignFolds(const Dataset& d, int folds, uint64_t seed, bool by_time) {
  const size_t n = d.rows();
  std::vector<int> fold(n, -1);
  if (by_time) {
    if (d.time.size() != n) return Status::Internal("time split without a time column");
    std::vector<uint32_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0u);
    std::stable_sort(idx.begin(), idx.end(),
                     [&](uint32_t a, uint32_t b) { return d.time[a] < d.time[b]; });
    for (size_t k = 0; k < n; ++k)
      fold[idx[k]] = static_cast<int>(k * static_cast<size_t>(folds + 1) / n) - 1;
    return fold;
  }
  Rng rng{seed};
  std::vector<uint32_t> pos, neg;
  for (uint32_t r = 0; r < n; ++r) (d.y[r] ? pos : neg).push_back(r);
  Shuffle(pos, rng);
  Shuffle(neg, rng);
  for (size_t k = 0; k < pos.size(); ++k) fold[pos[k]] = static_cast<int>(k % folds);
  // The negatives continue the round so fold sizes differ by at most one.
  for (size_t k = 0; k < neg.size(); ++k) fold[neg[k]] = static_cast<int>((k + pos.size()) % folds);
  return fold;
}

Result<EvalReport> Evaluate(const Dataset& d, const EvalOptions& opt) {
  if (opt.folds < 2 || opt.folds > 50) return Status::Usage("--folds must be between 2 and 50");
  const bool by_time = !d.time.empty();
  if (Status s = CheckLearnable(d, opt.folds); !s.ok()) return s;
  auto folds = AssignFolds(d, opt.folds, opt.seed, by_time);
  if (!folds.ok()) return folds.status();
  const size_t n = d.rows();
  EvalReport rep;
  rep.seed = opt.seed;
  rep.folds = opt.folds;
  rep.by_time = by_time;
  rep.warnings = d.warnings;

  std::vector<ModelKind> kinds;
  if (opt.model == ModelKind::kBest)
    kinds = {ModelKind::kLogistic, ModelKind::kTrees};
  else
    kinds = {opt.model};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<std::vector<double>> oof(kinds.size(), std::vector<double>(n, nan));
  std::vector<std::vector<double>> fold_auc(kinds.size());
  std::vector<double> oof_nb(n, nan);
  std::vector<double> secs(kinds.size() + 1, 0.0);
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  for (int f = 0; f < opt.folds; ++f) {
    std::vector<uint32_t> train, test;
    for (uint32_t r = 0; r < n; ++r) {
      const int k = (*folds)[r];
      if (k == f)
        test.push_back(r);
      else if (!by_time || k < f)
        train.push_back(r);
    }
    int64_t tp = 0;
    for (uint32_t r : train) tp += d.y[r];
    if (test.empty()) continue;
    if (tp == 0 || tp == static_cast<int64_t>(train.size()))
      return Status::Invalid(fmt::format(
          "fold {}: its training rows (before {} by the time column) have one class only; use "
          "fewer --folds or no --time-column",
          f + 1, f + 1));
    auto t0 = Clock::now();
    NaiveBayes nb;
    nb.Fit(d, train);
    const auto pnb = nb.Predict(d, test);
    secs.back() += since(t0);
    for (size_t i = 0; i < test.size(); ++i) oof_nb[test[i]] = pnb[i];
    for (size_t k = 0; k < kinds.size(); ++k) {
      t0 = Clock::now();
      auto p = FitPredict(kinds[k], d, train, test, opt, &rep.features);
      secs[k] += since(t0);
      if (!p.ok()) return p.status();
      std::vector<uint8_t> yt;
      for (size_t i = 0; i < test.size(); ++i) {
        oof[k][test[i]] = (*p)[i];
        yt.push_back(d.y[test[i]]);
      }
      fold_auc[k].push_back(Round6(Auc(*p, yt)));
    }
  }
  std::vector<std::vector<double>> kept(kinds.size());
  for (uint32_t r = 0; r < n; ++r) {
    if ((*folds)[r] < 0) continue;
    rep.y.push_back(d.y[r]);
    rep.oof_baseline.push_back(oof_nb[r]);
    for (size_t k = 0; k < kinds.size(); ++k) kept[k].push_back(oof[k][r]);
  }
  size_t chosen = 0;
  if (kinds.size() > 1) {
    double best = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < kinds.size(); ++k) {
      const Metrics m = ComputeMetrics(kept[k], rep.y);
      rep.candidates.push_back({ModelName(kinds[k]), Round6(m.auc), Round6(m.log_loss)});
      if (m.log_loss < best) best = m.log_loss, chosen = k;
    }
  }
  rep.model = ModelName(kinds[chosen]);
  for (size_t k = 0; k < kinds.size(); ++k) rep.seconds.emplace_back(ModelName(kinds[k]), secs[k]);
  rep.seconds.emplace_back("naive_bayes", secs.back());
  rep.oof = std::move(kept[chosen]);
  rep.fold_auc = fold_auc[chosen];
  rep.rows = static_cast<int64_t>(rep.y.size());
  for (uint8_t v : rep.y) rep.positives += v;
  rep.metrics = ComputeMetrics(rep.oof, rep.y);
  rep.baseline = ComputeMetrics(rep.oof_baseline, rep.y);
  // The bootstrap costs 200 AUCs; on big tables the interval is narrow anyway.
  const int resamples = rep.y.size() <= 200000 ? 200 : 20;
  rep.auc_interval = AucBootstrap(rep.oof, rep.y, opt.seed, resamples);
  rep.baseline_auc_interval = AucBootstrap(rep.oof_baseline, rep.y, opt.seed, resamples);
  return rep;
}

nlohmann::ordered_json EvalJson(const EvalReport& r) {
  nlohmann::ordered_json j;
  j["model"] = r.model;
  j["rows"] = r.rows;
  j["positives"] = r.positives;
  j["folds"] = r.folds;
  const nlohmann::ordered_json mj = MetricsJson(r.metrics), bj = MetricsJson(r.baseline);
  for (auto it = mj.begin(); it != mj.end(); ++it) j[it.key()] = it.value();
  nlohmann::ordered_json base;
  base["model"] = "naive_bayes";
  for (auto it = bj.begin(); it != bj.end(); ++it) base[it.key()] = it.value();
  j["baseline"] = std::move(base);
  j["split"] = r.by_time ? "time" : "stratified";
  j["seed"] = r.seed;
  j["fold_auc"] = r.fold_auc;
  if (!r.candidates.empty()) {
    j["candidates"] = nlohmann::ordered_json::array();
    for (const auto& c : r.candidates)
      j["candidates"].push_back({{"model", c.model}, {"auc", c.auc}, {"log_loss", c.log_loss}});
  }
  j["auc_interval"] = {{"low", Round6(r.auc_interval.low)},
                       {"high", Round6(r.auc_interval.high)},
                       {"baseline_low", Round6(r.baseline_auc_interval.low)},
                       {"baseline_high", Round6(r.baseline_auc_interval.high)},
                       {"method", "bootstrap 95 %"}};
  j["warnings"] = r.warnings;
  return j;
}

std::string EvalText(const EvalReport& r) {
  std::string s;
  const double rate =
      r.rows > 0 ? static_cast<double>(r.positives) / static_cast<double>(r.rows) : 0;
  s += fmt::format(
      "model {} vs naive-Bayes baseline; {} rows scored out of fold, {} positive ({:.1f} %), {} "
      "folds ({}, seed {})\n\n",
      r.model, r.rows, r.positives, 100 * rate, r.folds,
      r.by_time ? "forward in time" : "stratified", r.seed);
  s += fmt::format("{:<10} {:>10} {:>10}\n", "", r.model, "baseline");
  s += fmt::format("{:<10} {:>10.4f} {:>10.4f}\n", "ROC AUC", r.metrics.auc, r.baseline.auc);
  s += fmt::format(
      "{:<10} {:>10} {:>10}\n", "AUC 95 %",
      fmt::format("{:.2f}-{:.2f}", r.auc_interval.low, r.auc_interval.high),
      fmt::format("{:.2f}-{:.2f}", r.baseline_auc_interval.low, r.baseline_auc_interval.high));
  s += fmt::format("{:<10} {:>10.4f} {:>10.4f}\n", "log loss", r.metrics.log_loss,
                   r.baseline.log_loss);
  s += fmt::format("{:<10} {:>10.4f} {:>10.4f}\n", "Brier", r.metrics.brier, r.baseline.brier);
  if (!r.fold_auc.empty()) {
    auto [lo, hi] = std::minmax_element(r.fold_auc.begin(), r.fold_auc.end());
    s += fmt::format("fold AUCs of {} from {:.4f} to {:.4f}\n", r.model, *lo, *hi);
  }
  for (const auto& c : r.candidates)
    s += fmt::format("candidate {:<9} AUC {:.4f}  log loss {:.4f}\n", c.model, c.auc, c.log_loss);
  s += "\ndecile   leads   conversion   lift   | baseline conversion   lift\n";
  for (size_t i = 0; i < r.metrics.deciles.size(); ++i) {
    const auto& a = r.metrics.deciles[i];
    const auto& b = r.baseline.deciles[i];
    s += fmt::format("{:>6} {:>7} {:>11.1f} % {:>6.2f}   | {:>17.1f} % {:>6.2f}\n", a.decile,
                     a.leads, 100 * a.conversion_rate, a.lift, 100 * b.conversion_rate, b.lift);
  }
  auto cal = [&](const char* who, const Metrics& m) {
    s += fmt::format("\ncalibration ({}): predicted -> observed (leads)\n", who);
    for (const auto& c : m.calibration)
      s += fmt::format("  {:>6.1f} % -> {:>6.1f} %  ({})\n", 100 * c.predicted, 100 * c.observed,
                       c.leads);
  };
  cal(r.model.c_str(), r.metrics);
  cal("baseline", r.baseline);
  for (const auto& w : r.warnings) s += "warning: " + w + "\n";
  return s;
}

std::string EvalHtml(const EvalReport& r, const std::string& title) {
  auto esc = [](const std::string& t) {
    std::string o;
    for (char c : t) {
      if (c == '<')
        o += "&lt;";
      else if (c == '>')
        o += "&gt;";
      else if (c == '&')
        o += "&amp;";
      else if (c == '"')
        o += "&quot;";
      else
        o += c;
    }
    return o;
  };
  const double W = 320, H = 320, M = 40;
  auto X = [&](double v) { return M + v * W; };
  auto Y = [&](double v) { return M + H - v * H; };
  auto frame = [&](const std::string& xl, const std::string& yl) {
    std::string s = fmt::format(
        "<svg width=\"{}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>",
        W + 2 * M, H + 2 * M, M, M, W, H);
    for (int k = 0; k <= 4; ++k) {
      const double v = k / 4.0;
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.2f}</text>", X(v),
                       Y(0) + 14, v);
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{:.2f}</text>", M - 4,
                       Y(v) + 4, v);
    }
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", X(0.5),
                     Y(0) + 30, xl);
    s += fmt::format(
        "<text x=\"12\" y=\"{:.1f}\" transform=\"rotate(-90 12 {:.1f})\" "
        "text-anchor=\"middle\">{}</text>",
        Y(0.5), Y(0.5), yl);
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ccc\" "
        "stroke-dasharray=\"4\"/>",
        X(0), Y(0), X(1), Y(1));
    return s;
  };
  auto line = [&](const std::vector<std::pair<double, double>>& pts, const char* color) {
    std::string s = "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" + std::string(color) +
                    "\" points=\"";
    for (auto [a, b] : pts) s += fmt::format("{:.1f},{:.1f} ", X(a), Y(b));
    return s + "\"/>";
  };
  auto roc = [&](const std::vector<double>& p) {
    std::vector<std::pair<double, double>> pts;
    for (const auto& q : RocCurve(p, r.y)) pts.emplace_back(q.fpr, q.tpr);
    return pts;
  };
  auto calpts = [&](const Metrics& m) {
    std::vector<std::pair<double, double>> pts;
    for (const auto& c : m.calibration) pts.emplace_back(c.predicted, c.observed);
    return pts;
  };
  const char* kModel = "#1f6fb4";
  const char* kBase = "#e07b1a";
  std::string h =
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + esc(title) +
      "</title><style>body{font-family:sans-serif;margin:2em}td,th{padding:2px "
      "8px;text-align:right}figure{display:inline-block;margin:1em}</style></head><body>";
  h += "<h1>" + esc(title) + "</h1>";
  h += fmt::format(
      "<p>{} rows scored out of fold ({} positive), {} folds ({}, seed {}). "
      "<span style=\"color:{}\">&#9632; {}</span> "
      "<span style=\"color:{}\">&#9632; naive-Bayes baseline</span></p>",
      r.rows, r.positives, r.folds, r.by_time ? "forward in time" : "stratified", r.seed, kModel,
      esc(r.model), kBase);
  h += fmt::format(
      "<table><tr><th></th><th>{}</th><th>baseline</th></tr>"
      "<tr><td>ROC AUC</td><td>{:.4f}</td><td>{:.4f}</td></tr>"
      "<tr><td>log loss</td><td>{:.4f}</td><td>{:.4f}</td></tr>"
      "<tr><td>Brier</td><td>{:.4f}</td><td>{:.4f}</td></tr></table>",
      esc(r.model), r.metrics.auc, r.baseline.auc, r.metrics.log_loss, r.baseline.log_loss,
      r.metrics.brier, r.baseline.brier);
  h += "<figure>" + frame("false positive rate", "true positive rate") + line(roc(r.oof), kModel) +
       line(roc(r.oof_baseline), kBase) + "</svg><figcaption>ROC curve</figcaption></figure>";
  h += "<figure>" + frame("predicted", "observed") + line(calpts(r.metrics), kModel) +
       line(calpts(r.baseline), kBase) + "</svg><figcaption>Calibration</figcaption></figure>";
  // Decile chart: lift per decile, both side by side.
  double top = 1;
  for (size_t i = 0; i < r.metrics.deciles.size(); ++i)
    top = std::max({top, r.metrics.deciles[i].lift, r.baseline.deciles[i].lift});
  std::string bars = fmt::format(
      "<svg width=\"{}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">",
      W + 2 * M, H + 2 * M);
  const double bw = W / 10.0;
  for (size_t i = 0; i < r.metrics.deciles.size(); ++i) {
    const double a = r.metrics.deciles[i].lift / top, b = r.baseline.deciles[i].lift / top;
    const double x0 = M + static_cast<double>(i) * bw;
    bars += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>", x0 + 2,
        Y(a), bw / 2 - 2, a * H, kModel);
    bars += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>",
        x0 + bw / 2, Y(b), bw / 2 - 2, b * H, kBase);
    bars += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>",
                        x0 + bw / 2, Y(0) + 14, i + 1);
  }
  bars += fmt::format(
      "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#999\" "
      "stroke-dasharray=\"4\"/><text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">lift "
      "1</text><text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{:.1f}</text>",
      M, Y(1 / top), M + W, Y(1 / top), M - 4, Y(1 / top) + 4, M - 4, Y(1) + 4, top);
  bars += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">score decile (1 = "
      "highest)</text></svg>",
      X(0.5), Y(0) + 30);
  h += "<figure>" + bars + "<figcaption>Lift per decile</figcaption></figure>";
  h += "<h2>Deciles</h2><table><tr><th>decile</th><th>leads</th><th>conversion</th><th>lift</th>"
       "<th>baseline conversion</th><th>baseline lift</th></tr>";
  for (size_t i = 0; i < r.metrics.deciles.size(); ++i) {
    const auto& a = r.metrics.deciles[i];
    const auto& b = r.baseline.deciles[i];
    h += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{:.1f} %</td><td>{:.2f}</td><td>{:.1f} "
        "%</td><td>{:.2f}</td></tr>",
        a.decile, a.leads, 100 * a.conversion_rate, a.lift, 100 * b.conversion_rate, b.lift);
  }
  h += "</table>";
  for (const auto& w : r.warnings) h += "<p>warning: " + esc(w) + "</p>";
  return h + "</body></html>\n";
}

Result<TrainedLogistic> TrainLogistic(const Dataset& d, const EvalOptions& opt) {
  EvalOptions eo = opt;
  eo.model = ModelKind::kLogistic;
  auto ev = Evaluate(d, eo);
  if (!ev.ok()) return ev.status();
  TrainedLogistic t;
  t.evaluation = std::move(*ev);
  t.evaluation.oof.clear();
  t.evaluation.oof_baseline.clear();
  t.evaluation.y.clear();
  std::vector<uint32_t> all(d.rows());
  std::iota(all.begin(), all.end(), 0u);
  Encoder enc;
  enc.Fit(d, all, opt.encoder);
  t.model = FitLogistic(enc.EncodeSparse(d, all), d.y, opt.logistic);
  t.features = enc.names();
  return t;
}

nlohmann::ordered_json TrainJson(const TrainedLogistic& t, const Dataset& d,
                                 const std::string& source, const std::string& trained_at) {
  nlohmann::ordered_json j;
  j["format"] = 1;
  j["model"] = "logistic";
  j["trained_at"] = trained_at;
  j["data"] = {{"source", source},
               {"rows", d.rows()},
               {"positives", d.positives()},
               {"label", d.label},
               {"positive", d.positive}};
  nlohmann::ordered_json cols = nlohmann::ordered_json::array();
  for (const auto& c : d.columns)
    cols.push_back({{"name", c.name},
                    {"type", c.numeric ? "numeric" : "categorical"},
                    {"missing", c.missing}});
  j["data"]["columns"] = cols;
  const EvalReport& e = t.evaluation;
  j["metrics"] = {{"folds", e.folds},
                  {"auc", Round6(e.metrics.auc)},
                  {"log_loss", Round6(e.metrics.log_loss)},
                  {"brier", Round6(e.metrics.brier)},
                  {"baseline_auc", Round6(e.baseline.auc)},
                  {"baseline_log_loss", Round6(e.baseline.log_loss)}};
  j["intercept"] = Round6(t.model.intercept);
  nlohmann::ordered_json w = nlohmann::ordered_json::array();
  for (size_t k = 0; k < t.features.size(); ++k) {
    const auto i = static_cast<Eigen::Index>(k);
    w.push_back({{"feature", t.features[k]},
                 {"weight", Round6(t.model.beta(i))},
                 {"se", Round6(std::sqrt(std::max(0.0, t.model.cov(i + 1, i + 1))))}});
  }
  j["weights"] = w;
  return j;
}

std::string TrainText(const TrainedLogistic& t, size_t top) {
  const EvalReport& e = t.evaluation;
  std::string s = fmt::format(
      "logistic regression on {} rows ({} positive), {} encoded features\n"
      "out of fold ({} folds): AUC {:.4f} (naive-Bayes baseline {:.4f}), log loss {:.4f} "
      "({:.4f})\n\n",
      e.rows, e.positives, t.features.size(), e.folds, e.metrics.auc, e.baseline.auc,
      e.metrics.log_loss, e.baseline.log_loss);
  std::vector<size_t> idx(t.features.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    return std::abs(t.model.beta(static_cast<Eigen::Index>(a))) >
           std::abs(t.model.beta(static_cast<Eigen::Index>(b)));
  });
  s += "strongest weights (log-odds per standard deviation or per level, 95 % interval):\n";
  for (size_t k = 0; k < std::min(top, idx.size()); ++k) {
    const auto i = static_cast<Eigen::Index>(idx[k]);
    const double w = t.model.beta(i), se = std::sqrt(std::max(0.0, t.model.cov(i + 1, i + 1)));
    s += fmt::format("  {:>+8.3f}  [{:+.3f}, {:+.3f}]{}  {}\n", w, w - 1.96 * se, w + 1.96 * se,
                     std::abs(w) < 1.96 * se ? " ~0" : "   ", t.features[idx[k]]);
  }
  s += "(~0: the interval includes 0, the data cannot tell the sign)\n";
  for (const auto& w : e.warnings) s += "warning: " + w + "\n";
  return s;
}

}  // namespace leadgate::model
