// Every way a playbook can be wrong (shared/spec/playbook.md: "Anything not
// valid under this document is rejected with an error that names the file,
// line and column and says what is wrong"), checked for the position and the
// words a sales-ops person needs to fix it. Plus `leadgate playbook check`.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "playbook/playbook.h"
#include "test_util.h"

namespace leadgate {
namespace {

// "line:column" (1-based) of the first occurrence of `token` in `text`, at or
// after the start of the line holding `after` (when given).
std::string Pos(const std::string& text, const std::string& token, const std::string& after = "") {
  size_t from = 0;
  if (!after.empty()) {
    from = text.find(after);
    if (from == std::string::npos) return "<'" + after + "' not in the playbook>";
  }
  size_t at = text.find(token, from);
  if (at == std::string::npos) return "<'" + token + "' not in the playbook>";
  size_t line = 1, col = 1;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The loader's message for a playbook that must be rejected ("" when it was
// accepted, which fails the test).
std::string ErrorOf(const std::string& yaml, const std::string& file = "team/playbook.yaml") {
  auto r = LoadPlaybook(yaml, file);
  EXPECT_FALSE(r.ok()) << "accepted, but should be rejected:\n" << yaml;
  return r.ok() ? std::string() : r.status().message();
}

// Checks that the error starts with "team/playbook.yaml:L:C: " where L:C is
// the position of one of `tokens` (the first that is found), and that it
// contains every word of `words` (case-insensitive).
void ExpectError(const std::string& yaml, std::initializer_list<std::string> tokens,
                 std::initializer_list<std::string> words, const std::string& after = "") {
  std::string msg = ErrorOf(yaml);
  if (msg.empty()) return;
  bool at_one = false;
  std::string wanted;
  for (const auto& t : tokens) {
    std::string prefix = "team/playbook.yaml:" + Pos(yaml, t, after) + ": ";
    wanted += (wanted.empty() ? "" : " or ") + prefix;
    if (msg.rfind(prefix, 0) == 0) at_one = true;
  }
  EXPECT_TRUE(at_one) << "want the message to start with " << wanted << "\n  got: " << msg;
  for (const auto& w : words) {
    EXPECT_NE(Lower(msg).find(Lower(w)), std::string::npos)
        << "want the message to say '" << w << "'\n  got: " << msg;
  }
  // A sentence, not a code: some words after the position.
  size_t sep = msg.find(": ");
  EXPECT_GT(msg.size(), sep + 20) << msg;
}

// A valid playbook to start from; tests change one thing in it.
const char* kValid = R"(version: 1
name: Errors test
fields:
  email: text
  job_title: text
  company_size: number
fit:
  - id: decision-maker
    when: { field: job_title, matches: '(?i)director|vp' }
    points: 20
  - id: company-size
    when: { field: company_size, between: [50, 5000] }
    points: 10
engagement:
  half_life: 30d
  cap: 100
  rules:
    - id: pricing-page
      event: page_view
      when: { property: url, matches: /pricing }
      points: 10
      limit: { count: 1, per: 1d }
    - id: webinar
      event: webinar_attended
      points: 15
disqualify:
  - id: unsubscribed
    event: unsubscribed
    reason: Unsubscribed from email
  - id: competitor
    when: { field: email, matches: '@rivalcorp\.com$' }
    reason: Works for a competitor
mql:
  fit: 20
  engagement: 10
  total: 40
bant:
  form_event: bant_form_submitted
  authority: [decision_maker, influencer]
  max_timeline: 90d
sla:
  first_response: 5m
)";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in the playbook";
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(PlaybookErrors, TheBaseIsValid) {
  auto r = LoadPlaybook(kValid, "team/playbook.yaml");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)->fit.size(), 2u);
  EXPECT_EQ((*r)->engagement.size(), 2u);
  EXPECT_EQ((*r)->disqualify.size(), 2u);
}

// --- unknown keys -----------------------------------------------------------

TEST(PlaybookErrors, UnknownTopLevelKey) {
  std::string y = Replace(kValid, "mql:\n", "mql_threshold: 70\nmql:\n");
  ExpectError(y, {"mql_threshold"}, {"unknown key", "mql_threshold"});
}

TEST(PlaybookErrors, TypoInARuleKey) {
  std::string y = Replace(kValid, "    points: 20\n", "    pionts: 20\n");
  ExpectError(y, {"pionts"}, {"unknown key", "pionts", "points"});
}

