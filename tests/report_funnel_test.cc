// report funnel: cohort maths on hand-made histories with known answers, and
// the command on a generated store (projections == refold, groups add up,
// cohort bounds, bad --by).
#include <gtest/gtest.h>

#include "app/reports.h"
#include "common/time.h"
#include "qa_support.h"

namespace leadgate::testing {
namespace {

const Micros kT0 = 1772323200LL * kSecond;  // 2026-03-01T00:00:00Z

HistoryEntry H(int hours, Stage from, Stage to, std::string by = "engine",
               std::optional<std::string> reason = std::nullopt,
               std::optional<std::string> rule = std::nullopt) {
  HistoryEntry e;
  e.at = kT0 + hours * kHour;
  e.from = from;
  e.to = to;
  e.by = std::move(by);
  e.reason = std::move(reason);
  e.rule = std::move(rule);
  return e;
}

std::optional<double> Conv(const FunnelGroup& g, const std::string& key) {
  for (const auto& [k, v] : g.conversion) {
    if (k == key) return v;
  }
  ADD_FAILURE() << "no conversion " << key;
  return std::nullopt;
}

// A demo store of 150 generated leads and 3,000 events (realistic data for
// the reports), and `leadgate --db STORE ...` runs on it.
struct Demo {
  TempDir dir;
  std::string db = dir.File("demo/leadgate.db");
  bool ok = false;
  Demo() {
    RunResult d = RunLeadgate(
        {"demo", "--dir", dir.File("demo"), "--leads", "150", "--events", "3000"}, dir.path());
    EXPECT_EQ(d.exit_code, 0) << d.err;
    ok = d.exit_code == 0;
  }
  Json RunJson(const std::vector<std::string>& args) const {
    std::vector<std::string> full = {"--db", db};
    full.insert(full.end(), args.begin(), args.end());
    RunResult r = RunLeadgate(full, dir.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }
};

TEST(FunnelMaths, StagesPassedConversionsAndReasons) {
  using S = Stage;
  std::vector<std::vector<HistoryEntry>> h = {
      // A: the whole way to won.
      {H(10, S::kLead, S::kMql), H(12, S::kMql, S::kSal, "ana"), H(20, S::kSal, S::kSql, "ana"),
       H(30, S::kSql, S::kOpportunity, "ana"), H(50, S::kOpportunity, S::kWon, "ana")},
      // B: rejected to nurture, back to MQL later: counted once.
      {H(5, S::kLead, S::kMql), H(6, S::kMql, S::kSal, "bo"),
       H(8, S::kSal, S::kNurture, "bo", "no budget"), H(40, S::kNurture, S::kMql)},
      // C: self-qualified straight to SQL, never an MQL.
      {H(3, S::kLead, S::kSql, "engine", "self-qualified")},
      // D: disqualified by a rule.
      {H(1, S::kLead, S::kDisq, "engine", "Competitor domain", "competitor")},
      // E: still a lead.
      {},
  };
  FunnelReport r;
  r.by = "month";
  FunnelBuilder b(&r);
  for (size_t i = 0; i < h.size(); ++i) {
    b.Add({kT0, i < 3 ? "2026-03" : "2026-04", &h[i]});
  }
  b.Finish();
  const FunnelGroup& g = r.all;
  EXPECT_EQ(g.leads, 5);
  auto reached = [&](S s) { return g.reached[static_cast<size_t>(s)]; };
  EXPECT_EQ(reached(S::kLead), 5);
  EXPECT_EQ(reached(S::kMql), 2) << "B re-entered MQL but counts once";
  EXPECT_EQ(reached(S::kSal), 2);
  EXPECT_EQ(reached(S::kSql), 2) << "C is an SQL that never was an MQL";
  EXPECT_EQ(reached(S::kOpportunity), 1);
  EXPECT_EQ(reached(S::kWon), 1);
  EXPECT_EQ(reached(S::kNurture), 1);
  EXPECT_EQ(reached(S::kDisq), 1);
  EXPECT_DOUBLE_EQ(*Conv(g, "lead->mql"), 2.0 / 5);
  EXPECT_DOUBLE_EQ(*Conv(g, "mql->sal"), 1.0);
  EXPECT_DOUBLE_EQ(*Conv(g, "sal->sql"), 0.5) << "C's SQL is not after an SAL";
  EXPECT_DOUBLE_EQ(*Conv(g, "sql->opportunity"), 0.5);
  EXPECT_DOUBLE_EQ(*Conv(g, "opportunity->won"), 1.0);
  EXPECT_DOUBLE_EQ(*Conv(g, "mql->won"), 0.5);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].reason, "no budget");
  ASSERT_EQ(r.disqualified.size(), 1u);
  EXPECT_EQ(r.disqualified[0].reason, "competitor");
  // Completed stays: in sal, A 8 h and B 2 h.
  const StageTime& sal = r.time_in_stage[static_cast<size_t>(S::kSal)];
  EXPECT_EQ(sal.stays, 2);
  EXPECT_DOUBLE_EQ(*sal.median_hours, 5.0);
  EXPECT_DOUBLE_EQ(*sal.p90_hours, 8.0);
  // Groups add up; a group where nobody reached a stage has a null rate.
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(r.groups["2026-03"].leads + r.groups["2026-04"].leads, 5);
  EXPECT_FALSE(Conv(r.groups["2026-04"], "mql->sal").has_value());
}

TEST(ReportFunnel, ProjectionsAgreeWithRefoldAndGroupsAddUp) {
  Demo demo;
  ASSERT_TRUE(demo.ok);
  const TempDir& dir = demo.dir;
  const std::string& db = demo.db;
  const std::string at = "2026-06-01T00:00:00Z";
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = {"--db", db, "report", "funnel", "--json", "--at", at};
    a.insert(a.end(), extra.begin(), extra.end());
    RunResult r = RunLeadgate(a, dir.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  };
  Json fast = run({});
  Json slow = run({"--refold"});
  ASSERT_FALSE(fast.is_discarded());
  EXPECT_EQ(fast, slow);
  EXPECT_EQ(fast["leads"], 150);
  EXPECT_EQ(fast["reached"]["lead"], 150);
  EXPECT_GT(fast["reached"]["mql"].get<int>(), 0);
  EXPECT_TRUE(fast["by"].is_null());
  for (const char* by : {"source", "industry", "owner", "month", "playbook_version"}) {
    Json g = run({"--by", by});
    int64_t sum = 0, mql = 0;
    for (const auto& [k, v] : g["by"].items()) {
      sum += v["leads"].get<int64_t>();
      mql += v["reached"]["mql"].get<int64_t>();
    }
    EXPECT_EQ(sum, 150) << by;
    EXPECT_EQ(mql, fast["reached"]["mql"].get<int64_t>()) << by;
    EXPECT_EQ(g, run({"--by", by, "--refold"})) << by;
  }
  // A cohort bound keeps fewer leads; an empty cohort has null conversions.
  Json early = run({"--to", "2026-03-10T00:00:00Z"});
  EXPECT_LT(early["leads"].get<int>(), 150);
  Json none = run({"--from", "2030-01-01T00:00:00Z"});
  EXPECT_EQ(none["leads"], 0);
  EXPECT_TRUE(none["conversion"]["lead->mql"].is_null());
  RunResult bad = RunLeadgate({"--db", db, "report", "funnel", "--by", "colour"}, dir.path());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--by must be"), std::string::npos) << bad.err;
  RunResult bad_t =
      RunLeadgate({"--db", db, "report", "funnel", "--from", "yesterday"}, dir.path());
  EXPECT_EQ(bad_t.exit_code, 2);
  EXPECT_NE(bad_t.err.find("--from 'yesterday'"), std::string::npos) << bad_t.err;
}

TEST(ReportStalled, WaitingLeadsOldestFirstAndAnActionClearsThem) {
  Demo demo;
  ASSERT_TRUE(demo.ok);
  const TempDir& dir = demo.dir;
  const std::string& db = demo.db;
  auto stalled = [&](const std::string& at, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"--db", db, "report", "stalled", "--json", "--at", at};
    a.insert(a.end(), extra.begin(), extra.end());
    RunResult r = RunLeadgate(a, dir.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  };
  const std::string at = "2026-06-01T00:00:00Z";
  Json rows = stalled(at);
  ASSERT_TRUE(rows.is_array());
  ASSERT_GT(rows.size(), 0u);
  EXPECT_EQ(rows, stalled(at, {"--refold"}));
  std::string prev;
  for (const auto& r : rows) {
    std::string stage = r["stage"];
    EXPECT_TRUE(stage == "mql" || stage == "sal" || stage == "sql") << r;
    EXPECT_GE(r["idle_seconds"].get<int64_t>(), 3 * 86400) << r;
    EXPECT_GE(r["since"].get<std::string>(), prev) << "oldest first";
    prev = r["since"];
  }
  // A week's threshold lists fewer; 0 lists at least as many.
  EXPECT_LE(stalled(at, {"--older-than", "30d"}).size(), rows.size());
  EXPECT_GE(stalled(at, {"--older-than", "0m"}).size(), rows.size());

  // Accepting the oldest MQL takes it off the list until its SAL idles 3 days.
  std::string lead;
  for (const auto& r : rows) {
    if (r["stage"] == "mql") {
      lead = r["id"];
      break;
    }
  }
  ASSERT_FALSE(lead.empty());
  ASSERT_EQ(
      RunLeadgate({"--db", db, "user", "add", "qa-rep", "--role", "rep"}, dir.path()).exit_code, 0);
  RunResult act =
      RunLeadgate({"--db", db, "act", lead, "accept", "--by", "qa-rep", "--at", at}, dir.path());
  ASSERT_EQ(act.exit_code, 0) << act.err;
  auto find = [&](const Json& list) -> Json {
    for (const auto& r : list) {
      if (r["id"] == lead) return r;
    }
    return Json();
  };
  EXPECT_TRUE(find(stalled("2026-06-01T01:00:00Z")).is_null());
  Json later = find(stalled("2026-06-05T00:00:00Z"));
  ASSERT_FALSE(later.is_null());
  EXPECT_EQ(later["stage"], "sal");
  EXPECT_EQ(later["owner"], "qa-rep");
  EXPECT_EQ(later["idle_seconds"], 4 * 86400);
  RunResult bad =
      RunLeadgate({"--db", db, "report", "stalled", "--older-than", "soon"}, dir.path());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--older-than 'soon'"), std::string::npos) << bad.err;
}

TEST(SlaCompliance, IsoWeeks) {
  auto at = [](const char* t) { return *ParseDateOrTime(t); };
  EXPECT_EQ(IsoWeek(at("2026-01-01T12:00:00Z")), "2026-W01");  // a Thursday
  EXPECT_EQ(IsoWeek(at("2027-01-01T00:00:00Z")), "2026-W53");  // a Friday
  EXPECT_EQ(IsoWeek(at("2024-12-30T00:00:00Z")), "2025-W01");  // a Monday
  EXPECT_EQ(IsoWeek(at("2021-01-03T23:59:59Z")), "2020-W53");  // a Sunday
  EXPECT_EQ(IsoWeek(at("2026-03-02T00:00:00Z")), "2026-W10");
}

TEST(SlaCompliance, MetBreachedRunningAndRates) {
  SlaComplianceReport r;
  r.as_of = kT0 + kDay;
  SlaComplianceBuilder b(&r);
  auto clock = [](Micros mql, std::optional<Micros> resp, std::optional<std::string> by) {
    SlaClock c;
    c.mql_at = mql;
    c.due = mql + 5 * kMinute;
    c.responded_at = resp;
    c.responded_by = std::move(by);
    return c;
  };
  b.Add({clock(kT0, kT0 + 2 * kMinute, "ana")}, "ana");                 // met, 120 s
  b.Add({clock(kT0, kT0 + 10 * kMinute, "ana")}, "ana");                // answered late
  b.Add({clock(kT0, std::nullopt, std::nullopt)}, std::nullopt);        // open, past due
  b.Add({clock(r.as_of - kMinute, std::nullopt, std::nullopt)}, "bo");  // open, time left
  b.Finish();
  EXPECT_EQ(r.all.clocks, 4);
  EXPECT_EQ(r.all.met, 1);
  EXPECT_EQ(r.all.breached, 2);
  EXPECT_EQ(r.all.running, 1);
  EXPECT_DOUBLE_EQ(*r.all.met_rate, 1.0 / 3);
  EXPECT_DOUBLE_EQ(*r.all.median_response_seconds, 360);
  EXPECT_DOUBLE_EQ(*r.all.p90_response_seconds, 600);
  EXPECT_EQ(r.by_owner["ana"].clocks, 2);
  EXPECT_DOUBLE_EQ(*r.by_owner["ana"].met_rate, 0.5);
  EXPECT_EQ(r.by_owner["(unassigned)"].breached, 1);
  EXPECT_FALSE(r.by_owner["bo"].met_rate.has_value()) << "nothing decided yet";
  ASSERT_EQ(r.by_week.size(), 1u);
}

TEST(ReportSla, AgreesWithSlaAndAddsUp) {
  Demo demo;
  ASSERT_TRUE(demo.ok);
  const std::string at = "2026-06-01T00:00:00Z";
  auto json = [&](const std::vector<std::string>& a) { return demo.RunJson(a); };
  Json rep = json({"report", "sla", "--json", "--at", at});
  Json sla = json({"sla", "--json", "--at", at});
  ASSERT_FALSE(rep.is_discarded());
  EXPECT_EQ(rep, json({"report", "sla", "--json", "--at", at, "--refold"}));
  EXPECT_GT(rep["clocks"].get<int>(), 0);
  EXPECT_EQ(rep["met"], sla["met"]);
  EXPECT_EQ(rep["breached"], sla["breaches"]);
  EXPECT_EQ(rep["limit_seconds"], sla["limit_seconds"]);
  for (const char* dim : {"by_owner", "by_team", "by_week"}) {
    int64_t clocks = 0, met = 0;
    for (const auto& [k, v] : rep[dim].items()) {
      clocks += v["clocks"].get<int64_t>();
      met += v["met"].get<int64_t>();
    }
    EXPECT_EQ(clocks, rep["clocks"].get<int64_t>()) << dim;
    EXPECT_EQ(met, rep["met"].get<int64_t>()) << dim;
  }
}

TEST(ReportExceptions, OverridesAndSelfQualificationsByPath) {
  Demo demo;
  ASSERT_TRUE(demo.ok);
  const TempDir& dir = demo.dir;
  const std::string& db = demo.db;
  const std::string at = "2026-06-01T00:00:00Z";
  auto json = [&](const std::vector<std::string>& a) { return demo.RunJson(a); };
  Json before = json({"report", "exceptions", "--json", "--at", at});
  ASSERT_FALSE(before.is_discarded());
  // A manager overrides one still-new lead into SQL.
  Json queue = json({"queue", "--json", "--stage", "lead", "--limit", "1", "--at", at});
  ASSERT_EQ(queue.size(), 1u);
  const std::string lead = queue[0]["id"];
  ASSERT_EQ(
      RunLeadgate({"--db", db, "user", "add", "boss", "--role", "manager"}, dir.path()).exit_code,
      0);
  RunResult o = RunLeadgate({"--db", db, "act", lead, "override", "--by", "boss", "--reason",
                             "board member's referral", "--at", at},
                            dir.path());
  ASSERT_EQ(o.exit_code, 0) << o.err;
  Json after = json({"report", "exceptions", "--json", "--at", at});
  EXPECT_EQ(after, json({"report", "exceptions", "--json", "--at", at, "--refold"}));
  EXPECT_EQ(after["overrides"], before["overrides"].get<int>() + 1);
  EXPECT_EQ(after["overrides_by"]["boss"], 1);
  EXPECT_EQ(after["self_qualified"], before["self_qualified"]);
  EXPECT_EQ(after["paths"]["override"]["leads"],
            before["paths"]["override"]["leads"].get<int>() + 1);
  EXPECT_GE(after["paths"]["override"]["reached"]["sql"].get<int>(), 1);
  int64_t sum = 0;
  for (const char* p : {"override", "self_qualified", "normal"}) {
    sum += after["paths"][p]["leads"].get<int64_t>();
  }
  EXPECT_EQ(sum, 150);
  EXPECT_EQ(after["paths"]["self_qualified"]["leads"].get<int>(),
            after["self_qualified"].get<int>())
      << "the demo's self-qualified leads did so once each";
}

}  // namespace
}  // namespace leadgate::testing
