// --html: the chart primitives carry their numbers in the markup, escape
// text, and the pages reference nothing outside themselves; each report's
// page shows the same numbers as its JSON.
#include "app/html_report.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "qa_support.h"

namespace leadgate::testing {
namespace {

// (data-label, data-value) of every element of `cls` ("bar", "step", "point").
std::vector<std::pair<std::string, std::string>> Data(const std::string& page,
                                                      const std::string& cls) {
  std::vector<std::pair<std::string, std::string>> out;
  std::regex re("class=\"" + cls + "\"[^>]*?data-label=\"([^\"]*)\" data-value=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), re); it != std::sregex_iterator();
       ++it) {
    out.emplace_back((*it)[1], (*it)[2]);
  }
  return out;
}

// The rows of the table titled `title`, as cell texts.
std::vector<std::vector<std::string>> TableRows(const std::string& page, const std::string& title) {
  std::vector<std::vector<std::string>> rows;
  const std::string open = "<table data-title=\"" + title + "\">";
  size_t at = page.find(open);
  if (at == std::string::npos) return rows;
  size_t end = page.find("</table>", at);
  std::string t = page.substr(at, end - at);
  std::regex tr("<tr>(.*?)</tr>"), td("<td>(.*?)</td>");
  for (auto it = std::sregex_iterator(t.begin(), t.end(), tr); it != std::sregex_iterator(); ++it) {
    std::string row = (*it)[1];
    std::vector<std::string> cells;
    for (auto c = std::sregex_iterator(row.begin(), row.end(), td); c != std::sregex_iterator();
         ++c) {
      cells.push_back((*c)[1]);
    }
    if (!cells.empty()) rows.push_back(cells);
  }
  return rows;
}

// Nothing to fetch: no scripts, links, images, imports or URLs.
void ExpectSelfContained(const std::string& page) {
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("</html>"), std::string::npos);
  for (const char* bad : {"<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import",
                          "http:", "https:", "//cdn"}) {
    EXPECT_EQ(page.find(bad), std::string::npos) << "page references '" << bad << "'";
  }
}

TEST(HtmlPrimitives, NumbersInTheMarkupAndTextEscaped) {
  std::string bars = html::BarChart("conversion <by> source",
                                    {{"ads", 0.25, "25.0%"}, {"<script>x</script>", 0.5, ""}}, 1.0);
  auto d = Data(bars, "bar");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], std::make_pair(std::string("ads"), std::string("0.25")));
  EXPECT_EQ(d[1].first, "&lt;script&gt;x&lt;/script&gt;");
  EXPECT_EQ(bars.find("<script"), std::string::npos);
  EXPECT_NE(bars.find("conversion &lt;by&gt; source"), std::string::npos);
  EXPECT_NE(bars.find(">25.0%<"), std::string::npos);

  std::string line = html::LineChart("weekly MQLs", {"W1", "W2", "W3"},
                                     {{"current", {1, 2, 3}}, {"candidate", {2, std::nullopt, 5}}});
  auto p = Data(line, "point");
  ASSERT_EQ(p.size(), 5u);  // the missing point is not drawn
  EXPECT_EQ(p[4], std::make_pair(std::string("W3"), std::string("5")));
  EXPECT_NE(line.find("data-series=\"candidate\""), std::string::npos);

  std::string funnel = html::FunnelChart("f", {{"lead", 200}, {"mql", 50}});
  auto s = Data(funnel, "step");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1], std::make_pair(std::string("mql"), std::string("50")));
  EXPECT_NE(funnel.find("50 (25.0%)"), std::string::npos);

  std::string table = html::Table("t", {"a", "b"}, {{"x&y", "1"}});
  auto rows = TableRows(table, "t");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0], "x&amp;y");

  ExpectSelfContained(html::Page("title", "sub", {bars, line, funnel, table}));
}

