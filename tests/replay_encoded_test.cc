// The backtest's encoded replay (fold/encoded.h: events dictionary-encoded,
// each `when` that reads only properties classified once per property set)
// folds to exactly the live fold's LeadState: under playbook versions whose
// conditions mix property-only and field-reading terms, regex matches,
// limits and event-triggered disqualify rules, with version switches
// (rescoring), recorded actions, several as_of, full and lean.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "app/backtest.h"
#include "fold/encoded.h"
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

void ReplaceOnce(std::string* s, const std::string& from, const std::string& to) {
  size_t pos = s->find(from);
  ASSERT_NE(pos, std::string::npos) << from;
  s->replace(pos, from.size(), to);
}

// v1: the default playbook plus rules whose `when` mixes property and field
// terms; v2 (day 20): other mixes, a property rule over two properties, a
// field-reading event-triggered disqualify rule; v3 (day 40): back to v1.
std::vector<PlaybookVersion> Versions() {
  const std::string base = ReadFile(std::string(LEADGATE_SOURCE_DIR) + "/playbooks/default.yaml");
  std::string v1 = base;
  ReplaceOnce(&v1, "    - id: careers-page\n",
              "    - id: pricing-by-leader\n      event: page_view\n"
              "      when: { all: [ { property: url, matches: '(?i)/pric' },\n"
              "                     { field: job_title, matches: '(?i)(director|vp|head)' } ] }\n"
              "      points: 7\n      limit: { count: 2, per: 2d }\n"
              "    - id: docs-or-big\n      event: page_view\n"
              "      when: { any: [ { property: url, matches: '(?i)/docs' },\n"
              "                     { field: company_size, gte: 1000 } ] }\n"
              "      points: 2\n      limit: { count: 5, per: 7d }\n"
              "    - id: careers-page\n");
  std::string v2 = base;
  ReplaceOnce(&v2, "  engagement: 40\n", "  engagement: 30\n");
  ReplaceOnce(&v2, "    - id: careers-page\n",
              "    - id: url-and-title\n      event: page_view\n"
              "      when: { all: [ { property: url, exists: true },\n"
              "                     { not: { property: title, in: [home, Home] } },\n"
              "                     { not: { field: email, matches: '(?i)@gmail' } } ] }\n"
              "      points: 1\n      limit: { count: 3, per: 3d }\n"
              "    - id: demo-form-any\n      event: form_submitted\n"
              "      when: { any: [ { property: form, equals: demo },\n"
              "                     { property: source, matches: '(?i)ads?' } ] }\n"
              "      points: 5\n      limit: { count: 1 }\n"
              "    - id: careers-page\n");
  ReplaceOnce(&v2, "    when: { property: bounce, equals: hard }",
              "    when: { any: [ { property: bounce, equals: hard },\n"
              "                   { field: company_size, lt: 20 } ] }");
  std::string v3 = v1;
  ReplaceOnce(&v3, "name: Leadgate default B2B playbook", "name: v3");
  std::vector<PlaybookVersion> out;
  int64_t n = 1;
  for (const std::string* y : {&v1, &v2, &v3}) {
    auto pb = LoadPlaybook(*y, "v" + std::to_string(n) + ".yaml");
    EXPECT_TRUE(pb.ok()) << pb.status().message();
    if (!pb.ok()) return {};
    PlaybookVersion v;
    v.version = n;
    v.applied_at = n == 1 ? 0 : kStart + (n == 2 ? 20 : 40) * kDay;
    v.playbook = *pb;
    out.push_back(v);
    ++n;
  }
  return out;
}

