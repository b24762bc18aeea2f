// The embedded store (SQLite, WAL): the append-only log of events and actions
// is the truth; the projections (leads, history) are derived and rebuildable.
// Schema migrations are versioned (docs/storage.md).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "fold/fold.h"
#include "fold/timeline.h"
#include "store/codec.h"

namespace SQLite {
class Database;
class Statement;
}  // namespace SQLite

namespace leadgate {

struct UserRecord {
  std::string name;
  Role role;
};

// An API key of the HTTP server: `hash` is a digest of the secret (the key
// itself is never stored).
struct KeyRecord {
  std::string id, user, hash;
  bool ingest_only = false;
  Micros created_at = 0;
  std::optional<Micros> revoked_at;
};

// The projection row of one lead: enough for queue without refolding.
struct LeadRow {
  std::string id;
  Stage stage;
  double fit = 0;
  double eng_sum = 0;  // uncapped engagement at eng_ref
  Micros eng_ref = 0;
  double eng_key = 0;  // orders leads by engagement at any later time (see EngagementKey)
  Micros last_at = 0;
  std::optional<std::string> owner;
  Micros first_at = 0;  // filled by ForEachProjection
};

// One connection; use a Store from one thread at a time (it is opened
// without SQLite's per-call mutex). Other threads open their own Store.
class Store {
 public:
  ~Store();
  // Opens an existing store (create=false) or creates a new one (create=true;
  // refuses when the file exists) with pages of `page_size` bytes (a power
  // of two from 512 to 65536; docs/storage.md "Page size").
  static constexpr int kDefaultPageSize = 16384;
  static Result<std::unique_ptr<Store>> Open(const std::string& path, bool create,
                                             int page_size = kDefaultPageSize);

  // Page cache size for this connection (the default is 192 MB).
  void SetCacheKiB(int kib);
  // How long a write waits for another process's lock (the server).
  void SetBusyTimeoutMs(int ms);
  Status Begin();
  Status Commit();
  void Rollback();

  // Playbook versions, oldest first.
  Result<std::vector<PlaybookVersion>> Playbooks();
  Result<int64_t> PlaybookCount();
  Status AddPlaybook(int64_t version, Micros applied_at, const std::string& source,
                     const std::string& file);

  Status AddUser(const std::string& name, Role role);
  Result<std::optional<UserRecord>> GetUser(const std::string& name);
  Result<std::vector<UserRecord>> Users();

  // Appends a batch of events to the log, skipping those whose messageId is
  // stored already (or repeated in the batch), and marks their leads dirty.
  // Call inside a transaction.
  struct AppendResult {
    int64_t stored = 0, duplicates = 0;
    std::vector<std::string> leads;  // leads with new events, sorted
    Micros max_ts = INT64_MIN;       // latest new event
    std::vector<char> duplicate;     // per event, in the order added: 1 = already stored
  };
  Result<AppendResult> AppendEvents(const std::vector<Event>& events);
  // The same for a prepared batch; leads in `marked` are dirty already (not
  // marked again).
  Result<AppendResult> AppendBatch(const EventBatch& batch,
                                   const std::unordered_set<std::string>* marked);
  // FULL: every commit is synced to disk (the default). NORMAL: commits are
  // synced at the next FULL commit or checkpoint (a process crash loses
  // nothing committed; a power loss may lose what was not synced yet).
  void SetSynchronous(bool full);
  Result<int64_t> InsertAction(const Action& a);
  Status MarkDirty(const std::string& lead_id);
  Status MarkAllDirty();

  // The lead's whole log.
  Status LoadLead(const std::string& id, std::vector<Event>* events, std::vector<Action>* actions);
  // Streams every dirty lead's log (all=true: every lead's), ordered by lead id,
  // optionally only leads in [from, to) ("" = unbounded); each lead's events
  // in (ts, messageId) order (pointers valid during the call), actions in
  // (ts, seq) order.
  using LeadFn =
      std::function<Status(const std::string& id, const std::vector<const Event*>& events,
                           std::vector<Action>& actions)>;
  Status ForEachLead(bool all, const LeadFn& fn, const std::string& from = "",
                     const std::string& to = "");
  // Lead ids that split the log into `parts` ranges of about equal events
  // (sampled through the messageId hash index); sorted, at most parts - 1.
  Result<std::vector<std::string>> SplitLeads(int parts);
  Status ClearDirty();
  Status ClearDirty(const std::string& lead_id);
  Result<int64_t> DirtyCount();

