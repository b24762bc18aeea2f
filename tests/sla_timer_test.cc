// Real-time speed to lead (docs/routing.md): business-hours due times through
// weekends and DST, and the timer's engine logic driven by a fake clock:
// FireDueSlas fires exactly at due (not before), exactly once, escalated to
// the manager of the lead's team.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "app/engine.h"
#include "playbook/playbook.h"
#include "server_support.h"
#include "test_util.h"

namespace leadgate {
namespace {

using testing::RunLeadgate;
using testing::TempDir;
using Json = nlohmann::json;

Micros T(const char* s) { return *ParseDateOrTime(s); }

BusinessHours Hours(uint8_t days, int open, int close, const char* zone) {
  BusinessHours bh;
  bh.days = days;
  bh.open_min = open;
  bh.close_min = close;
  bh.zone = zone;
  bh.tz = FindTimeZone(zone);
  return bh;
}

TEST(BusinessTime, CountsOnlyOpenHoursOverAWeekend) {
  BusinessHours madrid = Hours(0x1f, 9 * 60, 17 * 60, "Europe/Madrid");
  ASSERT_NE(madrid.tz, nullptr);
  // Friday 16:00 in Madrid (CET, 15:00Z) + 4h: 1h on Friday, 3h from Monday 09:00 (08:00Z).
  EXPECT_EQ(AddBusinessTime(madrid, T("2026-03-06T15:00:00Z"), 4 * kHour),
            T("2026-03-09T11:00:00Z"));
  // Saturday: nothing counts until Monday 09:00.
  EXPECT_EQ(AddBusinessTime(madrid, T("2026-03-07T12:00:00Z"), 30 * kMinute),
            T("2026-03-09T08:30:00Z"));
  // Within one day.
  EXPECT_EQ(AddBusinessTime(madrid, T("2026-03-10T09:00:00Z"), 2 * kHour),
            T("2026-03-10T11:00:00Z"));
  // Exactly the whole rest of the day ends at closing time.
  EXPECT_EQ(AddBusinessTime(madrid, T("2026-03-10T15:00:00Z"), kHour), T("2026-03-10T16:00:00Z"));
}

TEST(BusinessTime, FollowsTheDstChange) {
  BusinessHours madrid = Hours(0x1f, 9 * 60, 17 * 60, "Europe/Madrid");
  // Friday 27 March 2026 16:00 CET; clocks go forward on Sunday 29 March:
  // Monday opens at 09:00 CEST = 07:00Z, so 3h left end at 10:00Z (not 11:00Z).
  EXPECT_EQ(AddBusinessTime(madrid, T("2026-03-27T15:00:00Z"), 4 * kHour),
            T("2026-03-30T10:00:00Z"));
  // A window across the change itself: every day 01:00-04:00 local. On 29
  // March it is 00:00Z-02:00Z (two real hours); the rest runs on the 30th
  // from 01:00 CEST = 23:00Z on the 29th.
  BusinessHours nights = Hours(0x7f, 60, 4 * 60, "Europe/Madrid");
  EXPECT_EQ(AddBusinessTime(nights, T("2026-03-29T00:00:00Z"), 2 * kHour + 30 * kMinute),
            T("2026-03-29T23:30:00Z"));
  // Autumn, New York: Sunday 1 Nov 2026 falls back; Monday 09:00 EST = 14:00Z.
  BusinessHours ny = Hours(0x1f, 9 * 60, 17 * 60, "America/New_York");
  EXPECT_EQ(AddBusinessTime(ny, T("2026-10-30T20:00:00Z"), 2 * kHour),  // Fri 16:00 EDT
            T("2026-11-02T15:00:00Z"));
}

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
  business_hours: mon-fri 09:00-17:00 Europe/Madrid
routing:
  teams:
    - name: emea
      manager: maria
      reps: [ana]
)";

class SlaTimer : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("pb.yaml", kPlaybook);
    ASSERT_EQ(Run({"init", "--playbook", "pb.yaml"}), 0);
    ASSERT_EQ(Run({"user", "add", "ana", "--role", "rep"}), 0);
    ASSERT_EQ(Run({"user", "add", "maria", "--role", "manager"}), 0);
    // MQL on Friday 6 March 2026 at 16:00 Madrid (15:00Z): due Monday 11:00Z.
    dir_.Write(
        "e.jsonl",
        R"({"type":"identify","userId":"L1","messageId":"i1","timestamp":"2026-03-06T15:00:00Z","traits":{"country":"ES","first_name":"Ana","last_name":"Ruiz"}})"
        "\n"
        R"({"type":"track","userId":"L1","event":"demo_requested","messageId":"t1","timestamp":"2026-03-06T15:00:00Z"})"
        "\n");
    ASSERT_EQ(Run({"ingest", "e.jsonl"}), 0);
  }
  int Run(const std::vector<std::string>& args) {
    auto r = RunLeadgate(args, dir_.path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code;
  }
  TempDir dir_;
};