std::vector<Event> Events() {
  std::string data = GeneratedLines(300, 7000, 11);
  auto line = [&](const std::string& type, const std::string& lead, const std::string& body,
                  int64_t day, const std::string& mid) {
    std::string ts = FormatRfc3339(kStart + day * kDay + 10 * kHour);
    data += "{\"type\":\"" + type + "\",\"userId\":\"" + lead + "\"," + body + ",\"timestamp\":\"" +
            ts + "\",\"messageId\":\"" + mid + "\"}\n";
  };
  // Equal property sets in another order, nested and odd values, a title
  // change between equal page views, ties at one timestamp.
  line("identify", "X-1",
       R"("traits":{"email":"a@acme.com","job_title":"Director","company_size":"15"})", 1, "a1");
  for (int i = 0; i < 4; ++i) {
    line("page", "X-1", R"("name":"p","properties":{"url":"/pricing","title":"Pricing"})", 2 + i,
         "a2" + std::to_string(i));
    line("page", "X-1", R"("name":"p","properties":{"title":"Pricing","url":"/pricing"})", 2 + i,
         "a3" + std::to_string(i));
  }
  line("identify", "X-1", R"("traits":{"job_title":"Engineer"})", 6, "a4");
  line("page", "X-1", R"("name":"p","properties":{"url":"/pricing","title":"Pricing"})", 7, "a5");
  line("track", "X-1", R"("event":"email_bounced","properties":{"bounce":"soft"})", 8, "a6");
  line("track", "X-1", R"("event":"email_bounced","properties":{"bounce":"soft"})", 22, "a7");
  line("identify", "X-2", R"("traits":{"email":"b@gmail.com","company_size":5000})", 1, "b1");
  line("page", "X-2", R"("name":"p","properties":{"url":{"a":1}})", 2, "b2");
  line("page", "X-2", R"("name":"p","properties":{"url":"/docs/x","title":"home"})", 21, "b3");
  line("page", "X-2", R"("name":"p","properties":{"url":"/docs/x","title":"home"})", 21, "b4");
  line("track", "X-2", R"("event":"form_submitted","properties":{"form":"other","source":"Ads"})",
       22, "b5");
  line("track", "X-2", R"("event":"form_submitted","properties":{"form":"demo","source":7})", 41,
       "b6");
  line("identify", "X-2", R"("traits":{"email":null})", 42, "b7");
  line("page", "X-2", R"("name":"p","properties":{"url":"/pricing","title":"x"})", 43, "b8");
  return ParseEventLines(data);
}

