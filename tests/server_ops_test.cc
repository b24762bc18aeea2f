// Server operations: shutdown on SIGTERM with many requests in flight (no
// acknowledged event lost), concurrent ingest answered per event, metrics,
// structured request logs (never the secret), configuration from the
// environment, slow clients cut off by the read timeout.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <regex>
#include <sstream>

#include "server_support.h"

namespace leadgate::testing {
namespace {

using Json = nlohmann::json;

std::string TrackEvent(const std::string& lead, const std::string& mid, const std::string& ts) {
  return R"({"userId":")" + lead + R"(","event":"email_replied","timestamp":")" + ts +
         R"(","messageId":")" + mid + R"("})";
}

// Clients keep sending single events while the server gets SIGTERM: every
// event answered "stored" is in the store afterwards (sent again to a new
// server it comes back "duplicate"), and the server exits 0.
TEST(ServerOps, SigtermWithRequestsInFlightLosesNoAcknowledgedEvent) {
  Fixture fx;
  auto srv =
      std::make_unique<ServerProcess>(fx.db, std::vector<std::string>{"--quiet", "--threads", "2"});
  const int port = srv->port();
  const std::string key = fx.keys["ingest"], ts = Fixture::Ts(1);
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> acked;  // (lead, messageId)
  std::atomic<int> answered{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        const std::string lead = "T-" + std::to_string(t);
        const std::string mid = "sig-" + std::to_string(t) + "-" + std::to_string(i);
        try {
          HttpResult r = Http(port, "POST", "/v1/track", TrackEvent(lead, mid, ts), Bearer(key));
          if (r.status != 200) return;  // shutting down
          Json j = r.Json();
          if (j["events"][0]["status"] == "stored") {
            std::lock_guard lock(mu);
            acked.emplace_back(lead, mid);
          }
          ++answered;
        } catch (const std::exception&) {
          return;  // refused or closed: the server stopped
        }
      }
    });
  }
  while (answered < 50) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(srv->Stop(), 0) << ReadFile(srv->log());
  stop = true;
  for (auto& c : clients) c.join();
  ASSERT_GE(acked.size(), 50u);

  ServerProcess again(fx.db, {"--quiet"});
  std::string batch = R"({"batch":[)";
  for (size_t i = 0; i < acked.size(); ++i) {
    if (i) batch += ',';
    batch += R"({"type":"track",)" + TrackEvent(acked[i].first, acked[i].second, ts).substr(1);
  }
  batch += "]}";
  HttpResult r = Http(again.port(), "POST", "/v1/batch", batch, Bearer(key));
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = r.Json();
  EXPECT_EQ(j["stored"], 0) << "acknowledged events missing after the shutdown";
  EXPECT_EQ(j["duplicates"], static_cast<int64_t>(acked.size()));
  EXPECT_EQ(again.Stop(), 0);
}

// Many connections ingesting at once (they are committed in groups): each
// gets its own per-event answer, and the counts add up in the store.
TEST(ServerOps, ConcurrentIngestIsAnsweredPerRequest) {
  Fixture fx;
  ServerProcess srv(fx.db, {"--quiet", "--threads", "2"});
  const std::string key = fx.keys["ingest"], ts = Fixture::Ts(1);
  std::atomic<int> stored{0}, dups{0}, bad{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        // Every event twice, from two different clients (t and t^1).
        const std::string mid = "c-" + std::to_string(t / 2) + "-" + std::to_string(i);
        std::string batch = R"({"batch":[{"type":"track",)" +
                            TrackEvent("C-" + std::to_string(i % 7), mid, ts).substr(1) +
                            R"(,{"type":"track","userId":"C-1","timestamp":"x"}]})";
        HttpResult r = Http(srv.port(), "POST", "/v1/batch", batch, Bearer(key));
        Json j = r.Json();
        if (r.status != 200 || j["events"][1]["status"] != "rejected") ++bad;
        if (j["events"][0]["status"] == "stored") ++stored;
        if (j["events"][0]["status"] == "duplicate") ++dups;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(stored, 90);  // 3 pairs x 30 distinct messageIds
  EXPECT_EQ(dups, 90);
  HttpResult m = Http(srv.port(), "GET", "/metrics", "", Bearer(fx.keys["admin"]));
  EXPECT_NE(m.body.find("leadgate_events_ingested_total 90\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("leadgate_events_duplicate_total 90\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("leadgate_events_rejected_total 180\n"), std::string::npos) << m.body;
  EXPECT_EQ(srv.Stop(), 0);
}

TEST(ServerOps, MetricsArePrometheusTextWithTheOperationalSeries) {
  Fixture fx;
  ServerProcess srv(fx.db, {"--quiet"});
  const std::string ts = Fixture::Ts(1);
  Http(srv.port(), "POST", "/v1/track", TrackEvent("M-1", "m-1", ts), Bearer(fx.keys["ingest"]));
  Http(srv.port(), "GET", "/v1/leads/L-1", "", Bearer(fx.keys["admin"]));
  Http(srv.port(), "GET", "/v1/queue", "", Bearer(fx.keys["admin"]));
  HttpResult m = Http(srv.port(), "GET", "/metrics", "", Bearer(fx.keys["admin"]));
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type.rfind("text/plain", 0), 0u) << m.content_type;
  for (const char* want :
       {"leadgate_events_ingested_total 1\n", "leadgate_events_rejected_total 0\n",
        "# TYPE leadgate_scoring_seconds histogram\n", "leadgate_scoring_seconds_count 1\n",
        "leadgate_mql_leads 1\n", "# TYPE leadgate_sla_breaches gauge\n",
        "leadgate_http_requests_total{route=\"/v1/track\",code=\"200\"} 1\n",
        "leadgate_http_request_seconds_count{route=\"/v1/leads/{id}\"} 1\n",
        "leadgate_http_request_seconds_bucket{route=\"/v1/queue\",le=\"+Inf\"} 1\n"}) {
    EXPECT_NE(m.body.find(want), std::string::npos) << want << "\n" << m.body;
  }
  // Every sample line is NAME{LABELS} VALUE or NAME VALUE; every family typed.
  std::istringstream in(m.body);
  std::string line;
  const std::regex sample(R"([a-z_]+(\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\})? [0-9.e+-]+)");
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
  }
  EXPECT_EQ(srv.Stop(), 0);
}