TEST_F(SlaTimer, FiresExactlyAtDueOnceEscalatedToTheTeamManager) {
  const Micros due = T("2026-03-09T11:00:00Z");
  {
    auto e = Engine::Open(dir_.File("leadgate.db"));
    ASSERT_TRUE(e.ok()) << e.status().message();
    auto next = (*e)->NextSlaDue();
    ASSERT_TRUE(next.ok());
    ASSERT_TRUE(*next);
    EXPECT_EQ(**next, due);  // the fold's business-hours due, the same as show's
    ASSERT_TRUE((*e)->FireDueSlas(due - 1).ok());
    EXPECT_TRUE((*e)->Breaches("L1")->empty());  // not before
    ASSERT_TRUE((*e)->FireDueSlas(due).ok());
    auto b = (*e)->Breaches("L1");
    ASSERT_EQ(b->size(), 1u);
    EXPECT_EQ((*b)[0].due, due);
    EXPECT_EQ((*b)[0].fired_at, due);
    EXPECT_EQ((*b)[0].escalated_to, "maria");
    EXPECT_EQ((*b)[0].owner, "ana");
    EXPECT_EQ((*b)[0].team, "emea");
    // Fired clocks are not due again.
    auto after = (*e)->NextSlaDue();
    EXPECT_FALSE(*after);
    ASSERT_TRUE((*e)->FireDueSlas(due + kHour).ok());
    EXPECT_EQ((*e)->Breaches("")->size(), 1u);  // once
  }
  // A new engine (a restart) does not fire it again either.
  {
    auto e = Engine::Open(dir_.File("leadgate.db"));
    ASSERT_TRUE((*e)->FireDueSlas(due + 2 * kHour).ok());
    EXPECT_EQ((*e)->Breaches("")->size(), 1u);
  }
  auto show = RunLeadgate({"show", "L1", "--json"}, dir_.path());
  Json j = Json::parse(show.out);
  EXPECT_EQ(j["sla"][0]["due"], "2026-03-09T11:00:00Z");
  ASSERT_EQ(j["escalations"].size(), 1u);
  EXPECT_EQ(j["escalations"][0]["escalated_to"], "maria");
  auto sla = RunLeadgate({"sla", "--json", "--at", "2026-03-09T12:00:00Z"}, dir_.path());
  Json s = Json::parse(sla.out);
  ASSERT_EQ(s["open"].size(), 1u);
  EXPECT_EQ(s["open"][0]["escalated_to"], "maria");
  EXPECT_EQ(s["breaches"], 1);
}

TEST_F(SlaTimer, AClockThatRanOutDaysAgoIsRecordedButNotSent) {
  const Micros due = T("2026-03-09T11:00:00Z");
  auto e = Engine::Open(dir_.File("leadgate.db"));
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_TRUE((*e)->AddWebhook("http://127.0.0.1:9/h", {"sla.breached"}, "json", due).ok());
  // The timer's first run, three days after the clock ran out.
  ASSERT_TRUE((*e)->FireDueSlas(due + 72 * kHour).ok());
  auto b = (*e)->Breaches("L1");
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].escalated_to, "maria");
  auto owed = (*e)->Deliveries(false, 100);
  ASSERT_TRUE(owed.ok());
  EXPECT_TRUE(owed->empty()) << owed->front().type;
}

TEST_F(SlaTimer, ABreachFiredOnTimeIsSent) {
  const Micros due = T("2026-03-09T11:00:00Z");
  auto e = Engine::Open(dir_.File("leadgate.db"));
  ASSERT_TRUE(e.ok()) << e.status().message();
  ASSERT_TRUE((*e)->AddWebhook("http://127.0.0.1:9/h", {"sla.breached"}, "json", due).ok());
  ASSERT_TRUE((*e)->FireDueSlas(due).ok());
  auto owed = (*e)->Deliveries(false, 100);
  ASSERT_TRUE(owed.ok());
  ASSERT_EQ(owed->size(), 1u);
  EXPECT_EQ((*owed)[0].type, "sla.breached");
  EXPECT_EQ((*owed)[0].lead, "L1");
}

