// The rules of shared/spec/playbook.md, one by one, through the pure fold:
// each test builds a lead's timeline (events, actions, playbook versions) and
// checks what a user would see: stage, scores, explanation, history, BANT,
// clocks and warnings. No store, no binary: these run in milliseconds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "fold/fold.h"

namespace leadgate {
namespace {

// ---------------------------------------------------------------------------
// Test vocabulary
// ---------------------------------------------------------------------------

Micros T(std::string_view s) {
  auto t = ParseDateOrTime(s);
  EXPECT_TRUE(t.has_value()) << "bad time in test: " << s;
  return t.value_or(0);
}

Value S(std::string s) { return Value::String(std::move(s)); }
Value N(double d) { return Value::Number(d); }
Value B(bool b) { return Value::Bool(b); }

std::shared_ptr<const Playbook> PB(const std::string& yaml) {
  auto r = LoadPlaybook(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : nullptr;
}

struct ActOpts {
  std::optional<std::string> reason, channel;
  std::optional<BantAnswers> bant;
  std::optional<int64_t> seq;  // default: recording order
};
ActOpts Reason(std::string r) {
  ActOpts o;
  o.reason = std::move(r);
  return o;
}
ActOpts Channel(std::string c) {
  ActOpts o;
  o.channel = std::move(c);
  return o;
}
ActOpts Qual(BantAnswers b) {
  ActOpts o;
  o.bant = std::move(b);
  return o;
}
ActOpts Seq(int64_t seq, ActOpts o = {}) {
  o.seq = seq;
  return o;
}

// One lead's timeline, built in the order a test finds readable. Events get
// messageIds "m-0001", "m-0002", ... (byte order = creation order) unless a
// test names them.
class Lead {
 public:
  explicit Lead(std::shared_ptr<const Playbook> pb, std::string id = "L-1") : id_(std::move(id)) {
    versions_.push_back({1, INT64_MIN, std::move(pb)});
  }

  Lead& Apply(std::shared_ptr<const Playbook> pb, std::string_view at) {
    versions_.push_back({versions_.back().version + 1, T(at), std::move(pb)});
    return *this;
  }

  Lead& Identify(std::string_view at, Props traits, std::string mid = "") {
    return Add(EventType::kIdentify, "identify", at, std::move(traits), std::move(mid));
  }
  Lead& Track(std::string_view at, std::string name, Props props = {}, std::string mid = "") {
    return Add(EventType::kTrack, std::move(name), at, std::move(props), std::move(mid));
  }
  Lead& Page(std::string_view at, std::string url, std::string mid = "") {
    return Add(EventType::kPage, "page_view", at, {{"url", S(std::move(url))}}, std::move(mid));
  }
  Lead& Other(std::string_view at, std::string type, std::string mid = "") {
    return Add(EventType::kOther, std::move(type), at, {}, std::move(mid));
  }
  Lead& AddEvent(std::string_view at, EventType type, std::string name, Props props) {
    return Add(type, std::move(name), at, std::move(props), "");
  }

  Lead& Do(std::string_view at, ActionKind kind, std::string by, Role role, ActOpts o = {}) {
    Action a;
    a.seq = o.seq.value_or(static_cast<int64_t>(actions_.size()) + 1);
    a.lead_id = id_;
    a.kind = kind;
    a.by = std::move(by);
    a.role = role;
    a.ts = T(at);
    a.reason = o.reason;
    a.channel = o.channel;
    a.bant = o.bant;
    actions_.push_back(std::move(a));
    return *this;
  }

  LeadState At(std::string_view t) const { return FoldAs(T(t)); }
  LeadState Latest() const { return FoldAs(INT64_MAX); }

  LeadState FoldAs(Micros as_of) const {
    std::vector<const Event*> ev;
    for (const auto& e : events_) ev.push_back(&e);
    std::vector<const Action*> ac;
    for (const auto& a : actions_) ac.push_back(&a);
    return Fold(id_, ev, ac, versions_, FoldOptions{as_of});
  }

  std::vector<Event>& events() { return events_; }
  std::vector<Action>& actions() { return actions_; }
  const std::vector<PlaybookVersion>& versions() const { return versions_; }
  const std::string& id() const { return id_; }

 private:
  Lead& Add(EventType type, std::string name, std::string_view at, Props props, std::string mid) {
    Event e;
    e.type = type;
    e.name = std::move(name);
    e.lead_id = id_;
    e.ts = T(at);
    e.props = std::move(props);
    if (mid.empty()) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "m-%04zu", events_.size() + 1);
      mid = buf;
    }
    e.message_id = std::move(mid);
    events_.push_back(std::move(e));
    return *this;
  }

