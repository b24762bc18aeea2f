// The application service: every command is one operation here, over the
// store and the pure fold. The CLI (and later HTTP) are thin adapters.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "app/notify.h"
#include "app/prediction.h"
#include "app/reports.h"
#include "common/status.h"
#include "fold/fold.h"
#include "store/store.h"

namespace leadgate {

struct LineError {
  std::string where;  // "file:line"
  int64_t line = 0;
  std::string reason;
};

struct IngestReport {
  int64_t lines = 0, stored = 0, duplicates = 0, rejected = 0, leads_touched = 0;
  std::vector<LineError> errors;  // first 1000 kept; `rejected` counts all
};

struct QueueRow {
  std::string id;
  Stage stage;
  double fit, engagement, total;
  std::optional<std::string> owner;
  std::string who;  // "Ana Ruiz, VP Finance at Acme" from the traits, for people
  std::optional<double> probability = std::nullopt;  // queue --sort probability
};

// "Ana Ruiz, VP Finance at Acme" (whatever of it the traits have).
std::string DescribeLead(const std::map<std::string, Value>& traits);

struct SlaOpen {
  std::string id;
  Micros mql_at, due;
  int64_t overdue_seconds;
};
struct SlaReport {
  std::optional<Micros> limit;
  std::vector<SlaOpen> open;
  int64_t breaches = 0, met = 0;
  std::vector<double> responses;  // seconds, answered clocks
  std::optional<double> median;
};

struct ShowResult {
  LeadState state;
  std::vector<Event> events;  // the journey (at least the latest 40), in timeline order
  int64_t event_count = 0;    // all the lead's events up to as_of
  std::vector<Action> actions;
  Micros as_of;
  std::optional<Prediction> prediction;  // from the active model, if any
};

struct ActRequest {
  std::string lead, action, by;
  Micros at;
  std::optional<std::string> reason, channel;
  std::optional<std::string> budget, authority, need, timeline, current_solution;
};

// A new API key: `key` is the whole secret, shown once (only its hash is stored).
struct NewKey {
  std::string id, key, user;
  bool ingest_only = false;
};
// Who a valid key speaks for.
struct Principal {
  std::string key_id, user;
  Role role = Role::kRep;
  bool ingest_only = false;
};

struct ProgressSink {
  virtual ~ProgressSink() = default;
  virtual void Update(int64_t done, int64_t total) = 0;
  virtual void Done() = 0;
};

struct TrainingOptions;  // app/model_data.h
struct TrainingTable;
struct ActiveModel;

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Open(const std::string& db_path);
  static Status Init(const std::string& db_path, const std::string& playbook_path);

  Status ApplyPlaybook(const std::string& path, Micros at, int64_t* version);
  Status AddUser(const std::string& name, const std::string& role);
  // Ingests JSONL from `in`; `name` is used in error messages.
  Status Ingest(std::istream& in, const std::string& name, int64_t size_hint, std::ostream* rejects,
                ProgressSink* progress, IngestReport* report);
  // Ingests already-parsed events (HTTP, tests); durable on return.
  Status IngestEvents(const std::vector<Event>& events, IngestReport* report);
  Status ImportLeads(const std::string& path, const std::string& id_column,
                     std::optional<Micros> at, std::ostream* rejects, IngestReport* report);
  Result<LeadState> Act(const ActRequest& req);
  // From the projection when `at` is at or after the log's last point (no
  // refold); else, or with `refold`, by folding the lead's log as of `at`.
  Result<ShowResult> Show(const std::string& lead, Micros at, bool refold = false);
  // `refold` forces the always-exact path (fold every lead), for verification.
  Result<std::vector<QueueRow>> Queue(Micros at, std::optional<Stage> stage, int64_t limit,
                                      bool refold = false);
  Result<SlaReport> Sla(Micros at, bool refold = false);
  Status Rebuild(int64_t* leads);
  Result<ExceptionsReport> Exceptions(Micros at, bool refold = false);
  // Speed-to-lead compliance by owner and by week (docs/reports.md).
  Result<SlaComplianceReport> SlaCompliance(Micros at, bool refold = false);
  // MQLs and SALs nobody acted on, SQLs with no touch, idle >= older_than,
  // oldest first (docs/reports.md).
  Result<std::vector<StalledRow>> Stalled(Micros at, Micros older_than, bool refold = false);
  // The funnel of the leads created in [from, to) as of `at`, grouped by `by`
  // (docs/reports.md); from the projections when they are current at `at`.
  Result<FunnelReport> Funnel(std::optional<Micros> from, std::optional<Micros> to,
                              const std::string& by, Micros at, bool refold = false);
  // Folds every lead as of `at` (the slow, always-correct path).
  Status FoldAll(Micros at, const std::function<Status(const LeadState&)>& fn);

