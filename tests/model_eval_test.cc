// Predictive scoring on small generated tables with known answers: a
// separable case, a calibrated case, one feature carrying all the signal,
// determinism, the metrics themselves, and bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "model/dataset.h"
#include "model/evaluate.h"
#include "model/metrics.h"
#include "test_util.h"

namespace leadgate::model {
namespace {

using testing::Gen;

CsvOptions O(std::string label, std::vector<std::string> drop = {}, std::string positive = "",
             std::string negative = "", std::string time = "") {
  CsvOptions o;
  o.label = std::move(label);
  o.drop = std::move(drop);
  o.positive = std::move(positive);
  o.negative = std::move(negative);
  o.time_column = std::move(time);
  return o;
}

Dataset Parse(const std::string& csv, CsvOptions o = {}) {
  if (o.label.empty()) o.label = "won";
  auto d = ParseCsvDataset(csv, "t.csv", o);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return d.ok() ? std::move(*d) : Dataset{};
}

Status ParseError(const std::string& csv, CsvOptions o = {}) {
  if (o.label.empty()) o.label = "won";
  auto d = ParseCsvDataset(csv, "t.csv", o);
  if (!d.ok()) return d.status();
  EvalOptions eo;
  auto r = Evaluate(*d, eo);
  return r.ok() ? Status::Ok() : r.status();
}

EvalReport Eval(const Dataset& d, ModelKind k, uint64_t seed = 1) {
  EvalOptions o;
  o.model = k;
  o.seed = seed;
  auto r = Evaluate(d, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(*r) : EvalReport{};
}

// x decides the label exactly (x > 0), plus a noise column.
std::string Separable(int n) {
  Gen g{7};
  std::ostringstream o;
  o << "id,x,noise,won\n";
  for (int i = 0; i < n; ++i) {
    const double x = g.Normal();
    o << i << "," << x << "," << g.Normal() << "," << (x > 0.2 ? 1 : 0) << "\n";
  }
  return o.str();
}

TEST(ModelMetrics, KnownAnswers) {
  EXPECT_DOUBLE_EQ(Auc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}), 0.75);
  EXPECT_DOUBLE_EQ(Auc({0.5, 0.5, 0.5, 0.5}, {0, 1, 0, 1}), 0.5);
  EXPECT_DOUBLE_EQ(Auc({0.9, 0.8, 0.1}, {1, 1, 0}), 1.0);
  const Metrics m = ComputeMetrics({0.2, 0.8}, {0, 1});
  EXPECT_NEAR(m.log_loss, -std::log(0.8), 1e-12);
  EXPECT_NEAR(m.brier, 0.04, 1e-12);
  ASSERT_EQ(m.deciles.size(), 10u);  // 2 rows: most deciles empty, never NaN
  for (const auto& d : m.deciles) {
    EXPECT_FALSE(std::isnan(d.conversion_rate));
    EXPECT_FALSE(std::isnan(d.lift));
  }
  ASSERT_EQ(m.calibration.size(), 2u);
  EXPECT_DOUBLE_EQ(m.calibration[0].predicted, 0.2);
  EXPECT_DOUBLE_EQ(m.calibration[1].observed, 1.0);
  const Metrics e = ComputeMetrics({}, {});
  EXPECT_EQ(e.auc, 0.5);
  EXPECT_EQ(e.log_loss, 0);
}

TEST(ModelEval, SeparableCaseIsRankedPerfectly) {
  const Dataset d = Parse(Separable(600), O("won", {"id"}));
  for (ModelKind k : {ModelKind::kLogistic, ModelKind::kTrees}) {
    const EvalReport r = Eval(d, k);
    EXPECT_GT(r.metrics.auc, 0.995) << ModelName(k);
    EXPECT_EQ(r.rows, 600);
    EXPECT_GT(r.metrics.auc, 0.5);
    EXPECT_LT(r.metrics.log_loss, r.baseline.log_loss + 0.2) << ModelName(k);
  }
}

TEST(ModelEval, CalibratedCaseIsCalibrated) {
  // P(won) = sigmoid(x): the logistic regression is the true model.
  Gen g{11};
  std::ostringstream o;
  o << "x,won\n";
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double x = 2 * g.Normal();
    o << x << "," << (g.Uniform() < 1 / (1 + std::exp(-x)) ? 1 : 0) << "\n";
  }
  const EvalReport r = Eval(Parse(o.str()), ModelKind::kLogistic);
  for (const auto& c : r.metrics.calibration) {
    if (c.leads < 500) continue;
    EXPECT_NEAR(c.observed, c.predicted, 0.04) << "bin of " << c.predicted;
  }
  // The top decile converts far above the bottom one.
  EXPECT_GT(r.metrics.deciles.front().conversion_rate, 0.9);
  EXPECT_LT(r.metrics.deciles.back().conversion_rate, 0.1);
  EXPECT_GT(r.metrics.deciles.front().lift, 1.8);
}

