// `leadgate model suggest`: the playbook against the evidence of closed
// leads. For every fit and engagement rule, and every frequent pattern of
// closed leads (a source, an industry, a job-title word, a page), the
// conversion rate of the leads it matches with a 95 % Wilson interval, next to
// the base rate; where the interval lies clear of the base rate, a points
// change or a new rule, written into a copy of the playbook text (and shown
// as a unified diff) for the team to review and `playbook apply`. Nothing is
// changed by itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/model_data.h"
#include "playbook/playbook.h"

namespace leadgate {

struct SuggestOptions {
  int64_t min_leads = 10;           // patterns matching fewer closed leads are not judged
  double points_per_doubling = 10;  // points for a conversion rate twice the base rate
  int max_new_rules = 5;
};

struct Evidence {
  std::string kind;   // "rule", "source", "industry", "title word", "page"
  std::string key;    // the trait or property it reads ("" for rules)
  std::string value;  // the rule id, the value, the word or the path
  int64_t leads = 0, positives = 0;
  double rate = 0, low = 0, high = 0, lift = 0;
  std::optional<double> current_points, proposed_points;
  std::string verdict;  // "raise", "lower", "keep", "no evidence", "new rule", "covered by ..."
};

struct SuggestReport {
  int64_t rows = 0, positives = 0;
  double base_rate = 0;
  std::vector<Evidence> rules, patterns;
  std::vector<std::string> notes;  // changes that could not be written into the text
  std::string proposed_yaml, diff;
};

// 95 % Wilson score interval of k successes in n.
std::pair<double, double> Wilson(int64_t k, int64_t n);

Result<SuggestReport> Suggest(const TrainingTable& t, const Playbook& pb, const std::string& yaml,
                              const SuggestOptions& opt);
std::string SuggestText(const SuggestReport& r, const std::string& label);

// A unified diff (3 lines of context) of two texts, by lines.
std::string UnifiedDiff(const std::string& a, const std::string& b, const std::string& name_a,
                        const std::string& name_b);

}  // namespace leadgate
