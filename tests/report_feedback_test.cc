// report feedback: MQL->SAL and MQL->won by source and by the rules that
// fired, top reject reasons per source; hand-made histories with known
// answers, and the command on a small store (projections == refold).
#include <gtest/gtest.h>

#include "app/feedback.h"
#include "common/time.h"
#include "qa_support.h"

namespace leadgate::testing {
namespace {

const Micros kT0 = 1772323200LL * kSecond;  // 2026-03-01T00:00:00Z

HistoryEntry H(int hours, Stage from, Stage to, std::string by = "engine",
               std::optional<std::string> reason = std::nullopt) {
  HistoryEntry e;
  e.at = kT0 + hours * kHour;
  e.from = from;
  e.to = to;
  e.by = std::move(by);
  e.reason = std::move(reason);
  return e;
}

TEST(FeedbackMaths, MqlsBySourceAndRule) {
  using S = Stage;
  FeedbackReport r;
  FeedbackBuilder b(&r, /*top_reasons=*/2);
  // web: an MQL accepted and won; an MQL rejected twice (recycled), once
  // "no budget", once "too small"; a lead that never became an MQL.
  b.Add("web",
        {H(1, S::kLead, S::kMql), H(2, S::kMql, S::kSal, "ana"), H(3, S::kSal, S::kSql, "ana"),
         H(4, S::kSql, S::kOpportunity, "ana"), H(5, S::kOpportunity, S::kWon, "ana")},
        {{"vp", "fit"}, {"demo", "engagement"}});
  b.Add("web",
        {H(1, S::kLead, S::kMql), H(2, S::kMql, S::kNurture, "bo", "no budget"),
         H(9, S::kNurture, S::kMql), H(10, S::kMql, S::kNurture, "bo", "too small")},
        {{"demo", "engagement"}});
  b.Add("web", {}, {{"vp", "fit"}});  // not an MQL: its rules count for nothing
  // ads: self-qualified SQL that was never an MQL (not in the MQLs), won;
  // an MQL rejected "no budget" three times over three leads.
  b.Add("ads", {H(1, S::kLead, S::kSql, "engine", "self-qualified"), H(5, S::kSql, S::kWon, "a")},
        {{"vp", "fit"}});
  for (int i = 0; i < 3; ++i) {
    b.Add("ads", {H(1, S::kLead, S::kMql), H(2, S::kMql, S::kNurture, "bo", "no budget")}, {});
  }
  b.Add("ads", {H(1, S::kLead, S::kMql), H(2, S::kMql, S::kNurture, "bo", "spam")}, {});
  b.Add("ads", {H(1, S::kLead, S::kMql), H(2, S::kMql, S::kNurture, "bo", "wrong region")}, {});
  b.Finish();

  EXPECT_EQ(r.all.leads, 9);
  EXPECT_EQ(r.all.mqls, 7);
  EXPECT_EQ(r.all.sal, 1);
  EXPECT_EQ(r.all.won, 1);  // the self-qualified win was no MQL's
  const FeedbackRow& web = r.by_source.at("web");
  EXPECT_EQ(web.leads, 3);
  EXPECT_EQ(web.mqls, 2);
  EXPECT_DOUBLE_EQ(*web.lead_to_mql, 2.0 / 3);
  EXPECT_DOUBLE_EQ(*web.mql_to_sal, 0.5);
  EXPECT_DOUBLE_EQ(*web.mql_to_won, 0.5);
  ASSERT_EQ(web.rejected.size(), 2u);
  const FeedbackRow& ads = r.by_source.at("ads");
  EXPECT_EQ(ads.leads, 6);
  EXPECT_EQ(ads.mqls, 5);
  EXPECT_DOUBLE_EQ(*ads.mql_to_won, 0.0);
  ASSERT_EQ(ads.rejected.size(), 2u);  // top 2 of 3 reasons
  EXPECT_EQ(ads.rejected[0].reason, "no budget");
  EXPECT_EQ(ads.rejected[0].count, 3);

  const FeedbackRow& vp = r.by_rule.at("vp");
  EXPECT_EQ(vp.kind, "fit");
  EXPECT_EQ(vp.mqls, 1);  // fired for 3 leads, one of them an MQL
  EXPECT_DOUBLE_EQ(*vp.mql_to_won, 1.0);
  const FeedbackRow& demo = r.by_rule.at("demo");
  EXPECT_EQ(demo.kind, "engagement");
  EXPECT_EQ(demo.mqls, 2);
  EXPECT_DOUBLE_EQ(*demo.mql_to_sal, 0.5);
  EXPECT_DOUBLE_EQ(*demo.mql_to_won, 0.5);
  EXPECT_FALSE(demo.lead_to_mql.has_value());
}

std::string Identify(const std::string& id, const std::string& title, const std::string& industry,
                     const std::string& source) {
  return R"({"type":"identify","userId":")" + id + R"(","traits":{"job_title":")" + title +
         R"(","industry":")" + industry + R"(","lead_source":")" + source +
         R"("},"timestamp":"2026-03-01T10:00:00Z","messageId":"i-)" + id + "\"}";
}
std::string Track(const std::string& id, const std::string& event, const std::string& props,
                  const std::string& ts, const std::string& mid) {
  return R"({"type":"track","userId":")" + id + R"(","event":")" + event + R"(","properties":)" +
         props + R"(,"timestamp":")" + ts + R"(","messageId":")" + mid + "\"}";
}

