// The bad-request corpus: broken JSON, wrong types, huge bodies, bad gzip,
// unknown fields and parameters, bad auth headers, malformed HTTP. Every case
// is answered 4xx with a JSON error that says what was wrong, and the server
// stays up and healthy.
#include <gtest/gtest.h>
#include <zlib.h>

#include "server_support.h"

namespace leadgate::testing {
namespace {

using Json = nlohmann::json;

struct Case {
  std::string name, method, target, body;
  Headers headers;  // Authorization added (admin) unless given
  bool raw = false;
};

TEST(ServerBadRequests, CorpusIsAnswered4xxAndTheServerStaysHealthy) {
  Fixture fx;
  ServerProcess srv(fx.db, {"--max-body", "100000", "--max-inflated", "1000000", "--quiet"});
  const std::string key = fx.keys["admin"];
  const std::string ts = Fixture::Ts(2);
  std::vector<Case> cases;
  auto add = [&](std::string name, std::string method, std::string target, std::string body,
                 Headers h = {}) {
    cases.push_back(
        {std::move(name), std::move(method), std::move(target), std::move(body), std::move(h)});
  };
  const std::string good_event =
      R"({"type":"track","userId":"L-1","event":"email_replied","timestamp":")" + ts + R"("})";
  const std::string good_batch = R"({"batch":[)" + good_event + "]}";

  // Broken JSON: every prefix of a good batch, and classic mistakes.
  for (size_t n = 0; n < good_batch.size(); n += 3) {
    add("truncated batch at " + std::to_string(n), "POST", "/v1/batch", good_batch.substr(0, n));
  }
  for (const std::string b :
       {"{", "}", "[", "nul", "tru", "{'batch':[]}", R"({"batch":[},)", R"({"batch":[1,]})",
        R"({"batch": NaN})", R"({"batch":[Infinity]})", "\xff\xfe{}", "{\"batch\":[\"\xc3\x28\"]}",
        "{\"a\":\"\x01\"}", R"({"batch":[{"x":1e400}]})", R"({"batch":[]} extra)", "   ",
        R"({"batch":[{"a":"\ud800"}]})"}) {
    add("broken JSON batch " + b, "POST", "/v1/batch", b);
    add("broken JSON track " + b, "POST", "/v1/track", b);
    add("broken JSON action " + b, "POST", "/v1/leads/L-1/actions/touch", b);
    add("broken JSON user " + b, "POST", "/v1/users", b);
  }
  add("deep nesting", "POST", "/v1/batch", std::string(5000, '[') + std::string(5000, ']'));
  add("deep nesting in an event", "POST", "/v1/batch",
      R"({"batch":[{"traits":)" + std::string(3000, '[') + std::string(3000, ']') + "}]}");

  // Wrong types and shapes.
  for (const std::string v : {"1", "\"x\"", "{}", "null", "true", "[]"}) {
    add("batch is " + v, "POST", "/v1/batch", R"({"batch":)" + v + "}");
    add("body is " + v, "POST", "/v1/track", v);
    add("action body is " + v, "POST", "/v1/leads/L-1/actions/touch", v == "{}" ? "[]" : v);
    add("user body is " + v, "POST", "/v1/users", v);
  }
  const std::vector<std::pair<std::string, std::string>> bad_fields = {
      {"userId", "1"},
      {"userId", "[]"},
      {"userId", "{}"},
      {"userId", "null"},
      {"userId", "true"},
      {"userId", "\"\""},
      {"timestamp", "1"},
      {"timestamp", "\"yesterday\""},
      {"timestamp", "\"2026-13-01T00:00:00Z\""},
      {"timestamp", "\"0000-01-01T00:00:00Z\""},
      {"timestamp", "null"},
      {"type", "1"},
      {"type", "\"bogus\""},
      {"type", "null"},
      {"event", "1"},
      {"event", "\"\""},
      {"event", "[]"},
      {"properties", "\"x\""},
      {"properties", "[]"},
      {"properties", "1"},
      {"messageId", "1"},
      {"messageId", "{}"}};
  for (const auto& [k, v] : bad_fields) {
    Json e = Json::parse(good_event);
    e[k] = Json::parse(v);
    add("event " + k + "=" + v, "POST", "/v1/batch", R"({"batch":[)" + e.dump() + "]}");
    add("track " + k + "=" + v, "POST", "/v1/track", e.dump());
  }
  for (const char* kind : {"identify", "page"}) {
    for (const auto& [k, v] : bad_fields) {
      if (k == "event" || k == "type") continue;
      if (k == "properties" && std::string(kind) == "identify") continue;  // traits are read
      Json e = Json::parse(good_event);
      e.erase("type");
      e.erase("event");
      e[k] = Json::parse(v);
      add(std::string(kind) + " " + k + "=" + v, "POST", std::string("/v1/") + kind, e.dump());
    }
  }
  // Bad ?at= on every endpoint that takes it.
  for (const std::string at :
       {"never", "2026-13-01", "2026-01-32", "2026-01-01T25:00:00Z", "12:00", "%20", "1e9",
        "2026-01-01T10:00:00Zjunk", "", "2026-01-01T10:00:00%2B99:00", "%ff%fe"}) {
    for (const std::string base : {"/v1/leads/L-1", "/v1/queue", "/v1/sla"})
      add("GET " + base + "?at=" + at, "GET", base + "?at=" + at, "");
  }
  // Bad Content-Encoding values.
  for (const std::string enc : {"deflate", "gzip, br", "compress", "zstd", "gzip;q=1", ""}) {
    add("Content-Encoding " + enc, "POST", "/v1/batch", good_batch, {{"Content-Encoding", enc}});
  }
  // More bad paths.
  for (const std::string t : {"/v1/leads/L-1/actions/touch/extra", "/v1//leads", "/%",
                              "/v1/leads/L-1/history", "/v1/queue/x", "/v1/keys/x/revoke",
                              "/V1/queue", "/v1/Queue", "/openapi.yaml", "/metrics/x"}) {
    add("GET " + t, "GET", t, "");
  }
  for (const auto& [m, t] :
       std::vector<std::pair<std::string, std::string>>{{"OPTIONS", "/v1/batch"},
                                                        {"PUT", "/v1/track"},
                                                        {"DELETE", "/v1/leads/L-1"},
                                                        {"POST", "/metrics"},
                                                        {"PATCH", "/v1/playbook"},
                                                        {"POST", "/openapi.json"}}) {
    add(m + " " + t, m, t, "");
  }
  for (const std::string f : {R"({"reason":1})", R"({"channel":[]})", R"({"at":5})",
                              R"({"at":"soon"})", R"({"budget":{}})", R"({"need":true})"}) {
    add("action " + f, "POST", "/v1/leads/L-1/actions/touch", f);
  }
  for (const std::string f :
       {R"({"name":1,"role":"rep"})", R"({"name":"x","role":2})", R"({"name":"x"})",
        R"({"role":"rep"})", R"({"name":"x","role":"king"})", R"({"name":"  ","role":"rep"})"}) {
    add("user " + f, "POST", "/v1/users", f);
  }
  for (const std::string f : {R"({"user":1})", R"({"user":"bob","ingest_only":"yes"})", R"({})",
                              R"({"user":"nobody"})"}) {
    add("key " + f, "POST", "/v1/keys", f);
  }

  // Unknown fields, parameters, paths, methods.
  add("unknown batch field", "POST", "/v1/batch", R"({"batch":[)" + good_event + R"(],"foo":1})");
  add("action with by", "POST", "/v1/leads/L-1/actions/touch", R"({"by":"bob"})");
  add("action with foo", "POST", "/v1/leads/L-1/actions/touch", R"({"channel":"call","foo":1})");
  add("user with email", "POST", "/v1/users", R"({"name":"q","role":"rep","email":"x"})");
  add("key with scope", "POST", "/v1/keys", R"({"user":"bob","scope":"all"})");
  for (const std::string t : {"/v1/queue?foo=1",
                              "/v1/queue?limit=abc",
                              "/v1/queue?limit=-3",
                              "/v1/queue?limit=99999999999",
                              "/v1/queue?stage=closed",
                              "/v1/queue?owner=",
                              "/v1/queue?at=never",
                              "/v1/queue?at=1&at=2",
                              "/v1/sla?x",
                              "/v1/sla?at=2026-02-30",
                              "/v1/leads/L-1?refold=1",
                              "/v1/leads/L-1?at=%zz",
                              "/v1/leads/%zz",
                              "/v1/playbook?v=1",
                              "/metrics?x=1",
                              "/healthz?x=1",
                              "/v1/leads/NOPE",
                              "/v1/nothing",
                              "/",
                              "/v1",
                              "/v1/leads",
                              "/v1/leads/L-1/actions",
                              "/v1/keys/x/y",
                              "/v2/queue"}) {
    add("GET " + t, "GET", t, "");
  }
  for (const auto& [m, t] :
       std::vector<std::pair<std::string, std::string>>{{"DELETE", "/v1/queue"},
                                                        {"PATCH", "/v1/leads/L-1"},
                                                        {"POST", "/v1/sla"},
                                                        {"GET", "/v1/batch"},
                                                        {"PUT", "/v1/users"},
                                                        {"GET", "/v1/leads/L-1/actions/touch"},
                                                        {"POST", "/healthz"},
                                                        {"DELETE", "/v1/keys"},
                                                        {"BREW", "/v1/queue"},
                                                        {"POST", "/v1/playbook"}}) {
    add(m + " " + t, m, t, "");
  }
  add("action on unknown lead", "POST", "/v1/leads/NOPE/actions/touch", R"({"channel":"call"})");
  add("unknown action", "POST", "/v1/leads/L-1/actions/fly", "");
  add("refused action", "POST", "/v1/leads/L-4/actions/win", "");
  add("empty playbook check", "POST", "/v1/playbook/check", "");
  add("garbage playbook check", "POST", "/v1/playbook/check", "\x01\x02: [");
  add("binary playbook check", "POST", "/v1/playbook/check", std::string("\0\xff\xfe", 3));
  add("invalid playbook apply", "PUT", "/v1/playbook", "name: [unclosed\n");
  add("empty batch", "POST", "/v1/batch", R"({"batch":[]})");
  add("revoke unknown key", "DELETE", "/v1/keys/abc", "");
  // Webhook subscriptions (docs/webhooks.md).
  for (const std::string f :
       {R"({})", R"({"url":1})", R"({"url":"ftp://x/"})", R"({"url":"https://x.test/h"})",
        R"({"url":"http://"})", R"({"url":"http://x:99999/"})", R"({"url":"http://a b/"})",
        R"({"url":"http://u:p@x/"})", R"({"url":"http://x/","events":"lead.mql"})",
        R"({"url":"http://x/","events":[1]})", R"({"url":"http://x/","events":["lead.won"]})",
        R"({"url":"http://x/","format":"xml"})", R"({"url":"http://x/","format":2})",
        R"({"url":"http://x/","secret":"mine"})", "[]", "{", "null"}) {
    add("webhook " + f, "POST", "/v1/webhooks", f);
  }
  add("remove unknown webhook", "DELETE", "/v1/webhooks/wh_nope", "");
  add("webhooks with a query", "GET", "/v1/webhooks?all=1", "");
  add("PUT webhooks", "PUT", "/v1/webhooks", "{}");

  // Huge bodies, bad gzip, encodings.
  add("body over the limit", "POST", "/v1/batch", std::string(200000, ' '));
  add("gzip bomb", "POST", "/v1/batch", Gzip(std::string(3000000, ' '), 9),
      {{"Content-Encoding", "gzip"}});
  add("not gzip", "POST", "/v1/batch", "this is not gzip", {{"Content-Encoding", "gzip"}});
  const std::string gz = Gzip(good_batch, 9);
  add("truncated gzip", "POST", "/v1/batch", gz.substr(0, gz.size() / 2),
      {{"Content-Encoding", "gzip"}});
  add("gzip with trailing bytes", "POST", "/v1/batch", gz + "xyz", {{"Content-Encoding", "gzip"}});
  add("gzip of broken JSON", "POST", "/v1/batch", Gzip("{\"batch\":", 9),
      {{"Content-Encoding", "gzip"}});
  add("gzip of nothing", "POST", "/v1/batch", "", {{"Content-Encoding", "gzip"}});
  add("brotli", "POST", "/v1/batch", good_batch, {{"Content-Encoding", "br"}});
  add("corrupt gzip", "POST", "/v1/batch", std::string(gz).replace(12, 6, "XXXXXX"),
      {{"Content-Encoding", "gzip"}});

  // Bad auth headers (on an endpoint that needs a key).
  std::string wrong = key;
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  for (const std::string& h :
       std::vector<std::string>{"",
                                "Bearer",
                                "Bearer ",
                                "Bearer    ",
                                "Basic",
                                "Basic !!!",
                                "Basic Og==",
                                "Basic ====",
                                "Token " + key,
                                "Bearer lg_short",
                                "Bearer " + wrong,
                                "Bearer " + key + "x",
                                "Bearer " + key.substr(0, key.size() - 1),
                                "bearer lg_zz",
                                "Basic " + std::string(300, 'A'),
                                "Digest username=x",
                                "Bearer " + std::string(2000, 'k'),
                                "lg_" + key,
                                key,
                                "Bearer lg_0000000000000000_" + std::string(64, '0'),
                                "Bearer \xff\xfe"}) {
    add("auth header '" + h.substr(0, 40) + "'", "GET", "/v1/queue", "", {{"Authorization", h}});
  }

  int n = 0;
  for (const Case& c : cases) {
    Headers h = c.headers;
    bool has_auth = false;
    for (const auto& [k, v] : h) has_auth = has_auth || k == "Authorization";
    if (!has_auth) h.emplace_back("Authorization", "Bearer " + key);
    HttpResult r = Http(srv.port(), c.method, c.target, c.body, h);
    ++n;
    EXPECT_GE(r.status, 400) << c.name << ": " << r.body;
    EXPECT_LT(r.status, 500) << c.name << ": " << r.body;
    Json j = r.Json();
    EXPECT_TRUE(j.is_object() && j.contains("error") && j["message"].is_string()
                    ? true
                    : j.contains("events"))
        << c.name << ": " << r.body;
  }

  // Malformed HTTP, as raw bytes.
  const std::string auth = "Authorization: Bearer " + key + "\r\n";
  const std::vector<std::string> raw = {
      "GARBAGE\r\n\r\n",
      "GET /healthz HTTP/9.9\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nNoColonHere\r\n\r\n",
      "POST /v1/batch HTTP/1.1\r\n" + auth + "Content-Length: 50\r\n\r\n{\"batch\":",
      "POST /v1/batch HTTP/1.1\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST /v1/batch HTTP/1.1\r\n" + auth + "Content-Length: 5000000\r\n\r\n{\"batch\":[",
      "POST /v1/batch HTTP/1.1\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n7A1200\r\nxxxx",
      "GET /v1/queue HTTP/1.1\r\nX-Big: " + std::string(20000, 'b') + "\r\n\r\n",
      " / HTTP/1.1\r\n\r\n",
      "GET  HTTP/1.1\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "GET http://example.com/healthz HTTP/1.1\r\n\r\n",
      "GET /v1/queue HTTP/1.1\r\nAuthorization: Bearer \x01\x02\r\n\r\n",
      [] {
        std::string many = "GET /healthz HTTP/1.1\r\n";
        for (int i = 0; i < 2000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
        return many + "\r\n";
      }(),
      "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n",
      "POST /v1/batch HTTP/1.1\r\n" + auth + "Content-Length: 99999999999999999999\r\n\r\n",
      "POST /v1/batch HTTP/1.1\r\n" + auth + "Content-Length: -1\r\n\r\n",
      "\r\n\r\n\r\n\r\nXYZ\r\n\r\n",
  };
  for (const std::string& bytes : raw) {
    HttpResult r = Raw(srv.port(), bytes);
    ++n;
    const std::string name = bytes.substr(0, 60);
    EXPECT_GE(r.status, 400) << name << ": " << r.body;
    EXPECT_LT(r.status, 500) << name << ": " << r.body;
    Json j = r.Json();
    EXPECT_TRUE(j.is_object() && j.contains("error")) << name << ": " << r.body;
  }
  EXPECT_GE(n, 200);
  EXPECT_TRUE(srv.Alive());
  HttpResult h = Http(srv.port(), "GET", "/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(Http(srv.port(), "POST", "/v1/batch", good_batch, Bearer(key)).status, 200);
  EXPECT_EQ(srv.Stop(), 0);
}

}  // namespace
}  // namespace leadgate::testing
