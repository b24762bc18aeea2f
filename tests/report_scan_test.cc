// The whole-store reports (funnel, sla, exceptions) read the projections over
// two lead ranges on two connections (Engine::ForEachLeadAt, any_order): the
// result must be the same as folding every lead again, with no lead missed
// or counted twice at the cut between the ranges.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/engine.h"
#include "test_util.h"

namespace leadgate::testing {
namespace {

using Json = nlohmann::json;

Json RunJson(const std::string& db, std::vector<std::string> args) {
  args.insert(args.begin(), {"--db", db});
  RunResult r = RunLeadgate(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

TEST(ReportScan, TwoRangeScanEqualsARefoldOfEveryLead) {
  TempDir dir;
  RunResult d = RunLeadgate(
      {"demo", "--dir", dir.File("demo"), "--leads", "400", "--events", "6000"}, dir.path());
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const std::string db = dir.File("demo/leadgate.db");
  {
    // The store is big enough to be split: the two-range path is the one tested.
    auto e = Engine::Open(db);
    ASSERT_TRUE(e.ok());
    auto cut = (*e)->store().SplitLeads(2);
    ASSERT_TRUE(cut.ok());
    ASSERT_EQ(cut->size(), 1u);
  }
  const std::string at = "2026-06-01T00:00:00Z";
  for (const std::vector<std::string>& report :
       {std::vector<std::string>{"report", "funnel"},
        std::vector<std::string>{"report", "funnel", "--by", "source"},
        std::vector<std::string>{"report", "funnel", "--by", "owner"},
        std::vector<std::string>{"report", "sla"},
        std::vector<std::string>{"report", "exceptions"}}) {
    std::vector<std::string> args = report;
    args.insert(args.end(), {"--json", "--at", at});
    Json fast = RunJson(db, args);
    args.push_back("--refold");
    Json slow = RunJson(db, args);
    ASSERT_FALSE(fast.is_discarded()) << report.back();
    EXPECT_EQ(fast, slow) << args[1] << " " << report.back();
  }
  Json funnel = RunJson(db, {"report", "funnel", "--json", "--at", at});
  EXPECT_EQ(funnel["leads"], 400);
  EXPECT_GT(funnel["reached"]["mql"].get<int>(), 0);
}

}  // namespace
}  // namespace leadgate::testing
