// Routing (docs/routing.md): on entering mql a lead is assigned to a rep of
// the team its territory picks, round-robin, within each rep's capacity and
// skipping reps marked away; a lead nobody can take waits in the team's
// queue until capacity frees. Every assignment is a recorded `assign` action
// (by engine), so refold and rebuild reproduce the owners.
//
// Real-time speed to lead: the open clocks are indexed in sla_open (the
// fold computes their due time, business hours included); FireDueSlas
// records each breach once in sla_breaches, escalated to the team's manager.
#include "app/routing.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "app/engine.h"
#include "app/projection.h"

namespace leadgate {

namespace {

using Json = nlohmann::json;

template <typename F>
Status Guard(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("storage error: ") + e.what());
  }
}

std::optional<std::string> OptText(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

Json OptJson(const std::optional<std::string>& s) { return s ? Json(*s) : Json(); }

}  // namespace

std::optional<std::pair<Micros, Micros>> OpenSlaClock(const LeadState& s) {
  for (const SlaClock& c : s.clocks) {
    if (!c.responded_at) return std::make_pair(c.mql_at, c.due);
  }
  return std::nullopt;
}

std::string AssignedJson(const LeadState& s, const std::string& rule) {
  Json j = {{"owner", OptJson(s.owner)},
            {"team", OptJson(s.team)},
            {"rule", rule},
            {"who", DescribeLead(s.traits)},
            {"stage", StageName(s.stage)}};
  return j.dump();
}

Engine::RoutingState& Engine::routing() {
  if (!routing_) routing_ = std::make_unique<RoutingState>();
  return *routing_;
}

Status Engine::NoteSaved(const LeadState& s, const std::optional<std::pair<Micros, Micros>>& open,
                         bool had_clock, bool route) {
  if (route && s.needs_routing) routing().pending.push_back(s.id);
  return IndexSla(s.id, open, had_clock);
}

Status Engine::IndexSla(const std::string& id, const std::optional<std::pair<Micros, Micros>>& open,
                        bool had_clock) {
  if (!open && !had_clock) return Status::Ok();
  RoutingState& rs = routing();
  return Guard([&] {
    if (open) {
      if (!rs.sla_upsert) {
        rs.sla_upsert = std::make_unique<SQLite::Statement>(
            store_->db(),
            "INSERT INTO sla_open(lead_id, mql_at, due, fired) VALUES(?1, ?2, ?3, "
            "EXISTS(SELECT 1 FROM sla_breaches WHERE lead_id = ?1 AND mql_at = ?2)) "
            "ON CONFLICT(lead_id) DO UPDATE SET mql_at = excluded.mql_at, due = excluded.due, "
            "fired = excluded.fired");
      }
      SQLite::Statement& q = *rs.sla_upsert;
      q.reset();
      q.bind(1, id);
      q.bind(2, static_cast<int64_t>(open->first));
      q.bind(3, static_cast<int64_t>(open->second));
      q.exec();
    } else {
      if (!rs.sla_delete) {
        rs.sla_delete = std::make_unique<SQLite::Statement>(
            store_->db(), "DELETE FROM sla_open WHERE lead_id = ?");
      }
      SQLite::Statement& q = *rs.sla_delete;
      q.reset();
      q.bind(1, id);
      q.exec();
    }
    return Status::Ok();
  });
}

Status Engine::RecordAssign(const std::string& lead, Micros ts,
                            const std::optional<std::string>& to, const std::string& team,
                            const std::string& reason) {
  Action a;
  a.lead_id = lead;
  a.kind = ActionKind::kAssign;
  a.by = "engine";
  a.role = Role::kAdmin;
  a.ts = ts;
  a.reason = reason;
  a.to = to;
  a.team = team;
  auto seq = store_->InsertAction(a);
  if (!seq.ok()) return seq.status();
  std::vector<Event> events;
  std::vector<Action> actions;
  if (Status s = store_->LoadLead(lead, &events, &actions); !s.ok()) return s;
  std::vector<const Event*> ep;
  for (const Event& e : events) ep.push_back(&e);
  std::vector<const Action*> ap;
  for (const Action& x : actions) ap.push_back(&x);
  LeadState st = Fold(lead, ep, ap, versions_, Options(INT64_MAX));
  if (Status s = Save(st); !s.ok()) return s;
  if (Status s = store_->BumpLastPoint(ts); !s.ok()) return s;
  if (to) return Emit({"lead.assigned", lead, ts, AssignedJson(st, reason)});
  return Status::Ok();
}

