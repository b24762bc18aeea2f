// The compiled forest (src/model/forest.cc) scores exactly as XGBoost's own
// predict: numeric splits with missing values, native categorical splits
// (one level against the rest and partitions), unseen and invalid levels,
// after a fit, after Trees::Load and after the stored model's round trip.
#include "model/forest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/splitmix.h"
#include "model/dataset.h"
#include "model/encode.h"
#include "model/stored.h"
#include "model/trees.h"

namespace leadgate::model {
namespace {

uint64_t Mix(uint64_t z) { return SplitMix(z); }

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr size_t kP = 5;  // 3 numeric (about 20% missing), 2 categorical (30 and 6 levels)
const std::vector<uint8_t> kCategorical = {0, 1, 0, 1, 0};

// n rows of the 5 features; the label depends on all of them and on
// missingness. Rows past `n_valid` also hold levels never seen in training
// (30..40), negative, huge and fractional codes, huge numbers and
// all-missing rows.
void Table(size_t n, uint64_t seed, std::vector<float>* x, std::vector<uint8_t>* y,
           size_t n_valid) {
  x->assign(n * kP, 0);
  y->assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    float* r = x->data() + i * kP;
    const uint64_t h = Mix(seed * 1000003 + i);
    r[0] = h % 5 == 0 ? kNaN : static_cast<float>((h >> 8) % 1000) / 100.0f;
    r[1] = h % 7 == 0 ? kNaN : static_cast<float>((h >> 20) % 30);
    r[2] = (h >> 3) % 5 == 0 ? kNaN : static_cast<float>((h >> 30) % 100) - 50.0f;
    r[3] = (h >> 5) % 9 == 0 ? kNaN : static_cast<float>((h >> 40) % 6);
    r[4] = (h >> 7) % 4 == 0 ? kNaN : static_cast<float>((h >> 50) % 1000) / 1000.0f;
    if (i >= n_valid) {
      const uint64_t k = Mix(h) % 8;
      if (k == 0) r[1] = static_cast<float>(30 + (h >> 12) % 11);
      if (k == 1) r[1] = -1;
      if (k == 2) r[3] = 1e9f;
      if (k == 3) r[0] = 1e30f;  // XGBoost refuses infinities
      if (k == 4) r[2] = -1e30f;
      if (k == 5)
        for (size_t j = 0; j < kP; ++j) r[j] = kNaN;
      if (k == 6) r[3] = 2.5f;  // not a whole level
    }
    double s = std::isnan(r[0]) ? 0.8 : (r[0] - 5) / 3;
    if (!std::isnan(r[1])) s += (Mix(static_cast<uint64_t>(r[1]) * 7919) & 1) ? 1.2 : -1.2;
    if (!std::isnan(r[2])) s += r[2] > 10 ? 0.7 : -0.3;
    if (!std::isnan(r[3])) s += static_cast<double>(static_cast<int>(r[3]) % 3) - 1;
    (*y)[i] = static_cast<double>(Mix(h ^ 0xABCDEF) % 10000) / 10000.0 < 1 / (1 + std::exp(-s));
  }
}

void ExpectSame(const Trees& t, const std::vector<float>& x, size_t n, const char* what) {
  ASSERT_NE(t.forest(), nullptr) << what << ": the forest was not built";
  auto f = t.Predict(x.data(), n, kP);
  auto g = t.PredictXgboost(x.data(), n, kP);
  ASSERT_TRUE(f.ok()) << what << ": " << f.status().message();
  ASSERT_TRUE(g.ok()) << what << ": " << g.status().message();
  ASSERT_EQ(f->size(), n);
  ASSERT_EQ(g->size(), n);
  for (size_t i = 0; i < n; ++i) ASSERT_NEAR((*f)[i], (*g)[i], 1e-6) << what << " row " << i;
}

class ForestMatchesXgboost : public ::testing::TestWithParam<int> {};

TEST_P(ForestMatchesXgboost, OnEveryRowAfterFitAndAfterLoad) {
  std::vector<float> x, xs;
  std::vector<uint8_t> y, ys;
  Table(6000, 1, &x, &y, 6000);
  Table(4000, 2, &xs, &ys, 2000);  // half of them with unseen / invalid values
  TreesOptions o;
  o.rounds = 40;
  o.max_depth = 6;
  o.max_cat_to_onehot = GetParam();  // 0: one level against the rest; 1: partitions
  Trees t;
  ASSERT_TRUE(t.Fit(x.data(), 6000, kP, y, o, kCategorical).ok());
  ASSERT_NE(t.forest(), nullptr);
  EXPECT_EQ(t.forest()->trees(), 40u);
  EXPECT_GT(t.forest()->categorical_nodes(), 10u);  // the categorical rule is exercised
  EXPECT_TRUE(t.forest()->complete_layout());
  // One level against the rest: interval nodes; partitions: the bitset walk.
  EXPECT_EQ(t.forest()->interval_layout(), GetParam() == 0);
  ExpectSame(t, x, 6000, "training rows");
  ExpectSame(t, xs, 4000, "new rows");

  auto json = t.Save();
  ASSERT_TRUE(json.ok());
  Trees l;
  ASSERT_TRUE(l.Load(*json).ok());
  ExpectSame(l, xs, 4000, "loaded");
  auto a = t.Predict(xs.data(), 4000, kP), b = l.Predict(xs.data(), 4000, kP);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);  // deterministic: the same forest from the saved model

