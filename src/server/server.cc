#include "server/server.h"

#include <utility>
// (utility before Asio)
#include <SQLiteCpp/Database.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "app/engine.h"
#include "server/api.h"
#include "server/sla_timer.h"
#include "server/webhook_delivery.h"

namespace leadgate::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Json = nlohmann::ordered_json;

std::mutex log_mu;

void Log(const Json& j) {
  std::lock_guard lock(log_mu);
  std::cerr << j.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
}

Json LogLine(const char* level, const char* msg) {
  return Json{{"ts", FormatRfc3339(NowMicros())}, {"level", level}, {"msg", msg}};
}

// This network thread's read-only Api (its own Engine and store connection).
thread_local Api* t_reader = nullptr;

class Session;

// Group commit: ingest requests parsed on the network threads wait here; the
// engine thread takes all that are waiting, stores them in one transaction
// and hands each back to its connection. Requests that arrive during a
// commit form the next group.
class GroupCommit {
 public:
  struct Pending {
    std::shared_ptr<Session> session;
    std::shared_ptr<IngestJob> job;
    ApiResponse res;  // route and user, for the answer
    asio::executor_work_guard<asio::io_context::executor_type> guard;
  };
  GroupCommit(asio::io_context& work, Api& writer) : work_(work), writer_(writer) {}
  void Push(Pending p) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(p));
      if (scheduled_) return;
      scheduled_ = true;
    }
    asio::post(work_, [this] { Drain(); });
  }
  std::function<void()> after_commit;  // on the engine thread, after each refold
  // On the engine thread: refolds the leads of the groups whose refold was
  // put off (call before any other engine work, so it sees them current).
  void Flush(bool arm = true) {
    if (!deferred_) return;
    deferred_ = false;
    writer_.RefreshIngested();
    if (arm && after_commit) after_commit();
  }

 private:
  void Drain();  // on the engine thread
  // A group's leads are refolded after its commit unless more requests are
  // waiting: then the next group's refold covers them too (a lead touched by
  // several groups is folded and written once), for at most kMaxDefer.
  static constexpr std::chrono::milliseconds kMaxDefer{20};
  bool deferred_ = false;
  std::chrono::steady_clock::time_point deferred_since_;
  asio::io_context& work_;
  Api& writer_;
  std::mutex mu_;
  std::vector<Pending> queue_;
  bool scheduled_ = false;
};