Status Engine::RouteInTxn(Micros now) {
  RoutingState& rs = routing();
  bool any = false;
  for (const auto& v : versions_) any |= v.playbook->routing.has_value();
  if (!any) {
    rs.pending.clear();
    return Status::Ok();
  }
  std::vector<std::string> pending;
  pending.swap(rs.pending);
  return Guard([&]() -> Status {
    SQLite::Database& db = store_->db();
    std::vector<std::string> waiting_teams;
    {
      SQLite::Statement q(db, "SELECT DISTINCT team FROM routing_queue ORDER BY team");
      while (q.executeStep()) waiting_teams.push_back(q.getColumn(0).getString());
    }
    if (pending.empty() && waiting_teams.empty()) return Status::Ok();
    // Who is away (now, by the wall clock: away is a present-tense status).
    std::set<std::string> away;
    {
      const Micros wall = NowMicros();
      SQLite::Statement q(db, "SELECT name, until FROM user_away");
      while (q.executeStep()) {
        if (q.getColumn(1).isNull() || q.getColumn(1).getInt64() > wall) {
          away.insert(q.getColumn(0).getString());
        }
      }
    }
    std::map<std::string, int64_t> load;  // open mql + sal per rep
    auto load_of = [&](const std::string& rep) -> int64_t& {
      auto it = load.find(rep);
      if (it != load.end()) return it->second;
      SQLite::Statement q(db,
                          "SELECT COUNT(*) FROM leads WHERE owner = ? AND stage IN ('mql', 'sal')");
      q.bind(1, rep);
      q.executeStep();
      return load[rep] = q.getColumn(0).getInt64();
    };
    std::map<std::string, bool> is_user;
    auto user_ok = [&](const std::string& name) {
      auto it = is_user.find(name);
      if (it != is_user.end()) return it->second;
      auto u = store_->GetUser(name);
      bool ok = u.ok() && *u && (*u)->role != Role::kMarketing;
      return is_user[name] = ok;
    };
    // The next rep of the team by round-robin who is a user, not away and
    // under capacity; `why` says who was skipped when there is none.
    auto pick = [&](const Routing& rt, const RoutingTeam& team,
                    std::string* why) -> std::optional<std::string> {
      std::string last;
      {
        SQLite::Statement q(db, "SELECT last_rep FROM routing_rr WHERE team = ?");
        q.bind(1, team.name);
        if (q.executeStep()) last = q.getColumn(0).getString();
      }
      size_t start = 0;
      for (size_t i = 0; i < team.reps.size(); ++i) {
        if (team.reps[i].name == last) start = i + 1;
      }
      const int64_t dflt = rt.capacity.value_or(INT64_MAX);
      std::string notes;
      for (size_t k = 0; k < team.reps.size(); ++k) {
        size_t i = (start + k) % team.reps.size();
        const std::string& rep = team.reps[i].name;
        std::string note;
        const int64_t cap = team.CapacityOf(i, dflt);
        if (!user_ok(rep)) {
          note = rep + " is not a rep user";
        } else if (away.count(rep)) {
          note = rep + " away";
        } else if (load_of(rep) >= cap) {
          note = rep + " at capacity " + std::to_string(load_of(rep)) + "/" + std::to_string(cap);
        } else {
          SQLite::Statement u(db,
                              "INSERT INTO routing_rr(team, last_rep) VALUES(?, ?) "
                              "ON CONFLICT(team) DO UPDATE SET last_rep = excluded.last_rep");
          u.bind(1, team.name);
          u.bind(2, rep);
          u.exec();
          ++load_of(rep);
          return rep;
        }
        notes += (notes.empty() ? "" : ", ") + note;
      }
      *why = notes;
      return std::nullopt;
    };
    auto load_state = [&](const std::string& id, LeadState* st) -> Result<bool> {
      auto stored = store_->LoadProjection(id);
      if (!stored.ok()) return stored.status();
      if (!*stored) return false;
      const Store::StoredLead& l = **stored;
      st->id = l.row.id;
      st->stage = l.row.stage;
      st->owner = l.row.owner;
      st->playbook_version = l.playbook_version;
      int64_t n = 0;
      if (Status d = DecodeProjection(l.state, st, &n, &PlaybookOf(*st)); !d.ok()) return d;
      return true;
    };
    auto dequeue = [&](const std::string& id) {
      SQLite::Statement d(db, "DELETE FROM routing_queue WHERE lead_id = ?");
      d.bind(1, id);
      d.exec();
    };
    std::set<std::string> still_waiting;  // teams whose queue is not empty after releases
    // 1. Release waiting leads, oldest first, while their team has capacity.
    for (const std::string& team_name : waiting_teams) {
      std::vector<std::string> ids;
      {
        SQLite::Statement q(db,
                            "SELECT lead_id FROM routing_queue WHERE team = ? "
                            "ORDER BY since, lead_id");
        q.bind(1, team_name);
        while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
      }
      for (const std::string& id : ids) {
        LeadState st;
        auto found = load_state(id, &st);
        if (!found.ok()) return found.status();
        const Playbook* pb = *found ? &PlaybookOf(st) : nullptr;
        const RoutingTeam* team = pb && pb->routing ? pb->routing->FindTeam(team_name) : nullptr;
        if (!*found || st.stage != Stage::kMql || st.owner || st.team != team_name ||
            team == nullptr) {
          dequeue(id);  // taken by hand, moved on, or its team is gone
          continue;
        }
        std::string why;
        auto rep = pick(*pb->routing, *team, &why);
        if (!rep) {
          still_waiting.insert(team_name);
          break;  // first in, first out: nobody behind it goes first
        }
        std::string rule = st.assign_reason.value_or("territory");
        rule = rule.substr(0, rule.find(':'));
        dequeue(id);
        Status s = RecordAssign(id, std::max(now, st.last_at), *rep, team_name,
                                rule + ", round-robin (released from the queue)");
        if (!s.ok()) return s;
      }
    }
    // 2. Route the leads that newly entered mql, in the order they did.
    std::vector<std::pair<Micros, LeadState>> todo;
    std::sort(pending.begin(), pending.end());
    pending.erase(std::unique(pending.begin(), pending.end()), pending.end());
    for (const std::string& id : pending) {
      LeadState st;
      auto found = load_state(id, &st);
      if (!found.ok()) return found.status();
      if (!*found || !st.needs_routing || st.stage != Stage::kMql) continue;
      Micros at = st.entered_stage_at.value_or(st.last_at);
      todo.emplace_back(at, std::move(st));
    }
    std::sort(todo.begin(), todo.end(), [](const auto& a, const auto& b) {
      if (a.first != b.first) return a.first < b.first;
      return a.second.id < b.second.id;
    });
    for (auto& [at, st] : todo) {
      const Playbook& pb = PlaybookOf(st);
      if (!pb.routing) continue;
      std::vector<FieldValue> fields(pb.fields.size());
      for (size_t i = 0; i < pb.fields.size(); ++i) {
        auto it = st.traits.find(pb.fields[i].name);
        if (it != st.traits.end()) fields[i] = ReadAsField(it->second, pb.fields[i].type);
      }
      std::string rule;
      const RoutingTeam* team = pb.routing->Match(fields.data(), &rule);
      if (team == nullptr) continue;  // no territory and no default team: unassigned
      std::string why = "the team's queue has leads waiting";
      std::optional<std::string> rep;
      if (!still_waiting.count(team->name)) rep = pick(*pb.routing, *team, &why);
      Status s;
      if (rep) {
        s = RecordAssign(st.id, at, *rep, team->name, rule + ", round-robin");
      } else {
        still_waiting.insert(team->name);
        SQLite::Statement q(db,
                            "INSERT OR REPLACE INTO routing_queue(lead_id, team, since) "
                            "VALUES(?, ?, ?)");
        q.bind(1, st.id);
        q.bind(2, team->name);
        q.bind(3, static_cast<int64_t>(at));
        q.exec();
        s = RecordAssign(st.id, at, std::nullopt, team->name,
                         rule + ": waiting in the team queue (" + why + ")");
      }
      if (!s.ok()) return s;
    }
    rs.pending.clear();  // the saves above need no routing
    return Status::Ok();
  });
}