  std::string id_;
  std::vector<Event> events_;
  std::vector<Action> actions_;
  std::vector<PlaybookVersion> versions_;
};

const ExplanationLine* Line(const LeadState& s, std::string_view rule) {
  for (const auto& l : s.explanation) {
    if (l.rule == rule) return &l;
  }
  return nullptr;
}

double SumOfParts(const LeadState& s) {
  double sum = 0;
  for (const auto& l : s.explanation) sum += l.points;
  return sum;
}

std::string Trait(const LeadState& s, const std::string& k) {
  auto it = s.traits.find(k);
  return it == s.traits.end() ? "<absent>" : it->second.ToJson();
}

bool HasWarning(const LeadState& s, std::string_view needle) {
  for (const auto& w : s.warnings) {
    if (w.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string Warnings(const LeadState& s) {
  std::string out;
  for (const auto& w : s.warnings) out += "\n  " + w;
  return out.empty() ? " (none)" : out;
}

// Everything a user can see about a lead, as text: equal texts = same lead.
std::string Summary(const LeadState& s) {
  std::ostringstream o;
  o.precision(12);
  o << "exists=" << s.exists << " stage=" << StageName(s.stage) << " fit=" << s.fit
    << " eng=" << s.engagement << " total=" << s.total << "\n";
  for (const auto& l : s.explanation) {
    o << "  line " << l.rule << "/" << l.kind << " x" << l.count << " " << l.points << "\n";
  }
  for (const auto& [k, v] : s.traits) o << "  trait " << k << "=" << v.ToJson() << "\n";
  for (const auto& h : s.history) {
    o << "  hist " << FormatRfc3339(h.at) << " " << StageName(h.from) << "->" << StageName(h.to)
      << " by " << h.by << " reason=" << h.reason.value_or("null")
      << " rule=" << h.rule.value_or("null") << " exc=" << h.exception << " v" << h.playbook_version
      << "\n";
  }
  if (s.bant) {
    o << "  bant " << s.bant->budget.value_or("-") << " " << s.bant->authority.value_or("-") << " "
      << s.bant->by << " " << FormatRfc3339(s.bant->at) << " passes=" << s.bant_passes << "\n";
  }
  for (const auto& c : s.clocks) {
    o << "  clock " << FormatRfc3339(c.mql_at) << " due " << FormatRfc3339(c.due) << " resp "
      << (c.responded_at ? FormatRfc3339(*c.responded_at) : "-") << "\n";
  }
  for (const auto& w : s.warnings) o << "  warn " << w << "\n";
  return o.str();
}

std::string HistoryText(const LeadState& s) {
  std::string out;
  for (const auto& h : s.history) {
    out += std::string(StageName(h.from)) + "->" + StageName(h.to) + "@" + FormatRfc3339(h.at) +
           " by " + h.by + " (" + h.reason.value_or("null") + "); ";
  }
  return out.empty() ? "(no history)" : out;
}

BantAnswers Answers(std::string budget, std::string authority, std::string need,
                    std::string timeline) {
  BantAnswers a;
  a.budget = std::move(budget);
  a.authority = std::move(authority);
  a.need = std::move(need);
  a.timeline = std::move(timeline);
  return a;
}

Props FormProps(std::string budget, std::string authority, std::string need, std::string timeline) {
  return {{"budget", S(std::move(budget))},
          {"authority", S(std::move(authority))},
          {"need", S(std::move(need))},
          {"timeline", S(std::move(timeline))}};
}

constexpr double kEps = 1e-9;

// A small playbook most stage tests share: fit from job title, engagement
// from webinars (no decay), an MQL at total >= 30, a 5-minute SLA.
const char* kStagePlaybook = R"(
fields:
  email: text
  job_title: text
fit:
  - id: director
    when: { field: job_title, matches: '(?i)director' }
    points: 20
engagement:
  rules:
    - id: webinar
      event: webinar_attended
      points: 10
    - id: pricing
      event: page_view
      when: { property: url, matches: '/pricing' }
      points: 10
disqualify:
  - id: unsubscribed
    event: unsubscribed
    reason: Unsubscribed from email
  - id: competitor
    when: { field: email, matches: '(?i)@rivalcorp\.com$' }
    reason: Works for a competitor
mql:
  total: 30
bant:
  form_event: bant_form_submitted
sla:
  first_response: 5m
)";

// A lead that becomes an MQL at 2026-03-01T10:00:00Z (director + webinar).
Lead MqlLead(std::shared_ptr<const Playbook> pb) {
  Lead l(std::move(pb));
  l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Director of IT")}});
  l.Track("2026-03-01T10:00:00Z", "webinar_attended");
  return l;
}

// ---------------------------------------------------------------------------
// Engagement: decay
// ---------------------------------------------------------------------------

const char* kDecayPlaybook = R"(
engagement:
  half_life: 30d
  rules:
    - id: webinar
      event: webinar_attended
      points: 10
)";

TEST(FoldDecay, TenPointsOneHalfLifeAgoAreWorthFive) {
  Lead l(PB(kDecayPlaybook));
  l.Track("2026-01-01T00:00:00Z", "webinar_attended");
  LeadState s = l.At("2026-01-31T00:00:00Z");
  EXPECT_NEAR(s.engagement, 5.0, kEps);
  EXPECT_NEAR(s.total, 5.0, kEps);
  ASSERT_NE(Line(s, "webinar"), nullptr);
  EXPECT_EQ(Line(s, "webinar")->count, 1);
  EXPECT_NEAR(Line(s, "webinar")->points, 5.0, kEps);
  // Two half-lives: a quarter.
  EXPECT_NEAR(l.At("2026-03-02T00:00:00Z").engagement, 2.5, kEps);
  // At the activity itself: full points.
  EXPECT_NEAR(l.At("2026-01-01T00:00:00Z").engagement, 10.0, kEps);
}

TEST(FoldDecay, EachActivityDecaysFromItsOwnTimestamp) {
  Lead l(PB(kDecayPlaybook));
  l.Track("2026-01-01T00:00:00Z", "webinar_attended");
  l.Track("2026-01-31T00:00:00Z", "webinar_attended");
  LeadState s = l.At("2026-01-31T00:00:00Z");
  EXPECT_NEAR(s.engagement, 15.0, kEps);  // 10 x 0.5 + 10
  EXPECT_EQ(Line(s, "webinar")->count, 2);
  EXPECT_NEAR(l.At("2026-03-02T00:00:00Z").engagement, 7.5, kEps);  // 2.5 + 5
  // Fractional half-lives: 12 hours of a 30-day half-life.
  double want = 10 * std::pow(0.5, 0.5 / 30.0) + 10 * std::pow(0.5, 30.5 / 30.0);
  EXPECT_NEAR(l.At("2026-01-31T12:00:00Z").engagement, want, 1e-9);
}

TEST(FoldDecay, WithoutHalfLifeThereIsNoDecay) {
  Lead l(PB(R"(
engagement:
  rules:
    - id: webinar
      event: webinar_attended
      points: 10
)"));
  l.Track("2025-01-01T00:00:00Z", "webinar_attended");
  LeadState s = l.At("2026-06-01T00:00:00Z");
  EXPECT_NEAR(s.engagement, 10.0, kEps);
  EXPECT_NEAR(Line(s, "webinar")->points, 10.0, kEps);
}

TEST(FoldDecay, FitNeverDecays) {
  Lead l(PB(R"(
fields: { job_title: text }
fit:
  - id: director
    when: { field: job_title, matches: Director }
    points: 20
engagement:
  half_life: 1d
  rules: []
)"));
  l.Identify("2025-01-01T00:00:00Z", {{"job_title", S("Director")}});
  EXPECT_NEAR(l.At("2026-01-01T00:00:00Z").fit, 20.0, kEps);
}

// Each rule's line is its share of the decayed engagement, and the lines add
// up to it, however long the history: here 1-hour half-lives over 400 days
// (9,600 half-lives; the rule sums are re-anchored on the way) and a gap so
// long that the old points decay to nothing.
TEST(FoldDecay, RuleLinesStayTheDecayedSharesOverLongHistories) {
  Lead l(PB(R"(
engagement:
  half_life: 1h
  rules:
    - id: webinar
      event: webinar_attended
      points: 10
    - id: reply
      event: email_replied
      points: 4
)"));
  const Micros start = T("2025-01-01T00:00:00Z");
  const Micros hour = 3600LL * 1000000;
  double webinar = 0, reply = 0;  // each rule's share, decayed one activity at a time
  Micros last = start;
  for (int d = 0; d < 400; ++d) {
    const Micros at = start + d * 24 * hour + (d % 5) * hour;
    const double f = std::exp2(-static_cast<double>(at - last) / static_cast<double>(hour));
    webinar *= f;
    reply *= f;
    last = at;
    if (d % 3 != 2) {
      l.Track(FormatRfc3339(at), "webinar_attended");
      webinar += 10;
    }
    if (d % 2 == 0) {
      l.Track(FormatRfc3339(at), "email_replied");
      reply += 4;
    }
  }
  LeadState s = l.At(FormatRfc3339(last + 2 * hour));  // two half-lives after the last
  ASSERT_NE(Line(s, "webinar"), nullptr);
  ASSERT_NE(Line(s, "reply"), nullptr);
  EXPECT_NEAR(Line(s, "webinar")->points, webinar / 4, 1e-9);
  EXPECT_NEAR(Line(s, "reply")->points, reply / 4, 1e-9);
  EXPECT_NEAR(Line(s, "webinar")->points + Line(s, "reply")->points, s.engagement, 1e-9);
  EXPECT_EQ(Line(s, "webinar")->count, 267);
  EXPECT_EQ(Line(s, "reply")->count, 200);

  // 3,000 hours later (the factor underflows to 0): only the new reply counts.
  l.Track(FormatRfc3339(last + 3000 * hour), "email_replied");
  s = l.At(FormatRfc3339(last + 3000 * hour));
  EXPECT_EQ(Line(s, "webinar")->points, 0.0);
  EXPECT_NEAR(Line(s, "reply")->points, 4.0, 1e-12);
  EXPECT_NEAR(s.engagement, 4.0, 1e-12);
  EXPECT_EQ(Line(s, "reply")->count, 201);
}

// ---------------------------------------------------------------------------
// Engagement: cap and explanation
// ---------------------------------------------------------------------------

const char* kCapPlaybook = R"(
fields: { job_title: text }
fit:
  - id: director
    when: { field: job_title, matches: Director }
    points: 20
  - id: not-used
    when: { field: job_title, matches: Student }
    points: -30
engagement:
  cap: 25
  rules:
    - id: webinar
      event: webinar_attended
      points: 10
    - id: email-reply
      event: email_replied
      points: 7.5
)";

TEST(FoldCap, CapCutsEngagementAndIsItsOwnExplanationLine) {
  Lead l(PB(kCapPlaybook));
  l.Identify("2026-03-01T00:00:00Z", {{"job_title", S("Director")}});
  l.Track("2026-03-01T01:00:00Z", "webinar_attended");
  l.Track("2026-03-01T02:00:00Z", "webinar_attended");
  l.Track("2026-03-01T03:00:00Z", "email_replied");
  l.Track("2026-03-01T04:00:00Z", "webinar_attended");
  LeadState s = l.At("2026-03-02T00:00:00Z");
  EXPECT_NEAR(s.engagement_raw, 37.5, kEps);
  EXPECT_NEAR(s.engagement, 25.0, kEps);
  EXPECT_NEAR(s.total, 45.0, kEps);
  // Lines: fit rules first in playbook order, then engagement rules in
  // playbook order, then the cap.
  ASSERT_EQ(s.explanation.size(), 4u) << Summary(s);
  EXPECT_EQ(s.explanation[0].rule, "director");
  EXPECT_EQ(s.explanation[0].kind, "fit");
  EXPECT_EQ(s.explanation[0].count, 1);
  EXPECT_EQ(s.explanation[1].rule, "webinar");
  EXPECT_EQ(s.explanation[1].count, 3);
  EXPECT_NEAR(s.explanation[1].points, 30.0, kEps);
  EXPECT_EQ(s.explanation[2].rule, "email-reply");
  EXPECT_NEAR(s.explanation[2].points, 7.5, kEps);
  EXPECT_EQ(s.explanation[3].rule, "cap");
  EXPECT_EQ(s.explanation[3].kind, "cap");
  EXPECT_EQ(s.explanation[3].count, 0);
  EXPECT_NEAR(s.explanation[3].points, -12.5, kEps);  // -(raw - cap)
  EXPECT_NEAR(SumOfParts(s), s.total, kEps);
}

TEST(FoldCap, NoCapLineWhileUnderTheCap) {
  Lead l(PB(kCapPlaybook));
  l.Track("2026-03-01T01:00:00Z", "webinar_attended");
  l.Track("2026-03-01T02:00:00Z", "webinar_attended");
  LeadState s = l.At("2026-03-02T00:00:00Z");
  EXPECT_NEAR(s.engagement, 20.0, kEps);
  EXPECT_EQ(Line(s, "cap"), nullptr) << Summary(s);
  EXPECT_EQ(Line(s, "not-used"), nullptr) << "rules that count nothing are not listed";
  EXPECT_NEAR(SumOfParts(s), s.total, kEps);
}

TEST(FoldCap, CapAppliesToTheDecayedSumAtT) {
  Lead l(PB(R"(
engagement:
  half_life: 30d
  cap: 15
  rules:
    - id: webinar
      event: webinar_attended
      points: 10
)"));
  l.Track("2026-01-01T00:00:00Z", "webinar_attended");
  l.Track("2026-01-01T00:00:00Z", "webinar_attended", {}, "m-second");
  LeadState fresh = l.At("2026-01-01T00:00:00Z");
  EXPECT_NEAR(fresh.engagement, 15.0, kEps);
  ASSERT_NE(Line(fresh, "cap"), nullptr);
  EXPECT_NEAR(Line(fresh, "cap")->points, -5.0, kEps);
  LeadState later = l.At("2026-01-31T00:00:00Z");  // raw 20 -> 10
  EXPECT_NEAR(later.engagement, 10.0, kEps);
  EXPECT_EQ(Line(later, "cap"), nullptr) << Summary(later);
  EXPECT_NEAR(SumOfParts(later), later.total, kEps);
}

TEST(FoldCap, PartsAddUpWithDecayNegativesAndCap) {
  Lead l(PB(R"(
fields: { job_title: text }
fit:
  - id: director
    when: { field: job_title, matches: Director }
    points: 12.5
engagement:
  half_life: 7d
  cap: 20
  rules:
    - id: webinar
      event: webinar_attended
      points: 15
    - id: careers
      event: page_view
      when: { property: url, matches: /careers }
      points: -4
)"));
  l.Identify("2026-03-01T00:00:00Z", {{"job_title", S("Director")}});
  for (int d = 1; d <= 5; ++d) {
    std::string day = "2026-03-0" + std::to_string(d) + "T08:00:00Z";
    l.Track(day, "webinar_attended");
    l.Page(day, "https://acme.io/careers");
  }
  for (const char* at : {"2026-03-05T08:00:00Z", "2026-03-20T00:00:00Z", "2026-06-01T00:00:00Z"}) {
    LeadState s = l.At(at);
    EXPECT_NEAR(SumOfParts(s), s.total, 1e-9) << at << "\n" << Summary(s);
    EXPECT_NEAR(s.fit + s.engagement, s.total, 1e-9);
    EXPECT_LE(s.engagement, 20.0 + 1e-9);
  }
}

// ---------------------------------------------------------------------------
// Engagement: limits, several rules, negative points
// ---------------------------------------------------------------------------

const char* kLimitPlaybook = R"(
engagement:
  rules:
    - id: pricing
      event: page_view
      when: { property: url, matches: /pricing }
      points: 10
      limit: { count: 1, per: 1d }
    - id: demo
      event: demo_viewed
      points: 1
      limit: { count: 2, per: 1h }
    - id: ebook
      event: ebook_downloaded
      points: 5
      limit: { count: 2 }
)";

TEST(FoldLimit, WindowIsTMinusDExclusiveToTInclusive) {
  Lead l(PB(kLimitPlaybook));
  l.Page("2026-03-01T10:00:00Z", "/pricing");  // counted
  l.Page("2026-03-02T09:59:59Z", "/pricing");  // 2026-03-01T10:00 is in (t-1d, t]: not counted
  l.Page("2026-03-02T10:00:00Z", "/pricing");  // 2026-03-01T10:00 is t-1d exactly: counted
  LeadState s = l.At("2026-03-02T12:00:00Z");
  EXPECT_EQ(Line(s, "pricing")->count, 2) << Summary(s);
  EXPECT_NEAR(s.engagement, 20.0, kEps);
}

TEST(FoldLimit, ActivitiesNotCountedDoNotFillTheWindow) {
  Lead l(PB(kLimitPlaybook));
  l.Page("2026-03-01T10:00:00Z", "/pricing");  // counted
  l.Page("2026-03-01T20:00:00Z", "/pricing");  // not counted
  l.Page("2026-03-02T10:00:00Z", "/pricing");  // counted: only counted ones fill the window
  l.Page("2026-03-03T09:59:59Z", "/pricing");  // not: 03-02T10:00 is inside
  l.Page("2026-03-03T10:00:00Z", "/pricing");  // counted
  EXPECT_EQ(Line(l.At("2026-03-04T00:00:00Z"), "pricing")->count, 3);
}

TEST(FoldLimit, CountNPerWindow) {
  Lead l(PB(kLimitPlaybook));
  l.Track("2026-03-01T10:00:00Z", "demo_viewed");  // 1
  l.Track("2026-03-01T10:10:00Z", "demo_viewed");  // 2
  l.Track("2026-03-01T10:20:00Z", "demo_viewed");  // full
  l.Track("2026-03-01T11:00:00Z", "demo_viewed");  // (10:00, 11:00] holds one: counted
  l.Track("2026-03-01T11:05:00Z", "demo_viewed");  // (10:05, 11:05] holds two: not
  l.Track("2026-03-01T11:10:00Z", "demo_viewed");  // (10:10, 11:10] holds 11:00 only: counted
  LeadState s = l.At("2026-03-01T12:00:00Z");
  EXPECT_EQ(Line(s, "demo")->count, 4) << Summary(s);
  EXPECT_NEAR(s.engagement, 4.0, kEps);
}

TEST(FoldLimit, SameTimestampActivitiesShareTheWindow) {
  Lead l(PB(kLimitPlaybook));
  l.Page("2026-03-01T10:00:00Z", "/pricing", "m-b");
  l.Page("2026-03-01T10:00:00Z", "/pricing", "m-a");
  EXPECT_EQ(Line(l.At("2026-03-01T10:00:00Z"), "pricing")->count, 1);
}

TEST(FoldLimit, WithoutPerAtMostNEver) {
  Lead l(PB(kLimitPlaybook));
  for (const char* at : {"2025-01-01T00:00:00Z", "2025-06-01T00:00:00Z", "2026-01-01T00:00:00Z",
                         "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"}) {
    l.Track(at, "ebook_downloaded");
  }
  LeadState s = l.At("2026-03-02T00:00:00Z");
  EXPECT_EQ(Line(s, "ebook")->count, 2);
  EXPECT_NEAR(s.engagement, 10.0, kEps);
  // As of before the second download only one counts.
  EXPECT_EQ(Line(l.At("2025-03-01T00:00:00Z"), "ebook")->count, 1);
}

TEST(FoldLimit, LimitsAreCheckedInTimestampOrderNotArrivalOrder) {
  Lead l(PB(kLimitPlaybook));
  // Arrives newest first; the two oldest are the ones counted ever.
  l.Track("2026-03-01T00:00:00Z", "ebook_downloaded", {{"n", N(3)}});
  l.Track("2026-01-01T00:00:00Z", "ebook_downloaded", {{"n", N(1)}});
  l.Track("2026-02-01T00:00:00Z", "ebook_downloaded", {{"n", N(2)}});
  EXPECT_EQ(Line(l.At("2026-02-15T00:00:00Z"), "ebook")->count, 2);
  EXPECT_EQ(Line(l.At("2026-03-15T00:00:00Z"), "ebook")->count, 2);
}

TEST(FoldRules, SeveralRulesMatchingOneActivityEachCount) {
  Lead l(PB(R"(
engagement:
  rules:
    - id: any-page
      event: page_view
      points: 1
    - id: pricing
      event: page_view
      when: { property: url, matches: /pricing }
      points: 10
      limit: { count: 1, per: 1d }
    - id: pricing-plans
      event: page_view
      when: { property: url, matches: /pricing/plans }
      points: 3
)"));
  l.Page("2026-03-01T10:00:00Z", "https://acme.io/pricing/plans");
  l.Page("2026-03-01T11:00:00Z", "https://acme.io/pricing");
  l.Page("2026-03-01T12:00:00Z", "https://acme.io/blog");
  LeadState s = l.At("2026-03-01T13:00:00Z");
  EXPECT_EQ(Line(s, "any-page")->count, 3);
  EXPECT_EQ(Line(s, "pricing")->count, 1);  // its limit is its own
  EXPECT_EQ(Line(s, "pricing-plans")->count, 1);
  EXPECT_NEAR(s.engagement, 3 + 10 + 3, kEps);
}

TEST(FoldRules, NegativePointsHaveNoLowerBound) {
  Lead l(PB(R"(
fields: { job_title: text }
fit:
  - id: student
    when: { field: job_title, matches: '(?i)student' }
    points: -30
engagement:
  cap: 100
  rules:
    - id: careers
      event: page_view
      when: { property: url, matches: /careers }
      points: -15
)"));
  l.Identify("2026-03-01T00:00:00Z", {{"job_title", S("Student")}});
  for (int i = 1; i <= 4; ++i) l.Page("2026-03-0" + std::to_string(i) + "T10:00:00Z", "/careers");
  LeadState s = l.At("2026-03-05T00:00:00Z");
  EXPECT_NEAR(s.fit, -30, kEps);
  EXPECT_NEAR(s.engagement, -60, kEps);
  EXPECT_NEAR(s.total, -90, kEps);
  EXPECT_EQ(Line(s, "cap"), nullptr);
  EXPECT_EQ(Line(s, "careers")->count, 4);
  EXPECT_NEAR(SumOfParts(s), s.total, kEps);
}

TEST(FoldRules, ActivityWithoutMatchingRuleScoresNothing) {
  Lead l(PB(kLimitPlaybook));
  l.Page("2026-03-01T10:00:00Z", "/about");
  l.Track("2026-03-01T10:00:00Z", "something_else");
  LeadState s = l.At("2026-03-02T00:00:00Z");
  EXPECT_TRUE(s.exists);
  EXPECT_NEAR(s.engagement, 0, kEps);
  EXPECT_TRUE(s.explanation.empty()) << Summary(s);
}

// ---------------------------------------------------------------------------
// Order: tie-breaks and arrival order
// ---------------------------------------------------------------------------

TEST(FoldOrder, SameTimestampTraitsLaterMessageIdInByteOrderWins) {
  Lead l(PB("fields: { job_title: text }\n"));
  // Byte order: "m-10" < "m-2", so m-2 is the later one.
  l.Identify("2026-03-01T10:00:00Z", {{"job_title", S("from m-2")}}, "m-2");
  l.Identify("2026-03-01T10:00:00Z", {{"job_title", S("from m-10")}}, "m-10");
  EXPECT_EQ(Trait(l.Latest(), "job_title"), "\"from m-2\"");
  // Same the other way round.
  Lead r(PB("fields: { job_title: text }\n"));
  r.Identify("2026-03-01T10:00:00Z", {{"job_title", S("from m-10")}}, "m-10");
  r.Identify("2026-03-01T10:00:00Z", {{"job_title", S("from m-2")}}, "m-2");
  EXPECT_EQ(Trait(r.Latest(), "job_title"), "\"from m-2\"");
}

TEST(FoldOrder, SameTimestampEventsComeBeforeActions) {
  // The event that makes the lead an MQL and a reject (allowed from mql, not
  // from lead) share a timestamp; the action is recorded first but must run
  // after the event.
  Lead l(PB(kStagePlaybook));
  l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Director")}});
  l.Do("2026-03-01T10:00:00Z", ActionKind::kReject, "ana", Role::kRep, Reason("not now"));
  l.Track("2026-03-01T10:00:00Z", "webinar_attended");
  LeadState s = l.Latest();
  EXPECT_EQ(StageName(s.stage), std::string("nurture")) << Summary(s);
  ASSERT_EQ(s.history.size(), 2u) << Summary(s);
  EXPECT_EQ(s.history[0].to, Stage::kMql);
  EXPECT_EQ(s.history[1].to, Stage::kNurture);
  EXPECT_TRUE(s.warnings.empty()) << Warnings(s);
}

TEST(FoldOrder, SameTimestampActionsGoByRecordingOrder) {
  // reject (seq 1) then accept (seq 2) at one time: reject moves mql ->
  // nurture, accept is then not allowed from nurture. Listed in the other
  // order, the seq still decides.
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-01T10:03:00Z", ActionKind::kAccept, "ana", Role::kRep, Seq(2));
  l.Do("2026-03-01T10:03:00Z", ActionKind::kReject, "ana", Role::kRep, Seq(1, Reason("bad fit")));
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kNurture) << Summary(s);
  EXPECT_TRUE(HasWarning(s, "accept")) << Warnings(s);
  // Swap the sequence numbers: accept first, then reject from sal.
  l.actions()[0].seq = 1;
  l.actions()[1].seq = 2;
  LeadState t = l.Latest();
  EXPECT_EQ(t.stage, Stage::kNurture) << Summary(t);
  ASSERT_EQ(t.history.size(), 3u) << Summary(t);
  EXPECT_EQ(t.history[1].to, Stage::kSal);
  EXPECT_TRUE(t.warnings.empty()) << Warnings(t);
}

TEST(FoldOrder, SameTimestampEventsGoByMessageIdForStageChanges) {
  // A passing self-qualification form and an unsubscribe at the same second:
  // byte order of messageId decides which comes first.
  auto pb = PB(kStagePlaybook);
  auto run = [&](const std::string& form_mid, const std::string& unsub_mid) {
    Lead l(pb);
    l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Analyst")}});
    l.Track("2026-03-01T10:00:00Z", "bant_form_submitted",
            FormProps("confirmed", "decision_maker", "audit", "2026-04-01"), form_mid);
    l.Track("2026-03-01T10:00:00Z", "unsubscribed", {}, unsub_mid);
    return l.Latest();
  };
  // Form first: sql, then the unsubscribe is a warning only.
  LeadState a = run("m-a", "m-b");
  EXPECT_EQ(a.stage, Stage::kSql) << Summary(a);
  EXPECT_TRUE(HasWarning(a, "unsubscribed")) << Warnings(a);
  // Unsubscribe first: disqualified; the form is recorded but does not move.
  LeadState b = run("m-b", "m-a");
  EXPECT_EQ(b.stage, Stage::kDisq) << Summary(b);
  ASSERT_TRUE(b.bant.has_value());
}

TEST(FoldOrder, ArrivalOrderNeverMatters) {
  auto pb = PB(R"(
fields:
  email: text
  job_title: text
  company_size: number
fit:
  - id: director
    when: { field: job_title, matches: '(?i)director|vp' }
    points: 20
  - id: size
    when: { field: company_size, between: [50, 5000] }
    points: 10
engagement:
  half_life: 14d
  cap: 60
  rules:
    - id: pricing
      event: page_view
      when: { property: url, matches: /pricing }
      points: 10
      limit: { count: 1, per: 1d }
    - id: webinar
      event: webinar_attended
      points: 15
    - id: careers
      event: page_view
      when: { property: url, matches: /careers }
      points: -5
      limit: { count: 2 }
disqualify:
  - id: unsubscribed
    event: unsubscribed
    reason: Unsubscribed
  - id: competitor
    when: { field: email, matches: '@rival\.com$' }
    reason: Competitor
mql: { fit: 20, total: 45 }
bant: { form_event: bant_form }
sla: { first_response: 1h }
)");
  Lead l(pb);
  l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Analyst")}, {"company_size", S("80")}});
  l.Identify("2026-03-01T09:00:00Z", {{"email", S("x@acme.io")}}, "m-0000");
  l.Page("2026-03-01T10:00:00Z", "/pricing");
  l.Page("2026-03-01T10:00:00Z", "/pricing", "m-0003b");
  l.Page("2026-03-01T20:00:00Z", "/pricing");
  l.Page("2026-03-02T10:00:00Z", "/careers");
  l.Page("2026-03-02T10:00:00Z", "/careers", "m-x");
  l.Page("2026-03-03T10:00:00Z", "/careers");
  l.Identify("2026-03-04T09:00:00Z", {{"job_title", S("IT Director")}});
  l.Track("2026-03-04T10:00:00Z", "webinar_attended");
  l.Track("2026-03-04T10:00:00Z", "webinar_attended", {}, "m-0000w");
  l.Identify("2026-03-05T09:00:00Z", {{"email", S("x@rival.com")}});
  l.Identify("2026-03-05T09:00:00Z", {{"email", S("x@acme.io")}}, "m-zzzz");
  l.Track("2026-03-06T10:00:00Z", "bant_form",
          FormProps("confirmed", "influencer", "crm", "2026-04-01"));
  l.Other("2026-03-06T11:00:00Z", "group");
  l.Page("2026-03-20T10:00:00Z", "/pricing");
  l.Track("2026-03-21T10:00:00Z", "unsubscribed");
  l.Do("2026-03-04T10:30:00Z", ActionKind::kTouch, "ana", Role::kRep, Channel("call"));
  l.Do("2026-03-04T10:30:00Z", ActionKind::kReject, "ana", Role::kRep, Reason("later"));
  l.Do("2026-03-10T10:30:00Z", ActionKind::kAccept, "ana", Role::kRep);

  const std::string want_latest = Summary(l.Latest());
  const std::string want_mid = Summary(l.At("2026-03-05T00:00:00Z"));
  std::mt19937 rng(12345);
  for (int round = 0; round < 25; ++round) {
    std::shuffle(l.events().begin(), l.events().end(), rng);
    std::shuffle(l.actions().begin(), l.actions().end(), rng);  // seq unchanged
    ASSERT_EQ(Summary(l.Latest()), want_latest) << "round " << round;
    ASSERT_EQ(Summary(l.At("2026-03-05T00:00:00Z")), want_mid) << "round " << round;
  }
}

TEST(FoldOrder, OtherSegmentTypesAreStoredButChangeNothing) {
  Lead l(PB(kStagePlaybook));
  l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Analyst")}});
  Lead with_group = l;
  with_group.AddEvent("2026-03-01T10:00:00Z", EventType::kOther, "group",
                      {{"job_title", S("Director")}, {"email", S("x@rivalcorp.com")}});
  EXPECT_EQ(Summary(with_group.Latest()), Summary(l.Latest()));
}

// ---------------------------------------------------------------------------
// Traits and typed values
// ---------------------------------------------------------------------------

TEST(FoldTraits, LatestTimestampWinsWhateverTheArrivalOrder) {
  Lead l(PB("fields: { job_title: text }\n"));
  l.Identify("2026-03-05T00:00:00Z", {{"job_title", S("VP Sales")}}, "m-1");
  l.Identify("2026-03-01T00:00:00Z", {{"job_title", S("Student")}}, "m-2");
  EXPECT_EQ(Trait(l.Latest(), "job_title"), "\"VP Sales\"");
  EXPECT_EQ(Trait(l.At("2026-03-02T00:00:00Z"), "job_title"), "\"Student\"");
}

TEST(FoldTraits, IdentifyOnlyChangesTheTraitsItNames) {
  Lead l(PB("fields: { job_title: text, industry: text }\n"));
  l.Identify("2026-03-01T00:00:00Z", {{"job_title", S("VP")}, {"industry", S("finance")}});
  l.Identify("2026-03-02T00:00:00Z", {{"job_title", S("CFO")}});
  LeadState s = l.Latest();
  EXPECT_EQ(Trait(s, "job_title"), "\"CFO\"");
  EXPECT_EQ(Trait(s, "industry"), "\"finance\"");
}

TEST(FoldTraits, NullRemovesATrait) {
  Lead l(PB(R"(
fields: { job_title: text }
fit:
  - id: has-title
    when: { field: job_title, exists: true }
    points: 5
  - id: no-title
    when: { field: job_title, exists: false }
    points: 1
)"));
  l.Identify("2026-03-01T00:00:00Z", {{"job_title", S("VP")}, {"undeclared", S("kept")}});
  l.Identify("2026-03-02T00:00:00Z", {{"job_title", Value::Null()}});
  LeadState before = l.At("2026-03-01T12:00:00Z");
  EXPECT_NEAR(before.fit, 5, kEps);
  LeadState s = l.Latest();
  EXPECT_EQ(Trait(s, "job_title"), "<absent>");
  EXPECT_EQ(Trait(s, "undeclared"), "\"kept\"") << "undeclared traits are kept as given";
  EXPECT_NEAR(s.fit, 1, kEps);
}

const char* kTypedPlaybook = R"(
fields:
  company_size: number
  active: bool
  signed_up: time
  industry: text
fit:
  - id: mid-size
    when: { field: company_size, between: [50, 5000] }
    points: 10
  - id: exactly-800
    when: { field: company_size, equals: 800 }
    points: 1
  - id: size-not-10
    when: { field: company_size, not_equals: 10 }
    points: 100
  - id: active
    when: { field: active, equals: true }
    points: 2
  - id: recent
    when: { field: signed_up, gte: '2026-01-01T00:00:00Z' }
    points: 4
)";

TEST(FoldTypes, StringsAreReadAsTheirFieldsType) {
  Lead l(PB(kTypedPlaybook));
  l.Identify(
      "2026-03-01T00:00:00Z",
      {{"company_size", S(" 800.0 ")}, {"active", S("TRUE")}, {"signed_up", S("2026-02-01")}});
  LeadState s = l.Latest();
  EXPECT_NE(Line(s, "mid-size"), nullptr) << Summary(s);
  EXPECT_NE(Line(s, "exactly-800"), nullptr) << "a number equals a number numerically";
  EXPECT_NE(Line(s, "size-not-10"), nullptr);
  EXPECT_NE(Line(s, "active"), nullptr);
  EXPECT_NE(Line(s, "recent"), nullptr);
  EXPECT_NEAR(s.fit, 117, kEps);
  EXPECT_TRUE(s.warnings.empty()) << Warnings(s);
  // Traits are shown as given.
  EXPECT_EQ(Trait(s, "company_size"), "\" 800.0 \"");
}

TEST(FoldTypes, UnparseableTraitMakesEveryConditionOnItFalseAndWarns) {
  Lead l(PB(kTypedPlaybook));
  l.Identify("2026-03-01T00:00:00Z", {{"company_size", S("lots")}, {"active", S("yes")}});
  LeadState s = l.Latest();
  EXPECT_NEAR(s.fit, 0, kEps) << Summary(s);  // not even not_equals 10
  EXPECT_EQ(Trait(s, "company_size"), "\"lots\"") << "kept as given";
  EXPECT_TRUE(HasWarning(s, "company_size")) << Warnings(s);
  EXPECT_TRUE(HasWarning(s, "lots")) << Warnings(s);
  EXPECT_TRUE(HasWarning(s, "active")) << Warnings(s);
  // Corrected later: the conditions hold and the warning goes.
  l.Identify("2026-03-02T00:00:00Z", {{"company_size", N(800)}, {"active", B(true)}});
  LeadState t = l.Latest();
  EXPECT_NEAR(t.fit, 113, kEps) << Summary(t);
  EXPECT_TRUE(t.warnings.empty()) << Warnings(t);
}

TEST(FoldConditions, TextEqualsTrimsAndIgnoresAsciiCase) {
  Lead l(PB(R"(
fields: { industry: text, country: text }
fit:
  - id: health
    when: { field: industry, equals: Healthcare }
    points: 1
  - id: list
    when: { field: industry, in: [finance, ' HEALTHCARE '] }
    points: 2
  - id: accented
    when: { field: country, equals: 'éire' }
    points: 4
)"));
  l.Identify("2026-03-01T00:00:00Z", {{"industry", S("  hEaLtHcArE\t")}, {"country", S("ÉIRE")}});
  LeadState s = l.Latest();
  EXPECT_NE(Line(s, "health"), nullptr) << Summary(s);
  EXPECT_NE(Line(s, "list"), nullptr) << Summary(s);
  EXPECT_EQ(Line(s, "accented"), nullptr) << "only ASCII case is ignored";
}

TEST(FoldConditions, NotEqualsNeedsAValue) {
  auto pb = PB(R"(
fields: { industry: text }
fit:
  - id: not-retail
    when: { field: industry, not_equals: retail }
    points: 1
)");
  Lead missing(pb);
  missing.Identify("2026-03-01T00:00:00Z", {{"other", S("x")}});
  EXPECT_NEAR(missing.Latest().fit, 0, kEps) << "missing value: not_equals is false";
  Lead empty(pb);
  empty.Identify("2026-03-01T00:00:00Z", {{"industry", S("")}});
  EXPECT_NEAR(empty.Latest().fit, 0, kEps) << "empty string counts as missing";
  Lead retail(pb);
  retail.Identify("2026-03-01T00:00:00Z", {{"industry", S(" Retail ")}});
  EXPECT_NEAR(retail.Latest().fit, 0, kEps);
  Lead finance(pb);
  finance.Identify("2026-03-01T00:00:00Z", {{"industry", S("finance")}});
  EXPECT_NEAR(finance.Latest().fit, 1, kEps);
}

TEST(FoldConditions, ExistsMeansPresentNotNullNotEmpty) {
  auto pb = PB(R"(
fields: { phone: text }
fit:
  - id: has-phone
    when: { field: phone, exists: true }
    points: 1
  - id: no-phone
    when: { field: phone, exists: false }
    points: 10
)");
  auto fit_with = [&](std::optional<Value> v) {
    Lead l(pb);
    Props p = {{"other", S("x")}};
    if (v) p.emplace_back("phone", *v);
    l.Identify("2026-03-01T00:00:00Z", p);
    return l.Latest().fit;
  };
  EXPECT_NEAR(fit_with(std::nullopt), 10, kEps);
  EXPECT_NEAR(fit_with(S("")), 10, kEps);
  EXPECT_NEAR(fit_with(Value::Null()), 10, kEps);
  EXPECT_NEAR(fit_with(S("+1 555")), 1, kEps);
  EXPECT_NEAR(fit_with(N(0)), 1, kEps) << "0 is a value";
}

TEST(FoldConditions, MissingValueMakesEveryOperatorFalseExceptExistsFalse) {
  Lead l(PB(R"(
fields: { size: number, title: text }
fit:
  - { id: a, when: { field: size, gte: 0 }, points: 1 }
  - { id: b, when: { field: size, lt: 1000000 }, points: 1 }
  - { id: c, when: { field: size, between: [-1000, 1000] }, points: 1 }
  - { id: d, when: { field: title, matches: '.*' }, points: 1 }
  - { id: e, when: { field: title, in: [x] }, points: 1 }
  - { id: f, when: { not: { field: title, equals: x } }, points: 100 }
)"));
  l.Identify("2026-03-01T00:00:00Z", {{"other", S("x")}});
  LeadState s = l.Latest();
  EXPECT_NEAR(s.fit, 100, kEps) << Summary(s);
}

TEST(FoldConditions, PropertyValuesOfDifferentTypesAreUnequal) {
  Lead l(PB(R"(
engagement:
  rules:
    - { id: bool-true, event: signup, when: { property: trial, equals: true }, points: 1 }
    - { id: num-3, event: signup, when: { property: seats, equals: 3 }, points: 10 }
    - { id: text-contact, event: signup, when: { property: form, equals: Contact }, points: 100 }
    - { id: seats-gte, event: signup, when: { property: seats, gte: 2 }, points: 1000 }
)"));
  l.Track("2026-03-01T00:00:00Z", "signup",
          {{"trial", S("true")}, {"seats", N(3.0)}, {"form", S(" contact ")}});
  l.Track("2026-03-02T00:00:00Z", "signup", {{"trial", B(true)}, {"seats", S("3")}});
  LeadState s = l.Latest();
  EXPECT_EQ(Line(s, "bool-true")->count, 1) << Summary(s);
  EXPECT_EQ(Line(s, "num-3")->count, 1) << Summary(s);
  EXPECT_EQ(Line(s, "text-contact")->count, 1) << Summary(s);
  EXPECT_EQ(Line(s, "seats-gte")->count, 2) << Summary(s);
}

// ---------------------------------------------------------------------------
// Disqualify
// ---------------------------------------------------------------------------

TEST(FoldDisqualify, TraitConditionFiresAtTheFirstPointWhenTrue) {
  Lead l(PB(kStagePlaybook));
  l.Identify("2026-03-01T09:00:00Z", {{"email", S("bob@RivalCorp.com")}});
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kDisq) << Summary(s);
  ASSERT_EQ(s.history.size(), 1u);
  const HistoryEntry& h = s.history[0];
  EXPECT_EQ(h.from, Stage::kLead);
  EXPECT_EQ(h.by, "engine");
  EXPECT_EQ(h.reason.value_or(""), "Works for a competitor");
  EXPECT_EQ(h.rule.value_or(""), "competitor");
  EXPECT_FALSE(h.exception);
  EXPECT_EQ(h.at, T("2026-03-01T09:00:00Z"));
  EXPECT_EQ(h.playbook_version, 1);
}

// A trait condition that holds on a lead with no traits fires at the lead's
// first point, even when that point is an activity (no identify before it)
// that cannot make it an MQL (the fold skips most such activities' checks).
TEST(FoldDisqualify, TraitConditionTrueOnNoTraitsFiresAtAFirstActivity) {
  Lead l(PB(R"(
fields:
  email: text
engagement:
  rules:
    - { id: webinar, event: webinar_attended, points: 10 }
disqualify:
  - id: no-email
    when: { not: { field: email, exists: true } }
    reason: No email given
mql:
  engagement: 50
)"));
  l.Track("2026-03-01T10:00:00Z", "webinar_attended");
  l.Track("2026-03-02T10:00:00Z", "webinar_attended");
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kDisq) << Summary(s);
  ASSERT_EQ(s.history.size(), 1u) << Summary(s);
  EXPECT_EQ(s.history[0].rule.value_or(""), "no-email");
  EXPECT_EQ(s.history[0].at, T("2026-03-01T10:00:00Z"));
}

TEST(FoldDisqualify, TraitConditionFiresWhenItBecomesTrue) {
  Lead l(PB(kStagePlaybook));
  l.Identify("2026-03-01T09:00:00Z", {{"email", S("bob@acme.io")}});
  l.Track("2026-03-01T10:00:00Z", "webinar_attended");
  l.Identify("2026-03-02T09:00:00Z", {{"email", S("bob@rivalcorp.com")}});
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kDisq) << Summary(s);
  EXPECT_EQ(s.history.back().at, T("2026-03-02T09:00:00Z"));
}

TEST(FoldDisqualify, ReopenedLeadIsNotDisqualifiedAgainByAConditionThatHeldAllAlong) {
  Lead l(PB(kStagePlaybook));
  l.Identify("2026-03-01T09:00:00Z",
             {{"email", S("bob@rivalcorp.com")}, {"job_title", S("Director")}});
  l.Do("2026-03-02T09:00:00Z", ActionKind::kReopen, "max", Role::kManager,
       Reason("ex-employee, now a prospect"));
  l.Identify("2026-03-03T09:00:00Z", {{"job_title", S("Director of Ops")}});  // still competitor
  l.Track("2026-03-04T09:00:00Z", "webinar_attended");  // newer than the reopen: MQL
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kMql) << Summary(s);
  ASSERT_EQ(s.history.size(), 3u) << Summary(s);
  EXPECT_EQ(s.history[1].to, Stage::kNurture);
  EXPECT_EQ(s.history[1].by, "max");
  // False, then true again: fires again.
  l.Identify("2026-03-05T09:00:00Z", {{"email", S("bob@acme.io")}});
  l.Identify("2026-03-06T09:00:00Z", {{"email", S("bob@rivalcorp.com")}});
  LeadState t = l.Latest();
  EXPECT_EQ(t.stage, Stage::kDisq) << Summary(t);
  EXPECT_EQ(t.history.back().at, T("2026-03-06T09:00:00Z"));
  EXPECT_EQ(t.history.back().rule.value_or(""), "competitor");
}

TEST(FoldDisqualify, TraitConditionIsEdgeTriggeredNotLevelTriggered) {
  // While in sql the rule fires as a warning; it keeps holding while the lead
  // is lost and reopened: no new disqualification, no new warning.
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-01T10:01:00Z", ActionKind::kOverride, "max", Role::kManager, Reason("vip"));
  l.Identify("2026-03-02T09:00:00Z", {{"email", S("bob@rivalcorp.com")}});
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kSql) << Summary(s);
  EXPECT_EQ(s.warnings.size(), 1u) << Warnings(s);
  EXPECT_TRUE(HasWarning(s, "competitor")) << Warnings(s);
  l.Do("2026-03-03T09:00:00Z", ActionKind::kLose, "ana", Role::kRep, Reason("no budget"));
  l.Do("2026-03-04T09:00:00Z", ActionKind::kReopen, "max", Role::kManager, Reason("retry"));
  l.Identify("2026-03-05T09:00:00Z", {{"job_title", S("Director")}});
  l.Track("2026-03-06T09:00:00Z", "webinar_attended");
  LeadState t = l.Latest();
  EXPECT_EQ(t.stage, Stage::kMql) << Summary(t);
  EXPECT_EQ(t.warnings.size(), 1u) << Warnings(t);
}

TEST(FoldDisqualify, EventRuleFiresOnItsActivity) {
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Track("2026-03-02T09:00:00Z", "unsubscribed");
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kDisq) << Summary(s);
  EXPECT_EQ(s.history.back().from, Stage::kMql);
  EXPECT_EQ(s.history.back().reason.value_or(""), "Unsubscribed from email");
  EXPECT_EQ(s.history.back().rule.value_or(""), "unsubscribed");
  EXPECT_EQ(s.history.back().by, "engine");
}

TEST(FoldDisqualify, EventRuleWithPropertyCondition) {
  auto pb = PB(R"(
disqualify:
  - id: spam-form
    event: form_submitted
    when: { property: reason, equals: spam }
    reason: Spam submission
)");
  Lead ok(pb);
  ok.Track("2026-03-01T00:00:00Z", "form_submitted", {{"reason", S("pricing")}});
  EXPECT_EQ(ok.Latest().stage, Stage::kLead);
  Lead spam(pb);
  spam.Track("2026-03-01T00:00:00Z", "form_submitted", {{"reason", S(" SPAM")}});
  EXPECT_EQ(spam.Latest().stage, Stage::kDisq);
}

TEST(FoldDisqualify, FromSalAndNurtureToo) {
  auto pb = PB(kStagePlaybook);
  Lead sal = MqlLead(pb);
  sal.Do("2026-03-01T10:01:00Z", ActionKind::kAccept, "ana", Role::kRep);
  sal.Track("2026-03-02T00:00:00Z", "unsubscribed");
  EXPECT_EQ(sal.Latest().stage, Stage::kDisq);
  Lead nurture = MqlLead(pb);
  nurture.Do("2026-03-01T10:01:00Z", ActionKind::kReject, "ana", Role::kRep, Reason("later"));
  nurture.Track("2026-03-02T00:00:00Z", "unsubscribed");
  EXPECT_EQ(nurture.Latest().stage, Stage::kDisq);
}

TEST(FoldDisqualify, InSqlAndOpportunityOnlyAWarning) {
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-01T10:01:00Z", ActionKind::kOverride, "max", Role::kManager, Reason("vip"));
  l.Track("2026-03-02T00:00:00Z", "unsubscribed");
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kSql) << Summary(s);
  EXPECT_EQ(s.history.size(), 2u);
  EXPECT_TRUE(HasWarning(s, "unsubscribed")) << Warnings(s);
  l.Do("2026-03-03T00:00:00Z", ActionKind::kConvert, "ana", Role::kRep);
  l.Track("2026-03-04T00:00:00Z", "unsubscribed");
  LeadState t = l.Latest();
  EXPECT_EQ(t.stage, Stage::kOpportunity) << Summary(t);
  EXPECT_EQ(t.warnings.size(), 2u) << Warnings(t);
}

TEST(FoldDisqualify, WonAndLostLeadsAreLeftAlone) {
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-01T10:01:00Z", ActionKind::kOverride, "max", Role::kManager, Reason("vip"));
  l.Do("2026-03-01T10:02:00Z", ActionKind::kLose, "ana", Role::kRep, Reason("price"));
  l.Track("2026-03-02T00:00:00Z", "unsubscribed");
  EXPECT_EQ(l.Latest().stage, Stage::kLost);
}

// ---------------------------------------------------------------------------
// Self-qualification and BANT
// ---------------------------------------------------------------------------

TEST(FoldSelfQualify, PassingFormMovesToSqlAsAnException) {
  Lead l(PB(kStagePlaybook));
  l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Analyst")}});
  l.Track("2026-03-01T10:00:00Z", "bant_form_submitted",
          FormProps("confirmed", "decision_maker", "audit prep", "2026-05-01"));
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kSql) << Summary(s);
  ASSERT_EQ(s.history.size(), 1u);
  EXPECT_EQ(s.history[0].from, Stage::kLead);
  EXPECT_EQ(s.history[0].by, "engine");
  EXPECT_EQ(s.history[0].reason.value_or(""), "self-qualified");
  EXPECT_TRUE(s.history[0].exception);
  EXPECT_FALSE(s.history[0].rule.has_value());
  ASSERT_TRUE(s.bant.has_value());
  EXPECT_EQ(s.bant->by, "L-1") << "the form's answers are given by the lead";
  EXPECT_EQ(s.bant->at, T("2026-03-01T10:00:00Z"));
  EXPECT_EQ(s.bant->need.value_or(""), "audit prep");
  EXPECT_FALSE(s.bant->current_solution.has_value());
  EXPECT_TRUE(s.bant_passes);
  EXPECT_TRUE(s.clocks.empty()) << "an SQL that never was an MQL has no SLA clock";
}

TEST(FoldSelfQualify, FailingFormRecordsAnswersWithoutMoving) {
  Lead l(PB(kStagePlaybook));
  l.Track("2026-03-01T10:00:00Z", "bant_form_submitted",
          FormProps("unconfirmed", "decision_maker", "audit prep", "2026-05-01"));
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kLead) << Summary(s);
  EXPECT_TRUE(s.history.empty());
  ASSERT_TRUE(s.bant.has_value());
  EXPECT_EQ(s.bant->budget.value_or(""), "unconfirmed");
  EXPECT_FALSE(s.bant_passes);
}

TEST(FoldSelfQualify, AnswersAreRecordedInAnyStageButOnlyLeadMqlNurtureMove) {
  auto pb = PB(kStagePlaybook);
  auto form = [](Lead& l, const char* at) {
    l.Track(at, "bant_form_submitted",
            FormProps("confirmed", "decision_maker", "need", "2026-04-01"));
  };
  Lead sal = MqlLead(pb);
  sal.Do("2026-03-01T10:01:00Z", ActionKind::kAccept, "ana", Role::kRep);
  form(sal, "2026-03-02T00:00:00Z");
  LeadState s = sal.Latest();
  EXPECT_EQ(s.stage, Stage::kSal) << Summary(s);
  ASSERT_TRUE(s.bant.has_value());
  EXPECT_TRUE(s.bant_passes);
  EXPECT_EQ(s.bant->by, "L-1");

  Lead disq(pb);
  disq.Track("2026-03-01T00:00:00Z", "unsubscribed");
  form(disq, "2026-03-02T00:00:00Z");
  LeadState d = disq.Latest();
  EXPECT_EQ(d.stage, Stage::kDisq);
  EXPECT_TRUE(d.bant.has_value());

  Lead mql = MqlLead(pb);
  form(mql, "2026-03-02T00:00:00Z");
  EXPECT_EQ(mql.Latest().stage, Stage::kSql);

  Lead nurture = MqlLead(pb);
  nurture.Do("2026-03-01T10:01:00Z", ActionKind::kReject, "ana", Role::kRep, Reason("x"));
  form(nurture, "2026-03-02T00:00:00Z");
  EXPECT_EQ(nurture.Latest().stage, Stage::kSql);
}

TEST(FoldSelfQualify, LatestAnswersWinAndPromoteUsesThem) {
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-01T10:01:00Z", ActionKind::kAccept, "ana", Role::kRep);
  l.Do("2026-03-02T10:00:00Z", ActionKind::kQualify, "ana", Role::kRep,
       Qual(Answers("confirmed", "decision_maker", "crm", "2026-04-01")));
  l.Track("2026-03-03T10:00:00Z", "bant_form_submitted",
          FormProps("none", "researcher", "just looking", "2027-01-01"));
  l.Do("2026-03-04T10:00:00Z", ActionKind::kPromote, "ana", Role::kRep);
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kSal) << "the latest answers do not pass" << Summary(s);
  EXPECT_EQ(s.bant->by, "L-1");
  EXPECT_FALSE(s.bant_passes);
  EXPECT_TRUE(HasWarning(s, "promote")) << Warnings(s);
  // As of before the form: the rep's answers, passing.
  LeadState before = l.At("2026-03-02T12:00:00Z");
  EXPECT_EQ(before.bant->by, "ana");
  EXPECT_TRUE(before.bant_passes);
}

