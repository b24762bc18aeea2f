#include "fold/fold.h"

#include <algorithm>
#include <memory>

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

// The heap text of an event's property values (URLs and the like).
void PrefetchValues(const Event& e) {
  for (const auto& kv : e.props) {
    if (kv.second.str.size() > 15) Prefetch(kv.second.str.data());
  }
}

constexpr size_t kLookahead = 4;  // events ahead whose property text is prefetched

// A fold's working buffers (not part of its result), kept per thread between
// folds: folding lead after lead (rebuild, refresh, backtest) reuses their
// capacity instead of allocating them per lead. Every fold resets them.
struct FoldBuffers {
  std::vector<MatchCache::Entry> field_memo;
  std::vector<uint8_t> fit_held, trait_before;
  EngagementState eng;
};
thread_local std::unique_ptr<FoldBuffers> t_spare_buffers;

std::unique_ptr<FoldBuffers> TakeBuffers() {
  std::unique_ptr<FoldBuffers> b = std::move(t_spare_buffers);
  if (!b) return std::make_unique<FoldBuffers>();
  b->field_memo.clear();
  b->fit_held.clear();
  b->trait_before.clear();
  return b;
}

class Folder {
 public:
  Folder(const std::string& id, const std::vector<PlaybookVersion>& versions,
         const FoldOptions& opts)
      : versions_(versions),
        opts_(opts),
        buf_(TakeBuffers()),
        field_memo_(buf_->field_memo),
        fit_held_(buf_->fit_held),
        eng_(buf_->eng),
        trait_before_(buf_->trait_before) {
    s_.id = id;
  }
  ~Folder() { t_spare_buffers = std::move(buf_); }
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;

  LeadState Run(const std::vector<const Event*>& events,
                const std::vector<const Action*>& actions) {
    // The store returns both in timeline order already: sort only when not.
    auto event_less = [](const Event* a, const Event* b) {
      if (a->ts != b->ts) return a->ts < b->ts;
      return a->message_id < b->message_id;
    };
    auto action_less = [](const Action* a, const Action* b) {
      if (a->ts != b->ts) return a->ts < b->ts;
      return a->seq < b->seq;
    };
    ev_ = &events;
    if (!std::is_sorted(events.begin(), events.end(), event_less)) {
      sorted_events_ = events;
      std::sort(sorted_events_.begin(), sorted_events_.end(), event_less);
      ev_ = &sorted_events_;
    }
    const std::vector<const Action*>* acts = &actions;
    std::vector<const Action*> sorted_actions;
    if (!std::is_sorted(actions.begin(), actions.end(), action_less)) {
      sorted_actions = actions;
      std::stable_sort(sorted_actions.begin(), sorted_actions.end(), action_less);
      acts = &sorted_actions;
    }
    const std::vector<const Event*>& evs = *ev_;
    size_t nev = 0, nact = 0;
    for (const Event* e : evs) {
      if (e->ts <= opts_.as_of) ++nev;
      // A lead's events are often scattered in memory (parsed in arrival
      // order, leads interleaved): start loading their properties now.
      Prefetch(e->props.data());
    }
    for (const Action* a : *acts) {
      if (a->ts <= opts_.as_of) ++nact;
    }
    size_t nver = 1;
    while (nver < versions_.size() && versions_[nver].applied_at <= opts_.as_of) ++nver;
    keep_traits_ = !opts_.lean || nver > 1;
    // Points in timeline order: merge of apply points (versions_[1, nver)),
    // events and actions; at one timestamp, apply points, then events, then
    // actions (each kind in its own order).
    SwitchVersion(0, /*rescore=*/false);
    size_t iv = 1, ie = 0, ia = 0;
    while (iv < nver || ie < nev || ia < nact) {
      Micros ts = INT64_MAX;
      int order = 3;
      if (iv < nver) {
        ts = versions_[iv].applied_at;
        order = 0;
      }
      if (ie < nev && evs[ie]->ts < ts) {
        ts = evs[ie]->ts;
        order = 1;
      }
      if (ia < nact && (*acts)[ia]->ts < ts) {
        ts = (*acts)[ia]->ts;
        order = 2;
      }
      // The version in force at this point.
      size_t v = version_idx_;
      while (v + 1 < versions_.size() && versions_[v + 1].applied_at <= ts) ++v;
      if (v != version_idx_) SwitchVersion(v, /*rescore=*/true);
      if (order == 0) {
        ++iv;
        if (s_.exists) Automatic(ts, /*activity=*/false);
      } else if (order == 1) {
        if (ie + kLookahead < nev) PrefetchValues(*evs[ie + kLookahead]);
        OnEvent(*evs[ie++]);
      } else {
        OnAction(*(*acts)[ia++]);
      }
    }
    Finish();
    return std::move(s_);
  }

