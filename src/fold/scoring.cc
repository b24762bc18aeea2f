#include "fold/scoring.h"

#include <algorithm>
#include <cmath>

namespace leadgate {

double DecayFactor(const Playbook& pb, Micros dt) {
  if (!pb.half_life || dt == 0) return 1.0;
  return std::exp2(-static_cast<double>(dt) / static_cast<double>(*pb.half_life));
}

EngagementState::EngagementState(const Playbook* pb) { Reset(pb); }

double EngagementState::Decay(Micros dt) const {
  if (!pb_->half_life || dt == 0) return 1.0;
  if (dt != decay_dt_) {
    decay_dt_ = dt;
    decay_factor_ = DecayFactor(*pb_, dt);
  }
  return decay_factor_;
}

void EngagementState::Reset(const Playbook* pb) {
  pb_ = pb;
  decay_dt_ = 0;
  decay_factor_ = 1;
  rules_.resize(pb ? pb->engagement.size() : 0);
  for (RuleAcc& acc : rules_) {
    acc.sum = 0;
    acc.count = 0;
    acc.head = 0;
    acc.window.clear();
  }
  if (pb) scratch_.Prepare(static_cast<int>(pb->property_names.size()), pb->memo_groups);
  total_ = 0;
  total_ref_ = 0;
  grow_ = 1;
  counted_ = false;
  activities_ = 0;
}

void EngagementState::Add(std::string_view name, const Props& props, Micros ts,
                          const FieldValue* fields, MatchCache* cache) {
  Add(pb_->FindEvent(name), props, ts, fields, cache);
}

void EngagementState::Add(const Playbook::EventRules* ev, const Props& props, Micros ts,
                          const FieldValue* fields, MatchCache* cache) {
  if (ev != nullptr && !ev->engagement.empty()) scratch_.Next();
  EvalContext ctx{fields, &props, cache, &scratch_, nullptr};
  AddWith(ev, ts, [&](int, const Condition& c) { return EvaluateFast(c, ctx); });
}

double EngagementState::RawAt(Micros t) const {
  if (pb_ == nullptr) return 0;
  return total_ * Decay(t - total_ref_);
}

void EngagementState::Explain(Micros t, std::vector<ExplanationLine>* out) const {
  ForEachLine(t, [&](int i, int64_t count, double pts) {
    if (i < 0) {
      out->push_back({"cap", "cap", 0, pts});
    } else {
      out->push_back({pb_->engagement[static_cast<size_t>(i)].id, "engagement", count, pts});
    }
  });
}

double ComputeFit(const Playbook& pb, const FieldValue* fields, std::vector<ExplanationLine>* out) {
  return ComputeFit(pb, EvalContext{fields, nullptr, nullptr, nullptr, nullptr}, out);
}

double ComputeFit(const Playbook& pb, const EvalContext& ctx, std::vector<ExplanationLine>* out) {
  double fit = 0;
  for (const auto& r : pb.fit) {
    if (!Evaluate(r.when, ctx)) continue;
    fit += r.points;
    if (out != nullptr && r.points != 0) out->push_back({r.id, "fit", 1, r.points});
  }
  return fit;
}

double ComputeFitHeld(const Playbook& pb, const EvalContext& ctx, std::vector<uint8_t>* held) {
  held->assign(pb.fit.size(), 0);
  double fit = 0;
  for (size_t i = 0; i < pb.fit.size(); ++i) {
    if (!Evaluate(pb.fit[i].when, ctx)) continue;
    fit += pb.fit[i].points;
    (*held)[i] = 1;
  }
  return fit;
}

void FitLines(const Playbook& pb, const std::vector<uint8_t>& held,
              std::vector<ExplanationLine>* out) {
  ForEachFitLine(pb, held, [&](int i, double points) {
    out->push_back({pb.fit[static_cast<size_t>(i)].id, "fit", 1, points});
  });
}

}  // namespace leadgate
