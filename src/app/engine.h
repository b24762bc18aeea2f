// The application service: every command is one operation here, over the
// store and the pure fold. The CLI (and later HTTP) are thin adapters.
#pragma once

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "app/feedback.h"
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

// `import history`: which CSV columns hold what, and CRM stage names
// mapped to Leadgate stages (docs/cli.md).
struct HistoryImportOptions {
  std::string id_column = "id", stage_column = "stage", at_column = "at", by_column = "by",
              reason_column = "reason";
  std::map<std::string, std::string> stage_map;  // CRM value (as given) -> stage name
  std::string stage;          // one stage for every row (then no stage column is read)
  bool dry_run = false;       // check and count, store nothing
  bool create_leads = false;  // a row may name a lead with no events
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
  // Filled from the breaches the timer fired (docs/routing.md).
  std::optional<std::string> owner, escalated_to;
};
struct SlaReport {
  std::optional<Micros> limit;
  std::vector<SlaOpen> open;
  int64_t breaches = 0, met = 0;
  std::vector<double> responses;  // seconds, answered clocks
  std::optional<double> median;
};

// A speed-to-lead breach the timer fired (once per clock), escalated to the
// manager of the lead's team.
struct SlaBreach {
  std::string lead;
  Micros mql_at = 0, due = 0, fired_at = 0;
  std::optional<std::string> owner, team, escalated_to;
};
// A rep marked away (routing gives them nothing).
struct AwayRecord {
  std::string user;
  Micros since = 0;
  std::optional<Micros> until;
};
// A lead waiting in a team's queue for a rep with capacity.
struct TeamQueueRow {
  std::string lead, team, who;
  Micros since = 0;
  double total = 0;
};

struct ShowResult {
  LeadState state;
  std::vector<SlaBreach> breaches;  // this lead's fired breaches
  std::vector<Event> events;        // the journey (at least the latest 40), in timeline order
  int64_t event_count = 0;          // all the lead's events up to as_of
  std::vector<Action> actions;
  Micros as_of;
  std::optional<Prediction> prediction;  // from the active model, if any
};

struct ActRequest {
  std::string lead, action, by;
  Micros at;
  std::optional<std::string> reason, channel;
  std::optional<std::string> budget, authority, need, timeline, current_solution;
  std::optional<std::string> to;  // assign: the new owner
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

class Outbox;
struct TrainingOptions;  // app/model_data.h
struct TrainingTable;
struct ActiveModel;

class Engine {
 public:
  ~Engine();
  static Result<std::unique_ptr<Engine>> Open(const std::string& db_path);
  static Status Init(const std::string& db_path, const std::string& playbook_path,
                     int page_size = Store::kDefaultPageSize);

  Status ApplyPlaybook(const std::string& path, Micros at, int64_t* version);
  Status AddUser(const std::string& name, const std::string& role);
  // Ingests JSONL from `in`; `name` is used in error messages.
  Status Ingest(std::istream& in, const std::string& name, int64_t size_hint, std::ostream* rejects,
                ProgressSink* progress, IngestReport* report);
  // Ingests already-parsed events (HTTP, tests) in one transaction; durable
  // on return. `duplicate` (optional) gets one flag per event: 1 = that
  // messageId was already stored (or came earlier in `events`), not stored
  // again. `durable` (optional) is called as soon as the events are committed
  // to disk, before the touched leads are refolded (the server answers then).
  // refresh=false: the touched leads stay marked dirty (reads stay exact:
  // they fold from the log) until RefreshIngested, so a server under load
  // refolds the leads of several group commits at once.
  Status IngestEvents(const std::vector<Event>& events, IngestReport* report,
                      std::vector<char>* duplicate = nullptr,
                      const std::function<void()>& durable = nullptr, bool refresh = true);
  // Refolds the leads IngestEvents(refresh=false) left dirty (a commit not
  // synced: the marks are durable, the projections derived).
  Status RefreshIngested();
  Status ImportLeads(const std::string& path, const std::string& id_column,
                     std::optional<Micros> at, std::ostream* rejects, IngestReport* report);
  // Recorded stage changes as imported actions (history_import.cc).
  Status ImportHistory(const std::string& path, const HistoryImportOptions& opts,
                       std::ostream* rejects, IngestReport* report);
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
  // Feedback for marketing: conversion of MQLs by source and by the rules
  // that fired, top reject reasons per source (feedback.cc, docs/reports.md).
  Result<FeedbackReport> Feedback(std::optional<Micros> from, std::optional<Micros> to, Micros at,
                                  bool refold = false);
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

  // Records a notification for delivery (webhooks): one outbox row per
  // subscription that wants its type, written in the caller's transaction
  // (committed or rolled back with the change that caused it). Without
  // subscriptions it writes nothing (src/app/outbox.cc, docs/webhooks.md).
  Status Emit(const Notification& n);
  // Webhook subscriptions and their deliveries (outbox.cc).
  Result<WebhookRecord> AddWebhook(const std::string& url, const std::vector<std::string>& events,
                                   const std::string& format, Micros now);
  Result<std::vector<WebhookRecord>> Webhooks(bool with_removed = false);
  // Removes a subscription; its owed deliveries are cancelled.
  Status RemoveWebhook(const std::string& id, Micros now);
  Result<std::vector<DeliveryRecord>> Deliveries(bool failed_only, int64_t limit);
  // Called on this engine's thread after a commit that emitted notifications:
  // `mqls` leads entered mql, `queued` outbox rows were written.
  void SetEmitListener(std::function<void(int64_t mqls, int64_t queued)> fn);

