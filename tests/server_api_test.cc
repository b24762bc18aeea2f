// The HTTP API against a real `leadgate serve` process: ingest (Segment
// batch, Basic and Bearer keys, gzip), leads, queue, actions and their
// refusals, SLA, playbook, users, keys, metrics, and every response checked
// against the OpenAPI document the server serves.
#include <gtest/gtest.h>
#include <sodium.h>
#include <zlib.h>

#include <algorithm>
#include <regex>
#include <set>

#include "server_support.h"

namespace leadgate::testing {
namespace {

using Json = nlohmann::json;

std::string Base64(const std::string& s) {
  std::string out(sodium_base64_ENCODED_LEN(s.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(s.data()),
                    s.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// A JSON Schema subset (OpenAPI 3.0): $ref, type, nullable, enum, required,
// properties, additionalProperties: false, items. Returns "" or the first error.
std::string Validate(const Json& v, const Json& schema, const Json& doc, const std::string& at) {
  if (schema.contains("$ref")) {
    std::string ref = schema["$ref"];
    return Validate(v, doc["components"]["schemas"][ref.substr(ref.rfind('/') + 1)], doc, at);
  }
  if (v.is_null()) {
    return schema.value("nullable", false) || !schema.contains("type") ? ""
                                                                       : at + ": null not allowed";
  }
  if (schema.contains("type")) {
    std::string t = schema["type"];
    bool ok = (t == "object" && v.is_object()) || (t == "array" && v.is_array()) ||
              (t == "string" && v.is_string()) || (t == "boolean" && v.is_boolean()) ||
              (t == "integer" && v.is_number_integer()) || (t == "number" && v.is_number());
    if (!ok) return at + ": expected " + t + ", got " + v.dump();
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) found = found || e == v;
    if (!found) return at + ": " + v.dump() + " not in enum";
  }
  if (v.is_object()) {
    for (const auto& r : schema.value("required", Json::array())) {
      if (!v.contains(r.get<std::string>())) return at + ": missing " + r.get<std::string>();
    }
    const Json props = schema.value("properties", Json::object());
    for (const auto& [k, x] : v.items()) {
      if (props.contains(k)) {
        if (auto e = Validate(x, props[k], doc, at + "." + k); !e.empty()) return e;
      } else if (schema.contains("additionalProperties") &&
                 schema["additionalProperties"] == false) {
        return at + ": undocumented key " + k;
      }
    }
  }
  if (v.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (auto e = Validate(v[i], schema["items"], doc, at + "[" + std::to_string(i) + "]");
          !e.empty())
        return e;
    }
  }
  return "";
}

class ServerApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fx_ = new Fixture();
    srv_ = new ServerProcess(fx_->db, {"--max-body", "1000000"});
    HttpResult r = Http(srv_->port(), "GET", "/openapi.json", "", Bearer(fx_->keys["ingest"]));
    ASSERT_EQ(r.status, 200);
    doc_ = new Json(Json::parse(r.body));
  }
  static void TearDownTestSuite() {
    EXPECT_TRUE(srv_->Alive());
    EXPECT_EQ(srv_->Stop(), 0) << ReadFile(srv_->log());
    delete srv_;
    delete fx_;
    delete doc_;
  }
  // A request whose response must be documented (path template, method,
  // status) and match its schema.
  HttpResult Call(const std::string& method, const std::string& tmpl, const std::string& target,
                  const std::string& who, const std::string& body = "", Headers h = {}) {
    if (!who.empty()) h.emplace_back("Authorization", "Bearer " + fx_->keys[who]);
    HttpResult r = Http(srv_->port(), method, target, body, h);
    std::string m = method;
    for (auto& c : m) c = static_cast<char>(std::tolower(c));
    const Json& op = (*doc_)["paths"][tmpl][m];
    EXPECT_TRUE(op.is_object()) << method << " " << tmpl << " undocumented";
    const std::string code = std::to_string(r.status);
    EXPECT_TRUE(op["responses"].contains(code))
        << method << " " << target << " -> " << r.status << " undocumented: " << r.body;
    if (op["responses"].contains(code) && op["responses"][code].contains("content") &&
        r.content_type == "application/json") {
      Json body_json = Json::parse(r.body, nullptr, false);
      EXPECT_FALSE(body_json.is_discarded()) << r.body;
      const Json& schema = op["responses"][code]["content"]["application/json"]["schema"];
      EXPECT_EQ(Validate(body_json, schema, *doc_, "$"), "")
          << method << " " << target << ": " << r.body;
    }
    ++checked_;
    return r;
  }
  static Fixture* fx_;
  static ServerProcess* srv_;
  static Json* doc_;
  static int checked_;
};
Fixture* ServerApi::fx_ = nullptr;
ServerProcess* ServerApi::srv_ = nullptr;
Json* ServerApi::doc_ = nullptr;
int ServerApi::checked_ = 0;

TEST_F(ServerApi, HealthzNeedsNoKeyEverythingElseDoes) {
  HttpResult h = Call("GET", "/healthz", "/healthz", "");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.Json()["status"], "ok");
  HttpResult q = Call("GET", "/v1/queue", "/v1/queue", "");
  EXPECT_EQ(q.status, 401);
  EXPECT_EQ(q.Json()["error"], "unauthorized");
}

