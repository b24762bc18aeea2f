#include "server/webhook_delivery.h"

#include <utility>
// (utility before Asio)
#include <sodium.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "app/outbox.h"

namespace leadgate::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Json = nlohmann::ordered_json;

namespace {
constexpr int64_t kMaxDelayMs = 3600 * 1000;  // backoff cap: an hour
constexpr int kBatch = 100;                   // rows read per look at the outbox

std::string Trunc(std::string s, size_t n) {
  if (s.size() > n) {
    s.resize(n);
    s += "...";
  }
  return s;
}
}  // namespace

struct WebhookDelivery::Impl {
  const ServerOptions& opts;
  Metrics& metrics;
  LogFn log;
  asio::io_context ioc{1};
  asio::steady_timer timer{ioc};
  std::unique_ptr<DeliveryQueue> queue;
  std::thread thread;
  bool stopping = false, woken = false;  // on the loop's thread only
  std::set<beast::tcp_stream*> in_flight;
  std::set<std::string> busy;  // webhooks with a worker delivering

  Impl(const ServerOptions& o, Metrics& m, LogFn l) : opts(o), metrics(m), log(std::move(l)) {}

  void Log(const char* level, const char* msg, const Json& fields) {
    if (log) log(level, msg, fields.dump(-1, ' ', false, Json::error_handler_t::replace));
  }

  // The wait before attempt `attempts + 1` (attempts >= 1 made): base *
  // 2^(attempts-1), capped, times a jitter in [0.5, 1.5).
  int64_t DelayMs(int64_t attempts) const {
    double d = static_cast<double>(opts.webhook_retry_base_ms) *
               std::pow(2.0, static_cast<double>(std::min<int64_t>(attempts - 1, 40)));
    d = std::min(d, static_cast<double>(kMaxDelayMs));
    const double jitter = 0.5 + static_cast<double>(randombytes_uniform(1000000)) / 1e6;
    return std::max<int64_t>(1, static_cast<int64_t>(d * jitter));
  }

  struct Outcome {
    std::optional<int> status;
    std::string error;  // empty on a 2xx
  };

  asio::awaitable<Outcome> Send(const DeliveryQueue::Owed& o) {
    Outcome out;
    WebhookUrl u;
    std::string why;
    if (!ParseWebhookUrl(o.url, &u, &why)) {
      out.error = why;
      co_return out;
    }
    auto ex = co_await asio::this_coro::executor;
    beast::tcp_stream stream(ex);
    in_flight.insert(&stream);
    try {
      tcp::resolver resolver(ex);
      stream.expires_after(std::chrono::milliseconds(opts.webhook_timeout_ms));
      auto results = co_await resolver.async_resolve(u.host, u.port, asio::use_awaitable);
      co_await stream.async_connect(results, asio::use_awaitable);
      http::request<http::string_body> req{http::verb::post, u.target, 11};
      const int64_t t = NowMicros() / kSecond;
      req.set(http::field::host, u.port == "80" ? u.host : u.host + ":" + u.port);
      req.set(http::field::user_agent, "leadgate-webhooks/1");
      req.set(http::field::content_type, "application/json");
      req.set("Leadgate-Event", o.type);
      req.set("Leadgate-Event-Id", o.event_id);
      req.set("Leadgate-Delivery", std::to_string(o.id));
      req.set("Leadgate-Attempt", std::to_string(o.attempts + 1));
      req.set("Leadgate-Timestamp", std::to_string(t));
      std::string sig = "t=" + std::to_string(t);
      sig += ",v1=";
      sig += WebhookSignature(o.secret, t, o.body);
      req.set("Leadgate-Signature", sig);
      req.keep_alive(false);
      req.body() = o.body;
      req.prepare_payload();
      co_await http::async_write(stream, req, asio::use_awaitable);
      beast::flat_buffer buf;
      http::response_parser<http::string_body> parser;
      parser.body_limit(1 << 20);
      co_await http::async_read(stream, buf, parser, asio::use_awaitable);
      const int status = static_cast<int>(parser.get().result_int());
      out.status = status;
      if (status < 200 || status > 299) {
        out.error = "HTTP " + std::to_string(status);
        if (!parser.get().body().empty()) out.error += ": " + Trunc(parser.get().body(), 200);
      }
    } catch (const boost::system::system_error& e) {
      out.error = e.code() == beast::error::timeout
                      ? "timed out after " + std::to_string(opts.webhook_timeout_ms) + " ms"
                      : e.code().message();
      if (out.status) out.error = "HTTP " + std::to_string(*out.status) + " then " + out.error;
    } catch (const std::exception& e) {
      out.error = e.what();
    }
    in_flight.erase(&stream);
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    co_return out;
  }