 private:
  const Playbook& pb() const { return *versions_[version_idx_].playbook; }
  int64_t version() const { return versions_[version_idx_].version; }

  EvalContext FieldContext() {
    return EvalContext{s_.fields.data(), nullptr, cache_, nullptr, field_memo_.data()};
  }

  // Retypes every declared field from the traits (on a version switch).
  void RetypeFields() {
    const Playbook& p = pb();
    s_.fields.assign(p.fields.size(), FieldValue{});
    for (size_t i = 0; i < p.fields.size(); ++i) {
      auto it = s_.traits.find(p.fields[i].name);
      if (it != s_.traits.end()) s_.fields[i] = ReadAsField(it->second, p.fields[i].type);
    }
    field_memo_.assign(static_cast<size_t>(p.memo_groups), MatchCache::Entry{});
    fit_ = ComputeFitHeld(p, FieldContext(), &fit_held_);
    traits_changed_ = true;
  }

  // Types trait value `v` (null: removed) as field f. Returns whether the
  // typed value changed; then the memo of matches on that field is cleared.
  bool SetField(int f, const Value& v) {
    const Playbook& p = pb();
    size_t fi = static_cast<size_t>(f);
    FieldValue& cur = s_.fields[fi];
    if (p.fields[fi].type == FieldType::kText && v.kind == Value::Kind::kString) {
      // What ReadAsField gives (kOk, Value::String(v.str)), compared and
      // stored without building it: identify events mostly repeat a trait.
      if (cur.state == FieldValue::State::kOk && cur.value.kind == Value::Kind::kString &&
          !cur.value.b && cur.value.num == 0 && cur.value.str == v.str) {
        return false;
      }
      cur.state = FieldValue::State::kOk;
      cur.value.kind = Value::Kind::kString;
      cur.value.b = false;
      cur.value.num = 0;
      cur.value.str.assign(v.str);
    } else {
      FieldValue nv = ReadAsField(v, p.fields[fi].type);
      if (nv.state == cur.state && nv.value == cur.value) return false;
      cur = std::move(nv);
    }
    for (size_t g = 0; g < p.memo_group_field.size(); ++g) {
      if (p.memo_group_field[g] == f) field_memo_[g] = MatchCache::Entry{};
    }
    return true;
  }

  void SwitchVersion(size_t v, bool rescore) {
    // Trait-disqualify state is kept by rule id across versions.
    if (trait_before_.size() == pb().disqualify.size()) {
      const Playbook& old = pb();
      for (size_t i = 0; i < old.disqualify.size(); ++i) {
        if (!old.disqualify[i].event) trait_retired_[old.disqualify[i].id] = trait_before_[i] != 0;
      }
    }
    version_idx_ = v;
    cache_ = opts_.caches != nullptr && v < opts_.caches->size() ? &(*opts_.caches)[v] : nullptr;
    {
      const Playbook& p = pb();
      trait_before_.assign(p.disqualify.size(), 0);
      if (!trait_retired_.empty()) {
        for (size_t i = 0; i < p.disqualify.size(); ++i) {
          if (p.disqualify[i].event) continue;
          auto it = trait_retired_.find(p.disqualify[i].id);
          if (it == trait_retired_.end()) continue;
          trait_before_[i] = it->second ? 1 : 0;
          trait_retired_.erase(it);
        }
      }
    }
    RetypeFields();
    eng_.Reset(&pb());
    if (rescore) {
      // Scores under a new version cover all the lead's activities so far,
      // each judged with the traits the lead had at that activity.
      const Playbook& p = pb();
      std::map<std::string, Value> traits;
      std::vector<FieldValue> fields(p.fields.size());
      for (size_t i = 0; i < events_done_; ++i) {
        const Event* e = (*ev_)[i];
        if (e->type == EventType::kIdentify) {
          for (const auto& [k, v] : e->props) {
            if (v.is_null()) {
              traits.erase(k);
            } else {
              traits[k] = v;
            }
            int f = p.FieldIndex(k);
            if (f >= 0)
              fields[static_cast<size_t>(f)] =
                  ReadAsField(v, p.fields[static_cast<size_t>(f)].type);
          }
        } else if (e->type == EventType::kTrack || e->type == EventType::kPage) {
          eng_.Add(e->name, e->props, e->ts, fields.data(), cache_);
        }
      }
    }
  }

