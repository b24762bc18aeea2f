#include "store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <filesystem>

#include "ingest/jsonl.h"

namespace leadgate {
namespace {

// Each entry migrates the schema from version i to i+1. Never edit a shipped
// entry: append a new one.
const char* const kMigrations[] = {
    R"SQL(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE playbooks(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL,
  source TEXT NOT NULL, file TEXT, recorded_at INTEGER NOT NULL);
CREATE TABLE users(name TEXT PRIMARY KEY, role TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE events(lead_id TEXT NOT NULL, ts INTEGER NOT NULL, message_id TEXT NOT NULL,
  type INTEGER NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY(lead_id, ts, message_id)) WITHOUT ROWID;
CREATE UNIQUE INDEX events_by_message_id ON events(message_id);
CREATE TABLE actions(seq INTEGER PRIMARY KEY, lead_id TEXT NOT NULL, action TEXT NOT NULL,
  by_user TEXT NOT NULL, role TEXT NOT NULL, ts INTEGER NOT NULL, reason TEXT, channel TEXT,
  budget TEXT, authority TEXT, need TEXT, timeline TEXT, current_solution TEXT,
  recorded_at INTEGER NOT NULL);
CREATE INDEX actions_by_lead ON actions(lead_id, ts);
CREATE TABLE dirty(lead_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE leads(id TEXT PRIMARY KEY, stage TEXT NOT NULL, open INTEGER NOT NULL,
  fit REAL NOT NULL, eng_sum REAL NOT NULL, eng_ref INTEGER NOT NULL, eng_key REAL NOT NULL,
  first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, owner TEXT,
  playbook_version INTEGER NOT NULL, state TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX leads_by_fit ON leads(open, fit DESC, id, stage, eng_sum, eng_ref, eng_key,
  last_at, owner);
CREATE INDEX leads_by_eng ON leads(open, eng_key DESC, id, stage, fit, eng_sum, eng_ref,
  last_at, owner);
CREATE TABLE history(lead_id TEXT NOT NULL, idx INTEGER NOT NULL, at INTEGER NOT NULL,
  from_stage TEXT NOT NULL, to_stage TEXT NOT NULL, by_user TEXT NOT NULL, reason TEXT,
  rule TEXT, exception INTEGER NOT NULL, playbook_version INTEGER NOT NULL,
  PRIMARY KEY(lead_id, idx)) WITHOUT ROWID;
)SQL",
};

std::optional<std::string> OptText(SQLite::Column c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

void BindOpt(SQLite::Statement& st, int i, const std::optional<std::string>& v) {
  if (v) {
    st.bind(i, *v);
  } else {
    st.bind(i);
  }
}

Event ReadEvent(SQLite::Statement& q) {
  Event e;
  const char* body = q.getColumn(5).getText();
  int n = q.getColumn(5).getBytes();
  (void)ParseEvent(std::string_view(body, static_cast<size_t>(n)), &e, true);
  // The envelope columns are authoritative (a page's name, a derived id).
  e.message_id = q.getColumn(0).getString();
  e.lead_id = q.getColumn(1).getString();
  e.type = static_cast<EventType>(q.getColumn(2).getInt());
  e.name = q.getColumn(3).getString();
  e.ts = q.getColumn(4).getInt64();
  return e;
}

Action ReadAction(SQLite::Statement& q) {
  Action a;
  a.seq = q.getColumn(0).getInt64();
  a.lead_id = q.getColumn(1).getString();
  a.kind = ParseAction(q.getColumn(2).getString()).value_or(ActionKind::kTouch);
  a.by = q.getColumn(3).getString();
  a.role = ParseRole(q.getColumn(4).getString()).value_or(Role::kRep);
  a.ts = q.getColumn(5).getInt64();
  a.reason = OptText(q.getColumn(6));
  a.channel = OptText(q.getColumn(7));
  if (a.kind == ActionKind::kQualify) {
    BantAnswers b;
    b.budget = OptText(q.getColumn(8));
    b.authority = OptText(q.getColumn(9));
    b.need = OptText(q.getColumn(10));
    b.timeline = OptText(q.getColumn(11));
    b.current_solution = OptText(q.getColumn(12));
    b.by = a.by;
    b.at = a.ts;
    a.bant = b;
  }
  return a;
}

constexpr const char* kEventCols = "message_id, lead_id, type, name, ts, body";
constexpr const char* kActionCols =
    "seq, lead_id, action, by_user, role, ts, reason, channel, budget, authority, need, "
    "timeline, current_solution";

template <typename F>
Status Guard(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("storage error: ") + e.what());
  }
}

}  // namespace

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, bool create) {
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (create && exists) {
    return Status::Invalid("a store already exists at " + path +
                           "; init refuses to overwrite it (use another --db or remove it)");
  }
  if (!create && !exists) {
    return Status::Invalid("no store at " + path + ": create one with 'leadgate --db " + path +
                           " init --playbook FILE'");
  }
  std::unique_ptr<Store> s(new Store());
  try {
    s->db_ = std::make_unique<SQLite::Database>(
        path, create ? SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE : SQLite::OPEN_READWRITE);
    s->db_->setBusyTimeout(10000);
    s->db_->exec("PRAGMA journal_mode=WAL");
    s->db_->exec("PRAGMA synchronous=FULL");
    s->db_->exec("PRAGMA foreign_keys=ON");
    s->db_->exec("PRAGMA cache_size=-196608");  // 192 MB
    s->db_->exec("PRAGMA temp_store=MEMORY");
  } catch (const std::exception& e) {
    return Status::Invalid("cannot open the store at " + path + ": " + e.what());
  }
  if (Status st = s->Migrate(); !st.ok()) return st;
  return s;
}