TEST(FoldBant, PassRule) {
  auto pb = PB("bant: { form_event: f }\n");
  auto passes = [&](BantAnswers a, std::string_view at) {
    a.at = T(at);
    return BantPasses(a, *pb);
  };
  const char* at = "2026-03-01T10:00:00Z";
  EXPECT_TRUE(passes(Answers("confirmed", "decision_maker", "audit", "2026-04-01"), at));
  EXPECT_FALSE(passes(Answers("unconfirmed", "decision_maker", "audit", "2026-04-01"), at));
  EXPECT_FALSE(passes(Answers("none", "decision_maker", "audit", "2026-04-01"), at));
  EXPECT_FALSE(passes(Answers("confirmed", "influencer", "audit", "2026-04-01"), at))
      << "default authority is [decision_maker]";
  EXPECT_FALSE(passes(Answers("confirmed", "unknown", "audit", "2026-04-01"), at));
  EXPECT_FALSE(passes(Answers("confirmed", "decision_maker", "   ", "2026-04-01"), at))
      << "a blank need does not pass";
  EXPECT_FALSE(passes(Answers("confirmed", "decision_maker", "", "2026-04-01"), at));
  BantAnswers no_need = Answers("confirmed", "decision_maker", "", "2026-04-01");
  no_need.need.reset();
  EXPECT_FALSE(passes(no_need, at));
  // Timeline: no later than the answer's time + 90d (default); a date means
  // 00:00 UTC. 2026-03-01T10:00Z + 90d = 2026-05-30T10:00Z.
  EXPECT_TRUE(passes(Answers("confirmed", "decision_maker", "audit", "2026-05-30"), at));
  EXPECT_FALSE(passes(Answers("confirmed", "decision_maker", "audit", "2026-05-31"), at));
  // Exactly at the limit passes (no later than).
  EXPECT_TRUE(passes(Answers("confirmed", "decision_maker", "audit", "2026-05-30"),
                     "2026-03-01T00:00:00Z"));
  EXPECT_FALSE(passes(Answers("confirmed", "decision_maker", "audit", "2026-05-30"),
                      "2026-02-28T23:59:59Z"));
  // A timeline that is not a date does not pass.
  EXPECT_FALSE(passes(Answers("confirmed", "decision_maker", "audit", "next spring"), at));
  EXPECT_FALSE(passes(Answers("confirmed", "decision_maker", "audit", "2026-02-30"), at));
  EXPECT_TRUE(passes(Answers("confirmed", "decision_maker", "audit", "2026-05-30T10:00:00Z"), at));
  EXPECT_FALSE(passes(Answers("confirmed", "decision_maker", "audit", "2026-05-30T10:00:01Z"), at));
  // A decision date in the past is "no later than" the limit.
  EXPECT_TRUE(passes(Answers("confirmed", "decision_maker", "audit", "2026-01-01"), at));
}

