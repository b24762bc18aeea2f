#include "model/trees.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "common/splitmix.h"
#include "model/forest.h"
#include "model/xgboost_api.h"

namespace leadgate::model {
namespace {

// The library, or why it cannot be used (a Status for the caller).
Status NeedXgb() {
  std::string why;
  if (LoadXgb(&why) == nullptr) return Status::Internal(why);
  return Status::Ok();
}

Status Err(const char* what) {
  return Status::Internal(std::string("XGBoost ") + what + ": " + Xgb().XGBGetLastError());
}

struct DMatrix {
  DMatrixHandle h = nullptr;
  ~DMatrix() {
    if (h) Xgb().XGDMatrixFree(h);
  }
};

}  // namespace

Trees::~Trees() {
  if (booster_) Xgb().XGBoosterFree(static_cast<BoosterHandle>(booster_));
}

namespace {

// A DMatrix of n x p row-major floats; `categorical` (empty or p flags) marks
// the features holding level codes.
Status MakeMatrix(const float* x, size_t n, size_t p, const std::vector<uint8_t>& categorical,
                  DMatrix* dm) {
  if (Xgb().XGDMatrixCreateFromMat(x, n, p, std::numeric_limits<float>::quiet_NaN(), &dm->h) != 0)
    return Err("DMatrix");
  bool any = false;
  for (uint8_t c : categorical) any = any || c;
  if (!any || categorical.size() != p) return Status::Ok();
  std::vector<const char*> types(p);
  for (size_t j = 0; j < p; ++j) types[j] = categorical[j] ? "c" : "q";
  if (Xgb().XGDMatrixSetStrFeatureInfo(dm->h, "feature_type", types.data(), p) != 0)
    return Err("feature types");
  return Status::Ok();
}

uint64_t Mix(uint64_t z) { return SplitMix(z); }

// The value after the last ':' of XGBoost's evaluation line
// ("[12]\thold-logloss:0.512345"); NaN when there is none.
double EvalValue(const char* line) {
  const char* c = line ? std::strrchr(line, ':') : nullptr;
  return c ? std::strtod(c + 1, nullptr) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

Status Trees::Fit(const float* x, size_t n, size_t p, const std::vector<uint8_t>& y,
                  const TreesOptions& opt, const std::vector<uint8_t>& categorical) {
  if (Status s = NeedXgb(); !s.ok()) return s;
  info_ = {};
  categorical_ = categorical.size() == p ? categorical : std::vector<uint8_t>{};
  const int patience = opt.early_stopping >= 0 ? opt.early_stopping : (n >= 100000 ? 10 : 0);
  const size_t cap = opt.max_rows >= 0 ? static_cast<size_t>(opt.max_rows) : 250000;
  // Each row's role, by a seeded draw u in [0, 1): hold-out for early
  // stopping when u < h, training when h <= u < h + t (t: the share that
  // keeps the training rows within the cap), else unused.
  const bool early = patience > 0 && opt.holdout > 0 && opt.holdout < 1 && n >= 10000;
  const double h = early ? opt.holdout : 0.0;
  const double t = cap > 0 && cap < n ? static_cast<double>(cap) / static_cast<double>(n) : 1.0 - h;
  std::vector<uint8_t> role;  // 0 unused, 1 training, 2 hold-out; empty: every row trains
  size_t n_hold = 0, hold_pos = 0, n_train = 0, train_pos = 0;
  if (h > 0 || t < 1) {
    role.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const double u = static_cast<double>(Mix(opt.seed * 0x100000001B3ull + i) % 1000000) / 1e6;
      role[i] = u < h ? 2 : (u < h + t ? 1 : 0);
      n_hold += role[i] == 2;
      hold_pos += role[i] == 2 && y[i];
      n_train += role[i] == 1;
      train_pos += role[i] == 1 && y[i];
    }
    // Too few, or one class (not at these sizes, but never silently wrong):
    // every row trains.
    if (n_train < 1000 || train_pos == 0 || train_pos == n_train ||
        (n_hold > 0 && (hold_pos == 0 || hold_pos == n_hold)))
      role.clear();
  }
  DMatrix dm, dh;
  std::vector<float> label;
  double pos = 0;
  if (role.empty()) {
    n_hold = 0;
    if (Status s = MakeMatrix(x, n, p, categorical_, &dm); !s.ok()) return s;
    label.assign(y.begin(), y.end());
    for (uint8_t v : y) pos += v;
  } else {
    std::vector<float> xt, xh, lh;
    xt.reserve(n_train * p);
    xh.reserve(n_hold * p);
    for (size_t i = 0; i < n; ++i) {
      if (role[i] == 0) continue;
      auto& dst = role[i] == 2 ? xh : xt;
      dst.insert(dst.end(), x + i * p, x + (i + 1) * p);
      (role[i] == 2 ? lh : label).push_back(y[i]);
    }
    pos = static_cast<double>(train_pos);
    if (Status s = MakeMatrix(xt.data(), n_train, p, categorical_, &dm); !s.ok()) return s;
    xt = {};
    if (n_hold > 0) {
      if (Status s = MakeMatrix(xh.data(), n_hold, p, categorical_, &dh); !s.ok()) return s;
      if (Xgb().XGDMatrixSetFloatInfo(dh.h, "label", lh.data(), n_hold) != 0) return Err("label");
    }
  }
  info_.rows_trained = label.size();
  info_.rows_holdout = n_hold;
  if (Xgb().XGDMatrixSetFloatInfo(dm.h, "label", label.data(), label.size()) != 0)
    return Err("label");
  DMatrixHandle cache[2] = {dm.h, dh.h};
  BoosterHandle b = nullptr;
  if (Xgb().XGBoosterCreate(cache, dh.h ? 2 : 1, &b) != 0) return Err("booster");
  if (booster_) Xgb().XGBoosterFree(static_cast<BoosterHandle>(booster_));
  booster_ = b;
  const bool small = n < 2000;
  const int depth = opt.max_depth > 0 ? opt.max_depth : (small ? 3 : 5);
  const int rounds = opt.rounds > 0 ? opt.rounds : (small ? 60 : 150);
  const int threads = opt.nthread > 0 ? opt.nthread : (n * p < (size_t{1} << 22) ? 1 : 2);
  const double rate = std::min(std::max(pos / static_cast<double>(label.size()), 1e-6), 1 - 1e-6);
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
      {"max_cat_to_onehot",
       std::to_string(opt.max_cat_to_onehot > 0 ? opt.max_cat_to_onehot : 1 << 30)},
      {"eval_metric", "logloss"},
      {"seed", std::to_string(opt.seed)},
      {"verbosity", "0"},
  };
  for (const auto& [k, v] : params)
    if (Xgb().XGBoosterSetParam(b, k.c_str(), v.c_str()) != 0) return Err("parameter");
  // The feature types, kept in the saved model so a loaded one scores alike.
  std::vector<const char*> types(p);
  for (size_t j = 0; j < p && !categorical_.empty(); ++j) types[j] = categorical_[j] ? "c" : "q";
  if (!categorical_.empty() &&
      Xgb().XGBoosterSetStrFeatureInfo(b, "feature_type", types.data(), p) != 0)
    return Err("feature types");
  double best = std::numeric_limits<double>::infinity();
  int best_round = -1;
  const char* names[1] = {"hold"};
  for (int it = 0; it < rounds; ++it) {
    if (Xgb().XGBoosterUpdateOneIter(b, it, dm.h) != 0) return Err("training");
    info_.rounds_trained = it + 1;
    if (!dh.h) continue;
    const char* line = nullptr;
    if (Xgb().XGBoosterEvalOneIter(b, it, &dh.h, names, 1, &line) != 0) return Err("evaluation");
    const double loss = EvalValue(line);
    if (std::isnan(loss)) continue;  // unreadable: no early stopping rather than a wrong one
    if (loss < best - 1e-6) {
      best = loss;
      best_round = it;
    } else if (it - best_round >= patience) {
      break;
    }
  }
  info_.rounds = info_.rounds_trained;
  if (dh.h && best_round >= 0) {
    info_.holdout_logloss = best;
    if (best_round + 1 < info_.rounds_trained) {  // keep the best round's trees
      BoosterHandle sliced = nullptr;
      if (Xgb().XGBoosterSlice(b, 0, best_round + 1, 1, &sliced) != 0) return Err("slice");
      Xgb().XGBoosterFree(b);
      booster_ = sliced;
      Xgb().XGBoosterSetParam(sliced, "nthread", std::to_string(threads).c_str());
      if (!categorical_.empty() &&
          Xgb().XGBoosterSetStrFeatureInfo(sliced, "feature_type", types.data(), p) != 0)
        return Err("feature types");
      info_.rounds = best_round + 1;
    }
  }
  Compile();
  return Status::Ok();
}

void Trees::Compile() {
  forest_.reset();
  auto json = Save();
  if (!json.ok()) return;
  auto f = Forest::FromXgboostJson(*json);
  if (f.ok()) forest_ = std::make_shared<const Forest>(std::move(*f));
}

// XGBoost's predictions of type `type` (0: probabilities, 2: per-feature
// contributions) for n rows of p features; `per_row` values each.
static Status PredictRaw(void* booster, const std::vector<uint8_t>& categorical, const float* x,
                         size_t n, size_t p, int type, size_t per_row, const char* what,
                         std::vector<float>* out) {
  if (!booster) return Status::Internal(std::string("XGBoost: ") + what + " before fit");
  DMatrix dm;
  if (Status s = MakeMatrix(x, n, p, categorical, &dm); !s.ok()) return s;
  const std::string cfg =
      R"({"type": )" + std::to_string(type) +
      R"(, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* res = nullptr;
  if (Xgb().XGBoosterPredictFromDMatrix(static_cast<BoosterHandle>(booster), dm.h, cfg.c_str(),
                                        &shape, &dim, &res) != 0)
    return Err(what);
  out->assign(res, res + n * per_row);
  return Status::Ok();
}

Result<std::vector<double>> Trees::Predict(const float* x, size_t n, size_t p) const {
  if (forest_ && p == forest_->features()) {
    std::vector<double> out(n);
    // Row blocks on both cores for big tables (the same result to the bit,
    // tests/forest_test.cc); one thread below, where starting one costs more.
    forest_->Predict(x, n, p, out.data(), n >= 65536 ? 2 : 1);
    for (double& v : out)
      if (!std::isfinite(v)) v = 0.5;
    return out;
  }
  return PredictXgboost(x, n, p);
}

Result<std::vector<double>> Trees::PredictXgboost(const float* x, size_t n, size_t p) const {
  std::vector<float> raw;
  if (Status s = PredictRaw(booster_, categorical_, x, n, p, 0, 1, "predict", &raw); !s.ok())
    return s;
  std::vector<double> out(raw.begin(), raw.end());
  for (double& v : out)
    if (!std::isfinite(v)) v = 0.5;
  return out;
}

Result<std::vector<float>> Trees::Contributions(const float* x, size_t n, size_t p) const {
  std::vector<float> out;
  if (Status s = PredictRaw(booster_, categorical_, x, n, p, 2, p + 1, "contributions", &out);
      !s.ok())
    return s;
  for (float& v : out)
    if (!std::isfinite(v)) v = 0;
  return out;
}

Result<std::string> Trees::Save() const {
  if (!booster_) return Status::Internal("XGBoost: save before fit");
  bst_ulong len = 0;
  const char* buf = nullptr;
  if (Xgb().XGBoosterSaveModelToBuffer(static_cast<BoosterHandle>(booster_),
                                       R"({"format": "json"})", &len, &buf) != 0)
    return Err("save");
  return std::string(buf, len);
}

Status Trees::Load(const std::string& json) {
  if (Status s = NeedXgb(); !s.ok()) return s;
  BoosterHandle b = nullptr;
  if (Xgb().XGBoosterCreate(nullptr, 0, &b) != 0) return Err("booster");
  if (Xgb().XGBoosterLoadModelFromBuffer(b, json.data(), json.size()) != 0) {
    Xgb().XGBoosterFree(b);
    return Err("load");
  }
  Xgb().XGBoosterSetParam(b, "nthread", "1");
  // The categorical features (models saved since native categorical splits;
  // older ones have no feature types: every feature is numeric).
  categorical_.clear();
  bst_ulong len = 0;
  const char** types = nullptr;
  if (Xgb().XGBoosterGetStrFeatureInfo(b, "feature_type", &len, &types) == 0 && types)
    for (bst_ulong j = 0; j < len; ++j)
      categorical_.push_back(types[j] && types[j][0] == 'c' ? 1 : 0);
  if (std::find(categorical_.begin(), categorical_.end(), 1) == categorical_.end())
    categorical_.clear();
  if (booster_) Xgb().XGBoosterFree(static_cast<BoosterHandle>(booster_));
  booster_ = b;
  info_ = {};
  Compile();
  return Status::Ok();
}

}  // namespace leadgate::model
