#include "store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "ingest/jsonl.h"
#include "store/codec.h"

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
    // 2: the log as per-lead chunks of binary events (append-only, clustered
    // by lead), idempotency by a 64-bit messageId hash; the queue's display
    // string. The old events table is converted in C++ (ConvertEventsToChunks).
    R"SQL(
CREATE TABLE chunks(lead_id TEXT NOT NULL, seq INTEGER NOT NULL, n INTEGER NOT NULL,
  max_ts INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(lead_id, seq)) WITHOUT ROWID;
CREATE TABLE msg_ids(hash INTEGER PRIMARY KEY, lead_id TEXT NOT NULL);
CREATE TABLE msg_collisions(message_id TEXT PRIMARY KEY, lead_id TEXT NOT NULL) WITHOUT ROWID;
ALTER TABLE leads ADD COLUMN who TEXT NOT NULL DEFAULT '';
INSERT OR IGNORE INTO dirty SELECT id FROM leads;
)SQL",
    // 3: API keys for the HTTP server (only a hash of each key is kept).
    R"SQL(
CREATE TABLE keys(id TEXT PRIMARY KEY, user TEXT NOT NULL, hash BLOB NOT NULL,
  ingest_only INTEGER NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
)SQL",
    // 4: routing and real-time speed to lead (docs/routing.md): an assign
    // action's assignee and team; who is away; each team's round-robin
    // position and waiting queue; open SLA clocks (the timer's index) and
    // the breaches fired (each once). Every lead is refolded by the next
    // write, which fills the clock index.
    R"SQL(
ALTER TABLE actions ADD COLUMN to_user TEXT;
ALTER TABLE actions ADD COLUMN team TEXT;
CREATE TABLE user_away(name TEXT PRIMARY KEY, since INTEGER NOT NULL, until INTEGER);
CREATE TABLE routing_rr(team TEXT PRIMARY KEY, last_rep TEXT NOT NULL);
CREATE TABLE routing_queue(lead_id TEXT PRIMARY KEY, team TEXT NOT NULL, since INTEGER NOT NULL);
CREATE INDEX routing_queue_by_team ON routing_queue(team, since, lead_id);
CREATE INDEX leads_by_owner ON leads(owner, stage) WHERE owner IS NOT NULL;
CREATE TABLE sla_open(lead_id TEXT PRIMARY KEY, mql_at INTEGER NOT NULL, due INTEGER NOT NULL,
  fired INTEGER NOT NULL DEFAULT 0);
CREATE INDEX sla_open_by_due ON sla_open(fired, due);
CREATE TABLE sla_breaches(lead_id TEXT NOT NULL, mql_at INTEGER NOT NULL, due INTEGER NOT NULL,
  fired_at INTEGER NOT NULL, owner TEXT, team TEXT, escalated_to TEXT,
  PRIMARY KEY(lead_id, mql_at)) WITHOUT ROWID;
INSERT OR IGNORE INTO dirty SELECT id FROM leads;
)SQL",
    // 5: webhook subscriptions and the durable outbox (src/app/outbox.cc,
    // docs/webhooks.md). IF NOT EXISTS so the entry can move to another number.
    R"SQL(
CREATE TABLE IF NOT EXISTS webhooks(id TEXT PRIMARY KEY, url TEXT NOT NULL,
  events TEXT NOT NULL, format TEXT NOT NULL, secret TEXT NOT NULL,
  created_at INTEGER NOT NULL, removed_at INTEGER);
CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY, webhook_id TEXT NOT NULL,
  event_id TEXT NOT NULL, type TEXT NOT NULL, lead_id TEXT NOT NULL, at INTEGER NOT NULL,
  body TEXT NOT NULL, created_at INTEGER NOT NULL, state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_status INTEGER,
  last_error TEXT, done_at INTEGER);
CREATE INDEX IF NOT EXISTS outbox_owed ON outbox(next_at, id) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS outbox_by_state ON outbox(state, id);
)SQL",
    // 6: trained models, versioned; `active` marks the one that scores (docs/predictive.md).
    R"SQL(
CREATE TABLE models(version INTEGER PRIMARY KEY, kind TEXT NOT NULL, label TEXT NOT NULL,
  created_at INTEGER NOT NULL, active INTEGER NOT NULL DEFAULT 0, summary TEXT NOT NULL,
  metrics TEXT NOT NULL, model TEXT NOT NULL);
)SQL",
    // 7: the reports' scan (funnel, exceptions) reads every lead's row but not
    // its encoded state; the rows hold the state inline (~1.3 KB a lead), so a
    // covering index in id order is a tenth of the pages (docs/storage.md).
    R"SQL(
CREATE INDEX IF NOT EXISTS leads_scan ON leads(id, stage, fit, eng_sum, eng_ref, eng_key,
  last_at, owner, playbook_version, first_at);
)SQL",
};