Status Store::Migrate() {
  return Guard([&] {
    int version = db_->execAndGet("PRAGMA user_version").getInt();
    const int target = static_cast<int>(std::size(kMigrations));
    if (version > target) {
      return Status::Invalid("this store was written by a newer leadgate (schema " +
                             std::to_string(version) + ", this build knows up to " +
                             std::to_string(target) + ")");
    }
    for (int v = version; v < target; ++v) {
      SQLite::Transaction tx(*db_);
      db_->exec(kMigrations[v]);
      db_->exec("PRAGMA user_version=" + std::to_string(v + 1));
      tx.commit();
    }
    return Status::Ok();
  });
}

void Store::SetCacheKiB(int kib) {
  try {
    db_->exec("PRAGMA cache_size=-" + std::to_string(kib));
  } catch (...) {
  }
}

Status Store::Begin() {
  return Guard([&] {
    db_->exec("BEGIN IMMEDIATE");
    return Status::Ok();
  });
}
Status Store::Commit() {
  return Guard([&] {
    db_->exec("COMMIT");
    return Status::Ok();
  });
}
void Store::Rollback() {
  try {
    db_->exec("ROLLBACK");
  } catch (...) {
  }
}

Result<std::vector<PlaybookVersion>> Store::Playbooks() {
  std::vector<PlaybookVersion> out;
  Status st = Guard([&] {
    SQLite::Statement q(*db_,
                        "SELECT version, applied_at, source, file FROM playbooks ORDER BY version");
    while (q.executeStep()) {
      PlaybookVersion v;
      v.version = q.getColumn(0).getInt64();
      v.applied_at = q.getColumn(1).getInt64();
      auto pb = LoadPlaybook(q.getColumn(2).getString(), "playbook v" + std::to_string(v.version));
      if (!pb.ok()) return pb.status();
      v.playbook = *pb;
      out.push_back(std::move(v));
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (out.empty()) return Status::Internal("the store has no playbook: was init interrupted?");
  return out;
}

Status Store::AddPlaybook(int64_t version, Micros applied_at, const std::string& source,
                          const std::string& file) {
  return Guard([&] {
    SQLite::Statement q(*db_, "INSERT INTO playbooks VALUES(?,?,?,?,?)");
    q.bind(1, version);
    q.bind(2, applied_at);
    q.bind(3, source);
    q.bind(4, file);
    q.bind(5, NowMicros());
    q.exec();
    return Status::Ok();
  });
}

Status Store::AddUser(const std::string& name, Role role) {
  return Guard([&] {
    SQLite::Statement q(*db_, "INSERT INTO users VALUES(?,?,?)");
    q.bind(1, name);
    q.bind(2, RoleName(role));
    q.bind(3, NowMicros());
    q.exec();
    return Status::Ok();
  });
}

Result<std::optional<UserRecord>> Store::GetUser(const std::string& name) {
  std::optional<UserRecord> out;
  Status st = Guard([&] {
    SQLite::Statement q(*db_, "SELECT name, role FROM users WHERE name = ?");
    q.bind(1, name);
    if (q.executeStep()) {
      out = UserRecord{q.getColumn(0).getString(),
                       ParseRole(q.getColumn(1).getString()).value_or(Role::kRep)};
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<UserRecord>> Store::Users() {
  std::vector<UserRecord> out;
  Status st = Guard([&] {
    SQLite::Statement q(*db_, "SELECT name, role FROM users ORDER BY name");
    while (q.executeStep()) {
      out.push_back(
          {q.getColumn(0).getString(), ParseRole(q.getColumn(1).getString()).value_or(Role::kRep)});
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<bool> Store::InsertEvent(const Event& e) {
  bool inserted = false;
  Status st = Guard([&] {
    if (!insert_event_) {
      insert_event_ = std::make_unique<SQLite::Statement>(
          *db_,
          "INSERT OR IGNORE INTO events(message_id, lead_id, type, name, ts, body) "
          "VALUES(?,?,?,?,?,?)");
    }
    auto& q = *insert_event_;
    q.reset();
    q.bindNoCopy(1, e.message_id);
    q.bindNoCopy(2, e.lead_id);
    q.bind(3, static_cast<int>(e.type));
    q.bindNoCopy(4, e.name);
    q.bind(5, static_cast<int64_t>(e.ts));
    if (e.raw.empty()) {
      q.bind(6, EventToJson(e));
    } else {
      q.bindNoCopy(6, e.raw);
    }
    inserted = q.exec() > 0;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return inserted;
}

Result<int64_t> Store::InsertAction(const Action& a) {
  int64_t seq = 0;
  Status st = Guard([&] {
    SQLite::Statement q(*db_,
                        "INSERT INTO actions(lead_id, action, by_user, role, ts, reason, channel, "
                        "budget, authority, need, timeline, current_solution, recorded_at) "
                        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
    q.bind(1, a.lead_id);
    q.bind(2, ActionName(a.kind));
    q.bind(3, a.by);
    q.bind(4, RoleName(a.role));
    q.bind(5, static_cast<int64_t>(a.ts));
    BindOpt(q, 6, a.reason);
    BindOpt(q, 7, a.channel);
    std::optional<std::string> none;
    BindOpt(q, 8, a.bant ? a.bant->budget : none);
    BindOpt(q, 9, a.bant ? a.bant->authority : none);
    BindOpt(q, 10, a.bant ? a.bant->need : none);
    BindOpt(q, 11, a.bant ? a.bant->timeline : none);
    BindOpt(q, 12, a.bant ? a.bant->current_solution : none);
    q.bind(13, static_cast<int64_t>(NowMicros()));
    q.exec();
    seq = db_->getLastInsertRowid();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return seq;
}

Status Store::MarkDirty(const std::string& lead_id) {
  return Guard([&] {
    if (!mark_dirty_) {
      mark_dirty_ =
          std::make_unique<SQLite::Statement>(*db_, "INSERT OR IGNORE INTO dirty VALUES(?)");
    }
    mark_dirty_->reset();
    mark_dirty_->bindNoCopy(1, lead_id);
    mark_dirty_->exec();
    return Status::Ok();
  });
}

Status Store::MarkAllDirty() {
  return Guard([&] {
    db_->exec("INSERT OR IGNORE INTO dirty SELECT DISTINCT lead_id FROM events");
    db_->exec("INSERT OR IGNORE INTO dirty SELECT DISTINCT lead_id FROM actions");
    return Status::Ok();
  });
}

Status Store::LoadLead(const std::string& id, std::vector<Event>* events,
                       std::vector<Action>* actions) {
  return Guard([&] {
    SQLite::Statement q(*db_, std::string("SELECT ") + kEventCols +
                                  " FROM events WHERE lead_id = ? ORDER BY ts, message_id");
    q.bind(1, id);
    while (q.executeStep()) events->push_back(ReadEvent(q));
    SQLite::Statement a(*db_, std::string("SELECT ") + kActionCols +
                                  " FROM actions WHERE lead_id = ? ORDER BY ts, seq");
    a.bind(1, id);
    while (a.executeStep()) actions->push_back(ReadAction(a));
    return Status::Ok();
  });
}

Status Store::ForEachLead(bool all,
                          const std::function<Status(const std::string&, std::vector<Event>&,
                                                     std::vector<Action>&)>& fn) {
  return Guard([&] {
    // Two merged streams ordered by lead id: events and actions of dirty leads.
    const std::string filter = all ? "" : " WHERE lead_id IN (SELECT lead_id FROM dirty)";
    SQLite::Statement ids(*db_, all ? "SELECT lead_id FROM events UNION SELECT lead_id FROM "
                                      "actions ORDER BY 1"
                                    : "SELECT lead_id FROM dirty ORDER BY lead_id");
    SQLite::Statement ev(*db_, std::string("SELECT ") + kEventCols + " FROM events" + filter +
                                   " ORDER BY lead_id, ts, message_id");
    SQLite::Statement ac(*db_, std::string("SELECT ") + kActionCols + " FROM actions" + filter +
                                   " ORDER BY lead_id, ts, seq");
    bool ev_ok = ev.executeStep(), ac_ok = ac.executeStep();
    std::vector<Event> events;
    std::vector<Action> actions;
    while (ids.executeStep()) {
      std::string id = ids.getColumn(0).getString();
      events.clear();
      actions.clear();
      while (ev_ok && ev.getColumn(1).getString() == id) {
        events.push_back(ReadEvent(ev));
        ev_ok = ev.executeStep();
      }
      while (ac_ok && ac.getColumn(1).getString() == id) {
        actions.push_back(ReadAction(ac));
        ac_ok = ac.executeStep();
      }
      if (Status st = fn(id, events, actions); !st.ok()) return st;
    }
    return Status::Ok();
  });
}

Status Store::ClearDirty() {
  return Guard([&] {
    db_->exec("DELETE FROM dirty");
    return Status::Ok();
  });
}

Status Store::ClearDirty(const std::string& lead_id) {
  return Guard([&] {
    if (!clear_dirty_) {
      clear_dirty_ =
          std::make_unique<SQLite::Statement>(*db_, "DELETE FROM dirty WHERE lead_id = ?");
    }
    clear_dirty_->reset();
    clear_dirty_->bind(1, lead_id);
    clear_dirty_->exec();
    return Status::Ok();
  });
}

Result<int64_t> Store::DirtyCount() {
  int64_t n = 0;
  Status st = Guard([&] {
    n = db_->execAndGet("SELECT count(*) FROM dirty").getInt64();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return n;
}

Status Store::SaveProjection(const LeadState& s, double eng_key, const std::string& state) {
  return Guard([&] {
    if (!save_lead_) {
      save_lead_ = std::make_unique<SQLite::Statement>(
          *db_, "INSERT OR REPLACE INTO leads VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
      delete_history_ =
          std::make_unique<SQLite::Statement>(*db_, "DELETE FROM history WHERE lead_id = ?");
      insert_history_ = std::make_unique<SQLite::Statement>(
          *db_, "INSERT INTO history VALUES(?,?,?,?,?,?,?,?,?,?)");
    }
    SQLite::Statement& q = *save_lead_;
    q.reset();
    q.bind(1, s.id);
    q.bind(2, StageName(s.stage));
    q.bind(3, IsOpen(s.stage) ? 1 : 0);
    q.bind(4, s.fit);
    q.bind(5, s.engagement_sum_at_ref);
    q.bind(6, static_cast<int64_t>(s.engagement_ref));
    q.bind(7, eng_key);
    q.bind(8, static_cast<int64_t>(s.first_at));
    q.bind(9, static_cast<int64_t>(s.last_at));
    BindOpt(q, 10, s.owner);
    q.bind(11, s.playbook_version);
    q.bindNoCopy(12, state);
    q.exec();
    SQLite::Statement& d = *delete_history_;
    d.reset();
    d.bind(1, s.id);
    d.exec();
    SQLite::Statement& h = *insert_history_;
    for (size_t i = 0; i < s.history.size(); ++i) {
      const HistoryEntry& e = s.history[i];
      h.reset();
      h.bind(1, s.id);
      h.bind(2, static_cast<int64_t>(i));
      h.bind(3, static_cast<int64_t>(e.at));
      h.bind(4, StageName(e.from));
      h.bind(5, StageName(e.to));
      h.bind(6, e.by);
      BindOpt(h, 7, e.reason);
      BindOpt(h, 8, e.rule);
      h.bind(9, e.exception ? 1 : 0);
      h.bind(10, e.playbook_version);
      h.exec();
    }
    return Status::Ok();
  });
}

Result<std::optional<Store::StoredLead>> Store::LoadProjection(const std::string& id) {
  std::optional<StoredLead> out;
  Status st = Guard([&] {
    SQLite::Statement q(*db_,
                        "SELECT id, stage, fit, eng_sum, eng_ref, eng_key, last_at, owner, "
                        "playbook_version, state FROM leads WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return Status::Ok();
    StoredLead l;
    l.row.id = q.getColumn(0).getString();
    l.row.stage = ParseStage(q.getColumn(1).getString()).value_or(Stage::kLead);
    l.row.fit = q.getColumn(2).getDouble();
    l.row.eng_sum = q.getColumn(3).getDouble();
    l.row.eng_ref = q.getColumn(4).getInt64();
    l.row.eng_key = q.getColumn(5).getDouble();
    l.row.last_at = q.getColumn(6).getInt64();
    l.row.owner = OptText(q.getColumn(7));
    l.playbook_version = q.getColumn(8).getInt64();
    l.state = q.getColumn(9).getString();
    SQLite::Statement h(*db_,
                        "SELECT at, from_stage, to_stage, by_user, reason, rule, exception, "
                        "playbook_version FROM history WHERE lead_id = ? ORDER BY idx");
    h.bind(1, id);
    while (h.executeStep()) {
      HistoryEntry e;
      e.at = h.getColumn(0).getInt64();
      e.from = ParseStage(h.getColumn(1).getString()).value_or(Stage::kLead);
      e.to = ParseStage(h.getColumn(2).getString()).value_or(Stage::kLead);
      e.by = h.getColumn(3).getString();
      e.reason = OptText(h.getColumn(4));
      e.rule = OptText(h.getColumn(5));
      e.exception = h.getColumn(6).getInt() != 0;
      e.playbook_version = h.getColumn(7).getInt64();
      l.history.push_back(std::move(e));
    }
    out = std::move(l);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Status Store::LoadRecent(const std::string& id, int64_t n, std::vector<Event>* events,
                         std::vector<Action>* actions) {
  return Guard([&] {
    SQLite::Statement q(*db_, std::string("SELECT ") + kEventCols +
                                  " FROM events WHERE lead_id = ? ORDER BY ts DESC, message_id "
                                  "DESC LIMIT ?");
    q.bind(1, id);
    q.bind(2, static_cast<int64_t>(n));
    while (q.executeStep()) events->push_back(ReadEvent(q));
    std::reverse(events->begin(), events->end());
    SQLite::Statement a(*db_, std::string("SELECT ") + kActionCols +
                                  " FROM actions WHERE lead_id = ? ORDER BY ts, seq");
    a.bind(1, id);
    while (a.executeStep()) actions->push_back(ReadAction(a));
    return Status::Ok();
  });
}

Status Store::DeleteProjection(const std::string& id) {
  return Guard([&] {
    SQLite::Statement q(*db_, "DELETE FROM leads WHERE id = ?");
    q.bind(1, id);
    q.exec();
    SQLite::Statement d(*db_, "DELETE FROM history WHERE lead_id = ?");
    d.bind(1, id);
    d.exec();
    return Status::Ok();
  });
}

struct Store::LeadScan::Impl {
  std::unique_ptr<SQLite::Statement> q;
};

Store::LeadScan::~LeadScan() = default;

bool Store::LeadScan::Next(LeadRow* r) {
  try {
    if (!impl_->q->executeStep()) return false;
    auto& q = *impl_->q;
    r->id = q.getColumn(0).getString();
    r->stage = ParseStage(q.getColumn(1).getString()).value_or(Stage::kLead);
    r->fit = q.getColumn(2).getDouble();
    r->eng_sum = q.getColumn(3).getDouble();
    r->eng_ref = q.getColumn(4).getInt64();
    r->eng_key = q.getColumn(5).getDouble();
    r->last_at = q.getColumn(6).getInt64();
    r->owner = OptText(q.getColumn(7));
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

Result<std::unique_ptr<Store::LeadScan>> Store::ScanOpenLeads(ScanOrder order) {
  auto scan = std::unique_ptr<LeadScan>(new LeadScan());
  scan->impl_ = std::make_unique<LeadScan::Impl>();
  Status st = Guard([&] {
    scan->impl_->q = std::make_unique<SQLite::Statement>(
        *db_, std::string("SELECT id, stage, fit, eng_sum, eng_ref, eng_key, last_at, owner FROM "
                          "leads WHERE open = 1 ORDER BY ") +
                  (order == ScanOrder::kFit ? "fit DESC" : "eng_key DESC"));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return scan;
}

Status Store::BumpLastPoint(Micros t) {
  return Guard([&] {
    SQLite::Statement q(*db_,
                        "INSERT INTO meta VALUES('last_point', ?) ON CONFLICT(key) DO UPDATE SET "
                        "value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))");
    q.bind(1, static_cast<int64_t>(t));
    q.exec();
    return Status::Ok();
  });
}

Status Store::ForEachProjectionState(
    const std::function<Status(const std::string& id, std::string_view state)>& fn) {
  return Guard([&] {
    SQLite::Statement q(*db_, "SELECT id, state FROM leads");
    while (q.executeStep()) {
      const char* text = q.getColumn(1).getText();
      int n = q.getColumn(1).getBytes();
      if (Status s = fn(q.getColumn(0).getString(), std::string_view(text, static_cast<size_t>(n)));
          !s.ok()) {
        return s;
      }
    }
    return Status::Ok();
  });
}

Result<std::vector<std::string>> Store::AllLeadIds() {
  std::vector<std::string> out;
  Status st = Guard([&] {
    SQLite::Statement q(*db_,
                        "SELECT DISTINCT lead_id FROM events UNION SELECT DISTINCT lead_id FROM "
                        "actions ORDER BY 1");
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<Micros> Store::MaxPointTime() {
  Micros t = INT64_MIN;
  Status st = Guard([&] {
    SQLite::Statement q(*db_, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_point'");
    if (q.executeStep()) t = q.getColumn(0).getInt64();
    SQLite::Statement p(*db_, "SELECT max(applied_at) FROM playbooks");
    if (p.executeStep() && !p.getColumn(0).isNull())
      t = std::max<Micros>(t, p.getColumn(0).getInt64());
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return t;
}

Result<int64_t> Store::CountEvents() {
  int64_t n = 0;
  Status st = Guard([&] {
    n = db_->execAndGet("SELECT count(*) FROM events").getInt64();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return n;
}

}  // namespace leadgate
