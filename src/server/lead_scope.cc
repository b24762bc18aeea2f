#include "server/lead_scope.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace leadgate::server {

LeadScope ScopeOf(const Principal& p, const Playbook& pb) {
  LeadScope s;
  s.user = p.user;
  if (p.role == Role::kRep) {
    s.kind = LeadScope::Kind::kRep;
    if (pb.routing) {
      s.routed = true;
      for (const RoutingTeam& t : pb.routing->teams) {
        for (const RoutingRep& r : t.reps) {
          if (r.name == p.user) s.teams.insert(t.name);
        }
      }
    }
  } else if (p.role == Role::kManager && pb.routing) {
    s.kind = LeadScope::Kind::kTeams;
    for (const RoutingTeam& t : pb.routing->teams) {
      if (t.manager != p.user) continue;
      s.teams.insert(t.name);
      for (const RoutingRep& r : t.reps) s.reps.insert(r.name);
    }
  }
  return s;
}

bool LeadScope::Sees(const std::optional<std::string>& owner,
                     const std::optional<std::string>& team) const {
  switch (kind) {
    case Kind::kAll:
      return true;
    case Kind::kRep:
      if (owner) return *owner == user;
      return !team || teams.count(*team) > 0;  // unassigned, or waiting in their team's queue
    case Kind::kTeams:
      if (team && teams.count(*team)) return true;
      if (owner) return *owner == user || reps.count(*owner) > 0;
      return !team;  // unassigned: no owner, no team's queue
  }
  return false;
}

std::string LeadScope::Refusal(const std::string& lead, const std::optional<std::string>& owner,
                               const std::optional<std::string>& team, const char* verb) const {
  std::string m = "lead " + lead;
  if (owner) {
    m += " is assigned to " + *owner;
    if (team && kind != Kind::kRep) m += " (team " + *team + ")";
  } else {
    m += " waits in team " + team.value_or("?") + "'s queue";
  }
  // " (user: their teams)", or " (user NONE)" when they have none.
  auto their_teams = [&](const char* none) {
    std::string list;
    for (const std::string& t : teams) list += (list.empty() ? "" : ", ") + t;
    return list.empty() ? " (" + user + " " + none + ")" : " (" + user + ": " + list + ")";
  };
  if (kind == Kind::kRep) {
    m += std::string("; a rep ") + verb +
         " their own leads, unassigned ones and those waiting in their team's queue";
    if (routed) m += their_teams("is in no team");  // without routing, no teams to name
    return m;
  }
  m += std::string("; a manager ") + verb + " the leads of the teams they manage" +
       their_teams("manages none") + " and unassigned ones";
  return m;
}

Result<std::map<std::string, std::string>> LeadTeamsAt(Engine& engine, Micros at) {
  std::map<std::string, std::string> out;
  try {
    SQLite::Statement q(engine.store().db(),
                        "SELECT lead_id, team FROM actions WHERE team IS NOT NULL AND ts <= ? "
                        "ORDER BY ts, seq");
    q.bind(1, static_cast<int64_t>(at));
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
  } catch (const SQLite::Exception& e) {
    return Status::Internal(std::string("reading the leads' teams: ") + e.what());
  }
  return out;
}

}  // namespace leadgate::server