TEST_F(ServerApi, BatchWithBasicWriteKeyStoresAndReportsPerEvent) {
  const std::string ts = Fixture::Ts(5);
  Json batch = {{"batch",
                 {{{"type", "track"},
                   {"userId", "L-9"},
                   {"event", "webinar_attended"},
                   {"timestamp", ts},
                   {"messageId", "m-9-1"}},
                  {{"type", "identify"},
                   {"userId", "L-9"},
                   {"timestamp", ts},
                   {"traits", {{"job_title", "CFO"}}},
                   {"messageId", "m-9-2"}},
                  {{"type", "track"}, {"userId", "L-9"}, {"timestamp", ts}},
                  "not an event"}},
                {"sentAt", ts}};
  Headers basic = {{"Authorization", "Basic " + Base64(fx_->keys["ingest"] + ":")}};
  HttpResult r = Call("POST", "/v1/batch", "/v1/batch", "", batch.dump(), basic);
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = r.Json();
  EXPECT_EQ(j["stored"], 2);
  EXPECT_EQ(j["rejected"], 2);
  EXPECT_EQ(j["events"][0]["status"], "stored");
  EXPECT_EQ(j["events"][0]["messageId"], "m-9-1");
  EXPECT_EQ(j["events"][2]["status"], "rejected");
  EXPECT_NE(j["events"][2]["reason"].get<std::string>().find("event"), std::string::npos);
  EXPECT_EQ(j["events"][3]["status"], "rejected");
  // The same batch again: nothing new (idempotent by messageId).
  HttpResult again = Call("POST", "/v1/batch", "/v1/batch", "ingest", batch.dump());
  EXPECT_EQ(again.Json()["stored"], 0);
  EXPECT_EQ(again.Json()["duplicates"], 2);
  EXPECT_EQ(again.Json()["events"][0]["status"], "duplicate");
  EXPECT_EQ(again.Json()["events"][0]["messageId"], "m-9-1");
  EXPECT_EQ(again.Json()["events"][1]["status"], "duplicate");
  EXPECT_EQ(again.Json()["events"][2]["status"], "rejected");
  EXPECT_NE(again.Json()["events"][2]["reason"].get<std::string>().find("'event'"),
            std::string::npos);
  // Per event within one batch: new, repeated in the batch, already stored.
  Json mixed = {{"batch",
                 {{{"type", "track"},
                   {"userId", "L-9"},
                   {"event", "email_replied"},
                   {"timestamp", ts},
                   {"messageId", "m-9-5"}},
                  {{"type", "track"},
                   {"userId", "L-9"},
                   {"event", "email_replied"},
                   {"timestamp", ts},
                   {"messageId", "m-9-5"}},
                  {{"type", "track"},
                   {"userId", "L-7"},
                   {"event", "webinar_attended"},
                   {"timestamp", ts},
                   {"messageId", "m-9-1"}},
                  {{"type", "track"},
                   {"userId", "L-9"},
                   {"event", "x"},
                   {"timestamp", "yesterday"},
                   {"messageId", "m-9-6"}}}}};
  HttpResult mx = Call("POST", "/v1/batch", "/v1/batch", "ingest", mixed.dump());
  ASSERT_EQ(mx.status, 200) << mx.body;
  Json mj = mx.Json();
  EXPECT_EQ(mj["stored"], 1);
  EXPECT_EQ(mj["duplicates"], 2);
  EXPECT_EQ(mj["rejected"], 1);
  EXPECT_EQ(mj["leads_updated"], 1);  // L-9; nothing was stored for L-7
  EXPECT_EQ(mj["events"][0]["status"], "stored");
  EXPECT_EQ(mj["events"][1]["status"], "duplicate");
  EXPECT_EQ(mj["events"][2]["status"], "duplicate");
  EXPECT_EQ(mj["events"][3]["status"], "rejected");
  EXPECT_EQ(mj["events"][3]["index"], 3);
  EXPECT_EQ(mj["events"][3]["messageId"], "m-9-6");
  EXPECT_NE(mj["events"][3]["reason"].get<std::string>().find("timestamp"), std::string::npos)
      << mj["events"][3]["reason"];
  // Gzip body.
  Json one = {{"batch",
               {{{"type", "page"},
                 {"userId", "L-9"},
                 {"timestamp", ts},
                 {"messageId", "m-9-3"},
                 {"properties", {{"url", "https://x.test/pricing"}}}}}}};
  HttpResult gz = Call("POST", "/v1/batch", "/v1/batch", "marketing", Gzip(one.dump()),
                       {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(gz.status, 200) << gz.body;
  EXPECT_EQ(gz.Json()["stored"], 1);
  HttpResult show = Call("GET", "/v1/leads/{id}", "/v1/leads/L-9", "manager");
  ASSERT_EQ(show.status, 200);
  EXPECT_EQ(show.Json()["events"], 4);
  EXPECT_EQ(show.Json()["traits"]["job_title"], "CFO");
}

TEST_F(ServerApi, SingleEventEndpointsTakeTheTypeFromThePath) {
  const std::string ts = Fixture::Ts(4);
  Json ev = {{"userId", "L-8"}, {"event", "email_replied"}, {"timestamp", ts}};
  HttpResult r = Call("POST", "/v1/track", "/v1/track", "ingest", ev.dump());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["stored"], 1);
  Json id = {{"userId", "L-8"}, {"timestamp", ts}, {"traits", {{"industry", "healthcare"}}}};
  EXPECT_EQ(Call("POST", "/v1/identify", "/v1/identify", "admin", id.dump()).status, 200);
  Json pg = {{"userId", "L-8"}, {"timestamp", ts}, {"name", "Pricing"}};
  EXPECT_EQ(Call("POST", "/v1/page", "/v1/page", "ingest", pg.dump()).status, 200);
  Json wrong = {{"type", "identify"}, {"userId", "L-8"}, {"timestamp", ts}};
  HttpResult w = Call("POST", "/v1/track", "/v1/track", "ingest", wrong.dump());
  EXPECT_EQ(w.status, 422);
  EXPECT_EQ(w.Json()["events"][0]["status"], "rejected");
}

TEST_F(ServerApi, LeadIsTheJsonOfShow) {
  const std::string at = Fixture::Ts(1);
  HttpResult r = Call("GET", "/v1/leads/{id}", "/v1/leads/L-3?at=" + at, "manager");
  ASSERT_EQ(r.status, 200) << r.body;
  RunResult cli = RunLeadgate({"--db", fx_->db, "show", "L-3", "--json", "--at", at});
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_EQ(r.Json(), Json::parse(cli.out));
  EXPECT_EQ(r.Json()["stage"], "mql");
  EXPECT_EQ(Call("GET", "/v1/leads/{id}", "/v1/leads/NOPE", "admin").status, 404);
  EXPECT_EQ(Call("GET", "/v1/leads/{id}", "/v1/leads/L-3?at=yesterday", "admin").status, 400);
}

TEST_F(ServerApi, QueueSortByProbabilityNeedsAModel) {
  // docs/predictive.md: ?sort=probability ranks by the active model; without
  // one it is a 422 that says how to get one; other sorts are a 400.
  HttpResult r = Call("GET", "/v1/queue", "/v1/queue?sort=probability", "manager");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("model train"), std::string::npos) << r.body;
  EXPECT_EQ(Call("GET", "/v1/queue", "/v1/queue?sort=total", "manager").status, 200);
  EXPECT_EQ(Call("GET", "/v1/queue", "/v1/queue?sort=fit", "manager").status, 400);
}