TEST(FoldBant, ConfiguredAuthorityAndMaxTimeline) {
  auto pb = PB(R"(
bant:
  authority: [decision_maker, influencer]
  max_timeline: 1d
)");
  auto passes = [&](BantAnswers a, std::string_view at) {
    a.at = T(at);
    return BantPasses(a, *pb);
  };
  EXPECT_TRUE(
      passes(Answers("confirmed", "influencer", "x", "2026-03-02"), "2026-03-01T00:00:00Z"));
  EXPECT_FALSE(
      passes(Answers("confirmed", "researcher", "x", "2026-03-02"), "2026-03-01T00:00:00Z"));
  // 00:00 UTC of 2026-03-02 is within 1d of 2026-03-01T23:00Z ...
  EXPECT_TRUE(
      passes(Answers("confirmed", "decision_maker", "x", "2026-03-02"), "2026-03-01T00:00:00Z"));
  EXPECT_TRUE(
      passes(Answers("confirmed", "decision_maker", "x", "2026-03-02"), "2026-03-01T23:00:00Z"));
  // ... but 00:00 UTC of 2026-03-03 is not within 1d of 2026-03-01T23:00Z.
  EXPECT_FALSE(
      passes(Answers("confirmed", "decision_maker", "x", "2026-03-03"), "2026-03-01T23:00:00Z"));
}