TEST(ReplayEncoded, EqualsTheLiveFoldUnderMixedPropertyAndFieldConditions) {
  const std::vector<PlaybookVersion> all = Versions();
  ASSERT_EQ(all.size(), 3u);
  std::vector<Event> events = Events();
  ASSERT_GT(events.size(), 7000u);
  std::map<std::string, std::vector<const Event*>> by_lead;
  for (const Event& e : events) by_lead[e.lead_id].push_back(&e);
  // Actions: accepted, refused and promoted ones.
  std::vector<Action> actions;
  int64_t seq = 0;
  size_t k = 0;
  for (const auto& [id, evs] : by_lead) {
    if (k++ % 6 != 0) continue;
    for (ActionKind kind : {ActionKind::kAccept, ActionKind::kPromote, ActionKind::kReject}) {
      Action a;
      a.seq = ++seq;
      a.lead_id = id;
      a.kind = kind;
      a.by = "rep";
      a.role = Role::kRep;
      a.ts = evs.front()->ts + (seq % 11) * kDay;
      if (kind == ActionKind::kReject) a.reason = "not now";
      actions.push_back(a);
    }
  }
  std::map<std::string, std::vector<const Action*>> actions_by_lead;
  for (const Action& a : actions) actions_by_lead[a.lead_id].push_back(&a);

  ReplayLog log;
  BuildReplayLog(events, actions, &log);
  ASSERT_EQ(log.leads.size(), by_lead.size());
  // Equal property sets share an id: far fewer sets than events.
  EXPECT_LT(log.encoded.props.size() * 2, log.encoded.size());

  int compared = 0, differ_by_version = 0;
  for (int set = 0; set < 3; ++set) {
    const std::vector<PlaybookVersion> versions =
        set == 2 ? all : std::vector<PlaybookVersion>{all[static_cast<size_t>(set)]};
    std::vector<MatchCache> live_caches, enc_caches;
    for (const auto& v : versions) {
      live_caches.emplace_back(v.playbook->memo_groups);
      enc_caches.emplace_back(v.playbook->memo_groups);
    }
    ReplayClassifier cls;
    cls.Prepare(log.encoded, versions, false);
    for (bool lean : {false, true}) {
      for (Micros as_of : {INT64_MAX, kStart + 21 * kDay, kStart + 45 * kDay}) {
        FoldOptions opts;
        opts.as_of = as_of;
        opts.lean = lean;
        for (const ReplayLead& l : log.leads) {
          opts.caches = &live_caches;
          const std::string a =
              Describe(Fold(l.id, by_lead[l.id], actions_by_lead[l.id], versions, opts));
          opts.caches = &enc_caches;
          const std::string b = Describe(
              FoldEncoded(l.id, log.encoded, l.begin, l.end, l.action_ptrs, versions, opts, &cls));
          EXPECT_EQ(a, b) << "set " << set << ", lean " << lean << ", as_of " << as_of << ", lead "
                          << l.id;
          ++compared;
          if (set == 2 && !lean && as_of == INT64_MAX) {
            FoldOptions one;
            differ_by_version +=
                a != Describe(Fold(l.id, by_lead[l.id], actions_by_lead[l.id], {all[0]}, one));
          }
        }
      }
    }
  }
  EXPECT_EQ(compared, 3 * 2 * 3 * static_cast<int>(log.leads.size()));
  // The versions matter: the mixed rules change many leads' states.
  EXPECT_GT(differ_by_version, 50);

  // ReplayAll (two workers, encoded) gives every lead its live state too.
  std::vector<std::string> replayed(log.leads.size());
  ReplayAll(log, all, 2, [&](size_t i, const LeadState& s) { replayed[i] = Describe(s); });
  for (size_t i = 0; i < log.leads.size(); ++i) {
    const ReplayLead& l = log.leads[i];
    EXPECT_EQ(Describe(Fold(l.id, by_lead[l.id], actions_by_lead[l.id], all, {})), replayed[i])
        << l.id;
  }
}

// Generated events (fold_support::GeneratedLines), by lead, and their
// replay log without actions.
struct GeneratedLog {
  GeneratedLog(int64_t leads, int64_t events, uint64_t seed)
      : events(ParseEventLines(GeneratedLines(leads, events, seed))) {
    for (const Event& e : this->events) by_lead[e.lead_id].push_back(&e);
    BuildReplayLog(this->events, {}, &log);
  }
  GeneratedLog(const GeneratedLog&) = delete;  // by_lead points into events
  std::vector<Event> events;
  std::map<std::string, std::vector<const Event*>> by_lead;
  ReplayLog log;
};

// The classification splits its values between threads from 4,096 values
// on (each thread with its own RE2::Set of a field's patterns): with 5,000
// leads, the emails (one or more a lead) are classified in two parts, and
// the replay still gives every lead its live state.
TEST(ReplayEncoded, TwoClassifyingThreadsGiveTheLiveStates) {
  GeneratedLog g(5000, 12000, 5);
  const ReplayLog& log = g.log;
  auto& by_lead = g.by_lead;
  ASSERT_GT(log.encoded.tval_key.size(), 2u * 4096u);
  const std::vector<PlaybookVersion> versions = {Versions()[0]};
  std::vector<std::string> one(log.leads.size()), two(log.leads.size());
  ReplayAll(log, versions, 1, [&](size_t i, const LeadState& s) { one[i] = Describe(s); });
  ReplayAll(log, versions, 2, [&](size_t i, const LeadState& s) { two[i] = Describe(s); });
  int disqualified = 0;
  for (size_t i = 0; i < log.leads.size(); ++i) {
    const ReplayLead& l = log.leads[i];
    const LeadState live = Fold(l.id, by_lead[l.id], {}, versions, {});
    disqualified += live.stage == Stage::kDisq;
    EXPECT_EQ(Describe(live), one[i]) << l.id;
    EXPECT_EQ(one[i], two[i]) << l.id;
  }
  // The patterns on emails and titles decide something: some leads are
  // disqualified by them.
  EXPECT_GT(disqualified, 50);
}

