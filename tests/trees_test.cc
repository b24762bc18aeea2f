// Gradient-boosted trees (src/model/trees.cc): XGBoost's native categorical
// splits, early stopping on a held-out block, determinism for a fixed seed,
// and stored models of both encodings (one-hot before native categoricals).
#include "model/trees.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/splitmix.h"
#include "model/dataset.h"
#include "model/encode.h"
#include "model/evaluate.h"
#include "model/metrics.h"
#include "model/stored.h"

namespace leadgate::model {
namespace {

uint64_t Mix(uint64_t z) { return SplitMix(z); }

// `n` rows: "industry" (40 levels; the label is 1 exactly for an arbitrary
// half of them, no order or pattern among the levels) and a numeric noise
// column. Nothing but the category tells the label.
Dataset CategoricalOnly(size_t n, uint64_t seed) {
  Dataset d;
  d.columns.resize(2);
  Column& cat = d.columns[0];
  cat.name = "industry";
  for (int k = 0; k < 40; ++k)
    cat.levels.push_back(std::string("sector ").append(std::to_string(k)));
  Column& noise = d.columns[1];
  noise.name = "noise";
  noise.numeric = true;
  for (size_t i = 0; i < n; ++i) {
    const auto k = static_cast<int32_t>(Mix(seed + 2 * i) % 40);
    cat.code.push_back(k);
    noise.num.push_back(static_cast<double>(Mix(seed + 2 * i + 1) % 1000) / 1000.0);
    d.y.push_back((Mix(static_cast<uint64_t>(k) * 7919) & 1) ? 1 : 0);
    d.line.push_back(static_cast<int64_t>(i) + 2);
    d.record.push_back(static_cast<int64_t>(i));
  }
  return d;
}

std::vector<uint32_t> All(const Dataset& d) {
  std::vector<uint32_t> r(d.rows());
  for (uint32_t i = 0; i < r.size(); ++i) r[i] = i;
  return r;
}

TEST(TreesNative, LearnsACategoricalOnlySignalWithOneFeaturePerColumn) {
  const Dataset d = CategoricalOnly(3000, 11);
  EvalOptions o;
  o.model = ModelKind::kTrees;
  auto r = Evaluate(d, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GT(r->metrics.auc, 0.99);
  EXPECT_EQ(r->features, 2u);  // industry as one feature of level codes, not 40 one-hot ones

  EncoderOptions eo;
  eo.for_trees = eo.native_categorical = true;
  Encoder enc;
  enc.Fit(d, All(d), eo);
  ASSERT_EQ(enc.width(), 2u);
  EXPECT_TRUE(enc.IsCategorical(0));
  EXPECT_FALSE(enc.IsCategorical(1));
}

TEST(TreesNative, StoredModelScoresAndExplainsAfterALoad) {
  const Dataset d = CategoricalOnly(2500, 5);
  EvalOptions o;
  auto m = StoredModel::Fit(d, ModelKind::kTrees, o);
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto before = (*m)->Score(d);
  ASSERT_TRUE(before.ok());
  EXPECT_GT(Auc(*before, d.y), 0.99);
  const nlohmann::json j = (*m)->ToJson();
  EXPECT_TRUE(j.at("encoder").value("native_categorical", false));
  auto loaded = StoredModel::FromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto after = (*loaded)->Score(d);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), before->size());
  for (size_t i = 0; i < before->size(); ++i) ASSERT_NEAR((*after)[i], (*before)[i], 1e-6) << i;
  auto f = (*loaded)->Explain(d, 0, 5);
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_FALSE(f->empty());
  EXPECT_EQ((*f)[0].feature, "industry");
  EXPECT_EQ((*f)[0].value, d.columns[0].levels[static_cast<size_t>(d.columns[0].code[0])]);
}

TEST(TreesNative, OneHotModelsOfBeforeStillLoadAndScore) {
  // A model with one-hot categoricals is what leadgate stored before native
  // categorical splits: same JSON keys, no feature types in XGBoost's model.
  const Dataset d = CategoricalOnly(2500, 9);
  EvalOptions o;
  o.trees.native_categorical = false;
  auto m = StoredModel::Fit(d, ModelKind::kTrees, o);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const nlohmann::json j = (*m)->ToJson();
  EXPECT_FALSE(j.at("encoder").contains("native_categorical"));
  EXPECT_EQ(j.at("encoder").at("outputs").size(), 41u);  // 40 levels + noise
  auto before = (*m)->Score(d);
  auto loaded = StoredModel::FromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto after = (*loaded)->Score(d);
  ASSERT_TRUE(before.ok() && after.ok());
  for (size_t i = 0; i < before->size(); ++i) ASSERT_NEAR((*after)[i], (*before)[i], 1e-6) << i;
  EXPECT_GT(Auc(*after, d.y), 0.99);
}

TEST(TreesNative, DamagedCategoricalEncoderIsAClearError) {
  const Dataset d = CategoricalOnly(2500, 3);
  auto m = StoredModel::Fit(d, ModelKind::kTrees, EvalOptions{});
  ASSERT_TRUE(m.ok());
  nlohmann::json j = (*m)->ToJson();
  j["encoder"]["features"][0]["code_out"] = 99;  // no such output
  auto loaded = StoredModel::FromJson(j);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("encoder output index is out of range"),
            std::string::npos)
      << loaded.status().message();
}