TEST(PlaybookErrors, UnknownKeyInEngagementLimitMqlBantSla) {
  ExpectError(Replace(kValid, "  cap: 100\n", "  cap: 100\n  halflife: 3d\n"), {"halflife"},
              {"unknown key", "halflife"});
  ExpectError(Replace(kValid, "{ count: 1, per: 1d }", "{ count: 1, every: 1d }"), {"every"},
              {"unknown key", "every"});
  ExpectError(Replace(kValid, "  total: 40\n", "  totl: 40\n"), {"totl"}, {"unknown key", "totl"});
  ExpectError(Replace(kValid, "  max_timeline: 90d\n", "  max_timline: 90d\n"), {"max_timline"},
              {"unknown key", "max_timline"});
  ExpectError(Replace(kValid, "  first_response: 5m\n", "  first_reponse: 5m\n"), {"first_reponse"},
              {"unknown key", "first_reponse"});
  ExpectError(Replace(kValid, "    reason: Unsubscribed from email\n",
                      "    reason: Unsubscribed from email\n    points: -5\n"),
              {"points: -5"}, {"unknown key", "points"});
}

TEST(PlaybookErrors, UnknownOperatorInACondition) {
  std::string y = Replace(kValid, "{ property: url, matches: /pricing }",
                          "{ property: url, contains: /pricing }");
  ExpectError(y, {"contains"}, {"unknown key", "contains"});
}

// --- wrong types ------------------------------------------------------------

TEST(PlaybookErrors, PointsMustBeANumber) {
  std::string y = Replace(kValid, "    points: 20\n", "    points: \"ten\"\n");
  ExpectError(y, {"\"ten\""}, {"points", "number", "ten"});
  std::string y2 = Replace(kValid, "      points: 15\n", "      points: [15]\n");
  ExpectError(y2, {"[15]"}, {"points", "number"});
}

TEST(PlaybookErrors, OtherWrongTypes) {
  ExpectError(Replace(kValid, "  cap: 100\n", "  cap: lots\n"), {"lots"}, {"cap", "number"});
  ExpectError(Replace(kValid, "  total: 40\n", "  total: high\n"), {"high"}, {"total", "number"});
  ExpectError("fields: { email: text }\nfit:\n  id: x\n  points: 3\n", {"id: x"}, {"fit", "list"});
  ExpectError(Replace(kValid, "  job_title: text\n", "  job_title: string\n"), {"string"},
              {"job_title", "type", "text, number, bool or time"});
  ExpectError(Replace(kValid, "[decision_maker, influencer]", "[decision_maker, boss]"), {"boss"},
              {"authority", "boss"});
  ExpectError(Replace(kValid, "{ count: 1, per: 1d }", "{ count: 1.5, per: 1d }"), {"1.5"},
              {"count", "whole number"});
  ExpectError(Replace(kValid, "{ count: 1, per: 1d }", "{ count: 0, per: 1d }"), {"0, per"},
              {"count"});
}

TEST(PlaybookErrors, ComparingAFieldWithAValueOfTheWrongType) {
  ExpectError(Replace(kValid, "between: [50, 5000]", "equals: lots"), {"lots"},
              {"company_size", "number", "lots"});
  ExpectError(Replace(kValid, "{ field: job_title, matches: '(?i)director|vp' }",
                      "{ field: job_title, gte: 3 }"),
              {"3 }", "gte"}, {"gte", "job_title", "text"});
  ExpectError(Replace(kValid, "between: [50, 5000]", "matches: '^5'"), {"'^5'", "matches"},
              {"matches", "company_size", "number"});
}

// --- regexes ----------------------------------------------------------------

TEST(PlaybookErrors, BadRegexLookBehind) {
  std::string y = Replace(kValid, "'(?i)director|vp'", "'(?<=x)director'");
  ExpectError(y, {"'(?<=x)"}, {"regular expression", "(?<=x)director"});
}

TEST(PlaybookErrors, BadRegexUnclosedGroup) {
  std::string y = Replace(kValid, "matches: /pricing", "matches: '(pricing'");
  ExpectError(y, {"'(pricing'"}, {"regular expression", "(pricing"});
}

TEST(PlaybookErrors, BadRegexBackReference) {
  std::string y = Replace(kValid, "'@rivalcorp\\.com$'", "'(a)\\1'");
  ExpectError(y, {"'(a)"}, {"regular expression"});
}

