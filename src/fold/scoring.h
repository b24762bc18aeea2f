// Scoring: fit from traits, engagement from activities with half-life decay,
// per-rule limits in rolling windows, and the cap; the explanation rule by rule.
#pragma once

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "common/time.h"
#include "common/value.h"
#include "playbook/playbook.h"

namespace leadgate {

// 0.5 ^ (dt / half_life); 1 without a half-life.
double DecayFactor(const Playbook& pb, Micros dt);

struct ExplanationLine {
  std::string rule;
  std::string kind;  // "fit", "engagement", "cap"
  int64_t count = 0;
  double points = 0;
};

// The engagement accumulator of one lead under one playbook version. Activities
// must be added in timeline order (timestamp, messageId).
class EngagementState {
 public:
  explicit EngagementState(const Playbook* pb = nullptr);
  void Reset(const Playbook* pb);
  // Scores one activity. `fields` are the lead's typed traits at that moment.
  void Add(std::string_view name, const Props& props, Micros ts, const FieldValue* fields,
           MatchCache* cache);
  // The same with the activity's rules already looked up (pb->FindEvent(name),
  // null when none): the fold looks them up once per activity.
  void Add(const Playbook::EventRules* ev, const Props& props, Micros ts, const FieldValue* fields,
           MatchCache* cache);
  // The one implementation of the activity's rules (limits, decayed sums),
  // with the rules' `when` answered by `when(rule index, condition)`: the
  // live Add evaluates it on the activity's properties; the backtest's
  // encoded replay (src/fold/encoded.h) answers a property-only condition
  // from its classification of the event's property set.
  template <class When>
  void AddWith(const Playbook::EventRules* ev, Micros ts, When&& when);
  // The same when the rules whose `when` holds are known: rules[0, n), a
  // subsequence of ev->engagement (the backtest's classified activities).
  void AddMatched(const int32_t* rules, size_t n, Micros ts) {
    ++activities_;
    for (size_t k = 0; k < n; ++k) Count(rules[k], ts);
  }
  // Raw (uncapped) engagement at time t >= the last activity.
  double RawAt(Micros t) const;
  // Capped engagement at t.
  double At(Micros t) const { return Capped(RawAt(t)); }
  // A raw engagement capped as At caps it.
  double Capped(double raw) const {
    if (pb_ != nullptr && pb_->cap) return std::min(*pb_->cap, raw);
    return raw;
  }
  // A bound At(t) never exceeds, without computing the decay: the capped sum
  // at its last activity when that sum is not negative and t is not before
  // it (a decay factor is at most 1, and rounding keeps the order), else
  // +infinity.
  double BoundAt(Micros t) const {
    if (pb_ == nullptr) return 0;
    if (!(total_ >= 0) || t < total_ref_) return std::numeric_limits<double>::infinity();
    return pb_->cap && *pb_->cap < total_ ? *pb_->cap : total_;
  }
  // Per-rule lines at t, in playbook order, for rules that counted something;
  // plus a "cap" line when the cap cut.
  void Explain(Micros t, std::vector<ExplanationLine>* out) const;
  // The same lines as fn(rule index, count, points), the cap as rule -1.
  template <class Fn>
  void ForEachLine(Micros t, Fn&& fn) const;
  int64_t activities() const { return activities_; }