struct Shared {
  asio::io_context& net;
  asio::io_context& work;  // the engine thread
  Api& api;                // the writer's, used on the engine thread only
  Metrics& metrics;
  const ServerOptions& opts;
  SlaTimer& sla_timer;  // the engine thread's speed-to-lead timer
  GroupCommit& group;
  std::atomic<bool> stopping = false;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Shared& sh) : stream_(std::move(socket)), sh_(sh) {}
  void Start() { Read(); }
  auto executor() { return stream_.get_executor(); }
  // Shutdown: an idle connection closes now; a busy one after its response.
  void Stop() {
    if (!busy_) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.close();
    }
  }

 private:
  friend class GroupCommit;
  void Read() {
    if (sh_.stopping) return;
    parser_.emplace();
    parser_->body_limit(sh_.opts.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(sh_.opts.max_header_bytes));
    stream_.expires_after(std::chrono::seconds(sh_.opts.timeout_seconds));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::bad_descriptor) {
      return Close();
    }
    start_ = std::chrono::steady_clock::now();
    if (ec) {
      int status = 400;
      std::string code = "bad_http", msg = "malformed HTTP request: " + ec.message();
      if (ec == http::error::body_limit) {
        status = 413, code = "too_large",
        msg = "the body is larger than " + std::to_string(sh_.opts.max_body_bytes) + " bytes";
      } else if (ec == http::error::header_limit) {
        status = 431, code = "headers_too_large",
        msg = "the headers are larger than " + std::to_string(sh_.opts.max_header_bytes) + " bytes";
      }
      ApiResponse r = ErrorResponse(status, code, msg);
      r.route = "malformed";
      method_ = "?";
      path_ = "?";
      return Write(std::move(r), false);
    }
    auto& req = parser_->get();
    ApiRequest a;
    a.method = std::string(req.method_string());
    a.target = std::string(req.target());
    a.authorization = std::string(req[http::field::authorization]);
    a.content_encoding = std::string(req[http::field::content_encoding]);
    a.body = std::move(req.body());
    method_ = a.method;
    path_ = a.target.substr(0, a.target.find('?'));
    keep_alive_ = req.keep_alive();
    busy_ = true;
    if (Api::ForReader(a) && t_reader) {
      // Parsed, authorised (and lead reads answered) here, on this thread's
      // read-only connection; only the commit goes to the engine thread.
      auto job = std::make_shared<IngestJob>();
      ApiResponse r = t_reader->Handle(a, job.get());
      if (r.status != 0) return Write(std::move(r), keep_alive_ && !sh_.stopping);
      return sh_.group.Push(
          {shared_from_this(), std::move(job), std::move(r), asio::make_work_guard(sh_.net)});
    }
    // The work guard keeps the network loop alive while the engine works.
    asio::post(sh_.work, [self = shared_from_this(), a = std::move(a),
                          g = asio::make_work_guard(stream_.get_executor())]() mutable {
      self->sh_.group.Flush();  // projections current before any other engine work
      ApiResponse r = self->sh_.api.Handle(a);
      if (a.method != "GET") self->sh_.sla_timer.Arm();  // a write may start or stop clocks
      asio::post(self->stream_.get_executor(),
                 [self, r = std::move(r), g = std::move(g)]() mutable {
                   self->Write(std::move(r), self->keep_alive_ && !self->sh_.stopping);
                 });
    });
  }

  // On this connection's strand, after the group commit.
  void FinishIngest(IngestJob& job, ApiResponse res) {
    Write(t_reader->IngestResponse(job, std::move(res)), keep_alive_ && !sh_.stopping);
  }

  void Write(ApiResponse r, bool keep) {
    busy_ = true;
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    sh_.metrics.Request(r.route, r.status, secs);
    if (!sh_.opts.quiet) {
      Json l = LogLine(r.status >= 500 ? "error" : "info", "request");
      l["method"] = method_;
      l["path"] = path_;
      l["route"] = r.route;
      l["status"] = r.status;
      l["ms"] = std::round(secs * 100000) / 100;
      l["user"] = r.user.empty() ? Json(nullptr) : Json(r.user);
      l["key"] = r.key_id.empty() ? Json(nullptr) : Json(r.key_id);
      if (r.status >= 400 && r.content_type == "application/json") {
        auto j = Json::parse(r.body, nullptr, false);
        if (j.is_object() && j.contains("message")) l["error"] = j["message"];
      }
      Log(l);
    }
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<http::status>(r.status));
    res->set(http::field::server, "leadgate");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res->set(k, v);
    res->body() = std::move(r.body);
    res->keep_alive(keep);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(sh_.opts.timeout_seconds));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep](beast::error_code ec, size_t) {
                        self->busy_ = false;
                        if (ec || !keep || self->sh_.stopping) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    busy_ = false;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Shared& sh_;
  bool keep_alive_ = false, busy_ = false;
  std::string method_, path_;
  std::chrono::steady_clock::time_point start_;
};

void GroupCommit::Drain() {
  std::vector<Pending> group;
  {
    std::lock_guard lock(mu_);
    group.swap(queue_);
    scheduled_ = false;
  }
  std::vector<IngestJob*> jobs;
  jobs.reserve(group.size());
  for (auto& p : group) jobs.push_back(p.job.get());
  const auto start = std::chrono::steady_clock::now();
  if (!deferred_) deferred_since_ = start;
  deferred_ = true;
  // Answered once durable, before the touched leads are refolded.
  writer_.CommitIngest(
      jobs,
      [&] {
        for (auto& p : group) {
          auto ex = p.session->executor();
          asio::post(ex, [p = std::move(p)]() mutable {
            p.session->FinishIngest(*p.job, std::move(p.res));
          });
        }
      },
      /*refresh=*/false);
  bool more = false;
  {
    std::lock_guard lock(mu_);
    more = !queue_.empty();  // and so a Drain is scheduled
  }
  if (more && start - deferred_since_ < kMaxDefer) return;
  Flush();
}

bool ParseListen(const std::string& s, std::string* host, unsigned short* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = s.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  std::string p = s.substr(colon + 1);
  if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos)
    return false;
  int v = std::stoi(p);
  if (v > 65535) return false;
  *port = static_cast<unsigned short>(v);
  return true;
}

}  // namespace