Status Engine::PrepareManualAssign(const ActRequest& req, Action* a) {
  if (!req.to || TrimSpaces(*req.to).empty()) return Status::Ok();  // the fold's needs rule says it
  auto user = store_->GetUser(*req.to);
  if (!user.ok()) return user.status();
  if (!*user) {
    return Status::NotFound("unknown user '" + *req.to + "' to assign to: add them with " +
                            "'leadgate user add " + *req.to + " --role rep'");
  }
  if ((*user)->role == Role::kMarketing) {
    return Status::Invalid("cannot assign a lead to " + *req.to +
                           ", who is marketing: assign it to a rep or a manager");
  }
  a->to = req.to;
  const Playbook& pb = PlaybookAt(req.at);
  if (pb.routing) {
    for (const auto& t : pb.routing->teams) {
      for (const auto& r : t.reps) {
        if (r.name == *req.to && !a->team) a->team = t.name;
      }
    }
  }
  if (!a->reason) a->reason = "manual assign by " + req.by;
  return Status::Ok();
}

Status Engine::CheckRoutingUsers(const Playbook& pb) {
  if (!pb.routing) return Status::Ok();
  for (const auto& t : pb.routing->teams) {
    auto m = store_->GetUser(t.manager);
    if (!m.ok()) return m.status();
    if (!*m) {
      return Status::Invalid(t.manager_where + ": manager '" + t.manager + "' of team '" + t.name +
                             "' is not a user: add them with 'leadgate user add " + t.manager +
                             " --role manager'");
    }
    if ((*m)->role != Role::kManager && (*m)->role != Role::kAdmin) {
      return Status::Invalid(t.manager_where + ": manager '" + t.manager + "' of team '" + t.name +
                             "' has role " + RoleName((*m)->role) +
                             ": a team's manager must be a manager or an admin");
    }
    for (size_t i = 0; i < t.reps.size(); ++i) {
      auto u = store_->GetUser(t.reps[i].name);
      if (!u.ok()) return u.status();
      if (!*u || (*u)->role == Role::kMarketing) {
        return Status::Invalid(t.rep_where[i] + ": rep '" + t.reps[i].name + "' of team '" +
                               t.name + "' is " + (*u ? "marketing" : "not a user") +
                               ": add them with 'leadgate user add " + t.reps[i].name +
                               " --role rep'");
      }
    }
  }
  return Status::Ok();
}