// One JSON line per request on stderr: method, path, status, ms, user, key
// id; the secret never appears.
TEST(ServerOps, RequestLogsAreJsonLinesWithTheKeyIdNeverTheSecret) {
  Fixture fx;
  auto srv = std::make_unique<ServerProcess>(fx.db);
  const std::string key = fx.keys["manager"];
  const std::string id = key.substr(3, 16), secret = key.substr(20);
  Http(srv->port(), "GET", "/v1/leads/L-1?at=" + Fixture::Ts(0), "", Bearer(key));
  Http(srv->port(), "GET", "/v1/queue?bogus=1", "", Bearer(key));
  Http(srv->port(), "POST", "/v1/track", TrackEvent("G-1", "g-1", Fixture::Ts(1)),
       Bearer(fx.keys["ingest"]));
  EXPECT_EQ(srv->Stop(), 0);
  const std::string log = ReadFile(srv->log());
  EXPECT_EQ(log.find(secret), std::string::npos) << "the key's secret is in the log";
  EXPECT_EQ(log.find(fx.keys["ingest"].substr(20)), std::string::npos);
  std::istringstream in(log);
  std::string line;
  int requests = 0;
  while (std::getline(in, line)) {
    Json j = Json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not a JSON line: " << line;
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << line;
    if (j["msg"] != "request") continue;
    ++requests;
    for (const char* f : {"method", "path", "route", "status", "ms", "user", "key"})
      EXPECT_TRUE(j.contains(f)) << f << " missing: " << line;
    if (j["path"] == "/v1/leads/L-1") {
      EXPECT_EQ(j["method"], "GET");
      EXPECT_EQ(j["status"], 200);
      EXPECT_EQ(j["key"], id);
      EXPECT_EQ(j["user"], "mia");
      EXPECT_TRUE(j["ms"].is_number());
    }
    if (j["path"] == "/v1/queue") {
      EXPECT_EQ(j["status"], 400);
      EXPECT_NE(j["error"].get<std::string>().find("bogus"), std::string::npos) << line;
    }
    if (j["path"] == "/v1/track") {
      EXPECT_EQ(j["key"], fx.keys["ingest"].substr(3, 16));
    }
  }
  EXPECT_EQ(requests, 3) << log;
}

// LEADGATE_DB and LEADGATE_LISTEN configure `serve`.
TEST(ServerOps, ConfigurationFromTheEnvironment) {
  Fixture fx;
  struct Env {
    Env(const std::string& db, const char* listen) {
      setenv("LEADGATE_DB", db.c_str(), 1);
      setenv("LEADGATE_LISTEN", listen, 1);
    }
    ~Env() {
      unsetenv("LEADGATE_DB");
      unsetenv("LEADGATE_LISTEN");
    }
  };
  {
    Env env(fx.db, "x");
    RunResult bad = RunLeadgate({"serve"});
    EXPECT_EQ(bad.exit_code, 2) << bad.err;
    EXPECT_NE(bad.err.find("'x'"), std::string::npos) << bad.err;
  }
  {
    Env env(fx.dir.File("nope/none.db"), "127.0.0.1:0");
    RunResult missing = RunLeadgate({"serve"});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("none.db"), std::string::npos) << missing.err;
  }
  {
    Env env(fx.db, "127.0.0.1:0");
    RunResult q = RunLeadgate({"queue", "--json"});  // --db from the environment
    EXPECT_EQ(q.exit_code, 0) << q.err;
    EXPECT_NE(q.out.find("L-3"), std::string::npos) << q.out;
  }
}

// A client that sends half a request and stalls (slowloris) is cut off after
// --timeout; the server keeps serving others meanwhile.
TEST(ServerOps, SlowClientIsCutOffByTheReadTimeout) {
  Fixture fx;
  ServerProcess srv(fx.db, {"--quiet", "--timeout", "1"});
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(srv.port()));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const std::string part = "POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{";
  ASSERT_EQ(send(fd, part.data(), part.size(), MSG_NOSIGNAL), static_cast<ssize_t>(part.size()));
  EXPECT_EQ(Http(srv.port(), "GET", "/healthz").status, 200);
  // The server closes the stalled connection (bounded wait: 20 s).
  pollfd p{fd, POLLIN, 0};
  char c[512];
  ssize_t n = 1;
  for (int i = 0; i < 40 && n > 0; ++i) {
    if (poll(&p, 1, 500) > 0) n = recv(fd, c, sizeof c, 0);
  }
  EXPECT_LE(n, 0) << "the stalled connection is still open";
  close(fd);
  EXPECT_TRUE(srv.Alive());
  EXPECT_EQ(srv.Stop(), 0);
}

}  // namespace
}  // namespace leadgate::testing
