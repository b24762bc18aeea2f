// Webhooks end to end (docs/webhooks.md): a real `leadgate serve` on
// 127.0.0.1 delivering to a receiver inside the test that checks every
// signature and timestamp, fails on purpose, goes down and comes back; and
// the outbox's transactional behaviour through the Engine in process.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <mutex>
#include <regex>
#include <set>

#include "app/engine.h"
#include "server_support.h"

namespace leadgate::testing {
namespace {

using Json = nlohmann::json;

// The signature check a receiver does, written independently of the server:
// HMAC-SHA256(secret, t + "." + body) as hex, t within 5 minutes of now.
std::string Hmac(const std::string& key, const std::string& msg) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()),
                                msg.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : mac) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

struct Received {
  std::string path, body;
  std::map<std::string, std::string> headers;  // lower-case names
  int answered = 0;
  Json Body() const { return Json::parse(body, nullptr, false); }
};

// A small HTTP/1.1 receiver on 127.0.0.1 (plain sockets, one connection at a
// time): answers 500 to the first `fail_first` requests, then 200.
class Receiver {
 public:
  explicit Receiver(int port = 0, int fail_first = 0) : fail_left_(fail_first) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 16) != 0)
      throw std::runtime_error("receiver: cannot listen on port " + std::to_string(port));
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~Receiver() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<Received> Got() {
    std::lock_guard l(mu_);
    return got_;
  }
  // Waits (at most 30 s) until `pred` holds for what was received.
  bool WaitFor(const std::function<bool(const std::vector<Received>&)>& pred) {
    for (int i = 0; i < 3000; ++i) {
      if (pred(Got())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred(Got());
  }
  // Every request so far, checked as a receiver must: the signature over
  // "t.body" with the subscription's secret (by path), t close to now.
  void CheckSignatures(const std::map<std::string, std::string>& secret_by_path) {
    for (const Received& r : Got()) {
      SCOPED_TRACE(r.path + " " + r.body);
      auto it = secret_by_path.find(r.path);
      ASSERT_NE(it, secret_by_path.end());
      const std::string sig = r.headers.count("leadgate-signature")
                                  ? r.headers.at("leadgate-signature")
                                  : std::string();
      ASSERT_EQ(sig.rfind("t=", 0), 0u) << sig;
      const size_t comma = sig.find(",v1=");
      ASSERT_NE(comma, std::string::npos) << sig;
      const std::string t = sig.substr(2, comma - 2);
      EXPECT_EQ(r.headers.at("leadgate-timestamp"), t);
      const int64_t now = NowMicros() / 1'000'000;
      EXPECT_LE(std::llabs(std::stoll(t) - now), 300) << "stale timestamp " << t;
      EXPECT_EQ(sig.substr(comma + 4), Hmac(it->second, t + "." + r.body)) << "bad signature";
      // A signature over another body or time does not match.
      EXPECT_NE(sig.substr(comma + 4), Hmac(it->second, t + "." + r.body + " "));
      EXPECT_FALSE(r.headers.at("leadgate-delivery").empty());
      EXPECT_EQ(r.headers.at("content-type"), "application/json");
    }
  }

 private:
  void Run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      timeval tv{5, 0};
      setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string in;
      char buf[8192];
      size_t head_end = std::string::npos, want = 0;
      while (true) {
        ssize_t n = recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<size_t>(n));
        if (head_end == std::string::npos) {
          head_end = in.find("\r\n\r\n");
          if (head_end != std::string::npos) {
            std::string lower = in.substr(0, head_end);
            for (auto& ch : lower) ch = static_cast<char>(std::tolower(ch));
            size_t cl = lower.find("content-length:");
            want = cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 15));
          }
        }
        if (head_end != std::string::npos && in.size() >= head_end + 4 + want) break;
      }
      if (head_end == std::string::npos) {
        close(c);
        continue;
      }
      Received r;
      std::string head = in.substr(0, head_end);
      r.body = in.substr(head_end + 4, want);
      size_t sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
      r.path = head.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t pos = head.find("\r\n");
      while (pos != std::string::npos && pos + 2 < head.size()) {
        size_t next = head.find("\r\n", pos + 2);
        std::string line =
            head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        size_t colon = line.find(':');
        if (colon != std::string::npos) {
          std::string k = line.substr(0, colon);
          for (auto& ch : k) ch = static_cast<char>(std::tolower(ch));
          size_t v = line.find_first_not_of(' ', colon + 1);
          r.headers[k] = v == std::string::npos ? "" : line.substr(v);
        }
        pos = next;
      }
      const bool fail = fail_left_ > 0;
      if (fail) --fail_left_;
      r.answered = fail ? 500 : 200;
      const std::string res = fail ? "HTTP/1.1 500 Internal Server Error\r\nContent-Length: "
                                     "4\r\nConnection: close\r\n\r\noops"
                                   : "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: "
                                     "close\r\n\r\nok";
      {
        std::lock_guard l(mu_);
        got_.push_back(std::move(r));
      }
      send(c, res.data(), res.size(), MSG_NOSIGNAL);
      close(c);
    }
  }
  int fd_ = -1, port_ = 0;
  std::atomic<int> fail_left_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Received> got_;
  std::thread thread_;
};