Status Engine::SetAway(const std::string& user, Micros now, std::optional<Micros> until) {
  auto u = store_->GetUser(user);
  if (!u.ok()) return u.status();
  if (!*u) return Status::NotFound("unknown user '" + user + "'");
  if (until && *until <= now) {
    return Status::Usage("--until " + FormatRfc3339(*until) + " is not in the future");
  }
  if (Status s = store_->Begin(); !s.ok()) return s;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(),
                        "INSERT OR REPLACE INTO user_away(name, since, until) VALUES(?, ?, ?)");
    q.bind(1, user);
    q.bind(2, static_cast<int64_t>(now));
    if (until) {
      q.bind(3, static_cast<int64_t>(*until));
    } else {
      q.bind(3);
    }
    q.exec();
    return Status::Ok();
  });
  if (s.ok()) s = store_->Commit();
  if (!s.ok()) store_->Rollback();
  return s;
}

Status Engine::SetBack(const std::string& user, Micros now) {
  auto u = store_->GetUser(user);
  if (!u.ok()) return u.status();
  if (!*u) return Status::NotFound("unknown user '" + user + "'");
  if (Status r = ReloadVersionsIfChanged(); !r.ok()) return r;
  if (Status s = store_->Begin(); !s.ok()) return s;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(), "DELETE FROM user_away WHERE name = ?");
    q.bind(1, user);
    q.exec();
    return Status::Ok();
  });
  if (s.ok()) s = RouteInTxn(now);  // their share of the queues
  if (s.ok()) s = store_->Commit();
  if (!s.ok()) store_->Rollback();
  return s;
}

Result<std::vector<AwayRecord>> Engine::AwayUsers(Micros now) {
  std::vector<AwayRecord> out;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(),
                        "SELECT name, since, until FROM user_away WHERE until IS NULL OR "
                        "until > ? ORDER BY name");
    q.bind(1, static_cast<int64_t>(now));
    while (q.executeStep()) {
      AwayRecord r;
      r.user = q.getColumn(0).getString();
      r.since = q.getColumn(1).getInt64();
      if (!q.getColumn(2).isNull()) r.until = q.getColumn(2).getInt64();
      out.push_back(std::move(r));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<Micros>> Engine::NextAwayEnd() {
  std::optional<Micros> end;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(), "SELECT MIN(until) FROM user_away WHERE until IS NOT NULL");
    if (q.executeStep() && !q.getColumn(0).isNull()) end = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return end;
}

