// The fold's core (internal to src/fold): the Folder, a template over the
// source of a lead's events, so the live fold (fold.cc: Event objects) and
// the backtest's encoded replay (encoded.cc: dictionary-encoded events) run
// the one implementation of the rules. Not part of the fold's interface:
// include fold/fold.h or fold/encoded.h.
//
// A source `Src` gives, for event i (in timeline order, i < its size):
//   size_t CountUpTo(Micros as_of)   events at or before as_of (may prefetch)
//   void PrefetchAhead(size_t i)     a hint: event i comes soon
//   Micros ts(i); EventType type(i); const Props& props(i)
//   void SetVersion(size_t v, const Playbook& p)   the version now in force
//   const Playbook::EventRules* Rules(i)           p.FindEvent(name of i)
//   void Score(EngagementState&, i, rules, const FieldValue* fields, MatchCache*)
//                                    the activity's engagement (EngagementState::Add)
//   bool DisqualifyWhen(i, int rule, const Condition& when, const EvalContext& ctx)
//                                    Evaluate(when, ctx) for event-triggered rule `rule`
//   void ForEachTrait(i, fn(int field, const std::string& key, const Value& v))
//                                    an identify's traits in order, with p.FieldIndex(key)
// and optionally (the backtest's classified traits, `kClassifiedTraits`):
//   void ForEachTraitValue(i, fn(int field, uint32_t tv, const std::string& key, const Value& v))
//                                    the same with each trait's value id `tv`
//   uint32_t MissingValue()          the value id of a missing field
//   const FieldValue& Typed(tv)      ReadAsField of value tv as its field
//   int Leaf(const Condition& c, tv) field leaf c's result on value tv (0/1), -1: not known
//   int FitHolds(i, field_tv), DisqualifyHolds(i, field_tv)
//                                    fit / trait disqualify rule i on the fields' value
//                                    ids (0/1), -1: not classified whole
//   double NoTraitsFit(std::vector<uint8_t>* held)   ComputeFitHeld on no traits
//   bool NeedsFields(i)              activity i's rules read the typed fields
// (then s_.fields is written only when read: SyncFields).
// With those, a lead folded under one playbook version types each trait by
// its value id and combines fit and trait disqualify conditions from their
// classified leaves (EvaluateTree); the result is the same LeadState.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>

#include "fold/fold.h"

namespace leadgate::fold_internal {

constexpr size_t kLookahead = 4;  // events ahead whose property text is prefetched

// A fold's working buffers (not part of its result), kept per thread between
// folds: folding lead after lead (rebuild, refresh, backtest) reuses their
// capacity instead of allocating them per lead. Every fold resets them.
struct FoldBuffers {
  std::vector<MatchCache::Entry> field_memo;
  std::vector<uint8_t> fit_held, trait_before;
  std::vector<uint32_t> field_tv, synced_tv;
  // The typed fields of a lean fold (which returns none): kept with their
  // strings' capacity, so typing a trait allocates nothing.
  std::vector<FieldValue> fields;
  EngagementState eng;
};
// The calling thread's spare buffers (cleared), or new ones; and back.
std::unique_ptr<FoldBuffers> TakeBuffers();
void GiveBuffers(std::unique_ptr<FoldBuffers> b);

template <class Src>
class Folder {
  static constexpr bool kClassified = requires { Src::kClassifiedTraits; };

 public:
  Folder(const std::string& id, const std::vector<PlaybookVersion>& versions,
         const FoldOptions& opts)
      : versions_(versions),
        opts_(opts),
        buf_(TakeBuffers()),
        field_memo_(buf_->field_memo),
        fit_held_(buf_->fit_held),
        eng_(buf_->eng),
        trait_before_(buf_->trait_before),
        field_tv_(buf_->field_tv),
        synced_tv_(buf_->synced_tv) {
    s_.id = id;
    if (opts_.lean) s_.fields = std::move(buf_->fields);
  }
  ~Folder() { GiveBuffers(std::move(buf_)); }
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;