  void Move(Micros at, Stage to, const std::string& by, std::optional<std::string> reason,
            std::optional<std::string> rule, bool exception) {
    HistoryEntry h;
    h.at = at;
    h.from = s_.stage;
    h.to = to;
    h.by = by;
    h.reason = std::move(reason);
    h.rule = std::move(rule);
    h.exception = exception;
    h.playbook_version = version();
    s_.history.push_back(std::move(h));
    s_.stage = to;
    s_.entered_stage_at = at;
    if (to == Stage::kNurture) nurture_at_ = at;
    if (to == Stage::kMql && pb().first_response) {
      s_.clocks.push_back({at, pb().SlaDue(at, s_.team), std::nullopt, std::nullopt, s_.team});
    }
    if (to == Stage::kMql) {
      mql_routing_ = pb().routing.has_value();
      routed_since_mql_ = false;
    }
  }

  void Disqualify(Micros ts, const DisqualifyRule& r) {
    switch (s_.stage) {
      case Stage::kLead:
      case Stage::kMql:
      case Stage::kSal:
      case Stage::kNurture:
        Move(ts, Stage::kDisq, "engine", r.reason, r.id, false);
        break;
      case Stage::kSql:
      case Stage::kOpportunity:
        if (opts_.lean) break;
        s_.warnings.push_back("disqualify rule '" + r.id + "' (" + r.reason + ") fired at " +
                              FormatRfc3339(ts) + " while the lead was in " + StageName(s_.stage) +
                              ": recorded as a warning only");
        break;
      default:
        break;
    }
  }

  // Automatic changes at a point, in the spec's order.
  // `rules`: the activity's rules under this version (pb().FindEvent(e->name)).
  void Automatic(Micros ts, bool activity, const Event* e = nullptr,
                 const Playbook::EventRules* rules = nullptr) {
    const Playbook& p = pb();
    EvalContext ctx{s_.fields.data(), e ? &e->props : nullptr, cache_, nullptr, field_memo_.data()};
    // 1. Disqualify: event-triggered rules, then trait conditions that became true.
    const Playbook::EventRules* ev = activity ? rules : nullptr;
    if (ev != nullptr) {
      for (int idx : ev->disqualify) {
        const DisqualifyRule& r = p.disqualify[static_cast<size_t>(idx)];
        if (r.when && !Evaluate(*r.when, ctx)) continue;
        Disqualify(ts, r);
      }
    }
    // Trait conditions change only with the typed fields (or the version):
    // otherwise each still has the value it had at the previous point.
    if (traits_changed_) {
      traits_changed_ = false;
      EvalContext tctx = FieldContext();
      for (size_t i = 0; i < p.disqualify.size(); ++i) {
        const DisqualifyRule& r = p.disqualify[i];
        if (r.event) continue;
        bool now = Evaluate(*r.when, tctx);
        if (now && trait_before_[i] == 0) Disqualify(ts, r);
        trait_before_[i] = now ? 1 : 0;
      }
    }
    // 2. Self-qualification.
    if (ev != nullptr && ev->bant_form) {
      BantAnswers a;
      auto get = [&](const char* k) -> std::optional<std::string> {
        const Value* v = FindProp(e->props, k);
        if (v == nullptr || v->is_null()) return std::nullopt;
        return v->ToText();
      };
      a.budget = get("budget");
      a.authority = get("authority");
      a.need = get("need");
      a.timeline = get("timeline");
      a.current_solution = get("current_solution");
      a.by = s_.id;
      a.at = ts;
      s_.bant = a;
      if (BantPasses(a, p) &&
          (s_.stage == Stage::kLead || s_.stage == Stage::kMql || s_.stage == Stage::kNurture)) {
        Move(ts, Stage::kSql, "engine", "self-qualified", std::nullopt, true);
      }
    }
    // 3. MQL.
    bool eligible = s_.stage == Stage::kLead ||
                    (s_.stage == Stage::kNurture && activity && nurture_at_ && ts > *nurture_at_);
    if (eligible && p.mql.defined) {
      double eng = eng_.At(ts);
      bool ok = true;
      if (p.mql.fit && !(fit_ >= *p.mql.fit)) ok = false;
      if (p.mql.engagement && !(eng >= *p.mql.engagement)) ok = false;
      if (p.mql.total && !(fit_ + eng >= *p.mql.total)) ok = false;
      if (ok) Move(ts, Stage::kMql, "engine", "mql threshold", std::nullopt, false);
    }
  }