// Waits (at most 30 s) until `pred` holds: for what the server records after
// the receiver answered (the outbox row, the counters).
bool Eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 300; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

// A port that was free a moment ago (for a receiver that starts later).
int FreePort() {
  Receiver r;
  return r.port();
}

std::string AddWebhook(const std::string& db, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--db", db, "webhook", "add"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = RunLeadgate(args);
  if (r.exit_code != 0) throw std::runtime_error("webhook add failed: " + r.err);
  std::string s = r.out;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string WebhookIdOf(const std::string& db, const std::string& url) {
  RunResult r = RunLeadgate({"--db", db, "webhook", "list"});
  size_t at = r.out.find(url);
  if (at == std::string::npos) return "";
  size_t start = r.out.rfind('\n', at);
  start = start == std::string::npos ? 0 : start + 1;
  return r.out.substr(start, r.out.find(' ', start) - start);
}

// A batch that makes `lead` an MQL under the default playbook (a VP Finance
// who asked for a demo), at the given time.
std::string MqlBatch(const std::string& lead, const std::string& ts,
                     const std::string& first = "Ana", const std::string& last = "Ruiz") {
  Json b = {{"batch",
             {{{"type", "identify"},
               {"userId", lead},
               {"timestamp", ts},
               {"messageId", lead + "-id"},
               {"traits",
                {{"first_name", first},
                 {"last_name", last},
                 {"job_title", "VP Finance"},
                 {"company", "Acme"},
                 {"industry", "healthcare"},
                 {"email", lead + "@acme.com"}}}},
              {{"type", "track"},
               {"userId", lead},
               {"event", "form_submitted"},
               {"timestamp", ts},
               {"messageId", lead + "-form"},
               {"properties", {{"form", "demo"}}}}}}};
  return b.dump();
}

std::vector<Received> OfType(const std::vector<Received>& v, const std::string& type) {
  std::vector<Received> out;
  for (const auto& r : v) {
    if (r.headers.count("leadgate-event") && r.headers.at("leadgate-event") == type)
      out.push_back(r);
  }
  return out;
}

TEST(Webhooks, MqlIsDeliveredSignedAndRetriedWithBackoff) {
  Fixture fx;
  Receiver rx(0, /*fail_first=*/2);
  const std::string secret =
      AddWebhook(fx.db, {rx.Url("/hook"), "--events", "lead.mql,lead.stage_changed"});
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u) << secret;
  ServerProcess srv(fx.db, {"--webhook-retry-base-ms", "20", "--quiet"});
  HttpResult r = Http(srv.port(), "POST", "/v1/batch", MqlBatch("L-20", Fixture::Ts(0)),
                      Bearer(fx.keys["ingest"]));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(rx.WaitFor([](const std::vector<Received>& v) {
    for (const auto& x : OfType(v, "lead.mql"))
      if (x.answered == 200) return true;
    return false;
  })) << ReadFile(srv.log());
  rx.CheckSignatures({{"/hook", secret}});
  std::vector<Received> got = rx.Got();
  // The first two requests failed (500) and were retried: the same delivery,
  // attempt numbers counting up.
  ASSERT_GE(got.size(), 3u);
  EXPECT_EQ(got[0].answered, 500);
  EXPECT_EQ(got[1].answered, 500);
  EXPECT_EQ(got[0].headers["leadgate-attempt"], "1");
  std::vector<Received> mql = OfType(got, "lead.mql");
  const Received& ok = mql.back();
  Json b = ok.Body();
  EXPECT_EQ(b["type"], "lead.mql");
  EXPECT_EQ(b["lead"], "L-20");
  EXPECT_EQ(b["id"].get<std::string>().rfind("evt_", 0), 0u);
  EXPECT_EQ(b["id"], ok.headers.at("leadgate-event-id"));
  EXPECT_EQ(b["data"]["who"], "Ana Ruiz, VP Finance at Acme");
  EXPECT_EQ(b["data"]["sla_seconds"], 300);
  EXPECT_EQ(b["data"]["stage"], "mql");
  EXPECT_GT(b["data"]["total"].get<double>(), 0);
  // Every attempt of one delivery carries its id and the same body.
  for (const auto& x : mql) {
    if (x.headers.at("leadgate-delivery") == ok.headers.at("leadgate-delivery")) {
      EXPECT_EQ(x.body, ok.body);
    }
  }
  ASSERT_TRUE(rx.WaitFor([](const std::vector<Received>& v) {
    for (const auto& x : OfType(v, "lead.stage_changed"))
      if (x.answered == 200) return true;
    return false;
  }));
  Json sc = OfType(rx.Got(), "lead.stage_changed").back().Body();
  EXPECT_EQ(sc["data"]["from"], "lead");
  EXPECT_EQ(sc["data"]["to"], "mql");
  EXPECT_EQ(sc["data"]["by"], "engine");
  EXPECT_FALSE(sc["data"]["reason"].is_null());
  // Delivered durably: the outbox says so, and /metrics counts it.
  RunResult d;
  EXPECT_TRUE(Eventually([&] {
    d = RunLeadgate({"--db", fx.db, "webhook", "deliveries"});
    return d.out.find("pending") == std::string::npos;
  })) << d.out;
  EXPECT_NE(d.out.find("delivered  lead.mql  L-20"), std::string::npos) << d.out;
  HttpResult m = Http(srv.port(), "GET", "/metrics", "", Bearer(fx.keys["admin"]));
  EXPECT_NE(m.body.find("leadgate_webhook_deliveries_total{result=\"delivered\"} 2"),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("leadgate_webhook_deliveries_total{result=\"retry\"} 2"),
            std::string::npos);
  EXPECT_NE(m.body.find("leadgate_mqls_total 1"), std::string::npos);
  EXPECT_EQ(srv.Stop(), 0);
}

