// Helpers for the server tests: a real `leadgate serve` process on
// 127.0.0.1 (a random port) over a temp store, an HTTP client (Boost.Beast,
// synchronous) and a raw-socket client for malformed requests.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <utility>
// (utility before Asio)
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/time.h"
#include "test_util.h"

namespace leadgate::testing {

struct HttpResult {
  int status = 0;
  std::string body, content_type;
  std::map<std::string, std::string> headers;
  nlohmann::json Json() const { return nlohmann::json::parse(body, nullptr, false); }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

inline HttpResult Http(int port, const std::string& method, const std::string& target,
                       const std::string& body = "", const Headers& headers = {}) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket sock(ioc);
  sock.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  timeval tv{10, 0};
  setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  if (req.method() == http::verb::unknown) req.method_string(method);
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.keep_alive(false);
  req.body() = body;
  if (!body.empty() || method == "POST" || method == "PUT") req.prepare_payload();
  http::write(sock, req);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  http::read(sock, buf, parser);
  auto& res = parser.get();
  HttpResult r;
  r.status = static_cast<int>(res.result_int());
  r.body = res.body();
  r.content_type = std::string(res[http::field::content_type]);
  for (const auto& f : res) r.headers[std::string(f.name_string())] = std::string(f.value());
  return r;
}

// Sends bytes as they are, half-closes, reads until the server closes.
inline HttpResult Raw(int port, const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    throw std::runtime_error("connect failed");
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) and close before reading it all
    off += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string in;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) in.append(buf, static_cast<size_t>(n));
  close(fd);
  HttpResult r;
  if (in.rfind("HTTP/1.1 ", 0) == 0 && in.size() >= 12) r.status = std::stoi(in.substr(9, 3));
  size_t h = in.find("\r\n\r\n");
  if (h != std::string::npos) r.body = in.substr(h + 4);
  return r;
}

class ServerProcess {
 public:
  explicit ServerProcess(const std::string& db, const std::vector<std::string>& extra = {}) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    log_ = db + ".server.log";
    pid_ = fork();
    if (pid_ == 0) {
      int err = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(out[1], 1);
      dup2(err, 2);
      close(out[0]);
      std::vector<std::string> args = {LEADGATE_BIN, "--db",     db,
                                       "serve",      "--listen", "127.0.0.1:0"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& s : args) argv.push_back(s.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (line.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char c[256];
      ssize_t n = read(out[0], c, sizeof c);
      if (n <= 0) break;
      line.append(c, static_cast<size_t>(n));
    }
    close(out[0]);
    size_t colon = line.rfind(':');
    if (line.rfind("listening on ", 0) != 0 || colon == std::string::npos) {
      Kill();
      throw std::runtime_error("server did not start: '" + line + "'; log: " + ReadFile(log_));
    }
    port_ = std::stoi(line.substr(colon + 1));
  }
  ~ServerProcess() { Kill(); }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& log() const { return log_; }
  bool Alive() {
    if (pid_ <= 0) return false;
    int st = 0;
    return waitpid(pid_, &st, WNOHANG) == 0;
  }
  // SIGTERM, then waits (at most 20 s); the exit status, or 128+signal.
  int Stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int st = 0;
    for (int i = 0; i < 2000; ++i) {
      if (waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Kill();
    return -2;
  }

 private:
  void Kill() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      int st = 0;
      waitpid(pid_, &st, 0);
      pid_ = -1;
    }
  }
  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_;
};

// A store with users of every role, their keys, and four leads:
// L-1 (sal, owned by ana), L-2 (sal, owned by bob), L-3 (mql, unassigned),
// L-4 (lead, unassigned).
struct Fixture {
  TempDir dir;
  std::string db = dir.File("store.db");
  std::map<std::string, std::string>
      keys;  // admin, manager, rep (ana), rep2 (bob), marketing, ingest, revoked
  std::string revoked_id;

  static std::string Ts(int minutes_ago) {
    return FormatRfc3339(NowMicros() - static_cast<int64_t>(minutes_ago) * 60'000'000);
  }

  Fixture() {
    Check(RunLeadgate({"--db", db, "init", "--playbook",
                       std::string(LEADGATE_SOURCE_DIR) + "/playbooks/default.yaml"}));
    for (auto [name, role] :
         std::vector<std::pair<const char*, const char*>>{{"root", "admin"},
                                                          {"mia", "manager"},
                                                          {"ana", "rep"},
                                                          {"bob", "rep"},
                                                          {"mark", "marketing"}}) {
      Check(RunLeadgate({"--db", db, "user", "add", name, "--role", role}));
    }
    keys["admin"] = Key({"root"});
    keys["manager"] = Key({"mia"});
    keys["rep"] = Key({"ana"});
    keys["rep2"] = Key({"bob"});
    keys["marketing"] = Key({"mark"});
    keys["ingest"] = Key({"mark", "--ingest-only"});
    keys["revoked"] = Key({"ana"});
    revoked_id = keys["revoked"].substr(3, 16);
    Check(RunLeadgate({"--db", db, "key", "revoke", revoked_id}));
    std::string events;
    for (int i = 1; i <= 4; ++i) {
      std::string id = "L-" + std::to_string(i);
      events += R"({"type":"identify","userId":")" + id + R"(","timestamp":")" + Ts(30) +
                R"(","traits":{"job_title":"VP Finance","industry":"healthcare","email":"x)" +
                std::to_string(i) + R"(@acme.com"}})" + "\n";
      if (i < 4) {
        events += R"({"type":"track","userId":")" + id +
                  R"(","event":"form_submitted","timestamp":")" + Ts(20) +
                  R"(","properties":{"form":"demo"}})" + "\n";
      }
    }
    dir.Write("events.jsonl", events);
    Check(RunLeadgate({"--db", db, "ingest", dir.File("events.jsonl")}));
    Check(RunLeadgate({"--db", db, "act", "L-1", "accept", "--by", "ana", "--at", Ts(10)}));
    Check(RunLeadgate({"--db", db, "act", "L-2", "accept", "--by", "bob", "--at", Ts(10)}));
  }

  std::string Key(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db, "key", "create"});
    RunResult r = RunLeadgate(args);
    Check(r);
    std::string k = r.out;
    while (!k.empty() && (k.back() == '\n' || k.back() == '\r')) k.pop_back();
    return k;
  }

  static void Check(const RunResult& r) {
    if (r.exit_code != 0) throw std::runtime_error("setup command failed: " + r.err);
  }
};

// A gzip (RFC 1952) body, as pipelines send it.
inline std::string Gzip(const std::string& in, int level = 6) {
  z_stream zs{};
  deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline Headers Bearer(const std::string& key) { return {{"Authorization", "Bearer " + key}}; }

}  // namespace leadgate::testing