// A weak numeric signal: enough rows for the early-stopping hold-out.
struct Table {
  std::vector<float> x;
  std::vector<uint8_t> y;
  std::vector<uint8_t> categorical;
  size_t n = 0, p = 3;
};

Table Weak(size_t n, bool noise_only) {
  Table t;
  t.n = n;
  t.categorical = {0, 0, 1};
  for (size_t i = 0; i < n; ++i) {
    const double a = static_cast<double>(Mix(3 * i) % 10000) / 5000.0 - 1;
    const double b = static_cast<double>(Mix(3 * i + 1) % 10000) / 5000.0 - 1;
    const auto c = static_cast<float>(Mix(3 * i + 2) % 7);
    t.x.insert(t.x.end(), {static_cast<float>(a), static_cast<float>(b), c});
    const double z = noise_only ? 0 : 1.5 * a - b + (c == 3 ? 1 : 0);
    const double u = static_cast<double>(Mix(i + 99991) % 1000000) / 1e6;
    t.y.push_back(u < 1 / (1 + std::exp(-z)) ? 1 : 0);
  }
  return t;
}

TEST(TreesFit, DeterministicForAFixedSeedWithEarlyStopping) {
  const Table t = Weak(20000, false);
  TreesOptions o;
  o.seed = 4;
  o.early_stopping = 5;
  o.subsample = 0.8;  // the seeded part of XGBoost too
  Trees a, b;
  ASSERT_TRUE(a.Fit(t.x.data(), t.n, t.p, t.y, o, t.categorical).ok());
  ASSERT_TRUE(b.Fit(t.x.data(), t.n, t.p, t.y, o, t.categorical).ok());
  auto sa = a.Save(), sb = b.Save();
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_EQ(*sa, *sb);
  EXPECT_EQ(a.fit_info().rounds, b.fit_info().rounds);
  auto pa = a.Predict(t.x.data(), t.n, t.p), pb = b.Predict(t.x.data(), t.n, t.p);
  ASSERT_TRUE(pa.ok() && pb.ok());
  EXPECT_EQ(*pa, *pb);
  EXPECT_GT(Auc(*pa, t.y), 0.7);
  EXPECT_LT(a.fit_info().rows_trained, t.n);  // 10 % held out
  // Saved and loaded (the stopped, sliced booster with its categorical feature): the same scores.
  Trees c;
  ASSERT_TRUE(c.Load(*sa).ok());
  auto pc = c.Predict(t.x.data(), t.n, t.p);
  ASSERT_TRUE(pc.ok());
  for (size_t i = 0; i < t.n; ++i) ASSERT_NEAR((*pc)[i], (*pa)[i], 1e-6) << i;
}

TEST(TreesFit, EarlyStoppingStopsOnNoiseAndKeepsTheBestRound) {
  const Table t = Weak(20000, true);
  TreesOptions o;
  o.seed = 1;
  o.rounds = 300;
  o.early_stopping = 10;
  Trees tr;
  ASSERT_TRUE(tr.Fit(t.x.data(), t.n, t.p, t.y, o, t.categorical).ok());
  EXPECT_LT(tr.fit_info().rounds_trained, 300);
  EXPECT_EQ(tr.fit_info().rounds_trained - tr.fit_info().rounds, 10);  // the patience
  EXPECT_GT(tr.fit_info().holdout_logloss, 0.6);                       // ~log 2: nothing to learn
  auto p = tr.Predict(t.x.data(), t.n, t.p);
  ASSERT_TRUE(p.ok());
  double mean_dev = 0;  // few, weak trees: scores stay near the base rate
  for (double v : *p) mean_dev += std::abs(v - 0.5) / static_cast<double>(p->size());
  EXPECT_LT(mean_dev, 0.05);
  EXPECT_LT(tr.fit_info().rounds, 100);

  o.early_stopping = 0;  // off: every round is built
  o.rounds = 40;
  Trees all;
  ASSERT_TRUE(all.Fit(t.x.data(), t.n, t.p, t.y, o, t.categorical).ok());
  EXPECT_EQ(all.fit_info().rounds, 40);
  EXPECT_EQ(all.fit_info().rounds_trained, 40);
}

}  // namespace
}  // namespace leadgate::model