// --- fields and properties --------------------------------------------------

TEST(PlaybookErrors, UndeclaredField) {
  std::string y = Replace(kValid, "{ field: job_title, matches: '(?i)director|vp' }",
                          "{ field: title, matches: '(?i)director|vp' }");
  ExpectError(y, {"title, matches", "field: title"}, {"'title'", "not declared", "fields"});
}

TEST(PlaybookErrors, UndeclaredFieldInsideAnyOrNot) {
  std::string y = Replace(kValid, "    when: { field: email, matches: '@rivalcorp\\.com$' }",
                          "    when:\n      any:\n        - { field: email, exists: false }\n"
                          "        - not: { field: domain, matches: rivalcorp }");
  ExpectError(y, {"domain"}, {"'domain'", "not declared"});
}

TEST(PlaybookErrors, PropertyInAFitRule) {
  std::string y = Replace(kValid, "{ field: company_size, between: [50, 5000] }",
                          "{ property: seats, between: [50, 5000] }");
  ExpectError(y, {"seats", "property: seats"}, {"property", "event"});
}

TEST(PlaybookErrors, PropertyInATraitDisqualifyRule) {
  std::string y = Replace(kValid, "{ field: email, matches: '@rivalcorp\\.com$' }",
                          "{ property: email, matches: '@rivalcorp\\.com$' }");
  ExpectError(y, {"email, matches: '@rival", "property: email"}, {"property", "event"},
              "id: competitor");
}

// --- rule ids ---------------------------------------------------------------

TEST(PlaybookErrors, DuplicateRuleIdAcrossSections) {
  std::string y = Replace(kValid, "  - id: unsubscribed\n", "  - id: webinar\n");
  ExpectError(y, {"webinar"}, {"duplicate", "'webinar'"}, "disqualify:");
}

TEST(PlaybookErrors, DuplicateRuleIdInOneSection) {
  std::string y = Replace(kValid, "  - id: company-size\n", "  - id: decision-maker\n");
  ExpectError(y, {"decision-maker"}, {"duplicate", "decision-maker"}, "points: 20");
}

TEST(PlaybookErrors, BadRuleIds) {
  for (const char* bad : {"Pricing", "pricing page", "-pricing", "pricing.page", "_x", "prïcing"}) {
    std::string y = Replace(kValid, "id: webinar", std::string("id: '") + bad + "'");
    ExpectError(y, {std::string("'") + bad + "'"}, {"rule id", bad});
  }
}

TEST(PlaybookErrors, GoodRuleIdsAreAccepted) {
  for (const char* good : {"a", "0", "web_inar-2", "9lives"}) {
    std::string y = Replace(kValid, "id: webinar", std::string("id: ") + good);
    auto r = LoadPlaybook(y, "x.yaml");
    EXPECT_TRUE(r.ok()) << good << ": " << r.status().message();
  }
}

TEST(PlaybookErrors, MissingRuleId) {
  std::string y = Replace(kValid, "    - id: webinar\n      event: webinar_attended\n",
                          "    - event: webinar_attended\n");
  ExpectError(y, {"event: webinar_attended"}, {"id"});
}

// --- durations --------------------------------------------------------------

TEST(PlaybookErrors, BadDurations) {
  struct Case {
    const char* from;
    const char* to;
    const char* token;
    const char* word;
  };
  const Case cases[] = {
      {"half_life: 30d", "half_life: 30 days", "30 days", "half_life"},
      {"half_life: 30d", "half_life: 30", "30\n", "half_life"},
      {"half_life: 30d", "half_life: 1.5d", "1.5d", "half_life"},
      {"half_life: 30d", "half_life: 0d", "0d", "half_life"},
      {"half_life: 30d", "half_life: 30D", "30D", "half_life"},
      {"half_life: 30d", "half_life: -3d", "-3d", "half_life"},
      {"per: 1d", "per: daily", "daily", "per"},
      {"max_timeline: 90d", "max_timeline: 3 months", "3 months", "max_timeline"},
      {"first_response: 5m", "first_response: 5min", "5min", "first_response"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.to);
    std::string y = Replace(kValid, c.from, c.to);
    ExpectError(y, {c.token}, {c.word, "duration"}, c.to);
  }
}

