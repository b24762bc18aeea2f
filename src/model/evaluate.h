// Out-of-fold evaluation of a model against the naive-Bayes baseline on the
// same folds: stratified k-fold (deterministic given the seed), or, with a
// time column, forward chaining (the rows sorted by time are cut into
// folds + 1 blocks; block i is scored by a model trained on blocks 0..i-1,
// so block 0 is only ever trained on).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/dataset.h"
#include "model/encode.h"
#include "model/logistic.h"
#include "model/metrics.h"
#include "model/trees.h"

namespace leadgate::model {

enum class ModelKind { kLogistic, kTrees, kBest };
bool ParseModelKind(const std::string& s, ModelKind* out);
const char* ModelName(ModelKind k);

struct EvalOptions {
  int folds = 5;
  uint64_t seed = 1;
  ModelKind model = ModelKind::kLogistic;
  EncoderOptions encoder;
  LogisticOptions logistic;
  TreesOptions trees;
};

struct Candidate {
  std::string model;
  double auc = 0, log_loss = 0;
};

struct EvalReport {
  std::string model;  // the one reported ("best" resolves to logistic or trees)
  int64_t rows = 0, positives = 0;
  int folds = 0;
  uint64_t seed = 0;
  bool by_time = false;
  size_t features = 0;  // encoded width of the last fold's logistic/trees input
  Metrics metrics, baseline;
  Interval auc_interval, baseline_auc_interval;  // bootstrap 95 % (metrics.h)
  std::vector<double> fold_auc;                  // per fold, the reported model
  std::vector<Candidate> candidates;             // --model best: both, by out-of-fold log loss
  std::vector<std::string> warnings;
  // Seconds spent encoding + fitting + scoring, per model, summed over folds
  // (not in the JSON: it would make runs differ).
  std::vector<std::pair<std::string, double>> seconds;
  // Out-of-fold predictions of the evaluated rows, for the HTML report.
  std::vector<double> oof, oof_baseline;
  std::vector<uint8_t> y;
};

// Fold of each row (-1: never scored, the first block of a time split).
Result<std::vector<int>> AssignFolds(const Dataset& d, int folds, uint64_t seed, bool by_time);

Result<EvalReport> Evaluate(const Dataset& d, const EvalOptions& opt);

// A logistic regression fitted on every row, with each weight's standard
// error (Laplace approximation) and the out-of-fold metrics of the same
// settings: what `model train` reports and stores.
struct TrainedLogistic {
  std::vector<std::string> features;  // encoded names ("Lead Source=Google", "TotalVisits")
  LogisticModel model;
  EvalReport evaluation;
};
Result<TrainedLogistic> TrainLogistic(const Dataset& d, const EvalOptions& opt);
nlohmann::ordered_json TrainJson(const TrainedLogistic& t, const Dataset& d,
                                 const std::string& source, const std::string& trained_at);
std::string TrainText(const TrainedLogistic& t, size_t top);

nlohmann::ordered_json EvalJson(const EvalReport& r);
std::string EvalText(const EvalReport& r);
std::string EvalHtml(const EvalReport& r, const std::string& title);

}  // namespace leadgate::model