TEST(ModelEval, OneFeatureCarriesAllTheSignal) {
  // Channel decides: paid 60 %, organic 30 %, email 5 %; the rest is noise.
  Gen g{3};
  std::ostringstream o;
  o << "channel,city,visits,won\n";
  const char* ch[] = {"paid", "organic", "email"};
  const double rate[] = {0.6, 0.3, 0.05};
  const char* city[] = {"Lisbon", "Porto", "Faro", "Braga"};
  for (int i = 0; i < 6000; ++i) {
    const int c = i % 3;
    o << ch[c] << "," << city[static_cast<int>(g.Uniform() * 4)] << ","
      << static_cast<int>(g.Uniform() * 20) << "," << (g.Uniform() < rate[c] ? 1 : 0) << "\n";
  }
  const Dataset d = Parse(o.str());
  // The best possible AUC with three groups of 2000: computed exactly.
  std::vector<double> oracle;
  for (size_t i = 0; i < d.rows(); ++i) oracle.push_back(rate[i % 3]);
  const double best = Auc(oracle, d.y);
  for (ModelKind k : {ModelKind::kLogistic, ModelKind::kTrees}) {
    const EvalReport r = Eval(d, k);
    EXPECT_NEAR(r.metrics.auc, best, 0.02) << ModelName(k);
    EXPECT_NEAR(r.baseline.auc, best, 0.02);
  }
}

TEST(ModelEval, DeterministicGivenTheSeed) {
  const Dataset d = Parse(Separable(500), O("won", {"id"}));
  for (ModelKind k : {ModelKind::kLogistic, ModelKind::kTrees, ModelKind::kBest}) {
    const std::string a = EvalJson(Eval(d, k, 42)).dump();
    const std::string b = EvalJson(Eval(d, k, 42)).dump();
    EXPECT_EQ(a, b) << ModelName(k);
  }
  auto f1 = AssignFolds(d, 5, 1, false), f2 = AssignFolds(d, 5, 2, false);
  ASSERT_TRUE(f1.ok() && f2.ok());
  EXPECT_NE(*f1, *f2);
}

TEST(ModelEval, FoldsAreStratified) {
  const Dataset d = Parse(Separable(503), O("won", {"id"}));
  auto f = AssignFolds(d, 5, 9, false);
  ASSERT_TRUE(f.ok());
  int pos[5] = {}, all[5] = {};
  for (size_t r = 0; r < d.rows(); ++r) {
    ASSERT_GE((*f)[r], 0);
    pos[(*f)[r]] += d.y[r];
    all[(*f)[r]] += 1;
  }
  for (int k = 1; k < 5; ++k) {
    EXPECT_LE(std::abs(pos[k] - pos[0]), 1);
    EXPECT_LE(std::abs(all[k] - all[0]), 1);
  }
}