 private:
  struct RuleAcc {
    // The rule's points, each times grow_ as it was when counted: its share
    // of the engagement at total_ref_ is sum / grow_ (so one decay per
    // activity serves the total and every rule).
    double sum = 0;
    int64_t count = 0;
    // Timestamps counted in the limit window: window[head, size()).
    size_t head = 0;
    std::vector<Micros> window;
  };
  // DecayFactor(*pb_, dt), remembering the last dt it computed: a matching
  // rule and the total often decay over the same interval, and the MQL check
  // after an activity that matched nothing over that interval again.
  double Decay(Micros dt) const;
  // Rule idx's `when` holds on an activity at ts: its limit, then its sums.
  void Count(int idx, Micros ts);
  // Moves the total's reference to ts (after it), decaying the total and
  // growing grow_ by the inverse factor; re-anchors the rule sums when
  // grow_ would pass kMaxGrow.
  void Advance(Micros ts);
  static constexpr double kMaxGrow = 0x1p256;
  const Playbook* pb_;
  mutable Micros decay_dt_ = 0;  // 0: nothing remembered
  mutable double decay_factor_ = 1;
  std::vector<RuleAcc> rules_;
  EvalScratch scratch_;
  double total_ = 0;
  Micros total_ref_ = 0;
  // 2^((total_ref_ - anchor) / half_life), the anchor being the first
  // counted activity's time, or the last re-anchoring's (1 without decay).
  double grow_ = 1;
  bool counted_ = false;  // a rule counted (total_ref_ is an activity's time)
  int64_t activities_ = 0;
};

// Fit rules that hold on these traits, summed; lines appended when out != null.
double ComputeFit(const Playbook& pb, const FieldValue* fields, std::vector<ExplanationLine>* out);
// The same with a context (ctx.fields, and optionally its cache and field memo).
double ComputeFit(const Playbook& pb, const EvalContext& ctx, std::vector<ExplanationLine>* out);
// The same, recording in held[i] whether fit rule i holds (for FitLines).
double ComputeFitHeld(const Playbook& pb, const EvalContext& ctx, std::vector<uint8_t>* held);
// The explanation lines ComputeFit(..., out) appends, from recorded `held`.
void FitLines(const Playbook& pb, const std::vector<uint8_t>& held,
              std::vector<ExplanationLine>* out);
// The same lines as fn(fit rule index, points).
template <class Fn>
void ForEachFitLine(const Playbook& pb, const std::vector<uint8_t>& held, Fn&& fn) {
  for (size_t i = 0; i < pb.fit.size() && i < held.size(); ++i) {
    if (held[i] && pb.fit[i].points != 0) fn(static_cast<int>(i), pb.fit[i].points);
  }
}

template <class Fn>
void EngagementState::ForEachLine(Micros t, Fn&& fn) const {
  if (pb_ == nullptr) return;
  double raw = 0;
  // Each counted rule's share at t (no rule counted: none, and no decay).
  const double k = counted_ ? Decay(t - total_ref_) / grow_ : 0;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const RuleAcc& acc = rules_[i];
    if (acc.count == 0) continue;
    const double pts = acc.sum * k;
    raw += pts;
    fn(static_cast<int>(i), acc.count, pts);
  }
  if (pb_->cap && raw > *pb_->cap) fn(-1, int64_t{0}, -(raw - *pb_->cap));
}

inline void EngagementState::Count(int idx, Micros ts) {
  const EngagementRule& r = pb_->engagement[static_cast<size_t>(idx)];
  RuleAcc& acc = rules_[static_cast<size_t>(idx)];
  if (r.limit_count >= 0) {
    if (r.limit_per > 0) {
      while (acc.head < acc.window.size() && acc.window[acc.head] <= ts - r.limit_per) {
        ++acc.head;
      }
      if (static_cast<int64_t>(acc.window.size() - acc.head) >= r.limit_count) return;
      if (acc.head == acc.window.size()) {
        acc.window.clear();
        acc.head = 0;
      } else if (acc.head >= 64 && acc.head * 2 >= acc.window.size()) {
        acc.window.erase(acc.window.begin(), acc.window.begin() + static_cast<ptrdiff_t>(acc.head));
        acc.head = 0;
      }
      acc.window.push_back(ts);
    } else if (acc.count >= r.limit_count) {
      return;
    }
  }
  ++acc.count;
  if (!counted_) {
    counted_ = true;
    total_ref_ = ts;  // the anchor: grow_ is 1
  } else if (ts != total_ref_) {
    Advance(ts);
  }
  total_ += r.points;
  acc.sum += r.points * grow_;
}

inline void EngagementState::Advance(Micros ts) {
  const double f = Decay(ts - total_ref_);
  total_ *= f;
  total_ref_ = ts;
  const double g = grow_ / f;
  if (g <= kMaxGrow) {
    grow_ = g;
    return;
  }
  // Re-anchor at ts (a long gap or a long history; f may be 0): each rule's
  // share at ts becomes its sum, at grow_ 1.
  const double k = f / grow_;
  for (RuleAcc& a : rules_) a.sum *= k;
  grow_ = 1;
}

template <class When>
void EngagementState::AddWith(const Playbook::EventRules* ev, Micros ts, When&& when) {
  ++activities_;
  if (ev == nullptr || ev->engagement.empty()) return;
  for (int idx : ev->engagement) {
    const EngagementRule& r = pb_->engagement[static_cast<size_t>(idx)];
    if (r.when && !when(idx, *r.when)) continue;
    Count(idx, ts);
  }
}

}  // namespace leadgate