TEST(PlaybookErrors, GoodDurationsAreAccepted) {
  for (const char* d : {"30s", "5m", "36h", "90d", "2w"}) {
    std::string y = Replace(kValid, "half_life: 30d", std::string("half_life: ") + d);
    auto r = LoadPlaybook(y, "x.yaml");
    EXPECT_TRUE(r.ok()) << d << ": " << r.status().message();
  }
}

// --- thresholds that can never be met --------------------------------------

TEST(PlaybookErrors, MqlFitAboveAllPositiveFitPoints) {
  std::string y = Replace(kValid, "  fit: 20\n", "  fit: 31\n");  // 20 + 10 = 30
  ExpectError(y, {"31"}, {"fit", "never", "31", "30"});
}

TEST(PlaybookErrors, MqlFitIgnoresNegativeRulesWhenComputingTheMaximum) {
  std::string y = Replace(kValid, "  - id: company-size\n",
                          "  - id: student\n    when: { field: job_title, matches: student }\n"
                          "    points: -30\n  - id: company-size\n");
  y = Replace(y, "  fit: 20\n", "  fit: 30\n");  // reachable: 20 + 10
  auto r = LoadPlaybook(y, "x.yaml");
  EXPECT_TRUE(r.ok()) << r.status().message();
}

TEST(PlaybookErrors, MqlEngagementAboveTheCap) {
  std::string y = Replace(kValid, "  engagement: 10\n", "  engagement: 101\n");
  ExpectError(y, {"101"}, {"engagement", "never", "101", "100"});
}

TEST(PlaybookErrors, MqlEngagementAboveWhatLimitedRulesCanGive) {
  // Only "at most N ever" rules: 2 x 10 = 20 at most.
  std::string y = R"(engagement:
  rules:
    - id: ebook
      event: ebook_downloaded
      points: 10
      limit: { count: 2 }
mql:
  engagement: 25
)";
  ExpectError(y, {"25"}, {"engagement", "never", "25", "20"});
}

TEST(PlaybookErrors, MqlEngagementWithoutPositiveRules) {
  std::string y = R"(engagement:
  rules:
    - id: careers
      event: page_view
      points: -5
mql:
  engagement: 1
)";
  ExpectError(y, {"1\n"}, {"engagement", "never"}, "mql:");
}

TEST(PlaybookErrors, MqlEngagementAboveWhatDecayingLimitedRulesCanGive) {
  // One visit a day counts, and points halve every day: 10 + 5 + 2.5 + ...
  // never reaches 20, so a minimum of 25 can never be met.
  std::string y = R"(engagement:
  half_life: 1d
  rules:
    - id: pricing
      event: page_view
      points: 10
      limit: { count: 1, per: 1d }
mql:
  engagement: 25
)";
  auto r = LoadPlaybook(y, "team/playbook.yaml");
  EXPECT_FALSE(r.ok()) << "BUG: accepted, but with a half-life of 1d and one counted visit per "
                          "day engagement stays below 20: the minimum 25 can never be met";
  if (!r.ok()) {
    EXPECT_EQ(r.status().message().rfind("team/playbook.yaml:" + Pos(y, "25") + ": ", 0), 0u)
        << r.status().message();
  }
}

TEST(PlaybookErrors, MqlTotalAboveFitPlusCap) {
  std::string y = Replace(kValid, "  total: 40\n", "  total: 131\n");  // 30 + 100
  ExpectError(y, {"131"}, {"total", "never", "131", "130"});
}

TEST(PlaybookErrors, MqlNeedsAMinimum) {
  std::string y = Replace(kValid, "  fit: 20\n  engagement: 10\n  total: 40\n", "  {}\n");
  y = Replace(y, "mql:\n  {}\n", "mql: {}\n");
  ExpectError(y, {"{}"}, {"mql", "minimum"}, "mql:");
}

// --- conditions -------------------------------------------------------------

TEST(PlaybookErrors, BetweenLowAboveHigh) {
  std::string y = Replace(kValid, "between: [50, 5000]", "between: [5000, 50]");
  ExpectError(y, {"[5000, 50]", "5000, 50]"}, {"between", "low", "high"});
}

TEST(PlaybookErrors, BetweenNeedsTwoNumbers) {
  ExpectError(Replace(kValid, "between: [50, 5000]", "between: [50]"), {"[50]"}, {"between"});
  ExpectError(Replace(kValid, "between: [50, 5000]", "between: [50, lots]"), {"lots", "[50"},
              {"number"});
}

