// Routing (docs/routing.md): territory rules pick a team, round-robin within
// it, capacity and absence respected, a team queue released when capacity
// frees, assignments recorded so rebuild reproduces them, manual assign by
// managers only, and the loader's errors for bad routing blocks.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/engine.h"
#include "playbook/playbook.h"
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
  capacity: 2
  teams:
    - name: emea
      manager: maria
      reps: [ana, { name: bob, capacity: 1 }]
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

class Routing : public ::testing::Test {
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
  }
  RunResult Run(const std::vector<std::string>& args) { return RunLeadgate(args, dir_.path()); }
  RunResult Ok(const std::vector<std::string>& args) {
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    return r;
  }
  void Ingest(const std::string& name, const std::string& jsonl) {
    dir_.Write(name, jsonl);
    Ok({"ingest", name});
  }
  Json Show(const std::string& lead, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"show", lead, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Ok(args);
    return Json::parse(r.out, nullptr, false);
  }
  std::string Owner(const std::string& lead) {
    Json j = Show(lead);
    return j["owner"].is_string() ? j["owner"].get<std::string>() : "-";
  }
  // Five emea-or-na MQLs a minute apart: L1..L4 in Spain/France/Germany, L5 in the US.
  void FiveLeads() {
    Ingest("a.jsonl",
           Lead("L1", "ES", "2026-03-02T10:00:00Z") + Lead("L2", "FR", "2026-03-02T10:01:00Z") +
               Lead("L3", "DE", "2026-03-02T10:02:00Z") + Lead("L4", "ES", "2026-03-02T10:03:00Z") +
               Lead("L5", "US", "2026-03-02T10:04:00Z"));
  }
  TempDir dir_;
};