constexpr const char* kLeadIndexes =
    "CREATE INDEX IF NOT EXISTS leads_by_fit ON leads(open, fit DESC, id, stage, eng_sum, "
    "eng_ref, eng_key, last_at, owner);"
    "CREATE INDEX IF NOT EXISTS leads_by_eng ON leads(open, eng_key DESC, id, stage, fit, "
    "eng_sum, eng_ref, last_at, owner);"
    "CREATE INDEX IF NOT EXISTS leads_scan ON leads(id, stage, fit, eng_sum, eng_ref, eng_key, "
    "last_at, owner, playbook_version, first_at);";

bool EventLess(const Event& a, const Event& b) {
  if (a.ts != b.ts) return a.ts < b.ts;
  return a.message_id < b.message_id;
}

void SortEvents(std::vector<Event>* events, size_t first = 0) {
  auto b = events->begin() + static_cast<std::ptrdiff_t>(first);
  if (!std::is_sorted(b, events->end(), EventLess)) std::sort(b, events->end(), EventLess);
}

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

Action ReadAction(SQLite::Statement& q) {
  Action a;
  a.seq = q.getColumn(0).getInt64();
  a.lead_id = q.getColumn(1).getString();
  const std::string kind = q.getColumn(2).getString();
  if (kind.rfind("import:", 0) == 0) {  // an imported stage change: "import:<stage>"
    a.kind = ActionKind::kImport;
    a.to_stage = ParseStage(std::string_view(kind).substr(7));
  } else {
    a.kind = ParseAction(kind).value_or(ActionKind::kTouch);
  }
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
  a.to = OptText(q.getColumn(13));
  a.team = OptText(q.getColumn(14));
  return a;
}

// A history row whose columns start at `first`: at, from_stage, to_stage,
// by_user, reason, rule, exception, playbook_version.
HistoryEntry ReadHistory(SQLite::Statement& h, int first) {
  HistoryEntry e;
  e.at = h.getColumn(first).getInt64();
  e.from = ParseStage(h.getColumn(first + 1).getString()).value_or(Stage::kLead);
  e.to = ParseStage(h.getColumn(first + 2).getString()).value_or(Stage::kLead);
  e.by = h.getColumn(first + 3).getString();
  e.reason = OptText(h.getColumn(first + 4));
  e.rule = OptText(h.getColumn(first + 5));
  e.exception = h.getColumn(first + 6).getInt() != 0;
  e.playbook_version = h.getColumn(first + 7).getInt64();
  return e;
}

// The projection row's columns, in the order ReadStoredLead reads them (the
// state column may be replaced by NULL when not needed).
constexpr const char* kLeadColsBeforeState =
    "id, stage, fit, eng_sum, eng_ref, eng_key, last_at, owner, playbook_version, ";
constexpr const char* kLeadColsAfterState = ", first_at";

void ReadStoredLead(SQLite::Statement& q, Store::StoredLead* l) {
  l->row.id = q.getColumn(0).getString();
  l->row.stage = ParseStage(q.getColumn(1).getString()).value_or(Stage::kLead);
  l->row.fit = q.getColumn(2).getDouble();
  l->row.eng_sum = q.getColumn(3).getDouble();
  l->row.eng_ref = q.getColumn(4).getInt64();
  l->row.eng_key = q.getColumn(5).getDouble();
  l->row.last_at = q.getColumn(6).getInt64();
  l->row.owner = OptText(q.getColumn(7));
  l->playbook_version = q.getColumn(8).getInt64();
  auto state = q.getColumn(9);
  l->state.assign(static_cast<const char*>(state.getBlob()), static_cast<size_t>(state.getBytes()));
  l->row.first_at = q.getColumn(10).getInt64();
}

constexpr const char* kActionCols =
    "seq, lead_id, action, by_user, role, ts, reason, channel, budget, authority, need, "
    "timeline, current_solution, to_user, team";

// Cached statements are rewound with tryReset(), not reset(): reset() throws
// the previous step's error again, so one failed statement (a rolled-back
// refresh) would fail the next, good, use of it too.
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