TEST(Webhooks, SlackFormatSaysWhoAndHowLongToRespond) {
  Fixture fx;
  Receiver rx;
  const std::string s1 =
      AddWebhook(fx.db, {rx.Url("/slack"), "--format", "slack", "--events", "lead.mql"});
  const std::string s2 =
      AddWebhook(fx.db, {rx.Url("/disq"), "--format", "slack", "--events", "lead.disqualified"});
  ServerProcess srv(fx.db, {"--quiet"});
  ASSERT_EQ(Http(srv.port(), "POST", "/v1/batch", MqlBatch("L-30", Fixture::Ts(0)),
                 Bearer(fx.keys["ingest"]))
                .status,
            200);
  ASSERT_TRUE(rx.WaitFor([](const std::vector<Received>& v) { return !v.empty(); }));
  HttpResult a = Http(srv.port(), "POST", "/v1/leads/L-30/actions/disqualify",
                      R"({"reason":"student"})", Bearer(fx.keys["admin"]));
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_TRUE(rx.WaitFor([](const std::vector<Received>& v) { return v.size() >= 2; }));
  rx.CheckSignatures({{"/slack", s1}, {"/disq", s2}});
  std::vector<Received> got = rx.Got();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].path, "/slack");
  EXPECT_EQ(got[0].Body(),
            Json({{"text", "New MQL: Ana Ruiz, VP Finance at Acme \u2014 5 minutes to respond"}}));
  EXPECT_EQ(got[1].path, "/disq");
  const std::string text = got[1].Body()["text"];
  EXPECT_EQ(text.rfind("Disqualified: Ana Ruiz, VP Finance at Acme", 0), 0u) << text;
  EXPECT_NE(text.find("student"), std::string::npos) << text;
  EXPECT_NE(text.find("root"), std::string::npos) << text;
}

