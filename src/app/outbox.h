// The webhook outbox as the delivery loop sees it: its own store connection
// (the server's delivery thread), the rows owed now, and their outcomes.
// Engine::Emit writes the rows (outbox.cc); docs/webhooks.md.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/notify.h"
#include "common/status.h"
#include "store/store.h"

namespace leadgate {

// HMAC-SHA256 of `t + "." + body` keyed by the subscription's secret, as
// lowercase hex (the v1= part of the Leadgate-Signature header).
std::string WebhookSignature(const std::string& secret, int64_t unix_seconds,
                             const std::string& body);

// An http:// URL split for a client; false (with why) for anything else.
struct WebhookUrl {
  std::string host, port = "80", target = "/";
};
bool ParseWebhookUrl(const std::string& url, WebhookUrl* out, std::string* why);

class DeliveryQueue {
 public:
  static Result<std::unique_ptr<DeliveryQueue>> Open(const std::string& db_path);
  struct Owed {
    int64_t id = 0;
    std::string webhook_id, url, secret, type, event_id, body;
    int64_t attempts = 0;  // made so far
  };
  // Pending rows due at `now`, oldest first.
  Result<std::vector<Owed>> Due(Micros now, int limit);
  // Whether a row is still pending (not cancelled meanwhile).
  Result<bool> StillOwed(int64_t id);
  // The earliest next attempt of a pending row.
  Result<std::optional<Micros>> NextDue();
  Status Delivered(int64_t id, int64_t attempts, int status, Micros now);
  // A failed attempt: retried at `next_at`, or (next_at empty) given up.
  Status Attempted(int64_t id, int64_t attempts, std::optional<int> status,
                   const std::string& error, std::optional<Micros> next_at, Micros now);

 private:
  std::unique_ptr<Store> store_;
};

}  // namespace leadgate
