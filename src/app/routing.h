// Routing and real-time speed to lead: helpers shared by the Engine's hooks
// (engine.cc) and its routing operations (routing.cc). docs/routing.md.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "app/engine.h"
#include "fold/fold.h"

namespace leadgate {

// The lead's open (unanswered) speed-to-lead clock: (mql_at, due).
std::optional<std::pair<Micros, Micros>> OpenSlaClock(const LeadState& s);

// The data of a lead.assigned notification: owner, team, rule, who.
std::string AssignedJson(const LeadState& s, const std::string& rule);

// The engine's routing working set (complete here so the Engine's destructor,
// defined in outbox.cc, can destroy it).
struct Engine::RoutingState {
  std::vector<std::string> pending;  // saved in mql, needing routing
  std::unique_ptr<SQLite::Statement> sla_upsert, sla_delete;
};

}  // namespace leadgate