TEST(Webhooks, RemovedWebhookGetsNothingMore) {
  Fixture fx;
  const int port = FreePort();  // the receiver is down at first
  const std::string url_a = "http://127.0.0.1:" + std::to_string(port) + "/a";
  const std::string url_b = "http://127.0.0.1:" + std::to_string(port) + "/b";
  AddWebhook(fx.db, {url_a, "--events", "lead.mql"});
  AddWebhook(fx.db, {url_b, "--events", "lead.mql"});
  const std::string id_a = WebhookIdOf(fx.db, url_a);
  ASSERT_FALSE(id_a.empty());
  ServerProcess srv(fx.db, {"--webhook-retry-base-ms", "300", "--quiet"});
  ASSERT_EQ(Http(srv.port(), "POST", "/v1/batch", MqlBatch("L-40", Fixture::Ts(0)),
                 Bearer(fx.keys["ingest"]))
                .status,
            200);
  // Both are owed; /a is removed before the receiver comes up.
  RunResult rm = RunLeadgate({"--db", fx.db, "webhook", "remove", id_a});
  ASSERT_EQ(rm.exit_code, 0) << rm.err;
  Receiver rx(port);
  ASSERT_EQ(Http(srv.port(), "POST", "/v1/batch", MqlBatch("L-41", Fixture::Ts(0)),
                 Bearer(fx.keys["ingest"]))
                .status,
            200);
  ASSERT_TRUE(rx.WaitFor([](const std::vector<Received>& v) {
    std::set<std::string> leads;
    for (const auto& r : v) leads.insert(r.Body()["lead"]);
    return leads.count("L-40") && leads.count("L-41");
  })) << ReadFile(srv.log());
  for (const auto& r : rx.Got()) EXPECT_EQ(r.path, "/b") << r.body;
  RunResult d = RunLeadgate({"--db", fx.db, "webhook", "deliveries"});
  EXPECT_NE(d.out.find("cancelled  lead.mql  L-40  " + id_a), std::string::npos) << d.out;
  EXPECT_EQ(d.out.find("L-41  " + id_a), std::string::npos) << d.out;
  EXPECT_EQ(RunLeadgate({"--db", fx.db, "webhook", "remove", id_a}).exit_code, 1);
}

TEST(Webhooks, OwedDeliveriesSurviveKillNineAndAreDeliveredAfterRestart) {
  Fixture fx;
  const int port = FreePort();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  const std::string secret = AddWebhook(fx.db, {url, "--events", "lead.mql"});
  auto srv = std::make_unique<ServerProcess>(
      fx.db, std::vector<std::string>{"--webhook-retry-base-ms", "50", "--quiet"});
  for (const char* lead : {"L-50", "L-51", "L-52"}) {
    ASSERT_EQ(Http(srv->port(), "POST", "/v1/batch", MqlBatch(lead, Fixture::Ts(0)),
                   Bearer(fx.keys["ingest"]))
                  .status,
              200);
  }
  // The receiver is down: all three are owed (and being retried).
  RunResult d = RunLeadgate({"--db", fx.db, "webhook", "deliveries"});
  int pending = 0;
  for (size_t at = d.out.find("pending  lead.mql"); at != std::string::npos;
       at = d.out.find("pending  lead.mql", at + 1))
    ++pending;
  EXPECT_EQ(pending, 3) << d.out;
  kill(srv->pid(), SIGKILL);
  srv.reset();
  Receiver rx(port);
  srv = std::make_unique<ServerProcess>(
      fx.db, std::vector<std::string>{"--webhook-retry-base-ms", "50", "--quiet"});
  ASSERT_TRUE(rx.WaitFor([](const std::vector<Received>& v) {
    std::set<std::string> leads;
    for (const auto& r : v) leads.insert(r.Body()["lead"]);
    return leads.size() >= 3;
  })) << ReadFile(srv->log());
  rx.CheckSignatures({{"/hook", secret}});
  // Exactly the owed ones (at least once each, nothing else).
  std::set<std::string> leads;
  for (const auto& r : rx.Got()) {
    EXPECT_EQ(r.Body()["type"], "lead.mql");
    leads.insert(r.Body()["lead"]);
  }
  EXPECT_EQ(leads, (std::set<std::string>{"L-50", "L-51", "L-52"}));
  EXPECT_TRUE(Eventually([&] {
    RunResult x = RunLeadgate({"--db", fx.db, "webhook", "deliveries"});
    return x.out.find("pending") == std::string::npos;
  }));
}

