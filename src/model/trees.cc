#include "model/trees.h"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace leadgate::model {
namespace {

Status Err(const char* what) {
  return Status::Internal(std::string("XGBoost ") + what + ": " + XGBGetLastError());
}

struct DMatrix {
  DMatrixHandle h = nullptr;
  ~DMatrix() {
    if (h) XGDMatrixFree(h);
  }
};

}  // namespace

Trees::~Trees() {
  if (booster_) XGBoosterFree(static_cast<BoosterHandle>(booster_));
}

Status Trees::Fit(const float* x, size_t n, size_t p, const std::vector<uint8_t>& y,
                  const TreesOptions& opt) {
  DMatrix dm;
  if (XGDMatrixCreateFromMat(x, n, p, std::numeric_limits<float>::quiet_NaN(), &dm.h) != 0)
    return Err("DMatrix");
  std::vector<float> label(y.begin(), y.end());
  double pos = 0;
  for (uint8_t v : y) pos += v;
  if (XGDMatrixSetFloatInfo(dm.h, "label", label.data(), n) != 0) return Err("label");
  BoosterHandle b = nullptr;
  if (XGBoosterCreate(&dm.h, 1, &b) != 0) return Err("booster");
  if (booster_) XGBoosterFree(static_cast<BoosterHandle>(booster_));
  booster_ = b;
  const bool small = n < 2000;
  const int depth = opt.max_depth > 0 ? opt.max_depth : (small ? 3 : 5);
  const int rounds = opt.rounds > 0 ? opt.rounds : (small ? 60 : 150);
  const int threads = opt.nthread > 0 ? opt.nthread : (n * p < (size_t{1} << 22) ? 1 : 2);
  const double rate = std::min(std::max(pos / static_cast<double>(n), 1e-6), 1 - 1e-6);
  const std::pair<std::string, std::string> params[] = {
      {"objective", "binary:logistic"},
      {"tree_method", "hist"},
      {"max_depth", std::to_string(depth)},
      {"eta", std::to_string(opt.eta)},
      {"lambda", std::to_string(opt.lambda)},
      {"min_child_weight", std::to_string(opt.min_child_weight)},
      {"base_score", std::to_string(rate)},
      {"nthread", std::to_string(threads)},
      {"max_bin", std::to_string(opt.max_bin > 0 ? opt.max_bin : 256)},
      {"subsample", std::to_string(opt.subsample)},
      {"seed", std::to_string(opt.seed)},
      {"verbosity", "0"},
  };
  for (const auto& [k, v] : params)
    if (XGBoosterSetParam(b, k.c_str(), v.c_str()) != 0) return Err("parameter");
  for (int it = 0; it < rounds; ++it)
    if (XGBoosterUpdateOneIter(b, it, dm.h) != 0) return Err("training");
  return Status::Ok();
}

// XGBoost's predictions of type `type` (0: probabilities, 2: per-feature
// contributions) for n rows of p features; `per_row` values each.
static Status PredictRaw(void* booster, const float* x, size_t n, size_t p, int type,
                         size_t per_row, const char* what, std::vector<float>* out) {
  if (!booster) return Status::Internal(std::string("XGBoost: ") + what + " before fit");
  DMatrix dm;
  if (XGDMatrixCreateFromMat(x, n, p, std::numeric_limits<float>::quiet_NaN(), &dm.h) != 0)
    return Err("DMatrix");
  const std::string cfg =
      R"({"type": )" + std::to_string(type) +
      R"(, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* res = nullptr;
  if (XGBoosterPredictFromDMatrix(static_cast<BoosterHandle>(booster), dm.h, cfg.c_str(), &shape,
                                  &dim, &res) != 0)
    return Err(what);
  out->assign(res, res + n * per_row);
  return Status::Ok();
}

Result<std::vector<double>> Trees::Predict(const float* x, size_t n, size_t p) const {
  std::vector<float> raw;
  if (Status s = PredictRaw(booster_, x, n, p, 0, 1, "predict", &raw); !s.ok()) return s;
  std::vector<double> out(raw.begin(), raw.end());
  for (double& v : out)
    if (!std::isfinite(v)) v = 0.5;
  return out;
}

Result<std::vector<float>> Trees::Contributions(const float* x, size_t n, size_t p) const {
  std::vector<float> out;
  if (Status s = PredictRaw(booster_, x, n, p, 2, p + 1, "contributions", &out); !s.ok()) return s;
  for (float& v : out)
    if (!std::isfinite(v)) v = 0;
  return out;
}

Result<std::string> Trees::Save() const {
  if (!booster_) return Status::Internal("XGBoost: save before fit");
  bst_ulong len = 0;
  const char* buf = nullptr;
  if (XGBoosterSaveModelToBuffer(static_cast<BoosterHandle>(booster_), R"({"format": "json"})",
                                 &len, &buf) != 0)
    return Err("save");
  return std::string(buf, len);
}

Status Trees::Load(const std::string& json) {
  BoosterHandle b = nullptr;
  if (XGBoosterCreate(nullptr, 0, &b) != 0) return Err("booster");
  if (XGBoosterLoadModelFromBuffer(b, json.data(), json.size()) != 0) {
    XGBoosterFree(b);
    return Err("load");
  }
  XGBoosterSetParam(b, "nthread", "1");
  if (booster_) XGBoosterFree(static_cast<BoosterHandle>(booster_));
  booster_ = b;
  return Status::Ok();
}

}  // namespace leadgate::model
