// Gradient-boosted trees through XGBoost's C API (Debian's libxgboost-dev).
// Deterministic: fixed seed, fixed thread count, the exact "hist" method.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace leadgate::model {

class Forest;

struct TreesOptions {
  int rounds = 0;  // 0 = chosen from the number of training rows
  int max_depth = 0;
  double eta = 0.1;
  double lambda = 1.0;  // L2 on leaf weights: the prior that keeps small data near the base rate
  double min_child_weight = 1.0;
  int max_bin = 0;       // histogram bins per feature; 0 = 256 (XGBoost's default)
  double subsample = 1;  // rows per tree
  int nthread = 0;       // 0 = 1 thread for small tables (OpenMP's spinning costs more), else 2
  uint64_t seed = 0;
  // Early stopping: hold out `holdout` of the rows (a seeded draw) and stop
  // after `early_stopping` rounds without a lower hold-out log loss, keeping
  // the best round's trees. -1 = chosen: on (10 rounds) from 100,000 rows.
  int early_stopping = -1;
  double holdout = 0.1;
  // Training rows at most: above it a seeded sample of this many rows trains
  // (the hold-out comes from the other rows). -1 = chosen: 250,000; 0 = all.
  int64_t max_rows = -1;
  // Categorical splits: one level against the rest below this many levels,
  // else a partition of the levels. 0 = always one against the rest: the
  // splits the one-hot encoding gave (partitions over many levels overfit on
  // model_bench's table: AUC 0.8034 vs 0.8059 at 100,000 rows).
  int max_cat_to_onehot = 0;
  // Callers' encoding (EncoderOptions::native_categorical): a categorical
  // column as one feature of level codes (true) or one-hot (false).
  bool native_categorical = true;
};

// What a fit did (for benchmarks and reports).
struct TreesFitInfo {
  int rounds = 0;          // trees kept
  int rounds_trained = 0;  // trees built (more than kept when stopped early)
  double holdout_logloss = 0;
  size_t rows_trained = 0, rows_holdout = 0;
};

class Trees {
 public:
  Trees() = default;
  Trees(const Trees&) = delete;
  Trees& operator=(const Trees&) = delete;
  ~Trees();
  // x: n x p row-major floats, NaN = missing. categorical (empty or p
  // flags): the features holding level codes 0, 1, ... (XGBoost's native
  // categorical splits, tree_method hist).
  Status Fit(const float* x, size_t n, size_t p, const std::vector<uint8_t>& y,
             const TreesOptions& opt, const std::vector<uint8_t>& categorical = {});
  const TreesFitInfo& fit_info() const { return info_; }
  // Probabilities: the compiled forest (model/forest.h) when it could be
  // built from the booster, else XGBoost's predict.
  Result<std::vector<double>> Predict(const float* x, size_t n, size_t p) const;
  // XGBoost's own predict (what the forest must equal; tests, benchmarks).
  Result<std::vector<double>> PredictXgboost(const float* x, size_t n, size_t p) const;
  // The compiled forest, null when the model could not be read into one.
  const Forest* forest() const { return forest_.get(); }
  // Per-feature contributions to the logit (XGBoost's pred_contribs, SHAP
  // values): n x (p + 1), the last column the bias.
  Result<std::vector<float>> Contributions(const float* x, size_t n, size_t p) const;
  // The model as XGBoost's JSON (stored with the model), and back.
  Result<std::string> Save() const;
  Status Load(const std::string& json);

 private:
  void Compile();  // forest_ from the booster's JSON (null when unreadable)
  void* booster_ = nullptr;
  std::shared_ptr<const Forest> forest_;  // shared_ptr: Forest is incomplete here
  std::vector<uint8_t> categorical_;
  TreesFitInfo info_;
};

}  // namespace leadgate::model