  // The HTTP API's operations (engine_api.cc).
  // Applies playbook YAML text (`name` is recorded as its file, used in errors).
  Status ApplyPlaybookText(const std::string& yaml, const std::string& name, Micros at,
                           int64_t* version);
  Result<NewKey> CreateKey(const std::string& user, bool ingest_only, Micros now);
  Result<std::vector<KeyRecord>> Keys();
  Status RevokeKey(const std::string& id, Micros now);
  // NotFound for a key that is malformed, unknown, wrong or revoked (the
  // message says which, never echoing the secret).
  Result<Principal> Authenticate(std::string_view key);

  // Records a notification for delivery (webhooks). Until the outbox lands
  // this only counts it; callers inside a store transaction get it committed
  // with their change.
  Status Emit(const Notification& n);

  // Predictive scoring (model_data.cc, docs/predictive.md): the training
  // table from the won/lost history (each lead folded as of just before its
  // label), the active model's prediction of a lead, the queue by it.
  Result<TrainingTable> TrainingData(const TrainingOptions& opt);
  Result<std::optional<Prediction>> Predict(const LeadState& s, Micros at);
  Result<std::vector<QueueRow>> QueueByProbability(Micros at, std::optional<Stage> stage,
                                                   int64_t limit, bool refold = false);

  const std::vector<PlaybookVersion>& versions() const { return versions_; }
  const Playbook& PlaybookAt(Micros at) const;
  Store& store() { return *store_; }

 private:
  Status RefreshDirty();
  Status ReloadVersionsIfChanged();
  int64_t VersionAt(Micros t) const;  // the playbook version in force at t
  Status ForEachLeadAt(Micros at, bool refold, bool need_state,
                       const std::function<bool(Stage)>& want,
                       const std::function<void(const LeadState&)>& fn);
  Status ApplyLoaded(std::shared_ptr<const Playbook> pb, const std::string& name, Micros at,
                     int64_t* version);
  Status FoldAndSave(bool all, int64_t* count);
  // Stores one batch durably (its own transaction); adds the leads it touched.
  Status StoreBatch(const std::vector<Event>& events, IngestReport* report,
                    std::unordered_set<std::string>* touched);
  Status StoreBatch(const EventBatch& batch, IngestReport* report,
                    std::unordered_set<std::string>* touched);
  // Whether the projections are the state as of `at` up to decay.
  Result<bool> ProjectionsCurrentAt(Micros at);
  Status Save(const LeadState& s);
  const Playbook& PlaybookOf(const LeadState& s) const;  // the version it was folded under
  FoldOptions Options(Micros as_of);
  std::string path_;
  std::unique_ptr<Store> store_;
  std::vector<MatchCache> caches_;  // one per playbook version
  std::vector<PlaybookVersion> versions_;
  std::shared_ptr<ActiveModel> model_;  // the active stored model, loaded once (model_data.cc)
  Result<std::shared_ptr<ActiveModel>> LoadActiveModel();
  void AttachPrediction(ShowResult* r);  // sets r->prediction (a warning if the model fails)
};

}  // namespace leadgate
