// The fold: everything Leadgate knows about a lead, derived from its timeline
// (events and actions in (timestamp, tie-break) order) under the playbook
// versions in force. Pure: no I/O, no clock, no globals; time is a parameter.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fold/scoring.h"
#include "fold/timeline.h"

namespace leadgate {

struct HistoryEntry {
  Micros at = 0;
  Stage from = Stage::kLead, to = Stage::kLead;
  std::string by;
  std::optional<std::string> reason, rule;
  bool exception = false;
  int64_t playbook_version = 1;
};

struct SlaClock {
  Micros mql_at = 0;
  Micros due = 0;
  std::optional<Micros> responded_at;
  std::optional<std::string> responded_by;
  // The lead's team while the clock ran (routing; follows reassignment
  // until answered, like `due`): report sla's by_team.
  std::optional<std::string> team;
};

struct LeadState {
  bool exists = false;
  std::string id;
  Stage stage = Stage::kLead;
  Micros first_at = 0, last_at = 0;  // first and last timeline point folded
  int64_t events = 0;                // events folded (all types)
  // Activities folded per event name (a page's is "page_view"), sorted by
  // name; the model's behaviour features (docs/predictive.md). Counted by the
  // live Fold() after the core has run: not in lean states and not in the
  // backtest's encoded replay (which has no use for them).
  std::vector<std::pair<std::string, int64_t>> event_counts;
  std::optional<Micros> last_activity_at, last_touch_at;
  int64_t playbook_version = 1;
  std::map<std::string, Value> traits;  // every trait, as given
  std::vector<FieldValue> fields;       // declared fields, typed
  double fit = 0, engagement = 0, engagement_raw = 0, total = 0;
  std::vector<ExplanationLine> explanation;
  // Lean states (FoldOptions::lean) only, instead of `explanation`: the same
  // lines by rule index into the final version's rules, without strings.
  struct RuleLine {
    enum class Kind : uint8_t { kFit, kEngagement, kCap } kind = Kind::kFit;
    int32_t rule = -1;  // index into Playbook::fit or ::engagement; -1 for the cap
    int64_t count = 0;
    double points = 0;
  };
  std::vector<RuleLine> rule_lines;
  std::optional<BantAnswers> bant;
  bool bant_passes = false;
  std::vector<HistoryEntry> history;
  std::vector<SlaClock> clocks;
  std::vector<std::string> warnings;
  // The decayed engagement sum at engagement_ref (uncapped), so callers can
  // compute scores at a later time without refolding.
  double engagement_sum_at_ref = 0;
  Micros engagement_ref = 0;
  std::optional<Micros> entered_stage_at;
  // The rep who owns it: the last user who accepted it, or whom routing or a
  // manager assigned it to (docs/routing.md), whichever came last.
  std::optional<std::string> owner;
  // Routing: the team that has the lead (its rep's, or whose queue it waits
  // in), when and by whom it was last assigned, and why.
  std::optional<std::string> team;
  std::optional<Micros> assigned_at;
  std::optional<std::string> assigned_by, assign_reason;
  // In mql, entered under a playbook with routing, and not routed since.
  bool needs_routing = false;
  // Recorded actions the fold could not apply at their point: (seq, why).
  std::vector<std::pair<int64_t, std::string>> skipped_actions;
};

// A lean state's rule_lines as the explanation lines of the full state;
// `pb`: the playbook of its final version (s.playbook_version).
std::vector<ExplanationLine> ExplanationOf(const LeadState& s, const Playbook& pb);

// Whether BANT answers pass under this playbook.
bool BantPasses(const BantAnswers& a, const Playbook& pb);

struct FoldOptions {
  Micros as_of = INT64_MAX;
  // Optional regex-result caches, one per playbook version (same index as
  // `versions`); owned by the caller, used by one thread.
  std::vector<MatchCache>* caches = nullptr;
  // The backtest's lean output: `traits` (when a single playbook version is
  // in force; with more, a version switch retypes the fields from it),
  // `fields` and `warnings` are left empty, and so is `event_counts` (the
  // model's, not the backtest's); `explanation` is given as `rule_lines`. Every other member of the
  // LeadState is the same as without
  // (FoldPerfRegress.LeanFoldEqualsTheFullFoldButTraitsAndWarnings).
  bool lean = false;
};

// Folds one lead. `events` and `actions` belong to the lead, in any order.
// `versions` sorted by applied_at, non-empty.
LeadState Fold(const std::string& lead_id, const std::vector<const Event*>& events,
               const std::vector<const Action*>& actions,
               const std::vector<PlaybookVersion>& versions, const FoldOptions& opts);

// Checks an action against the lead's state just before it (as the fold
// would). Returns an empty string when allowed, else the refusing rule.
std::string CheckAction(const Action& a, const LeadState& s, const Playbook& pb);

}  // namespace leadgate