TEST_F(Routing, TerritoryPicksTheTeamAndRoundRobinWithinItRespectsCapacity) {
  FiveLeads();
  // emea: ana, bob, ana (bob holds 1 of 1), then both full: L4 waits.
  EXPECT_EQ(Owner("L1"), "ana");
  EXPECT_EQ(Owner("L2"), "bob");
  EXPECT_EQ(Owner("L3"), "ana");
  EXPECT_EQ(Owner("L4"), "-");
  // No territory matched: the default team.
  EXPECT_EQ(Owner("L5"), "cy");
  Json l1 = Show("L1");
  EXPECT_EQ(l1["assignment"]["team"], "emea");
  EXPECT_EQ(l1["assignment"]["by"], "engine");
  EXPECT_EQ(l1["assignment"]["rule"], "territory emea, round-robin");
  EXPECT_EQ(l1["stage"], "mql");  // an assignment is not a stage change
  Json l4 = Show("L4");
  EXPECT_EQ(l4["assignment"]["team"], "emea");
  EXPECT_EQ(l4["assignment"]["waiting"], true);
  EXPECT_NE(l4["assignment"]["rule"].get<std::string>().find("at capacity"), std::string::npos);
  EXPECT_EQ(Show("L5")["assignment"]["rule"], "default team na, round-robin");
  RunResult q = Ok({"queue", "--team", "emea", "--json"});
  Json qj = Json::parse(q.out);
  ASSERT_EQ(qj.size(), 1u);
  EXPECT_EQ(qj[0]["id"], "L4");
  EXPECT_EQ(Json::parse(Ok({"queue", "--team", "na", "--json"}).out).size(), 0u);
  RunResult bad = Run({"queue", "--team", "apac"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("no team 'apac'"), std::string::npos) << bad.err;
  // The journey shows the recorded assign action.
  RunResult text = Ok({"show", "L1"});
  EXPECT_NE(text.out.find("assign to ana by engine"), std::string::npos) << text.out;
}

TEST_F(Routing, AQueuedLeadIsAssignedWhenCapacityFrees) {
  FiveLeads();
  // bob's lead leaves mql/sal (reject -> nurture): bob has room for L4.
  Ok({"act", "L2", "reject", "--by", "bob", "--reason", "not now", "--at", "2026-03-02T11:00:00Z"});
  Json l4 = Show("L4");
  EXPECT_EQ(l4["owner"], "bob");
  EXPECT_EQ(l4["assignment"]["waiting"], false);
  EXPECT_EQ(l4["assignment"]["at"], "2026-03-02T11:00:00Z");
  EXPECT_NE(l4["assignment"]["rule"].get<std::string>().find("released from the queue"),
            std::string::npos);
  EXPECT_EQ(Json::parse(Ok({"queue", "--team", "emea", "--json"}).out).size(), 0u);
  // accept keeps the lead in the rep's load (sal counts): a new lead waits.
  Ok({"act", "L4", "accept", "--by", "bob", "--at", "2026-03-02T11:10:00Z"});
  Ingest("b.jsonl", Lead("L6", "FR", "2026-03-02T12:00:00Z"));
  EXPECT_EQ(Owner("L6"), "-");
  // Raising capacity (a new playbook version) releases it.
  std::string more = kPlaybook;
  more.replace(more.find("capacity: 2"), 11, "capacity: 3");
  dir_.Write("pb2.yaml", more);
  Ok({"playbook", "apply", "pb2.yaml", "--at", "2026-03-02T12:30:00Z"});
  EXPECT_EQ(Owner("L6"), "ana");
}

TEST_F(Routing, ARepMarkedAwayGetsNothingUntilBack) {
  Ok({"user", "away", "ana"});
  RunResult list = Ok({"user", "away-list"});
  EXPECT_NE(list.out.find("ana"), std::string::npos);
  Ingest("a.jsonl",
         Lead("L1", "ES", "2026-03-02T10:00:00Z") + Lead("L2", "FR", "2026-03-02T10:01:00Z"));
  EXPECT_EQ(Owner("L1"), "bob");
  EXPECT_EQ(Owner("L2"), "-");  // bob is full, ana away
  EXPECT_NE(Show("L2")["assignment"]["rule"].get<std::string>().find("ana away"),
            std::string::npos);
  Ok({"user", "back", "ana"});
  EXPECT_EQ(Owner("L2"), "ana");
  // --until in the past is refused; unknown users are named.
  EXPECT_EQ(Run({"user", "away", "ana", "--until", "2020-01-01T00:00:00Z"}).exit_code, 2);
  RunResult who = Run({"user", "away", "zed"});
  EXPECT_EQ(who.exit_code, 1);
  EXPECT_NE(who.err.find("zed"), std::string::npos);
}

TEST_F(Routing, AnAbsenceWithUntilEndsOnTimeAndReleasesTheQueue) {
  Ok({"user", "away", "ana", "--until", "2999-01-01T00:00:00Z"});
  Ingest("a.jsonl",
         Lead("L1", "ES", "2026-03-02T10:00:00Z") + Lead("L2", "FR", "2026-03-02T10:01:00Z"));
  EXPECT_EQ(Owner("L2"), "-");
  {
    auto e = Engine::Open(dir_.File("leadgate.db"));
    ASSERT_TRUE(e.ok());
    auto end = (*e)->NextAwayEnd();
    ASSERT_TRUE(end.ok() && *end);
    EXPECT_EQ(**end, *ParseDateOrTime("2999-01-01T00:00:00Z"));
    ASSERT_TRUE((*e)->EndAbsences(**end - 1).ok());  // not yet
  }
  EXPECT_EQ(Owner("L2"), "-");
  {
    auto e = Engine::Open(dir_.File("leadgate.db"));
    ASSERT_TRUE((*e)->EndAbsences(*ParseDateOrTime("2999-01-01T00:00:00Z")).ok());
    EXPECT_FALSE(*(*e)->NextAwayEnd());
  }
  // Released at the moment the absence ended.
  Json l2 = Show("L2", {"--at", "2999-01-01T00:00:00Z"});
  EXPECT_EQ(l2["owner"], "ana");
  EXPECT_EQ(l2["assignment"]["at"], "2999-01-01T00:00:00Z");
}

TEST_F(Routing, RebuildAndRefoldReproduceTheOwners) {
  FiveLeads();
  Ok({"act", "L2", "reject", "--by", "bob", "--reason", "x", "--at", "2026-03-02T11:00:00Z"});
  std::map<std::string, Json> before;
  for (const char* id : {"L1", "L2", "L3", "L4", "L5"}) {
    Json j = Show(id);
    before[id] = Json{{"owner", j["owner"]}, {"assignment", j["assignment"]}};
    Json refold = Show(id, {"--refold"});
    EXPECT_EQ(refold["owner"], j["owner"]) << id;
    EXPECT_EQ(refold["assignment"], j["assignment"]) << id;
  }
  Ok({"rebuild"});
  for (const char* id : {"L1", "L2", "L3", "L4", "L5"}) {
    Json j = Show(id);
    EXPECT_EQ((Json{{"owner", j["owner"]}, {"assignment", j["assignment"]}}), before[id]) << id;
  }
  // Rebuild records nothing new: the next lead continues the round-robin.
  Ingest("b.jsonl", Lead("L7", "ES", "2026-03-02T13:00:00Z"));
  EXPECT_EQ(Owner("L7"), "-");  // ana 2/2, bob 1/1
}

TEST_F(Routing, ManualAssignByAManagerRefusedForARep) {
  FiveLeads();
  RunResult rep =
      Run({"act", "L4", "assign", "--to", "cy", "--by", "ana", "--at", "2026-03-02T11:00:00Z"});
  EXPECT_EQ(rep.exit_code, 1);
  EXPECT_NE(rep.err.find("role rule"), std::string::npos) << rep.err;
  EXPECT_EQ(Owner("L4"), "-");
  RunResult no_to = Run({"act", "L4", "assign", "--by", "maria"});
  EXPECT_EQ(no_to.exit_code, 1);
  EXPECT_NE(no_to.err.find("--to"), std::string::npos) << no_to.err;
  RunResult unknown = Run({"act", "L4", "assign", "--to", "zed", "--by", "maria"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("zed"), std::string::npos);
  Ok({"act", "L4", "assign", "--to", "cy", "--by", "maria", "--at", "2026-03-02T11:00:00Z"});
  Json l4 = Show("L4");
  EXPECT_EQ(l4["owner"], "cy");
  EXPECT_EQ(l4["assignment"]["team"], "na");  // cy's team
  EXPECT_EQ(l4["assignment"]["by"], "maria");
  EXPECT_EQ(l4["stage"], "mql");
  // Not a response: the speed-to-lead clock still runs.
  EXPECT_TRUE(l4["sla"][0]["responded_at"].is_null());
  EXPECT_EQ(Json::parse(Ok({"queue", "--team", "emea", "--json"}).out).size(), 0u);
}

TEST_F(Routing, ApplyRefusesTeamsNamingUnknownUsersWithTheirPosition) {
  std::string bad = kPlaybook;
  bad.replace(bad.find("manager: mike"), 13, "manager: nobody");
  dir_.Write("bad.yaml", bad);
  RunResult r = Run({"playbook", "apply", "bad.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.yaml:18:16: manager 'nobody' of team 'na' is not a user"),
            std::string::npos)
      << r.err;
}

// The loader's errors: file:line:column and what to fix.
std::string ErrorOf(const std::string& yaml) {
  auto r = LoadPlaybook(yaml, "pb.yaml");
  EXPECT_FALSE(r.ok()) << yaml;
  return r.ok() ? "" : r.status().message();
}

std::string With(const std::string& from, const std::string& to) {
  std::string y = kPlaybook;
  size_t at = y.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) y.replace(at, from.size(), to);
  return y;
}

TEST(RoutingPlaybook, BadBlocksAreRejectedWithTheirPosition) {
  EXPECT_EQ(ErrorOf(With("      team: emea\n", "      team: apac\n")),
            "pb.yaml:22:13: territory rule 'emea' names unknown team 'apac' (teams: emea, na)");
  EXPECT_EQ(ErrorOf(With("capacity: 2", "capacity: -1"))
                .rfind("pb.yaml:12:13: routing capacity "
                       "must be a whole number >= 0",
                       0),
            0u);
  EXPECT_EQ(ErrorOf(With("capacity: 1 }", "capacity: 1.5 }")).rfind("pb.yaml:16:42:", 0), 0u);
  EXPECT_EQ(ErrorOf(With("default_team: na", "default_team: apac")).rfind("pb.yaml:24:17:", 0), 0u);
  EXPECT_EQ(ErrorOf(With("      reps: [cy]", "      reps: []")).rfind("pb.yaml:19:13:", 0), 0u);
  EXPECT_NE(ErrorOf(With("  first_response: 4h\n",
                         "  first_response: 4h\n  business_hours: mon-fri 09:00-17:00 Mars/Base\n"))
                .find("pb.yaml:11:19: sla business_hours: unknown time zone 'Mars/Base'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(With("  first_response: 4h\n",
                         "  first_response: 4h\n  business_hours: mon-fri 17:00-09:00 UTC\n"))
                .find("closing time 09:00 must be after the opening time 17:00"),
            std::string::npos);
  EXPECT_NE(ErrorOf(With("  first_response: 4h\n",
                         "  first_response: 4h\n  business_hours: mon-fry 09:00-17:00 UTC\n"))
                .find("'fry' is not a day"),
            std::string::npos);
  EXPECT_NE(ErrorOf(With("      reps: [cy]\n",
                         "      reps: [cy]\n      business_hours: { days: mon-fri, hours: "
                         "'9-5', time_zone: UTC }\n"))
                .find("pb.yaml:20:47: team 'na' business_hours opening time '9' is not a time "
                      "of day"),
            std::string::npos);
  EXPECT_NE(ErrorOf(With("  default_team: na\n", "  default_tam: na\n")).find("unknown key"),
            std::string::npos);
  // A good one loads, with hours parsed.
  auto ok = LoadPlaybook(With("  first_response: 4h\n",
                              "  first_response: 4h\n  business_hours: { days: 'mon-fri', hours: "
                              "'09:00-17:30', time_zone: Europe/Madrid }\n"),
                         "pb.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  ASSERT_TRUE((*ok)->business_hours);
  EXPECT_EQ((*ok)->business_hours->days, 0x1f);
  EXPECT_EQ((*ok)->business_hours->close_min, 17 * 60 + 30);
  ASSERT_TRUE((*ok)->routing);
  EXPECT_EQ((*ok)->routing->teams[0].CapacityOf(1, 2), 1);  // bob's override
  EXPECT_EQ((*ok)->routing->teams[0].CapacityOf(0, 2), 2);  // the default
}

}  // namespace
}  // namespace leadgate