TEST_F(ServerApi, RepsSeeTheirOwnAndUnassignedLeads) {
  auto ids = [&](const std::string& who, const std::string& q) {
    HttpResult r = Call("GET", "/v1/queue", "/v1/queue" + q, who);
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> out;
    for (const auto& row : r.Json()) out.insert(row["id"].get<std::string>());
    return out;
  };
  std::set<std::string> ana = ids("rep", "");
  EXPECT_TRUE(ana.count("L-1") && ana.count("L-3") && ana.count("L-4"));
  EXPECT_FALSE(ana.count("L-2"));
  EXPECT_TRUE(ids("manager", "").count("L-2"));
  EXPECT_EQ(ids("rep", "?owner=me"), std::set<std::string>{"L-1"});
  EXPECT_EQ(ids("manager", "?owner=bob"), std::set<std::string>{"L-2"});
  EXPECT_FALSE(ids("manager", "?owner=none").count("L-1"));
  EXPECT_EQ(ids("manager", "?stage=sal"), (std::set<std::string>{"L-1", "L-2"}));
  EXPECT_EQ(ids("manager", "?limit=1").size(), 1u);
  EXPECT_EQ(Call("GET", "/v1/queue", "/v1/queue?owner=bob", "rep").status, 403);
  EXPECT_EQ(Call("GET", "/v1/leads/{id}", "/v1/leads/L-2", "rep").status, 403);
  EXPECT_EQ(Call("GET", "/v1/leads/{id}", "/v1/leads/L-2", "rep2").status, 200);
  EXPECT_EQ(Call("GET", "/v1/queue", "/v1/queue?stage=nope", "rep").status, 400);
  EXPECT_EQ(Call("GET", "/v1/queue", "/v1/queue?limit=-1", "rep").status, 400);
}

