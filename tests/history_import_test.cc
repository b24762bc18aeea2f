// import history: recorded stage changes become imported actions that the
// fold applies as recorded; line-numbered errors; idempotent; --dry-run;
// mapped columns and stage names; the reports see the past.
#include <gtest/gtest.h>

#include "qa_support.h"

namespace leadgate::testing {
namespace {

const char* const kLeads =
    "id,created_at,lead_source,job_title\n"
    "a1,2026-01-01,webinar,VP Sales\n"
    "a2,2026-01-02,ads,Analyst\n"
    "a3,2026-01-03,ads,CEO\n";

// A store with three imported leads (no activity: the playbook makes none
// of them an MQL by itself).
struct Store : Lg {
  Store() {
    Write("leads.csv", kLeads);
    Ok({"import", "leads", "leads.csv"});
  }
  Json Funnel() const { return RunJson({"report", "funnel", "--json", "--at", "2026-06-01"}); }
};

TEST(ImportHistory, MappedColumnsBecomeStagesAsRecorded) {
  Store s;
  // CRM column names and a CRM stage name; users not in the store; won from
  // SQL without BANT answers or an opportunity: the table would refuse
  // promote and win here, the history says they happened.
  s.Write("h.csv",
          "Lead ID,Stage Name,Changed At,Owner,Why\n"
          "a1,mql,2026-01-02 10:00:00,mkt,\n"
          "a1,sal,2026-01-03T10:00:00Z,ana,\n"
          "a1,sql,2026-01-04,ana,\n"
          "a1,Closed Won,2026-02-01,ana,\n"
          "a2,mql,2026-01-03,mkt,\n"
          "a2,nurture,2026-01-04,bo,no budget\n");
  RunResult r = s.Run({"import", "history", "h.csv", "--id-column", "Lead ID", "--stage-column",
                       "Stage Name", "--at-column", "Changed At", "--by-column", "Owner",
                       "--reason-column", "Why", "--map-stage", "Closed Won=won"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("6 stored, 0 already stored (skipped), 0 rejected; 2 leads updated"),
            std::string::npos)
      << r.err;

  Json a1 = s.Show("a1", "2026-06-01T00:00:00Z");
  ASSERT_EQ(a1["history"].size(), 4u) << a1.dump(2);
  EXPECT_EQ(a1["stage"], "won");
  EXPECT_EQ(a1["history"][0]["to"], "mql");
  EXPECT_EQ(a1["history"][0]["at"], "2026-01-02T10:00:00Z");  // no zone: UTC
  EXPECT_EQ(a1["history"][0]["by"], "mkt");
  EXPECT_EQ(a1["history"][1]["to"], "sal");
  EXPECT_EQ(a1["history"][2]["from"], "sal");
  EXPECT_EQ(a1["history"][2]["to"], "sql");
  EXPECT_EQ(a1["history"][3]["from"], "sql");
  EXPECT_EQ(a1["history"][3]["to"], "won");
  for (const auto& h : a1["history"]) {
    EXPECT_EQ(h["rule"], "import");
    EXPECT_EQ(h["exception"], false);
  }
  EXPECT_TRUE(a1["warnings"].empty()) << a1["warnings"].dump();
  EXPECT_EQ(a1["owner"], "ana");  // the SAL's owner, as an accept

  Json f = s.Funnel();
  EXPECT_EQ(f["leads"], 3);
  EXPECT_EQ(f["reached"]["mql"], 2);
  EXPECT_EQ(f["reached"]["sal"], 1);
  EXPECT_EQ(f["reached"]["sql"], 1);
  EXPECT_EQ(f["reached"]["won"], 1);
  EXPECT_EQ(f["reached"]["nurture"], 1);
  EXPECT_EQ(f["conversion"]["mql->won"], 0.5);
  ASSERT_EQ(f["reasons"]["rejected"].size(), 1u);
  EXPECT_EQ(f["reasons"]["rejected"][0]["reason"], "no budget");
  // The imported SAL stay: 2026-01-03T10 -> 2026-01-04T00.
  EXPECT_EQ(f["time_in_stage"]["sal"]["median_hours"], 14.0);

  // Imported changes are not exceptions, and rebuild gives the same funnel.
  Json x = s.RunJson({"report", "exceptions", "--json", "--at", "2026-06-01"});
  EXPECT_EQ(x["overrides"], 0);
  s.Ok({"rebuild"});
  EXPECT_EQ(s.Funnel(), f);
  EXPECT_EQ(s.RunJson({"report", "funnel", "--json", "--at", "2026-06-01", "--refold"}), f);
}

TEST(ImportHistory, BadRowsAreLineNumberedAndGoodRowsStored) {
  Store s;
  s.Write("h.csv",
          "id,stage,at,by,reason\n"
          "a1,mql,2026-01-02,mkt,\n"
          "a2,mql,yesterday,mkt,\n"
          "zz,mql,2026-01-02,mkt,\n"
          "a3,hot,2026-01-02,mkt,\n"
          ",mql,2026-01-02,mkt,\n"
          "a3,sql,,ana,\n"
          "a3,\"mql,2026-01-02\n"
          "a3,mql,2026-01-05,mkt,\n");
  RunResult r = s.Run({"import", "history", "h.csv", "--rejects", "rej.csv"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("h.csv:3: rejected: column 'at': 'yesterday' is not a time"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("h.csv:4: rejected: column 'id': no lead 'zz' in this store"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("h.csv:5: rejected: column 'stage': 'hot' is not a stage"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--map-stage 'hot=sql'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("h.csv:6: rejected: column 'id': no lead id"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("h.csv:7: rejected: column 'at': no time"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("h.csv:8: rejected:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 stored, 0 already stored (skipped), 6 rejected"), std::string::npos)
      << r.err;
  std::string rej = ReadFile(s.File("rej.csv"));
  EXPECT_NE(rej.find("a2,mql,yesterday,mkt,"), std::string::npos) << rej;
  EXPECT_NE(rej.find("a3,hot,2026-01-02"), std::string::npos) << rej;
  Json f = s.Funnel();
  EXPECT_EQ(f["reached"]["mql"], 2);  // a1 and a3 (line 9, after the broken quote)
}

TEST(ImportHistory, IdempotentAndDryRun) {
  Store s;
  s.Write("h.csv",
          "id,stage,at,by\n"
          "a1,mql,2026-01-02,mkt\n"
          "a1,sal,2026-01-03,ana\n"
          "a1,sal,2026-01-03,ana\n"  // the same change twice in one file
          "a2,mql,2026-01-02,mkt\n");
  RunResult dry = s.Run({"import", "history", "h.csv", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.err.find("dry run: nothing stored): 3 stored, 1 already stored"), std::string::npos)
      << dry.err;
  EXPECT_EQ(s.Funnel()["reached"]["mql"], 0);  // nothing stored

  RunResult first = s.Run({"import", "history", "h.csv"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("3 stored, 1 already stored"), std::string::npos) << first.err;
  Json f1 = s.Funnel();
  EXPECT_EQ(f1["reached"]["mql"], 2);
  EXPECT_EQ(f1["reached"]["sal"], 1);

  RunResult again = s.Run({"import", "history", "h.csv"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("0 stored, 4 already stored (skipped)"), std::string::npos) << again.err;
  EXPECT_EQ(s.Funnel(), f1);
  Json a1 = s.Show("a1", "2026-06-01T00:00:00Z");
  EXPECT_EQ(a1["history"].size(), 2u) << a1.dump(2);
}

TEST(ImportHistory, OneStageForEveryRowAndCreateLeads) {
  Lg s;
  // A closed-deals export: no stage column, the lead ids are not in the store.
  s.Write("won.csv", "mql_id,won_date,sr_id\nm1,2018-02-26 19:58:54,sr9\nm2,2018-03-01,sr9\n");
  RunResult no = s.Run({"import", "history", "won.csv", "--id-column", "mql_id", "--stage", "won",
                        "--at-column", "won_date", "--by-column", "sr_id"});
  EXPECT_EQ(no.exit_code, 1);
  EXPECT_NE(no.err.find("no lead 'm1' in this store"), std::string::npos) << no.err;
  s.Ok({"import", "history", "won.csv", "--id-column", "mql_id", "--stage", "won", "--at-column",
        "won_date", "--by-column", "sr_id", "--create-leads"});
  Json f = s.RunJson({"report", "funnel", "--json", "--at", "2019-01-01"});
  EXPECT_EQ(f["leads"], 2);
  EXPECT_EQ(f["reached"]["won"], 2);
  Json m1 = s.Show("m1", "2019-01-01T00:00:00Z");
  EXPECT_EQ(m1["owner"], "sr9");
  EXPECT_EQ(m1["history"][0]["at"], "2018-02-26T19:58:54Z");

  // A bad --stage or a missing column stops before reading a row.
  RunResult bad = s.Run({"import", "history", "won.csv", "--stage", "hot"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--stage 'hot' is not a stage"), std::string::npos) << bad.err;
  RunResult col = s.Run({"import", "history", "won.csv", "--id-column", "mql_id"});
  EXPECT_EQ(col.exit_code, 1);
  EXPECT_NE(col.err.find("won.csv:1: no 'stage' column in the header"), std::string::npos)
      << col.err;
  EXPECT_NE(col.err.find("--stage-column"), std::string::npos) << col.err;
}

TEST(ImportHistory, ImportedChangesMeetTheLiveEngine) {
  Store s;
  s.AddUser("ana", "rep");
  s.Write("h.csv", "id,stage,at,by\na1,mql,2026-01-02,mkt\n");
  s.Ok({"import", "history", "h.csv"});
  // A live action after the imported MQL follows the table as usual.
  s.Ok({"act", "a1", "accept", "--by", "ana", "--at", "2026-01-05T00:00:00Z"});
  Json a1 = s.Show("a1", "2026-06-01T00:00:00Z");
  EXPECT_EQ(a1["stage"], "sal");
  // Nobody records an imported change by hand.
  RunResult r = s.Run({"act", "a1", "import", "--by", "ana", "--at", "2026-01-06T00:00:00Z"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("unknown action 'import'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace leadgate::testing
