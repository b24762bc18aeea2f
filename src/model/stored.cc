#include "model/stored.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace leadgate::model {
namespace {

double Sigmoid(double z) {
  if (!std::isfinite(z)) return z > 0 ? 1.0 : (z < 0 ? 0.0 : 0.5);
  return 1.0 / (1.0 + std::exp(-z));
}

std::vector<uint32_t> AllRows(const Dataset& d) {
  std::vector<uint32_t> all(d.rows());
  std::iota(all.begin(), all.end(), 0u);
  return all;
}

std::string CellText(const Column& c, uint32_t row) {
  if (c.numeric) {
    const double x = c.num[row];
    if (std::isnan(x)) return "(missing)";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", x);
    return buf;
  }
  const int32_t k = c.code[row];
  return k < 0 ? "(missing)" : c.levels[static_cast<size_t>(k)];
}

}  // namespace

Result<std::unique_ptr<StoredModel>> StoredModel::Fit(const Dataset& d, ModelKind kind,
                                                      const EvalOptions& opt) {
  if (Status s = CheckLearnable(d, 2); !s.ok()) return s;
  auto m = std::make_unique<StoredModel>();
  for (const Column& c : d.columns) m->columns.emplace_back(c.name, c.numeric);
  const auto all = AllRows(d);
  EncoderOptions eo = opt.encoder;
  if (kind == ModelKind::kTrees) {
    m->kind = "trees";
    eo.for_trees = true;
    eo.native_categorical = opt.trees.native_categorical;
    m->encoder.Fit(d, all, eo);
    const auto x = m->encoder.Encode(d, all, true);
    m->trees = std::make_unique<Trees>();
    TreesOptions to = opt.trees;
    if (to.seed == 0) to.seed = opt.seed;
    if (Status s = m->trees->Fit(x.data(), all.size(), m->encoder.width(), d.y, to,
                                 m->encoder.CategoricalOutputs());
        !s.ok())
      return s;
    return m;
  }
  m->kind = "logistic";
  eo.for_trees = false;
  m->encoder.Fit(d, all, eo);
  LogisticOptions lo = opt.logistic;
  lo.covariance = true;
  const LogisticModel lm = FitLogistic(m->encoder.EncodeSparse(d, all), d.y, lo);
  m->intercept = lm.intercept;
  m->weights.assign(lm.beta.data(), lm.beta.data() + lm.beta.size());
  for (Eigen::Index i = 0; i < lm.beta.size(); ++i)
    m->se.push_back(lm.cov.rows() > i + 1 ? std::sqrt(std::max(0.0, lm.cov(i + 1, i + 1))) : 0.0);
  return m;
}

nlohmann::json StoredModel::ToJson() const {
  nlohmann::json j;
  j["format"] = 1;
  j["kind"] = kind;
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& [name, numeric] : columns)
    cols.push_back({{"name", name}, {"numeric", numeric}});
  j["columns"] = cols;
  j["encoder"] = encoder.ToJson();
  if (kind == "logistic") {
    j["intercept"] = intercept;
    j["weights"] = weights;
    j["se"] = se;
  } else if (trees) {
    // XGBoost's JSON as an object when it is plain JSON (the format before
    // native categoricals), else as text: categorical splits write NaN split
    // conditions, which JSON (and nlohmann) does not allow.
    auto s = trees->Save();
    if (s.ok()) {
      nlohmann::json x = nlohmann::json::parse(*s, nullptr, false);
      j["xgboost"] = x.is_discarded() ? nlohmann::json(*s) : std::move(x);
    }
  }
  return j;
}

Result<std::unique_ptr<StoredModel>> StoredModel::FromJson(const nlohmann::json& j) {
  try {
    auto m = std::make_unique<StoredModel>();
    if (j.at("format").get<int>() != 1)
      return Status::Invalid("stored model: unknown format (written by a newer leadgate?)");
    m->kind = j.at("kind").get<std::string>();
    for (const auto& c : j.at("columns"))
      m->columns.emplace_back(c.at("name").get<std::string>(), c.at("numeric").get<bool>());
    auto enc = Encoder::FromJson(j.at("encoder"));
    if (!enc.ok()) return enc.status();
    m->encoder = std::move(*enc);
    if (m->kind == "logistic") {
      m->intercept = j.at("intercept").get<double>();
      m->weights = j.at("weights").get<std::vector<double>>();
      m->se = j.value("se", std::vector<double>{});
      if (m->weights.size() != m->encoder.width())
        return Status::Invalid("stored model: weights and encoder outputs differ in number");
    } else if (m->kind == "trees") {
      m->trees = std::make_unique<Trees>();
      const nlohmann::json& x = j.at("xgboost");
      if (Status s = m->trees->Load(x.is_string() ? x.get<std::string>() : x.dump()); !s.ok())
        return s;
    } else {
      return Status::Invalid("stored model: unknown kind '" + m->kind + "'");
    }
    return m;
  } catch (const std::exception& e) {
    return Status::Invalid(std::string("stored model: unreadable: ") + e.what());
  }
}

Result<std::vector<double>> StoredModel::Score(const Dataset& d) {
  if (Status s = encoder.Bind(d); !s.ok()) return s;
  const auto all = AllRows(d);
  std::vector<double> p;
  if (kind == "trees") {
    if (!trees) return Status::Internal("trees model without its booster");
    if (all.empty()) return p;
    const auto x = encoder.Encode(d, all, true);
    auto r = trees->Predict(x.data(), all.size(), encoder.width());
    if (!r.ok()) return r.status();
    p = std::move(*r);
  } else {
    p = encoder.Linear(d, all, intercept, weights.data());
    for (double& v : p) v = Sigmoid(v);
  }
  for (double& v : p)
    if (!std::isfinite(v)) v = 0.5;
  return p;
}

Result<std::vector<Factor>> StoredModel::Explain(const Dataset& d, uint32_t row, size_t top) {
  if (Status s = encoder.Bind(d); !s.ok()) return s;
  if (row >= d.rows()) return Status::Internal("explain: no such row");
  std::vector<std::pair<size_t, double>> terms;
  if (kind == "trees") {
    if (!trees) return Status::Internal("trees model without its booster");
    const std::vector<uint32_t> one{row};
    const auto x = encoder.Encode(d, one, true);
    auto c = trees->Contributions(x.data(), 1, encoder.width());
    if (!c.ok()) return c.status();
    std::vector<double> by_col(d.columns.size(), 0.0);
    std::vector<uint8_t> used(d.columns.size(), 0);
    for (size_t j = 0; j < encoder.width(); ++j) {
      const size_t col = encoder.OutputColumn(j);
      by_col[col] += (*c)[j];
      used[col] = 1;
    }
    for (size_t k = 0; k < by_col.size(); ++k)
      if (used[k]) terms.emplace_back(k, by_col[k]);
  } else {
    terms = encoder.Terms(d, row, weights.data());
  }
  std::stable_sort(terms.begin(), terms.end(), [](const auto& a, const auto& b) {
    return std::abs(a.second) > std::abs(b.second);
  });
  std::vector<Factor> out;
  for (const auto& [col, effect] : terms) {
    if (out.size() >= top) break;
    if (!std::isfinite(effect) || std::abs(effect) < 1e-9) continue;
    out.push_back(
        {d.columns[col].name, CellText(d.columns[col], row), std::round(effect * 1e4) / 1e4});
  }
  return out;
}

}  // namespace leadgate::model