TEST_F(SlaTimer, AnAnsweredClockNeverFires) {
  ASSERT_EQ(Run({"act", "L1", "touch", "--channel", "call", "--by", "ana", "--at",
                 "2026-03-09T08:30:00Z"}),
            0);
  auto e = Engine::Open(dir_.File("leadgate.db"));
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(*(*e)->NextSlaDue());
  ASSERT_TRUE((*e)->FireDueSlas(T("2026-03-10T00:00:00Z")).ok());
  EXPECT_TRUE((*e)->Breaches("")->empty());
}

TEST_F(SlaTimer, TheCliFiresWhatIsDueToo) {
  auto r = RunLeadgate({"sla", "--fire", "--at", "2026-03-09T10:59:59Z"}, dir_.path());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.find("escalated to"), std::string::npos) << r.out;
  r = RunLeadgate({"sla", "--fire", "--at", "2026-03-09T11:00:00Z"}, dir_.path());
  EXPECT_NE(r.out.find("escalated to maria"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace leadgate

namespace leadgate::testing {
namespace {

// The server's timer, end to end: a lead becomes an MQL through the API with
// a 2-second limit; without any further request the breach is recorded and
// escalated to the team's manager. (Polls with a bound; asserts no timing.)
TEST(SlaTimerServer, TheServerFiresTheBreachWithoutAQuery) {
  TempDir dir;
  const std::string db = dir.File("s.db");
  dir.Write("pb.yaml", R"(fields: { country: text }
engagement:
  rules:
    - id: demo
      event: demo_requested
      points: 50
mql: { engagement: 50 }
sla: { first_response: 2s }
routing:
  teams:
    - name: emea
      manager: maria
      reps: [ana]
)");
  ASSERT_EQ(RunLeadgate({"--db", db, "init", "--playbook", dir.File("pb.yaml")}).exit_code, 0);
  ASSERT_EQ(RunLeadgate({"--db", db, "user", "add", "ana", "--role", "rep"}).exit_code, 0);
  ASSERT_EQ(RunLeadgate({"--db", db, "user", "add", "maria", "--role", "manager"}).exit_code, 0);
  ASSERT_EQ(RunLeadgate({"--db", db, "user", "add", "mark", "--role", "marketing"}).exit_code, 0);
  auto make_key = [&](const char* user) {
    RunResult k = RunLeadgate({"--db", db, "key", "create", user});
    EXPECT_EQ(k.exit_code, 0);
    return k.out.substr(0, k.out.find('\n'));
  };
  const std::string key = make_key("maria"), ingest = make_key("mark");
  ServerProcess server(db);
  const std::string ts = FormatRfc3339(NowMicros());
  Json track = {
      {"userId", "L1"}, {"event", "demo_requested"}, {"timestamp", ts}, {"messageId", "m1"}};
  HttpResult r = Http(server.port(), "POST", "/v1/track", track.dump(), Bearer(ingest));
  ASSERT_EQ(r.status, 200) << r.body;
  Json lead;
  for (int i = 0; i < 200 && !lead.contains("escalations"); ++i) {  // at most ~20 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto e = Engine::Open(db);
    ASSERT_TRUE(e.ok());
    auto b = (*e)->Breaches("L1");
    ASSERT_TRUE(b.ok());
    if (b->empty()) continue;
    lead = Http(server.port(), "GET", "/v1/leads/L1", "", Bearer(key)).Json();
  }
  ASSERT_TRUE(lead.contains("escalations")) << lead.dump();
  EXPECT_EQ(lead["owner"], "ana");
  EXPECT_EQ(lead["escalations"][0]["escalated_to"], "maria");
  EXPECT_EQ(lead["escalations"][0]["due"], lead["sla"][0]["due"]);
  // Fired at or after the due time, never before.
  EXPECT_GE(*ParseDateOrTime(lead["escalations"][0]["fired_at"].get<std::string>()),
            *ParseDateOrTime(lead["sla"][0]["due"].get<std::string>()));
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace leadgate::testing