  // Routing and real-time speed to lead (routing.cc, docs/routing.md).
  // Away: routing gives the rep nothing until `until` (none: until 'back');
  // back frees their queue share at once.
  Status SetAway(const std::string& user, Micros now, std::optional<Micros> until);
  Status SetBack(const std::string& user, Micros now);
  Result<std::vector<AwayRecord>> AwayUsers(Micros now);
  // The earliest --until of a rep marked away (none: nobody is away with one),
  // and ending the absences due by `now` (their share of the queues released).
  Result<std::optional<Micros>> NextAwayEnd();
  Status EndAbsences(Micros now);
  Result<std::vector<TeamQueueRow>> TeamQueue(const std::string& team);
  // The earliest due time of an open clock not fired yet (none: no clock runs).
  Result<std::optional<Micros>> NextSlaDue();
  // Records each clock due at or before `now` as a breach, exactly once,
  // escalates it to the team's manager and emits sla.breached.
  Status FireDueSlas(Micros now);
  Result<std::vector<SlaBreach>> Breaches(const std::string& lead);  // "" = every lead

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
  Engine();
  Status RefreshDirty();
  Status ReloadVersionsIfChanged();
  int64_t VersionAt(Micros t) const;  // the playbook version in force at t
  // trait_keys: with need_state, decode only these traits from projections.
  // any_order: `fn` does not depend on the order of the leads (an aggregate),
  // so the projections may be read by two threads over two lead ranges (fn
  // is still called by one thread at a time).
  Status ForEachLeadAt(Micros at, bool refold, bool need_state,
                       const std::function<bool(Stage)>& want,
                       const std::function<void(const LeadState&)>& fn,
                       const std::vector<std::string>* trait_keys = nullptr,
                       bool any_order = false);
  Status ApplyLoaded(std::shared_ptr<const Playbook> pb, const std::string& name, Micros at,
                     int64_t* version);
  Status FoldAndSave(bool all, int64_t* count);
  // Stores one batch durably (its own transaction); adds the leads it touched.

  Status StoreBatch(const std::vector<Event>& events, IngestReport* report,
                    std::unordered_set<std::string>* touched,
                    std::vector<char>* duplicate = nullptr);
  Status StoreBatch(const EventBatch& batch, IngestReport* report,
                    std::unordered_set<std::string>* touched,
                    std::vector<char>* duplicate = nullptr);
  // Whether the projections are the state as of `at` up to decay.
  Result<bool> ProjectionsCurrentAt(Micros at);
  Status Save(const LeadState& s);
  const Playbook& PlaybookOf(const LeadState& s) const;  // the version it was folded under
  FoldOptions Options(Micros as_of);
  // Emits lead.stage_changed/lead.mql/lead.disqualified for the entries of
  // `st.history` the stored projection does not have yet (call before
  // saving it). `who`: DescribeLead of the lead. `old`: the stored history,
  // when the caller preloaded it (else it is read here).
  Status NotifyChanges(const LeadState& st, const std::string& who,
                       const std::vector<HistoryEntry>* old = nullptr);
  // The stored histories of the dirty leads, in one query (small refreshes).
  Status DirtyHistories(std::unordered_map<std::string, std::vector<HistoryEntry>>* out);
  // At the start of a transaction that may emit: forgets what an earlier,
  // rolled-back one emitted; whether NotifyChanges has anything to do.
  bool BeginChanges(bool bulk);
  void EmitCommitted();  // after a commit: tell the listener
  std::string path_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Outbox> outbox_;  // after store_: its statements go first
  std::vector<MatchCache> caches_;  // one per playbook version
  std::vector<PlaybookVersion> versions_;
  // Routing (routing.cc): leads saved in mql that need routing, cached
  // statements, and the pass that routes them and releases team queues.
  struct RoutingState;
  std::unique_ptr<RoutingState> routing_;
  RoutingState& routing();
  // After each projection save: indexes its open SLA clock (`open`:
  // mql_at, due) and, with `route`, notes a lead that needs routing.
  Status NoteSaved(const LeadState& s, const std::optional<std::pair<Micros, Micros>>& open,
                   bool had_clock, bool route);
  Status PrepareManualAssign(const ActRequest& req, Action* a);
  Status RouteInTxn(Micros now);  // inside the caller's transaction
  Status IndexSla(const std::string& id, const std::optional<std::pair<Micros, Micros>>& open,
                  bool had_clock);
  Status RecordAssign(const std::string& lead, Micros ts, const std::optional<std::string>& to,
                      const std::string& team, const std::string& reason);
  Status CheckRoutingUsers(const Playbook& pb);
  void AnnotateSla(SlaReport* r);
  std::shared_ptr<ActiveModel> model_;  // the active stored model, loaded once (model_data.cc)
  Result<std::shared_ptr<ActiveModel>> LoadActiveModel();
  void AttachPrediction(ShowResult* r);  // sets r->prediction (a warning if the model fails)
};

}  // namespace leadgate