TEST_F(ServerApi, ActionsGoThroughTheEngineRules) {
  const std::string p = "/v1/leads/{id}/actions/{action}";
  // Someone else's lead: 403 for a rep.
  HttpResult other = Call("POST", p, "/v1/leads/L-2/actions/touch", "rep", R"({"channel":"call"})");
  EXPECT_EQ(other.status, 403) << other.body;
  // The role table: marketing may not touch.
  HttpResult mk =
      Call("POST", p, "/v1/leads/L-4/actions/touch", "marketing", R"({"channel":"email"})");
  EXPECT_EQ(mk.status, 403) << mk.body;
  EXPECT_NE(mk.Json()["message"].get<std::string>().find("role rule"), std::string::npos);
  // A rep may not override (manager only).
  EXPECT_EQ(Call("POST", p, "/v1/leads/L-4/actions/override", "rep", R"({"reason":"x"})").status,
            403);
  // The stage rule: win from lead is refused, naming the rule.
  HttpResult win = Call("POST", p, "/v1/leads/L-4/actions/win", "manager");
  EXPECT_EQ(win.status, 409) << win.body;
  EXPECT_EQ(win.Json()["error"], "refused");
  EXPECT_EQ(Call("POST", p, "/v1/leads/L-4/actions/dance", "manager").status, 400);
  EXPECT_EQ(
      Call("POST", p, "/v1/leads/NOPE/actions/touch", "manager", R"({"channel":"call"})").status,
      404);
  EXPECT_EQ(Call("POST", p, "/v1/leads/L-1/actions/qualify", "rep", R"({"budget":"lots"})").status,
            422);
  EXPECT_EQ(
      Call("POST", p, "/v1/leads/L-1/actions/touch", "rep", R"({"channel":"call","by":"bob"})")
          .status,
      400);
  // The unassigned MQL: ana accepts it and owns it.
  HttpResult acc = Call("POST", p, "/v1/leads/L-3/actions/accept", "rep");
  ASSERT_EQ(acc.status, 200) << acc.body;
  EXPECT_EQ(acc.Json()["stage"], "sal");
  EXPECT_EQ(acc.Json()["owner"], "ana");
  EXPECT_EQ(acc.Json()["by"], "ana");
  EXPECT_EQ(Call("GET", "/v1/leads/{id}", "/v1/leads/L-3", "rep2").status, 403);
}