namespace {

// Why `page_size` is not a page size SQLite takes ("" when it is).
std::string PageSizeProblem(int page_size) {
  const bool power_of_two = page_size > 0 && (page_size & (page_size - 1)) == 0;
  if (power_of_two && page_size >= 512 && page_size <= 65536) return "";
  return "--page-size " + std::to_string(page_size) +
         ": a page size is a power of two from 512 to 65536 bytes (default " +
         std::to_string(Store::kDefaultPageSize) + "; 4096 suits single-event HTTP ingest)";
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, bool create, int page_size) {
  if (create) {
    if (std::string why = PageSizeProblem(page_size); !why.empty()) return Status::Invalid(why);
  }
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
        path, SQLite::OPEN_NOMUTEX |
                  (create ? SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE : SQLite::OPEN_READWRITE));
    s->db_->setBusyTimeout(10000);
    // Before the first table (docs/storage.md "Page size").
    if (create) s->db_->exec("PRAGMA page_size=" + std::to_string(page_size));
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
      if (v + 1 == 2) {
        if (Status st = ConvertEventsToChunks(); !st.ok()) return st;
      }
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

void Store::SetBusyTimeoutMs(int ms) {
  try {
    db_->exec("PRAGMA busy_timeout=" + std::to_string(ms));
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

SQLite::Statement& Store::Cached(const char* sql) {
  for (auto& [k, q] : cached_) {
    if (k == sql) {
      q->reset();
      q->clearBindings();
      return *q;
    }
  }
  cached_.emplace_back(sql, std::make_unique<SQLite::Statement>(*db_, sql));
  return *cached_.back().second;
}

Store::CachedReset::~CachedReset() {
  try {
    q.reset();
  } catch (...) {
  }
}

Store::ReadSnapshot::ReadSnapshot(Store& s) {
  if (!sqlite3_get_autocommit(s.db_->getHandle())) return;
  try {
    s.db_->exec("BEGIN");
    store_ = &s;
  } catch (...) {
  }
}

Store::ReadSnapshot::~ReadSnapshot() {
  if (!store_) return;
  try {
    store_->db_->exec("COMMIT");
  } catch (...) {
    try {
      store_->db_->exec("ROLLBACK");
    } catch (...) {
    }
  }
}

namespace {
// Resets a cached statement when done, so it holds no read snapshot.
using ResetOnExit = Store::CachedReset;
}  // namespace

Result<int64_t> Store::PlaybookCount() {
  int64_t n = 0;
  Status st = Guard([&] {
    auto& q = Cached("SELECT count(*) FROM playbooks");
    ResetOnExit r{q};
    q.executeStep();
    n = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return n;
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
    auto& q = Cached("SELECT name, role FROM users WHERE name = ?");
    ResetOnExit r{q};
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

Status Store::LeadMessageIds(const std::string& lead, std::vector<std::string>* ids) {
  return Guard([&] {
    // Only the ids: walk the chunks without decoding the events.
    SQLite::Statement q(*db_, "SELECT n, data FROM chunks WHERE lead_id = ?");
    q.bind(1, lead);
    while (q.executeStep()) {
      auto blob = q.getColumn(1);
      Status s =
          ScanEvents(std::string_view(static_cast<const char*>(blob.getBlob()),
                                      static_cast<size_t>(blob.getBytes())),
                     q.getColumn(0).getInt64(),
                     [&](Micros, std::string_view mid, size_t, size_t) { ids->emplace_back(mid); });
      if (!s.ok()) return s;
    }
    std::sort(ids->begin(), ids->end());
    return Status::Ok();
  });
}

Result<Store::AppendResult> Store::AppendEvents(const std::vector<Event>& events) {
  EventBatch batch;
  for (const Event& e : events) batch.Add(e);
  batch.Finish();
  return AppendBatch(batch, nullptr);
}

Result<Store::AppendResult> Store::AppendBatch(const EventBatch& batch,
                                               const std::unordered_set<std::string>* marked) {
  AppendResult out;
  Status st = Guard([&] {
    if (!insert_chunk_) {
      insert_chunk_ = std::make_unique<SQLite::Statement>(
          *db_, "INSERT INTO chunks(lead_id, seq, n, max_ts, data) VALUES(?,?,?,?,?)");
      insert_msg_ = std::make_unique<SQLite::Statement>(
          *db_, "INSERT OR IGNORE INTO msg_ids(hash, lead_id) VALUES(?,?)");
      find_msg_ =
          std::make_unique<SQLite::Statement>(*db_, "SELECT lead_id FROM msg_ids WHERE hash = ?");
      insert_collision_ = std::make_unique<SQLite::Statement>(
          *db_, "INSERT OR IGNORE INTO msg_collisions(message_id, lead_id) VALUES(?,?)");
    }
    const auto& items = batch.items();
    const auto& by_hash = batch.by_hash();
    std::vector<char> dup(items.size(), 0);
    bool any_dup = false;
    // In hash order (one pass over the B-tree). A hash already stored is a
    // duplicate only when that exact messageId is stored; repeats within the
    // batch: the first occurrence counts.
    std::unordered_map<std::string, std::vector<std::string>> ids_of;  // lead -> its messageIds
    for (size_t i = 0; i < by_hash.size(); ++i) {
      const auto& it = items[by_hash[i]];
      const std::string& lead = batch.leads()[it.lead];
      std::string_view mid = batch.message_id(it);
      bool repeat = false;
      for (size_t j = i; j-- > 0 && items[by_hash[j]].hash == it.hash;) {
        if (!dup[by_hash[j]] && batch.message_id(items[by_hash[j]]) == mid) repeat = true;
      }
      bool stored = repeat;
      if (!repeat) {
        auto& ins = *insert_msg_;
        ins.tryReset();
        ins.bind(1, static_cast<int64_t>(it.hash));
        ins.bindNoCopy(2, lead);
        if (ins.exec() == 0) {
          // The hash is taken: by this messageId (stored earlier), or a collision.
          auto& f = *find_msg_;
          f.tryReset();
          f.bind(1, static_cast<int64_t>(it.hash));
          if (f.executeStep()) {
            std::string holder = f.getColumn(0).getString();
            f.tryReset();
            auto found = ids_of.find(holder);
            if (found == ids_of.end()) {
              std::vector<std::string> ids;
              if (Status s = LeadMessageIds(holder, &ids); !s.ok()) return s;
              found = ids_of.emplace(holder, std::move(ids)).first;
            }
            stored = std::binary_search(found->second.begin(), found->second.end(), mid);
          }
          if (!stored) {
            auto& c = *insert_collision_;
            c.tryReset();
            c.bind(1, std::string(mid));
            c.bindNoCopy(2, lead);
            stored = c.exec() == 0;
          }
        }
      }
      if (stored) {
        dup[by_hash[i]] = 1;
        any_dup = true;
        ++out.duplicates;
      }
    }
    // The new events: the batch's chunks as built, or rebuilt without the
    // duplicates where there are some.
    int64_t seq = 0;
    {
      SQLite::Statement q(*db_, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'chunk_seq'");
      if (q.executeStep()) seq = q.getColumn(0).getInt64();
    }
    std::string data;
    uint32_t last_lead = UINT32_MAX;
    for (const auto& c : batch.chunks()) {
      std::string_view blob = batch.chunk_data(c);
      int64_t n = c.count;
      Micros max_ts = c.max_ts;
      if (any_dup) {
        data.clear();
        n = 0;
        max_ts = INT64_MIN;
        for (uint32_t k = c.first; k < c.first + c.count; ++k) {
          uint32_t idx = batch.by_lead()[k];
          if (dup[idx]) continue;
          data.append(batch.encoding(items[idx]));
          max_ts = std::max<Micros>(max_ts, items[idx].ts);
          ++n;
        }
        blob = data;
      }
      if (n == 0) continue;
      const std::string& lead = batch.leads()[c.lead];
      auto& q = *insert_chunk_;
      q.tryReset();
      q.bindNoCopy(1, lead);
      q.bind(2, ++seq);
      q.bind(3, n);
      q.bind(4, static_cast<int64_t>(max_ts));
      q.bindNoCopy(5, blob.data(), static_cast<int>(blob.size()));
      q.exec();
      out.stored += n;
      out.max_ts = std::max(out.max_ts, max_ts);
      if (c.lead != last_lead) {
        last_lead = c.lead;
        if (!marked || !marked->count(lead)) {
          if (Status s = MarkDirty(lead); !s.ok()) return s;
        }
        out.leads.push_back(lead);
      }
    }
    SQLite::Statement q(*db_,
                        "INSERT INTO meta VALUES('chunk_seq', ?) ON CONFLICT(key) DO UPDATE SET "
                        "value = excluded.value");
    q.bind(1, seq);
    q.exec();
    out.duplicate = std::move(dup);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

void Store::SetSynchronous(bool full) {
  try {
    db_->exec(full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  } catch (...) {
  }
}

Result<int64_t> Store::InsertAction(const Action& a) {
  int64_t seq = 0;
  Status st = Guard([&] {
    SQLite::Statement q(
        *db_,
        "INSERT INTO actions(lead_id, action, by_user, role, ts, reason, channel, "
        "budget, authority, need, timeline, current_solution, recorded_at, to_user, team) "
        "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    q.bind(1, a.lead_id);
    std::string kind = ActionName(a.kind);
    if (a.kind == ActionKind::kImport)
      kind += std::string(":") + (a.to_stage ? StageName(*a.to_stage) : "");
    q.bind(2, kind);
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
    BindOpt(q, 14, a.to);
    BindOpt(q, 15, a.team);
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
    mark_dirty_->tryReset();
    mark_dirty_->bindNoCopy(1, lead_id);
    mark_dirty_->exec();
    return Status::Ok();
  });
}

Status Store::MarkAllDirty() {
  return Guard([&] {
    db_->exec("INSERT OR IGNORE INTO dirty SELECT DISTINCT lead_id FROM chunks");
    db_->exec("INSERT OR IGNORE INTO dirty SELECT DISTINCT lead_id FROM actions");
    return Status::Ok();
  });
}

Status Store::LoadLead(const std::string& id, std::vector<Event>* events,
                       std::vector<Action>* actions) {
  return Guard([&] {
    if (!lead_chunks_) {
      lead_chunks_ = std::make_unique<SQLite::Statement>(
          *db_, "SELECT n, data FROM chunks WHERE lead_id = ? ORDER BY seq");
    }
    auto& q = *lead_chunks_;
    q.tryReset();
    q.bind(1, id);
    size_t first = events->size();
    while (q.executeStep()) {
      auto blob = q.getColumn(1);
      Status s = DecodeEvents(std::string_view(static_cast<const char*>(blob.getBlob()),
                                               static_cast<size_t>(blob.getBytes())),
                              q.getColumn(0).getInt64(), id, events);
      if (!s.ok()) {
        q.tryReset();
        return s;
      }
    }
    q.tryReset();
    SortEvents(events, first);
    if (!actions) return Status::Ok();
    static const std::string kActionsSql =
        std::string("SELECT ") + kActionCols + " FROM actions WHERE lead_id = ? ORDER BY ts, seq";
    auto& a = Cached(kActionsSql.c_str());
    ResetOnExit ra{a};
    a.bind(1, id);
    while (a.executeStep()) actions->push_back(ReadAction(a));
    return Status::Ok();
  });
}

Status Store::ForEachLead(bool all, const LeadFn& fn, const std::string& from,
                          const std::string& to) {
  return Guard([&] {
    // Merged streams ordered by lead id: chunks and actions (of dirty leads,
    // or of all), driven by the dirty list or by whichever stream is behind.
    std::string range;
    if (!from.empty()) range += " AND lead_id >= ?1";
    if (!to.empty()) range += " AND lead_id < ?2";
    std::string crange = range, drange = range;
    for (auto* r : {&crange, &drange}) {
      size_t p = 0;
      while ((p = r->find("lead_id", p)) != std::string::npos) {
        r->insert(p, r == &crange ? "c." : "d.");
        p += 9;
      }
    }
    SQLite::Statement ch(
        *db_, all ? "SELECT lead_id, n, data FROM chunks WHERE 1" + range + " ORDER BY lead_id, seq"
                  : "SELECT c.lead_id, c.n, c.data FROM dirty d JOIN chunks c ON c.lead_id = "
                    "d.lead_id WHERE 1" +
                        crange + " ORDER BY d.lead_id, c.seq");
    SQLite::Statement ac(*db_, std::string("SELECT ") + kActionCols +
                                   (all ? " FROM actions WHERE 1" + range
                                        : " FROM actions WHERE lead_id IN (SELECT lead_id FROM "
                                          "dirty)" +
                                              range) +
                                   " ORDER BY lead_id, ts, seq");
    std::unique_ptr<SQLite::Statement> ids;
    if (!all) {
      ids = std::make_unique<SQLite::Statement>(
          *db_, "SELECT lead_id FROM dirty d WHERE 1" + drange + " ORDER BY 1");
    }
    for (SQLite::Statement* q : {&ch, &ac, ids.get()}) {
      if (!q) continue;
      if (!from.empty()) q->bind(1, from);
      if (!to.empty()) q->bind(2, to);
    }
    bool ch_ok = ch.executeStep(), ac_ok = ac.executeStep();
    std::string ch_id = ch_ok ? ch.getColumn(0).getString() : "";
    std::string ac_id = ac_ok ? ac.getColumn(1).getString() : "";
    std::vector<Event> pool;  // reused across leads: few allocations
    std::vector<const Event*> events;
    std::vector<Action> actions;
    std::string id;
    while (true) {
      if (ids) {
        if (!ids->executeStep()) break;
        id = ids->getColumn(0).getString();
      } else if (ch_ok && (!ac_ok || ch_id <= ac_id)) {
        id = ch_id;
      } else if (ac_ok) {
        id = ac_id;
      } else {
        break;
      }
      size_t used = 0;
      actions.clear();
      while (ch_ok && ch_id == id) {
        auto blob = ch.getColumn(2);
        Status s = DecodeEventsInto(std::string_view(static_cast<const char*>(blob.getBlob()),
                                                     static_cast<size_t>(blob.getBytes())),
                                    ch.getColumn(1).getInt64(), id, &pool, &used);
        if (!s.ok()) return s;
        ch_ok = ch.executeStep();
        if (ch_ok) ch_id = ch.getColumn(0).getString();
      }
      while (ac_ok && ac_id == id) {
        actions.push_back(ReadAction(ac));
        ac_ok = ac.executeStep();
        if (ac_ok) ac_id = ac.getColumn(1).getString();
      }
      events.clear();
      for (size_t i = 0; i < used; ++i) events.push_back(&pool[i]);
      auto less = [](const Event* a, const Event* b) { return EventLess(*a, *b); };
      if (!std::is_sorted(events.begin(), events.end(), less)) {
        std::sort(events.begin(), events.end(), less);
      }
      if (Status st = fn(id, events, actions); !st.ok()) return st;
    }
    return Status::Ok();
  });
}

Result<std::vector<std::string>> Store::SplitLeads(int parts) {
  std::vector<std::string> out;
  if (parts < 2) return out;
  Status st = Guard([&] {
    // msg_ids is keyed by a uniform hash: the leads of evenly spaced hashes
    // are a sample of leads weighted by their events.
    SQLite::Statement q(*db_, "SELECT lead_id FROM msg_ids WHERE hash >= ? ORDER BY hash LIMIT 1");
    std::vector<std::string> sample;
    const int k = 256;
    for (int i = 0; i < k; ++i) {
      uint64_t h = static_cast<uint64_t>(i) * (UINT64_MAX / k);
      q.tryReset();
      q.bind(1, static_cast<int64_t>(h));
      if (q.executeStep()) sample.push_back(q.getColumn(0).getString());
    }
    std::sort(sample.begin(), sample.end());
    if (sample.size() < static_cast<size_t>(parts) * 4) return Status::Ok();  // small: one part
    for (int p = 1; p < parts; ++p) {
      const std::string& cut = sample[sample.size() * static_cast<size_t>(p) / parts];
      if (out.empty() || cut > out.back()) out.push_back(cut);
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
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
    clear_dirty_->tryReset();
    clear_dirty_->bind(1, lead_id);
    clear_dirty_->exec();
    return Status::Ok();
  });
}

Result<int64_t> Store::DirtyCount() {
  int64_t n = 0;
  Status st = Guard([&] {
    auto& q = Cached("SELECT count(*) FROM dirty");
    ResetOnExit r{q};
    q.executeStep();
    n = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return n;
}

Status Store::SaveProjection(const LeadState& s, double eng_key, const std::string& state,
                             const std::string& who, bool fresh) {
  return Guard([&] {
    if (!save_lead_) {
      save_lead_ = std::make_unique<SQLite::Statement>(
          *db_,
          "INSERT OR REPLACE INTO leads(id, stage, open, fit, eng_sum, eng_ref, eng_key, "
          "first_at, last_at, owner, playbook_version, state, who) "
          "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)");
      delete_history_ =
          std::make_unique<SQLite::Statement>(*db_, "DELETE FROM history WHERE lead_id = ?");
      insert_history_ = std::make_unique<SQLite::Statement>(
          *db_, "INSERT INTO history VALUES(?,?,?,?,?,?,?,?,?,?)");
    }
    SQLite::Statement& q = *save_lead_;
    q.tryReset();
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
    q.bindNoCopy(12, state.data(), static_cast<int>(state.size()));
    q.bindNoCopy(13, who);
    q.exec();
    if (!fresh) {
      SQLite::Statement& d = *delete_history_;
      d.tryReset();
      d.bind(1, s.id);
      d.exec();
    }
    SQLite::Statement& h = *insert_history_;
    for (size_t i = 0; i < s.history.size(); ++i) {
      const HistoryEntry& e = s.history[i];
      h.tryReset();
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
    static const std::string kSql = std::string("SELECT ") + kLeadColsBeforeState + "state" +
                                    kLeadColsAfterState + " FROM leads WHERE id = ?";
    auto& q = Cached(kSql.c_str());
    ResetOnExit rq{q};
    q.bind(1, id);
    if (!q.executeStep()) return Status::Ok();
    StoredLead l;
    ReadStoredLead(q, &l);
    auto& h = Cached(
        "SELECT at, from_stage, to_stage, by_user, reason, rule, exception, "
        "playbook_version FROM history WHERE lead_id = ? ORDER BY idx");
    ResetOnExit rh{h};
    h.bind(1, id);
    while (h.executeStep()) {
      l.history.push_back(ReadHistory(h, 0));
    }
    out = std::move(l);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Status Store::ForEachProjection(const std::function<Status(StoredLead&)>& fn, bool with_state,
                                const std::string& from, const std::string& to) {
  return Guard([&] {
    std::string lead_range, history_range;
    if (!from.empty()) {
      lead_range += " AND id >= :from";
      history_range += " AND lead_id >= :from";
    }
    if (!to.empty()) {
      lead_range += " AND id < :to";
      history_range += " AND lead_id < :to";
    }
    SQLite::Statement q(
        *db_, std::string("SELECT ") + kLeadColsBeforeState + (with_state ? "state" : "NULL") +
                  kLeadColsAfterState +
                  (with_state ? " FROM leads" : " FROM leads INDEXED BY leads_scan") + " WHERE 1" +
                  lead_range + " ORDER BY id");
    SQLite::Statement h(*db_,
                        "SELECT lead_id, at, from_stage, to_stage, by_user, reason, rule, "
                        "exception, playbook_version FROM history WHERE 1" +
                            history_range + " ORDER BY lead_id, idx");
    for (SQLite::Statement* st : {&q, &h}) {
      if (!from.empty()) st->bind(":from", from);
      if (!to.empty()) st->bind(":to", to);
    }
    bool h_ok = h.executeStep();
    std::string h_id = h_ok ? h.getColumn(0).getString() : "";
    StoredLead l;
    while (q.executeStep()) {
      ReadStoredLead(q, &l);
      l.history.clear();
      while (h_ok && h_id < l.row.id) {  // history of a lead without a row: skip
        h_ok = h.executeStep();
        if (h_ok) h_id = h.getColumn(0).getString();
      }
      while (h_ok && h_id == l.row.id) {
        l.history.push_back(ReadHistory(h, 1));
        h_ok = h.executeStep();
        if (h_ok) h_id = h.getColumn(0).getString();
      }
      if (Status s = fn(l); !s.ok()) return s;
    }
    return Status::Ok();
  });
}

Status Store::LoadRecent(const std::string& id, int64_t n, std::vector<Event>* events,
                         std::vector<Action>* actions) {
  return Guard([&] {
    // The chunks' headers newest-first by their latest event, then only the
    // chunks that can hold one of the last n events (read by key). Small
    // chunks (HTTP ingest writes one per lead per group) come with their
    // data in the same scan (in the B-tree page already; length() reads no
    // overflow page), up to 256 KiB, so a lead of many small chunks is one
    // query, not one per chunk.
    auto& heads = Cached(
        "SELECT seq, max_ts, n, CASE WHEN length(data) <= 4096 THEN data END FROM chunks "
        "WHERE lead_id = ?");
    ResetOnExit rheads{heads};
    heads.bind(1, id);
    struct Head {
      int64_t seq;
      Micros max_ts;
      int64_t n;
      bool has_data = false;
      std::string data;
    };
    std::vector<Head> hs;
    size_t inline_budget = 256 << 10;
    while (heads.executeStep()) {
      Head& h = hs.emplace_back();
      h.seq = heads.getColumn(0).getInt64();
      h.max_ts = heads.getColumn(1).getInt64();
      h.n = heads.getColumn(2).getInt64();
      auto d = heads.getColumn(3);
      if (!d.isNull() && static_cast<size_t>(d.getBytes()) <= inline_budget) {
        h.data.assign(static_cast<const char*>(d.getBlob()), static_cast<size_t>(d.getBytes()));
        h.has_data = true;
        inline_budget -= h.data.size();
      }
    }
    std::sort(hs.begin(), hs.end(),
              [](const Head& a, const Head& b) { return a.max_ts > b.max_ts; });
    auto& q = Cached("SELECT data FROM chunks WHERE lead_id = ? AND seq = ?");
    ResetOnExit rq{q};
    // Keys (ts, messageId) of every event in the chunks read, without decoding.
    struct Key {
      Micros ts;
      std::string_view mid;
      size_t blob, off, len;
    };
    auto later = [](const Key& a, const Key& b) {
      return a.ts != b.ts ? a.ts > b.ts : a.mid > b.mid;
    };
    std::vector<std::unique_ptr<std::string>> blobs;
    std::vector<Key> keys;
    for (Head& h : hs) {
      if (static_cast<int64_t>(keys.size()) >= n) {
        std::nth_element(keys.begin(), keys.begin() + (n - 1), keys.end(), later);
        keys.resize(static_cast<size_t>(n));
        // A chunk whose latest event is before the n-th latest cannot hold
        // one of the last n (ties on the timestamp need a look at the ids).
        if (h.max_ts < keys[static_cast<size_t>(n - 1)].ts) break;
      }
      if (h.has_data) {
        blobs.push_back(std::make_unique<std::string>(std::move(h.data)));
      } else {
        q.tryReset();
        q.bind(1, id);
        q.bind(2, h.seq);
        if (!q.executeStep()) continue;
        auto col = q.getColumn(0);
        blobs.push_back(std::make_unique<std::string>(static_cast<const char*>(col.getBlob()),
                                                      static_cast<size_t>(col.getBytes())));
      }
      const size_t bi = blobs.size() - 1;
      const std::string& blob = *blobs.back();
      if (Status s = ScanEvents(blob, h.n,
                                [&](Micros ts, std::string_view mid, size_t off, size_t len) {
                                  keys.push_back({ts, mid, bi, off, len});
                                });
          !s.ok()) {
        return s;
      }
    }
    std::sort(keys.begin(), keys.end(), later);
    if (static_cast<int64_t>(keys.size()) > n) keys.resize(static_cast<size_t>(n));
    std::vector<Event> got;
    for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
      std::string_view data = std::string_view(*blobs[it->blob]).substr(it->off, it->len);
      if (Status s = DecodeEvents(data, 1, id, &got); !s.ok()) return s;
    }
    for (auto& e : got) events->push_back(std::move(e));
    static const std::string kSql =
        std::string("SELECT ") + kActionCols + " FROM actions WHERE lead_id = ? ORDER BY ts, seq";
    auto& a = Cached(kSql.c_str());
    ResetOnExit ra{a};
    a.bind(1, id);
    while (a.executeStep()) actions->push_back(ReadAction(a));
    return Status::Ok();
  });
}

Result<std::string> Store::LeadWho(const std::string& id) {
  std::string who;
  Status st = Guard([&] {
    if (!lead_who_) {
      lead_who_ = std::make_unique<SQLite::Statement>(*db_, "SELECT who FROM leads WHERE id = ?");
    }
    auto& q = *lead_who_;
    q.tryReset();
    q.bind(1, id);
    if (q.executeStep()) who = q.getColumn(0).getString();
    q.tryReset();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return who;
}

Status Store::BeginBulkLoad() {
  return Guard([&] {
    db_->exec(
        "DROP INDEX IF EXISTS leads_by_fit; DROP INDEX IF EXISTS leads_by_eng; "
        "DROP INDEX IF EXISTS leads_scan; "
        "DELETE FROM leads; DELETE FROM history; DELETE FROM dirty;");
    return Status::Ok();
  });
}

Status Store::FinishBulkLoad() {
  return Guard([&] {
    db_->exec("PRAGMA threads=4");  // the sorter behind CREATE INDEX may use helper threads
    db_->exec(kLeadIndexes);
    db_->exec("PRAGMA threads=0");
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

Status Store::SetMeta(const std::string& key, const std::string& value) {
  return Guard([&] {
    SQLite::Statement q(*db_, "INSERT OR REPLACE INTO meta VALUES(?, ?)");
    q.bind(1, key);
    q.bind(2, value);
    q.exec();
    return Status::Ok();
  });
}

Status Store::ForEachProjectionState(
    const std::function<Status(const std::string& id, std::string_view state)>& fn) {
  return Guard([&] {
    SQLite::Statement q(*db_, "SELECT id, state FROM leads");
    while (q.executeStep()) {
      auto col = q.getColumn(1);
      const char* text = static_cast<const char*>(col.getBlob());
      int n = col.getBytes();
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
                        "SELECT DISTINCT lead_id FROM chunks UNION SELECT DISTINCT lead_id FROM "
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
    auto& q = Cached("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'last_point'");
    ResetOnExit rq{q};
    if (q.executeStep()) t = q.getColumn(0).getInt64();
    auto& p = Cached("SELECT max(applied_at) FROM playbooks");
    ResetOnExit rp{p};
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
    n = db_->execAndGet("SELECT coalesce(sum(n), 0) FROM chunks").getInt64();
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return n;
}

Status Store::ForEachEvent(const std::function<Status(const Event&)>& fn) {
  return ForEachLead(
      true, [&](const std::string&, const std::vector<const Event*>& events, std::vector<Action>&) {
        for (const Event* e : events) {
          if (Status s = fn(*e); !s.ok()) return s;
        }
        return Status::Ok();
      });
}

// Schema 1 -> 2: the events table (one row per event, the raw JSON line as
// body) becomes chunks of binary events; messageIds go to the hash index.
Status Store::ConvertEventsToChunks() {
  std::vector<Event> batch;
  auto flush = [&]() -> Status {
    auto r = AppendEvents(batch);
    batch.clear();
    return r.ok() ? Status::Ok() : r.status();
  };
  SQLite::Statement q(*db_,
                      "SELECT message_id, lead_id, type, name, ts, body FROM events ORDER BY "
                      "lead_id, ts, message_id");
  while (q.executeStep()) {
    Event e;
    const char* body = q.getColumn(5).getText();
    int n = q.getColumn(5).getBytes();
    (void)ParseEvent(std::string_view(body, static_cast<size_t>(n)), &e, true);
    e.message_id = q.getColumn(0).getString();
    e.lead_id = q.getColumn(1).getString();
    e.type = static_cast<EventType>(q.getColumn(2).getInt());
    e.name = q.getColumn(3).getString();
    e.ts = q.getColumn(4).getInt64();
    batch.push_back(std::move(e));
    if (batch.size() >= 100000) {
      if (Status s = flush(); !s.ok()) return s;
    }
  }
  if (Status s = flush(); !s.ok()) return s;
  db_->exec("DROP TABLE events");
  return Status::Ok();
}

Status Store::AddKey(const KeyRecord& k) {
  return Guard([&] {
    SQLite::Statement q(*db_,
                        "INSERT INTO keys(id, user, hash, ingest_only, created_at) "
                        "VALUES (?, ?, ?, ?, ?)");
    q.bind(1, k.id);
    q.bind(2, k.user);
    q.bind(3, k.hash.data(), static_cast<int>(k.hash.size()));
    q.bind(4, k.ingest_only ? 1 : 0);
    q.bind(5, static_cast<int64_t>(k.created_at));
    q.exec();
    return Status::Ok();
  });
}

namespace {
KeyRecord ReadKey(SQLite::Statement& q) {
  KeyRecord k;
  k.id = q.getColumn(0).getString();
  k.user = q.getColumn(1).getString();
  const auto* b = static_cast<const char*>(q.getColumn(2).getBlob());
  k.hash.assign(b, static_cast<size_t>(q.getColumn(2).getBytes()));
  k.ingest_only = q.getColumn(3).getInt() != 0;
  k.created_at = q.getColumn(4).getInt64();
  if (!q.getColumn(5).isNull()) k.revoked_at = q.getColumn(5).getInt64();
  return k;
}
}  // namespace

Result<std::optional<KeyRecord>> Store::GetKey(const std::string& id) {
  std::optional<KeyRecord> out;
  Status st = Guard([&] {
    auto& q =
        Cached("SELECT id, user, hash, ingest_only, created_at, revoked_at FROM keys WHERE id = ?");
    ResetOnExit r{q};
    q.bind(1, id);
    if (q.executeStep()) out = ReadKey(q);
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<KeyRecord>> Store::Keys() {
  std::vector<KeyRecord> out;
  Status st = Guard([&] {
    SQLite::Statement q(*db_,
                        "SELECT id, user, hash, ingest_only, created_at, revoked_at FROM keys "
                        "ORDER BY created_at, id");
    while (q.executeStep()) out.push_back(ReadKey(q));
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return out;
}

Result<bool> Store::RevokeKey(const std::string& id, Micros at) {
  bool changed = false;
  Status st = Guard([&] {
    SQLite::Statement q(*db_, "UPDATE keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    q.bind(1, static_cast<int64_t>(at));
    q.bind(2, id);
    changed = q.exec() > 0;
    return Status::Ok();
  });
  if (!st.ok()) return st;
  return changed;
}

Result<std::string> Store::PlaybookSource(int64_t version) {
  std::string out;
  bool found = false;
  Status st = Guard([&] {
    SQLite::Statement q(*db_, "SELECT source FROM playbooks WHERE version = ?");
    q.bind(1, static_cast<int64_t>(version));
    if (q.executeStep()) {
      out = q.getColumn(0).getString();
      found = true;
    }
    return Status::Ok();
  });
  if (!st.ok()) return st;
  if (!found) return Status::NotFound("no playbook version " + std::to_string(version));
  return out;
}

}  // namespace leadgate
