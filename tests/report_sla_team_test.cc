// report sla --by team (docs/reports.md): each speed-to-lead clock counts
// under the lead's team while it ran (routing), following a reassignment
// until answered; the same from the projections as by refolding; in the
// text and --html output too.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/projection.h"
#include "fold/fold.h"
#include "test_util.h"

namespace leadgate {
namespace {

using testing::RunLeadgate;
using testing::RunResult;
using testing::TempDir;
using Json = nlohmann::json;

const char* kPlaybook = R"(version: 1
fields: { country: text }
engagement:
  rules:
    - id: demo
      event: demo_requested
      points: 50
mql: { engagement: 50 }
sla:
  first_response: 4h
routing:
  teams:
    - name: emea
      manager: maria
      reps: [ana, bob]
    - name: na
      manager: mike
      reps: [cy]
  territories:
    - id: emea
      team: emea
      when: { field: country, in: [ES, FR, DE] }
  default_team: na
)";

std::string Lead(const std::string& id, const std::string& country, const std::string& ts) {
  return R"({"type":"identify","userId":")" + id + R"(","messageId":"i-)" + id +
         R"(","timestamp":")" + ts + R"(","traits":{"country":")" + country + "\"}}\n" +
         R"({"type":"track","userId":")" + id + R"(","event":"demo_requested","messageId":"t-)" +
         id + R"(","timestamp":")" + ts + "\"}\n";
}

class ReportSlaTeam : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("pb.yaml", kPlaybook);
    Ok({"init", "--playbook", "pb.yaml"});
    for (auto [u, r] : std::vector<std::pair<const char*, const char*>>{{"ana", "rep"},
                                                                        {"bob", "rep"},
                                                                        {"cy", "rep"},
                                                                        {"maria", "manager"},
                                                                        {"mike", "manager"}}) {
      Ok({"user", "add", u, "--role", r});
    }
    // E1 -> emea/ana, E2 -> emea/bob, N1 -> na/cy (all MQL at 10:00-10:02).
    dir_.Write("a.jsonl", Lead("E1", "ES", "2026-03-02T10:00:00Z") +
                              Lead("E2", "FR", "2026-03-02T10:01:00Z") +
                              Lead("N1", "US", "2026-03-02T10:02:00Z"));
    Ok({"ingest", "a.jsonl"});
    // E1 answered in 1 h (met); N1 answered after 5 h (breached).
    Ok({"act", "E1", "accept", "--by", "ana", "--at", "2026-03-02T11:00:00Z"});
    Ok({"act", "N1", "accept", "--by", "cy", "--at", "2026-03-02T15:02:00Z"});
  }
  RunResult Run(const std::vector<std::string>& args) { return RunLeadgate(args, dir_.path()); }
  RunResult Ok(const std::vector<std::string>& args) {
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    return r;
  }
  Json Report(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"report", "sla", "--json", "--at", "2026-03-02T20:00:00Z"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Json::parse(Ok(args).out, nullptr, false);
  }
  TempDir dir_;
};

TEST_F(ReportSlaTeam, EachClockCountsUnderTheLeadsTeam) {
  Json r = Report();
  ASSERT_FALSE(r.is_discarded());
  ASSERT_TRUE(r.contains("by_team")) << r.dump();
  const Json& t = r["by_team"];
  EXPECT_EQ(t.size(), 2u) << t.dump();
  EXPECT_EQ(t["emea"]["clocks"], 2);
  EXPECT_EQ(t["emea"]["met"], 1);
  EXPECT_EQ(t["emea"]["breached"], 1);  // E2: open, past due at 20:00
  EXPECT_EQ(t["emea"]["met_rate"], 0.5);
  EXPECT_EQ(t["emea"]["median_response_seconds"], 3600);
  EXPECT_EQ(t["na"]["clocks"], 1);
  EXPECT_EQ(t["na"]["breached"], 1);
  EXPECT_EQ(t["na"]["met_rate"], 0);
  EXPECT_EQ(r, Report({"--refold"}));  // the projections carry each clock's team

  // Text and HTML.
  RunResult text = Ok({"report", "sla", "--at", "2026-03-02T20:00:00Z"});
  const size_t by_team = text.out.find("By team");
  ASSERT_NE(by_team, std::string::npos) << text.out;
  EXPECT_NE(text.out.find("emea", by_team), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("na ", by_team), std::string::npos) << text.out;
  Ok({"report", "sla", "--at", "2026-03-02T20:00:00Z", "--html", "sla.html"});
  const std::string html = testing::ReadFile(dir_.File("sla.html"));
  EXPECT_NE(html.find("met rate by team"), std::string::npos);
  EXPECT_NE(html.find("emea"), std::string::npos);
}