  // `who`: the short description of the lead the queue shows.
  // fresh: the lead has no projection yet (rebuild), its history is not
  // deleted first.
  Status SaveProjection(const LeadState& s, double eng_key, const std::string& state,
                        const std::string& who, bool fresh);
  Result<std::string> LeadWho(const std::string& id);
  // Rebuild: drops the projections and their indexes (inside a transaction);
  // FinishBulkLoad recreates the indexes in one sorted pass each.
  Status BeginBulkLoad();
  Status FinishBulkLoad();
  // The projection row of a lead (state: the encoded rest), with its history.
  struct StoredLead {
    LeadRow row;
    int64_t playbook_version = 1;
    std::string state;
    std::vector<HistoryEntry> history;
  };
  Result<std::optional<StoredLead>> LoadProjection(const std::string& id);
  // Every projection with its history, ordered by lead id (reports).
  // with_state=false leaves StoredLead::state empty (cheaper). `fn` may move
  // out of the row it is given.
  // from/to: only leads in [from, to) ("" = unbounded; see SplitLeads).
  Status ForEachProjection(const std::function<Status(StoredLead&)>& fn, bool with_state = true,
                           const std::string& from = "", const std::string& to = "");
  // The lead's last `n` events (timeline order) and all its actions.
  Status LoadRecent(const std::string& id, int64_t n, std::vector<Event>* events,
                    std::vector<Action>* actions);
  Status DeleteProjection(const std::string& id);
  // Open leads in descending fit, or descending engagement key: the two
  // sorted lists of the queue's threshold algorithm.
  enum class ScanOrder { kFit, kEngagement };
  class LeadScan {
   public:
    ~LeadScan();
    bool Next(LeadRow* row);

   private:
    friend class Store;
    LeadScan() = default;
    struct Impl;
    std::unique_ptr<Impl> impl_;
  };
  Result<std::unique_ptr<LeadScan>> ScanOpenLeads(ScanOrder order);
  // Records that the log now has a point at t (kept in meta for the queue's fast path).
  Status BumpLastPoint(Micros t);
  Status SetMeta(const std::string& key, const std::string& value);
  Result<std::vector<std::string>> AllLeadIds();
  Status ForEachProjectionState(
      const std::function<Status(const std::string& id, std::string_view state)>& fn);
  Result<Micros> MaxPointTime();  // latest event/action/apply timestamp in the log
  Result<int64_t> CountEvents();
  // Every stored event in (lead, ts, messageId) order (export, tests).
  Status ForEachEvent(const std::function<Status(const Event&)>& fn);

  // API keys (schema 3).
  Status AddKey(const KeyRecord& k);
  Result<std::optional<KeyRecord>> GetKey(const std::string& id);
  Result<std::vector<KeyRecord>> Keys();                     // oldest first
  Result<bool> RevokeKey(const std::string& id, Micros at);  // false: unknown or revoked already
  // The YAML text of a stored playbook version.
  Result<std::string> PlaybookSource(int64_t version);

  SQLite::Database& db() { return *db_; }

  // A statement prepared once per connection (the server's per-request
  // queries: key lookup, freshness checks, a lead's read). `sql` is compared
  // by address: pass a string literal or another string that lives as long
  // as the Store. Reset on return; hold a CachedReset while stepping it, so
  // it is reset when done (an unreset statement would pin a read snapshot).
  SQLite::Statement& Cached(const char* sql);
  struct CachedReset {
    SQLite::Statement& q;
    ~CachedReset();
  };
  // One read transaction for the queries that follow (a consistent view, and
  // one WAL read lock instead of one per statement); ended when it goes.
  // Does nothing inside a transaction already. Read-only use.
  class ReadSnapshot {
   public:
    explicit ReadSnapshot(Store& s);
    ~ReadSnapshot();
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;

   private:
    Store* store_ = nullptr;  // null: nothing begun
  };

 private:
  Store() = default;
  Status Migrate();
  Status ConvertEventsToChunks();
  // The messageIds stored for one lead (exact duplicate check on a hash hit).
  Status LeadMessageIds(const std::string& lead, std::vector<std::string>* ids);
  std::unique_ptr<SQLite::Database> db_;
  std::unique_ptr<SQLite::Statement> insert_chunk_, insert_msg_, find_msg_, insert_collision_,
      mark_dirty_, save_lead_, delete_history_, insert_history_, clear_dirty_, lead_who_,
      lead_chunks_;
  std::vector<std::pair<const char*, std::unique_ptr<SQLite::Statement>>> cached_;
};

}  // namespace leadgate
