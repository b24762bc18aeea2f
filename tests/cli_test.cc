// Every command of shared/spec/cli.md through the real binary: what a user
// sees (exit status, stdout, stderr) and what the store then answers.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "qa_support.h"

namespace leadgate::testing {
namespace {

namespace fs = std::filesystem;

// Five leads:
//  L-1 fits (55) and requests a demo (40) on 03-02 10:00 -> MQL then.
//  L-2 an engineer who saw the pricing page (09:00Z, sent with an offset).
//  L-3 and L-5 identical fit (50), no activity: a tie in the queue.
//  L-4 fits (55) with 35 engagement: total 90 but not an MQL (engagement < 40).
const char* const kBase =
    R"({"type":"identify","userId":"L-1","traits":{"job_title":"VP Finance","industry":"software","company_size":300,"country":"US","email":"v@acme.io"},"timestamp":"2026-03-01T10:00:00Z","messageId":"a1"}
{"type":"track","userId":"L-1","event":"form_submitted","properties":{"form":"demo"},"timestamp":"2026-03-02T10:00:00Z","messageId":"a2"}
{"type":"identify","userId":"L-2","traits":{"job_title":"Engineer"},"timestamp":"2026-03-01T10:00:00Z","messageId":"b1"}
{"type":"page","userId":"L-2","name":"Pricing","properties":{"url":"https://acme.io/pricing"},"timestamp":"2026-03-02T10:00:00+01:00","messageId":"b2"}
{"type":"identify","userId":"L-3","traits":{"job_title":"CEO","industry":"finance","company_size":100},"timestamp":"2026-03-01T10:00:00Z","messageId":"c1"}
{"type":"identify","userId":"L-4","traits":{"job_title":"Director","industry":"healthcare","company_size":200,"country":"GB"},"timestamp":"2026-03-01T10:00:00Z","messageId":"d1"}
{"type":"track","userId":"L-4","event":"webinar_attended","properties":{"webinar":"w1"},"timestamp":"2026-03-02T11:00:00Z","messageId":"d2"}
{"type":"track","userId":"L-4","event":"email_replied","timestamp":"2026-03-02T12:00:00Z","messageId":"d3"}
{"type":"identify","userId":"L-5","traits":{"job_title":"CEO","industry":"finance","company_size":100},"timestamp":"2026-03-01T10:00:00Z","messageId":"e1"}
)";

const char* const kT = "2026-03-03T00:00:00Z";  // after every base event

// A store with the base events and one user of each role.
class CliBase : public ::testing::Test {
 protected:
  void SetUp() override {
    RunResult r = lg_.Ingest("base.jsonl", kBase);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    lg_.AddUser("rita", "rep");
    lg_.AddUser("max", "manager");
    lg_.AddUser("mia", "marketing");
    lg_.AddUser("ada", "admin");
  }
  Lg lg_;
};

// ---------------------------------------------------------------- init

TEST(CliInit, CreatesAStoreAndRefusesAnExistingOne) {
  Lg lg(/*init=*/false);
  RunResult r = lg.Run({"init", "--playbook", "playbook.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(lg.db()));
  ASSERT_EQ(lg.Ingest("base.jsonl", kBase).exit_code, 0);

  r = lg.Run({"init", "--playbook", "playbook.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("exists"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(lg.db()), std::string::npos) << "names the store: " << r.err;
  // The refused init left the store as it was.
  EXPECT_EQ(lg.Show("L-1", kT)["stage"], "mql");
}

TEST(CliInit, BadPlaybookCreatesNoStore) {
  Lg lg(/*init=*/false);
  lg.Write("bad.yaml",
           "version: 1\nname: x\nfit:\n  - id: a\n    when: { field: nope, equals: 1 }\n"
           "    points: 5\n");
  RunResult r = lg.Run({"init", "--playbook", "bad.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.yaml:5"), std::string::npos) << "file:line: " << r.err;
  EXPECT_NE(r.err.find("nope"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(lg.db()));
  // Nothing half-made stands in the way of a good init.
  EXPECT_EQ(lg.Run({"init", "--playbook", "playbook.yaml"}).exit_code, 0);

  Lg lg2(/*init=*/false);
  r = lg2.Run({"init", "--playbook", "missing.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.yaml"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(lg2.db()));
}

// The page size SQLite wrote in the store's header (bytes 16-17, big
// endian; 1 means 65536).
int StorePageSize(const std::string& db) {
  std::ifstream in(db, std::ios::binary);
  unsigned char h[18] = {};
  in.read(reinterpret_cast<char*>(h), sizeof h);
  if (!in) return 0;
  const int v = h[16] << 8 | h[17];
  return v == 1 ? 65536 : v;
}

TEST(CliInit, PageSizeIsTheStoresAndABadOneCreatesNoStore) {
  Lg dflt(/*init=*/false);
  ASSERT_EQ(dflt.Run({"init", "--playbook", "playbook.yaml"}).exit_code, 0);
  EXPECT_EQ(StorePageSize(dflt.db()), 16384);

  Lg small(/*init=*/false);
  RunResult r = small.Run({"init", "--playbook", "playbook.yaml", "--page-size", "4096"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(StorePageSize(small.db()), 4096);
  // The store works as any other.
  ASSERT_EQ(small.Ingest("base.jsonl", kBase).exit_code, 0);
  EXPECT_EQ(small.Show("L-1", kT)["stage"], "mql");
  EXPECT_EQ(StorePageSize(small.db()), 4096);

  for (const char* bad : {"3000", "256", "131072", "0", "-4096"}) {
    Lg lg(/*init=*/false);
    r = lg.Run({"init", "--playbook", "playbook.yaml", "--page-size", bad});
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_NE(r.err.find(std::string("--page-size ") + bad), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("power of two from 512 to 65536"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(lg.db())) << bad;
  }
  Lg words(/*init=*/false);
  EXPECT_EQ(words.Run({"init", "--playbook", "playbook.yaml", "--page-size", "big"}).exit_code, 2);
  EXPECT_FALSE(fs::exists(words.db()));
}

TEST(CliInit, WithoutPlaybookIsAUsageError) {
  Lg lg(/*init=*/false);
  EXPECT_EQ(lg.Run({"init"}).exit_code, 2);
  EXPECT_FALSE(fs::exists(lg.db()));
}

// ---------------------------------------------------------------- playbook

TEST(CliPlaybook, CheckSaysOkOrNamesTheProblem) {
  Lg lg(/*init=*/false);
  RunResult r = lg.Run({"playbook", "check", "playbook.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("ok"), std::string::npos) << r.out;

  std::string dup = kTestPlaybook;
  dup.insert(dup.find("mql:\n"), "  - id: pricing-page\n    event: x\n    reason: duplicate id\n");
  lg.Write("dup.yaml", dup);
  r = lg.Run({"playbook", "check", "dup.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("dup.yaml:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pricing-page"), std::string::npos) << r.err;

  lg.Write("regex.yaml",
           "version: 1\nname: x\nfields: { job_title: text }\nfit:\n  - id: a\n"
           "    when: { field: job_title, matches: '(unclosed' }\n    points: 5\n");
  r = lg.Run({"playbook", "check", "regex.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("regex.yaml:6"), std::string::npos) << r.err;

  r = lg.Run({"playbook", "check", "missing.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.yaml"), std::string::npos) << r.err;
  // check needs no store.
  EXPECT_FALSE(fs::exists(lg.db()));
}

TEST_F(CliBase, PlaybookApplyAddsVersion2InForceFromItsTime) {
  lg_.Write("low.yaml", LowBarPlaybook());
  RunResult r = lg_.Run({"playbook", "apply", "low.yaml", "--at", "2026-03-05T00:00:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("2"), std::string::npos) << r.out;
  r = lg_.Ok({"playbook", "list"});
  EXPECT_NE(r.out.find("v2"), std::string::npos) << r.out;

  // L-3 (fit 50, silent) meets the new minimums at the apply time itself.
  Json after = lg_.Show("L-3", "2026-03-06T00:00:00Z");
  EXPECT_EQ(after["stage"], "mql");
  ASSERT_EQ(after["history"].size(), 1u) << after.dump(2);
  const Json& h = after["history"][0];
  EXPECT_EQ(h["at"], "2026-03-05T00:00:00Z");
  EXPECT_EQ(h["from"], "lead");
  EXPECT_EQ(h["to"], "mql");
  EXPECT_EQ(h["by"], "engine");
  EXPECT_EQ(h["reason"], "mql threshold");
  EXPECT_EQ(h["playbook_version"], 2);

  // Before the apply time the old version rules: still a lead, no history.
  Json before = lg_.Show("L-3", "2026-03-04T00:00:00Z");
  EXPECT_EQ(before["stage"], "lead");
  EXPECT_TRUE(before["history"].empty());

  // What happened before is never re-decided: L-1's MQL stays a v1 decision.
  Json l1 = lg_.Show("L-1", "2026-03-06T00:00:00Z");
  ASSERT_EQ(l1["history"].size(), 1u);
  EXPECT_EQ(l1["history"][0]["at"], "2026-03-02T10:00:00Z");
  EXPECT_EQ(l1["history"][0]["playbook_version"], 1);

  // A lead that arrives after the apply time is judged by version 2.
  ASSERT_EQ(
      lg_.Ingest(
             "late.jsonl",
             R"({"type":"identify","userId":"L-6","traits":{"job_title":"Founder","industry":"software"},"timestamp":"2026-03-07T09:00:00Z","messageId":"f1"})"
             "\n")
          .exit_code,
      0);
  Json l6 = lg_.Show("L-6", "2026-03-08T00:00:00Z");
  EXPECT_EQ(l6["stage"], "mql");
  ASSERT_EQ(l6["history"].size(), 1u);
  EXPECT_EQ(l6["history"][0]["at"], "2026-03-07T09:00:00Z");
  EXPECT_EQ(l6["history"][0]["playbook_version"], 2);

  // The queue agrees (after every point: projections; before: refold).
  Json q = lg_.Queue("2026-03-08T00:00:00Z", {"--stage", "mql"});
  std::set<std::string> mqls;
  for (const auto& row : q) mqls.insert(row["id"]);
  EXPECT_EQ(mqls, (std::set<std::string>{"L-1", "L-3", "L-4", "L-5", "L-6"})) << q.dump();
  Json q_before = lg_.Queue("2026-03-04T00:00:00Z", {"--stage", "mql"});
  EXPECT_EQ(QueueIds(q_before), std::vector<std::string>{"L-1"});
}

TEST_F(CliBase, BadPlaybookNeverReplacesTheGoodOne) {
  Json l3 = lg_.Show("L-3", "2026-03-06T00:00:00Z");
  Json q = lg_.Queue("2026-03-06T00:00:00Z");
  std::string list = lg_.Ok({"playbook", "list"}).out;

  lg_.Write("bad.yaml", std::string(kTestPlaybook) + "bogus_key: 1\n");
  RunResult r = lg_.Run({"playbook", "apply", "bad.yaml", "--at", "2026-03-05T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.yaml:"), std::string::npos) << r.err;
  r = lg_.Run({"playbook", "apply", "missing.yaml", "--at", "2026-03-05T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);
  r = lg_.Run({"playbook", "apply", "playbook.yaml", "--at", "not-a-time"});
  EXPECT_EQ(r.exit_code, 2) << r.err;

  EXPECT_EQ(lg_.Ok({"playbook", "list"}).out, list);
  EXPECT_EQ(lg_.Show("L-3", "2026-03-06T00:00:00Z"), l3);
  EXPECT_EQ(lg_.Queue("2026-03-06T00:00:00Z"), q);

  // Versions go forward in time: an apply before the last one is refused.
  lg_.Write("low.yaml", LowBarPlaybook());
  ASSERT_EQ(lg_.Run({"playbook", "apply", "low.yaml", "--at", "2026-03-05T00:00:00Z"}).exit_code,
            0);
  list = lg_.Ok({"playbook", "list"}).out;
  r = lg_.Run({"playbook", "apply", "playbook.yaml", "--at", "2026-03-04T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(r.err.empty());
  EXPECT_EQ(lg_.Ok({"playbook", "list"}).out, list);
}

// ---------------------------------------------------------------- user

TEST(CliUser, AddRefusesDuplicatesAndUnknownRoles) {
  Lg lg;
  RunResult r = lg.Run({"user", "add", "rita", "--role", "rep"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = lg.Run({"user", "add", "rita", "--role", "manager"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("rita"), std::string::npos) << r.err;
  // A role outside marketing|rep|manager|admin is a wrong command line (exit
  // 2, "usage error" in cli.md), and the message lists the roles.
  r = lg.Run({"user", "add", "bob", "--role", "ceo"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("manager"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Run({"user", "add", "bob"}).exit_code, 2);
  EXPECT_EQ(lg.Run({"user", "add", "", "--role", "rep"}).exit_code, 1);
  for (const char* role : {"marketing", "manager", "admin"}) {
    EXPECT_EQ(lg.Run({"user", "add", std::string("u-") + role, "--role", role}).exit_code, 0);
  }
  r = lg.Ok({"user", "list"});
  EXPECT_NE(r.out.find("rita"), std::string::npos);
  EXPECT_EQ(r.out.find("bob"), std::string::npos) << "refused users are not stored: " << r.out;
  EXPECT_NE(r.out.find("u-admin"), std::string::npos);
}

// ---------------------------------------------------------------- import leads

TEST(CliImport, NormalisesHeadersAndReadsRfc4180) {
  Lg lg;
  // BOM, CRLF, quoted commas, doubled quotes, an embedded newline, created_at.
  lg.Write("leads.csv",
           "\xEF\xBB\xBFid,Job Title,Annual Revenue ($),Company Size,Notes,created_at\r\n"
           "L-1,VP Sales,100,300,\"hello, world\",2026-03-01T10:00:00Z\r\n"
           "L-2,Engineer,5,20,\"two\r\nlines, \"\"quoted\"\"\",2026-03-02T10:00:00Z\r\n"
           "L-3,CEO,,\"1,000\",plain,2026-03-03T10:00:00Z\r\n");
  RunResult r = lg.Run({"import", "leads", "leads.csv"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("3 stored"), std::string::npos) << r.err;

  Json l1 = lg.Show("L-1", "2026-03-10T00:00:00Z");
  EXPECT_EQ(l1["traits"]["job_title"], "VP Sales");
  EXPECT_EQ(l1["traits"]["annual_revenue"], "100");
  EXPECT_EQ(l1["traits"]["notes"], "hello, world");
  EXPECT_FALSE(l1["traits"].contains("id")) << "the id column is the id, not a trait";
  // "300" is a number for the number field company_size: 25 + 10.
  EXPECT_EQ(l1["score"]["fit"], 35);

  Json l2 = lg.Show("L-2", "2026-03-10T00:00:00Z");
  EXPECT_EQ(l2["traits"]["notes"], "two\r\nlines, \"quoted\"");
  // An empty cell is no trait; "1,000" is not a number: a data warning.
  Json l3 = lg.Show("L-3", "2026-03-10T00:00:00Z");
  EXPECT_FALSE(l3["traits"].contains("annual_revenue")) << l3["traits"].dump();
  EXPECT_EQ(l3["traits"]["company_size"], "1,000");
  EXPECT_FALSE(l3["warnings"].empty()) << l3.dump(2);

  // created_at is the traits' timestamp: L-3 does not exist before it.
  r = lg.Run({"show", "L-3", "--json", "--at", "2026-03-03T09:59:59Z"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lg.Run({"show", "L-3", "--json", "--at", "2026-03-03T10:00:00Z"}).exit_code, 0);
}

TEST(CliImport, RejectsBadRowsByLineAndStoresTheRest) {
  Lg lg;
  lg.Write("leads.csv",
           "id,Job Title,Notes\n"          // line 1
           "L-1,VP,\"multi\nline\"\n"      // lines 2-3
           ",Nobody,no id\n"               // line 4: no id
           "L-2,CEO,a,extra\n"             // line 5: more cells than the header
           "   ,Blank,id of spaces\n"      // line 6: no id
           "L-3,\"Director\",\"x,y\"\n");  // line 7
  RunResult r = lg.Run(
      {"import", "leads", "leads.csv", "--at", "2026-03-01T00:00:00Z", "--rejects", "rejects.csv"});
  EXPECT_EQ(r.exit_code, 1) << "rows were rejected";
  EXPECT_NE(r.err.find("leads.csv:4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("leads.csv:5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("leads.csv:6"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("leads.csv:2"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("leads.csv:7"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 rejected"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(lg.File("rejects.csv")),
            ",Nobody,no id\nL-2,CEO,a,extra\n   ,Blank,id of spaces\n");
  EXPECT_EQ(lg.Show("L-1", "2026-03-02T00:00:00Z")["traits"]["notes"], "multi\nline");
  EXPECT_EQ(lg.Show("L-3", "2026-03-02T00:00:00Z")["traits"]["notes"], "x,y");
  EXPECT_EQ(lg.Run({"show", "L-2", "--json"}).exit_code, 1) << "a rejected row stores nothing";
}

TEST(CliImport, SecondImportOfTheSameFileChangesNothing) {
  Lg lg;
  lg.Write("leads.csv", "id,Job Title,Industry\nL-1,VP,software\nL-2,Intern,retail\n");
  ASSERT_EQ(lg.Run({"import", "leads", "leads.csv", "--at", "2026-03-01T00:00:00Z"}).exit_code, 0);
  Json q = lg.Queue("2026-03-05T00:00:00Z");
  Json l1 = lg.Show("L-1", "2026-03-05T00:00:00Z");
  // Even at another import time, the same rows are the same events.
  RunResult r = lg.Run({"import", "leads", "leads.csv", "--at", "2026-03-04T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("0 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 already stored"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Queue("2026-03-05T00:00:00Z"), q);
  EXPECT_EQ(lg.Show("L-1", "2026-03-05T00:00:00Z"), l1);
  EXPECT_EQ(l1["events"], 1);
}

TEST(CliImport, IdColumnAndAt) {
  Lg lg;
  lg.Write("crm.csv", "Lead ID,Email,Job Title\nX-1,a@acme.io,Director\n");
  RunResult r = lg.Run({"import", "leads", "crm.csv"});
  EXPECT_EQ(r.exit_code, 1) << "no id column";
  EXPECT_NE(r.err.find("--id-column"), std::string::npos) << "says how to fix it: " << r.err;
  EXPECT_EQ(lg.Run({"show", "X-1", "--json"}).exit_code, 1);

  r = lg.Run(
      {"import", "leads", "crm.csv", "--id-column", "Lead ID", "--at", "2026-03-01T12:00:00Z"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  Json x = lg.Show("X-1", "2026-03-01T12:00:00Z");
  EXPECT_EQ(x["traits"]["email"], "a@acme.io");
  EXPECT_EQ(x["traits"]["job_title"], "Director");
  EXPECT_FALSE(x["traits"].contains("lead_id"));
  // --at is the traits' timestamp of rows without created_at.
  EXPECT_EQ(lg.Run({"show", "X-1", "--json", "--at", "2026-03-01T11:59:59Z"}).exit_code, 1);

  EXPECT_EQ(lg.Run({"import", "leads", "missing.csv"}).exit_code, 1);
  lg.Write("empty.csv", "");
  EXPECT_EQ(lg.Run({"import", "leads", "empty.csv"}).exit_code, 1);
  EXPECT_EQ(lg.Run({"import", "leads", "crm.csv", "--at", "yesterday"}).exit_code, 2);
}

TEST(CliImport, CreatedAtWinsOverAt) {
  // leadgate's own help says --at is the "traits' timestamp when a row has no
  // created_at", and inputs.md: "the row's created_at column when present,
  // else the import time (--at overrides it)".
  Lg lg;
  lg.Write("leads.csv", "id,Job Title,created_at\nL-1,VP,2026-03-01T10:00:00Z\nL-2,CEO,\n");
  ASSERT_EQ(lg.Run({"import", "leads", "leads.csv", "--at", "2026-03-05T00:00:00Z"}).exit_code, 0);
  EXPECT_EQ(lg.Run({"show", "L-2", "--json", "--at", "2026-03-04T00:00:00Z"}).exit_code, 1);
  EXPECT_EQ(lg.Run({"show", "L-2", "--json", "--at", "2026-03-05T00:00:00Z"}).exit_code, 0)
      << "a row without created_at is timed by --at";
  // L-1 (created_at 2026-03-01T10:00:00Z, imported with --at 2026-03-05) exists from its
  // created_at on: --at replaces only the import time.
  RunResult r = lg.Run({"show", "L-1", "--json", "--at", "2026-03-02T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lg.Run({"show", "L-1", "--json", "--at", "2026-03-01T09:59:59Z"}).exit_code, 1);
  EXPECT_EQ(lg.Run({"show", "L-1", "--json", "--at", "2026-03-01T10:00:00Z"}).exit_code, 0);
}

TEST(CliImport, ABadQuoteDoesNotLoseTheValidRows) {
  // cli.md: "ingest and import store every valid line even when they exit 1".
  Lg lg;
  lg.Write("leads.csv", "id,Job Title\nL-0,VP\nL-1,The \"Boss\"\nL-2,CEO\n");
  RunResult r = lg.Run({"import", "leads", "leads.csv", "--at", "2026-03-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("leads.csv:3: rejected: '\"' inside an unquoted field (column 9)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("2 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("1 rejected"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Run({"show", "L-0", "--json"}).exit_code, 0) << "line 2 is stored";
  EXPECT_EQ(lg.Run({"show", "L-1", "--json"}).exit_code, 1) << "line 3 is not";
  EXPECT_EQ(lg.Run({"show", "L-2", "--json"}).exit_code, 0) << "line 4 is stored";
  // --rejects gets the bad row as it was.
  r = lg.Run({"import", "leads", "leads.csv", "--rejects", "rej.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(ReadFile(lg.File("rej.csv")), "L-1,The \"Boss\"\n");
}

TEST(CliImport, AMalformedHeaderStopsTheImport) {
  Lg lg;
  lg.Write("leads.csv", "id,\"Job Title\nL-0,VP\n");
  RunResult r = lg.Run({"import", "leads", "leads.csv", "--at", "2026-03-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("leads.csv:1: the header row is malformed: unterminated quoted field"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(lg.Run({"show", "L-0", "--json"}).exit_code, 1);
}

// ---------------------------------------------------------------- ingest

TEST(CliIngest, FileThenSameFileAgainIsANoOp) {
  Lg lg;
  RunResult r = lg.Ingest("base.jsonl", kBase);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("9 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("0 rejected"), std::string::npos) << r.err;
  Json q = lg.Queue(kT);
  Json l1 = lg.Show("L-1", kT);

  r = lg.Run({"ingest", "base.jsonl"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("0 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("9 already stored"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Queue(kT), q);
  EXPECT_EQ(lg.Show("L-1", kT), l1);
  EXPECT_EQ(l1["events"], 2);
}

TEST(CliIngest, StandardInput) {
  Lg lg;
  RunResult r = lg.Run({"ingest", "-"}, kBase);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("9 stored"), std::string::npos) << r.err;
  EXPECT_EQ(lg.Show("L-1", kT)["stage"], "mql");
  // A bad line on stdin is reported with the line number too.
  r = lg.Run({"ingest", "-"}, "\n{\"type\":\"identify\"}\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(":2"), std::string::npos) << r.err;
}

TEST(CliIngest, RejectsFileHoldsExactlyTheRejectedLines) {
  Lg lg;
  std::string good1 =
      R"({"type":"identify","userId":"L-1","traits":{"job_title":"VP"},"timestamp":"2026-03-01T10:00:00Z","messageId":"g1"})";
  std::string bad1 = R"({"type":"identify","userId":"L-1","traits":{"job_title":"VP"}})";
  std::string bad2 = "this is not json";
  std::string good2 =
      R"({"type":"track","userId":"L-2","event":"webinar_attended","timestamp":"2026-03-01T11:00:00Z","messageId":"g2"})";
  std::string bad3 =
      R"({"type":"track","userId":"L-2","event":"","timestamp":"2026-03-01T11:00:00Z"})";
  RunResult r = lg.Ingest("in.jsonl", Lines({good1, bad1, "", bad2, good2, bad3}),
                          {"--rejects", "rejects.jsonl"});
  EXPECT_EQ(r.exit_code, 1) << "lines were rejected";
  EXPECT_EQ(ReadFile(lg.File("rejects.jsonl")), Lines({bad1, bad2, bad3}));
  for (const char* where : {"in.jsonl:2", "in.jsonl:4", "in.jsonl:6"}) {
    EXPECT_NE(r.err.find(where), std::string::npos) << where << " in " << r.err;
  }
  EXPECT_NE(r.err.find("2 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("3 rejected"), std::string::npos) << r.err;
  // The valid lines were stored despite exit 1.
  EXPECT_EQ(lg.Show("L-1", kT)["traits"]["job_title"], "VP");
  EXPECT_EQ(lg.Show("L-2", kT)["explanation"][0]["rule"], "webinar-attended");

  // Again: the valid lines are duplicates now, the bad ones still bad.
  r = lg.Run({"ingest", "in.jsonl", "--rejects", "rejects2.jsonl"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("2 already stored"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(lg.File("rejects2.jsonl")), Lines({bad1, bad2, bad3}));
}

TEST(CliIngest, EventsWithoutMessageIdAreDeduplicatedByContent) {
  Lg lg;
  std::string a =
      R"({"type":"track","userId":"L-1","event":"webinar_attended","properties":{"webinar":"w1","n":1},"timestamp":"2026-03-01T10:00:00Z"})";
  // The same event: keys in another order, other spacing.
  std::string a2 =
      R"({ "timestamp": "2026-03-01T10:00:00Z", "properties": {"n": 1, "webinar": "w1"}, "event": "webinar_attended", "userId": "L-1", "type": "track" })";
  // A different event (another webinar) is not a duplicate.
  std::string b =
      R"({"type":"track","userId":"L-1","event":"webinar_attended","properties":{"webinar":"w2","n":1},"timestamp":"2026-03-01T10:00:00Z"})";
  RunResult r = lg.Ingest("a.jsonl", Lines({a, a, a2, b}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("2 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 already stored"), std::string::npos) << r.err;
  r = lg.Ingest("b.jsonl", Lines({a2, b}));
  EXPECT_NE(r.err.find("0 stored"), std::string::npos) << r.err;
  Json s = lg.Show("L-1", kT);
  EXPECT_EQ(s["events"], 2);
  ASSERT_EQ(s["explanation"].size(), 1u);
  EXPECT_EQ(s["explanation"][0]["count"], 2);
}

TEST(CliIngest, MissingFileOrDirectoryIsAnError) {
  Lg lg;
  RunResult r = lg.Run({"ingest", "missing.jsonl"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.jsonl"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No such file"), std::string::npos) << r.err;
  fs::create_directory(lg.File("events"));
  r = lg.Run({"ingest", "events"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("events: is a directory; give a JSONL file, or - for standard input"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("stored"), std::string::npos) << "no summary: " << r.err;
  r = lg.Run({"import", "leads", "events"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("events: is a directory; give a CSV file"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("stored"), std::string::npos) << "no summary: " << r.err;
}

TEST(CliIngest, ANamedPipeIsReadLikeAFile) {
  // The size probe seeked the stream to its end; on a pipe that fails and the
  // whole input read as empty (0 stored, exit 0).
  Lg lg;
  const std::string fifo = lg.File("events.fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream out(fifo, std::ios::binary);
    out << kBase;
  });
  RunResult r = lg.Run({"ingest", "events.fifo"});
  writer.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("9 stored"), std::string::npos) << r.err;
}

TEST(CliIngest, SummaryCountsEachLeadOnce) {
  // Many events of two leads (CrashTest.CleanIngestSummary does the same with
  // more events than one commit batch).
  Lg lg;
  std::string in;
  for (int i = 0; i < 25000; ++i) {
    in += R"({"type":"page","userId":"L-)" + std::to_string(i % 2) +
          R"(","properties":{"url":"/docs/)" + std::to_string(i) +
          R"("},"timestamp":"2026-03-01T10:00:00Z","messageId":"p)" + std::to_string(i) + "\"}\n";
  }
  RunResult r = lg.Ingest("many.jsonl", in);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("25000 stored"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("2 leads updated"), std::string::npos)
      << "the summary counts each lead once, not once per commit batch: " << r.err;
}

// ---------------------------------------------------------------- act

TEST_F(CliBase, EveryActionMovesTheLeadAsTheTableSays) {
  auto act = [&](const std::vector<std::string>& a) {
    std::vector<std::string> args = {"act"};
    args.insert(args.end(), a.begin(), a.end());
    return lg_.Run(args);
  };
  auto stage_of = [&](const std::string& lead) {
    return lg_.Show(lead, "2026-03-09T00:00:00Z")["stage"].get<std::string>();
  };
  // L-1: mql -> touch -> accept -> qualify -> promote -> convert -> win.
  RunResult r =
      act({"L-1", "touch", "--by", "rita", "--channel", "call", "--at", "2026-03-02T10:02:00Z"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(stage_of("L-1"), "mql");
  EXPECT_EQ(act({"L-1", "accept", "--by", "rita", "--at", "2026-03-02T10:03:00Z"}).exit_code, 0);
  EXPECT_EQ(stage_of("L-1"), "sal");
  r = act({"L-1", "qualify", "--by", "rita", "--budget", "confirmed", "--authority",
           "decision_maker", "--need", "audit prep", "--timeline", "2026-05-01",
           "--current-solution", "spreadsheets", "--at", "2026-03-02T11:00:00Z"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(stage_of("L-1"), "sal");
  EXPECT_EQ(act({"L-1", "promote", "--by", "rita", "--at", "2026-03-02T11:01:00Z"}).exit_code, 0);
  EXPECT_EQ(act({"L-1", "convert", "--by", "rita", "--at", "2026-03-03T09:00:00Z"}).exit_code, 0);
  EXPECT_EQ(stage_of("L-1"), "opportunity");
  EXPECT_EQ(act({"L-1", "win", "--by", "max", "--at", "2026-03-04T09:00:00Z"}).exit_code, 0);
  Json l1 = lg_.Show("L-1", "2026-03-09T00:00:00Z");
  EXPECT_EQ(l1["stage"], "won");
  std::vector<std::string> path;
  for (const auto& h : l1["history"]) path.push_back(h["to"]);
  EXPECT_EQ(path, (std::vector<std::string>{"mql", "sal", "sql", "opportunity", "won"}));
  EXPECT_EQ(l1["history"][1]["by"], "rita");
  EXPECT_EQ(l1["history"][1]["at"], "2026-03-02T10:03:00Z");
  EXPECT_EQ(l1["history"][4]["by"], "max");
  EXPECT_EQ(l1["bant"]["budget"], "confirmed");
  EXPECT_EQ(l1["bant"]["current_solution"], "spreadsheets");
  EXPECT_EQ(l1["bant"]["by"], "rita");
  EXPECT_EQ(l1["bant"]["at"], "2026-03-02T11:00:00Z");
  EXPECT_EQ(l1["bant"]["passes"], true);

  // L-3: disqualify -> reopen -> override (exception) -> lose.
  EXPECT_EQ(act({"L-3", "disqualify", "--by", "rita", "--reason", "no budget", "--at",
                 "2026-03-04T09:00:00Z"})
                .exit_code,
            0);
  EXPECT_EQ(stage_of("L-3"), "disqualified");
  EXPECT_EQ(act({"L-3", "reopen", "--by", "max", "--reason", "new budget", "--at",
                 "2026-03-05T09:00:00Z"})
                .exit_code,
            0);
  EXPECT_EQ(stage_of("L-3"), "nurture");
  EXPECT_EQ(act({"L-3", "override", "--by", "ada", "--reason", "board contact", "--at",
                 "2026-03-06T09:00:00Z"})
                .exit_code,
            0);
  EXPECT_EQ(act({"L-3", "lose", "--by", "rita", "--reason", "went with rival", "--at",
                 "2026-03-07T09:00:00Z"})
                .exit_code,
            0);
  Json l3 = lg_.Show("L-3", "2026-03-09T00:00:00Z");
  EXPECT_EQ(l3["stage"], "lost");
  ASSERT_EQ(l3["history"].size(), 4u) << l3.dump(2);
  EXPECT_EQ(l3["history"][0]["reason"], "no budget");
  EXPECT_EQ(l3["history"][1]["from"], "disqualified");
  EXPECT_EQ(l3["history"][1]["to"], "nurture");
  EXPECT_EQ(l3["history"][2]["to"], "sql");
  EXPECT_EQ(l3["history"][2]["exception"], true);
  EXPECT_EQ(l3["history"][2]["by"], "ada");
  EXPECT_EQ(l3["history"][3]["exception"], false);
  EXPECT_EQ(l3["history"][3]["reason"], "went with rival");

  // L-4: accept from lead -> reject to nurture (reason recorded).
  EXPECT_EQ(act({"L-4", "accept", "--by", "max", "--at", "2026-03-04T09:00:00Z"}).exit_code, 0);
  EXPECT_EQ(
      act({"L-4", "reject", "--by", "max", "--reason", "too early", "--at", "2026-03-04T10:00:00Z"})
          .exit_code,
      0);
  Json l4 = lg_.Show("L-4", "2026-03-09T00:00:00Z");
  EXPECT_EQ(l4["stage"], "nurture");
  ASSERT_EQ(l4["history"].size(), 2u);
  EXPECT_EQ(l4["history"][0]["from"], "lead");
  EXPECT_EQ(l4["history"][0]["reason"], nullptr);
  EXPECT_EQ(l4["history"][1]["reason"], "too early");

  // qualify and touch are recorded, but are not stage changes.
  EXPECT_EQ(
      act({"L-2", "touch", "--by", "rita", "--channel", "email", "--at", "2026-03-04T09:00:00Z"})
          .exit_code,
      0);
  Json l2 = lg_.Show("L-2", "2026-03-09T00:00:00Z");
  EXPECT_TRUE(l2["history"].empty());
  EXPECT_NE(lg_.Ok({"show", "L-2", "--at", "2026-03-09T00:00:00Z"}).out.find("touch"),
            std::string::npos)
      << "the journey lists the touch";

  // Closed leads leave the queue.
  std::vector<std::string> open = QueueIds(lg_.Queue("2026-03-09T00:00:00Z"));
  EXPECT_EQ(std::count(open.begin(), open.end(), "L-1"), 0);
  EXPECT_EQ(std::count(open.begin(), open.end(), "L-3"), 0);
  EXPECT_EQ(std::count(open.begin(), open.end(), "L-4"), 1);
}

TEST_F(CliBase, RefusedActionsSayWhichRuleAndStoreNothing) {
  const std::string at = "2026-03-02T10:03:00Z";
  Json before = lg_.Show("L-1", "2026-03-09T00:00:00Z");
  Json sla_before = lg_.Sla("2026-03-09T00:00:00Z");
  std::string journey = lg_.Ok({"show", "L-1", "--at", "2026-03-09T00:00:00Z"}).out;
  struct Case {
    std::vector<std::string> args;
    std::string mention;  // the refusing rule must be recognisable
  };
  std::vector<Case> cases = {
      {{"accept", "--by", "mia"}, "marketing"},                      // role
      {{"override", "--by", "rita", "--reason", "vip"}, "manager"},  // role: manager only
      {{"promote", "--by", "rita"}, "mql"},                          // stage: needs sal
      {{"win", "--by", "rita"}, "opportunity"},                      // stage
      {{"reopen", "--by", "max", "--reason", "x"}, "lost"},          // stage
      {{"reject", "--by", "rita"}, "reason"},                        // needs a reason
      {{"reject", "--by", "rita", "--reason", "   "}, "reason"},     // blank reason
      {{"touch", "--by", "rita"}, "channel"},                        // needs a channel
      {{"touch", "--by", "rita", "--channel", "fax"}, "channel"},
      {{"qualify", "--by", "rita", "--budget", "confirmed"}, "BANT"},  // needs all answers
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"act", "L-1"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    args.insert(args.end(), {"--at", at});
    RunResult r = lg_.Run(args);
    EXPECT_EQ(r.exit_code, 1) << Lg::Describe(args) << "\n" << r.out;
    EXPECT_NE(r.err.find(c.mention), std::string::npos)
        << Lg::Describe(args) << " should name the rule (" << c.mention << "): " << r.err;
    EXPECT_NE(r.err.find(c.args[0]), std::string::npos) << "names the action: " << r.err;
  }
  // promote with failing BANT answers, after accept.
  ASSERT_EQ(lg_.Run({"act", "L-3", "accept", "--by", "rita", "--at", at}).exit_code, 0);
  ASSERT_EQ(lg_.Run({"act", "L-3", "qualify", "--by", "rita", "--budget", "none", "--authority",
                     "influencer", "--need", "x", "--timeline", "2026-04-01", "--at", at})
                .exit_code,
            0);
  Json l3 = lg_.Show("L-3", "2026-03-09T00:00:00Z");
  RunResult r = lg_.Run({"act", "L-3", "promote", "--by", "rita", "--at", at});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("BANT"), std::string::npos) << r.err;
  EXPECT_EQ(lg_.Show("L-3", "2026-03-09T00:00:00Z"), l3);

  // Nothing was stored: same dossier, same journey, and the SLA clock of L-1
  // was not answered by the refused attempts.
  EXPECT_EQ(lg_.Show("L-1", "2026-03-09T00:00:00Z"), before);
  EXPECT_EQ(lg_.Ok({"show", "L-1", "--at", "2026-03-09T00:00:00Z"}).out, journey);
  EXPECT_EQ(lg_.Sla("2026-03-09T00:00:00Z")["open"], sla_before["open"]);
  EXPECT_EQ(lg_.Sla("2026-03-09T00:00:00Z")["met"], sla_before["met"]);
  ASSERT_EQ(lg_.Ok({"rebuild"}).exit_code, 0);
  EXPECT_EQ(lg_.Show("L-1", "2026-03-09T00:00:00Z"), before);
}

TEST_F(CliBase, ActErrors) {
  Json before = lg_.Show("L-1", kT);
  RunResult r = lg_.Run({"act", "L-1", "accept", "--by", "nobody", "--at", kT});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nobody"), std::string::npos) << r.err;
  r = lg_.Run({"act", "L-1", "escalate", "--by", "rita", "--at", kT});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("escalate"), std::string::npos) << r.err;
  r = lg_.Run({"act", "L-404", "accept", "--by", "rita", "--at", kT});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("L-404"), std::string::npos) << r.err;
  // Before the lead's first event it does not exist yet.
  r = lg_.Run({"act", "L-1", "accept", "--by", "rita", "--at", "2026-02-01T00:00:00Z"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(lg_.Run({"act", "L-1", "accept", "--at", kT}).exit_code, 2) << "--by is required";
  EXPECT_EQ(lg_.Run({"act", "L-1", "accept", "--by", "rita", "--at", "soon"}).exit_code, 2);
  EXPECT_EQ(lg_.Run({"act", "L-1", "--by", "rita"}).exit_code, 2);
  EXPECT_EQ(lg_.Show("L-1", kT), before);
  EXPECT_EQ(lg_.Run({"show", "L-404", "--json"}).exit_code, 1) << "no lead was created";
}

// ---------------------------------------------------------------- show

TEST_F(CliBase, ShowJsonContract) {
  ASSERT_EQ(lg_.Run({"act", "L-1", "qualify", "--by", "rita", "--budget", "confirmed",
                     "--authority", "decision_maker", "--need", "audit", "--timeline", "2026-04-01",
                     "--at", "2026-03-02T10:30:00Z"})
                .exit_code,
            0);
  Json s = lg_.Show("L-1", kT);
  for (const char* k :
       {"id", "stage", "score", "explanation", "traits", "bant", "history", "warnings"}) {
    EXPECT_TRUE(s.contains(k)) << k << " missing in " << s.dump(2);
  }
  EXPECT_EQ(s["id"], "L-1");
  EXPECT_EQ(s["stage"], "mql");
  // fit 25 + 15 + 10 + 5; the demo request (40) decayed over 14 hours.
  EXPECT_EQ(s["score"]["fit"], 55);
  EXPECT_NEAR(s["score"]["engagement"].get<double>(), 39.46, 0.005);
  EXPECT_NEAR(s["score"]["total"].get<double>(), 94.46, 0.005);
  std::vector<std::string> rules;
  double sum = 0;
  for (const auto& e : s["explanation"]) {
    rules.push_back(e["rule"]);
    sum += e["points"].get<double>();
    EXPECT_TRUE(e.contains("kind") && e.contains("count")) << e.dump();
    if (e["kind"] == "fit") {
      EXPECT_EQ(e["count"], 1);
    }
  }
  // Fit rules first, in playbook order, then engagement.
  EXPECT_EQ(rules, (std::vector<std::string>{"decision-maker", "target-industry", "company-size",
                                             "target-country", "demo-request"}));
  EXPECT_NEAR(sum, s["score"]["total"].get<double>(), 0.011);
  EXPECT_EQ(s["traits"]["company_size"], 300);
  EXPECT_EQ(s["traits"]["email"], "v@acme.io");
  EXPECT_EQ(s["bant"]["passes"], true);
  EXPECT_EQ(s["bant"]["current_solution"], nullptr);
  EXPECT_EQ(s["bant"]["timeline"], "2026-04-01");
  ASSERT_EQ(s["history"].size(), 1u);
  for (const char* k :
       {"at", "from", "to", "by", "reason", "rule", "exception", "playbook_version"}) {
    EXPECT_TRUE(s["history"][0].contains(k)) << k;
  }
  EXPECT_EQ(s["history"][0]["rule"], nullptr);
  EXPECT_EQ(s["history"][0]["exception"], false);
  EXPECT_TRUE(s["warnings"].is_array());

  // Numbers are rounded to 2 decimals in the output itself.
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"show", "L-1", "--json", "--at", kT},
           {"show", "L-4", "--json", "--at", "2026-03-09T17:17:17Z"},
           {"queue", "--json", "--at", "2026-03-09T17:17:17Z"},
           {"sla", "--json", "--at", "2026-03-09T17:17:17Z"}}) {
    std::string out = lg_.Ok(args).out;
    for (size_t i = out.find('.'); i != std::string::npos; i = out.find('.', i + 1)) {
      size_t digits = 0;
      while (i + 1 + digits < out.size() &&
             std::isdigit(static_cast<unsigned char>(out[i + 1 + digits])))
        ++digits;
      bool in_number = i > 0 && std::isdigit(static_cast<unsigned char>(out[i - 1]));
      EXPECT_FALSE(in_number && digits > 2)
          << Lg::Describe(args) << ": " << out.substr(i > 10 ? i - 10 : 0, 24);
    }
  }

  // Before any answers bant is null; the offset timestamp is shown in UTC.
  Json l2 = lg_.Show("L-2", kT);
  EXPECT_EQ(l2["bant"], nullptr);
  EXPECT_EQ(l2["explanation"][0]["rule"], "pricing-page");
}

TEST_F(CliBase, ShowCapLineMakesThePartsAddUp) {
  std::string lines;
  for (int i = 0; i < 4; ++i) {
    lines +=
        R"({"type":"track","userId":"L-3","event":"form_submitted","properties":{"form":"demo"},"timestamp":"2026-03-02T10:00:0)" +
        std::to_string(i) + R"(Z","messageId":"cap)" + std::to_string(i) + "\"}\n";
  }
  ASSERT_EQ(lg_.Ingest("cap.jsonl", lines).exit_code, 0);
  Json s = lg_.Show("L-3", "2026-03-02T10:00:03Z");
  EXPECT_EQ(s["score"]["engagement"], 100);
  const Json& last = s["explanation"].back();
  EXPECT_EQ(last["rule"], "cap");
  EXPECT_EQ(last["kind"], "cap");
  EXPECT_EQ(last["count"], 0);
  EXPECT_NEAR(last["points"].get<double>(), -60, 0.011);
  double sum = 0;
  for (const auto& e : s["explanation"]) sum += e["points"].get<double>();
  EXPECT_NEAR(sum, s["score"]["total"].get<double>(), 0.011);
}

TEST_F(CliBase, ShowHumanDossier) {
  ASSERT_EQ(
      lg_.Run({"act", "L-1", "accept", "--by", "rita", "--at", "2026-03-02T10:03:00Z"}).exit_code,
      0);
  ASSERT_EQ(lg_.Run({"act", "L-1", "qualify", "--by", "rita", "--budget", "confirmed",
                     "--authority", "decision_maker", "--need", "audit prep", "--timeline",
                     "2026-04-01", "--at", "2026-03-02T10:30:00Z"})
                .exit_code,
            0);
  RunResult r = lg_.Ok({"show", "L-1", "--at", kT});
  const std::string& out = r.out;
  for (const char* want :
       {"L-1", "VP Finance", "sal",
        // rule labels, not only ids
        "Decision-making role", "Industry we sell well into", "Submitted the demo request form",
        // BANT answers
        "BANT", "confirmed", "audit prep",
        // journey: the events and the actions
        "2026-03-01T10:00:00Z", "2026-03-02T10:00:00Z", "accept",
        // history
        "mql threshold", "rita"}) {
    EXPECT_NE(out.find(want), std::string::npos) << "'" << want << "' missing in:\n" << out;
  }
  EXPECT_EQ(out.find("\033["), std::string::npos) << "no colour codes when not on a terminal";
}

TEST_F(CliBase, ShowUnknownOrNotYetExistingLead) {
  RunResult r = lg_.Run({"show", "L-404", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("L-404"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  r = lg_.Run({"show", "L-1", "--json", "--at", "2026-03-01T09:59:59Z"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("L-1"), std::string::npos) << r.err;
  // Exactly at the first event it exists.
  EXPECT_EQ(lg_.Run({"show", "L-1", "--json", "--at", "2026-03-01T10:00:00Z"}).exit_code, 0);
  EXPECT_EQ(lg_.Run({"show", "L-1", "--at", "2026-99-01"}).exit_code, 2);
  EXPECT_EQ(lg_.Run({"show"}).exit_code, 2);
}

TEST_F(CliBase, ShowAsOfIsEverythingAsOf) {
  ASSERT_EQ(
      lg_.Run({"act", "L-1", "accept", "--by", "rita", "--at", "2026-03-02T10:03:00Z"}).exit_code,
      0);
  // Before the demo request: a lead with fit only, nothing in history.
  Json early = lg_.Show("L-1", "2026-03-02T09:00:00Z");
  EXPECT_EQ(early["stage"], "lead");
  EXPECT_EQ(early["score"]["engagement"], 0);
  EXPECT_TRUE(early["history"].empty());
  Json mid = lg_.Show("L-1", "2026-03-02T10:01:00Z");
  EXPECT_EQ(mid["stage"], "mql");
  EXPECT_EQ(mid["history"].size(), 1u);
  EXPECT_EQ(lg_.Show("L-1", "2026-03-02T10:03:00Z")["stage"], "sal");
}

// ---------------------------------------------------------------- queue

TEST_F(CliBase, QueueOrderStageLimitAndOpenOnly) {
  Json q = lg_.Queue(kT);
  // L-1 94.46, L-4 55 + 34.x, then the tie L-3 = L-5 = 50 by id, then L-2.
  EXPECT_EQ(QueueIds(q), (std::vector<std::string>{"L-1", "L-4", "L-3", "L-5", "L-2"}));
  for (size_t i = 0; i + 1 < q.size(); ++i) {
    EXPECT_GE(q[i]["total"].get<double>(), q[i + 1]["total"].get<double>());
  }
  for (const auto& row : q) {
    for (const char* k : {"id", "stage", "fit", "engagement", "total"}) {
      EXPECT_TRUE(row.contains(k)) << k << " in " << row.dump();
    }
    EXPECT_NEAR(row["fit"].get<double>() + row["engagement"].get<double>(),
                row["total"].get<double>(), 0.011);
  }
  EXPECT_EQ(q[0]["stage"], "mql");
  EXPECT_NEAR(q[0]["total"].get<double>(), 94.46, 0.005);

  EXPECT_EQ(QueueIds(lg_.Queue(kT, {"--stage", "mql"})), std::vector<std::string>{"L-1"});
  EXPECT_EQ(QueueIds(lg_.Queue(kT, {"--stage", "lead", "--limit", "2"})),
            (std::vector<std::string>{"L-4", "L-3"}));
  EXPECT_EQ(QueueIds(lg_.Queue(kT, {"--limit", "3"})),
            (std::vector<std::string>{"L-1", "L-4", "L-3"}));
  EXPECT_TRUE(lg_.Queue(kT, {"--stage", "sql"}).empty());
  EXPECT_EQ(lg_.Run({"queue", "--json", "--stage", "hot"}).exit_code, 2);
  EXPECT_EQ(lg_.Run({"queue", "--json", "--limit", "-1"}).exit_code, 2);

  // Before their first events leads do not exist, and are in no queue.
  EXPECT_TRUE(lg_.Queue("2026-03-01T09:59:59Z").empty());
  EXPECT_EQ(lg_.Queue("2026-03-01T10:00:00Z").size(), 5u);

  // Closing leads removes them; a past --at still sees them open.
  ASSERT_EQ(lg_.Run({"act", "L-4", "disqualify", "--by", "rita", "--reason", "student", "--at",
                     "2026-03-02T13:00:00Z"})
                .exit_code,
            0);
  EXPECT_EQ(QueueIds(lg_.Queue(kT)), (std::vector<std::string>{"L-1", "L-3", "L-5", "L-2"}));
  EXPECT_EQ(QueueIds(lg_.Queue("2026-03-02T12:30:00Z")),
            (std::vector<std::string>{"L-1", "L-4", "L-3", "L-5", "L-2"}));
  EXPECT_TRUE(lg_.Queue(kT, {"--stage", "disqualified"}).empty()) << "open leads only";

  // Before L-2's page view (09:00Z, sent as 10:00+01:00) it has no engagement.
  Json early = lg_.Queue("2026-03-02T08:59:59Z");
  for (const auto& row : early) {
    if (row["id"] == "L-2") {
      EXPECT_EQ(row["total"], 0);
    }
  }
}

TEST_F(CliBase, QueueMatchesShowForEveryLead) {
  for (const char* at : {"2026-03-02T10:30:00Z", kT, "2026-04-15T00:00:00Z"}) {
    Json q = lg_.Queue(at);
    ASSERT_EQ(q.size(), 5u);
    for (const auto& row : q) {
      Json s = lg_.Show(row["id"], at);
      EXPECT_EQ(row["stage"], s["stage"]) << at;
      EXPECT_NEAR(row["total"].get<double>(), s["score"]["total"].get<double>(), 0.011) << at;
      EXPECT_NEAR(row["engagement"].get<double>(), s["score"]["engagement"].get<double>(), 0.011)
          << at;
    }
  }
}

// ---------------------------------------------------------------- sla

TEST_F(CliBase, SlaJsonContract) {
  Json s = lg_.Sla(kT);
  EXPECT_EQ(s["limit_seconds"], 300);
  ASSERT_EQ(s["open"].size(), 1u) << s.dump(2);
  EXPECT_EQ(s["open"][0]["id"], "L-1");
  EXPECT_EQ(s["open"][0]["mql_at"], "2026-03-02T10:00:00Z");
  EXPECT_EQ(s["open"][0]["due"], "2026-03-02T10:05:00Z");
  EXPECT_EQ(s["open"][0]["overdue_seconds"], 50100);  // 13h55m past due
  EXPECT_EQ(s["breaches"], 1);
  EXPECT_EQ(s["met"], 0);
  EXPECT_EQ(s["median_response_seconds"], nullptr);

  // While time is left, overdue_seconds is negative and nothing is breached.
  Json early = lg_.Sla("2026-03-02T10:01:00Z");
  EXPECT_EQ(early["open"][0]["overdue_seconds"], -240);
  EXPECT_EQ(early["breaches"], 0);
  // Before the MQL there is no clock.
  EXPECT_TRUE(lg_.Sla("2026-03-02T09:00:00Z")["open"].empty());

  // A second MQL: the open clocks come most overdue first.
  ASSERT_EQ(
      lg_.Ingest(
             "l3.jsonl",
             R"({"type":"track","userId":"L-3","event":"form_submitted","properties":{"form":"contact"},"timestamp":"2026-03-02T14:00:00Z","messageId":"c2"}
{"type":"track","userId":"L-3","event":"webinar_attended","timestamp":"2026-03-02T14:00:00Z","messageId":"c3"}
)")
          .exit_code,
      0);
  s = lg_.Sla(kT);
  ASSERT_EQ(s["open"].size(), 2u) << s.dump(2);
  EXPECT_EQ(s["open"][0]["id"], "L-1");
  EXPECT_EQ(s["open"][1]["id"], "L-3");
  EXPECT_EQ(s["open"][1]["overdue_seconds"], 35700);
  EXPECT_EQ(s["breaches"], 2);

  // A response in 3 minutes is met; the second answered after 10 is a breach.
  ASSERT_EQ(lg_.Run({"act", "L-1", "touch", "--by", "rita", "--channel", "call", "--at",
                     "2026-03-02T10:03:00Z"})
                .exit_code,
            0);
  ASSERT_EQ(lg_.Show("L-3", kT)["stage"], "mql");
  ASSERT_EQ(
      lg_.Run({"act", "L-3", "accept", "--by", "max", "--at", "2026-03-02T14:10:00Z"}).exit_code,
      0);
  s = lg_.Sla(kT);
  EXPECT_TRUE(s["open"].empty()) << s.dump(2);
  EXPECT_EQ(s["met"], 1);
  EXPECT_EQ(s["breaches"], 1);
  EXPECT_NEAR(s["median_response_seconds"].get<double>(), 390, 0.005);  // mean of 180 and 600
  EXPECT_NE(lg_.Ok({"sla", "--at", kT}).out.find("1"), std::string::npos);
}

// ---------------------------------------------------------------- rebuild

TEST_F(CliBase, RebuildGivesTheSameAnswers) {
  ASSERT_EQ(
      lg_.Run({"act", "L-1", "accept", "--by", "rita", "--at", "2026-03-02T10:03:00Z"}).exit_code,
      0);
  ASSERT_EQ(lg_.Run({"act", "L-4", "disqualify", "--by", "rita", "--reason", "x", "--at",
                     "2026-03-02T13:00:00Z"})
                .exit_code,
            0);
  const std::vector<std::string> times = {"2026-03-02T10:30:00Z", kT, "2026-05-01T00:00:00Z"};
  auto snapshot = [&] {
    Json all = Json::array();
    for (const auto& t : times) {
      all.push_back(lg_.Queue(t));
      all.push_back(lg_.Queue(t, {"--stage", "lead", "--limit", "2"}));
      all.push_back(lg_.Sla(t));
      for (const char* id : {"L-1", "L-2", "L-3", "L-4", "L-5"}) all.push_back(lg_.Show(id, t));
    }
    return all;
  };
  Json before = snapshot();
  RunResult r = lg_.Run({"rebuild"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("5"), std::string::npos) << "says how many leads: " << r.out;
  EXPECT_EQ(snapshot(), before);
  ASSERT_EQ(lg_.Run({"rebuild"}).exit_code, 0);
  EXPECT_EQ(snapshot(), before);
}

// ---------------------------------------------------------------- store, help

TEST(CliStore, MissingStoreIsAHelpfulError) {
  TempDir dir;
  dir.Write("e.jsonl", kBase);
  dir.Write("l.csv", "id\nL-1\n");
  dir.Write("pb.yaml", kTestPlaybook);
  const std::vector<std::vector<std::string>> commands = {
      {"show", "L-1", "--json"},
      {"queue", "--json"},
      {"sla", "--json"},
      {"ingest", "e.jsonl"},
      {"import", "leads", "l.csv"},
      {"act", "L-1", "accept", "--by", "rita"},
      {"user", "add", "rita", "--role", "rep"},
      {"playbook", "apply", "pb.yaml"},
      {"rebuild"},
  };
  for (const auto& c : commands) {
    std::vector<std::string> args = {"--db", "nowhere.db"};
    args.insert(args.end(), c.begin(), c.end());
    RunResult r = RunLeadgate(args, dir.path());
    EXPECT_EQ(r.exit_code, 1) << Lg::Describe(args);
    EXPECT_NE(r.err.find("nowhere.db"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("init"), std::string::npos) << "says how to make one: " << r.err;
    EXPECT_FALSE(fs::exists(dir.File("nowhere.db"))) << "no store is made by " << c[0];
  }
  // Without --db the store is ./leadgate.db.
  RunResult r = RunLeadgate({"queue", "--json"}, dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("leadgate.db"), std::string::npos) << r.err;
  ASSERT_EQ(RunLeadgate({"init", "--playbook", "pb.yaml"}, dir.path()).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir.File("leadgate.db")));
  EXPECT_EQ(RunLeadgate({"ingest", "e.jsonl"}, dir.path()).exit_code, 0);
  EXPECT_EQ(RunLeadgate({"show", "L-1", "--json"}, dir.path()).exit_code, 0);
}

TEST(CliStore, NotAStoreIsAnErrorAndIsLeftAlone) {
  TempDir dir;
  dir.Write("notes.txt", "my notes, not a database\n");
  RunResult r = RunLeadgate({"--db", "notes.txt", "queue", "--json"}, dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("notes.txt"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(dir.File("notes.txt")), "my notes, not a database\n");
  dir.Write("pb.yaml", kTestPlaybook);
  r = RunLeadgate({"--db", "notes.txt", "init", "--playbook", "pb.yaml"}, dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(ReadFile(dir.File("notes.txt")), "my notes, not a database\n");
}

TEST(CliHelp, HelpAndUsageErrors) {
  TempDir dir;
  RunResult r = RunLeadgate({"--help"}, dir.path());
  EXPECT_EQ(r.exit_code, 0);
  for (const char* cmd :
       {"init", "playbook", "user", "import", "ingest", "act", "show", "queue", "sla", "rebuild"}) {
    EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd << " missing in --help";
  }
  r = RunLeadgate({"act", "--help"}, dir.path());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--reason"), std::string::npos);
  EXPECT_EQ(RunLeadgate({}, dir.path()).exit_code, 2);
  EXPECT_EQ(RunLeadgate({"frobnicate"}, dir.path()).exit_code, 2);
  EXPECT_EQ(RunLeadgate({"queue", "--bogus"}, dir.path()).exit_code, 2);
  EXPECT_FALSE(fs::exists(dir.File("leadgate.db")));
}

}  // namespace
}  // namespace leadgate::testing
