#include "cli/model_cmd.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/model_data.h"
#include "app/model_store.h"
#include "app/suggest.h"
#include "common/time.h"
#include "model/dataset.h"
#include "model/evaluate.h"
#include "model/stored.h"

namespace leadgate {
namespace {

int Fail(const Status& s) {
  std::cerr << "leadgate: " << s.message() << "\n";
  return s.code() == StatusCode::kUsage ? 2 : 1;
}

// The options every `model` subcommand that reads a table shares.
struct TableArgs {
  std::string csv, label, positive, negative, time_column;
  std::vector<std::string> drop;
  bool from_store = false;

  void Add(CLI::App* c, bool with_time) {
    c->add_option("--csv", csv, "read the leads from this CSV file (header row)");
    c->add_flag("--from-store", from_store,
                "learn from the store's history (the default of train without --csv)");
    c->add_option("--label", label,
                  "the CSV column holding the outcome; from the store: won (default) or sql");
    c->add_option(
        "--positive", positive,
        "the label value meaning won/converted (default: 1, true, yes or won of two values)");
    c->add_option(
        "--negative", negative,
        "only rows with this label value are negative (others, e.g. open deals, are skipped)");
    c->add_option("--drop", drop, "columns not to learn from, comma-separated (ids, leaks)")
        ->delimiter(',');
    if (with_time)
      c->add_option(
          "--time-column", time_column,
          "evaluate forward in time by this column (train on the past, score the next block)");
  }
  Result<model::Dataset> Load() const {
    if (from_store && !csv.empty())
      return Status::Usage("give --csv FILE or --from-store, not both");
    if (csv.empty()) return Status::Usage("give --csv FILE --label COLUMN, or --from-store");
    if (label.empty()) return Status::Usage("give the label column with --label COLUMN");
    model::CsvOptions o;
    o.label = label;
    o.positive = positive;
    o.negative = negative;
    o.drop = drop;
    o.time_column = time_column;
    return model::ReadCsvDataset(csv, o);
  }
};

Result<TrainLabel> StoreLabel(const std::string& label) {
  if (label.empty() || label == "won") return TrainLabel::kWon;
  if (label == "sql") return TrainLabel::kSql;
  return Status::Usage("from the store, --label is won or sql, not '" + label + "'");
}

// The training table from the store: each closed lead as of just before its outcome.
Result<TrainingTable> StoreTable(const std::string& db, const std::string& label,
                                 const std::string& at) {
  auto l = StoreLabel(label);
  if (!l.ok()) return l.status();
  TrainingOptions o;
  o.label = *l;
  if (!at.empty()) {
    auto t = ParseDateOrTime(at);
    if (!t) return Status::Usage("--at '" + at + "' is not an RFC 3339 time");
    o.at = *t;
  }
  auto e = Engine::Open(db);
  if (!e.ok()) return e.status();
  return (*e)->TrainingData(o);
}

double R6(double x) { return std::isfinite(x) ? std::round(x * 1e6) / 1e6 : 0.0; }

nlohmann::ordered_json SummaryJson(const TrainingTable& t, const std::string& history_as_of) {
  nlohmann::ordered_json j;
  const auto& d = t.data;
  j["source"] = "store";
  j["label"] = d.label;
  j["rows"] = d.rows();
  j["positives"] = d.positives();
  j["leads"] = t.leads;
  j["open_excluded"] = t.open_excluded;
  j["decided_at_first_event_excluded"] = t.no_history;
  j["cut_off"] = "each lead as of 1 microsecond before its outcome (the stage change to " +
                 std::string(d.positive == "sql" ? "sql/opportunity/won" : "won") +
                 ", or into its final lost/disqualified stage)";
  j["history_as_of"] = history_as_of;
  j["first_outcome"] = FormatRfc3339(t.first_label);
  j["last_outcome"] = FormatRfc3339(t.last_label);
  nlohmann::ordered_json cols = nlohmann::ordered_json::array();
  for (const auto& c : d.columns)
    cols.push_back({{"name", c.name},
                    {"type", c.numeric ? "numeric" : "categorical"},
                    {"missing", c.missing}});
  j["features"] = cols;
  return j;
}

nlohmann::ordered_json MetricsOf(const model::EvalReport& r) {
  const double rate =
      r.rows > 0 ? static_cast<double>(r.positives) / static_cast<double>(r.rows) : 0;
  const double base_ll =
      rate > 0 && rate < 1 ? -(rate * std::log(rate) + (1 - rate) * std::log(1 - rate)) : 0;
  return {{"folds", r.folds},
          {"seed", r.seed},
          {"auc", R6(r.metrics.auc)},
          {"auc_low", R6(r.auc_interval.low)},
          {"auc_high", R6(r.auc_interval.high)},
          {"log_loss", R6(r.metrics.log_loss)},
          {"brier", R6(r.metrics.brier)},
          {"base_rate", R6(rate)},
          {"base_rate_log_loss", R6(base_ll)},
          {"baseline_auc", R6(r.baseline.auc)},
          {"baseline_log_loss", R6(r.baseline.log_loss)}};
}

std::string MetricsText(const nlohmann::json& m) {
  return fmt::format(
      "out of fold ({} folds): AUC {:.4f} (95 % {:.2f}-{:.2f}; naive Bayes {:.4f}), log loss "
      "{:.4f} (base rate alone {:.4f}), Brier {:.4f}\n",
      m.value("folds", 0), m.value("auc", 0.0), m.value("auc_low", 0.0), m.value("auc_high", 0.0),
      m.value("baseline_auc", 0.0), m.value("log_loss", 0.0), m.value("base_rate_log_loss", 0.0),
      m.value("brier", 0.0));
}

std::string Verdict(const nlohmann::json& m) {
  const double lo = m.value("auc_low", 0.5), ll = m.value("log_loss", 0.0),
               base = m.value("base_rate_log_loss", 0.0);
  if (lo > 0.5 && ll < base) return "better than the base rate (the AUC interval is above 0.5)\n";
  if (ll < base)
    return "uncertain: the log loss beats the base rate, but the AUC interval includes 0.5 (more "
           "closed leads will tell)\n";
  return "NOT better than the base rate on this history: do not rely on it\n";
}

}  // namespace

void AddModelCommands(CLI::App& app, std::string& db, int& rc) {
  auto* m =
      app.add_subcommand("model", "predictive scoring: evaluate (and train) a conversion model");
  m->require_subcommand(1);

  auto* ev = m->add_subcommand(
      "evaluate",
      "out-of-fold ROC AUC, log loss, Brier, deciles and calibration vs a naive-Bayes baseline");
  auto args = std::make_shared<TableArgs>();
  args->Add(ev, true);
  auto folds = std::make_shared<int>(5);
  auto seed = std::make_shared<uint64_t>(1);
  auto kind = std::make_shared<std::string>("logistic");
  auto json = std::make_shared<bool>(false);
  auto html = std::make_shared<std::string>();
  auto l2 = std::make_shared<double>(1.0);
  auto min_level = std::make_shared<int>(10);
  ev->add_option("--folds", *folds, "number of folds")->capture_default_str();
  ev->add_option("--seed", *seed, "seed of the fold assignment and of the trees")
      ->capture_default_str();
  ev->add_option("--model", *kind, "logistic, trees, or best (the lower out-of-fold log loss)")
      ->capture_default_str();
  ev->add_flag("--json", *json, "the JSON contract of docs/predictive.md");
  ev->add_option("--html", *html, "also write a report (ROC, calibration, deciles) to this file");
  auto timings = std::make_shared<bool>(false);
  ev->add_flag("--timings", *timings, "print the seconds each model took (all folds) on stderr");
  auto folds_out = std::make_shared<std::string>();
  ev->add_option("--folds-out", *folds_out,
                 "write each row's fold as CSV (record,line,fold,label) so other tools can use the "
                 "same folds");
  ev->add_option("--l2", *l2, "logistic: L2 penalty (prior precision of each standardised weight)")
      ->capture_default_str();
  ev->add_option("--min-level-count", *min_level,
                 "categorical values seen fewer times in training are grouped as (other)")
      ->capture_default_str();
  ev->callback([&rc, &db, args, folds, seed, kind, json, html, l2, min_level, folds_out, timings] {
    model::EvalOptions o;
    if (!model::ParseModelKind(*kind, &o.model))
      return void(
          rc = Fail(Status::Usage("--model must be logistic, trees or best, not '" + *kind + "'")));
    if (!(*l2 >= 0)) return void(rc = Fail(Status::Usage("--l2 must be >= 0")));
    if (*min_level < 1) return void(rc = Fail(Status::Usage("--min-level-count must be >= 1")));
    o.folds = *folds;
    o.seed = *seed;
    o.logistic.l2 = *l2;
    o.encoder.min_level_count = *min_level;
    o.trees.seed = *seed;
    Result<model::Dataset> d = Status::Internal("unset");
    if (args->from_store && args->csv.empty()) {
      auto t = StoreTable(db, args->label, "");
      if (!t.ok()) return void(rc = Fail(t.status()));
      d = std::move(t->data);
    } else {
      d = args->Load();
    }
    if (!d.ok()) return void(rc = Fail(d.status()));
    if (!folds_out->empty()) {
      auto f = model::AssignFolds(*d, o.folds, o.seed, !d->time.empty());
      if (!f.ok()) return void(rc = Fail(f.status()));
      std::ofstream out(*folds_out, std::ios::binary);
      out << "record,line,fold,label\n";
      for (size_t i = 0; i < d->rows(); ++i)
        out << d->record[i] << ',' << d->line[i] << ',' << (*f)[i] << ',' << int{d->y[i]} << '\n';
      if (!out) return void(rc = Fail(Status::Invalid(*folds_out + ": cannot write")));
    }
    auto r = model::Evaluate(*d, o);
    if (!r.ok()) return void(rc = Fail(r.status()));
    if (*timings)
      for (const auto& [name, sec] : r->seconds)
        std::cerr << "seconds " << name << " " << sec << " (" << r->folds << " folds)\n";
    if (!html->empty()) {
      std::ofstream f(*html, std::ios::binary);
      f << model::EvalHtml(*r, "Leadgate model evaluation: " + args->csv);
      if (!f) return void(rc = Fail(Status::Invalid(*html + ": cannot write the report")));
    }
    if (*json) {
      std::cout << model::EvalJson(*r).dump(2) << "\n";
    } else {
      std::cout << model::EvalText(*r);
    }
    rc = 0;
  });

  auto* tr = m->add_subcommand(
      "train",
      "fit a model: from the store's won/lost history (stored, versioned, active), or --csv");
  auto targs = std::make_shared<TableArgs>();
  targs->Add(tr, false);
  auto out = std::make_shared<std::string>();
  auto top = std::make_shared<size_t>(20);
  auto tl2 = std::make_shared<double>(1.0);
  auto tjson = std::make_shared<bool>(false);
  auto tkind = std::make_shared<std::string>("logistic");
  auto tat = std::make_shared<std::string>();
  auto tfolds = std::make_shared<int>(5);
  auto tseed = std::make_shared<uint64_t>(1);
  auto tmin = std::make_shared<int>(10);
  tr->add_option("--out", *out, "write the model (weights, data summary, date, metrics) as JSON");
  tr->add_option("--top", *top, "weights to show")->capture_default_str();
  tr->add_option("--l2", *tl2, "L2 penalty (prior precision of each standardised weight)")
      ->capture_default_str();
  tr->add_flag("--json", *tjson, "print the model JSON instead of the table");
  tr->add_option("--model", *tkind,
                 "from the store: logistic, trees, or best (lower out-of-fold log loss)")
      ->capture_default_str();
  tr->add_option("--at", *tat, "from the store: learn from the history as of this time");
  tr->add_option("--folds", *tfolds, "folds of the out-of-fold metrics")->capture_default_str();
  tr->add_option("--seed", *tseed, "seed of the folds, the bootstrap and the trees")
      ->capture_default_str();
  tr->add_option("--min-level-count", *tmin,
                 "categorical values seen fewer times are grouped as (other)")
      ->capture_default_str();
  tr->callback([&rc, &db, targs, out, top, tl2, tjson, tkind, tat, tfolds, tseed, tmin] {
    if (!(*tl2 >= 0)) return void(rc = Fail(Status::Usage("--l2 must be >= 0")));
    if (*tmin < 1) return void(rc = Fail(Status::Usage("--min-level-count must be >= 1")));
    model::EvalOptions o;
    o.logistic.l2 = *tl2;
    o.folds = *tfolds;
    o.seed = *tseed;
    o.trees.seed = *tseed;
    o.encoder.min_level_count = *tmin;
    if (targs->csv.empty()) {
      // From the store: evaluate out of fold, fit on every row, store as the next version.
      if (!model::ParseModelKind(*tkind, &o.model))
        return void(rc = Fail(Status::Usage("--model must be logistic, trees or best, not '" +
                                            *tkind + "'")));
      auto t = StoreTable(db, targs->label, *tat);
      if (!t.ok()) return void(rc = Fail(t.status()));
      auto ev = model::Evaluate(t->data, o);
      if (!ev.ok()) return void(rc = Fail(ev.status()));
      const model::ModelKind final =
          ev->model == "trees" ? model::ModelKind::kTrees : model::ModelKind::kLogistic;
      auto sm = model::StoredModel::Fit(t->data, final, o);
      if (!sm.ok()) return void(rc = Fail(sm.status()));
      const Micros now = NowMicros();
      ModelRecord rec;
      rec.kind = (*sm)->kind;
      rec.label = t->data.positive;
      rec.created_at = now;
      auto summary = SummaryJson(*t, tat->empty() ? FormatRfc3339(now) : *tat);
      summary["encoded_features"] = (*sm)->encoder.width();
      auto metrics = MetricsOf(*ev);
      if (!ev->candidates.empty()) {
        metrics["candidates"] = nlohmann::ordered_json::array();
        for (const auto& c : ev->candidates)
          metrics["candidates"].push_back(
              {{"model", c.model}, {"auc", c.auc}, {"log_loss", c.log_loss}});
      }
      metrics["warnings"] = ev->warnings;
      rec.summary = summary.dump();
      rec.metrics = metrics.dump();
      rec.model = (*sm)->ToJson().dump();
      auto e = Engine::Open(db);
      if (!e.ok()) return void(rc = Fail(e.status()));
      auto v = SaveModel((*e)->store(), rec);
      if (!v.ok()) return void(rc = Fail(v.status()));
      if (*tjson) {
        nlohmann::ordered_json j;
        j["version"] = *v;
        j["kind"] = rec.kind;
        j["label"] = rec.label;
        j["created_at"] = FormatRfc3339(now);
        j["active"] = true;
        j["summary"] = summary;
        j["metrics"] = metrics;
        std::cout << j.dump(2) << "\n";
      } else {
        std::cout << fmt::format(
            "model v{} ({}, label {}) trained on {} closed leads ({} {}), {} open leads "
            "excluded; now active\n",
            *v, rec.kind, rec.label, t->data.rows(), t->data.positives(), rec.label,
            t->open_excluded);
        std::cout << MetricsText(metrics) << Verdict(metrics);
        for (const auto& w : ev->warnings) std::cout << "warning: " << w << "\n";
      }
      rc = 0;
      return;
    }
    auto d = targs->Load();
    if (!d.ok()) return void(rc = Fail(d.status()));
    auto t = model::TrainLogistic(*d, o);
    if (!t.ok()) return void(rc = Fail(t.status()));
    const auto j = model::TrainJson(*t, *d, targs->csv, FormatRfc3339(NowMicros()));
    if (!out->empty()) {
      std::ofstream f(*out, std::ios::binary);
      f << j.dump(2) << "\n";
      if (!f) return void(rc = Fail(Status::Invalid(*out + ": cannot write the model")));
    }
    std::cout << (*tjson ? j.dump(2) + "\n" : model::TrainText(*t, *top));
    rc = 0;
  });

  // list / show / activate
  auto* ls = m->add_subcommand("list", "the stored models, oldest first (* = active)");
  auto ljson = std::make_shared<bool>(false);
  ls->add_flag("--json", *ljson, "as JSON");
  ls->callback([&rc, &db, ljson] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = Fail(e.status()));
    auto l = ListModels((*e)->store());
    if (!l.ok()) return void(rc = Fail(l.status()));
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    std::string text = l->empty() ? "no models yet: leadgate model train\n" : "";
    for (const auto& r : *l) {
      auto s = nlohmann::json::parse(r.summary, nullptr, false);
      auto mt = nlohmann::json::parse(r.metrics, nullptr, false);
      arr.push_back({{"version", r.version},
                     {"kind", r.kind},
                     {"label", r.label},
                     {"created_at", FormatRfc3339(r.created_at)},
                     {"active", r.active},
                     {"rows", s.value("rows", 0)},
                     {"positives", s.value("positives", 0)},
                     {"auc", mt.value("auc", 0.0)},
                     {"auc_low", mt.value("auc_low", 0.0)},
                     {"auc_high", mt.value("auc_high", 0.0)}});
      text += fmt::format(
          "{} v{:<3} {:<8} label {:<4} {}  {} rows ({} positive)  AUC {:.3f} "
          "({:.2f}-{:.2f})\n",
          r.active ? "*" : " ", r.version, r.kind, r.label, FormatRfc3339(r.created_at),
          s.value("rows", 0), s.value("positives", 0), mt.value("auc", 0.0),
          mt.value("auc_low", 0.0), mt.value("auc_high", 0.0));
    }
    std::cout << (*ljson ? arr.dump(2) + "\n" : text);
    rc = 0;
  });

  auto* sh = m->add_subcommand(
      "show", "one stored model (default: the active one): data, metrics, weights");
  auto sver = std::make_shared<int64_t>(0);
  auto sjson = std::make_shared<bool>(false);
  auto stop = std::make_shared<size_t>(15);
  sh->add_option("VERSION", *sver, "model version (default: the active one)");
  sh->add_flag("--json", *sjson, "as JSON");
  sh->add_option("--top", *stop, "weights to show")->capture_default_str();
  sh->callback([&rc, &db, sver, sjson, stop] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = Fail(e.status()));
    auto r = GetModel((*e)->store(), *sver);
    if (!r.ok()) return void(rc = Fail(r.status()));
    if (!*r)
      return void(
          rc = Fail(Status::NotFound(
              *sver > 0 ? "no model version " + std::to_string(*sver) + " (see leadgate model list)"
                        : "no model yet: train one with 'leadgate model train'")));
    const ModelRecord& rec = **r;
    auto summary = nlohmann::ordered_json::parse(rec.summary, nullptr, false);
    auto metrics = nlohmann::ordered_json::parse(rec.metrics, nullptr, false);
    auto body = nlohmann::json::parse(rec.model, nullptr, false);
    auto sm = model::StoredModel::FromJson(body);
    if (!sm.ok()) return void(rc = Fail(sm.status()));
    nlohmann::ordered_json weights = nlohmann::ordered_json::array();
    std::vector<size_t> idx;
    const auto& names = (*sm)->encoder.names();
    if ((*sm)->kind == "logistic") {
      for (size_t k = 0; k < (*sm)->weights.size(); ++k) idx.push_back(k);
      std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
        return std::abs((*sm)->weights[a]) > std::abs((*sm)->weights[b]);
      });
      for (size_t k : idx) {
        const double se = k < (*sm)->se.size() ? (*sm)->se[k] : 0.0;
        weights.push_back(
            {{"feature", names[k]}, {"weight", R6((*sm)->weights[k])}, {"se", R6(se)}});
      }
    }
    if (*sjson) {
      nlohmann::ordered_json j;
      j["version"] = rec.version;
      j["kind"] = rec.kind;
      j["label"] = rec.label;
      j["created_at"] = FormatRfc3339(rec.created_at);
      j["active"] = rec.active;
      j["summary"] = summary;
      j["metrics"] = metrics;
      j["intercept"] = (*sm)->kind == "logistic" ? nlohmann::ordered_json(R6((*sm)->intercept))
                                                 : nlohmann::ordered_json(nullptr);
      j["weights"] = weights;
      std::cout << j.dump(2) << "\n";
      rc = 0;
      return;
    }
    std::string t =
        fmt::format("model v{} ({}){}, label {}, trained {}\n", rec.version, rec.kind,
                    rec.active ? " active" : "", rec.label, FormatRfc3339(rec.created_at));
    t += fmt::format("data: {} closed leads ({} positive), {} open excluded; {}\n",
                     summary.value("rows", 0), summary.value("positives", 0),
                     summary.value("open_excluded", 0), summary.value("cut_off", std::string()));
    t += fmt::format("outcomes from {} to {}; {} input features, {} encoded\n",
                     summary.value("first_outcome", std::string()),
                     summary.value("last_outcome", std::string()),
                     summary.contains("features") ? summary["features"].size() : 0,
                     summary.value("encoded_features", 0));
    t += MetricsText(metrics) + Verdict(metrics);
    if (!weights.empty()) {
      t += "strongest weights (log-odds, 95 % interval; ~0: the data cannot tell the sign):\n";
      for (size_t k = 0; k < std::min(*stop, weights.size()); ++k) {
        const double w = weights[k]["weight"], se = weights[k]["se"];
        t += fmt::format("  {:>+8.3f}  [{:+.3f}, {:+.3f}]{}  {}\n", w, w - 1.96 * se, w + 1.96 * se,
                         std::abs(w) < 1.96 * se ? " ~0" : "   ",
                         weights[k]["feature"].get<std::string>());
      }
    }
    std::cout << t;
    rc = 0;
  });

  auto* ac = m->add_subcommand("activate", "make a stored model version the one that scores");
  auto aver = std::make_shared<int64_t>(0);
  ac->add_option("VERSION", *aver, "model version")->required();
  ac->callback([&rc, &db, aver] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = Fail(e.status()));
    if (Status s = ActivateModel((*e)->store(), *aver); !s.ok()) return void(rc = Fail(s));
    std::cout << "model v" << *aver << " is active\n";
    rc = 0;
  });

  AddSuggestCommand(m, db, rc);
}

}  // namespace leadgate