Status Engine::EndAbsences(Micros now) {
  if (Status r = ReloadVersionsIfChanged(); !r.ok()) return r;
  if (Status s = store_->Begin(); !s.ok()) return s;
  int ended = 0;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(),
                        "DELETE FROM user_away WHERE until IS NOT NULL AND until <= ?");
    q.bind(1, static_cast<int64_t>(now));
    ended = q.exec();
    return Status::Ok();
  });
  if (s.ok() && ended > 0) s = RouteInTxn(now);
  if (s.ok()) s = store_->Commit();
  if (!s.ok()) store_->Rollback();
  return s;
}

Result<std::vector<TeamQueueRow>> Engine::TeamQueue(const std::string& team) {
  if (Status r = ReloadVersionsIfChanged(); !r.ok()) return r;
  const Playbook& pb = *versions_.back().playbook;
  if (!pb.routing) {
    return Status::NotFound("the playbook in force has no routing block, so there are no teams");
  }
  if (!pb.routing->FindTeam(team)) {
    std::string list;
    for (const auto& t : pb.routing->teams) list += (list.empty() ? "" : ", ") + t.name;
    return Status::NotFound("no team '" + team + "' in the playbook's routing (teams: " + list +
                            ")");
  }
  std::vector<TeamQueueRow> out;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(),
                        "SELECT q.lead_id, q.since, l.who, l.fit FROM routing_queue q "
                        "JOIN leads l ON l.id = q.lead_id "
                        "WHERE q.team = ? AND l.stage = 'mql' AND l.owner IS NULL "
                        "ORDER BY q.since, q.lead_id");
    q.bind(1, team);
    while (q.executeStep()) {
      TeamQueueRow r;
      r.lead = q.getColumn(0).getString();
      r.team = team;
      r.since = q.getColumn(1).getInt64();
      r.who = q.getColumn(2).getString();
      r.total = q.getColumn(3).getDouble();
      out.push_back(std::move(r));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<Micros>> Engine::NextSlaDue() {
  // Clocks as of the log: leads left dirty (a crash, a migration) first.
  if (Status r = ReloadVersionsIfChanged(); !r.ok()) return r;
  auto dirty = store_->DirtyCount();
  if (!dirty.ok()) return dirty.status();
  if (*dirty > 0) {
    if (Status r = RefreshDirty(); !r.ok()) return r;
  }
  std::optional<Micros> due;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(), "SELECT MIN(due) FROM sla_open WHERE fired = 0");
    if (q.executeStep() && !q.getColumn(0).isNull()) due = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return due;
}