int Serve(const ServerOptions& opts) {
  std::signal(SIGPIPE, SIG_IGN);
  std::string host;
  unsigned short port = 0;
  if (!ParseListen(opts.listen, &host, &port)) {
    std::cerr << "leadgate: --listen '" << opts.listen
              << "' must be HOST:PORT (like 127.0.0.1:8080)\n";
    return 2;
  }
  beast::error_code ec;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) {
    std::cerr << "leadgate: --listen: '" << host << "' is not an IP address\n";
    return 2;
  }
  auto engine = Engine::Open(opts.db);
  if (!engine.ok()) {
    std::cerr << "leadgate: " << engine.status().message() << "\n";
    return 1;
  }
  (*engine)->store().SetBusyTimeoutMs(5000);
  // Checkpoint every 64 MB of WAL, not SQLite's 4 MB: under ingest load the
  // same pages (a lead's row, its indexes) are rewritten by group after
  // group, and a checkpoint copies each page once however often it changed
  // (docs/benchmarks.md, "Server CPU per event"). Durability is the WAL's.
  (*engine)->store().db().exec("PRAGMA wal_autocheckpoint=16384");
  Metrics metrics;
  const ApiLimits limits{opts.max_inflated_bytes};
  Api api(**engine, metrics, limits);
  const int threads = std::max(1, opts.threads);
  std::vector<std::unique_ptr<Engine>> reader_engines;
  std::vector<std::unique_ptr<Api>> readers;
  for (int i = 0; i < threads; ++i) {
    auto r = Engine::Open(opts.db);
    if (!r.ok()) {
      std::cerr << "leadgate: " << r.status().message() << "\n";
      return 1;
    }
    (*r)->store().SetBusyTimeoutMs(5000);
    readers.push_back(std::make_unique<Api>(**r, metrics, limits));
    reader_engines.push_back(std::move(*r));
  }

  WebhookDelivery delivery(opts, metrics,
                           [](const char* level, const char* msg, const std::string& fields) {
                             Json l = LogLine(level, msg);
                             Json f = Json::parse(fields, nullptr, false);
                             if (f.is_object()) l.update(f, true);
                             Log(l);
                           });
  if (std::string why; !delivery.Start(&why)) {
    std::cerr << "leadgate: webhook delivery: " << why << "\n";
    return 1;
  }
  (*engine)->SetEmitListener([&](int64_t mqls, int64_t queued) {
    if (mqls) metrics.MqlsEntered(mqls);
    if (queued) delivery.Wake();
  });

  asio::io_context net(threads), work(1);
  GroupCommit group(work, api);
  auto guard = asio::make_work_guard(work);
  std::thread engine_thread([&] { work.run(); });

  tcp::acceptor acceptor(net);
  tcp::endpoint ep(addr, port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "leadgate: cannot listen on " << opts.listen << ": " << ec.message() << "\n";
    guard.reset();
    engine_thread.join();
    return 1;
  }
  const auto bound = acceptor.local_endpoint();
  SlaTimer sla_timer(work, **engine);
  sla_timer.before = [&] { group.Flush(/*arm=*/false); };  // fire clocks on current projections
  asio::post(work, [&] { sla_timer.Arm(); });
  group.after_commit = [&] { sla_timer.Arm(); };  // ingest may start clocks
  Shared sh{net, work, api, metrics, opts, sla_timer, group};
  std::mutex sessions_mu;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions;

  std::function<void()> accept = [&] {
    acceptor.async_accept(asio::make_strand(net), [&](beast::error_code aec, tcp::socket sock) {
      if (aec || sh.stopping) return;
      beast::error_code nec;
      sock.set_option(tcp::no_delay(true), nec);
      auto s = std::make_shared<Session>(std::move(sock), sh);
      {
        std::lock_guard lock(sessions_mu);
        for (auto it = sessions.begin(); it != sessions.end();)
          it = it->expired() ? sessions.erase(it) : std::next(it);
        sessions.insert(s);
      }
      s->Start();
      accept();
    });
  };
  accept();

  asio::signal_set signals(net, SIGTERM, SIGINT);
  signals.async_wait([&](beast::error_code, int sig) {
    Json l = LogLine("info", "shutting down");
    l["signal"] = sig == SIGTERM ? "SIGTERM" : "SIGINT";
    Log(l);
    sh.stopping = true;
    beast::error_code cec;
    acceptor.close(cec);
    std::lock_guard lock(sessions_mu);
    for (auto& w : sessions) {
      if (auto s = w.lock()) asio::post(s->executor(), [s] { s->Stop(); });
    }
  });

  std::cout << "listening on " << bound.address().to_string() << ":" << bound.port() << std::endl;
  Json l = LogLine("info", "listening");
  l["address"] = bound.address().to_string() + ":" + std::to_string(bound.port());
  l["db"] = opts.db;
  Log(l);
  std::vector<std::thread> net_threads;
  for (int i = 0; i < threads; ++i) {
    net_threads.emplace_back([&, i] {
      t_reader = readers[static_cast<size_t>(i)].get();
      net.run();
    });
  }
  for (auto& t : net_threads) t.join();
  asio::post(work, [&] {
    group.Flush();
    sla_timer.Stop();
  });
  guard.reset();
  engine_thread.join();
  delivery.Stop();
  readers.clear();
  reader_engines.clear();
  engine.value().reset();
  Log(LogLine("info", "stopped"));
  return 0;
}

}  // namespace leadgate::server