  // `src`: the lead's events in timeline order (Src: see the header comment).
  LeadState Run(Src& src, const std::vector<const Action*>& actions) {
    auto action_less = [](const Action* a, const Action* b) {
      if (a->ts != b->ts) return a->ts < b->ts;
      return a->seq < b->seq;
    };
    src_ = &src;
    const std::vector<const Action*>* acts = &actions;
    std::vector<const Action*> sorted_actions;
    if (!std::is_sorted(actions.begin(), actions.end(), action_less)) {
      sorted_actions = actions;
      std::stable_sort(sorted_actions.begin(), sorted_actions.end(), action_less);
      acts = &sorted_actions;
    }
    const size_t nev = src.CountUpTo(opts_.as_of);
    size_t nact = 0;
    for (const Action* a : *acts) {
      if (a->ts <= opts_.as_of) ++nact;
    }
    size_t nver = 1;
    while (nver < versions_.size() && versions_[nver].applied_at <= opts_.as_of) ++nver;
    keep_traits_ = !opts_.lean || nver > 1;
    if constexpr (kClassified) classified_ = nver == 1;
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
      if (ie < nev && src.ts(ie) < ts) {
        ts = src.ts(ie);
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
        if (iv >= nver && ia >= nact) {
          // Only events are left, all under the version in force (a later
          // version's apply point is after as_of, so after every one of them).
          for (; ie < nev; ++ie) {
            if (ie + kLookahead < nev) src.PrefetchAhead(ie + kLookahead);
            OnEvent(ie);
          }
          break;
        }
        if (ie + kLookahead < nev) src.PrefetchAhead(ie + kLookahead);
        OnEvent(ie++);
      } else {
        OnAction(*(*acts)[ia++]);
      }
    }
    Finish();
    if (opts_.lean) {
      buf_->fields = std::move(s_.fields);
      s_.fields.clear();
    }
    return std::move(s_);
  }

 private:
  const Playbook& pb() const { return *versions_[version_idx_].playbook; }
  int64_t version() const { return versions_[version_idx_].version; }

  EvalContext FieldContext() {
    SyncFields();
    return EvalContext{s_.fields.data(), nullptr, cache_, nullptr, field_memo_.data()};
  }

  // Retypes every declared field from the traits (on a version switch).
  void RetypeFields() {
    const Playbook& p = pb();
    field_memo_.assign(static_cast<size_t>(p.memo_groups), MatchCache::Entry{});
    if constexpr (kClassified) {
      if (classified_) {
        // Only at the start (one version in force): no traits yet. s_.fields
        // is written by the first SyncFields (its slots may hold a previous
        // lean fold's values: synced_tv_ says none is known).
        s_.fields.resize(p.fields.size());
        field_tv_.assign(p.fields.size(), src_->MissingValue());
        synced_tv_.assign(p.fields.size(), kUnsynced);
        fields_dirty_ = true;
        fit_ = src_->NoTraitsFit(&fit_held_);
        traits_changed_ = true;
        return;
      }
    }
    s_.fields.assign(p.fields.size(), FieldValue{});
    for (size_t i = 0; i < p.fields.size(); ++i) {
      auto it = s_.traits.find(p.fields[i].name);
      if (it != s_.traits.end()) s_.fields[i] = ReadAsField(it->second, p.fields[i].type);
    }
    fit_ = ComputeFitHeld(p, FieldContext(), &fit_held_);
    traits_changed_ = true;
  }

