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
  if (kind == Kind::kRep) {
    if (owner) {
      m += " is assigned to " + *owner;
    } else {
      m += " waits in team " + team.value_or("?") + "'s queue";
    }
    m += std::string("; a rep ") + verb +
         " their own leads, unassigned ones and those waiting in their team's queue";
    if (!routed) return m;  // no teams to name
    std::string list;
    for (const std::string& t : teams) list += (list.empty() ? "" : ", ") + t;
    m += list.empty() ? " (" + user + " is in no team)" : " (" + user + ": " + list + ")";
    return m;
  }
  if (owner) {
    m += " is assigned to " + *owner;
    if (team) m += " (team " + *team + ")";
  } else {
    m += " waits in team " + team.value_or("?") + "'s queue";
  }
  m += std::string("; a manager ") + verb + " the leads of the teams they manage";
  std::string list;
  for (const std::string& t : teams) list += (list.empty() ? "" : ", ") + t;
  m += list.empty() ? " (" + user + " manages none)" : " (" + user + ": " + list + ")";
  m += " and unassigned ones";
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