  // Threads split the rows; the result is the same to the bit.
  std::vector<double> one(4000), two(4000);
  t.forest()->Predict(xs.data(), 4000, kP, one.data(), 1);
  t.forest()->Predict(xs.data(), 4000, kP, two.data(), 2);
  EXPECT_EQ(one, two);
  EXPECT_EQ(one, *a);
}

TEST(Forest, DeepTreesUseTheNodeWalkAndStillMatch) {
  std::vector<float> x, xs;
  std::vector<uint8_t> y, ys;
  Table(6000, 3, &x, &y, 6000);
  Table(3000, 4, &xs, &ys, 1500);
  TreesOptions o;
  o.rounds = 8;
  o.max_depth = 16;
  o.min_child_weight = 0;
  o.lambda = 0;
  o.max_cat_to_onehot = 1;
  Trees t;
  ASSERT_TRUE(t.Fit(x.data(), 6000, kP, y, o, kCategorical).ok());
  ASSERT_NE(t.forest(), nullptr);
  EXPECT_FALSE(t.forest()->complete_layout());  // a tree deeper than 12
  ExpectSame(t, xs, 3000, "deep");
}

INSTANTIATE_TEST_SUITE_P(OneHotAndPartition, ForestMatchesXgboost, ::testing::Values(0, 1));

