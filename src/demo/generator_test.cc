#include "demo/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace leadgate::demo {
namespace {

using nlohmann::json;

std::string Events(const GenOptions& opt) {
  std::ostringstream out;
  GenerateEvents(opt, out);
  return out.str();
}

std::string LeadsCsv(const GenOptions& opt) {
  std::ostringstream out;
  GenerateLeadsCsv(opt, out);
  return out.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<json> ParseEvents(const std::string& text) {
  std::vector<json> events;
  for (const std::string& line : Lines(text)) {
    EXPECT_TRUE(json::accept(line)) << line;
    if (json::accept(line)) events.push_back(json::parse(line));
  }
  return events;
}

// RFC 4180 records (quoted fields, doubled quotes, embedded commas).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cell += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(cell);
      cell.clear();
    } else if (c == '\n') {
      row.push_back(cell);
      cell.clear();
      rows.push_back(row);
      row.clear();
    } else {
      cell += c;
    }
  }
  EXPECT_FALSE(quoted) << "unterminated quoted field";
  EXPECT_TRUE(cell.empty() && row.empty()) << "last record lacks its line break";
  return rows;
}

// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ".
int64_t ParseTimestamp(const std::string& s) {
  const int y = std::stoi(s.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(s.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(std::stoi(s.substr(8, 2)));
  // Days from civil (H. Hinnant).
  const int yy = y - (m <= 2 ? 1 : 0);
  const int era = (yy >= 0 ? yy : yy - 399) / 400;
  const auto yoe = static_cast<unsigned>(yy - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = int64_t{era} * 146097 + doe - 719468;
  return days * 86400 + std::stoi(s.substr(11, 2)) * 3600 + std::stoi(s.substr(14, 2)) * 60 +
         std::stoi(s.substr(17, 2));
}

std::string Str(const json& value) { return value.get<std::string>(); }

bool IsActivity(const json& e) { return e["type"] == "track" || e["type"] == "page"; }

TEST(GeneratorTest, SameOptionsGiveIdenticalBytes) {
  const GenOptions opt;
  EXPECT_EQ(Events(opt), Events(opt));
  EXPECT_EQ(LeadsCsv(opt), LeadsCsv(opt));
}

uint64_t Fingerprint(const std::string& bytes) {  // FNV-1a
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// The output must not depend on the compiler, standard library or platform:
// benchmark results are compared across machines on the same data. Update
// these values only when the generator is changed on purpose.
TEST(GeneratorTest, DefaultOutputIsPinned) {
  const GenOptions opt;
  EXPECT_EQ(Fingerprint(Events(opt)), 0x0bb502bfa9b46695ULL);
  EXPECT_EQ(Fingerprint(LeadsCsv(opt)), 0x4fb621c3f4154068ULL);
}

TEST(GeneratorTest, DifferentSeedsGiveDifferentData) {
  GenOptions a;
  GenOptions b;
  b.seed = a.seed + 1;
  EXPECT_NE(Events(a), Events(b));
  EXPECT_NE(LeadsCsv(a), LeadsCsv(b));
}

TEST(GeneratorTest, LeadsDoNotDependOnTheEventCount) {
  GenOptions a;
  GenOptions b;
  b.events = 10 * a.events;
  EXPECT_EQ(LeadsCsv(a), LeadsCsv(b));
}

TEST(GeneratorTest, EveryLineIsASegmentEvent) {
  const GenOptions opt;
  const std::regex lead_id("L-[0-9]{6}");
  const std::regex timestamp("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z");
  const std::set<std::string> names = {
      "webinar_attended", "email_replied",      "email_clicked",
      "form_submitted",   "content_downloaded", "bant_form_submitted",
      "unsubscribed",     "email_bounced",      "spam_reported"};
  std::set<std::string> message_ids;
  const std::vector<json> events = ParseEvents(Events(opt));
  ASSERT_FALSE(events.empty());
  for (const json& e : events) {
    SCOPED_TRACE(e.dump());
    ASSERT_TRUE(e.is_object());
    ASSERT_TRUE(e.contains("type") && e["type"].is_string());
    ASSERT_TRUE(e.contains("userId") && e["userId"].is_string());
    EXPECT_TRUE(std::regex_match(e["userId"].get<std::string>(), lead_id));
    ASSERT_TRUE(e.contains("timestamp") && e["timestamp"].is_string());
    EXPECT_TRUE(std::regex_match(e["timestamp"].get<std::string>(), timestamp));
    ASSERT_TRUE(e.contains("messageId") && e["messageId"].is_string());
    EXPECT_TRUE(message_ids.insert(e["messageId"].get<std::string>()).second) << "duplicate id";
    const std::string type = Str(e["type"]);
    if (type == "identify") {
      ASSERT_TRUE(e.contains("traits") && e["traits"].is_object());
      EXPECT_FALSE(e["traits"].empty());
      for (const auto& [key, value] : e["traits"].items()) {
        EXPECT_TRUE(value.is_string() || value.is_number()) << key;
      }
    } else if (type == "track") {
      ASSERT_TRUE(e.contains("event") && e["event"].is_string());
      EXPECT_EQ(names.count(e["event"].get<std::string>()), 1u);
      ASSERT_TRUE(e.contains("properties") && e["properties"].is_object());
    } else {
      ASSERT_EQ(type, "page");
      ASSERT_TRUE(e.contains("name") && e["name"].is_string());
      ASSERT_TRUE(e.contains("properties") && e["properties"].is_object());
      ASSERT_TRUE(e["properties"].contains("url") && e["properties"]["url"].is_string());
    }
  }
}

TEST(GeneratorTest, EventPropertiesMatchThePlaybookVocabulary) {
  GenOptions opt;
  opt.leads = 1000;
  opt.events = 12000;
  const std::regex date("[0-9]{4}-[0-9]{2}-[0-9]{2}");
  std::map<std::string, int> seen;
  for (const json& e : ParseEvents(Events(opt))) {
    if (e["type"] != "track") continue;
    const std::string name = Str(e["event"]);
    const json& p = e["properties"];
    ++seen[name];
    if (name == "form_submitted") {
      const std::string form = Str(p.at("form"));
      EXPECT_TRUE(form == "contact" || form == "demo" || form == "newsletter") << form;
      ++seen["form:" + form];
    } else if (name == "email_bounced") {
      const std::string bounce = Str(p.at("bounce"));
      EXPECT_TRUE(bounce == "hard" || bounce == "soft") << bounce;
      ++seen["bounce:" + bounce];
    } else if (name == "content_downloaded") {
      EXPECT_TRUE(p.at("asset").is_string());
    } else if (name == "bant_form_submitted") {
      const std::string budget = Str(p.at("budget"));
      EXPECT_TRUE(budget == "confirmed" || budget == "unconfirmed" || budget == "none");
      const std::string authority = Str(p.at("authority"));
      EXPECT_TRUE(authority == "decision_maker" || authority == "influencer" ||
                  authority == "researcher" || authority == "unknown");
      EXPECT_FALSE(p.at("need").get<std::string>().empty());
      const std::string timeline = Str(p.at("timeline"));
      ASSERT_TRUE(std::regex_match(timeline, date)) << timeline;
      const int64_t days =
          (ParseTimestamp(timeline + "T00:00:00Z") - ParseTimestamp(Str(e["timestamp"]))) / 86400;
      EXPECT_GE(days, 13);
      EXPECT_LE(days, 120);
    }
  }
  // A realistic mix: every kind of signal the default playbook scores occurs.
  for (const char* name :
       {"webinar_attended", "email_replied", "email_clicked", "form:contact", "form:demo",
        "form:newsletter", "content_downloaded", "bant_form_submitted", "unsubscribed",
        "bounce:hard", "bounce:soft", "spam_reported"}) {
    EXPECT_GT(seen[name], 0) << name;
  }
}

TEST(GeneratorTest, CountsAreAsRequested) {
  for (const int64_t events : {int64_t{0}, int64_t{150}, int64_t{3000}, int64_t{12345}}) {
    GenOptions opt;
    opt.events = events;
    // Line shapes are checked elsewhere; here only the type and lead matter.
    int64_t activities = 0;
    std::map<std::string, int> identifies;
    for (const std::string& line : Lines(Events(opt))) {
      if (line.starts_with(R"({"type":"identify","userId":")")) {
        ++identifies[line.substr(29, 8)];
      } else {
        ++activities;
      }
    }
    EXPECT_EQ(activities, events);
    EXPECT_EQ(static_cast<int64_t>(identifies.size()), opt.leads);
    for (const auto& [lead, n] : identifies) {
      EXPECT_GE(n, 1) << lead;
      EXPECT_LE(n, 2) << lead;
    }
  }
}

TEST(GeneratorTest, ActivityIsSkewedAcrossLeads) {
  const GenOptions opt;
  std::map<std::string, int> per_lead;
  for (const json& e : ParseEvents(Events(opt))) {
    if (IsActivity(e)) ++per_lead[Str(e["userId"])];
  }
  std::vector<int> counts;
  for (const auto& [lead, n] : per_lead) counts.push_back(n);
  std::sort(counts.begin(), counts.end());
  const int median = counts[counts.size() / 2];
  EXPECT_GE(counts.back(), 8 * median) << "median " << median << ", max " << counts.back();
  EXPECT_LT(median, 3000 / 200);
}

TEST(GeneratorTest, TimestampsAreOrderedAndInsideTheWindow) {
  GenOptions opt;
  opt.leads = 300;
  opt.events = 8000;
  opt.days = 30;
  const int64_t end = opt.start_unix + int64_t{opt.days} * 86400;
  std::map<std::string, int64_t> last;
  std::set<std::string> leads_seen;
  int64_t previous = opt.start_unix;
  int interleavings = 0;
  std::string previous_lead;
  for (const json& e : ParseEvents(Events(opt))) {
    const int64_t t = ParseTimestamp(Str(e["timestamp"]));
    const std::string lead = Str(e["userId"]);
    EXPECT_GE(t, opt.start_unix);
    EXPECT_LT(t, end);
    EXPECT_GE(t, previous) << "file is in timestamp order";
    previous = t;
    if (last.count(lead) != 0) {
      EXPECT_GE(t, last[lead]) << lead;
      if (lead != previous_lead) ++interleavings;
    } else {
      EXPECT_EQ(e["type"], "identify") << lead << " starts with its traits";
    }
    last[lead] = t;
    previous_lead = lead;
  }
  EXPECT_GT(interleavings, 500) << "leads' events are interleaved";
}

TEST(GeneratorTest, MessageIdsCanBeLeftOut) {
  GenOptions opt;
  opt.with_message_ids = false;
  for (const json& e : ParseEvents(Events(opt))) EXPECT_FALSE(e.contains("messageId"));
}

TEST(GeneratorTest, CsvHasTheHeaderAndOneRowPerLead) {
  GenOptions opt;
  opt.leads = 300;
  const std::vector<std::vector<std::string>> rows = ParseCsv(LeadsCsv(opt));
  ASSERT_EQ(rows.size(), 301u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"id", "First Name", "Last Name", "Email", "Company",
                                               "Job Title", "Industry", "Company Size", "Country",
                                               "Lead Source", "created_at"}));
  const std::regex email("[a-z0-9._-]+@[a-z0-9.-]+\\.[a-z]+");
  int with_comma = 0;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const std::vector<std::string>& row = rows[i];
    ASSERT_EQ(row.size(), 11u) << i;
    char id[32];
    std::snprintf(id, sizeof(id), "L-%06zu", i);
    EXPECT_EQ(row[0], id);
    EXPECT_TRUE(std::regex_match(row[3], email)) << row[3];
    if (!row[7].empty()) {
      const int size = std::stoi(row[7]);
      EXPECT_GE(size, 1);
      EXPECT_LE(size, 20000);
    }
    for (const std::string& cell : row) with_comma += cell.find(',') != std::string::npos;
  }
  EXPECT_GT(with_comma, 0) << "some quoted fields contain commas";
}

TEST(GeneratorTest, CsvDescribesTheSameLeadsAsTheEvents) {
  const GenOptions opt;
  std::map<std::string, json> first_identify;
  for (const json& e : ParseEvents(Events(opt))) {
    if (e["type"] == "identify" && first_identify.count(Str(e["userId"])) == 0) {
      first_identify[Str(e["userId"])] = e;
    }
  }
  const std::vector<std::vector<std::string>> rows = ParseCsv(LeadsCsv(opt));
  ASSERT_EQ(rows.size(), first_identify.size() + 1);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const std::vector<std::string>& row = rows[i];
    ASSERT_EQ(first_identify.count(row[0]), 1u) << row[0];
    const json& e = first_identify[row[0]];
    const json& traits = e["traits"];
    EXPECT_EQ(row[10], Str(e["timestamp"]));
    EXPECT_EQ(row[1], Str(traits["first_name"]));
    EXPECT_EQ(row[2], Str(traits["last_name"]));
    EXPECT_EQ(row[3], Str(traits["email"]));
    EXPECT_EQ(row[4], Str(traits["company"]));
    EXPECT_EQ(row[5], Str(traits["job_title"]));
    EXPECT_EQ(row[8], Str(traits["country"]));
    EXPECT_EQ(row[9], Str(traits["lead_source"]));
    if (row[7].empty()) {
      EXPECT_FALSE(traits.contains("company_size"));
    } else {
      EXPECT_EQ(std::stoll(row[7]), traits["company_size"].get<int64_t>());
    }
  }
}

