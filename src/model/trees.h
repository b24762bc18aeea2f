// Gradient-boosted trees through XGBoost's C API (Debian's libxgboost-dev).
// Deterministic: fixed seed, fixed thread count, the exact "hist" method.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace leadgate::model {

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
};

class Trees {
 public:
  Trees() = default;
  Trees(const Trees&) = delete;
  Trees& operator=(const Trees&) = delete;
  ~Trees();
  // x: n x p row-major floats, NaN = missing.
  Status Fit(const float* x, size_t n, size_t p, const std::vector<uint8_t>& y,
             const TreesOptions& opt);
  Result<std::vector<double>> Predict(const float* x, size_t n, size_t p) const;
  // Per-feature contributions to the logit (XGBoost's pred_contribs, SHAP
  // values): n x (p + 1), the last column the bias.
  Result<std::vector<float>> Contributions(const float* x, size_t n, size_t p) const;
  // The model as XGBoost's JSON (stored with the model), and back.
  Result<std::string> Save() const;
  Status Load(const std::string& json);

 private:
  void* booster_ = nullptr;
};

}  // namespace leadgate::model
