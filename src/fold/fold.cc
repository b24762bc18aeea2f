#include "fold/fold.h"

#include <algorithm>
#include <memory>

#include "fold/fold_core.h"

namespace leadgate {
namespace {

bool Blank(const std::optional<std::string>& s) { return !s || TrimSpaces(*s).empty(); }

inline void Prefetch(const void* p) {
#if defined(__GNUC__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

thread_local std::unique_ptr<fold_internal::FoldBuffers> t_spare_buffers;

// The live fold's source: the lead's Event objects, in timeline order.
class LiveEvents {
 public:
  explicit LiveEvents(const std::vector<const Event*>& evs) : evs_(evs) {}
  size_t CountUpTo(Micros as_of) const {
    size_t n = 0;
    for (const Event* e : evs_) {
      if (e->ts <= as_of) ++n;
      // A lead's events are often scattered in memory (parsed in arrival
      // order, leads interleaved): start loading their properties now.
      Prefetch(e->props.data());
    }
    return n;
  }
  // The heap text of an event's property values (URLs and the like).
  void PrefetchAhead(size_t i) const {
    for (const auto& kv : evs_[i]->props) {
      if (kv.second.str.size() > 15) Prefetch(kv.second.str.data());
    }
  }
  Micros ts(size_t i) const { return evs_[i]->ts; }
  EventType type(size_t i) const { return evs_[i]->type; }
  const Props& props(size_t i) const { return evs_[i]->props; }
  void SetVersion(size_t, const Playbook& p) { pb_ = &p; }
  const Playbook::EventRules* Rules(size_t i) const { return pb_->FindEvent(evs_[i]->name); }
  void Score(EngagementState& eng, size_t i, const Playbook::EventRules* rules,
             const FieldValue* fields, MatchCache* cache) const {
    eng.Add(rules, evs_[i]->props, evs_[i]->ts, fields, cache);
  }
  bool DisqualifyWhen(size_t, int, const Condition& when, const EvalContext& ctx) const {
    return Evaluate(when, ctx);
  }
  template <class Fn>
  void ForEachTrait(size_t i, Fn&& fn) const {
    for (const auto& [k, v] : evs_[i]->props) fn(pb_->FieldIndex(k), k, v);
  }

 private:
  const std::vector<const Event*>& evs_;
  const Playbook* pb_ = nullptr;
};

}  // namespace

bool BantPasses(const BantAnswers& a, const Playbook& pb) {
  if (!a.budget || TextKey(*a.budget) != "confirmed") return false;
  if (!a.authority) return false;
  std::string auth = TextKey(*a.authority);
  if (std::find(pb.bant.authority.begin(), pb.bant.authority.end(), auth) ==
      pb.bant.authority.end()) {
    return false;
  }
  if (Blank(a.need)) return false;
  if (!a.timeline) return false;
  auto t = ParseDateOrTime(TrimSpaces(*a.timeline));
  if (!t) return false;
  return *t <= a.at + pb.bant.max_timeline;
}

std::string CheckAction(const Action& a, const LeadState& s, const Playbook& pb) {
  using AK = ActionKind;
  const std::string name = ActionName(a.kind);
  bool manager_only = a.kind == AK::kOverride || a.kind == AK::kReopen || a.kind == AK::kAssign;
  bool role_ok =
      a.role == Role::kManager || a.role == Role::kAdmin || (a.role == Role::kRep && !manager_only);
  if (!role_ok) {
    return std::string("role rule: '") + name + "' may be taken by " +
           (manager_only ? "a manager" : "a rep or a manager") + ", and " + a.by + " is " +
           RoleName(a.role);
  }
  std::vector<Stage> from;
  switch (a.kind) {
    case AK::kAccept:
      from = {Stage::kLead, Stage::kMql};
      break;
    case AK::kReject:
      from = {Stage::kMql, Stage::kSal};
      break;
    case AK::kPromote:
      from = {Stage::kSal};
      break;
    case AK::kOverride:
    case AK::kDisqualify:
      from = {Stage::kLead, Stage::kMql, Stage::kSal, Stage::kNurture};
      break;
    case AK::kConvert:
      from = {Stage::kSql};
      break;
    case AK::kWin:
      from = {Stage::kOpportunity};
      break;
    case AK::kLose:
      from = {Stage::kSql, Stage::kOpportunity};
      break;
    case AK::kReopen:
      from = {Stage::kLost, Stage::kDisq};
      break;
    case AK::kImport:
      return {};  // applied as recorded (OnImport)
    case AK::kQualify:
    case AK::kTouch:
    case AK::kAssign:
      from = {Stage::kLead, Stage::kMql,         Stage::kSal,
              Stage::kSql,  Stage::kOpportunity, Stage::kNurture};
      break;
  }
  if (std::find(from.begin(), from.end(), s.stage) == from.end()) {
    std::string list;
    for (Stage st : from) list += (list.empty() ? "" : ", ") + std::string(StageName(st));
    return "stage rule: '" + name + "' is allowed from " + list + ", but the lead is in " +
           StageName(s.stage);
  }
  switch (a.kind) {
    case AK::kReject:
    case AK::kOverride:
    case AK::kLose:
    case AK::kDisqualify:
    case AK::kReopen:
      if (Blank(a.reason)) return "needs rule: '" + name + "' needs a reason (--reason)";
      break;
    case AK::kTouch:
      if (!a.channel ||
          (*a.channel != "call" && *a.channel != "email" && *a.channel != "meeting")) {
        return "needs rule: 'touch' needs a channel: call, email or meeting (--channel)";
      }
      break;
    case AK::kAssign:
      if (a.by != "engine" && (!a.to || TrimSpaces(*a.to).empty())) {
        return "needs rule: 'assign' needs the user to assign to (--to)";
      }
      break;
    case AK::kQualify:
      if (!a.bant || Blank(a.bant->budget) || Blank(a.bant->authority) || Blank(a.bant->need) ||
          Blank(a.bant->timeline)) {
        return "needs rule: 'qualify' needs BANT answers (--budget, --authority, --need, "
               "--timeline)";
      }
      break;
    case AK::kPromote:
      if (!s.bant) {
        return "BANT rule: 'promote' needs passing BANT answers, and there are none yet (record "
               "them with 'qualify')";
      }
      if (!BantPasses(*s.bant, pb)) {
        return "BANT rule: 'promote' needs passing BANT answers: budget confirmed, authority in [" +
               [&] {
                 std::string l;
                 for (const auto& x : pb.bant.authority) l += (l.empty() ? "" : ", ") + x;
                 return l;
               }() +
               "], a need, and a timeline within " + std::to_string(pb.bant.max_timeline / kDay) +
               " days of the answers";
      }
      break;
    default:
      break;
  }
  return {};
}

std::vector<ExplanationLine> ExplanationOf(const LeadState& s, const Playbook& pb) {
  using K = LeadState::RuleLine::Kind;
  std::vector<ExplanationLine> out;
  out.reserve(s.rule_lines.size());
  for (const LeadState::RuleLine& l : s.rule_lines) {
    const size_t i = static_cast<size_t>(l.rule);
    if (l.kind == K::kFit) {
      out.push_back({pb.fit[i].id, "fit", l.count, l.points});
    } else if (l.kind == K::kEngagement) {
      out.push_back({pb.engagement[i].id, "engagement", l.count, l.points});
    } else {
      out.push_back({"cap", "cap", l.count, l.points});
    }
  }
  return out;
}

namespace fold_internal {

std::unique_ptr<FoldBuffers> TakeBuffers() {
  std::unique_ptr<FoldBuffers> b = std::move(t_spare_buffers);
  if (!b) return std::make_unique<FoldBuffers>();
  b->field_memo.clear();
  b->fit_held.clear();
  b->trait_before.clear();
  return b;
}

void GiveBuffers(std::unique_ptr<FoldBuffers> b) { t_spare_buffers = std::move(b); }

}  // namespace fold_internal

namespace {
// The activities among the folded events (the first s->events of the
// timeline) per name: a few distinct names a lead, so a linear search.
void CountEventNames(const std::vector<const Event*>& evs, LeadState* s) {
  // A few distinct names a lead: a small array, searched from the last hit
  // (runs of one name, such as page views, are common); no allocation for
  // up to 8 names.
  std::pair<std::string_view, int64_t> small[8];
  std::vector<std::pair<std::string_view, int64_t>> more;
  size_t used = 0, last = 0;
  const size_t n = std::min(evs.size(), static_cast<size_t>(std::max<int64_t>(0, s->events)));
  for (size_t i = 0; i < n; ++i) {
    const Event& e = *evs[i];
    if (e.type != EventType::kTrack && e.type != EventType::kPage) continue;
    const std::string_view name = e.name;  // a page's is "page_view"
    if (name.empty()) continue;
    if (used > 0 && small[last].first == name) {
      ++small[last].second;
      continue;
    }
    size_t j = 0;
    while (j < used && small[j].first != name) ++j;
    if (j < used) {
      ++small[j].second;
      last = j;
      continue;
    }
    if (used < std::size(small)) {
      small[used] = {name, 1};
      last = used++;
      continue;
    }
    auto it =
        std::find_if(more.begin(), more.end(), [&](const auto& c) { return c.first == name; });
    if (it == more.end()) {
      more.emplace_back(name, 1);
    } else {
      ++it->second;
    }
  }
  s->event_counts.clear();
  if (more.empty()) {
    for (size_t j = 1; j < used; ++j)  // insertion sort of at most 8
      for (size_t k = j; k > 0 && small[k] < small[k - 1]; --k) std::swap(small[k], small[k - 1]);
    s->event_counts.reserve(used);
    for (size_t j = 0; j < used; ++j) s->event_counts.emplace_back(small[j].first, small[j].second);
    return;
  }
  more.insert(more.end(), small, small + used);
  std::sort(more.begin(), more.end());
  s->event_counts.reserve(more.size());
  for (const auto& [k, c] : more) s->event_counts.emplace_back(k, c);
}
}  // namespace

LeadState Fold(const std::string& lead_id, const std::vector<const Event*>& events,
               const std::vector<const Action*>& actions,
               const std::vector<PlaybookVersion>& versions, const FoldOptions& opts) {
  // The store returns the events in timeline order already: sort only when not.
  auto event_less = [](const Event* a, const Event* b) {
    if (a->ts != b->ts) return a->ts < b->ts;
    return a->message_id < b->message_id;
  };
  const std::vector<const Event*>* evs = &events;
  std::vector<const Event*> sorted;
  if (!std::is_sorted(events.begin(), events.end(), event_less)) {
    sorted = events;
    std::sort(sorted.begin(), sorted.end(), event_less);
    evs = &sorted;
  }
  LiveEvents src(*evs);
  fold_internal::Folder<LiveEvents> f(lead_id, versions, opts);
  LeadState s = f.Run(src, actions);
  if (!opts.lean) CountEventNames(*evs, &s);
  return s;
}

}  // namespace leadgate
