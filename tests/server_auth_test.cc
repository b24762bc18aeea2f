// The authorisation matrix: every endpoint x every role x (no key, revoked
// key, wrong key, malformed key), against a real server. Allowed calls may
// succeed or be refused by the funnel rules, but never 401/403 (nor 5xx);
// forbidden ones are 403; bad keys are 401 everywhere but /healthz.
#include <gtest/gtest.h>

#include <set>

#include "server_support.h"

namespace leadgate::testing {
namespace {

struct Endpoint {
  std::string method, target, body;
  std::set<std::string> allowed;  // roles; "none" = no key needed
};

TEST(ServerAuth, EveryEndpointEveryRoleEveryBadKey) {
  Fixture fx;
  fx.keys["spare"] = fx.Key({"bob"});
  const std::string spare_id = fx.keys["spare"].substr(3, 16);
  RunResult wh = RunLeadgate({"--db", fx.db, "webhook", "add", "http://127.0.0.1:9/never"});
  ASSERT_EQ(wh.exit_code, 0) << wh.err;
  const std::string wh_id = wh.err.substr(wh.err.find("wh_"), 15);
  ServerProcess srv(fx.db);
  const std::string ts = Fixture::Ts(3);
  const std::string ev = R"({"userId":"L-7","timestamp":")" + ts + R"(","event":"email_replied"})";
  const std::string yaml = ReadFile(std::string(LEADGATE_SOURCE_DIR) + "/playbooks/default.yaml");
  const std::set<std::string> full = {"admin", "manager", "rep", "marketing"};
  const std::set<std::string> senders = {"admin", "marketing", "ingest"};
  const std::set<std::string> admin = {"admin"};
  const std::vector<Endpoint> endpoints = {
      {"GET", "/healthz", "", {"none", "admin", "manager", "rep", "marketing", "ingest"}},
      {"GET", "/metrics", "", full},
      {"GET", "/openapi.json", "", {"admin", "manager", "rep", "marketing", "ingest"}},
      {"POST", "/v1/batch", std::string(R"({"batch":[{"type":"track",)") + ev.substr(1) + "]}",
       senders},
      {"POST", "/v1/track", ev, senders},
      {"POST", "/v1/identify", R"({"userId":"L-7","timestamp":")" + ts + R"("})", senders},
      {"POST", "/v1/page", R"({"userId":"L-7","timestamp":")" + ts + R"("})", senders},
      {"GET", "/v1/leads/L-3", "", full},
      {"POST", "/v1/leads/L-4/actions/touch", R"({"channel":"call"})", {"admin", "manager", "rep"}},
      {"GET", "/v1/queue", "", full},
      {"GET", "/v1/queue?owner=me", "", full},
      {"GET", "/v1/sla", "", full},
      {"GET", "/v1/playbook", "", full},
      {"POST", "/v1/playbook/check", yaml, full},
      {"PUT", "/v1/playbook", yaml, admin},
      {"GET", "/v1/users", "", admin},
      {"POST", "/v1/users", R"({"name":"zed","role":"rep"})", admin},
      {"GET", "/v1/keys", "", admin},
      {"POST", "/v1/keys", R"({"user":"bob"})", admin},
      {"DELETE", "/v1/keys/" + spare_id, "", admin},
      {"GET", "/v1/webhooks", "", admin},
      {"POST", "/v1/webhooks", R"({"url":"http://127.0.0.1:9/x","events":["lead.mql"]})", admin},
      {"DELETE", "/v1/webhooks/" + wh_id, "", admin},
  };
  std::string wrong = fx.keys["admin"];
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  const std::vector<std::pair<std::string, Headers>> bad = {
      {"no key", {}},
      {"revoked key", Bearer(fx.keys["revoked"])},
      {"wrong key", Bearer(wrong)},
      {"malformed key", Bearer("lg_nope")},
      {"malformed Basic key", {{"Authorization", "Basic bGdfOg=="}}},
  };
  int calls = 0;
  for (const auto& e : endpoints) {
    for (const std::string role : {"admin", "manager", "rep", "marketing", "ingest"}) {
      HttpResult r = Http(srv.port(), e.method, e.target, e.body, Bearer(fx.keys[role]));
      ++calls;
      const std::string what = e.method + " " + e.target + " as " + role + " -> " +
                               std::to_string(r.status) + " " + r.body;
      EXPECT_LT(r.status, 500) << what;
      if (e.allowed.count(role)) {
        EXPECT_NE(r.status, 401) << what;
        EXPECT_NE(r.status, 403) << what;
      } else {
        EXPECT_EQ(r.status, 403) << what;
        EXPECT_EQ(r.Json()["error"], "forbidden") << what;
      }
    }
    for (const auto& [name, h] : bad) {
      HttpResult r = Http(srv.port(), e.method, e.target, e.body, h);
      ++calls;
      const std::string what = e.method + " " + e.target + " with " + name + " -> " +
                               std::to_string(r.status) + " " + r.body;
      if (e.allowed.count("none")) {
        EXPECT_EQ(r.status, 200) << what;
      } else {
        EXPECT_EQ(r.status, 401) << what;
        EXPECT_EQ(r.Json()["error"], "unauthorized") << what;
        EXPECT_NE(r.headers["WWW-Authenticate"], "") << what;
      }
    }
  }
  EXPECT_EQ(calls, static_cast<int>(endpoints.size()) * 10);  // 5 roles + 5 bad keys each
  EXPECT_TRUE(srv.Alive());
  EXPECT_EQ(srv.Stop(), 0);
}

// Managers and teams (docs/api.md, "Who sees which lead"): with a routing
// playbook a manager sees and works the leads of the teams they manage and
// the unassigned ones; another team's lead is 403 naming the rule, on the
// network threads' lead reads as on the engine thread. Without routing a
// manager sees every lead.
TEST(ServerAuth, ManagerSeesTheirTeamsLeadsOnly) {
  Fixture fx;
  for (auto [name, role] :
       std::vector<std::pair<const char*, const char*>>{{"max", "manager"}, {"cy", "rep"}}) {
    Fixture::Check(RunLeadgate({"--db", fx.db, "user", "add", name, "--role", role}));
  }
  const std::string max_key = fx.Key({"max"});
  auto get = [&](const ServerProcess& srv, const std::string& key, const std::string& target) {
    return Http(srv.port(), "GET", target, "", Bearer(key));
  };
  {
    // No routing block: no teams, so a manager sees every lead (L-2 is bob's).
    Fixture plain;
    ServerProcess srv(plain.db);
    EXPECT_EQ(get(srv, plain.keys["manager"], "/v1/leads/L-2").status, 200);
    EXPECT_EQ(get(srv, plain.keys["manager"], "/v1/leads/L-1").status, 200);
    EXPECT_EQ(srv.Stop(), 0);
  }
  // Team a: mia manages ana; team b: max manages bob and cy; new leads go to b.
  std::string yaml = ReadFile(std::string(LEADGATE_SOURCE_DIR) + "/playbooks/default.yaml");
  yaml +=
      "\nrouting:\n  teams:\n    - name: a\n      manager: mia\n      reps: [ana]\n"
      "    - name: b\n      manager: max\n      reps: [bob, cy]\n  default_team: b\n";
  fx.dir.Write("routed.yaml", yaml);
  Fixture::Check(RunLeadgate(
      {"--db", fx.db, "playbook", "apply", fx.dir.File("routed.yaml"), "--at", Fixture::Ts(5)}));
  fx.dir.Write(
      "l5.jsonl",
      R"({"type":"identify","userId":"L-5","timestamp":")" + Fixture::Ts(2) +
          R"(","traits":{"job_title":"VP Finance","industry":"healthcare","email":"x5@acme.com"}})" +
          "\n" + R"({"type":"track","userId":"L-5","event":"form_submitted","timestamp":")" +
          Fixture::Ts(1) + R"(","properties":{"form":"demo"}})" + "\n");
  Fixture::Check(RunLeadgate({"--db", fx.db, "ingest", fx.dir.File("l5.jsonl")}));
  RunResult show = RunLeadgate({"--db", fx.db, "show", "L-5", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  nlohmann::json l5 = nlohmann::json::parse(show.out);
  ASSERT_TRUE(l5.contains("assignment")) << show.out;
  ASSERT_EQ(l5["assignment"]["team"], "b") << show.out;  // routed to team b's first rep
  const std::string l5_owner = l5["assignment"]["owner"].get<std::string>();

  ServerProcess srv(fx.db, {"--threads", "2"});
  const std::string mia = fx.keys["manager"];
  // mia (team a): ana's L-1 and the unassigned L-3 and L-4, not bob's L-2 nor team b's L-5.
  EXPECT_EQ(get(srv, mia, "/v1/leads/L-1").status, 200);
  EXPECT_EQ(get(srv, mia, "/v1/leads/L-3").status, 200);
  for (const std::string lead : {"L-2", "L-5"}) {
    HttpResult r = get(srv, mia, "/v1/leads/" + lead);
    EXPECT_EQ(r.status, 403) << lead << ": " << r.body;
    EXPECT_EQ(r.Json()["error"], "forbidden") << r.body;
    EXPECT_NE(r.Json()["message"].get<std::string>().find("the teams they manage (mia: a)"),
              std::string::npos)
        << r.body;
  }
  HttpResult refused = get(srv, mia, "/v1/leads/L-5");
  EXPECT_NE(refused.body.find("assigned to " + l5_owner + " (team b)"), std::string::npos)
      << refused.body;
  // max (team b): the opposite.
  EXPECT_EQ(get(srv, max_key, "/v1/leads/L-2").status, 200);
  EXPECT_EQ(get(srv, max_key, "/v1/leads/L-5").status, 200);
  EXPECT_EQ(get(srv, max_key, "/v1/leads/L-3").status, 200);
  EXPECT_EQ(get(srv, max_key, "/v1/leads/L-1").status, 403);
  // Admins and marketing still see everything; reps unchanged.
  EXPECT_EQ(get(srv, fx.keys["admin"], "/v1/leads/L-5").status, 200);
  EXPECT_EQ(get(srv, fx.keys["marketing"], "/v1/leads/L-2").status, 200);
  EXPECT_EQ(get(srv, fx.keys["rep"], "/v1/leads/L-2").status, 403);

  // Working leads: the same rule.
  HttpResult act =
      Http(srv.port(), "POST", "/v1/leads/L-2/actions/touch", R"({"channel":"call"})", Bearer(mia));
  EXPECT_EQ(act.status, 403) << act.body;
  EXPECT_NE(act.body.find("a manager works the leads of the teams they manage"), std::string::npos)
      << act.body;
  act = Http(srv.port(), "POST", "/v1/leads/L-2/actions/touch", R"({"channel":"call"})",
             Bearer(max_key));
  EXPECT_EQ(act.status, 200) << act.body;

  // The queue keeps the visible leads; ?team= filters by the lead's team.
  auto ids = [&](const std::string& key, const std::string& target,
                 const ServerProcess* on = nullptr) {
    HttpResult r = get(on != nullptr ? *on : srv, key, target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    std::set<std::string> out;
    const nlohmann::json j = r.Json();
    EXPECT_TRUE(j.is_array()) << target << ": " << r.body;
    for (const auto& row : j) {
      if (row.is_object() && row.contains("id")) out.insert(row["id"].get<std::string>());
    }
    return out;
  };
  std::set<std::string> q = ids(mia, "/v1/queue");
  EXPECT_TRUE(q.count("L-1") && q.count("L-3")) << ::testing::PrintToString(q);
  EXPECT_FALSE(q.count("L-2") || q.count("L-5")) << ::testing::PrintToString(q);
  q = ids(max_key, "/v1/queue");
  EXPECT_TRUE(q.count("L-2") && q.count("L-5") && q.count("L-3")) << ::testing::PrintToString(q);
  EXPECT_FALSE(q.count("L-1")) << ::testing::PrintToString(q);
  EXPECT_EQ(ids(max_key, "/v1/queue?team=b"), std::set<std::string>{"L-5"});
  EXPECT_EQ(ids(fx.keys["admin"], "/v1/queue?team=b"), std::set<std::string>{"L-5"});
  HttpResult bad_team = get(srv, mia, "/v1/queue?team=b");
  EXPECT_EQ(bad_team.status, 403) << bad_team.body;
  EXPECT_NE(bad_team.body.find("mia does not manage team b"), std::string::npos) << bad_team.body;
  bad_team = get(srv, mia, "/v1/queue?team=zz");
  EXPECT_EQ(bad_team.status, 400) << bad_team.body;
  EXPECT_NE(bad_team.body.find("teams: a, b"), std::string::npos) << bad_team.body;

  // SLA: only the open clocks of visible leads.
  auto open = [&](const std::string& key) {
    HttpResult r = get(srv, key, "/v1/sla");
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> out;
    const nlohmann::json j = r.Json();
    EXPECT_TRUE(j.is_object() && j.contains("open")) << r.body;
    if (!j.is_object() || !j.contains("open")) return out;
    for (const auto& o : j["open"]) out.insert(o["id"].get<std::string>());
    return out;
  };
  EXPECT_TRUE(open(fx.keys["admin"]).count("L-5"));
  EXPECT_TRUE(open(max_key).count("L-5"));
  EXPECT_FALSE(open(mia).count("L-5"));

  // A lead of team b handed to someone outside the teams stays team b's.
  HttpResult assign = Http(srv.port(), "POST", "/v1/leads/L-5/actions/assign", R"({"to":"root"})",
                           Bearer(fx.keys["admin"]));
  ASSERT_EQ(assign.status, 200) << assign.body;
  EXPECT_EQ(get(srv, max_key, "/v1/leads/L-5").status, 200);
  EXPECT_TRUE(ids(max_key, "/v1/queue").count("L-5"));
  EXPECT_EQ(get(srv, mia, "/v1/leads/L-5").status, 403);
  EXPECT_TRUE(srv.Alive());
  EXPECT_EQ(srv.Stop(), 0);

  // Reps and team queues. L-6: team b's reps are away, so it waits in team b's
  // queue (a team, no owner): team b's, not unassigned. ana (rep, team a)
  // neither reads, works nor lists it; bob (rep, team b) does.
  for (const char* rep : {"bob", "cy"}) {
    Fixture::Check(RunLeadgate({"--db", fx.db, "user", "away", rep}));
  }
  std::string l6 = ReadFile(fx.dir.File("l5.jsonl"));
  for (const auto& [from, to] : {std::pair{"L-5", "L-6"}, std::pair{"x5@", "x6@"}}) {
    for (size_t at = l6.find(from); at != std::string::npos; at = l6.find(from, at)) {
      l6.replace(at, 3, to);
    }
  }
  fx.dir.Write("l6.jsonl", l6);
  Fixture::Check(RunLeadgate({"--db", fx.db, "ingest", fx.dir.File("l6.jsonl")}));
  ServerProcess srv2(fx.db);
  HttpResult l6r = get(srv2, fx.keys["admin"], "/v1/leads/L-6");
  ASSERT_EQ(l6r.status, 200) << l6r.body;
  ASSERT_FALSE(l6r.Json().contains("owner") && l6r.Json()["owner"].is_string()) << l6r.body;
  HttpResult queued = get(srv2, fx.keys["rep"], "/v1/leads/L-6");
  EXPECT_EQ(queued.status, 403) << queued.body;
  EXPECT_NE(queued.body.find("lead L-6 waits in team b's queue"), std::string::npos) << queued.body;
  EXPECT_NE(queued.body.find("(ana: a)"), std::string::npos) << queued.body;
  HttpResult work = Http(srv2.port(), "POST", "/v1/leads/L-6/actions/touch",
                         R"({"channel":"call"})", Bearer(fx.keys["rep"]));
  EXPECT_EQ(work.status, 403) << work.body;
  EXPECT_EQ(get(srv2, fx.keys["rep2"], "/v1/leads/L-6").status, 200);
  EXPECT_FALSE(ids(fx.keys["rep"], "/v1/queue", &srv2).count("L-6"));
  EXPECT_TRUE(ids(fx.keys["rep2"], "/v1/queue", &srv2).count("L-6"));
  EXPECT_TRUE(ids(fx.keys["rep"], "/v1/queue", &srv2).count("L-3"));  // unassigned: every rep's
  EXPECT_EQ(srv2.Stop(), 0);
}

}  // namespace
}  // namespace leadgate::testing