  void Touch(Micros ts) {
    if (!s_.exists) {
      s_.exists = true;
      s_.first_at = ts;
    }
    s_.last_at = ts;
  }

  void OnEvent(const Event& e) {
    Touch(e.ts);
    ++events_done_;
    ++s_.events;
    switch (e.type) {
      case EventType::kIdentify: {
        const Playbook& p = pb();
        bool changed = false;
        for (const auto& [k, v] : e.props) {
          if (keep_traits_) {
            if (v.is_null()) {
              s_.traits.erase(k);
            } else {
              s_.traits.insert_or_assign(k, v);
            }
          }
          int f = p.FieldIndex(k);
          if (f >= 0) changed |= SetField(f, v);
        }
        if (changed) {
          fit_ = ComputeFitHeld(p, FieldContext(), &fit_held_);
          traits_changed_ = true;
        }
        Automatic(e.ts, false);
        break;
      }
      case EventType::kTrack:
      case EventType::kPage: {
        s_.last_activity_at = e.ts;
        const Playbook::EventRules* rules = pb().FindEvent(e.name);
        eng_.Add(rules, e.props, e.ts, s_.fields.data(), cache_);
        Automatic(e.ts, true, &e, rules);
        break;
      }
      case EventType::kOther:
        break;
    }
  }

  // A recorded stage change from `import history`: it happened, so it is
  // applied as recorded, whatever the table says at this point; it makes the
  // lead exist from its time when nothing came before (docs/reports.md).
  void OnImport(const Action& a) {
    if (!a.to_stage) {
      s_.skipped_actions.emplace_back(a.seq, "imported change without a stage");
      return;
    }
    const Stage to = *a.to_stage;
    if (!s_.exists) {
      s_.exists = true;
      s_.first_at = a.ts;
    }
    s_.last_at = a.ts;
    if (to == Stage::kLead || to == s_.stage) return;  // creation, or no change
    for (auto& c : s_.clocks) {
      if (!c.responded_at) {
        c.responded_at = a.ts;
        c.responded_by = a.by;
      }
    }
    if (to != Stage::kMql) s_.last_touch_at = a.ts;
    if (to == Stage::kSal || (!s_.owner && (to == Stage::kSql || to == Stage::kOpportunity ||
                                            to == Stage::kWon || to == Stage::kLost))) {
      s_.owner = a.by;
    }
    Move(a.ts, to, a.by, a.reason, std::string("import"), false);
  }

  void OnAction(const Action& a) {
    if (a.kind == ActionKind::kImport) return OnImport(a);
    std::string why;
    if (!s_.exists) {
      why = "lead " + s_.id + " has no events at or before " + FormatRfc3339(a.ts);
    } else {
      why = CheckAction(a, s_, pb());
    }
    if (!why.empty()) {
      s_.skipped_actions.emplace_back(a.seq, why);
      if (opts_.lean) return;
      s_.warnings.push_back("action '" + std::string(ActionName(a.kind)) + "' by " + a.by + " at " +
                            FormatRfc3339(a.ts) + " was skipped: " + why);
      return;
    }
    s_.last_at = a.ts;
    if (a.kind == ActionKind::kAssign) {
      Assign(a);
      return;
    }
    // Any accepted action by a user answers the open speed-to-lead clock.
    for (auto& c : s_.clocks) {
      if (!c.responded_at) {
        c.responded_at = a.ts;
        c.responded_by = a.by;
      }
    }
    if (a.kind != ActionKind::kQualify) s_.last_touch_at = a.ts;
    switch (a.kind) {
      case ActionKind::kAccept:
        s_.owner = a.by;
        Move(a.ts, Stage::kSal, a.by, a.reason, std::nullopt, false);
        break;
      case ActionKind::kReject:
        Move(a.ts, Stage::kNurture, a.by, a.reason, std::nullopt, false);
        break;
      case ActionKind::kQualify: {
        BantAnswers b = *a.bant;
        b.by = a.by;
        b.at = a.ts;
        s_.bant = b;
        break;
      }
      case ActionKind::kPromote:
      case ActionKind::kOverride:
        Move(a.ts, Stage::kSql, a.by, a.reason, std::nullopt, a.kind == ActionKind::kOverride);
        break;
      case ActionKind::kConvert:
        Move(a.ts, Stage::kOpportunity, a.by, a.reason, std::nullopt, false);
        break;
      case ActionKind::kWin:
        Move(a.ts, Stage::kWon, a.by, a.reason, std::nullopt, false);
        break;
      case ActionKind::kLose:
        Move(a.ts, Stage::kLost, a.by, a.reason, std::nullopt, false);
        break;
      case ActionKind::kDisqualify:
        Move(a.ts, Stage::kDisq, a.by, a.reason, std::nullopt, false);
        break;
      case ActionKind::kReopen:
        Move(a.ts, Stage::kNurture, a.by, a.reason, std::nullopt, false);
        break;
      case ActionKind::kTouch:
      case ActionKind::kAssign:
      case ActionKind::kImport:
        break;
    }
  }

