#include "server/server.h"

#include <utility>
// (utility before Asio)
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

struct Shared {
  asio::io_context& net;
  asio::io_context& work;  // the engine thread
  Api& api;
  Metrics& metrics;
  const ServerOptions& opts;
  SlaTimer& sla_timer;    // the engine thread's speed-to-lead timer
  bool stopping = false;  // touched on the network thread only
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
    // The work guard keeps the network loop alive while the engine works.
    asio::post(sh_.work, [self = shared_from_this(), a = std::move(a),
                          g = asio::make_work_guard(stream_.get_executor())]() mutable {
      ApiResponse r = self->sh_.api.Handle(a);
      if (a.method != "GET") self->sh_.sla_timer.Arm();  // a write may start or stop clocks
      asio::post(self->stream_.get_executor(),
                 [self, r = std::move(r), g = std::move(g)]() mutable {
                   self->Write(std::move(r), self->keep_alive_ && !self->sh_.stopping);
                 });
    });
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
  Metrics metrics;
  Api api(**engine, metrics, ApiLimits{opts.max_inflated_bytes});

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

  asio::io_context net(1), work(1);
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
  asio::post(work, [&] { sla_timer.Arm(); });
  Shared sh{net, work, api, metrics, opts, sla_timer};
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions;

  std::function<void()> accept = [&] {
    acceptor.async_accept(asio::make_strand(net), [&](beast::error_code aec, tcp::socket sock) {
      if (aec || sh.stopping) return;
      auto s = std::make_shared<Session>(std::move(sock), sh);
      for (auto it = sessions.begin(); it != sessions.end();)
        it = it->expired() ? sessions.erase(it) : std::next(it);
      sessions.insert(s);
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
    for (auto& w : sessions) {
      if (auto s = w.lock()) asio::post(s->executor(), [s] { s->Stop(); });
    }
  });

  std::cout << "listening on " << bound.address().to_string() << ":" << bound.port() << std::endl;
  Json l = LogLine("info", "listening");
  l["address"] = bound.address().to_string() + ":" + std::to_string(bound.port());
  l["db"] = opts.db;
  Log(l);
  net.run();
  asio::post(work, [&] { sla_timer.Stop(); });
  guard.reset();
  engine_thread.join();
  delivery.Stop();
  engine.value().reset();
  Log(LogLine("info", "stopped"));
  return 0;
}

}  // namespace leadgate::server