TEST(Webhooks, GivesUpAfterMaxAttemptsAndListsTheFailure) {
  Fixture fx;
  Receiver rx(0, /*fail_first=*/1000);
  AddWebhook(fx.db, {rx.Url("/hook"), "--events", "lead.mql"});
  ServerProcess srv(fx.db,
                    {"--webhook-retry-base-ms", "10", "--webhook-max-attempts", "3", "--quiet"});
  ASSERT_EQ(Http(srv.port(), "POST", "/v1/batch", MqlBatch("L-60", Fixture::Ts(0)),
                 Bearer(fx.keys["ingest"]))
                .status,
            200);
  std::string failed;
  ASSERT_TRUE(Eventually([&] {
    failed = RunLeadgate({"--db", fx.db, "webhook", "deliveries", "--failed"}).out;
    return !failed.empty();
  }));
  EXPECT_NE(failed.find("failed  lead.mql  L-60"), std::string::npos) << failed;
  EXPECT_NE(failed.find("attempts 3"), std::string::npos) << failed;
  EXPECT_NE(failed.find("HTTP 500"), std::string::npos) << failed;
  EXPECT_EQ(rx.Got().size(), 3u);
  HttpResult m;
  EXPECT_TRUE(Eventually([&] {
    m = Http(srv.port(), "GET", "/metrics", "", Bearer(fx.keys["admin"]));
    return m.body.find("leadgate_webhook_failures_total 1") != std::string::npos;
  })) << m.body;
}

TEST(Webhooks, AReceiverThatNeverAnswersDoesNotHoldBackOthers) {
  Fixture fx;
  // Listening, never accepting: connections complete, requests get no answer.
  int hole = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(hole, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(hole, 16), 0);
  socklen_t len = sizeof a;
  getsockname(hole, reinterpret_cast<sockaddr*>(&a), &len);
  AddWebhook(fx.db, {"http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + "/hole", "--events",
                     "lead.mql"});
  Receiver rx;
  AddWebhook(fx.db, {rx.Url("/ok"), "--events", "lead.mql"});
  ServerProcess srv(fx.db, {"--webhook-timeout-ms", "600000", "--quiet"});
  for (const char* lead : {"L-70", "L-71"}) {
    ASSERT_EQ(Http(srv.port(), "POST", "/v1/batch", MqlBatch(lead, Fixture::Ts(0)),
                   Bearer(fx.keys["ingest"]))
                  .status,
              200);
  }
  // Both reach the healthy receiver while the first request to the hole hangs.
  EXPECT_TRUE(rx.WaitFor([](const std::vector<Received>& v) { return v.size() >= 2; }))
      << ReadFile(srv.log());
  RunResult d = RunLeadgate({"--db", fx.db, "webhook", "deliveries"});
  EXPECT_NE(d.out.find("pending  lead.mql  L-70"), std::string::npos) << d.out;
  EXPECT_EQ(srv.Stop(), 0);  // a hanging delivery does not hold up shutdown
  close(hole);
}