TEST(PlaybookErrors, ConditionNeedsExactlyOneOperator) {
  ExpectError(
      Replace(kValid, "{ field: company_size, between: [50, 5000] }", "{ field: company_size }"),
      {"{ field: company_size }"}, {"operator"});
  ExpectError(Replace(kValid, "{ field: company_size, between: [50, 5000] }",
                      "{ field: company_size, gte: 50, lte: 5000 }"),
              {"{ field: company_size, gte"}, {"operator"});
}

TEST(PlaybookErrors, ConditionNeedsAFieldOrProperty) {
  ExpectError(Replace(kValid, "{ field: company_size, between: [50, 5000] }", "{ gte: 50 }"),
              {"{ gte: 50 }"}, {"field"});
}

// --- required keys ----------------------------------------------------------

TEST(PlaybookErrors, RequiredKeysOfRules) {
  ExpectError(Replace(kValid, "    points: 20\n  - id: company-size", "  - id: company-size"),
              {"id: decision-maker", "- id: decision-maker"}, {"points"});
  ExpectError(Replace(kValid, "      event: webinar_attended\n", ""), {"id: webinar"}, {"event"});
  ExpectError(Replace(kValid, "    reason: Unsubscribed from email\n", ""), {"id: unsubscribed"},
              {"reason"});
  ExpectError(Replace(kValid,
                      "    when: { field: email, matches: '@rivalcorp\\.com$' }\n"
                      "    reason: Works for a competitor\n",
                      "    reason: Works for a competitor\n"),
              {"id: competitor"}, {"event", "when"});
}

// --- YAML itself ------------------------------------------------------------

TEST(PlaybookErrors, BadYamlSyntax) {
  // An unclosed flow map: the parser notices at the end of the line.
  std::string y =
      "fields:\n  email: text\nfit:\n  - id: x\n    when: { field: email, exists: true\n"
      "    points: 1\n";
  std::string msg = ErrorOf(y);
  EXPECT_EQ(msg.rfind("team/playbook.yaml:", 0), 0u) << msg;
  EXPECT_NE(Lower(msg).find("yaml"), std::string::npos) << msg;
  // The position is inside the broken flow map (line 5 or 6), not 0:0.
  EXPECT_TRUE(msg.rfind("team/playbook.yaml:5:", 0) == 0 ||
              msg.rfind("team/playbook.yaml:6:", 0) == 0)
      << msg;
}

TEST(PlaybookErrors, BadIndentation) {
  std::string y = "fields:\n  email: text\n job_title: text\n";
  std::string msg = ErrorOf(y);
  EXPECT_EQ(msg.rfind("team/playbook.yaml:3:", 0), 0u) << msg;
  EXPECT_NE(Lower(msg).find("yaml"), std::string::npos) << msg;
}

TEST(PlaybookErrors, DuplicateKey) {
  // Two 'fit:' sections: the second would silently win or be ignored.
  std::string y = "fields:\n  email: text\nfit: []\nfit: []\n";
  auto r = LoadPlaybook(y, "team/playbook.yaml");
  EXPECT_FALSE(r.ok()) << "BUG: a playbook with two 'fit:' keys is accepted; one section is "
                          "silently ignored";
  if (!r.ok()) {
    EXPECT_EQ(r.status().message().rfind("team/playbook.yaml:4:1: ", 0), 0u);
  }
}

TEST(PlaybookErrors, AnEmptyValueIsReportedOnItsOwnLine) {
  // `points:` with nothing after it, on line 5: the error must point at line
  // 5 and not call the empty value "a list or map".
  struct Case {
    std::string yaml, key;
  };
  const Case cases[] = {
      {"fields: {x: text}\nfit:\n  - id: a\n    when: { field: x, exists: true }\n    points:\n"
       "  - id: b\n    when: { field: x, exists: true }\n    points: 2\n",
       "points:"},
      {"engagement:\n  cap:\n  rules: []\n", "cap:"},
      {"engagement:\n  half_life:\n  rules: []\n", "half_life:"},
  };
  for (const Case& c : cases) {
    std::string msg = ErrorOf(c.yaml);
    std::string line = Pos(c.yaml, c.key);
    line = line.substr(0, line.find(':') + 1);
    EXPECT_EQ(msg.rfind("team/playbook.yaml:" + line, 0), 0u)
        << "BUG: an empty '" << c.key << "' is reported on another line: " << msg;
    EXPECT_EQ(msg.find("list or map"), std::string::npos)
        << "BUG: an empty value is described as 'a list or map': " << msg;
  }
}