  // Classified traits (kClassified): field leaf c on the current fields.
  bool FieldLeaf(const Condition& c) {
    if constexpr (kClassified) {
      if (!c.on_property) {
        const int r = src_->Leaf(c, field_tv_[static_cast<size_t>(c.field)]);
        if (r >= 0) return r != 0;
      }
    }
    return Evaluate(c, FieldContext());
  }
  // Classified traits: s_.fields made to hold the typed values of field_tv_.
  void SyncFields() {
    if constexpr (kClassified) {
      if (!fields_dirty_) return;
      fields_dirty_ = false;
      for (size_t f = 0; f < field_tv_.size(); ++f) {
        if (synced_tv_[f] == field_tv_[f]) continue;
        synced_tv_[f] = field_tv_[f];
        s_.fields[f] = src_->Typed(field_tv_[f]);
      }
    }
  }
  bool FieldCondition(const Condition& c) {
    return EvaluateTree(c, [this](const Condition& l) { return FieldLeaf(l); });
  }
  // ComputeFitHeld from the classification: the same rules, in order.
  double ClassifiedFit() {
    const Playbook& p = pb();
    fit_held_.assign(p.fit.size(), 0);
    double fit = 0;
    for (size_t i = 0; i < p.fit.size(); ++i) {
      int r = -1;
      if constexpr (kClassified) r = src_->FitHolds(i, field_tv_.data());
      if (r < 0) r = FieldCondition(p.fit[i].when) ? 1 : 0;
      if (r == 0) continue;
      fit += p.fit[i].points;
      fit_held_[i] = 1;
    }
    return fit;
  }
  // A trait disqualify rule's `when` now (classified traits).
  bool TraitRule(size_t i, const Condition& when) {
    int r = -1;
    if constexpr (kClassified) r = src_->DisqualifyHolds(i, field_tv_.data());
    return r < 0 ? FieldCondition(when) : r != 0;
  }
  // SetField for trait value tv (kClassified): the same typed value and
  // memo clearing, the typed value read from the classification. s_.fields
  // follows field_tv_ when read (SyncFields): most activities read no field.
  bool SetFieldValue(int f, uint32_t tv) {
    const size_t fi = static_cast<size_t>(f);
    const uint32_t old = field_tv_[fi];
    if (old == tv) return false;
    if constexpr (kClassified) {
      const FieldValue& nv = src_->Typed(tv);
      const FieldValue& cur = src_->Typed(old);
      field_tv_[fi] = tv;
      if (nv.state == cur.state && nv.value == cur.value) return false;
      fields_dirty_ = true;
    }
    ClearFieldMemo(fi);
    return true;
  }
  // The memo of matches on field f (its value changed).
  void ClearFieldMemo(size_t f) {
    const Playbook& p = pb();
    if (f >= p.field_memo_groups.size()) return;
    for (int g : p.field_memo_groups[f]) field_memo_[static_cast<size_t>(g)] = MatchCache::Entry{};
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
    ClearFieldMemo(fi);
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
    src_->SetVersion(v, pb());
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
        const EventType type = src_->type(i);
        if (type == EventType::kIdentify) {
          for (const auto& [k, v] : src_->props(i)) {
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
        } else if (type == EventType::kTrack || type == EventType::kPage) {
          src_->Score(eng_, i, src_->Rules(i), fields.data(), cache_);
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
  // `ei`: the activity (an index into the source), with `rules` its rules
  // under this version (pb().FindEvent of its name).
  void Automatic(Micros ts, bool activity, size_t ei = SIZE_MAX,
                 const Playbook::EventRules* rules = nullptr) {
    const Playbook& p = pb();
    // 1. Disqualify: event-triggered rules, then trait conditions that became true.
    const Playbook::EventRules* ev = activity ? rules : nullptr;
    if (ev != nullptr && !ev->disqualify.empty()) {
      const EvalContext ctx{s_.fields.data(), &src_->props(ei), cache_, nullptr,
                            field_memo_.data()};
      for (int idx : ev->disqualify) {
        const DisqualifyRule& r = p.disqualify[static_cast<size_t>(idx)];
        if (r.when && !src_->DisqualifyWhen(ei, idx, *r.when, ctx)) continue;
        Disqualify(ts, r);
      }
    }
    // Trait conditions change only with the typed fields (or the version):
    // otherwise each still has the value it had at the previous point.
    if (traits_changed_) {
      traits_changed_ = false;
      // (Classified traits read no field here: no context, no SyncFields.)
      const EvalContext tctx = classified_ ? EvalContext{} : FieldContext();
      for (size_t i = 0; i < p.disqualify.size(); ++i) {
        const DisqualifyRule& r = p.disqualify[i];
        if (r.event) continue;
        bool now = classified_ ? TraitRule(i, *r.when) : Evaluate(*r.when, tctx);
        if (now && trait_before_[i] == 0) Disqualify(ts, r);
        trait_before_[i] = now ? 1 : 0;
      }
    }
    // 2. Self-qualification.
    if (ev != nullptr && ev->bant_form) {
      const Props* props = &src_->props(ei);
      BantAnswers a;
      auto get = [&](const char* k) -> std::optional<std::string> {
        const Value* v = FindProp(*props, k);
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
    if (!MqlRuledOut(ts, activity)) {
      bool ok = true;
      const double eng = eng_.At(ts);
      if (p.mql.engagement && !(eng >= *p.mql.engagement)) ok = false;
      if (p.mql.total && !(fit_ + eng >= *p.mql.total)) ok = false;
      if (ok) Move(ts, Stage::kMql, "engine", "mql threshold", std::nullopt, false);
    }
  }

  // Whether the lead cannot enter MQL at ts, known without the decay: it is
  // not eligible, or the fit fails, or the engagement's bound fails (decay
  // only lowers a sum that is not negative, so a check the bound fails fails
  // on the decayed value too). False: the decayed check decides.
  bool MqlRuledOut(Micros ts, bool activity) const {
    const Playbook& p = pb();
    const bool eligible = s_.stage == Stage::kLead || (s_.stage == Stage::kNurture && activity &&
                                                       nurture_at_ && ts > *nurture_at_);
    if (!eligible || !p.mql.defined) return true;
    if (p.mql.fit && !(fit_ >= *p.mql.fit)) return true;
    const double bound = eng_.BoundAt(ts);
    if (p.mql.engagement && !(bound >= *p.mql.engagement)) return true;
    if (p.mql.total && !(fit_ + bound >= *p.mql.total)) return true;
    return false;
  }

  // Whether Automatic after activity `rules` at ts can change nothing (the
  // common case, decided inline): the activity has no event-triggered
  // disqualify rule and is no BANT form, the trait conditions are as at
  // the previous point, and the lead cannot enter MQL.
  bool ActivityChangesNothing(Micros ts, const Playbook::EventRules* rules) const {
    if (traits_changed_) return false;
    if (rules != nullptr && (!rules->disqualify.empty() || rules->bant_form)) return false;
    return MqlRuledOut(ts, /*activity=*/true);
  }

  void Touch(Micros ts) {
    if (!s_.exists) {
      s_.exists = true;
      s_.first_at = ts;
    }
    s_.last_at = ts;
  }

  void OnEvent(size_t i) {
    const Micros ts = src_->ts(i);
    Touch(ts);
    ++events_done_;
    ++s_.events;
    switch (src_->type(i)) {
      case EventType::kIdentify: {
        const Playbook& p = pb();
        bool changed = false;
        auto keep = [&](const std::string& k, const Value& v) {
          if (!keep_traits_) return;
          if (v.is_null()) {
            s_.traits.erase(k);
          } else {
            s_.traits.insert_or_assign(k, v);
          }
        };
        bool classified = false;
        if constexpr (kClassified) {
          classified = classified_;
          if (classified) {
            src_->ForEachTraitValue(i,
                                    [&](int f, uint32_t tv, const std::string& k, const Value& v) {
                                      keep(k, v);
                                      if (f >= 0) changed |= SetFieldValue(f, tv);
                                    });
          }
        }
        if (!classified) {
          src_->ForEachTrait(i, [&](int f, const std::string& k, const Value& v) {
            keep(k, v);
            if (f >= 0) changed |= SetField(f, v);
          });
        }
        if (changed) {
          fit_ = classified ? ClassifiedFit() : ComputeFitHeld(p, FieldContext(), &fit_held_);
          traits_changed_ = true;
        }
        Automatic(ts, false);
        break;
      }
      case EventType::kTrack:
      case EventType::kPage: {
        s_.last_activity_at = ts;
        if constexpr (kClassified) {
          if (fields_dirty_ && src_->NeedsFields(i)) SyncFields();
        }
        const Playbook::EventRules* rules = src_->Rules(i);
        src_->Score(eng_, i, rules, s_.fields.data(), cache_);
        if (!ActivityChangesNothing(ts, rules)) Automatic(ts, true, i, rules);
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
    if (!opts_.lean) SyncFields();  // a lean state has no fields
    if (!s_.exists) return;
    const Playbook& p = pb();
    Micros t = opts_.as_of == INT64_MAX ? s_.last_at : opts_.as_of;
    s_.playbook_version = version();
    s_.fit = fit_;
    const double raw = eng_.RawAt(t);
    s_.engagement_raw = raw;
    s_.engagement = eng_.Capped(raw);
    s_.total = s_.fit + s_.engagement;
    s_.engagement_sum_at_ref = t == s_.last_at ? raw : eng_.RawAt(s_.last_at);
    s_.engagement_ref = s_.last_at;
    // The fit rules that held at the last change of the fields (fit_ is
    // recomputed on every change).
    if (opts_.lean) {
      using K = LeadState::RuleLine::Kind;
      s_.rule_lines.reserve(p.fit.size() + p.engagement.size() + 1);
      ForEachFitLine(p, fit_held_, [&](int i, double points) {
        s_.rule_lines.push_back({K::kFit, i, 1, points});
      });
      eng_.ForEachLine(t, [&](int i, int64_t count, double points) {
        s_.rule_lines.push_back({i < 0 ? K::kCap : K::kEngagement, i, count, points});
      });
    } else {
      s_.explanation.reserve(p.fit.size() + p.engagement.size() + 1);
      FitLines(p, fit_held_, &s_.explanation);
      eng_.Explain(t, &s_.explanation);
    }
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
  Src* src_ = nullptr;                          // the events in timeline order
  std::vector<MatchCache::Entry>& field_memo_;  // matches on the current fields
  bool keep_traits_ = true;                     // s_.traits is kept (FoldOptions::lean)
  bool traits_changed_ = true;  // typed fields or version changed since the last point
  size_t events_done_ = 0;      // events [0, events_done_) of the source are folded
  size_t version_idx_ = 0;
  MatchCache* cache_ = nullptr;
  double fit_ = 0;
  std::vector<uint8_t>& fit_held_;  // per fit rule: holds on the current fields
  EngagementState& eng_;
  // Trait-triggered disqualify conditions at the previous point, by rule index
  // of the current version; rules of other versions by id.
  std::vector<uint8_t>& trait_before_;
  // Classified traits (kClassified, one version in force): per field, the
  // value id of its current value.
  bool classified_ = false;
  std::vector<uint32_t>& field_tv_;
  std::vector<uint32_t>& synced_tv_;                 // the value ids s_.fields holds
  static constexpr uint32_t kUnsynced = UINT32_MAX;  // a slot of s_.fields not yet written
  bool fields_dirty_ = false;                        // field_tv_ changed since the last SyncFields
  std::map<std::string, bool> trait_retired_;
  std::optional<Micros> nurture_at_;
  bool mql_routing_ = false;       // the version in force at the last MQL entry routes
  bool routed_since_mql_ = false;  // an assign since then
};

}  // namespace leadgate::fold_internal
