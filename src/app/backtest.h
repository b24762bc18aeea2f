// Backtests (docs/backtest.md): replay the stored history (events and the
// actions people recorded) under a candidate playbook, without touching live
// state, and compare it with the playbook versions in use. The replay folds
// every lead with the live engine's fold core (src/fold/fold_core.h) over the
// log dictionary-encoded (src/fold/encoded.h): one
// implementation of the rules, on both cores.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "fold/encoded.h"
#include "fold/fold.h"

namespace leadgate {

class Store;

// The whole log in memory, loaded once, compact: the events
// dictionary-encoded (fold/encoded.h: per event its time, type, name id and
// property-set id; each distinct name and property set stored once), each
// lead's events adjacent in timeline order, its actions in (ts, seq) order.
// Event::message_id, Event::raw and Event::lead_id are not kept.
struct ReplayLead {
  std::string id;
  size_t begin = 0, end = 0;  // its events: ReplayLog::encoded [begin, end)
  std::vector<Action> actions;
  std::vector<const Action*> action_ptrs;
};
struct ReplayLog {
  std::vector<ReplayLead> leads;  // by lead id
  EncodedEvents encoded;
  int64_t events = 0, actions = 0;
  Micros first = INT64_MAX, last = INT64_MIN;  // timeline points (events and actions)
};
// Reads every lead's log from the store.
Status LoadReplayLog(Store& store, ReplayLog* out);
// The same on `threads` workers (0: one per core), each with its own
// connection to the store at `db_path`, over lead ranges of about equal events.
Status LoadReplayLog(const std::string& db_path, int threads, ReplayLog* out);
// The same from events and actions in memory (benchmarks, tests): grouped by
// lead, each lead's events in (ts, messageId) order, actions in (ts, seq) order.
void BuildReplayLog(std::vector<Event> events, std::vector<Action> actions, ReplayLog* out);

// Folds every lead of `log` under `versions` on `threads` workers (0: one per
// core). `fn(i, state)` is called for lead i, from the worker threads (each
// lead once; distinct leads may be called concurrently). `lean`:
// FoldOptions::lean (what the comparison uses: no traits, fields or warnings;
// the explanation as rule_lines). The log is classified for `versions` first
// (fold/encoded.h, ReplayClassifier), on the same threads.
void ReplayAll(const ReplayLog& log, const std::vector<PlaybookVersion>& versions, int threads,
               const std::function<void(size_t, const LeadState&)>& fn, bool lean = false);

struct BacktestOptions {
  std::optional<Micros> from, to;  // the window; default the log's first and last point
  // Replace (default): the candidate is the only version, in force from the
  // beginning. With applied_at: the stored versions before it, then the
  // candidate from applied_at on.
  std::optional<Micros> applied_at;
  std::optional<double> capacity;  // target MQLs per week
  int threads = 0;
  size_t max_flip_examples = 10;  // in the human output (JSON lists all)
};

struct RuleStat {
  std::string id, kind;  // kind: fit, engagement, disqualify
  int64_t count = 0;  // fit: leads it held for; engagement: activities counted; disqualify: firings
  double points = 0;  // fit: sum over leads; engagement: decayed points at each lead's last point
};

// One side of the comparison.
struct SideStats {
  std::string label;              // "current" / "candidate"
  std::vector<int64_t> versions;  // playbook versions replayed
  int64_t mql = 0;                // leads that entered MQL at least once in the window
  int64_t mql_entries = 0;        // MQL entries in the window (a recycled lead counts again)
  std::map<std::string, int64_t> weekly;  // ISO week -> leads entering MQL that week
  double mql_per_week = 0;
  // Over the cohort (leads created in the window), against the outcome.
  int64_t cohort_mql = 0, mql_won = 0, mql_lost = 0;
  std::optional<double> precision, recall;
  int64_t skipped_actions = 0;
  std::vector<RuleStat> rules;
  std::map<std::string, int64_t> stages;  // final stage -> leads (cohort)
};

struct Flip {
  std::string id;
  std::optional<Micros> current_mql_at, candidate_mql_at;  // first MQL entry in the window
};

struct WonLeadTiming {
  std::string id;
  std::optional<Micros> current_mql_at, candidate_mql_at;  // first MQL entry, whole history
  std::string change;  // earlier, later, same, never (candidate), new (only candidate), neither
};

struct CapacityPoint {
  // "scale": every positive minimum times `scale`; "total": fit and
  // engagement minimums times `scale`, the total minimum searched on its own.
  std::string axis = "scale";
  double scale = 1;  // factor on the candidate's MQL minimums
  std::optional<double> fit, engagement, total;
  int64_t mql = 0;
  double mql_per_week = 0;
  std::optional<double> recall, precision;
};
struct CapacityResult {
  double target = 0;
  CapacityPoint best;                // closest to the target
  std::vector<CapacityPoint> curve;  // by scale
};

struct BacktestReport {
  Micros from = 0, to = 0;
  double weeks = 0;
  std::vector<std::string> week_labels;  // every ISO week of the window, in order
  std::string semantics;                 // "replace" or "applied_at"
  std::optional<Micros> applied_at;
  int64_t leads = 0, cohort = 0, won = 0, lost = 0;  // cohort outcomes (current replay)
  SideStats current, candidate;
  std::vector<Flip> flips;  // became MQL in the window under one, not the other
  int64_t flips_to_mql = 0, flips_from_mql = 0;  // MQL only under the candidate / only current
  std::map<std::string, int64_t> won_changes;    // change -> count
  std::vector<WonLeadTiming> won_leads;
  std::optional<CapacityResult> capacity;
  // How long it took (not part of any comparison).
  int64_t events = 0, actions = 0, replays = 0;
  // Playbook versions whose classification of the log was computed (a
  // candidate version with a current one's rules reuses that one's).
  int64_t classifications = 0;
  double load_seconds = 0, replay_seconds = 0;
};

// Runs the backtest on a loaded log. `current` are the stored versions.
Result<BacktestReport> RunBacktest(const ReplayLog& log,
                                   const std::vector<PlaybookVersion>& current,
                                   std::shared_ptr<const Playbook> candidate,
                                   const BacktestOptions& opts);

// The JSON contract (docs/backtest.md), the tables for people, and one
// self-contained HTML page (inline SVG, no network).
nlohmann::ordered_json BacktestJson(const BacktestReport& r);
std::string BacktestText(const BacktestReport& r, size_t max_examples);
std::string BacktestHtml(const BacktestReport& r, const std::string& candidate_name);

// Parses "40/week", "40/w" or "40".
Result<double> ParseCapacity(const std::string& text);

}  // namespace leadgate