TEST(ModelEval, TimeSplitScoresOnlyLaterBlocks) {
  std::ostringstream o;
  o << "day,x,won\n";
  Gen g{5};
  for (int i = 0; i < 600; ++i) {
    const double x = g.Normal();
    o << "2024-01-" << (i % 28 + 1 < 10 ? "0" : "") << (i % 28 + 1) << "," << x << ","
      << (g.Uniform() < 1 / (1 + std::exp(-2 * x)) ? 1 : 0) << "\n";
  }
  const Dataset d = Parse(o.str(), O("won", {}, "", "", "day"));
  ASSERT_EQ(d.time.size(), 600u);
  EXPECT_EQ(d.columns.size(), 1u);  // the time column is not a feature
  const EvalReport r = Eval(d, ModelKind::kLogistic);
  EXPECT_TRUE(r.by_time);
  EXPECT_EQ(r.rows, 500);  // 6 blocks of 100, the first only trained on
  EXPECT_GT(r.metrics.auc, 0.75);
}

TEST(ModelEval, CategoricalRareValuesAndMissing) {
  std::ostringstream o;
  o << "source,score,won\n";
  for (int i = 0; i < 400; ++i) {
    const bool w = i % 4 == 0;
    o << (i == 7 ? "rare-one" : (w ? "web" : "fair")) << ","
      << (i % 5 == 0 ? "NA" : std::to_string(i % 9)) << "," << (w ? "yes" : "no") << "\n";
  }
  const Dataset d = Parse(o.str());
  EXPECT_EQ(d.positive, "yes");
  ASSERT_EQ(d.columns.size(), 2u);
  EXPECT_FALSE(d.columns[0].numeric);
  EXPECT_TRUE(d.columns[1].numeric);
  EXPECT_EQ(d.columns[1].missing, 80);
  Encoder e;
  std::vector<uint32_t> all(d.rows());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  e.Fit(d, all, {});
  const auto& nm = e.names();
  EXPECT_NE(std::find(nm.begin(), nm.end(), "source=(other)"), nm.end());
  EXPECT_NE(std::find(nm.begin(), nm.end(), "score=(missing)"), nm.end());
  EXPECT_EQ(std::find(nm.begin(), nm.end(), "source=rare-one"), nm.end());
  EXPECT_GT(Eval(d, ModelKind::kLogistic).metrics.auc, 0.95);
}

TEST(ModelEval, JobTitleWordsCarryTheSignalOfRareTitles) {
  // Every exact title is rare (< 10 rows), so the one-hot sees only
  // "(other)"; the word "vp" decides the outcome.
  std::ostringstream o;
  o << "Job Title,won\n";
  const char* dept[] = {"Finance", "Sales", "Marketing", "IT", "Ops", "HR", "Legal", "Product"};
  const char* region[] = {"EMEA", "APAC", "US", "LATAM", "DACH", "Nordics", "UK", "France"};
  Gen g{8};
  for (int i = 0; i < 1200; ++i) {
    const bool vp = i % 3 == 0;
    o << (vp ? "VP " : "Analyst ") << dept[i % 8] << " " << region[(i / 8) % 8] << " " << (i % 5)
      << "," << (g.Uniform() < (vp ? 0.7 : 0.1) ? 1 : 0) << "\n";
  }
  const Dataset d = Parse(o.str());
  Encoder e;
  std::vector<uint32_t> all(d.rows());
  for (uint32_t i = 0; i < all.size(); ++i) all[i] = i;
  e.Fit(d, all, {});
  const auto& nm = e.names();
  EXPECT_NE(std::find(nm.begin(), nm.end(), "Job Title has word vp"), nm.end());
  const EvalReport r = Eval(d, ModelKind::kLogistic);
  EXPECT_GT(r.metrics.auc, 0.75);  // the oracle (0.7 vs 0.1 by the word) has 0.817
  // The linear shortcut gives the same scores as the matrix.
  const auto x = e.Encode(d, all, false);
  const LogisticModel m = FitLogistic(x.data(), all.size(), e.width(), d.y, {});
  const auto p = m.Predict(x.data(), all.size());
  const auto z = e.Linear(d, all, m.intercept, m.beta.data());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_NEAR(p[i], 1 / (1 + std::exp(-z[i])), 1e-5);
}

