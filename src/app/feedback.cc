#include "app/feedback.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "app/engine.h"

namespace leadgate {

void FeedbackBuilder::Add(const std::string& source, const std::vector<HistoryEntry>& history,
                          const std::vector<std::pair<std::string, std::string>>& rules) {
  std::optional<Micros> mql, sal, won;
  for (const HistoryEntry& h : history) {
    if (h.to == Stage::kMql && !mql) mql = h.at;
    if (h.to == Stage::kSal && !sal) sal = h.at;
    if (h.to == Stage::kWon && !won) won = h.at;
    if (h.to == Stage::kNurture && h.by != "engine") {
      ++rejected_[source][h.reason.value_or("(no reason given)")];
    }
  }
  // The same "later" as the funnel: b's first entry at or after a's.
  const bool is_mql = mql.has_value();
  const bool to_sal = is_mql && sal && *sal >= *mql;
  const bool to_won = is_mql && won && *won >= *mql;
  auto count = [&](FeedbackRow* row, bool as_lead) {
    if (as_lead) ++row->leads;
    if (!is_mql) return;
    ++row->mqls;
    if (to_sal) ++row->sal;
    if (to_won) ++row->won;
  };
  count(&r_->all, true);
  count(&r_->by_source[source], true);
  if (!is_mql) return;
  for (const auto& [rule, kind] : rules) {
    FeedbackRow& row = r_->by_rule[rule];
    row.kind = kind;
    ++row.leads;
    count(&row, false);
  }
}

void FeedbackBuilder::Finish() {
  auto rate = [](int64_t num, int64_t den) -> std::optional<double> {
    if (den <= 0) return std::nullopt;
    return static_cast<double>(num) / static_cast<double>(den);
  };
  auto finish = [&](FeedbackRow* row, bool leads_known) {
    if (leads_known) row->lead_to_mql = rate(row->mqls, row->leads);
    row->mql_to_sal = rate(row->sal, row->mqls);
    row->mql_to_won = rate(row->won, row->mqls);
  };
  finish(&r_->all, true);
  for (auto& [src, row] : r_->by_source) {
    finish(&row, true);
    std::vector<ReasonCount> reasons;
    for (const auto& [why, n] : rejected_[src]) reasons.push_back({why, n});
    std::stable_sort(reasons.begin(), reasons.end(),
                     [](const ReasonCount& a, const ReasonCount& b) { return a.count > b.count; });
    if (reasons.size() > top_) reasons.resize(top_);
    row.rejected = std::move(reasons);
  }
  for (auto& [rule, row] : r_->by_rule) finish(&row, false);
}

Result<FeedbackReport> Engine::Feedback(std::optional<Micros> from, std::optional<Micros> to,
                                        Micros at, bool refold) {
  FeedbackReport r;
  r.from = from;
  r.to = to;
  r.as_of = at;
  FeedbackBuilder b(&r);
  Status s = ForEachLeadAt(at, refold, /*need_state=*/true, nullptr, [&](const LeadState& st) {
    const Micros created = st.first_at;
    if (created > at || (from && created < *from) || (to && created >= *to)) return;
    std::vector<std::pair<std::string, std::string>> rules;
    for (const ExplanationLine& l : st.explanation) {
      if (l.kind != "fit" && l.kind != "engagement") continue;
      if (l.rule.empty()) continue;
      rules.emplace_back(l.rule, l.kind);
    }
    b.Add(FunnelGroupOf("source", st.traits, st.owner, st.playbook_version, created), st.history,
          rules);
  });
  if (!s.ok()) return s;
  b.Finish();
  return r;
}

namespace {

using Json = nlohmann::ordered_json;

Json Rate(const std::optional<double>& v) {
  return v ? Json(std::round(*v * 10000) / 10000) : Json();
}

Json RowJson(const FeedbackRow& r, bool leads) {
  Json j = Json::object();
  if (!r.kind.empty()) j["kind"] = r.kind;
  if (leads) j["leads"] = r.leads;
  j["mqls"] = r.mqls;
  j["sal"] = r.sal;
  j["won"] = r.won;
  if (leads) j["lead->mql"] = Rate(r.lead_to_mql);
  j["mql->sal"] = Rate(r.mql_to_sal);
  j["mql->won"] = Rate(r.mql_to_won);
  return j;
}

std::string Pct(const std::optional<double>& v) {
  return v ? fmt::format("{:.1f}%", *v * 100) : std::string("-");
}

}  // namespace

Json FeedbackJson(const FeedbackReport& r) {
  Json j = RowJson(r.all, true);
  Json src = Json::object();
  for (const auto& [k, row] : r.by_source) {
    Json g = RowJson(row, true);
    Json reasons = Json::array();
    for (const auto& rc : row.rejected)
      reasons.push_back({{"reason", rc.reason}, {"count", rc.count}});
    g["rejected"] = reasons;
    src[k] = g;
  }
  j["by_source"] = src;
  Json rules = Json::object();
  for (const auto& [k, row] : r.by_rule) rules[k] = RowJson(row, false);
  j["by_rule"] = rules;
  j["cohort"] = {{"from", r.from ? Json(FormatRfc3339(*r.from)) : Json()},
                 {"to", r.to ? Json(FormatRfc3339(*r.to)) : Json()}};
  j["as_of"] = FormatRfc3339(r.as_of);
  return j;
}

std::string FeedbackText(const FeedbackReport& r) {
  std::string out =
      fmt::format("Marketing feedback as of {} — {} leads, {} MQLs: {} to SAL, {} won\n",
                  FormatRfc3339(r.as_of), r.all.leads, r.all.mqls, Pct(r.all.mql_to_sal),
                  Pct(r.all.mql_to_won));
  out += "\nBy source\n";
  out += fmt::format("  {:<24} {:>7} {:>7} {:>9} {:>9} {:>9}  {}\n", "source", "leads", "mqls",
                     "lead>mql", "mql>sal", "mql>won", "top reject reasons");
  for (const auto& [k, row] : r.by_source) {
    std::string reasons;
    for (const auto& rc : row.rejected) {
      if (!reasons.empty()) reasons += ", ";
      reasons += fmt::format("{} ({})", rc.reason, rc.count);
    }
    out += fmt::format("  {:<24} {:>7} {:>7} {:>9} {:>9} {:>9}  {}\n", k.substr(0, 24), row.leads,
                       row.mqls, Pct(row.lead_to_mql), Pct(row.mql_to_sal), Pct(row.mql_to_won),
                       reasons);
  }
  out += "\nBy rule (the MQLs each rule fired for)\n";
  out += fmt::format("  {:<28} {:<10} {:>7} {:>9} {:>9}\n", "rule", "kind", "mqls", "mql>sal",
                     "mql>won");
  for (const auto& [k, row] : r.by_rule) {
    out += fmt::format("  {:<28} {:<10} {:>7} {:>9} {:>9}\n", k.substr(0, 28), row.kind, row.mqls,
                       Pct(row.mql_to_sal), Pct(row.mql_to_won));
  }
  return out;
}

}  // namespace leadgate
