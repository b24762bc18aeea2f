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

}  // namespace
}  // namespace leadgate::testing