TEST(FoldBant, FormTimelineIsMeasuredFromTheFormsTime) {
  Lead l(PB("bant: { form_event: bant_form_submitted, max_timeline: 30d }\n"));
  l.Track("2026-03-01T00:00:00Z", "bant_form_submitted",
          FormProps("confirmed", "decision_maker", "x", "2026-03-31"));
  EXPECT_EQ(l.Latest().stage, Stage::kSql);
  Lead late(PB("bant: { form_event: bant_form_submitted, max_timeline: 30d }\n"));
  late.Track("2026-03-01T00:00:00Z", "bant_form_submitted",
             FormProps("confirmed", "decision_maker", "x", "2026-04-01"));
  EXPECT_EQ(late.Latest().stage, Stage::kLead);
}

// ---------------------------------------------------------------------------
// MQL
// ---------------------------------------------------------------------------

TEST(FoldMql, MinimumsUseGreaterOrEqual) {
  Lead l(PB(R"(
fields: { job_title: text }
fit:
  - { id: director, when: { field: job_title, matches: Director }, points: 20 }
engagement:
  rules:
    - { id: webinar, event: webinar_attended, points: 10 }
mql: { fit: 20, engagement: 10, total: 30 }
)"));
  l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Director")}});
  LeadState before = l.Latest();
  EXPECT_EQ(before.stage, Stage::kLead) << "engagement 0 < 10";
  l.Track("2026-03-01T10:00:00Z", "webinar_attended");
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kMql) << Summary(s);
  ASSERT_EQ(s.history.size(), 1u);
  EXPECT_EQ(s.history[0].at, T("2026-03-01T10:00:00Z"));
  EXPECT_EQ(s.history[0].by, "engine");
  EXPECT_EQ(s.history[0].reason.value_or(""), "mql threshold");
  EXPECT_FALSE(s.history[0].rule.has_value());
  EXPECT_FALSE(s.history[0].exception);
}