  // Whether the attempt was delivered.
  asio::awaitable<bool> Deliver(const DeliveryQueue::Owed& o) {
    auto owed = queue->StillOwed(o.id);  // not cancelled since it was read
    if (!owed.ok() || !*owed) co_return true;
    const auto start = std::chrono::steady_clock::now();
    Outcome r = co_await Send(o);
    if (stopping) co_return false;  // abandoned: the row stays owed
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int64_t attempts = o.attempts + 1;
    const Micros now = NowMicros();
    Status s;
    if (r.error.empty()) {
      s = queue->Delivered(o.id, attempts, *r.status, now);
      metrics.Webhook(true, false, secs);
    } else {
      const bool give_up = attempts >= opts.webhook_max_attempts;
      std::optional<Micros> next;
      if (!give_up) next = now + DelayMs(attempts) * 1000;
      s = queue->Attempted(o.id, attempts, r.status, r.error, next, now);
      metrics.Webhook(false, give_up, secs);
      Json f{{"delivery", o.id},    {"webhook", o.webhook_id}, {"type", o.type},
             {"attempt", attempts}, {"error", r.error},        {"url", o.url},
             {"gave_up", give_up}};
      if (next) f["next_attempt"] = FormatRfc3339(*next);
      Log(give_up ? "error" : "warn",
          give_up ? "webhook delivery failed" : "webhook attempt failed", f);
    }
    if (!s.ok()) Log("error", "webhook outbox update failed", Json{{"error", s.message()}});
    co_return r.error.empty();
  }

  void Poke() {
    woken = true;
    timer.cancel();
  }

  // One webhook's due rows, in order (a slow or dead receiver holds back only
  // its own deliveries). After a failed attempt the worker ends and the loop
  // looks at the outbox again (the failed row now waits for its retry).
  asio::awaitable<void> Worker(std::string webhook, std::vector<DeliveryQueue::Owed> rows) {
    for (const auto& o : rows) {
      if (stopping) break;
      if (!co_await Deliver(o)) break;
    }
    busy.erase(webhook);
    Poke();  // look again: more may be due
  }

  asio::awaitable<void> Loop() {
    while (!stopping) {
      woken = false;
      const Micros now = NowMicros();
      auto due = queue->Due(now, kBatch);
      if (!due.ok()) {
        Log("error", "webhook outbox read failed", Json{{"error", due.status().message()}});
      } else {
        std::map<std::string, std::vector<DeliveryQueue::Owed>> groups;
        for (auto& o : *due) {
          if (!busy.count(o.webhook_id)) groups[o.webhook_id].push_back(std::move(o));
        }
        for (auto& [webhook, rows] : groups) {
          busy.insert(webhook);
          asio::co_spawn(ioc, Worker(webhook, std::move(rows)), asio::detached);
        }
      }
      if (stopping || woken) continue;
      int64_t wait_us = static_cast<int64_t>(opts.webhook_poll_ms) * 1000;
      if (due.ok()) {
        // Rows due now belong to busy webhooks: their workers wake the loop.
        auto next = queue->NextDue();
        if (next.ok() && *next && **next > now) wait_us = std::min(wait_us, **next - now);
      }
      if (woken || stopping) continue;
      timer.expires_after(std::chrono::microseconds(wait_us));
      beast::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

WebhookDelivery::WebhookDelivery(const ServerOptions& opts, Metrics& metrics, LogFn log)
    : impl_(std::make_unique<Impl>(opts, metrics, std::move(log))) {}

WebhookDelivery::~WebhookDelivery() { Stop(); }

bool WebhookDelivery::Start(std::string* why) {
  if (sodium_init() < 0) {
    *why = "libsodium failed to initialise";
    return false;
  }
  auto q = DeliveryQueue::Open(impl_->opts.db);
  if (!q.ok()) {
    *why = q.status().message();
    return false;
  }
  impl_->queue = std::move(*q);
  Impl* im = impl_.get();
  asio::co_spawn(im->ioc, im->Loop(), [im](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      im->Log("error", "webhook delivery loop stopped", Json{{"error", x.what()}});
    }
  });
  im->thread = std::thread([im] { im->ioc.run(); });
  return true;
}

void WebhookDelivery::Wake() {
  Impl* im = impl_.get();
  asio::post(im->ioc, [im] { im->Poke(); });
}

void WebhookDelivery::Stop() {
  Impl* im = impl_.get();
  if (!im->thread.joinable()) return;
  asio::post(im->ioc, [im] {
    im->stopping = true;
    im->timer.cancel();
    for (beast::tcp_stream* s : im->in_flight) {
      beast::error_code ec;
      s->socket().cancel(ec);
      s->socket().close(ec);
    }
  });
  im->thread.join();
  im->queue.reset();
}

}  // namespace leadgate::server