TEST(ReportFeedback, RulesThatFiredAndRejectReasonsOnAStore) {
  Lg s;
  s.AddUser("ana", "rep");
  // Fit 40 each (decision maker + target industry) for l1-l3; l1, l2 MQL on
  // the demo form (40), l3 on contact form + webinar (45); l4 never.
  RunResult in = s.Ingest(
      "e.jsonl",
      Lines({Identify("l1", "VP Sales", "software", "webinar"),
             Identify("l2", "Director", "finance", "webinar"),
             Identify("l3", "CEO", "healthcare", "ads"), Identify("l4", "Analyst", "retail", "ads"),
             Track("l1", "form_submitted", R"({"form":"demo"})", "2026-03-02T10:00:00Z", "t1"),
             Track("l2", "form_submitted", R"({"form":"demo"})", "2026-03-02T10:00:00Z", "t2"),
             Track("l3", "form_submitted", R"({"form":"contact"})", "2026-03-02T10:00:00Z", "t3"),
             Track("l3", "webinar_attended", "{}", "2026-03-02T11:00:00Z", "t4"),
             Track("l4", "email_replied", "{}", "2026-03-02T10:00:00Z", "t5")}));
  ASSERT_EQ(in.exit_code, 0) << in.err;
  s.Ok({"act", "l1", "accept", "--by", "ana", "--at", "2026-03-03T00:00:00Z"});
  s.Ok({"act", "l2", "reject", "--by", "ana", "--reason", "no budget", "--at",
        "2026-03-03T00:00:00Z"});
  s.Ok({"act", "l3", "accept", "--by", "ana", "--at", "2026-03-03T00:00:00Z"});
  // l1 was won (CRM history, applied as recorded).
  s.Write("h.csv", "id,stage,at,by\nl1,won,2026-04-01,ana\n");
  s.Ok({"import", "history", "h.csv"});

  const std::vector<std::string> cmd = {"report", "feedback", "--json", "--at",
                                        "2026-06-01T00:00:00Z"};
  Json j = s.RunJson(cmd);
  std::vector<std::string> refold = cmd;
  refold.push_back("--refold");
  EXPECT_EQ(j, s.RunJson(refold));
  EXPECT_EQ(j["leads"], 4);
  EXPECT_EQ(j["mqls"], 3);
  EXPECT_EQ(j["sal"], 2);
  EXPECT_EQ(j["won"], 1);
  EXPECT_EQ(j["mql->sal"], 0.6667);
  const Json& web = j["by_source"]["webinar"];
  EXPECT_EQ(web["leads"], 2);
  EXPECT_EQ(web["mqls"], 2);
  EXPECT_EQ(web["mql->sal"], 0.5);
  EXPECT_EQ(web["mql->won"], 0.5);
  ASSERT_EQ(web["rejected"].size(), 1u) << web.dump();
  EXPECT_EQ(web["rejected"][0]["reason"], "no budget");
  const Json& ads = j["by_source"]["ads"];
  EXPECT_EQ(ads["leads"], 2);
  EXPECT_EQ(ads["mqls"], 1);
  EXPECT_EQ(ads["lead->mql"], 0.5);
  EXPECT_EQ(ads["mql->won"], 0.0);
  const Json& rules = j["by_rule"];
  EXPECT_EQ(rules["decision-maker"]["kind"], "fit");
  EXPECT_EQ(rules["decision-maker"]["mqls"], 3);
  EXPECT_EQ(rules["demo-request"]["kind"], "engagement");
  EXPECT_EQ(rules["demo-request"]["mqls"], 2);
  EXPECT_EQ(rules["demo-request"]["mql->won"], 0.5);
  EXPECT_EQ(rules["contact-form"]["mqls"], 1);
  EXPECT_EQ(rules["contact-form"]["mql->sal"], 1.0);
  EXPECT_EQ(rules["contact-form"]["mql->won"], 0.0);
  EXPECT_FALSE(rules.contains("email-replied")) << "l4's rule: l4 is no MQL";

  // The text names the sources and the rules.
  RunResult t = s.Ok({"report", "feedback", "--at", "2026-06-01T00:00:00Z"});
  EXPECT_NE(t.out.find("webinar"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("no budget (1)"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("demo-request"), std::string::npos) << t.out;
}

}  // namespace
}  // namespace leadgate::testing
