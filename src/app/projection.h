// The projection of a lead: its folded state as of its last point, stored so
// that `show` (at or after that point) needs no refold. Only decay moves a
// lead after its last point, so AdvanceTo recomputes the time-dependent parts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "fold/fold.h"

namespace leadgate {

// Encodes what show needs beyond the projection columns (traits, explanation
// at the last point, BANT, clocks, warnings, counts) as JSON.
// With `pb` (the playbook version the lead was folded under) explanation
// lines are stored by rule index, which decoding needs the same `pb` for
// (without it, their rule names are left empty).
std::string EncodeProjection(const LeadState& s, int64_t event_count, const Playbook* pb = nullptr);
// Decodes it back into `s` (whose id, stage, fit, engagement_sum_at_ref,
// engagement_ref, owner and playbook_version come from the row).
Status DecodeProjection(std::string_view data, LeadState* s, int64_t* event_count,
                        const Playbook* pb = nullptr);
// Only the traits (the reports' --by source/industry/job_title); with
// `keys`, only those.
Status DecodeProjectionTraits(std::string_view data, LeadState* s,
                              const std::vector<std::string>* keys = nullptr);
// Scores, explanation (with the cap line) and BANT pass as of t >= last point.
void AdvanceTo(LeadState* s, Micros t, const Playbook& pb);

}  // namespace leadgate
