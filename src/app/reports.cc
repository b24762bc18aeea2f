#include "app/reports.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace leadgate {
namespace {

constexpr std::pair<Stage, Stage> kConversions[] = {
    {Stage::kLead, Stage::kMql},        {Stage::kMql, Stage::kSal},
    {Stage::kSal, Stage::kSql},         {Stage::kSql, Stage::kOpportunity},
    {Stage::kOpportunity, Stage::kWon}, {Stage::kMql, Stage::kWon},
};

size_t Idx(Stage s) { return static_cast<size_t>(s); }

// Nearest-rank percentile of sorted values.
double Percentile(const std::vector<double>& v, double p) {
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

std::vector<ReasonCount> Sorted(const std::map<std::string, int64_t>& m) {
  std::vector<ReasonCount> out;
  for (const auto& [k, n] : m) out.push_back({k, n});
  std::stable_sort(out.begin(), out.end(),
                   [](const ReasonCount& a, const ReasonCount& b) { return a.count > b.count; });
  return out;
}

}  // namespace

void FunnelBuilder::AddTo(FunnelGroup* g,
                          const std::array<std::optional<Micros>, kStageCount>& first) {
  ++g->leads;
  for (size_t s = 0; s < kStageCount; ++s) {
    if (first[s]) ++g->reached[s];
  }
  if (g->conversion_counts.empty()) g->conversion_counts.resize(std::size(kConversions));
  for (size_t i = 0; i < std::size(kConversions); ++i) {
    const auto& fa = first[Idx(kConversions[i].first)];
    if (!fa) continue;
    ++g->conversion_counts[i].first;
    // "Later": b's first entry at or after a's first entry. A lead that
    // skipped a (an SQL that never was an MQL) is not in a's denominator.
    const auto& fb = first[Idx(kConversions[i].second)];
    if (fb && *fb >= *fa) ++g->conversion_counts[i].second;
  }
}

void FunnelBuilder::Add(const FunnelLead& lead) {
  std::array<std::optional<Micros>, kStageCount> first;
  first[Idx(Stage::kLead)] = lead.created_at;
  Micros entered = lead.created_at;
  Stage current = Stage::kLead;
  for (const HistoryEntry& h : *lead.history) {
    auto& f = first[Idx(h.to)];
    if (!f) f = h.at;
    if (h.from == current) {
      stays_[Idx(current)].push_back(static_cast<double>(h.at - entered) / kHour);
    }
    current = h.to;
    entered = h.at;
    // An imported change has rule "import" (its provenance, not a reason).
    const bool imported = h.rule && *h.rule == kImportRule;
    const std::optional<std::string> rule = imported ? std::nullopt : h.rule;
    const std::string why = h.reason.value_or(rule.value_or("(no reason given)"));
    if (h.to == Stage::kNurture && h.by != "engine") ++rejected_[why];
    if (h.to == Stage::kLost) ++lost_[why];
    if (h.to == Stage::kDisq) ++disqualified_[rule ? *rule : why];
  }
  AddTo(&r_->all, first);
  if (!r_->by.empty()) AddTo(&r_->groups[lead.group], first);
}

void FunnelBuilder::Finish() {
  auto finish = [](FunnelGroup* g) {
    if (g->conversion_counts.empty()) g->conversion_counts.resize(std::size(kConversions));
    g->conversion.clear();
    for (size_t i = 0; i < std::size(kConversions); ++i) {
      std::string key =
          std::string(StageName(kConversions[i].first)) + "->" + StageName(kConversions[i].second);
      auto [den, num] = g->conversion_counts[i];
      g->conversion.emplace_back(
          key, den > 0 ? std::optional<double>(static_cast<double>(num) / static_cast<double>(den))
                       : std::nullopt);
    }
  };
  finish(&r_->all);
  for (auto& [k, g] : r_->groups) finish(&g);
  for (size_t s = 0; s < kStageCount; ++s) {
    auto& v = stays_[s];
    std::sort(v.begin(), v.end());
    StageTime& t = r_->time_in_stage[s];
    t.stays = static_cast<int64_t>(v.size());
    if (!v.empty()) {
      t.median_hours = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
      t.p90_hours = Percentile(v, 0.9);
    }
  }
  r_->rejected = Sorted(rejected_);
  r_->lost = Sorted(lost_);
  r_->disqualified = Sorted(disqualified_);
}

bool StalledAt(const LeadState& s, Micros at, Micros older_than, StalledRow* row) {
  if (s.stage != Stage::kMql && s.stage != Stage::kSal && s.stage != Stage::kSql) return false;
  const Micros entered = s.entered_stage_at.value_or(s.first_at);
  Micros since = entered;
  if (s.stage == Stage::kSql) {
    if (s.last_touch_at && *s.last_touch_at > since) since = *s.last_touch_at;
  } else if (s.last_touch_at && *s.last_touch_at > entered) {
    return false;  // someone acted on it after it entered the stage
  }
  if (at - since < older_than) return false;
  row->id = s.id;
  row->stage = s.stage;
  row->owner = s.owner;
  row->since = since;
  row->idle_seconds = (at - since) / kSecond;
  return true;
}

std::string IsoWeek(Micros t) {
  // Days since 1970-01-01 (a Thursday); ISO weeks start on Monday and week 1
  // holds the year's first Thursday.
  const int64_t days = t >= 0 ? t / kDay : -((-t + kDay - 1) / kDay);
  const int64_t wd = ((days % 7) + 7 + 3) % 7;  // 0 = Monday
  const int64_t thursday = days - wd + 3;
  std::string date = FormatRfc3339(thursday * kDay);
  const int year = std::stoi(date.substr(0, 4));
  const int64_t jan1 = DaysFromCivil(year, 1, 1);
  const int64_t week = (thursday - jan1) / 7 + 1;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-W%02d", year, static_cast<int>(week));
  return buf;
}

void SlaComplianceBuilder::Add(const std::vector<SlaClock>& clocks,
                               const std::optional<std::string>& owner) {
  for (const SlaClock& c : clocks) {
    const std::string who = c.responded_by ? *c.responded_by : owner.value_or("(unassigned)");
    for (SlaStats* st : {&r_->all, &r_->by_owner[who], &r_->by_team[c.team.value_or("(none)")],
                         &r_->by_week[IsoWeek(c.mql_at)]}) {
      ++st->clocks;
      if (c.responded_at) {
        const double resp = static_cast<double>(*c.responded_at - c.mql_at) / kSecond;
        st->responses.push_back(resp);
        if (*c.responded_at > c.due) {
          ++st->breached;
        } else {
          ++st->met;
        }
      } else if (r_->as_of > c.due) {
        ++st->breached;
      } else {
        ++st->running;
      }
    }
  }
}

void SlaComplianceBuilder::Finish() {
  auto finish = [](SlaStats* st) {
    if (st->met + st->breached > 0) {
      st->met_rate = static_cast<double>(st->met) / static_cast<double>(st->met + st->breached);
    }
    auto& v = st->responses;
    std::sort(v.begin(), v.end());
    if (!v.empty()) {
      st->median_response_seconds =
          v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
      st->p90_response_seconds = Percentile(v, 0.9);
    }
  };
  finish(&r_->all);
  for (auto& [k, st] : r_->by_owner) finish(&st);
  for (auto& [k, st] : r_->by_week) finish(&st);
  for (auto& [k, st] : r_->by_team) finish(&st);
}

std::string ExceptionPath(const std::vector<HistoryEntry>& history) {
  std::string path = "normal";
  for (const HistoryEntry& h : history) {
    if (!h.exception) continue;
    if (h.by != "engine") return "override";
    path = "self_qualified";
  }
  return path;
}

bool ValidFunnelBy(const std::string& by) {
  return by.empty() || by == "source" || by == "industry" || by == "job_title" || by == "owner" ||
         by == "team" || by == "playbook_version" || by == "month";
}

std::vector<std::string> FunnelTraitKeys(const std::string& by) {
  // The keys FunnelGroupOf reads.
  if (by == "source") return {"lead_source", "source", "utm_source"};
  if (by == "industry") return {"industry"};
  if (by == "job_title") return {"job_title", "title"};
  return {};
}

std::string LeadTeam(const LeadState& s) {
  // The team that has the lead (routing, docs/routing.md); "(none)" when the
  // playbook routes nothing or the lead was never assigned.
  return s.team ? *s.team : "(none)";
}

std::string FunnelGroupOf(const std::string& by, const std::map<std::string, Value>& traits,
                          const std::optional<std::string>& owner, int64_t playbook_version,
                          Micros created_at) {
  auto trait = [&](std::initializer_list<const char*> keys) -> std::string {
    for (const char* k : keys) {
      auto it = traits.find(k);
      if (it != traits.end() && !it->second.is_null()) {
        std::string v(TrimSpaces(it->second.ToText()));
        if (!v.empty()) return v;
      }
    }
    return "(none)";
  };
  if (by == "source") return trait({"lead_source", "source", "utm_source"});
  if (by == "industry") return trait({"industry"});
  if (by == "job_title") return trait({"job_title", "title"});
  if (by == "owner") return owner.value_or("(unassigned)");
  if (by == "playbook_version") {
    std::string v = "v";  // (built with +=: GCC 12 warns falsely on "v" + std::to_string)
    v += std::to_string(playbook_version);
    return v;
  }
  if (by == "month") return FormatRfc3339(created_at).substr(0, 7);
  return "";
}

}  // namespace leadgate