TEST(HtmlReports, EveryReportWritesASelfContainedPageWithItsNumbers) {
  Lg s;
  s.Write("leads.csv",
          "id,created_at,lead_source\na1,2026-01-01,webinar\na2,2026-01-02,ads\n"
          "a3,2026-01-03,ads\n");
  s.Ok({"import", "leads", "leads.csv"});
  s.Write("h.csv",
          "id,stage,at,by,reason\na1,mql,2026-01-02,mkt,\na1,sal,2026-01-03,ana,\n"
          "a1,won,2026-02-01,ana,\na2,mql,2026-01-03,mkt,\na2,nurture,2026-01-04,bo,no budget\n"
          "a3,mql,2026-01-04,mkt,\n");
  s.Ok({"import", "history", "h.csv"});
  const std::string at = "2026-06-01T00:00:00Z";

  // funnel --by source: the funnel steps are the JSON's reached counts, the
  // bars its conversion by source.
  RunResult fr =
      s.Ok({"report", "funnel", "--by", "source", "--at", at, "--json", "--html", "funnel.html"});
  Json f = Json::parse(fr.out);
  std::string page = ReadFile(s.File("funnel.html"));
  ExpectSelfContained(page);
  std::map<std::string, std::string> steps;
  for (const auto& [k, v] : Data(page, "step")) steps[k] = v;
  for (const char* st : {"lead", "mql", "sal", "sql", "opportunity", "won"}) {
    EXPECT_EQ(steps[st], std::to_string(f["reached"][st].get<int>())) << st;
  }
  EXPECT_EQ(steps["mql"], "3");
  std::map<std::string, double> mql_won;
  size_t n = 0;
  for (const auto& [k, v] : Data(page, "bar")) {
    // The bars: lead->mql by source, then mql->won by source.
    if (n++ >= f["by"].size()) mql_won[k] = std::stod(v);
  }
  EXPECT_DOUBLE_EQ(mql_won["webinar"], 1.0);
  EXPECT_DOUBLE_EQ(mql_won["ads"], 0.0);
  auto by = TableRows(page, "by source");
  ASSERT_EQ(by.size(), 2u);
  EXPECT_EQ(by[0][0], "ads");
  EXPECT_EQ(by[0][1], "2");  // leads
  auto rejected = TableRows(page, "Reject reasons");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0], (std::vector<std::string>{"no budget", "1"}));

  // feedback: the by-source table.
  s.Ok({"report", "feedback", "--at", at, "--html", "feedback.html"});
  page = ReadFile(s.File("feedback.html"));
  ExpectSelfContained(page);
  auto fb = TableRows(page, "by source");
  ASSERT_EQ(fb.size(), 2u);
  EXPECT_EQ(fb[1][0], "webinar");
  EXPECT_EQ(fb[1][7], "100.0%");  // mql->won
  EXPECT_EQ(fb[0][8], "no budget (1)");

  // stalled, sla, exceptions: a page each, with their counts.
  RunResult st = s.Ok({"report", "stalled", "--at", at, "--json", "--html", "stalled.html"});
  page = ReadFile(s.File("stalled.html"));
  ExpectSelfContained(page);
  EXPECT_EQ(TableRows(page, "stalled leads, oldest first").size(), Json::parse(st.out).size());
  RunResult sl = s.Ok({"report", "sla", "--at", at, "--json", "--html", "sla.html"});
  page = ReadFile(s.File("sla.html"));
  ExpectSelfContained(page);
  auto all = TableRows(page, "all clocks");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0][1], std::to_string(Json::parse(sl.out)["clocks"].get<int>()));
  RunResult ex = s.Ok({"report", "exceptions", "--at", at, "--json", "--html", "exc.html"});
  page = ReadFile(s.File("exc.html"));
  ExpectSelfContained(page);
  auto kinds = TableRows(page, "exceptions");
  ASSERT_EQ(kinds.size(), 2u);
  EXPECT_EQ(kinds[0][1], std::to_string(Json::parse(ex.out)["overrides"].get<int>()));

  // An unwritable path is an error that names it.
  RunResult bad = s.Run({"report", "funnel", "--at", at, "--html", s.File("no/such/dir/f.html")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--html"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace leadgate::testing
