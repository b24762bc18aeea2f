// `leadgate model evaluate` through the real binary: the JSON contract, the
// human table, the HTML report, exit statuses and errors with line numbers,
// and (when ../shared/data is there) the X Education leads.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.h"

namespace leadgate::testing {
namespace {

std::string Table(int n) {
  std::ostringstream o;
  o << "Lead Id,Source,Visits,Converted\n";
  const char* src[] = {"web", "fair", "ads", "partner"};
  for (int i = 0; i < n; ++i) {
    const int s = (i * 7) % 4;
    const int visits = (i * 13) % 17;
    const bool won = (s == 0 && visits > 3) || (s == 3 && visits > 12) || i % 29 == 0;
    o << "L-" << i << "," << src[s] << "," << (i % 11 == 0 ? "" : std::to_string(visits)) << ","
      << (won ? 1 : 0) << "\n";
  }
  return o.str();
}

void CheckMetrics(const nlohmann::json& m) {
  for (const char* k : {"auc", "log_loss", "brier"}) {
    ASSERT_TRUE(m.contains(k)) << k;
    ASSERT_TRUE(m[k].is_number()) << k;
    EXPECT_TRUE(std::isfinite(m[k].get<double>())) << k;
  }
  ASSERT_EQ(m["deciles"].size(), 10u);
  for (const auto& d : m["deciles"])
    for (const char* k : {"decile", "leads", "conversion_rate", "lift"})
      ASSERT_TRUE(d[k].is_number()) << k;
  ASSERT_FALSE(m["calibration"].empty());
  for (const auto& c : m["calibration"])
    for (const char* k : {"predicted", "observed", "leads"}) ASSERT_TRUE(c[k].is_number()) << k;
}

TEST(ModelCli, EvaluateJsonContract) {
  TempDir t;
  t.Write("leads.csv", Table(400));
  for (const char* model : {"logistic", "trees", "best"}) {
    auto r = RunLeadgate({"model", "evaluate", "--csv", t.File("leads.csv"), "--label", "Converted",
                          "--drop", "Lead Id", "--model", model, "--seed", "3", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("nan"), std::string::npos);
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["rows"], 400);
    EXPECT_EQ(j["folds"], 5);
    EXPECT_TRUE(j["positives"].is_number_integer());
    if (std::string(model) != "best") {
      EXPECT_EQ(j["model"], model);
    }
    CheckMetrics(j);
    CheckMetrics(j["baseline"]);
    EXPECT_GT(j["auc"].get<double>(), 0.8) << model;
    // Same seed, same answer.
    auto again =
        RunLeadgate({"model", "evaluate", "--csv", t.File("leads.csv"), "--label", "Converted",
                     "--drop", "Lead Id", "--model", model, "--seed", "3", "--json"});
    EXPECT_EQ(again.out, r.out);
  }
}

// XGBoost is loaded only when a tree model needs it: without the library,
// trees fail saying what to fix, and the other models still work.
TEST(ModelCli, TreesWithoutXgboostSayWhyAndOtherModelsStillWork) {
  TempDir t;
  t.Write("leads.csv", Table(200));
  ASSERT_EQ(setenv("LEADGATE_XGBOOST_LIB", t.File("no-such-libxgboost.so").c_str(), 1), 0);
  auto r = RunLeadgate({"model", "evaluate", "--csv", t.File("leads.csv"), "--label", "Converted",
                        "--drop", "Lead Id", "--model", "trees", "--folds", "3"});
  auto logistic =
      RunLeadgate({"model", "evaluate", "--csv", t.File("leads.csv"), "--label", "Converted",
                   "--drop", "Lead Id", "--model", "logistic", "--folds", "3", "--json"});
  unsetenv("LEADGATE_XGBOOST_LIB");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("cannot load XGBoost, which tree models need"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no-such-libxgboost.so"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("LEADGATE_XGBOOST_LIB"), std::string::npos) << r.err;
  ASSERT_EQ(logistic.exit_code, 0) << logistic.err;
  EXPECT_EQ(nlohmann::json::parse(logistic.out)["model"], "logistic");
  // Not linked either (else every process would load it at start anyway).
  FILE* p = popen(("objdump -p '" + std::string(LEADGATE_BIN) + "'").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string dynamic;
  char buf[4096];
  for (size_t k; (k = fread(buf, 1, sizeof buf, p)) > 0;) dynamic.append(buf, k);
  ASSERT_EQ(pclose(p), 0) << "objdump -p " << LEADGATE_BIN;
  EXPECT_NE(dynamic.find("NEEDED"), std::string::npos) << dynamic;
  EXPECT_EQ(dynamic.find("libxgboost"), std::string::npos) << dynamic;
}

TEST(ModelCli, HumanTableAndHtml) {
  TempDir t;
  t.Write("leads.csv", Table(300));
  auto r = RunLeadgate({"model", "evaluate", "--csv", t.File("leads.csv"), "--label", "Converted",
                        "--drop", "lead_id", "--folds", "3", "--html", t.File("r.html")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ROC AUC"), std::string::npos);
  EXPECT_NE(r.out.find("decile"), std::string::npos);
  const std::string html = ReadFile(t.File("r.html"));
  EXPECT_NE(html.find("ROC curve"), std::string::npos);
  EXPECT_NE(html.find("Calibration"), std::string::npos);
  EXPECT_NE(html.find("Lift per decile"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
}

TEST(ModelCli, BadInputSaysWhatAndWhere) {
  TempDir t;
  t.Write("one.csv", "x,Converted\n1,0\n2,0\n");
  auto r = RunLeadgate({"model", "evaluate", "--csv", t.File("one.csv"), "--label", "Converted"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("one class only"), std::string::npos) << r.err;

  t.Write("bad.csv", "x,Converted\n1,0\n2,1\n3,1,4\n\"5,0\n6,1\n");
  r = RunLeadgate({"model", "evaluate", "--csv", t.File("bad.csv"), "--label", "Converted"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.csv:4: 3 cells, the header has 2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.csv:5:"), std::string::npos) << r.err;

  t.Write("ok.csv", Table(100));
  r = RunLeadgate({"model", "evaluate", "--csv", t.File("ok.csv"), "--label", "Converted",
                   "--positive", "yes"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--positive 'yes' is not one of its values"), std::string::npos) << r.err;

  r = RunLeadgate({"model", "evaluate", "--csv", t.File("ok.csv"), "--label", "Converted", "--drop",
                   "Lead Id,Source,Visits"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no feature columns left"), std::string::npos) << r.err;

  r = RunLeadgate({"model", "evaluate", "--csv", t.File("ok.csv"), "--label", "Converted",
                   "--model", "forest"});
  EXPECT_EQ(r.exit_code, 2);
  r = RunLeadgate({"model", "evaluate", "--csv", t.File("missing.csv"), "--label", "Converted"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot open"), std::string::npos);
  r = RunLeadgate({"model", "evaluate", "--csv", t.File("ok.csv")});
  EXPECT_EQ(r.exit_code, 2);
  r = RunLeadgate({"model", "evaluate", "--from-store", "--label", "x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("won or sql"), std::string::npos) << r.err;
}

TEST(ModelCli, TrainWritesWeightsWithUncertainty) {
  TempDir t;
  t.Write("leads.csv", Table(400));
  auto r = RunLeadgate({"model", "train", "--csv", t.File("leads.csv"), "--label", "Converted",
                        "--drop", "Lead Id", "--out", t.File("m.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("strongest weights"), std::string::npos);
  const auto j = nlohmann::json::parse(ReadFile(t.File("m.json")));
  EXPECT_EQ(j["model"], "logistic");
  EXPECT_EQ(j["data"]["rows"], 400);
  EXPECT_TRUE(j["trained_at"].is_string());
  EXPECT_GT(j["metrics"]["auc"].get<double>(), 0.8);
  ASSERT_FALSE(j["weights"].empty());
  for (const auto& w : j["weights"]) {
    EXPECT_TRUE(std::isfinite(w["weight"].get<double>()));
    EXPECT_GT(w["se"].get<double>(), 0);
  }
  // Fewer leads, wider intervals: the same table cut to 100 rows.
  t.Write("few.csv", Table(100));
  auto f = RunLeadgate({"model", "train", "--csv", t.File("few.csv"), "--label", "Converted",
                        "--drop", "Lead Id", "--json"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  const auto jf = nlohmann::json::parse(f.out);
  auto se_of = [](const nlohmann::json& m, const std::string& name) {
    for (const auto& w : m["weights"])
      if (w["feature"] == name) return w["se"].get<double>();
    return -1.0;
  };
  EXPECT_GT(se_of(jf, "Visits"), se_of(j, "Visits"));
  EXPECT_GT(se_of(j, "Visits"), 0);
}

TEST(ModelCli, XEducationLeadsBeatTheBaseline) {
  const std::string shared = SharedDir();
  const std::string csv = shared + "/data/x-education-leads/Leads.csv";
  if (shared.empty() || !std::filesystem::exists(csv))
    GTEST_SKIP() << "../shared/data/x-education-leads is absent: real-data check skipped";
  auto r = RunLeadgate(
      {"model", "evaluate", "--csv", csv, "--label", "Converted", "--drop",
       "Prospect ID,Lead Number,Tags,Lead Quality,Lead Profile,Last Activity,Last Notable "
       "Activity,Asymmetrique Activity Index,Asymmetrique Profile Index,Asymmetrique Activity "
       "Score,Asymmetrique Profile Score",
       "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["rows"], 9240);
  EXPECT_EQ(j["positives"], 3561);
  EXPECT_GT(j["auc"].get<double>(), j["baseline"]["auc"].get<double>());
  EXPECT_LT(j["log_loss"].get<double>(), j["baseline"]["log_loss"].get<double>());
}

}  // namespace
}  // namespace leadgate::testing