TEST(Webhooks, CliAddRefusesWhatCannotBeDelivered) {
  Fixture fx;
  RunResult https = RunLeadgate({"--db", fx.db, "webhook", "add", "https://hooks.slack.test/x"});
  EXPECT_EQ(https.exit_code, 1);
  EXPECT_NE(https.err.find("https:// URLs are not supported"), std::string::npos) << https.err;
  EXPECT_TRUE(https.out.empty());
  RunResult ev = RunLeadgate(
      {"--db", fx.db, "webhook", "add", "http://127.0.0.1:9/x", "--events", "lead.mql,lead.won"});
  EXPECT_EQ(ev.exit_code, 2);
  EXPECT_NE(ev.err.find("unknown event type 'lead.won'"), std::string::npos) << ev.err;
  RunResult fmt =
      RunLeadgate({"--db", fx.db, "webhook", "add", "http://127.0.0.1:9/x", "--format", "xml"});
  EXPECT_EQ(fmt.exit_code, 2);
  RunResult list = RunLeadgate({"--db", fx.db, "webhook", "list"});
  EXPECT_TRUE(list.out.empty()) << list.out;
  // The secret is printed once, alone on stdout, and never listed.
  RunResult ok = RunLeadgate({"--db", fx.db, "webhook", "add", "http://127.0.0.1:9/x"});
  ASSERT_EQ(ok.exit_code, 0);
  EXPECT_TRUE(std::regex_match(ok.out, std::regex("whsec_[0-9a-f]{64}\n"))) << ok.out;
  list = RunLeadgate({"--db", fx.db, "webhook", "list"});
  EXPECT_NE(list.out.find("http://127.0.0.1:9/x  json  all"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("whsec_"), std::string::npos);
}

// --- the outbox through the Engine, in process ---

struct EngineStore {
  TempDir dir;
  std::string db = dir.File("store.db");
  std::unique_ptr<Engine> engine;
  EngineStore() {
    Status s = Engine::Init(db, std::string(LEADGATE_SOURCE_DIR) + "/playbooks/default.yaml");
    if (!s.ok()) throw std::runtime_error(s.message());
    auto e = Engine::Open(db);
    if (!e.ok()) throw std::runtime_error(e.status().message());
    engine = std::move(*e);
  }
  static std::vector<Event> Mql(const std::string& lead, Micros at) {
    std::vector<Event> v(2);
    v[0].type = EventType::kIdentify;
    v[0].name = "identify";
    v[0].lead_id = lead;
    v[0].ts = at;
    v[0].message_id = lead + "-id";
    v[0].props = {{"job_title", Value::String("VP Finance")},
                  {"industry", Value::String("healthcare")},
                  {"email", Value::String(lead + "@acme.com")}};
    v[1].type = EventType::kTrack;
    v[1].name = "form_submitted";
    v[1].lead_id = lead;
    v[1].ts = at;
    v[1].message_id = lead + "-form";
    v[1].props = {{"form", Value::String("demo")}};
    return v;
  }
  std::vector<DeliveryRecord> Rows() {
    auto d = engine->Deliveries(false, 0);
    if (!d.ok()) throw std::runtime_error(d.status().message());
    return *d;
  }
};

TEST(WebhookOutbox, RowsRollBackWithAFailedBatchAndAreWrittenOnceWhenItSucceeds) {
  EngineStore st;
  ASSERT_TRUE(
      st.engine->AddWebhook("http://127.0.0.1:9/h", {"lead.mql"}, "json", NowMicros()).ok());
  // Saving L-zz's projection fails after L-aa's notification was written.
  st.engine->store().db().exec(
      "CREATE TRIGGER boom BEFORE INSERT ON leads WHEN NEW.id = 'L-zz' "
      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  std::vector<Event> events = EngineStore::Mql("L-aa", NowMicros());
  for (Event& e : EngineStore::Mql("L-zz", NowMicros())) events.push_back(e);
  IngestReport rep;
  Status s = st.engine->IngestEvents(events, &rep);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("injected failure"), std::string::npos) << s.message();
  EXPECT_TRUE(st.Rows().empty()) << "outbox rows of a rolled-back change";
  // Fixed: the next refresh (any ingest) notifies both leads, once each.
  st.engine->store().db().exec("DROP TRIGGER boom");
  std::vector<Event> more = EngineStore::Mql("L-mm", NowMicros());
  Status again = st.engine->IngestEvents(more, &rep);
  ASSERT_TRUE(again.ok()) << again.message();
  std::multiset<std::string> leads;
  for (const auto& r : st.Rows()) {
    EXPECT_EQ(r.type, "lead.mql");
    EXPECT_EQ(r.state, "pending");
    leads.insert(r.lead);
  }
  EXPECT_EQ(leads, (std::multiset<std::string>{"L-aa", "L-mm", "L-zz"}));
  // Nothing new: nothing more.
  ASSERT_TRUE(st.engine->IngestEvents(more, &rep).ok());
  EXPECT_EQ(st.Rows().size(), 3u);
}

TEST(WebhookOutbox, RebuildAndOldHistoryNotifyNothing) {
  EngineStore st;
  ASSERT_TRUE(st.engine->AddWebhook("http://127.0.0.1:9/h", {}, "json", NowMicros()).ok());
  IngestReport rep;
  // A bulk import of last month's history: already news to nobody.
  ASSERT_TRUE(
      st.engine->IngestEvents(EngineStore::Mql("L-old", NowMicros() - 30 * 86400 * kSecond), &rep)
          .ok());
  EXPECT_TRUE(st.Rows().empty());
  ASSERT_TRUE(st.engine->IngestEvents(EngineStore::Mql("L-new", NowMicros()), &rep).ok());
  const size_t n = st.Rows().size();
  EXPECT_EQ(n, 2u);  // lead.stage_changed and lead.mql for L-new
  int64_t leads = 0;
  ASSERT_TRUE(st.engine->Rebuild(&leads).ok());
  EXPECT_EQ(leads, 2);
  EXPECT_EQ(st.Rows().size(), n) << "rebuild replays history; it must not notify";
}

TEST(WebhookOutbox, RoutingAndSlaNotificationsFanOutWithTheirTexts) {
  EngineStore st;
  const Micros now = NowMicros();
  ASSERT_TRUE(st.engine->AddWebhook("http://127.0.0.1:9/j", {}, "json", now).ok());
  ASSERT_TRUE(
      st.engine->AddWebhook("http://127.0.0.1:9/s", {"lead.assigned", "sla.breached"}, "slack", now)
          .ok());
  ASSERT_TRUE(st.engine->AddWebhook("http://127.0.0.1:9/m", {"lead.mql"}, "slack", now).ok());
  Notification n;
  n.type = "lead.assigned";
  n.lead = "L-9";
  n.at = now;
  n.data_json = R"({"owner":"ana","team":"emea","who":"Ana Ruiz, VP Finance at Acme"})";
  ASSERT_TRUE(st.engine->Emit(n).ok());  // outside a transaction: committed at once
  n.type = "sla.breached";
  n.data_json = R"({"owner":"ana","escalated_to":"maria","who":"Ana Ruiz, VP Finance at Acme"})";
  ASSERT_TRUE(st.engine->Emit(n).ok());
  std::vector<DeliveryRecord> rows = st.Rows();
  ASSERT_EQ(rows.size(), 4u);  // json gets both, slack (assigned, breached) both, mql none
  std::map<std::pair<std::string, std::string>, Json> body;
  for (const auto& r : rows) body[{r.url, r.type}] = Json::parse(r.body);
  auto of = [&](const char* url, const char* type) { return body[{url, type}]; };
  EXPECT_EQ(of("http://127.0.0.1:9/s", "lead.assigned")["text"],
            "Lead assigned to ana: Ana Ruiz, VP Finance at Acme");
  EXPECT_EQ(of("http://127.0.0.1:9/s", "sla.breached")["text"],
            "SLA breached: Ana Ruiz, VP Finance at Acme was not answered in time (owner ana) "
            "\u2014 escalated to maria");
  const Json j = of("http://127.0.0.1:9/j", "lead.assigned");
  EXPECT_EQ(j["type"], "lead.assigned");
  EXPECT_EQ(j["lead"], "L-9");
  EXPECT_EQ(j["data"]["team"], "emea");
  EXPECT_EQ(j["at"], FormatRfc3339(now));
}

TEST(WebhookOutbox, NoSubscriptionsNoRows) {
  EngineStore st;
  IngestReport rep;
  ASSERT_TRUE(st.engine->IngestEvents(EngineStore::Mql("L-1", NowMicros()), &rep).ok());
  EXPECT_TRUE(st.Rows().empty());
}

}  // namespace
}  // namespace leadgate::testing
