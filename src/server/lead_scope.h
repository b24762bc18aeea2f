// Which leads a key's user sees and works over the API (docs/api.md, "Who
// sees which lead"): everyone for admins and marketing; for a rep, their own
// leads, the unassigned ones and those waiting in the queue of a team they
// are a rep of; for a manager, the leads of the teams they
// manage in the playbook's routing block (docs/routing.md) and the
// unassigned ones, or every lead when the playbook has no routing block.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "app/engine.h"
#include "common/status.h"
#include "playbook/playbook.h"

namespace leadgate::server {

struct LeadScope {
  enum class Kind { kAll, kRep, kTeams };
  Kind kind = Kind::kAll;
  std::string user;
  std::set<std::string> teams;  // kTeams: the teams the manager manages; kRep: the rep's teams
  bool routed = false;          // kRep: the playbook has a routing block (leads may have teams)
  std::set<std::string> reps;   // kTeams: the reps of those teams

  // Whether the user sees (and may work) a lead with this owner and team.
  bool Sees(const std::optional<std::string>& owner, const std::optional<std::string>& team) const;
  // Why the user does not see `lead` (the rule, for a 403); Sees() was false.
  std::string Refusal(const std::string& lead, const std::optional<std::string>& owner,
                      const std::optional<std::string>& team, const char* verb) const;
  // Whether Sees() needs the lead's team (the queue looks teams up only then).
  bool NeedsTeams() const { return kind == Kind::kTeams || (kind == Kind::kRep && routed); }
};

// The scope of `p` under the playbook `pb` (the one in force now: team
// membership is read in the present tense, like a rep's absence).
LeadScope ScopeOf(const Principal& p, const Playbook& pb);

// Each lead's team as of `at` (the team of its last assignment that named
// one, as the fold sets LeadState::team); leads never routed are absent.
Result<std::map<std::string, std::string>> LeadTeamsAt(Engine& engine, Micros at);

}  // namespace leadgate::server