Status Engine::FireDueSlas(Micros now) {
  if (Status r = ReloadVersionsIfChanged(); !r.ok()) return r;
  auto dirty = store_->DirtyCount();
  if (!dirty.ok()) return dirty.status();
  if (*dirty > 0) {
    if (Status r = RefreshDirty(); !r.ok()) return r;  // clocks as of the log
  }
  if (Status s = store_->Begin(); !s.ok()) return s;
  Status s = Guard([&]() -> Status {
    SQLite::Database& db = store_->db();
    struct Due {
      std::string lead;
      Micros mql_at, due;
    };
    std::vector<Due> due;
    {
      SQLite::Statement q(db,
                          "SELECT lead_id, mql_at, due FROM sla_open WHERE fired = 0 AND "
                          "due <= ? ORDER BY due, lead_id");
      q.bind(1, static_cast<int64_t>(now));
      while (q.executeStep()) {
        due.push_back(
            {q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64()});
      }
    }
    for (const Due& d : due) {
      auto stored = store_->LoadProjection(d.lead);
      if (!stored.ok()) return stored.status();
      LeadState st;
      std::optional<std::pair<Micros, Micros>> open;
      if (*stored) {
        const Store::StoredLead& l = **stored;
        st.id = l.row.id;
        st.stage = l.row.stage;
        st.owner = l.row.owner;
        st.playbook_version = l.playbook_version;
        int64_t n = 0;
        if (Status e = DecodeProjection(l.state, &st, &n, &PlaybookOf(st)); !e.ok()) return e;
        open = OpenSlaClock(st);
      }
      if (!open || open->first != d.mql_at || open->second > now) {
        // Answered, moved, or not due after all: the index follows the lead.
        if (Status e = IndexSla(d.lead, open, true); !e.ok()) return e;
        continue;
      }
      std::optional<std::string> manager;
      const Playbook& pb = PlaybookOf(st);
      if (st.team && pb.routing) {
        if (const RoutingTeam* t = pb.routing->FindTeam(*st.team)) manager = t->manager;
      }
      SQLite::Statement ins(db,
                            "INSERT OR IGNORE INTO sla_breaches(lead_id, mql_at, due, fired_at, "
                            "owner, team, escalated_to) VALUES(?,?,?,?,?,?,?)");
      ins.bind(1, d.lead);
      ins.bind(2, static_cast<int64_t>(d.mql_at));
      ins.bind(3, static_cast<int64_t>(open->second));
      ins.bind(4, static_cast<int64_t>(now));
      auto bind_opt = [&](int i, const std::optional<std::string>& v) {
        if (v) {
          ins.bind(i, *v);
        } else {
          ins.bind(i);
        }
      };
      bind_opt(5, st.owner);
      bind_opt(6, st.team);
      bind_opt(7, manager);
      const bool fresh = ins.exec() == 1;
      SQLite::Statement f(db, "UPDATE sla_open SET fired = 1 WHERE lead_id = ?");
      f.bind(1, d.lead);
      f.exec();
      if (!fresh) continue;
      // A clock that ran out more than a day before this run (the first
      // timer run over an old store, a server that was down) is recorded and
      // escalated on record, but not sent: old news, as for the history
      // notifications (docs/webhooks.md).
      if (now - open->second > 24 * 3600 * kSecond) continue;
      Json data = {{"owner", OptJson(st.owner)},        {"team", OptJson(st.team)},
                   {"mql_at", FormatRfc3339(d.mql_at)}, {"due", FormatRfc3339(open->second)},
                   {"escalated_to", OptJson(manager)},  {"who", DescribeLead(st.traits)}};
      if (Status e = Emit({"sla.breached", d.lead, open->second, data.dump()}); !e.ok()) return e;
    }
    return Status::Ok();
  });
  if (s.ok()) s = store_->Commit();
  if (!s.ok()) store_->Rollback();
  return s;
}

Result<std::vector<SlaBreach>> Engine::Breaches(const std::string& lead) {
  std::vector<SlaBreach> out;
  Status s = Guard([&] {
    // Prepared once per connection: one lead's breaches are read by every
    // GET /v1/leads/{id}.
    static constexpr const char* kAll =
        "SELECT lead_id, mql_at, due, fired_at, owner, team, escalated_to FROM sla_breaches "
        "ORDER BY lead_id, mql_at";
    static constexpr const char* kOne =
        "SELECT lead_id, mql_at, due, fired_at, owner, team, escalated_to FROM sla_breaches "
        "WHERE lead_id = ? ORDER BY lead_id, mql_at";
    SQLite::Statement& q = store_->Cached(lead.empty() ? kAll : kOne);
    Store::CachedReset reset{q};
    if (!lead.empty()) q.bind(1, lead);
    while (q.executeStep()) {
      SlaBreach b;
      b.lead = q.getColumn(0).getString();
      b.mql_at = q.getColumn(1).getInt64();
      b.due = q.getColumn(2).getInt64();
      b.fired_at = q.getColumn(3).getInt64();
      b.owner = OptText(q.getColumn(4));
      b.team = OptText(q.getColumn(5));
      b.escalated_to = OptText(q.getColumn(6));
      out.push_back(std::move(b));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

void Engine::AnnotateSla(SlaReport* r) {
  if (r->open.empty()) return;
  auto all = Breaches("");
  if (!all.ok() || all->empty()) return;
  std::map<std::pair<std::string, Micros>, const SlaBreach*> by;
  for (const SlaBreach& b : *all) by[{b.lead, b.mql_at}] = &b;
  for (SlaOpen& o : r->open) {
    auto it = by.find({o.id, o.mql_at});
    if (it == by.end()) continue;
    o.owner = it->second->owner;
    o.escalated_to = it->second->escalated_to;
  }
}

}  // namespace leadgate
