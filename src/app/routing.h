// Routing and real-time speed to lead: helpers shared by the Engine's hooks
// (engine.cc) and its routing operations (routing.cc). docs/routing.md.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "fold/fold.h"

namespace leadgate {

// The lead's open (unanswered) speed-to-lead clock: (mql_at, due).
std::optional<std::pair<Micros, Micros>> OpenSlaClock(const LeadState& s);

// The data of a lead.assigned notification: owner, team, rule, who.
std::string AssignedJson(const LeadState& s, const std::string& rule);

}  // namespace leadgate