TEST(ModelEval, SmallCompanyBeatsTheBaseRate) {
  // 200 leads, 30 wins, one weak real signal among noise columns.
  Gen g{21};
  std::ostringstream o;
  o << "fit,a,b,c,won\n";
  std::vector<double> z;
  for (int i = 0; i < 200; ++i) z.push_back(g.Normal());
  std::vector<size_t> idx(200);
  for (size_t i = 0; i < 200; ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return z[a] > z[b]; });
  std::vector<int> won(200, 0);
  // Wins are mostly among the higher "fit": 22 of the top 60, 8 of the rest.
  for (int k = 0; k < 22; ++k) won[idx[static_cast<size_t>(k * 60 / 22)]] = 1;
  for (int k = 0; k < 8; ++k) won[idx[60 + static_cast<size_t>(k * 140 / 8)]] = 1;
  for (int i = 0; i < 200; ++i)
    o << z[static_cast<size_t>(i)] << "," << g.Normal() << "," << g.Normal() << "," << g.Normal()
      << "," << won[static_cast<size_t>(i)] << "\n";
  const Dataset d = Parse(o.str());
  EXPECT_EQ(d.positives(), 30);
  const EvalReport r = Eval(d, ModelKind::kLogistic);
  // Better than the base rate: the base rate's log loss is the entropy.
  const double p = 0.15, base_ll = -(p * std::log(p) + (1 - p) * std::log(1 - p));
  EXPECT_LT(r.metrics.log_loss, base_ll);
  EXPECT_GT(r.metrics.auc, 0.7);
}

TEST(ModelBadInput, ClearErrors) {
  auto msg = [](const Status& s) { return s.message(); };
  EXPECT_NE(msg(ParseError("x,won\n1,0\n2,0\n3,0\n")).find("one class only"), std::string::npos);
  EXPECT_NE(msg(ParseError("x,won\n1,a\n2,b\n3,a\n", O("won", {}, "c")))
                .find("--positive 'c' is not one of its values ('a' (2), 'b' (1))"),
            std::string::npos);
  EXPECT_NE(msg(ParseError("x,y\n1,0\n")).find("no label column 'won' (columns: x, y)"),
            std::string::npos);
  const Status bad = ParseError("x,won\n1,0\n2,1,3\n\"4,1\n5,0\n");
  EXPECT_NE(msg(bad).find("t.csv:3: 3 cells, the header has 2"), std::string::npos) << msg(bad);
  EXPECT_NE(msg(bad).find("t.csv:4:"), std::string::npos) << msg(bad);
  std::ostringstream o;
  o << "x,y,won\n";
  for (int i = 0; i < 50; ++i) o << ",NA," << (i % 2) << "\n";
  EXPECT_NE(
      msg(ParseError(o.str())).find("no usable feature column: x (all missing), y (all missing)"),
      std::string::npos)
      << msg(ParseError(o.str()));
  EXPECT_NE(msg(ParseError("x,won\n1,a\n2,b\n3,c\n")).find("say which is positive"),
            std::string::npos);
  EXPECT_NE(msg(ParseError("x,won\n1,1\n2,0\n3,1\n")).find("too few rows of a class"),
            std::string::npos);
  EXPECT_NE(msg(ParseError("x,won\n1,0\n", O("won", {"nope"}))).find("--drop: no column 'nope'"),
            std::string::npos);
  EXPECT_NE(msg(ParseError("")).find("empty"), std::string::npos);
}

TEST(ModelBadInput, NegativeSkipsOpenDeals) {
  std::ostringstream o;
  o << "x,stage\n";
  for (int i = 0; i < 90; ++i)
    o << i << "," << (i % 3 == 0 ? "Won" : i % 3 == 1 ? "Lost" : "Engaging") << "\n";
  const Dataset d = Parse(o.str(), O("stage", {}, "Won", "Lost"));
  EXPECT_EQ(d.rows(), 60u);
  EXPECT_EQ(d.skipped_label, 30);
  EXPECT_EQ(d.positives(), 30);
}

}  // namespace
}  // namespace leadgate::model
