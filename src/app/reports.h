// Funnel analytics over the folded leads (docs/reports.md): who reached which
// stage, stage-to-stage conversion, time in stage, and the reasons people
// gave, for a cohort of leads by creation time, optionally grouped.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fold/fold.h"

namespace leadgate {

constexpr size_t kStageCount = 9;
// The `rule` of a stage change brought in by `import history`.
constexpr const char* kImportRule = "import";

struct FunnelGroup {
  int64_t leads = 0;
  std::array<int64_t, kStageCount> reached{};  // by Stage
  // "lead->mql" etc.: share of the leads that reached a and later reached b
  // (nullopt when none reached a).
  std::vector<std::pair<std::string, std::optional<double>>> conversion;
  // Internal counts for the conversions (same order as conversion).
  std::vector<std::pair<int64_t, int64_t>> conversion_counts;
};

struct StageTime {
  int64_t stays = 0;  // completed stays in the stage
  std::optional<double> median_hours, p90_hours;
};

struct ReasonCount {
  std::string reason;
  int64_t count = 0;
};

struct FunnelReport {
  std::optional<Micros> from, to;
  Micros as_of = 0;
  std::string by;  // "" when not grouped
  FunnelGroup all;
  std::map<std::string, FunnelGroup> groups;
  std::array<StageTime, kStageCount> time_in_stage;
  std::vector<ReasonCount> rejected, lost, disqualified;
};

// One lead as the report sees it.
struct FunnelLead {
  Micros created_at = 0;
  std::string group;  // the --by value ("(none)" when missing)
  const std::vector<HistoryEntry>* history = nullptr;
};

// Accumulates leads into a report (cohort filtering is the caller's).
class FunnelBuilder {
 public:
  explicit FunnelBuilder(FunnelReport* r) : r_(r) {}
  void Add(const FunnelLead& lead);
  void Finish();

 private:
  void AddTo(FunnelGroup* g, const std::array<std::optional<Micros>, kStageCount>& first);
  FunnelReport* r_;
  std::array<std::vector<double>, kStageCount> stays_;
  std::map<std::string, int64_t> rejected_, lost_, disqualified_;
};

// A lead waiting on sales: an MQL or SAL nobody acted on since it entered
// the stage, or an SQL with no touch, for longer than a threshold.
struct StalledRow {
  std::string id;
  Stage stage = Stage::kMql;
  std::optional<std::string> owner;
  Micros since = 0;  // entered the stage (MQL, SAL) or last touched (SQL)
  int64_t idle_seconds = 0;
  std::string who;
};
// Whether `s` is stalled at `at` (idle >= older_than); fills `row`.
bool StalledAt(const LeadState& s, Micros at, Micros older_than, StalledRow* row);

// Speed-to-lead compliance of a set of clocks.
struct SlaStats {
  int64_t clocks = 0, met = 0, breached = 0, running = 0;  // running: open, not yet due
  std::optional<double> met_rate;                          // met / (met + breached)
  std::optional<double> median_response_seconds, p90_response_seconds;
  std::vector<double> responses;  // answered clocks, seconds (internal)
};
struct SlaComplianceReport {
  Micros as_of = 0;
  std::optional<Micros> limit;
  SlaStats all;
  std::map<std::string, SlaStats> by_owner, by_week;  // week of the MQL: "2026-W14"
  // The lead's team while the clock ran (SlaClock::team), "(none)" unrouted.
  std::map<std::string, SlaStats> by_team;
};
class SlaComplianceBuilder {
 public:
  explicit SlaComplianceBuilder(SlaComplianceReport* r) : r_(r) {}
  // The lead's clocks; `owner` names who answered, else the lead's owner.
  void Add(const std::vector<SlaClock>& clocks, const std::optional<std::string>& owner);
  void Finish();

 private:
  SlaComplianceReport* r_;
};
// ISO 8601 week of t ("2026-W09").
std::string IsoWeek(Micros t);

// The exception paths into SQL and how their leads converted: `paths` is a
// funnel grouped by path ("override", "self_qualified", "normal": every
// other lead).
struct ExceptionsReport {
  int64_t overrides = 0, self_qualified = 0;    // exception entries
  std::map<std::string, int64_t> overrides_by;  // who overrode
  FunnelReport paths;
};
// The path of a lead by its history.
std::string ExceptionPath(const std::vector<HistoryEntry>& history);

// The --by dimensions.
bool ValidFunnelBy(const std::string& by);
// The traits FunnelGroupOf reads for `by`.
std::vector<std::string> FunnelTraitKeys(const std::string& by);
// The team of a lead (--by team): the routed team, "(none)" when unrouted.
std::string LeadTeam(const LeadState& s);
// The group value of a lead for `by` (traits for source/industry/job_title).
std::string FunnelGroupOf(const std::string& by, const std::map<std::string, Value>& traits,
                          const std::optional<std::string>& owner, int64_t playbook_version,
                          Micros created_at);

}  // namespace leadgate
