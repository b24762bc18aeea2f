// Shared by the fold tests (fold_perf_regress_test.cc, replay_encoded_test.cc):
// generated JSON lines, parsing them into events, and a text of a folded state
// whose digest the regression test pins (so: never change what it prints).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "demo/generator.h"
#include "fold/fold.h"
#include "ingest/jsonl.h"

namespace leadgate::fold_support {

// The demo generator's JSON lines for `leads` leads and `events` activities
// from `seed` (demo::GenerateEvents with the other options at their defaults).
inline std::string GeneratedLines(int64_t leads, int64_t events, uint64_t seed) {
  demo::GenOptions opt;
  opt.leads = leads;
  opt.events = events;
  opt.seed = seed;
  std::ostringstream gen;
  demo::GenerateEvents(opt, gen);
  return gen.str();
}

// One event per non-empty line; a line that does not parse fails the test.
inline std::vector<Event> ParseEventLines(const std::string& data) {
  std::vector<Event> events;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    std::string_view text(data.data() + pos, nl - pos);
    pos = nl + 1;
    if (text.empty()) continue;
    Event e;
    Status s = ParseEvent(text, &e);
    EXPECT_TRUE(s.ok()) << s.message() << ": " << text;
    if (s.ok()) events.push_back(std::move(e));
  }
  return events;
}

inline void Add(std::string* out, const std::string& s) {
  *out += s;
  *out += '|';
}
inline std::string D(double d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

// A rule line's points to 12 significant digits: each line is its rule's
// share of the engagement, computed from sums kept at an anchor (scoring.h),
// so its last bits are not the total's; the totals are compared exactly (D).
inline std::string LinePoints(double d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.12g", d);
  return buf;
}

// Every member of the state but event_counts (doubles to the last bit;
// event_counts is the live Fold's, not the core's: see fold.h).
inline std::string Describe(const LeadState& s) {
  std::string o;
  Add(&o, s.id);
  Add(&o, s.exists ? "exists" : "absent");
  Add(&o, StageName(s.stage));
  Add(&o, std::to_string(s.first_at) + "," + std::to_string(s.last_at) + "," +
              std::to_string(s.events) + "," + std::to_string(s.playbook_version));
  Add(&o, D(s.fit) + "," + D(s.engagement) + "," + D(s.engagement_raw) + "," + D(s.total));
  Add(&o, D(s.engagement_sum_at_ref) + "," + std::to_string(s.engagement_ref));
  for (const auto& f : s.fields) {
    Add(&o, std::to_string(static_cast<int>(f.state)) + ":" + f.value.ToJson());
  }
  for (const auto& [k, v] : s.traits) Add(&o, k + "=" + v.ToJson());
  for (const auto& e : s.explanation) {
    Add(&o, e.rule + "/" + e.kind + "/" + std::to_string(e.count) + "/" + LinePoints(e.points));
  }
  for (const auto& l : s.rule_lines) {
    Add(&o, std::to_string(static_cast<int>(l.kind)) + "#" + std::to_string(l.rule) + "/" +
                std::to_string(l.count) + "/" + LinePoints(l.points));
  }
  for (const auto& h : s.history) {
    Add(&o, std::to_string(h.at) + StageName(h.from) + ">" + StageName(h.to) + h.by +
                h.reason.value_or("-") + h.rule.value_or("-") + (h.exception ? "!" : "") +
                std::to_string(h.playbook_version));
  }
  for (const auto& c : s.clocks) {
    Add(&o, std::to_string(c.mql_at) + "," + std::to_string(c.due) + "," +
                std::to_string(c.responded_at.value_or(-1)) + c.responded_by.value_or("-"));
  }
  for (const auto& w : s.warnings) Add(&o, w);
  for (const auto& [seq, why] : s.skipped_actions) Add(&o, std::to_string(seq) + why);
  Add(&o, s.bant_passes ? "bant" : "nobant");
  Add(&o, std::to_string(s.last_activity_at.value_or(-1)) + "," +
              std::to_string(s.last_touch_at.value_or(-1)) + "," +
              std::to_string(s.entered_stage_at.value_or(-1)) + "," + s.owner.value_or("-"));
  return o;
}

}  // namespace leadgate::fold_support
