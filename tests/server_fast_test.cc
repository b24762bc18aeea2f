// The server's fast paths keep its behaviour: the lead JSON written without
// the DOM is the DOM's text, the faster time formatting is the same text, a
// revoked key stops working at once, and reads stay exact while the refold
// of ingested leads is put off under load (docs/api.md, Threads).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>

#include "app/render.h"
#include "server_support.h"
#include "store/store.h"

namespace leadgate::testing {
namespace {

using OJson = nlohmann::ordered_json;

std::string Dom(const ShowResult& r) {
  return ShowJson(r).dump(-1, ' ', false, OJson::error_handler_t::replace);
}

Event Ev(const std::string& mid, Micros ts, EventType type, const std::string& name) {
  Event e;
  e.lead_id = "L-1";
  e.message_id = mid;
  e.ts = ts;
  e.type = type;
  e.name = name;
  return e;
}

TEST(ShowJsonText, MatchesTheDom) {
  const Micros t0 = 1'767'225'600'000'000;  // 2026-01-01
  ShowResult bare;
  bare.as_of = t0;
  bare.state.id = "L-0";
  EXPECT_EQ(ShowJsonText(bare), Dom(bare));

  ShowResult r;
  r.as_of = t0 + 123'456;
  LeadState& s = r.state;
  s.id = "L-1 \"quoted\" \\ tab\t caf\xc3\xa9 bad\xff";
  s.stage = Stage::kSal;
  s.fit = 12.345;
  s.engagement = 30;
  s.total = 42.345;
  s.explanation = {
      {"title: VP", "fit", 1, 10}, {"pricing", "engagement", 3, 7.456}, {"cap", "cap", 0, -0.5}};
  s.traits["a_bool"] = Value::Bool(true);
  s.traits["a_null"] = Value::Null();
  s.traits["int"] = Value::Number(42);
  s.traits["big"] = Value::Number(1e20);
  s.traits["frac"] = Value::Number(0.1);
  s.traits["neg"] = Value::Number(-3.25);
  s.traits["str"] = Value::String("line\nbreak \x01 \xe2\x82\xac");
  s.traits["nested"] = Value::Nested(R"({"b":[1,2.5,"x"],"a":{"c":null}})");
  s.traits["nested_bad"] = Value::Nested("{not json");
  BantAnswers b;
  b.budget = "confirmed";
  b.authority = "decision_maker";
  b.timeline = "2026-05-01";
  b.by = "ana";
  b.at = t0 + 5'000'000;
  s.bant = b;
  s.bant_passes = true;
  s.history = {{t0, Stage::kLead, Stage::kMql, "system", std::nullopt, "score >= 50", false, 1},
               {t0 + 60'000'000, Stage::kMql, Stage::kSal, "ana", "called", std::nullopt, true, 2}};
  s.warnings = {"one", "two \"2\""};
  s.playbook_version = 2;
  s.owner = "ana";
  s.clocks = {{t0, t0 + 3'600'000'000, t0 + 60'000'000, "ana", "east"},
              {t0 + 10, t0 + 20, std::nullopt, std::nullopt, std::nullopt}};
  s.team = "east";
  s.assigned_at = t0 + 1;
  s.assigned_by = "routing";
  s.assign_reason = "round robin";
  r.breaches = {{"L-1", t0, t0 + 10, t0 + 11, "ana", "east", "mia"},
                {"L-1", t0 + 1, t0 + 2, t0 + 3, std::nullopt, std::nullopt, std::nullopt}};
  r.event_count = 45;
  Prediction p;
  p.probability = 0.123456;
  p.model_version = 3;
  p.kind = "trees";
  p.label = "won";
  p.factors = {{"fit", "12.3", 0.5}, {"industry", "health\"care", -1.25e-7}};
  r.prediction = p;
  // 45 events out of order (the latest 40 are written, in timeline order).
  for (int i = 0; i < 45; ++i) {
    const Micros ts = t0 + static_cast<Micros>((i * 37) % 45) * 1'000'000 + (i % 3);
    r.events.push_back(Ev("m-" + std::to_string(i), ts,
                          i % 4 == 0   ? EventType::kIdentify
                          : i % 4 == 1 ? EventType::kPage
                          : i % 4 == 2 ? EventType::kTrack
                                       : EventType::kOther,
                          i % 4 == 1 ? "page_view" : "form_submitted"));
  }
  r.events.push_back(Ev("same-ts-b", t0 + 44'000'000, EventType::kTrack, "x"));
  r.events.push_back(Ev("same-ts-a", t0 + 44'000'000, EventType::kTrack, "x"));
  EXPECT_EQ(ShowJsonText(r), Dom(r));

  // Without assignment and breaches, with an unfinished BANT and no model.
  s.team.reset();
  s.assigned_at.reset();
  r.breaches.clear();
  r.prediction.reset();
  s.bant->budget.reset();
  s.fit = std::numeric_limits<double>::quiet_NaN();
  s.engagement = 1e300;
  EXPECT_EQ(ShowJsonText(r), Dom(r));
}

TEST(ShowJsonText, FormatRfc3339KeepsItsText) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1'500'000), "1970-01-01T00:00:01.5Z");
  EXPECT_EQ(FormatRfc3339(123'456), "1970-01-01T00:00:00.123456Z");
  EXPECT_EQ(FormatRfc3339(100), "1970-01-01T00:00:00.0001Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatRfc3339(1'772'330'400'000'000), "2026-03-01T02:00:00Z");
  EXPECT_EQ(FormatRfc3339(253'402'300'799'000'000), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(253'402'300'800'000'000), "10000-01-01T00:00:00Z");
  for (Micros t = -62'000'000'000'000'000; t < 253'000'000'000'000'000; t += 98'765'432'198'765) {
    const std::string s = FormatRfc3339(t);
    auto back = ParseRfc3339(s);
    ASSERT_TRUE(back.has_value()) << s;
    EXPECT_EQ(*back, t) << s;
  }
}

HttpResult Get(int port, const std::string& target, const std::string& key) {
  return Http(port, "GET", target, "", {{"Authorization", "Bearer " + key}});
}

TEST(ServerAuth, RevokedKeyStopsWorkingAtOnce) {
  Fixture fx;
  ServerProcess srv(fx.db, {"--threads", "2"});
  const std::string rep = fx.keys["rep"], admin = fx.keys["admin"];
  const std::string ingest = fx.keys["ingest"];
  const std::string ev =
      R"({"userId":"L-3","timestamp":")" + Fixture::Ts(2) + R"(","event":"email_replied"})";
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Get(srv.port(), "/v1/leads/L-3", rep).status, 200);
  ASSERT_EQ(
      Http(srv.port(), "POST", "/v1/track", ev, {{"Authorization", "Bearer " + ingest}}).status,
      200);
  // Revoked by another process (the CLI beside the server): the next request is refused.
  ASSERT_EQ(RunLeadgate({"--db", fx.db, "key", "revoke", rep.substr(3, 16)}).exit_code, 0);
  for (int i = 0; i < 3; ++i) {
    HttpResult r = Get(srv.port(), "/v1/leads/L-3", rep);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_NE(r.body.find("revoked"), std::string::npos) << r.body;
  }
  // Revoked through the API: the ingest key stops at once on every thread.
  HttpResult del = Http(srv.port(), "DELETE", "/v1/keys/" + ingest.substr(3, 16), "",
                        {{"Authorization", "Bearer " + admin}});
  ASSERT_EQ(del.status, 200) << del.body;
  for (int i = 0; i < 4; ++i) {
    HttpResult r =
        Http(srv.port(), "POST", "/v1/track", ev, {{"Authorization", "Bearer " + ingest}});
    EXPECT_EQ(r.status, 401) << r.body;
  }
  EXPECT_EQ(Get(srv.port(), "/v1/leads/L-3", admin).status, 200);
  EXPECT_EQ(srv.Stop(), 0);
}

// Many single-event requests at once: groups wait behind each other, so the
// server puts off refolding their leads; every read still sees every
// acknowledged event, and the projections are current after shutdown.
TEST(ServerOps, ReadsStayExactWhileRefoldsArePutOff) {
  Fixture fx;
  ServerProcess srv(fx.db, {"--threads", "2", "--quiet"});
  const std::string ingest = fx.keys["ingest"], admin = fx.keys["admin"];
  constexpr int kThreads = 8, kEach = 25, kLeads = 5;
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  const std::string at = Fixture::Ts(1);
  for (int t = 0; t < kThreads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string body = R"({"userId":"P-)" + std::to_string((t * kEach + i) % kLeads) +
                                 R"(","timestamp":")" + at +
                                 R"(","event":"pricing_viewed","messageId":"p-)" +
                                 std::to_string(t) + "-" + std::to_string(i) + R"("})";
        HttpResult r =
            Http(srv.port(), "POST", "/v1/track", body, {{"Authorization", "Bearer " + ingest}});
        if (r.status == 200) ++ok;
      }
    });
  }
  for (auto& th : ts) th.join();
  ASSERT_EQ(ok.load(), kThreads * kEach);
  int64_t total = 0;
  for (int l = 0; l < kLeads; ++l) {
    HttpResult r = Get(srv.port(), "/v1/leads/P-" + std::to_string(l), admin);
    ASSERT_EQ(r.status, 200) << r.body;
    total += r.Json()["events"].get<int64_t>();
  }
  EXPECT_EQ(total, kThreads * kEach);
  // The engine thread's reads (the queue) see them too.
  HttpResult q = Get(srv.port(), "/v1/queue", admin);
  ASSERT_EQ(q.status, 200);
  int seen = 0;
  for (const auto& row : q.Json()) seen += row["id"].get<std::string>().rfind("P-", 0) == 0;
  EXPECT_EQ(seen, kLeads);
  ASSERT_EQ(srv.Stop(), 0);
  auto store = Store::Open(fx.db, false);
  ASSERT_TRUE(store.ok());
  auto dirty = (*store)->DirtyCount();
  ASSERT_TRUE(dirty.ok());
  EXPECT_EQ(*dirty, 0) << "projections left stale at shutdown";
  RunResult show = RunLeadgate({"--db", fx.db, "show", "P-0", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_EQ(nlohmann::json::parse(show.out)["events"].get<int64_t>(), kThreads * kEach / kLeads);
}

}  // namespace
}  // namespace leadgate::testing
