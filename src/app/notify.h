// Notifications: what the engine tells the outside world (webhooks) about a
// lead. Producers (the fold diff after a save, routing, SLA timers) call
// Engine::Emit; the outbox (src/app/outbox.cc, issue 3 webhooks) makes each
// one durable in the same transaction as the change that caused it, and the
// server's delivery loop sends it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/time.h"

namespace leadgate {

struct Notification {
  // "lead.mql", "lead.assigned", "lead.stage_changed", "sla.breached",
  // "lead.disqualified" (docs/webhooks.md).
  std::string type;
  std::string lead;
  Micros at = 0;  // when it happened (engine time)
  // The event's JSON object (without the envelope fields type/lead/at), e.g.
  // {"from":"lead","to":"mql","owner":"ana","who":"Ana Ruiz, VP Finance at Acme",
  //  "due":"2026-...","escalated_to":"maria"}.
  std::string data_json = "{}";
};

}  // namespace leadgate

namespace leadgate {

// A webhook subscription (docs/webhooks.md). `secret` signs every delivery;
// it is shown once by `webhook add` and kept in the store (the server needs
// it to sign).
struct WebhookRecord {
  std::string id, url, format = "json";  // format: "json" or "slack"
  std::vector<std::string> events;       // empty: every type
  std::string secret;
  Micros created_at = 0;
  std::optional<Micros> removed_at;
};

// One outbox row: a notification owed to one subscription.
struct DeliveryRecord {
  int64_t id = 0;
  std::string webhook_id, url, event_id, type, lead, body;
  Micros at = 0, created_at = 0, next_at = 0;
  std::string state;  // pending, delivered, failed, cancelled
  int64_t attempts = 0;
  std::optional<int64_t> last_status;
  std::optional<std::string> last_error;
  std::optional<Micros> done_at;
};

// The notification types a subscription may ask for.
const std::vector<std::string>& NotificationTypes();

}  // namespace leadgate
