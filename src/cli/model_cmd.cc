#include "cli/model_cmd.h"

#include <fstream>
#include <iostream>
#include <memory>

#include "common/time.h"
#include "model/dataset.h"
#include "model/evaluate.h"

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
    c->add_flag("--from-store", from_store, "learn from the store's won/lost history (not yet)");
    c->add_option("--label", label, "the CSV column holding the outcome");
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
    if (from_store)
      return Status::Usage(
          "--from-store is not available yet in this version; give --csv FILE --label COLUMN");
    if (csv.empty()) return Status::Usage("give --csv FILE --label COLUMN");
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

}  // namespace

void AddModelCommands(CLI::App& app, std::string& db, int& rc) {
  (void)db;  // the store-backed commands (train --from-store, suggest) come next
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
  ev->callback([&rc, args, folds, seed, kind, json, html, l2, min_level, folds_out, timings] {
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
    auto d = args->Load();
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
      "train", "fit the interpretable model on every row: weights with their uncertainty, metrics");
  auto targs = std::make_shared<TableArgs>();
  targs->Add(tr, false);
  auto out = std::make_shared<std::string>();
  auto top = std::make_shared<size_t>(20);
  auto tl2 = std::make_shared<double>(1.0);
  auto tjson = std::make_shared<bool>(false);
  tr->add_option("--out", *out, "write the model (weights, data summary, date, metrics) as JSON");
  tr->add_option("--top", *top, "weights to show")->capture_default_str();
  tr->add_option("--l2", *tl2, "L2 penalty (prior precision of each standardised weight)")
      ->capture_default_str();
  tr->add_flag("--json", *tjson, "print the model JSON instead of the table");
  tr->callback([&rc, targs, out, top, tl2, tjson] {
    if (!(*tl2 >= 0)) return void(rc = Fail(Status::Usage("--l2 must be >= 0")));
    auto d = targs->Load();
    if (!d.ok()) return void(rc = Fail(d.status()));
    model::EvalOptions o;
    o.logistic.l2 = *tl2;
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
}

}  // namespace leadgate