TEST(Forest, StoredModelWithCategoricalsScoresLikeXgboostAfterItsRoundTrip) {
  // A stored trees model (native categoricals: XGBoost's JSON kept as text
  // because of its NaN split conditions) loads into a forest.
  Dataset d;
  d.columns.resize(3);
  d.columns[0].name = "industry";
  for (int k = 0; k < 25; ++k)
    d.columns[0].levels.push_back(std::string("sector ").append(std::to_string(k)));
  d.columns[1].name = "size";
  d.columns[1].numeric = true;
  d.columns[2].name = "source";
  for (const char* s : {"web", "event", "referral", "ads"}) d.columns[2].levels.push_back(s);
  for (size_t i = 0; i < 5000; ++i) {
    const uint64_t h = Mix(77 + i);
    const auto k = static_cast<int32_t>(h % 26) - 1;  // -1: missing
    d.columns[0].code.push_back(k);
    d.columns[1].num.push_back(h % 6 == 0 ? std::nan("") : static_cast<double>((h >> 10) % 5000));
    d.columns[2].code.push_back(static_cast<int32_t>((h >> 30) % 5) - 1);
    const double s = (k >= 0 && (Mix(static_cast<uint64_t>(k)) & 1) ? 1.0 : -1.0) +
                     (std::isnan(d.columns[1].num.back()) ? 0.5 : 0) +
                     (d.columns[2].code.back() == 2 ? 0.8 : 0);
    d.y.push_back(static_cast<double>(Mix(h) % 1000) / 1000.0 < 1 / (1 + std::exp(-s)));
    d.line.push_back(static_cast<int64_t>(i) + 2);
    d.record.push_back(static_cast<int64_t>(i));
  }
  auto m = StoredModel::Fit(d, ModelKind::kTrees, EvalOptions{});
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto loaded = StoredModel::FromJson(nlohmann::json::parse((*m)->ToJson().dump()));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  StoredModel& s = **loaded;
  ASSERT_NE(s.trees, nullptr);
  ASSERT_NE(s.trees->forest(), nullptr);
  EXPECT_GT(s.trees->forest()->categorical_nodes(), 0u);
  ASSERT_TRUE(s.encoder.Bind(d).ok());
  std::vector<uint32_t> rows(d.rows());
  for (uint32_t i = 0; i < rows.size(); ++i) rows[i] = i;
  const auto x = s.encoder.Encode(d, rows, true);
  const size_t p = s.encoder.width();
  auto f = s.trees->Predict(x.data(), rows.size(), p);
  auto g = s.trees->PredictXgboost(x.data(), rows.size(), p);
  ASSERT_TRUE(f.ok() && g.ok());
  for (size_t i = 0; i < rows.size(); ++i) ASSERT_NEAR((*f)[i], (*g)[i], 1e-6) << i;
  auto score = s.Score(d);  // what show / queue use
  ASSERT_TRUE(score.ok());
  EXPECT_EQ(*score, *f);
}

TEST(Forest, UnexpectedModelsAreRefusedSoXgboostScoresThem) {
  EXPECT_FALSE(Forest::FromXgboostJson("").ok());
  EXPECT_FALSE(Forest::FromXgboostJson("{}").ok());
  const std::string ok_tree =
      R"({"learner":{"objective":{"name":"binary:logistic"},
      "learner_model_param":{"base_score":"5E-1","num_class":"0","num_feature":"2"},
      "gradient_booster":{"name":"gbtree","model":{"tree_info":[0],"trees":[{
      "left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_conditions":[0.5,-0.25,NaN],
      "split_indices":[1,0,0],"default_left":[1,0,0],"split_type":[0,0,0],
      "categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[]}]}}}})";
  // The NaN leaf value above is refused; with a number it is a forest.
  EXPECT_FALSE(Forest::FromXgboostJson(ok_tree).ok());
  std::string good = ok_tree;
  good.replace(good.find("NaN"), 3, "0.75");
  auto f = Forest::FromXgboostJson(good);
  ASSERT_TRUE(f.ok()) << f.status().message();
  const float x[] = {0, 0.2f, 0, 0.9f, 0, kNaN};
  double out[3];
  f->Predict(x, 3, 2, out);
  EXPECT_NEAR(out[0], 1 / (1 + std::exp(0.25)), 1e-9);  // 0.2 < 0.5: left
  EXPECT_NEAR(out[1], 1 / (1 + std::exp(-0.75)), 1e-9);
  EXPECT_NEAR(out[2], 1 / (1 + std::exp(0.25)), 1e-9);  // missing: default left
  std::string cyclic = good;
  cyclic.replace(cyclic.find("[1,-1,-1]"), 9, "[0,-1,-1]");
  EXPECT_FALSE(Forest::FromXgboostJson(cyclic).ok());
  std::string multi = good;
  multi.replace(multi.find("binary:logistic"), 15, "multi:softprob");
  EXPECT_FALSE(Forest::FromXgboostJson(multi).ok());
}

}  // namespace
}  // namespace leadgate::model
