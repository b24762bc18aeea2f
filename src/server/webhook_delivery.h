// The webhook delivery loop of `leadgate serve` (docs/webhooks.md): its own
// thread, Asio context and store connection, so a slow receiver never blocks
// the engine thread. It POSTs each owed outbox row (Boost.Beast, http://;
// one worker coroutine per webhook, in order, so a slow receiver holds back
// only its own rows), signed (HMAC-SHA256 over "t.body"), and records the
// outcome: a 2xx marks it
// delivered; anything else is retried with exponential backoff and jitter
// until the attempts run out (then it is failed). At least once: a row whose
// 2xx was not recorded before a crash is sent again after the restart.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "server/metrics.h"
#include "server/server.h"

namespace leadgate::server {

class WebhookDelivery {
 public:
  // `log(level, msg, json_fields)`: a structured log line (the server's).
  using LogFn = std::function<void(const char* level, const char* msg, const std::string& fields)>;
  WebhookDelivery(const ServerOptions& opts, Metrics& metrics, LogFn log);
  ~WebhookDelivery();
  // Opens its store connection and starts the thread; false (why) on failure.
  bool Start(std::string* why);
  // Something was queued: look now rather than at the next poll (any thread).
  void Wake();
  // Stops the loop (a request in flight is abandoned; its row stays owed).
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace leadgate::server