TEST(GeneratorTest, PersonasIncludeTheOnesThePlaybookTreatsSpecially) {
  GenOptions opt;
  opt.leads = 1000;
  const std::string csv = LeadsCsv(opt);
  for (const char* needle :
       {"@gmail.com", ".edu,", "@rivalcorp.com", "@othercrm.com", "Student", "Intern", "Journalist",
        "Reporter", "VP", "Director", "Head of", "Chief", "Founder", "Manager", "Analyst"}) {
    EXPECT_NE(csv.find(needle), std::string::npos) << needle;
  }
  GenOptions events_opt = opt;
  events_opt.events = 15000;
  const std::string events = Events(events_opt);
  for (const char* needle : {"/careers", "/pricing", "/request-a-demo", "/docs/", "Whitepaper",
                             "eBook", "\"authority\":\"decision_maker\""}) {
    EXPECT_NE(events.find(needle), std::string::npos) << needle;
  }
}

TEST(GeneratorTest, EmptyAndTinyInputs) {
  GenOptions opt;
  opt.leads = 0;
  EXPECT_EQ(Events(opt), "");
  EXPECT_EQ(Lines(LeadsCsv(opt)).size(), 1u);

  opt.leads = 1;
  opt.events = 5;
  const std::vector<json> events = ParseEvents(Events(opt));
  ASSERT_GE(events.size(), 6u);
  EXPECT_EQ(events.front()["type"], "identify");
  for (const json& e : events) EXPECT_EQ(e["userId"], "L-000001");
}

}  // namespace
}  // namespace leadgate::demo