TEST(FoldMql, EveryMinimumMustHold) {
  Lead l(PB(R"(
fields: { job_title: text }
fit:
  - { id: director, when: { field: job_title, matches: Director }, points: 20 }
engagement:
  rules:
    - { id: webinar, event: webinar_attended, points: 10 }
mql: { fit: 20, total: 30 }
)"));
  for (int i = 0; i < 5; ++i) {
    l.Track("2026-03-0" + std::to_string(i + 1) + "T10:00:00Z", "webinar_attended");
  }
  EXPECT_EQ(l.Latest().stage, Stage::kLead) << "total 50 but fit 0 < 20";
  // Becomes an MQL at the identify point that brings the fit.
  l.Identify("2026-03-06T10:00:00Z", {{"job_title", S("Director")}});
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kMql);
  EXPECT_EQ(s.history[0].at, T("2026-03-06T10:00:00Z"));
}

TEST(FoldMql, ComparesUnroundedScores) {
  // 5 points an hour ago (half-life 30d) + 5 now = 9.9952 shows as 10.00 but
  // is below a total minimum of 10.
  Lead l(PB(R"(
engagement:
  half_life: 30d
  rules:
    - { id: webinar, event: webinar_attended, points: 5 }
mql: { total: 10 }
)"));
  l.Track("2026-03-01T09:00:00Z", "webinar_attended");
  l.Track("2026-03-01T10:00:00Z", "webinar_attended");
  LeadState s = l.Latest();
  EXPECT_EQ(Round2(s.total), 10.0);
  EXPECT_LT(s.total, 10.0);
  EXPECT_EQ(s.stage, Stage::kLead) << Summary(s);
}

TEST(FoldMql, ScoreUsedIsTheScoreAtThatPoint) {
  // Two webinars a half-life apart: 10*0.5 + 10 = 15 < 20; no MQL, although
  // the sum of points is 20.
  Lead l(PB(R"(
engagement:
  half_life: 10d
  rules:
    - { id: webinar, event: webinar_attended, points: 10 }
mql: { engagement: 20 }
)"));
  l.Track("2026-03-01T00:00:00Z", "webinar_attended");
  l.Track("2026-03-11T00:00:00Z", "webinar_attended");
  EXPECT_EQ(l.Latest().stage, Stage::kLead);
  l.Track("2026-03-11T00:00:00Z", "webinar_attended", {}, "m-9999");  // 25 now
  EXPECT_EQ(l.Latest().stage, Stage::kMql);
}

TEST(FoldMql, StageNeverMovesForThePassingOfTime) {
  Lead l(PB(R"(
engagement:
  half_life: 1d
  rules:
    - { id: webinar, event: webinar_attended, points: 10 }
mql: { engagement: 10 }
)"));
  l.Track("2026-03-01T00:00:00Z", "webinar_attended");
  LeadState s = l.At("2026-06-01T00:00:00Z");
  EXPECT_EQ(s.stage, Stage::kMql);
  EXPECT_LT(s.engagement, 0.01);
}

TEST(FoldMql, OnlyLeadAndNurtureMoveToMql) {
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-01T10:01:00Z", ActionKind::kAccept, "ana", Role::kRep);
  l.Track("2026-03-02T00:00:00Z", "webinar_attended");
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kSal);
  EXPECT_EQ(s.history.size(), 2u);
}

TEST(FoldNurture, ReEntersMqlOnlyOnAnActivityNewerThanTheMove) {
  auto pb = PB(kStagePlaybook);
  Lead l = MqlLead(pb);
  l.Do("2026-03-01T11:00:00Z", ActionKind::kReject, "ana", Role::kRep, Reason("not ready"));
  // An identify after the reject does not re-qualify, scores meet the bar.
  l.Identify("2026-03-02T00:00:00Z", {{"job_title", S("Director of Finance")}});
  EXPECT_EQ(l.Latest().stage, Stage::kNurture);
  // A late-arriving activity from before the reject does not either.
  l.Page("2026-03-01T10:30:00Z", "/pricing");
  EXPECT_EQ(l.Latest().stage, Stage::kNurture) << Summary(l.Latest());
  // A new activity does.
  l.Page("2026-03-03T00:00:00Z", "/blog");
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kMql) << Summary(s);
  EXPECT_EQ(s.history.back().from, Stage::kNurture);
  EXPECT_EQ(s.history.back().at, T("2026-03-03T00:00:00Z"));
  EXPECT_EQ(s.history.back().reason.value_or(""), "mql threshold");
  EXPECT_EQ(s.clocks.size(), 2u) << "each entry into mql starts a clock";
}

TEST(FoldNurture, ActivityAtTheSameSecondAsTheMoveIsNotNewer) {
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-01T11:00:00Z", ActionKind::kReject, "ana", Role::kRep, Reason("x"));
  l.Page("2026-03-01T11:00:00Z", "/blog");
  EXPECT_EQ(l.Latest().stage, Stage::kNurture);
  l.Page("2026-03-01T11:00:01Z", "/blog");
  EXPECT_EQ(l.Latest().stage, Stage::kMql);
}

TEST(FoldNurture, NurtureLeadBelowTheBarStaysInNurture) {
  auto pb = PB(kStagePlaybook);
  Lead l(pb);
  l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Analyst")}});
  l.Do("2026-03-01T09:30:00Z", ActionKind::kAccept, "ana", Role::kRep);
  l.Do("2026-03-01T09:40:00Z", ActionKind::kReject, "ana", Role::kRep, Reason("x"));
  l.Track("2026-03-02T00:00:00Z", "webinar_attended");
  EXPECT_EQ(l.Latest().stage, Stage::kNurture);  // total 10 < 30
}

// ---------------------------------------------------------------------------
// Actions and who may take them
// ---------------------------------------------------------------------------

struct ActionRow {
  ActionKind kind;
  std::vector<Stage> from;
  bool manager_only;
};

const std::vector<ActionRow>& ActionTable() {
  using S_ = Stage;
  static const std::vector<ActionRow> kTable = {
      {ActionKind::kAccept, {S_::kLead, S_::kMql}, false},
      {ActionKind::kReject, {S_::kMql, S_::kSal}, false},
      {ActionKind::kQualify,
       {S_::kLead, S_::kMql, S_::kSal, S_::kSql, S_::kOpportunity, S_::kNurture},
       false},
      {ActionKind::kPromote, {S_::kSal}, false},
      {ActionKind::kOverride, {S_::kLead, S_::kMql, S_::kSal, S_::kNurture}, true},
      {ActionKind::kConvert, {S_::kSql}, false},
      {ActionKind::kWin, {S_::kOpportunity}, false},
      {ActionKind::kLose, {S_::kSql, S_::kOpportunity}, false},
      {ActionKind::kDisqualify, {S_::kLead, S_::kMql, S_::kSal, S_::kNurture}, false},
      {ActionKind::kReopen, {S_::kLost, S_::kDisq}, true},
      {ActionKind::kTouch,
       {S_::kLead, S_::kMql, S_::kSal, S_::kSql, S_::kOpportunity, S_::kNurture},
       false},
  };
  return kTable;
}

// An action with everything it could need.
Action FullAction(ActionKind k, Role role) {
  Action a;
  a.kind = k;
  a.by = "someone";
  a.role = role;
  a.ts = T("2026-03-05T00:00:00Z");
  a.reason = "a reason";
  a.channel = "call";
  BantAnswers b = Answers("confirmed", "decision_maker", "x", "2026-04-01");
  a.bant = b;
  return a;
}

LeadState StateIn(Stage st, bool passing_bant = true) {
  LeadState s;
  s.exists = true;
  s.id = "L-1";
  s.stage = st;
  BantAnswers b = Answers("confirmed", "decision_maker", "x", "2026-04-01");
  b.at = T("2026-03-04T00:00:00Z");
  if (!passing_bant) b.budget = "none";
  s.bant = b;
  return s;
}

TEST(FoldActions, FromStagesFollowTheTable) {
  auto pb = PB("fields: {}\n");
  const Stage all[] = {Stage::kLead, Stage::kMql,         Stage::kSal,
                       Stage::kSql,  Stage::kOpportunity, Stage::kWon,
                       Stage::kLost, Stage::kNurture,     Stage::kDisq};
  for (const auto& row : ActionTable()) {
    for (Stage st : all) {
      bool allowed = std::find(row.from.begin(), row.from.end(), st) != row.from.end();
      std::string why = CheckAction(FullAction(row.kind, Role::kManager), StateIn(st), *pb);
      EXPECT_EQ(why.empty(), allowed)
          << ActionName(row.kind) << " from " << StageName(st) << ": " << why;
      if (!allowed) {
        EXPECT_NE(why.find("stage"), std::string::npos) << why;
        EXPECT_NE(why.find(StageName(st)), std::string::npos) << why;
      }
    }
  }
}

TEST(FoldActions, RolesRepManagerAdminMarketing) {
  auto pb = PB("fields: {}\n");
  for (const auto& row : ActionTable()) {
    LeadState s = StateIn(row.from.front());
    const char* name = ActionName(row.kind);
    EXPECT_TRUE(CheckAction(FullAction(row.kind, Role::kManager), s, *pb).empty()) << name;
    EXPECT_TRUE(CheckAction(FullAction(row.kind, Role::kAdmin), s, *pb).empty())
        << name << ": admin may do what a manager may";
    std::string rep = CheckAction(FullAction(row.kind, Role::kRep), s, *pb);
    EXPECT_EQ(rep.empty(), !row.manager_only) << name << ": " << rep;
    if (row.manager_only) {
      EXPECT_NE(rep.find("role"), std::string::npos) << rep;
    }
    std::string mkt = CheckAction(FullAction(row.kind, Role::kMarketing), s, *pb);
    EXPECT_FALSE(mkt.empty()) << name << ": marketing takes no actions";
    EXPECT_NE(mkt.find("role"), std::string::npos) << mkt;
    EXPECT_NE(mkt.find("marketing"), std::string::npos) << mkt;
  }
}

TEST(FoldActions, ReasonIsNeededForRejectOverrideLoseDisqualifyReopen) {
  auto pb = PB("fields: {}\n");
  for (const auto& row : ActionTable()) {
    bool needs = row.kind == ActionKind::kReject || row.kind == ActionKind::kOverride ||
                 row.kind == ActionKind::kLose || row.kind == ActionKind::kDisqualify ||
                 row.kind == ActionKind::kReopen;
    for (std::optional<std::string> reason :
         {std::optional<std::string>(), std::optional<std::string>(""),
          std::optional<std::string>("   ")}) {
      Action a = FullAction(row.kind, Role::kManager);
      a.reason = reason;
      std::string why = CheckAction(a, StateIn(row.from.front()), *pb);
      EXPECT_EQ(why.empty(), !needs) << ActionName(row.kind) << ": " << why;
      if (needs) {
        EXPECT_NE(why.find("reason"), std::string::npos) << why;
      }
    }
  }
}

TEST(FoldActions, TouchNeedsAChannel) {
  auto pb = PB("fields: {}\n");
  for (const char* ok : {"call", "email", "meeting"}) {
    Action a = FullAction(ActionKind::kTouch, Role::kRep);
    a.channel = ok;
    EXPECT_TRUE(CheckAction(a, StateIn(Stage::kMql), *pb).empty()) << ok;
  }
  for (std::optional<std::string> bad :
       {std::optional<std::string>(), std::optional<std::string>("sms"),
        std::optional<std::string>("")}) {
    Action a = FullAction(ActionKind::kTouch, Role::kRep);
    a.channel = bad;
    std::string why = CheckAction(a, StateIn(Stage::kMql), *pb);
    EXPECT_NE(why.find("channel"), std::string::npos) << bad.value_or("<none>") << ": " << why;
  }
}

TEST(FoldActions, QualifyNeedsBantAnswers) {
  auto pb = PB("fields: {}\n");
  Action none = FullAction(ActionKind::kQualify, Role::kRep);
  none.bant.reset();
  EXPECT_NE(CheckAction(none, StateIn(Stage::kSal), *pb).find("BANT"), std::string::npos);
  for (int missing = 0; missing < 4; ++missing) {
    Action a = FullAction(ActionKind::kQualify, Role::kRep);
    std::optional<std::string>* fields[] = {&a.bant->budget, &a.bant->authority, &a.bant->need,
                                            &a.bant->timeline};
    fields[missing]->reset();
    EXPECT_FALSE(CheckAction(a, StateIn(Stage::kSal), *pb).empty()) << "missing #" << missing;
  }
  // Answers that do not pass may still be recorded.
  Action failing = FullAction(ActionKind::kQualify, Role::kRep);
  failing.bant->budget = "none";
  EXPECT_TRUE(CheckAction(failing, StateIn(Stage::kSal), *pb).empty());
}

TEST(FoldActions, PromoteNeedsPassingBant) {
  auto pb = PB("fields: {}\n");
  Action a = FullAction(ActionKind::kPromote, Role::kRep);
  EXPECT_TRUE(CheckAction(a, StateIn(Stage::kSal, true), *pb).empty());
  std::string failing = CheckAction(a, StateIn(Stage::kSal, false), *pb);
  EXPECT_NE(failing.find("BANT"), std::string::npos) << failing;
  LeadState none = StateIn(Stage::kSal);
  none.bant.reset();
  std::string missing = CheckAction(a, none, *pb);
  EXPECT_NE(missing.find("BANT"), std::string::npos) << missing;
}

TEST(FoldActions, EveryAcceptedActionRecordsTheRightHistory) {
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-01T10:01:00Z", ActionKind::kTouch, "ana", Role::kRep, Channel("email"));
  l.Do("2026-03-01T10:02:00Z", ActionKind::kAccept, "ana", Role::kRep);
  l.Do("2026-03-01T10:03:00Z", ActionKind::kQualify, "ana", Role::kRep,
       Qual(Answers("confirmed", "decision_maker", "crm", "2026-04-01")));
  l.Do("2026-03-01T10:04:00Z", ActionKind::kPromote, "ana", Role::kRep);
  l.Do("2026-03-01T10:05:00Z", ActionKind::kConvert, "ana", Role::kRep);
  l.Do("2026-03-01T10:06:00Z", ActionKind::kWin, "ana", Role::kRep, Reason("signed"));
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kWon) << Summary(s);
  ASSERT_EQ(s.history.size(), 5u) << "touch and qualify are not history entries";
  const Stage to[] = {Stage::kMql, Stage::kSal, Stage::kSql, Stage::kOpportunity, Stage::kWon};
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(s.history[i].to, to[i]) << i;
  EXPECT_EQ(s.history[1].by, "ana");
  EXPECT_FALSE(s.history[1].reason.has_value()) << "no --reason: null";
  EXPECT_FALSE(s.history[2].exception) << "promote is not an exception";
  EXPECT_EQ(s.history[4].reason.value_or(""), "signed");
  EXPECT_EQ(s.bant->by, "ana");
  EXPECT_EQ(s.bant->at, T("2026-03-01T10:03:00Z"));
  EXPECT_TRUE(s.warnings.empty()) << Warnings(s);
}

