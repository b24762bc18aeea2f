// Guards the fold's fast paths (MatchCache bitmasks, per-activity memo,
// trait-disqualify rules evaluated only when fields change, sort skipping,
// field memo): folds generated leads plus hand-made edge cases under three
// playbook versions, in sorted and in shuffled input order, with and without
// caches, and compares a digest of every LeadState with the digest the
// implementation before those optimizations produced (commit 6f7dc30). Rule
// lines' points enter the digest to 12 significant digits (LinePoints): since
// the rule sums are kept at an anchor (scoring.h) their last bits differ from
// the per-rule decay's; the pin below is the pre-anchor fold's (f01fe9b)
// digest in that form, and every total is still compared to the last bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include "fold/fold.h"
#include "fold_support.h"
#include "ingest/jsonl.h"

namespace leadgate {
namespace {

using fold_support::Describe;
using fold_support::GeneratedLines;
using fold_support::ParseEventLines;

constexpr Micros kStart = 1772323200LL * 1000000;  // 2026-03-01T00:00:00Z

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ReplaceAll(std::string* s, const std::string& from, const std::string& to) {
  size_t pos = 0;
  while ((pos = s->find(from, pos)) != std::string::npos) {
    s->replace(pos, from.size(), to);
    pos += to.size();
  }
}

std::vector<PlaybookVersion> Versions() {
  std::string v1 = ReadFile(std::string(LEADGATE_SOURCE_DIR) + "/playbooks/default.yaml");
  // v2: the competitor rule (same id) also catches gmail, a new trait rule,
  // lower MQL bar, a property rule on the same url group.
  std::string v2 = v1;
  ReplaceAll(&v2, "rivalcorp|othercrm", "rivalcorp|othercrm|gmail");
  ReplaceAll(&v2, "  engagement: 40\n", "  engagement: 25\n");
  ReplaceAll(&v2, "disqualify:\n  - id: unsubscribed",
             "disqualify:\n  - id: no-title\n    when: { not: { field: job_title, exists: true } "
             "}\n    reason: No title\n  - id: unsubscribed");
  ReplaceAll(&v2, "    - id: careers-page\n",
             "    - id: any-url\n      event: page_view\n      when: { property: url, "
             "exists: true }\n      points: 1\n      limit: { count: 2, per: 3d }\n"
             "    - id: careers-page\n");
  // v3: back to v1's rules (the competitor rule keeps its id throughout).
  std::string v3 = v1;
  ReplaceAll(&v3, "name: Leadgate default B2B playbook", "name: v3");
  std::vector<PlaybookVersion> out;
  int64_t n = 1;
  for (const std::string* y : {&v1, &v2, &v3}) {
    auto pb = LoadPlaybook(*y, "v" + std::to_string(n) + ".yaml");
    EXPECT_TRUE(pb.ok()) << pb.status().message();
    PlaybookVersion v;
    v.version = n;
    v.applied_at = n == 1 ? INT64_MIN : kStart + (n == 2 ? 20 : 40) * kDay;
    v.playbook = *pb;
    out.push_back(v);
    ++n;
  }
  return out;
}

std::vector<Event> Events() {
  std::string data = GeneratedLines(400, 8000, 7);
  // Hand-made leads: competitor and changing emails, removed traits, nested
  // and odd values, ties at one timestamp.
  auto line = [&](const std::string& type, const std::string& lead, const std::string& body,
                  int64_t day, const std::string& mid) {
    std::string ts = FormatRfc3339(kStart + day * kDay + 10 * kHour);
    data += "{\"type\":\"" + type + "\",\"userId\":\"" + lead + "\"," + body + ",\"timestamp\":\"" +
            ts + "\",\"messageId\":\"" + mid + "\"}\n";
  };
  line("identify", "X-1", R"("traits":{"email":"a@rivalcorp.com","job_title":"VP Sales"})", 1,
       "x1a");
  line("track", "X-1", R"("event":"form_submitted","properties":{"form":"demo"})", 2, "x1b");
  line("identify", "X-1", R"("traits":{"email":"a@acme.com"})", 3, "x1c");
  line("identify", "X-1", R"("traits":{"email":"a@othercrm.com"})", 4, "x1d");
  line("identify", "X-2", R"("traits":{"email":"b@gmail.com","job_title":"Director"})", 1, "x2a");
  line("track", "X-2", R"("event":"form_submitted","properties":{"form":" DEMO "})", 25, "x2b");
  line("identify", "X-2", R"("traits":{"job_title":null})", 30, "x2c");
  // Nested: only under v3 (no exists rule on url: the nested fix changes nothing here).
  line("page", "X-2", R"("name":"p","properties":{"url":{"a":1}})", 45, "x2d");
  line("page", "X-2", R"("name":"p","properties":{"url":"/pricing"})", 31, "x2e");
  line("page", "X-2", R"("name":"p","properties":{"url":"/pricing"})", 31, "x2f");
  line("identify", "X-3", R"("traits":{"company_size":"about 50","phone":""})", 1, "x3a");
  line("track", "X-3", R"("event":"email_bounced","properties":{"bounce":"hard"})", 2, "x3b");
  line("identify", "X-3", R"("traits":{"company_size":"120","email":"c@uni.edu"})", 45, "x3c");
  return ParseEventLines(data);
}

uint64_t Fnv(uint64_t h, const std::string& s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

TEST(FoldPerfRegress, DigestMatchesThePreOptimizationFold) {
  const std::vector<PlaybookVersion> versions = Versions();
  ASSERT_EQ(versions.size(), 3u);
  const std::vector<Event> events = Events();
  ASSERT_GT(events.size(), 8000u);
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Event*>> by_lead;
  for (const Event& e : events) {
    if (!by_lead.count(e.lead_id)) order.push_back(e.lead_id);
    by_lead[e.lead_id].push_back(&e);
  }
  // Actions for some leads: accepted, refused and back-dated ones.
  std::vector<Action> actions;
  int64_t seq = 0;
  for (size_t i = 0; i < order.size(); i += 7) {
    const std::string& id = order[i];
    Micros t = by_lead[id].front()->ts;
    auto act = [&](ActionKind k, Role r, Micros at, std::optional<std::string> reason) {
      Action a;
      a.seq = ++seq;
      a.lead_id = id;
      a.kind = k;
      a.by = r == Role::kManager ? "mgr" : "rep";
      a.role = r;
      a.ts = at;
      a.reason = std::move(reason);
      actions.push_back(a);
    };
    act(ActionKind::kAccept, Role::kRep, t + 3 * kDay, std::nullopt);
    act(ActionKind::kReject, Role::kRep, t + 3 * kDay, std::string("not now"));
    act(ActionKind::kDisqualify, Role::kRep, t + 35 * kDay, std::string("no budget"));
    act(ActionKind::kReopen, Role::kManager, t + 36 * kDay, std::string("came back"));
    act(ActionKind::kReopen, Role::kRep, t + 37 * kDay, std::string("refused"));
  }
  std::map<std::string, std::vector<const Action*>> actions_by_lead;
  for (const Action& a : actions) actions_by_lead[a.lead_id].push_back(&a);

  std::vector<MatchCache> caches;
  for (const auto& v : versions) caches.emplace_back(v.playbook->memo_slots);
  uint64_t digest = 1469598103934665603ULL;
  for (Micros as_of : {INT64_MAX, kStart + 30 * kDay, kStart + 40 * kDay}) {
    for (int variant = 0; variant < 3; ++variant) {
      uint64_t h = 1469598103934665603ULL;
      for (const std::string& id : order) {
        std::vector<const Event*> evs = by_lead[id];
        std::vector<const Action*> acts = actions_by_lead[id];
        if (variant == 2) {  // arrival order must not matter
          std::reverse(evs.begin(), evs.end());
          std::reverse(acts.begin(), acts.end());
        }
        FoldOptions opts;
        opts.as_of = as_of;
        opts.caches = variant == 1 ? nullptr : &caches;
        h = Fnv(h, Describe(Fold(id, evs, acts, versions, opts)));
      }
      if (variant == 0) {
        digest = Fnv(digest, std::to_string(h));
        std::printf("as_of %lld: %016llx\n", static_cast<long long>(as_of),
                    static_cast<unsigned long long>(h));
      }
      static uint64_t first = 0;
      if (variant == 0) first = h;
      EXPECT_EQ(h, first) << "variant " << variant << " (1: no cache, 2: reversed input) differs";
    }
  }
  std::printf("digest %016llx\n", static_cast<unsigned long long>(digest));
  EXPECT_EQ(digest, 0xb9073dbc7f063b5dULL) << "the fold's results changed";
}

// FoldOptions::lean (the backtest's replay) leaves out the traits (with one
// version in force) and the warnings, and nothing else: every other member
// equals the full fold's, under one version and under three.
TEST(FoldPerfRegress, LeanFoldEqualsTheFullFoldButTraitsAndWarnings) {
  const std::vector<PlaybookVersion> all = Versions();
  ASSERT_EQ(all.size(), 3u);
  const std::vector<Event> events = Events();
  std::vector<std::string> order;
  std::map<std::string, std::vector<const Event*>> by_lead;
  for (const Event& e : events) {
    if (!by_lead.count(e.lead_id)) order.push_back(e.lead_id);
    by_lead[e.lead_id].push_back(&e);
  }
  std::vector<Action> actions;  // accepted and refused ones (refusals warn)
  int64_t seq = 0;
  for (size_t i = 0; i < order.size(); i += 5) {
    const std::string& id = order[i];
    Micros t = by_lead[id].front()->ts;
    for (ActionKind k : {ActionKind::kAccept, ActionKind::kPromote, ActionKind::kDisqualify}) {
      Action a;
      a.seq = ++seq;
      a.lead_id = id;
      a.kind = k;
      a.by = "rep";
      a.role = Role::kRep;
      a.ts = t + seq % 9 * kDay;
      if (k == ActionKind::kDisqualify) a.reason = "no budget";
      actions.push_back(a);
    }
  }
  std::map<std::string, std::vector<const Action*>> actions_by_lead;
  for (const Action& a : actions) actions_by_lead[a.lead_id].push_back(&a);
  for (int set = 0; set < 3; ++set) {
    std::vector<PlaybookVersion> versions =
        set == 2 ? all : std::vector<PlaybookVersion>{all[static_cast<size_t>(set)]};
    std::vector<MatchCache> caches;
    for (const auto& v : versions) caches.emplace_back(v.playbook->memo_groups);
    int with_traits = 0, with_warnings = 0, with_lines = 0;
    for (const std::string& id : order) {
      FoldOptions full;
      full.caches = &caches;
      FoldOptions lean = full;
      lean.lean = true;
      LeadState a = Fold(id, by_lead[id], actions_by_lead[id], versions, full);
      LeadState b = Fold(id, by_lead[id], actions_by_lead[id], versions, lean);
      with_traits += !a.traits.empty();
      with_lines += a.explanation.size() > 1;
      with_warnings += !a.warnings.empty();
      EXPECT_TRUE(b.warnings.empty()) << id;
      EXPECT_TRUE(b.fields.empty()) << id;
      a.fields.clear();
      // The explanation comes as rule indices: the same lines.
      EXPECT_TRUE(b.explanation.empty()) << id;
      EXPECT_EQ(b.rule_lines.size(), a.explanation.size()) << id;
      for (const auto& v : versions) {
        if (v.version == b.playbook_version) b.explanation = ExplanationOf(b, *v.playbook);
      }
      b.rule_lines.clear();
      if (versions.size() == 1) {
        EXPECT_TRUE(b.traits.empty()) << id;
        a.traits.clear();
      }
      a.warnings.clear();
      EXPECT_EQ(Describe(a), Describe(b)) << "set " << set << ", lead " << id;
    }
    EXPECT_GT(with_traits, 100) << "set " << set;
    EXPECT_GT(with_warnings, 10) << "set " << set;
    EXPECT_GT(with_lines, 100) << "set " << set;
  }
}

}  // namespace
}  // namespace leadgate