// A candidate that differs from the playbook in force only in its MQL
// minimums (RulesText equal) takes the current side's classification
// (ReplayClassifier::Seed) instead of classifying the log again. The copy
// outlives its donor, and folds every lead to the candidate's live state.
TEST(ReplayEncoded, SeededClassificationOutlivesItsDonorAndGivesTheLiveStates) {
  GeneratedLog g(800, 9000, 11);
  const ReplayLog& log = g.log;
  auto& by_lead = g.by_lead;
  const PlaybookVersion current = Versions()[0];
  auto lower = std::make_shared<Playbook>(*current.playbook);
  lower->mql.engagement = 10;
  lower->mql.fit = 5;
  ASSERT_TRUE(RulesText(*current.playbook).has_value());
  EXPECT_EQ(RulesText(*current.playbook), RulesText(*lower));
  const std::vector<PlaybookVersion> cand = {{2, current.applied_at, lower}};

  ReplayClassifier seeded;
  {
    ReplayClassifier donor;
    donor.Prepare(log.encoded, {current}, false);
    seeded.Seed(log.encoded, 1, 0, donor, 0);
  }  // the donor (and its typed values) is gone
  seeded.Prepare(log.encoded, cand, /*keep=*/true);
  EXPECT_EQ(seeded.classifications(), 0);  // the copy is used, not recomputed
  std::vector<MatchCache> caches;
  caches.emplace_back(lower->memo_groups);
  FoldOptions opts;
  opts.caches = &caches;
  int mql_only_lower = 0;
  for (const ReplayLead& l : log.leads) {
    const LeadState live = Fold(l.id, by_lead[l.id], {}, cand, {});
    EXPECT_EQ(Describe(live), Describe(FoldEncoded(l.id, log.encoded, l.begin, l.end, l.action_ptrs,
                                                   cand, opts, &seeded)))
        << l.id;
    const LeadState was = Fold(l.id, by_lead[l.id], {}, {current}, {});
    mql_only_lower += live.stage == Stage::kMql && was.stage != Stage::kMql;
  }
  EXPECT_GT(mql_only_lower, 10);  // the lower minimums change outcomes

  // From files: other MQL minimums and another SLA are the same rules text.
  const std::string base = ReadFile(std::string(LEADGATE_SOURCE_DIR) + "/playbooks/default.yaml");
  std::string minimums = base;
  ReplaceOnce(&minimums, "  engagement: 40\n", "  engagement: 20\n");
  ReplaceOnce(&minimums, "  first_response: 5m", "  first_response: 15m");
  auto a = LoadPlaybook(base, "a.yaml");
  auto b = LoadPlaybook(minimums, "b.yaml");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(RulesText(**a), RulesText(**b));
  EXPECT_EQ(RulesText(**a)->find("first_response"), std::string::npos);
  // An anchor in a cut block might be aliased from a kept one: no text.
  std::string anchored = base;
  ReplaceOnce(&anchored, "mql:\n", "mql: &minimums\n");
  auto c = LoadPlaybook(anchored, "c.yaml");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_FALSE(RulesText(**c).has_value());

  // Another rule, or another pattern, is another classification.
  std::string other = current.playbook->source;
  ReplaceOnce(&other, "(?i)/pricing", "(?i)/prices");
  auto changed = LoadPlaybook(other, "changed.yaml");
  ASSERT_TRUE(changed.ok()) << changed.status().message();
  EXPECT_NE(RulesText(*current.playbook), RulesText(**changed));
}

}  // namespace
}  // namespace leadgate
