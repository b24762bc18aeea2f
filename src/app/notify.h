// Notifications: what the engine tells the outside world (webhooks) about a
// lead. Producers (the fold diff after a save, routing, SLA timers) call
// Engine::Emit; the outbox (src/app/outbox.cc, issue 3 webhooks) makes each
// one durable in the same transaction as the change that caused it, and the
// server's delivery loop sends it.
#pragma once

#include <string>

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
