// The sparse Newton solver (FitLogistic on Encoder::EncodeSparse) against
// the dense reference (FitLogistic on the dense matrix) and against the
// coefficients a generated table was drawn from.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "model/encode.h"
#include "model/logistic.h"
#include "model/metrics.h"
#include "test_util.h"

namespace leadgate::model {
namespace {

using testing::Gen;

// Two standard-normal numerics (x1 with 5 % missing), a categorical of four
// levels (plus a rare one and missing cells) and a job title whose word
// "vp" matters. True logit: -0.5 + 1.0 x1 - 0.7 x2 + level effect + 0.8 vp.
Dataset Generated(size_t n, uint64_t seed) {
  Gen g{seed};
  Dataset d;
  d.columns.resize(4);
  Column &x1 = d.columns[0], &x2 = d.columns[1], &cat = d.columns[2], &title = d.columns[3];
  x1.name = "x1";
  x2.name = "x2";
  x1.numeric = x2.numeric = true;
  cat.name = "segment";
  cat.levels = {"a", "b", "c", "d", "rare"};
  title.name = "Job Title";
  title.levels = {"VP Sales", "VP Finance", "Analyst Sales", "Analyst Finance", "Intern"};
  const double effect[] = {0.0, 0.6, -0.4, 1.2, 0.0};
  for (size_t i = 0; i < n; ++i) {
    const double a = g.Normal(), b = g.Normal();
    const bool miss = g.Uniform() < 0.05;
    int32_t c = static_cast<int32_t>(g.Uniform() * 4);
    if (i % 997 == 0) c = 4;   // rare: below min_level_count for small n
    if (i % 101 == 0) c = -1;  // missing
    const auto t = static_cast<int32_t>(g.Uniform() * 5);
    const double z =
        -0.5 + 1.0 * (miss ? 0.3 : a) - 0.7 * b + (c >= 0 ? effect[c] : 0.2) + (t <= 1 ? 0.8 : 0.0);
    x1.num.push_back(miss ? std::nan("") : a);
    x2.num.push_back(b);
    cat.code.push_back(c);
    title.code.push_back(t);
    d.y.push_back(g.Uniform() < 1 / (1 + std::exp(-z)) ? 1 : 0);
    d.line.push_back(static_cast<int64_t>(i) + 2);
    d.record.push_back(static_cast<int64_t>(i));
  }
  return d;
}

std::vector<uint32_t> All(const Dataset& d) {
  std::vector<uint32_t> all(d.rows());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  return all;
}

size_t Output(const Encoder& e, const std::string& name) {
  const auto& nm = e.names();
  const auto it = std::find(nm.begin(), nm.end(), name);
  EXPECT_NE(it, nm.end()) << name;
  return static_cast<size_t>(it - nm.begin());
}

std::vector<double> Scores(const LogisticModel& m, const Encoder& e, const Dataset& d) {
  auto z = e.Linear(d, All(d), m.intercept, m.beta.data());
  for (double& v : z) v = 1 / (1 + std::exp(-v));
  return z;
}

TEST(ModelLogisticSparse, SameOptimumAsTheDenseNewtonAndTheKnownCoefficients) {
  const Dataset d = Generated(20000, 7);
  const auto all = All(d);
  Encoder e;
  e.Fit(d, all, {});
  const auto x = e.Encode(d, all, false);
  const LogisticModel dense = FitLogistic(x.data(), all.size(), e.width(), d.y, {});
  const SparseDesign xs = e.EncodeSparse(d, all);
  EXPECT_EQ(xs.dense_out.size(), 2u);  // x1, x2
  // The sparse form holds exactly the dense matrix's cells.
  {
    const size_t n = all.size(), p = e.width(), k = xs.dense_out.size();
    std::vector<float> back(n * p, 0.0f);
    for (size_t i = 0; i < n; ++i) {
      for (size_t c = 0; c < k; ++c)
        back[static_cast<size_t>(xs.dense_out[c]) * n + i] = xs.dense[i * k + c];
      for (size_t t = xs.row_ptr[i]; t < xs.row_ptr[i + 1]; ++t)
        back[static_cast<size_t>(xs.ones[t]) * n + i] += 1.0f;
    }
    EXPECT_EQ(back, x);
  }
  const LogisticModel sparse = FitLogistic(xs, d.y, {});
  // Same penalised problem, both solved to the same tolerance: the
  // coefficients agree to 1e-6, the standard errors to 1e-6 relative.
  ASSERT_EQ(sparse.beta.size(), dense.beta.size());
  EXPECT_NEAR(sparse.intercept, dense.intercept, 1e-6);
  for (Eigen::Index j = 0; j < dense.beta.size(); ++j)
    EXPECT_NEAR(sparse.beta(j), dense.beta(j), 1e-6) << e.names()[static_cast<size_t>(j)];
  ASSERT_EQ(sparse.cov.rows(), dense.cov.rows());
  for (Eigen::Index j = 0; j < dense.cov.rows(); ++j)
    EXPECT_NEAR(sparse.cov(j, j), dense.cov(j, j), 1e-6 * dense.cov(j, j));
  const auto ps = Scores(sparse, e, d), pd = Scores(dense, e, d);
  EXPECT_NEAR(Auc(ps, d.y), Auc(pd, d.y), 1e-9);
  // The known answer: x2 is standardised (sd ~1), so its weight is ~-0.7;
  // a VP title ~+0.8; level d minus level a ~1.2 (20,000 rows: within 0.1).
  EXPECT_NEAR(sparse.beta(static_cast<Eigen::Index>(Output(e, "x2"))), -0.7, 0.1);
  // A title's effect is its level weight plus its word weights (collinear,
  // so the penalty splits it): compare whole titles through Terms.
  auto title_effect = [&](int32_t code) {
    for (uint32_t r = 0; r < d.rows(); ++r)
      if (d.columns[3].code[r] == code)
        for (const auto& [col, t] : e.Terms(d, r, sparse.beta.data()))
          if (col == 3) return t;
    return std::nan("");
  };
  EXPECT_NEAR(title_effect(0) - title_effect(2), 0.8, 0.1);  // VP Sales vs Analyst Sales
  EXPECT_NEAR(sparse.beta(static_cast<Eigen::Index>(Output(e, "segment=d"))) -
                  sparse.beta(static_cast<Eigen::Index>(Output(e, "segment=a"))),
              1.2, 0.1);
}

TEST(ModelLogisticSparse, DeterministicOnOneAndOnTwoThreads) {
  // 150,000 rows: the row passes run on two threads over fixed halves.
  for (size_t n : {3000u, 150000u}) {
    const Dataset d = Generated(n, 11);
    const auto all = All(d);
    Encoder e;
    e.Fit(d, all, {});
    const SparseDesign xs = e.EncodeSparse(d, all);
    LogisticOptions lo;
    lo.covariance = false;
    const LogisticModel a = FitLogistic(xs, d.y, lo), b = FitLogistic(xs, d.y, lo);
    ASSERT_EQ(a.beta.size(), b.beta.size());
    EXPECT_EQ(std::memcmp(a.beta.data(), b.beta.data(), sizeof(double) * a.beta.size()), 0) << n;
    EXPECT_EQ(a.intercept, b.intercept);
    EXPECT_EQ(a.iterations, b.iterations);
    // And it is the dense reference's optimum there too.
    const auto x = e.Encode(d, all, false);
    const LogisticModel dense = FitLogistic(x.data(), all.size(), e.width(), d.y, lo);
    for (Eigen::Index j = 0; j < a.beta.size(); ++j) EXPECT_NEAR(a.beta(j), dense.beta(j), 1e-5);
  }
}

TEST(ModelLogisticSparse, FromDenseMatchesTheDenseSolver) {
  const Dataset d = Generated(5000, 3);
  const auto all = All(d);
  Encoder e;
  e.Fit(d, all, {});
  const auto x = e.Encode(d, all, false);
  const LogisticModel a = FitLogistic(x.data(), all.size(), e.width(), d.y, {});
  const LogisticModel b =
      FitLogistic(SparseDesign::FromDense(x.data(), all.size(), e.width()), d.y, {});
  EXPECT_NEAR(a.intercept, b.intercept, 1e-6);
  for (Eigen::Index j = 0; j < a.beta.size(); ++j) EXPECT_NEAR(a.beta(j), b.beta(j), 1e-6);
}

}  // namespace
}  // namespace leadgate::model