TEST_F(ServerApi, SlaPlaybookUsersAndKeys) {
  HttpResult sla = Call("GET", "/v1/sla", "/v1/sla", "manager");
  EXPECT_EQ(sla.status, 200) << sla.body;
  EXPECT_EQ(Call("GET", "/v1/sla", "/v1/sla", "rep").status, 200);
  HttpResult pb = Call("GET", "/v1/playbook", "/v1/playbook", "rep");
  ASSERT_EQ(pb.status, 200);
  EXPECT_EQ(pb.Json()["in_force"], 1);
  const std::string yaml = pb.Json()["source"];
  EXPECT_EQ(Call("POST", "/v1/playbook/check", "/v1/playbook/check", "marketing", yaml).status,
            200);
  HttpResult bad =
      Call("POST", "/v1/playbook/check", "/v1/playbook/check", "marketing", "name: [unclosed");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(Call("PUT", "/v1/playbook", "/v1/playbook", "manager", yaml).status, 403);
  HttpResult applied = Call("PUT", "/v1/playbook", "/v1/playbook", "admin", yaml);
  ASSERT_EQ(applied.status, 200) << applied.body;
  EXPECT_EQ(applied.Json()["version"], 2);
  EXPECT_EQ(applied.Json()["versions"].size(), 2u);
  EXPECT_EQ(
      Call("PUT", "/v1/playbook", "/v1/playbook?at=2020-01-01T00:00:00Z", "admin", yaml).status,
      409);

  EXPECT_EQ(Call("POST", "/v1/users", "/v1/users", "admin", R"({"name":"cy","role":"rep"})").status,
            201);
  EXPECT_EQ(Call("POST", "/v1/users", "/v1/users", "admin", R"({"name":"cy","role":"rep"})").status,
            409);
  EXPECT_EQ(
      Call("POST", "/v1/users", "/v1/users", "admin", R"({"name":"dee","role":"boss"})").status,
      400);
  HttpResult users = Call("GET", "/v1/users", "/v1/users", "admin");
  EXPECT_EQ(users.Json().size(), 6u);
  HttpResult nk = Call("POST", "/v1/keys", "/v1/keys", "admin", R"({"user":"cy"})");
  ASSERT_EQ(nk.status, 201) << nk.body;
  const std::string key = nk.Json()["key"], id = nk.Json()["id"];
  EXPECT_EQ(Http(srv_->port(), "GET", "/v1/queue", "", Bearer(key)).status, 200);
  HttpResult list = Call("GET", "/v1/keys", "/v1/keys", "admin");
  EXPECT_EQ(list.body.find(key.substr(20)), std::string::npos) << "a secret in the key list";
  EXPECT_EQ(Call("DELETE", "/v1/keys/{id}", "/v1/keys/" + id, "admin").status, 200);
  EXPECT_EQ(Call("DELETE", "/v1/keys/{id}", "/v1/keys/" + id, "admin").status, 409);
  EXPECT_EQ(Call("DELETE", "/v1/keys/{id}", "/v1/keys/ffff", "admin").status, 404);
  EXPECT_EQ(Http(srv_->port(), "GET", "/v1/queue", "", Bearer(key)).status, 401);
  EXPECT_EQ(Call("POST", "/v1/keys", "/v1/keys", "admin", R"({"user":"nobody"})").status, 404);
}