TEST_F(ReportSlaTeam, AnUnansweredClockFollowsTheLeadToItsNewTeam) {
  // maria hands E2 (emea, unanswered) to cy of team na at 12:00: its clock
  // is na's now; E1's answered clock stays emea's.
  Ok({"act", "E2", "assign", "--to", "cy", "--by", "maria", "--at", "2026-03-02T12:00:00Z"});
  Json r = Report();
  const Json& t = r["by_team"];
  EXPECT_EQ(t["emea"]["clocks"], 1) << t.dump();
  EXPECT_EQ(t["emea"]["met"], 1);
  EXPECT_EQ(t["na"]["clocks"], 2);
  EXPECT_EQ(t["na"]["breached"], 2);
  EXPECT_EQ(r, Report({"--refold"}));
  // As of before the reassignment, E2's clock was still emea's.
  Json before = Json::parse(Ok({"report", "sla", "--json", "--at", "2026-03-02T11:30:00Z"}).out,
                            nullptr, false);
  EXPECT_EQ(before["by_team"]["emea"]["clocks"], 2) << before.dump();
  EXPECT_EQ(before["by_team"]["emea"]["running"], 1);
}

TEST_F(ReportSlaTeam, WithoutRoutingEveryClockIsUnderNone) {
  TempDir d;
  d.Write("pb.yaml", R"(version: 1
engagement:
  rules:
    - id: demo
      event: demo_requested
      points: 50
mql: { engagement: 50 }
sla:
  first_response: 4h
)");
  d.Write("a.jsonl", Lead("X1", "ES", "2026-03-02T10:00:00Z"));
  ASSERT_EQ(RunLeadgate({"init", "--playbook", "pb.yaml"}, d.path()).exit_code, 0);
  ASSERT_EQ(RunLeadgate({"ingest", "a.jsonl"}, d.path()).exit_code, 0);
  RunResult r = RunLeadgate({"report", "sla", "--json", "--at", "2026-03-02T20:00:00Z"}, d.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out, nullptr, false);
  const Json none = {{"(none)",
                      {{"clocks", 1},
                       {"met", 0},
                       {"breached", 1},
                       {"running", 0},
                       {"met_rate", 0.0},
                       {"median_response_seconds", nullptr},
                       {"p90_response_seconds", nullptr}}}};
  EXPECT_EQ(j["by_team"], none) << r.out;
}

}  // namespace
}  // namespace leadgate

namespace leadgate {
namespace {

// The projection carries each clock's team; a blob written before clocks had
// teams (routing tail, clocks, no clock-team section) reads the lead's team.
TEST(ProjectionClockTeams, RoundTripAndOlderBlobs) {
  LeadState s;
  s.exists = true;
  s.id = "L1";
  s.team = "na";
  s.assigned_at = 5;
  s.clocks.push_back({1, 2, std::nullopt, std::nullopt, std::string("emea")});
  s.clocks.push_back({3, 4, std::nullopt, std::nullopt, std::nullopt});
  const std::string blob = EncodeProjection(s, 0);
  LeadState d;
  int64_t n = 0;
  ASSERT_TRUE(DecodeProjection(blob, &d, &n).ok());
  ASSERT_EQ(d.clocks.size(), 2u);
  EXPECT_EQ(d.clocks[0].team, "emea");
  EXPECT_EQ(d.clocks[1].team, std::nullopt);

  // Without clock teams the section is 'C' + one absent marker per clock:
  // cutting it gives the older format.
  s.clocks[0].team.reset();
  std::string old = EncodeProjection(s, 0);
  ASSERT_GE(old.size(), 3u);
  ASSERT_EQ(old.substr(old.size() - 3), std::string("C\0\0", 3));
  old.resize(old.size() - 3);
  LeadState o;
  ASSERT_TRUE(DecodeProjection(old, &o, &n).ok());
  ASSERT_EQ(o.clocks.size(), 2u);
  EXPECT_EQ(o.clocks[0].team, "na");
  EXPECT_EQ(o.clocks[1].team, "na");
  // A truncated clock-team section is an error, not a silent default.
  EXPECT_FALSE(DecodeProjection(blob.substr(0, blob.size() - 1), &o, &n).ok());
}

}  // namespace
}  // namespace leadgate
