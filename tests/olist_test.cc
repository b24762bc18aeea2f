// The reports on real data: Olist's 8,000 MQLs and 842 closed deals loaded
// the way scripts/olist_funnel.sh does (import leads, import history), and a
// few numbers checked against the raw CSV, computed here by hand: MQLs and
// wins per origin, the won count, the median time to close. Skips when
// ../shared/data/olist-marketing-funnel/ is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "qa_support.h"

namespace leadgate::testing {
namespace {

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// The first `n` comma-separated fields (the raw files quote nothing before
// the fields read here).
std::vector<std::string> Fields(const std::string& line, size_t n) {
  std::vector<std::string> out;
  size_t start = 0;
  while (out.size() < n) {
    size_t comma = line.find(',', start);
    out.push_back(
        line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Seconds since the epoch of "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (UTC).
int64_t Seconds(const std::string& s) {
  std::tm tm{};
  tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(s.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(s.substr(8, 2));
  if (s.size() >= 19) {
    tm.tm_hour = std::stoi(s.substr(11, 2));
    tm.tm_min = std::stoi(s.substr(14, 2));
    tm.tm_sec = std::stoi(s.substr(17, 2));
  }
  return static_cast<int64_t>(timegm(&tm));
}

TEST(Olist, FunnelBySourceAndTimeToCloseMatchTheRawFiles) {
  const std::string shared = SharedDir();
  const std::string dir = shared + "/data/olist-marketing-funnel";
  const std::string mql_file = dir + "/olist_marketing_qualified_leads_dataset.csv";
  const std::string won_file = dir + "/olist_closed_deals_dataset.csv";
  if (shared.empty() || !std::ifstream(mql_file) || !std::ifstream(won_file)) {
    GTEST_SKIP() << "Olist data not found in " << dir;
  }

  // By hand, from the raw files.
  std::map<std::string, std::string> origin_of, first_contact;
  std::map<std::string, int64_t> mqls_by_origin, won_by_origin;
  std::string leads_csv = "id,created_at,source,landing_page_id\n";
  auto mql_lines = SplitLines(ReadFile(mql_file));
  ASSERT_EQ(mql_lines.front(), "mql_id,first_contact_date,landing_page_id,origin");
  for (size_t i = 1; i < mql_lines.size(); ++i) {
    auto f = Fields(mql_lines[i], 4);
    ASSERT_EQ(f.size(), 4u) << mql_lines[i];
    const std::string origin = f[3].empty() ? "(none)" : f[3];
    origin_of[f[0]] = origin;
    first_contact[f[0]] = f[1];
    ++mqls_by_origin[origin];
    leads_csv += f[0] + "," + f[1] + "," + f[3] + "," + f[2] + "\n";
  }
  ASSERT_EQ(origin_of.size(), 8000u);
  std::vector<double> close_hours;
  int64_t won = 0;
  auto won_lines = SplitLines(ReadFile(won_file));
  ASSERT_EQ(won_lines.front().rfind("mql_id,seller_id,sdr_id,sr_id,won_date,", 0), 0u);
  for (size_t i = 1; i < won_lines.size(); ++i) {
    auto f = Fields(won_lines[i], 5);
    ASSERT_TRUE(origin_of.count(f[0])) << f[0];
    ++won;
    ++won_by_origin[origin_of[f[0]]];
    const int64_t dt = Seconds(f[4]) - Seconds(first_contact[f[0]]);
    if (dt >= 0) close_hours.push_back(static_cast<double>(dt) / 3600.0);  // won after contact
  }
  ASSERT_EQ(won, 842);
  std::sort(close_hours.begin(), close_hours.end());
  const size_t m = close_hours.size();
  const double median =
      m % 2 ? close_hours[m / 2] : (close_hours[m / 2 - 1] + close_hours[m / 2]) / 2;

  // Through leadgate, as scripts/olist_funnel.sh does.
  Lg s;
  s.Write("leads.csv", leads_csv);
  s.Ok({"import", "leads", "leads.csv"});
  s.Ok({"import", "history", mql_file, "--id-column", "mql_id", "--stage", "mql", "--at-column",
        "first_contact_date"});
  s.Ok({"import", "history", won_file, "--id-column", "mql_id", "--stage", "won", "--at-column",
        "won_date", "--by-column", "sr_id"});
  Json f =
      s.RunJson({"report", "funnel", "--by", "source", "--json", "--at", "2019-01-01T00:00:00Z"});
  EXPECT_EQ(f["leads"], 8000);
  EXPECT_EQ(f["reached"]["mql"], 8000);
  EXPECT_EQ(f["reached"]["won"], 842);
  ASSERT_EQ(f["by"].size(), mqls_by_origin.size());
  for (const auto& [origin, n] : mqls_by_origin) {
    EXPECT_EQ(f["by"][origin]["reached"]["mql"], n) << origin;
    EXPECT_EQ(f["by"][origin]["reached"]["won"], won_by_origin[origin]) << origin;
  }
  // Olist's README: unknown converts best (16.3 %), email 3.0 %.
  EXPECT_NEAR(f["by"]["unknown"]["reached"]["won"].get<double>() / mqls_by_origin["unknown"], 0.163,
              0.001);
  // Time to close: the completed MQL stays are the wins after first contact.
  EXPECT_EQ(f["time_in_stage"]["mql"]["stays"], static_cast<int64_t>(m));
  EXPECT_NEAR(f["time_in_stage"]["mql"]["median_hours"].get<double>(), median, 0.01);
  EXPECT_NEAR(median / 24, 14, 1) << "Olist's README: median 14 days";
  // Importing the same files again adds nothing.
  RunResult again = s.Run({"import", "history", won_file, "--id-column", "mql_id", "--stage", "won",
                           "--at-column", "won_date", "--by-column", "sr_id"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("0 stored, 842 already stored"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace leadgate::testing