TEST(PlaybookErrors, EmptyFile) {
  for (const char* empty : {"", "\n\n", "# only a comment\n", "   \n"}) {
    std::string msg = ErrorOf(empty);
    EXPECT_EQ(msg.rfind("team/playbook.yaml:1:1: ", 0), 0u) << "[" << empty << "] " << msg;
    EXPECT_NE(Lower(msg).find("empty"), std::string::npos) << msg;
  }
}

TEST(PlaybookErrors, NotAMap) {
  ExpectError("- fit\n- engagement\n", {"- fit"}, {"playbook", "map"});
  ExpectError("just some words\n", {"just"}, {"playbook", "map"});
}

// --- the command line -------------------------------------------------------

using leadgate::testing::RunLeadgate;
using leadgate::testing::TempDir;

TEST(PlaybookCheckCli, ValidExitsZero) {
  TempDir dir;
  dir.Write("good.yaml", kValid);
  auto r = RunLeadgate({"playbook", "check", "good.yaml"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("good.yaml"), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST(PlaybookCheckCli, InvalidExitsOneWithFileLineColumnOnStderr) {
  TempDir dir;
  std::string y = Replace(kValid, "    points: 20\n", "    pionts: 20\n");
  dir.Write("bad.yaml", y);
  auto r = RunLeadgate({"playbook", "check", "bad.yaml"}, dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.yaml:" + Pos(y, "pionts") + ": "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pionts"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("ok"), std::string::npos) << r.out;
}

TEST(PlaybookCheckCli, EveryKindOfErrorExitsOne) {
  TempDir dir;
  const std::string bad[] = {
      "",
      "fit: [\n",
      Replace(kValid, "'(?i)director|vp'", "'('"),
      Replace(kValid, "  fit: 20\n", "  fit: 1000\n"),
      Replace(kValid, "half_life: 30d", "half_life: soon"),
  };
  int i = 0;
  for (const auto& y : bad) {
    std::string name = "bad" + std::to_string(i++) + ".yaml";
    dir.Write(name, y);
    auto r = RunLeadgate({"playbook", "check", name}, dir.path());
    EXPECT_EQ(r.exit_code, 1) << name << "\n" << r.err;
    EXPECT_NE(r.err.find(name + ":"), std::string::npos) << r.err;
  }
}

TEST(PlaybookCheckCli, MissingFileAndUsage) {
  TempDir dir;
  auto missing = RunLeadgate({"playbook", "check", "nope.yaml"}, dir.path());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.yaml"), std::string::npos) << missing.err;
  auto usage = RunLeadgate({"playbook", "check"}, dir.path());
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
}

TEST(PlaybookCheckCli, CheckNeedsNoStore) {
  TempDir dir;
  dir.Write("good.yaml", kValid);
  auto r =
      RunLeadgate({"--db", dir.File("absent.db"), "playbook", "check", "good.yaml"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST(PlaybookCheckCli, ABadPlaybookNeverReplacesTheGoodOne) {
  TempDir dir;
  dir.Write("good.yaml", kValid);
  dir.Write("bad.yaml", Replace(kValid, "  cap: 100\n", "  cap: lots\n"));
  std::string db = dir.File("lg.db");
  ASSERT_EQ(RunLeadgate({"--db", db, "init", "--playbook", "good.yaml"}, dir.path()).exit_code, 0);
  auto apply = RunLeadgate(
      {"--db", db, "playbook", "apply", "bad.yaml", "--at", "2026-03-01T00:00:00Z"}, dir.path());
  EXPECT_EQ(apply.exit_code, 1);
  EXPECT_NE(apply.err.find("bad.yaml:"), std::string::npos) << apply.err;
  auto list = RunLeadgate({"--db", db, "playbook", "list"}, dir.path());
  EXPECT_EQ(list.out.find("v2"), std::string::npos) << list.out;
  // init with a bad playbook creates no store.
  auto init =
      RunLeadgate({"--db", dir.File("other.db"), "init", "--playbook", "bad.yaml"}, dir.path());
  EXPECT_EQ(init.exit_code, 1);
  EXPECT_NE(init.err.find("bad.yaml:"), std::string::npos) << init.err;
}

}  // namespace
}  // namespace leadgate