TEST_F(ServerApi, WebhooksAreAdminsToAddListAndRemove) {
  HttpResult add =
      Call("POST", "/v1/webhooks", "/v1/webhooks", "admin",
           R"({"url":"http://127.0.0.1:9/hook","events":["lead.mql"],"format":"slack"})");
  ASSERT_EQ(add.status, 201) << add.body;
  const std::string id = add.Json()["id"];
  EXPECT_EQ(add.Json()["secret"].get<std::string>().rfind("whsec_", 0), 0u);
  HttpResult list = Call("GET", "/v1/webhooks", "/v1/webhooks", "admin");
  ASSERT_EQ(list.status, 200);
  bool found = false;
  for (const auto& w : list.Json()) {
    if (w["id"] == id) {
      found = true;
      EXPECT_EQ(w["format"], "slack");
      EXPECT_EQ(w["events"], Json::array({"lead.mql"}));
      EXPECT_FALSE(w.contains("secret"));
    }
  }
  EXPECT_TRUE(found) << list.body;
  EXPECT_EQ(
      Call("POST", "/v1/webhooks", "/v1/webhooks", "admin", R"({"url":"https://x.test/h"})").status,
      422);
  EXPECT_EQ(Call("POST", "/v1/webhooks", "/v1/webhooks", "admin",
                 R"({"url":"http://x.test/h","events":["lead.nope"]})")
                .status,
            400);
  EXPECT_EQ(Call("POST", "/v1/webhooks", "/v1/webhooks", "admin", R"({"url":1})").status, 400);
  EXPECT_EQ(
      Call("POST", "/v1/webhooks", "/v1/webhooks", "manager", R"({"url":"http://x/"})").status,
      403);
  HttpResult del = Call("DELETE", "/v1/webhooks/{id}", "/v1/webhooks/" + id, "admin");
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(Call("DELETE", "/v1/webhooks/{id}", "/v1/webhooks/" + id, "admin").status, 404);
}

TEST_F(ServerApi, MetricsInPrometheusFormat) {
  HttpResult m = Call("GET", "/metrics", "/metrics", "manager");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.content_type.find("text/plain"), std::string::npos);
  for (const char* name :
       {"leadgate_events_ingested_total", "leadgate_events_rejected_total",
        "leadgate_scoring_seconds_bucket", "leadgate_mql_leads",
        "leadgate_http_request_seconds_bucket", "leadgate_http_requests_total"}) {
    EXPECT_NE(m.body.find(name), std::string::npos) << name;
  }
  std::regex line(R"(^(# (HELP|TYPE) .*|[a-z_]+(\{.*\})? [-+0-9.e]+)$)");
  size_t start = 0;
  while (start < m.body.size()) {
    size_t nl = m.body.find('\n', start);
    std::string l = m.body.substr(start, nl - start);
    EXPECT_TRUE(std::regex_match(l, line)) << l;
    start = nl + 1;
  }
}

TEST(ServerProcessTest, KeyCreatePrintsTheKeyAloneAndServerStopsCleanly) {
  Fixture fx;
  RunResult r = RunLeadgate({"--db", fx.db, "key", "create", "ana"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_TRUE(std::regex_match(r.out, std::regex("lg_[0-9a-f]{16}_[0-9a-f]{64}\n"))) << r.out;
  RunResult list = RunLeadgate({"--db", fx.db, "key", "list"});
  EXPECT_EQ(list.out.find(r.out.substr(20, 64)), std::string::npos);
  EXPECT_NE(list.out.find("revoked"), std::string::npos);
  EXPECT_EQ(RunLeadgate({"--db", fx.db, "key", "create", "nobody"}).exit_code, 1);
  EXPECT_EQ(RunLeadgate({"--db", fx.db, "key", "revoke", fx.revoked_id}).exit_code, 1);

  ServerProcess srv(fx.db);
  // An idle keep-alive connection does not hold up the shutdown.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(srv.port()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(Http(srv.port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(srv.Stop(), 0);
  close(fd);
  std::string log = ReadFile(srv.log());
  EXPECT_NE(log.find("\"msg\":\"stopped\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"route\":\"/healthz\""), std::string::npos) << log;
  // The store is intact and usable after the shutdown.
  EXPECT_EQ(RunLeadgate({"--db", fx.db, "queue", "--json"}).exit_code, 0);
}

// SIGTERM while a big batch may be in flight: either it was read (then it is
// answered 200 and stored) or the connection closes and nothing is stored;
// the server exits 0 either way. No timing is asserted.
TEST(ServerProcessTest, ShutdownFinishesTheRequestInFlight) {
  Fixture fx;
  ServerProcess srv(fx.db, {"--max-body", "20000000", "--quiet"});
  std::string batch = R"({"batch":[)";
  const std::string ts = Fixture::Ts(1);
  for (int i = 0; i < 20000; ++i) {
    if (i) batch += ',';
    batch += R"({"type":"track","userId":"S-)" + std::to_string(i % 500) +
             R"(","event":"email_replied","timestamp":")" + ts + R"(","messageId":"s-)" +
             std::to_string(i) + R"("})";
  }
  batch += "]}";
  int status = -1;
  std::thread client([&] {
    try {
      status = Http(srv.port(), "POST", "/v1/batch", batch, Bearer(fx.keys["ingest"])).status;
    } catch (const std::exception&) {
      status = 0;  // closed before it was read
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(srv.Stop(), 0) << ReadFile(srv.log());
  client.join();
  ::testing::Test::RecordProperty("inflight_status", status);
  RunResult q = RunLeadgate({"--db", fx.db, "export", "events", "--lead", "S-1"});
  if (status == 200) {
    EXPECT_EQ(q.exit_code, 0) << q.err;
    EXPECT_EQ(std::count(q.out.begin(), q.out.end(), '\n'), 40);
  } else {
    EXPECT_EQ(status, 0);
    EXPECT_NE(q.exit_code, 0);
  }
}

TEST(ServerProcessTest, BadListenAddressIsAUsageError) {
  Fixture fx;
  EXPECT_EQ(RunLeadgate({"--db", fx.db, "serve", "--listen", "nowhere"}).exit_code, 2);
  EXPECT_EQ(RunLeadgate({"--db", fx.db, "serve", "--listen", "example.com:80"}).exit_code, 2);
}

}  // namespace
}  // namespace leadgate::testing
