// Feedback for marketing (docs/reports.md, `report feedback`): how the MQLs
// of each source and of each scoring rule converted (MQL->SAL, MQL->won), and
// why sales rejected the leads of each source.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/reports.h"

namespace leadgate {

struct FeedbackRow {
  int64_t leads = 0;                   // cohort leads in the group (by_rule: the MQLs it fired for)
  int64_t mqls = 0, sal = 0, won = 0;  // sal, won: after the lead's first MQL entry
  std::optional<double> lead_to_mql, mql_to_sal, mql_to_won;
  std::vector<ReasonCount> rejected;  // top reject reasons (by_source)
  std::string kind;                   // by_rule: "fit" or "engagement"
};

struct FeedbackReport {
  std::optional<Micros> from, to;
  Micros as_of = 0;
  FeedbackRow all;
  std::map<std::string, FeedbackRow> by_source;
  std::map<std::string, FeedbackRow> by_rule;
};

// Accumulates leads (cohort filtering is the caller's).
class FeedbackBuilder {
 public:
  explicit FeedbackBuilder(FeedbackReport* r, size_t top_reasons = 5) : r_(r), top_(top_reasons) {}
  // `rules`: the (rule, kind) lines of the lead's explanation (fit rules
  // that hold, engagement rules that counted something).
  void Add(const std::string& source, const std::vector<HistoryEntry>& history,
           const std::vector<std::pair<std::string, std::string>>& rules);
  void Finish();

 private:
  FeedbackReport* r_;
  size_t top_;
  std::map<std::string, std::map<std::string, int64_t>> rejected_;
};

}  // namespace leadgate

#include <nlohmann/json.hpp>

namespace leadgate {
nlohmann::ordered_json FeedbackJson(const FeedbackReport& r);
std::string FeedbackText(const FeedbackReport& r);
}  // namespace leadgate