TEST(FoldActions, OverrideIsAnExceptionAndReopenGoesToNurture) {
  Lead l(PB(kStagePlaybook));
  l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Analyst")}});
  l.Do("2026-03-01T09:10:00Z", ActionKind::kOverride, "max", Role::kManager,
       Reason("CEO referral"));
  l.Do("2026-03-01T09:20:00Z", ActionKind::kLose, "ana", Role::kRep, Reason("went dark"));
  l.Do("2026-03-01T09:30:00Z", ActionKind::kReopen, "root", Role::kAdmin, Reason("back"));
  LeadState s = l.Latest();
  ASSERT_EQ(s.history.size(), 3u) << Summary(s);
  EXPECT_EQ(s.history[0].to, Stage::kSql);
  EXPECT_TRUE(s.history[0].exception);
  EXPECT_EQ(s.history[0].reason.value_or(""), "CEO referral");
  EXPECT_EQ(s.history[0].by, "max");
  EXPECT_EQ(s.history[1].to, Stage::kLost);
  EXPECT_EQ(s.history[2].to, Stage::kNurture);
  EXPECT_EQ(s.history[2].by, "root");
  EXPECT_EQ(s.stage, Stage::kNurture);
}

TEST(FoldActions, ARefusedActionChangesNothing) {
  auto pb = PB(kStagePlaybook);
  Lead base = MqlLead(pb);
  base.Do("2026-03-01T10:10:00Z", ActionKind::kTouch, "ana", Role::kRep, Channel("call"));
  const LeadState want = base.Latest();

  struct Bad {
    const char* what;
    ActionKind kind;
    Role role;
    ActOpts opts;
  };
  const Bad bad[] = {
      {"wrong stage", ActionKind::kConvert, Role::kRep, {}},
      {"wrong role", ActionKind::kOverride, Role::kRep, Reason("x")},
      {"marketing", ActionKind::kAccept, Role::kMarketing, {}},
      {"no reason", ActionKind::kReject, Role::kRep, {}},
      {"no channel", ActionKind::kTouch, Role::kRep, {}},
      {"no bant", ActionKind::kQualify, Role::kRep, {}},
  };
  for (const Bad& b : bad) {
    Lead l = MqlLead(pb);
    l.Do("2026-03-01T10:02:00Z", b.kind, "eve", b.role, b.opts);  // refused
    l.Do("2026-03-01T10:10:00Z", ActionKind::kTouch, "ana", Role::kRep, Channel("call"));
    LeadState s = l.Latest();
    EXPECT_EQ(s.stage, want.stage) << b.what;
    EXPECT_EQ(HistoryText(s), HistoryText(want)) << b.what;
    EXPECT_FALSE(s.bant.has_value()) << b.what;
    EXPECT_FALSE(s.owner.has_value()) << b.what;
    ASSERT_EQ(s.clocks.size(), 1u);
    EXPECT_EQ(s.clocks[0].responded_at, T("2026-03-01T10:10:00Z"))
        << b.what << ": a refused action is no response";
    EXPECT_EQ(s.clocks[0].responded_by.value_or(""), "ana") << b.what;
    ASSERT_EQ(s.skipped_actions.size(), 1u) << b.what;
    EXPECT_TRUE(HasWarning(s, ActionName(b.kind))) << b.what << Warnings(s);
  }
}

TEST(FoldActions, BackDatedActionThatNoLongerFitsIsSkippedWithAWarning) {
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-02T10:00:00Z", ActionKind::kAccept, "ana", Role::kRep);
  l.Do("2026-03-03T10:00:00Z", ActionKind::kTouch, "ana", Role::kRep, Channel("call"));
  ASSERT_EQ(l.Latest().stage, Stage::kSal);
  // A late event: the lead unsubscribed before the accept.
  l.Track("2026-03-01T12:00:00Z", "unsubscribed");
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kDisq) << Summary(s);
  ASSERT_EQ(s.skipped_actions.size(), 2u) << Warnings(s);
  EXPECT_EQ(s.skipped_actions[0].first, 1);
  EXPECT_TRUE(HasWarning(s, "'accept' by ana at 2026-03-02T10:00:00Z")) << Warnings(s);
  EXPECT_TRUE(HasWarning(s, "disqualified")) << "says why" << Warnings(s);
  EXPECT_TRUE(HasWarning(s, "'touch' by ana")) << Warnings(s);
  EXPECT_FALSE(s.owner.has_value());
  // As of before the unsubscribe, the lead was an MQL.
  EXPECT_EQ(l.At("2026-03-01T11:00:00Z").stage, Stage::kMql);
}

TEST(FoldActions, BackDatedActionCanPushALaterOneOutOfTheTimeline) {
  // ana accepted on 03-02 (recorded first); bo then records a reject he made
  // on 03-01 (back-dated, allowed: the lead was an MQL then). Replayed in
  // time order the accept now comes from nurture: skipped, with a warning.
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-02T10:00:00Z", ActionKind::kAccept, "ana", Role::kRep);
  l.Do("2026-03-01T12:00:00Z", ActionKind::kReject, "bo", Role::kRep, Reason("went quiet"));
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kNurture) << Summary(s);
  ASSERT_EQ(s.history.size(), 2u) << Summary(s);
  EXPECT_EQ(s.history[1].by, "bo");
  ASSERT_EQ(s.skipped_actions.size(), 1u);
  EXPECT_EQ(s.skipped_actions[0].first, 1) << "the accept (seq 1) is the one skipped";
  EXPECT_TRUE(HasWarning(s, "'accept' by ana at 2026-03-02T10:00:00Z")) << Warnings(s);
  EXPECT_TRUE(HasWarning(s, "nurture")) << Warnings(s);
  EXPECT_FALSE(s.owner.has_value());
  // The SLA clock was answered by the reject (the first accepted action).
  ASSERT_EQ(s.clocks.size(), 1u);
  EXPECT_EQ(s.clocks[0].responded_by.value_or(""), "bo");
}

TEST(FoldActions, ActionBeforeTheLeadExistsIsSkipped) {
  Lead l(PB(kStagePlaybook));
  l.Do("2026-03-01T08:00:00Z", ActionKind::kAccept, "ana", Role::kRep);
  l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Analyst")}});
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kLead);
  EXPECT_EQ(s.skipped_actions.size(), 1u);
  EXPECT_TRUE(HasWarning(s, "accept")) << Warnings(s);
}

// ---------------------------------------------------------------------------
// Speed to lead
// ---------------------------------------------------------------------------