  // An assignment sets the owner (none: waiting in the team's queue) and the
  // team; it is not a stage change and does not answer the SLA clock, whose
  // due time follows the new team's business hours.
  void Assign(const Action& a) {
    s_.owner = a.to;
    if (a.team) s_.team = a.team;
    s_.assigned_at = a.ts;
    s_.assigned_by = a.by;
    s_.assign_reason = a.reason;
    routed_since_mql_ = true;
    for (auto& c : s_.clocks) {
      if (!c.responded_at) {
        c.due = pb().SlaDue(c.mql_at, s_.team);
        c.team = s_.team;
      }
    }
  }

  void Finish() {
    if (!s_.exists) return;
    const Playbook& p = pb();
    Micros t = opts_.as_of == INT64_MAX ? s_.last_at : opts_.as_of;
    s_.playbook_version = version();
    s_.fit = fit_;
    s_.engagement_raw = eng_.RawAt(t);
    s_.engagement = eng_.At(t);
    s_.total = s_.fit + s_.engagement;
    s_.engagement_sum_at_ref = eng_.RawAt(s_.last_at);
    s_.engagement_ref = s_.last_at;
    // The fit rules that held at the last change of the fields (fit_ is
    // recomputed on every change).
    s_.explanation.reserve(p.fit.size() + p.engagement.size() + 1);
    FitLines(p, fit_held_, &s_.explanation);
    eng_.Explain(t, &s_.explanation);
    if (s_.bant) s_.bant_passes = BantPasses(*s_.bant, p);
    s_.needs_routing = s_.stage == Stage::kMql && mql_routing_ && !routed_since_mql_;
    if (opts_.lean) return;
    for (size_t i = 0; i < p.fields.size(); ++i) {
      if (s_.fields[i].state == FieldValue::State::kBad) {
        s_.warnings.push_back("trait '" + p.fields[i].name +
                              "' = " + s_.traits[p.fields[i].name].ToJson() + " is not a " +
                              FieldTypeName(p.fields[i].type) +
                              ": every condition on it is false until it is corrected");
      }
    }
  }

  const std::vector<PlaybookVersion>& versions_;
  FoldOptions opts_;
  std::unique_ptr<FoldBuffers> buf_;  // field_memo_, fit_held_, eng_, trait_before_
  LeadState s_;
  const std::vector<const Event*>* ev_ = nullptr;  // the events in timeline order
  std::vector<const Event*> sorted_events_;        // when the input was not
  std::vector<MatchCache::Entry>& field_memo_;     // matches on the current fields
  bool keep_traits_ = true;                        // s_.traits is kept (FoldOptions::lean)
  bool traits_changed_ = true;  // typed fields or version changed since the last point
  size_t events_done_ = 0;      // (*ev_)[0, events_done_) are folded
  size_t version_idx_ = 0;
  MatchCache* cache_ = nullptr;
  double fit_ = 0;
  std::vector<uint8_t>& fit_held_;  // per fit rule: holds on the current fields
  EngagementState& eng_;
  // Trait-triggered disqualify conditions at the previous point, by rule index
  // of the current version; rules of other versions by id.
  std::vector<uint8_t>& trait_before_;
  std::map<std::string, bool> trait_retired_;
  std::optional<Micros> nurture_at_;
  bool mql_routing_ = false;       // the version in force at the last MQL entry routes
  bool routed_since_mql_ = false;  // an assign since then
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

LeadState Fold(const std::string& lead_id, const std::vector<const Event*>& events,
               const std::vector<const Action*>& actions,
               const std::vector<PlaybookVersion>& versions, const FoldOptions& opts) {
  Folder f(lead_id, versions, opts);
  return f.Run(events, actions);
}

}  // namespace leadgate