TEST(FoldSla, ClockStartsOnEnteringMqlAndTheFirstAcceptedActionStopsIt) {
  Lead l = MqlLead(PB(kStagePlaybook));
  LeadState open = l.Latest();
  ASSERT_EQ(open.clocks.size(), 1u);
  EXPECT_EQ(open.clocks[0].mql_at, T("2026-03-01T10:00:00Z"));
  EXPECT_EQ(open.clocks[0].due, T("2026-03-01T10:05:00Z"));
  EXPECT_FALSE(open.clocks[0].responded_at.has_value());
  l.Do("2026-03-01T10:03:00Z", ActionKind::kQualify, "ana", Role::kRep,
       Qual(Answers("none", "unknown", "x", "2026-04-01")));
  l.Do("2026-03-01T10:04:00Z", ActionKind::kAccept, "bo", Role::kRep);
  LeadState s = l.Latest();
  ASSERT_EQ(s.clocks.size(), 1u);
  EXPECT_EQ(s.clocks[0].responded_at, T("2026-03-01T10:03:00Z")) << "any action is a response";
  EXPECT_EQ(s.clocks[0].responded_by.value_or(""), "ana");
}

TEST(FoldSla, LateResponseIsStillTheResponse) {
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-01T10:05:01Z", ActionKind::kTouch, "ana", Role::kRep, Channel("call"));
  LeadState s = l.Latest();
  ASSERT_EQ(s.clocks.size(), 1u);
  EXPECT_GT(*s.clocks[0].responded_at, s.clocks[0].due) << "a breach";
  // As of before the response the clock is open and overdue.
  LeadState before = l.At("2026-03-01T10:05:00.5Z");
  ASSERT_EQ(before.clocks.size(), 1u);
  EXPECT_FALSE(before.clocks[0].responded_at.has_value());
}

TEST(FoldSla, ActionsBeforeTheMqlDoNotAnswerIt) {
  Lead l(PB(kStagePlaybook));
  l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Director")}});
  l.Do("2026-03-01T09:30:00Z", ActionKind::kTouch, "ana", Role::kRep, Channel("email"));
  l.Track("2026-03-01T10:00:00Z", "webinar_attended");
  LeadState s = l.Latest();
  ASSERT_EQ(s.clocks.size(), 1u);
  EXPECT_FALSE(s.clocks[0].responded_at.has_value());
}

TEST(FoldSla, NoSlaNoClocks) {
  Lead l(PB(R"(
engagement:
  rules: [{ id: webinar, event: webinar_attended, points: 10 }]
mql: { engagement: 10 }
)"));
  l.Track("2026-03-01T10:00:00Z", "webinar_attended");
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kMql);
  EXPECT_TRUE(s.clocks.empty());
}

// ---------------------------------------------------------------------------
// Playbook versions
// ---------------------------------------------------------------------------

const char* kV1 = R"(
engagement:
  rules:
    - { id: webinar, event: webinar_attended, points: 10 }
mql: { engagement: 100 }
)";
const char* kV2Lower = R"(
engagement:
  rules:
    - { id: webinar, event: webinar_attended, points: 20 }
mql: { engagement: 20 }
)";

TEST(FoldVersions, ApplyPointEvaluatesAutomaticChangesUnderTheNewVersion) {
  Lead l(PB(kV1));
  l.Track("2026-03-01T10:00:00Z", "webinar_attended");
  l.Apply(PB(kV2Lower), "2026-03-05T00:00:00Z");
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kMql) << Summary(s);
  ASSERT_EQ(s.history.size(), 1u);
  EXPECT_EQ(s.history[0].at, T("2026-03-05T00:00:00Z"));
  EXPECT_EQ(s.history[0].playbook_version, 2);
  EXPECT_EQ(s.history[0].reason.value_or(""), "mql threshold");
  EXPECT_EQ(s.playbook_version, 2);
  // Before the apply time: version 1 and no MQL.
  LeadState before = l.At("2026-03-04T00:00:00Z");
  EXPECT_EQ(before.stage, Stage::kLead);
  EXPECT_EQ(before.playbook_version, 1);
}

TEST(FoldVersions, ScoresAsOfTUseTheVersionInForceAtTOverAllActivities) {
  Lead l(PB(kV1));
  l.Track("2026-03-01T10:00:00Z", "webinar_attended");
  l.Track("2026-03-02T10:00:00Z", "webinar_attended");
  l.Apply(PB(kV2Lower), "2026-03-05T00:00:00Z");
  LeadState v1 = l.At("2026-03-04T23:59:59Z");
  EXPECT_NEAR(v1.engagement, 20, kEps);
  LeadState v2 = l.At("2026-03-05T00:00:00Z");
  EXPECT_NEAR(v2.engagement, 40, kEps) << Summary(v2);
  EXPECT_EQ(Line(v2, "webinar")->count, 2);
  EXPECT_NEAR(Line(v2, "webinar")->points, 40, kEps);
}

TEST(FoldVersions, ThePastIsNeverReDecided) {
  // v1 made the lead an MQL; v2 raises the bar: the lead stays an MQL and its
  // history keeps version 1. A lead that was not an MQL needs v2's bar.
  auto v1 = PB(R"(
engagement:
  rules: [{ id: webinar, event: webinar_attended, points: 10 }]
mql: { engagement: 10 }
sla: { first_response: 5m }
)");
  auto v2 = PB(R"(
engagement:
  rules: [{ id: webinar, event: webinar_attended, points: 10 }]
mql: { engagement: 30 }
sla: { first_response: 1h }
)");
  Lead old(v1);
  old.Track("2026-03-01T10:00:00Z", "webinar_attended");
  old.Apply(v2, "2026-03-05T00:00:00Z");
  old.Track("2026-03-06T00:00:00Z", "webinar_attended");
  LeadState s = old.Latest();
  EXPECT_EQ(s.stage, Stage::kMql);
  ASSERT_EQ(s.history.size(), 1u) << Summary(s);
  EXPECT_EQ(s.history[0].playbook_version, 1);
  ASSERT_EQ(s.clocks.size(), 1u);
  EXPECT_EQ(s.clocks[0].due - s.clocks[0].mql_at, 5 * kMinute) << "clock of v1";

  Lead fresh(v1, "L-2");
  fresh.Track("2026-03-06T00:00:00Z", "webinar_attended");
  fresh.Apply(v2, "2026-03-05T00:00:00Z");
  EXPECT_EQ(fresh.Latest().stage, Stage::kLead);
  fresh.Track("2026-03-06T01:00:00Z", "webinar_attended");
  fresh.Track("2026-03-06T02:00:00Z", "webinar_attended");
  LeadState f = fresh.Latest();
  EXPECT_EQ(f.stage, Stage::kMql);
  EXPECT_EQ(f.history[0].playbook_version, 2);
  EXPECT_EQ(f.clocks[0].due - f.clocks[0].mql_at, kHour) << "clock of v2";
}

TEST(FoldVersions, NewTraitDisqualifierFiresAtTheApplyPoint) {
  auto v1 = PB("fields: { email: text }\n");
  auto v2 = PB(R"(
fields: { email: text }
disqualify:
  - id: competitor
    when: { field: email, matches: '@rival\.com$' }
    reason: Competitor
)");
  Lead l(v1);
  l.Identify("2026-03-01T00:00:00Z", {{"email", S("a@rival.com")}});
  l.Apply(v2, "2026-03-10T00:00:00Z");
  LeadState s = l.Latest();
  EXPECT_EQ(s.stage, Stage::kDisq) << Summary(s);
  ASSERT_EQ(s.history.size(), 1u);
  EXPECT_EQ(s.history[0].at, T("2026-03-10T00:00:00Z"));
  EXPECT_EQ(s.history[0].playbook_version, 2);
  EXPECT_EQ(s.history[0].rule.value_or(""), "competitor");
  EXPECT_EQ(l.At("2026-03-09T00:00:00Z").stage, Stage::kLead);
}

TEST(FoldVersions, ReApplyingTheSamePlaybookChangesNoScore) {
  // An engagement rule may test the lead's traits (`field`). Under one
  // version, an activity is scored with the traits the lead had at the
  // activity. Applying the very same playbook again must not change that.
  const char* yaml = R"(
fields: { job_title: text }
engagement:
  rules:
    - id: dm-webinar
      event: webinar_attended
      when: { field: job_title, matches: Director }
      points: 10
)";
  Lead l(PB(yaml));
  l.Identify("2026-03-01T00:00:00Z", {{"job_title", S("Director")}});
  l.Track("2026-03-02T00:00:00Z", "webinar_attended");
  l.Identify("2026-03-03T00:00:00Z", {{"job_title", S("Student")}});
  LeadState once = l.At("2026-03-05T00:00:00Z");
  ASSERT_NEAR(once.engagement, 10, kEps) << Summary(once);
  l.Apply(PB(yaml), "2026-03-04T00:00:00Z");
  LeadState twice = l.At("2026-03-05T00:00:00Z");
  EXPECT_NEAR(twice.engagement, 10, kEps)
      << "BUG: after a version switch the fold re-scores every past activity with the traits "
         "the lead has at the apply time, not the traits it had at the activity\n"
      << Summary(twice);
}

TEST(FoldVersions, ApplyPointDoesNotCreateALeadThatHasNoEventsYet) {
  Lead l(PB(kV1));
  l.Apply(PB(kV2Lower), "2026-03-05T00:00:00Z");
  l.Track("2026-03-06T00:00:00Z", "webinar_attended");
  EXPECT_FALSE(l.At("2026-03-05T12:00:00Z").exists);
  LeadState s = l.Latest();
  EXPECT_TRUE(s.exists);
  EXPECT_EQ(s.stage, Stage::kMql);
  EXPECT_EQ(s.history[0].at, T("2026-03-06T00:00:00Z"));
}

TEST(FoldVersions, ApplyPointDoesNotReEngageANurtureLead) {
  Lead l(PB(R"(
engagement:
  rules: [{ id: webinar, event: webinar_attended, points: 10 }]
mql: { engagement: 10 }
)"));
  l.Track("2026-03-01T00:00:00Z", "webinar_attended");
  l.Do("2026-03-02T00:00:00Z", ActionKind::kReject, "ana", Role::kRep, Reason("x"));
  l.Apply(PB(kV2Lower), "2026-03-03T00:00:00Z");
  EXPECT_EQ(l.Latest().stage, Stage::kNurture);
}

// ---------------------------------------------------------------------------
// As of T
// ---------------------------------------------------------------------------

TEST(FoldAsOf, EverythingAfterTIsIgnored) {
  Lead l = MqlLead(PB(kStagePlaybook));
  l.Do("2026-03-01T10:02:00Z", ActionKind::kAccept, "ana", Role::kRep);
  l.Do("2026-03-01T10:03:00Z", ActionKind::kQualify, "ana", Role::kRep,
       Qual(Answers("confirmed", "decision_maker", "crm", "2026-04-01")));
  l.Identify("2026-03-01T11:00:00Z", {{"job_title", S("Student")}});
  l.Page("2026-03-01T12:00:00Z", "/pricing");

  LeadState s = l.At("2026-03-01T10:01:00Z");
  EXPECT_TRUE(s.exists);
  EXPECT_EQ(s.stage, Stage::kMql);
  EXPECT_EQ(Trait(s, "job_title"), "\"Director of IT\"");
  EXPECT_NEAR(s.total, 30, kEps);
  EXPECT_EQ(s.history.size(), 1u);
  EXPECT_FALSE(s.bant.has_value());
  ASSERT_EQ(s.clocks.size(), 1u);
  EXPECT_FALSE(s.clocks[0].responded_at.has_value());

  LeadState later = l.At("2026-03-01T12:00:00Z");
  EXPECT_EQ(later.stage, Stage::kSal);
  EXPECT_EQ(Trait(later, "job_title"), "\"Student\"");
  EXPECT_NEAR(later.total, 20, kEps);
  EXPECT_TRUE(later.bant.has_value());
}

TEST(FoldAsOf, ALeadWithNoEventAtOrBeforeTDoesNotExist) {
  Lead l(PB(kStagePlaybook));
  l.Identify("2026-03-01T09:00:00Z", {{"job_title", S("Analyst")}});
  EXPECT_FALSE(l.At("2026-03-01T08:59:59Z").exists);
  EXPECT_TRUE(l.At("2026-03-01T09:00:00Z").exists);
}

TEST(FoldAsOf, ScoresDecayToTNotToTheLastEvent) {
  Lead l(PB(kDecayPlaybook));
  l.Track("2026-01-01T00:00:00Z", "webinar_attended");
  l.Track("2026-03-01T00:00:00Z", "webinar_attended");  // after T: ignored
  EXPECT_NEAR(l.At("2026-01-31T00:00:00Z").engagement, 5.0, kEps);
}

}  // namespace
}  // namespace leadgate
