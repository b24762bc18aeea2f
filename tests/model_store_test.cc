// Learning from the store (docs/predictive.md): train from generated won/lost
// histories with a known signal, no leakage from after the outcome, the
// prediction in show, the queue by probability, suggestions that load as a
// playbook, determinism, the small-company case, bad histories.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "app/engine.h"
#include "app/model_data.h"
#include "app/suggest.h"
#include "common/time.h"
#include "playbook/playbook.h"
#include "qa_support.h"

namespace leadgate::testing {
namespace {

const Micros kT0 = 1772323200LL * kSecond;  // 2026-03-01T00:00:00Z

struct LeadSpec {
  std::string source;    // lead_source: referral carries the signal
  std::string industry;  // noise
  bool pricing = false;  // visited /pricing
  int outcome = 0;       // 1 won, -1 lost, 0 open
};

Event Identify(const std::string& lead, Micros ts, Props traits, const std::string& mid) {
  Event e;
  e.type = EventType::kIdentify;
  e.lead_id = lead;
  e.message_id = mid;
  e.ts = ts;
  e.name = "identify";
  e.props = std::move(traits);
  return e;
}

Event Page(const std::string& lead, Micros ts, const std::string& url, const std::string& mid) {
  Event e;
  e.type = EventType::kPage;
  e.lead_id = lead;
  e.message_id = mid;
  e.ts = ts;
  e.name = "page_view";
  e.props = {{"url", Value::String(url)}};
  return e;
}

Event Track(const std::string& lead, Micros ts, const std::string& name, const std::string& mid) {
  Event e;
  e.type = EventType::kTrack;
  e.lead_id = lead;
  e.message_id = mid;
  e.ts = ts;
  e.name = name;
  return e;
}

// A store under the default playbook whose leads close as the specs say:
// won = override to sql, convert, win; lost = override, lose. After the
// outcome every closed lead gets a trait and an event that give the outcome
// away (post_outcome, invoice_paid): learning must not see them.
struct History {
  TempDir dir;
  std::string db = dir.File("store.db");
  std::unique_ptr<Engine> engine;
  std::vector<LeadSpec> specs;

  static std::string Id(size_t i) {
    char b[32];
    std::snprintf(b, sizeof b, "L-%04zu", i);
    return b;
  }
  explicit History(std::vector<LeadSpec> s) : specs(std::move(s)) {
    const std::string pb = std::string(LEADGATE_SOURCE_DIR) + "/playbooks/default.yaml";
    Status st = Engine::Init(db, pb);
    EXPECT_TRUE(st.ok()) << st.message();
    auto e = Engine::Open(db);
    EXPECT_TRUE(e.ok()) << e.status().message();
    engine = std::move(*e);
    EXPECT_TRUE(engine->AddUser("maria", "manager").ok());
    std::vector<Event> events;
    for (size_t i = 0; i < specs.size(); ++i) {
      const LeadSpec& l = specs[i];
      const std::string id = Id(i);
      const Micros t = kT0 + static_cast<Micros>(i) * 10 * kMinute;
      events.push_back(Identify(id, t,
                                {{"job_title", Value::String(i % 3 ? "VP Finance" : "Analyst")},
                                 {"industry", Value::String(l.industry)},
                                 {"company_size", Value::Number(static_cast<double>(20 + i % 400))},
                                 {"lead_source", Value::String(l.source)},
                                 {"email", Value::String(id + "@example.com")}},
                                id + "-i"));
      if (l.pricing)
        events.push_back(Page(id, t + kHour, "https://acme.test/pricing?x=1", id + "-p"));
      events.push_back(Page(id, t + 2 * kHour, "https://acme.test/blog", id + "-b"));
      if (l.outcome != 0) {
        const Micros after = t + 5 * kDay;
        events.push_back(Identify(id, after,
                                  {{"post_outcome", Value::String(l.outcome > 0 ? "won" : "lost")}},
                                  id + "-leak"));
        if (l.outcome > 0) events.push_back(Track(id, after + kHour, "invoice_paid", id + "-inv"));
      }
    }
    IngestReport rep;
    st = engine->IngestEvents(events, &rep);
    EXPECT_TRUE(st.ok()) << st.message();
    for (size_t i = 0; i < specs.size(); ++i) {
      const LeadSpec& l = specs[i];
      if (l.outcome == 0) continue;
      const Micros t = kT0 + static_cast<Micros>(i) * 10 * kMinute;
      Act(Id(i), "override", t + kDay, "qualified by phone");
      if (l.outcome > 0) {
        Act(Id(i), "convert", t + 2 * kDay, "");
        Act(Id(i), "win", t + 3 * kDay, "");
      } else {
        Act(Id(i), "lose", t + 3 * kDay, "no budget");
      }
    }
  }
  void Act(const std::string& lead, const std::string& action, Micros at,
           const std::string& reason) {
    ActRequest r;
    r.lead = lead;
    r.action = action;
    r.by = "maria";
    r.at = at;
    if (!reason.empty()) r.reason = reason;
    auto s = engine->Act(r);
    EXPECT_TRUE(s.ok()) << lead << " " << action << ": " << s.status().message();
  }
  RunResult Run(const std::vector<std::string>& args) const {
    std::vector<std::string> full = {"--db", db};
    full.insert(full.end(), args.begin(), args.end());
    return RunLeadgate(full, dir.path());
  }
  Json RunJson(const std::vector<std::string>& args) const {
    RunResult r = Run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out;
    return j;
  }
};

// 300 leads: referral wins 90 %, everything else 10 % (a deterministic
// pattern), 1 in 7 still open.
std::vector<LeadSpec> SignalSpecs(size_t n = 300) {
  std::vector<LeadSpec> v;
  const char* industries[] = {"software", "retail", "finance", "education"};
  for (size_t i = 0; i < n; ++i) {
    LeadSpec l;
    const bool referral = i % 2 == 0;
    l.source = referral ? "referral" : (i % 4 == 1 ? "paid_search" : "webinar");
    l.industry = industries[(i / 2) % 4];
    l.pricing = i % 5 == 0;
    if (i % 7 == 3) {
      l.outcome = 0;
    } else {
      const bool flip = (i / 2) % 10 == 7;  // 10 % against the pattern
      l.outcome = (referral != flip) ? 1 : -1;
    }
    v.push_back(l);
  }
  return v;
}

bool HasColumn(const Json& summary, const std::string& name) {
  for (const auto& c : summary["features"])
    if (c["name"] == name) return true;
  return false;
}

TEST(ModelStore, TrainsFromTheHistoryWithoutLeakingTheOutcome) {
  History h(SignalSpecs());
  size_t closed = 0, won = 0;
  for (const auto& s : h.specs) closed += s.outcome != 0, won += s.outcome > 0;

  Json t = h.RunJson({"model", "train", "--json"});
  EXPECT_EQ(t["version"], 1);
  EXPECT_EQ(t["active"], true);
  EXPECT_EQ(t["summary"]["rows"], closed);
  EXPECT_EQ(t["summary"]["positives"], won);
  EXPECT_EQ(t["summary"]["open_excluded"], h.specs.size() - closed);
  // The signal is learned...
  EXPECT_GT(t["metrics"]["auc"].get<double>(), 0.8);
  EXPECT_GT(t["metrics"]["auc_low"].get<double>(), 0.5);
  EXPECT_LT(t["metrics"]["log_loss"].get<double>(),
            t["metrics"]["base_rate_log_loss"].get<double>());
  // ... but not what happened after the outcome: post_outcome is set after
  // every win and loss (it would give AUC 1), invoice_paid only after wins.
  EXPECT_TRUE(HasColumn(t["summary"], "lead_source"));
  EXPECT_FALSE(HasColumn(t["summary"], "post_outcome"));
  EXPECT_FALSE(HasColumn(t["summary"], "email")) << "contact details are not features";
  EXPECT_LT(t["metrics"]["auc"].get<double>(), 0.98);
  Json show = h.RunJson({"model", "show", "--json"});
  for (const auto& w : show["weights"]) {
    EXPECT_EQ(w["feature"].get<std::string>().find("post_outcome"), std::string::npos);
    EXPECT_EQ(w["feature"].get<std::string>().find("invoice"), std::string::npos);
  }
  // The strongest weight is the source.
  ASSERT_FALSE(show["weights"].empty());
  EXPECT_EQ(show["weights"][0]["feature"].get<std::string>().rfind("lead_source=", 0), 0u)
      << show["weights"][0];

  // In process: the event count of a won lead's row stops before its outcome
  // (3 events before, 5 after the leak).
  TrainingOptions o;
  auto tt = h.engine->TrainingData(o);
  ASSERT_TRUE(tt.ok()) << tt.status().message();
  const auto& d = tt->data;
  size_t events_col = d.columns.size();
  for (size_t c = 0; c < d.columns.size(); ++c)
    if (d.columns[c].name == "events") events_col = c;
  ASSERT_LT(events_col, d.columns.size());
  for (size_t r = 0; r < d.rows(); ++r) EXPECT_LE(d.columns[events_col].num[r], 3.0) << tt->lead[r];
}

TEST(ModelStore, CountsPerEventNameAreFeaturesUpToTheOutcome) {
  History h(SignalSpecs());
  TrainingOptions o;
  auto tt = h.engine->TrainingData(o);
  ASSERT_TRUE(tt.ok()) << tt.status().message();
  const auto& d = tt->data;
  decltype(&d.columns[0]) pages = nullptr;
  for (const auto& c : d.columns) {
    if (c.name == "event page_view") pages = &c;
    // invoice_paid only ever comes after the outcome.
    EXPECT_NE(c.name, "event invoice_paid") << "an event after the outcome leaked in";
  }
  ASSERT_NE(pages, nullptr) << "no per-event-name count column";
  for (size_t r = 0; r < d.rows(); ++r) {
    const size_t i = static_cast<size_t>(std::stoi(tt->lead[r].substr(2)));
    // The blog page, and the pricing page for the leads that saw it.
    EXPECT_EQ(pages->num[r], h.specs[i].pricing ? 2.0 : 1.0) << tt->lead[r];
  }
  // The stored projection keeps the counts: the prediction read from it is
  // the one a refold gives (a lead without the tail would score differently).
  ASSERT_EQ(h.Run({"model", "train"}).exit_code, 0);
  Json model = h.RunJson({"model", "show", "--json"});
  bool weighted = false;
  for (const auto& w : model["weights"])
    weighted |= w["feature"].get<std::string>().rfind("event page_view", 0) == 0;
  EXPECT_TRUE(weighted) << "the count is a feature of the trained model";
  for (const char* id : {"L-0003", "L-0010", "L-0017", "L-0024"}) {
    Json p = h.RunJson({"show", id, "--json"});
    Json r = h.RunJson({"show", id, "--json", "--refold"});
    ASSERT_TRUE(p["prediction"].is_object()) << id;
    EXPECT_EQ(p["prediction"]["probability"], r["prediction"]["probability"]) << id;
  }
}

TEST(ModelStore, PredictionInShowAndTheQueueByProbability) {
  History h(SignalSpecs());
  // No model yet: prediction is null, the queue cannot sort by it.
  Json before = h.RunJson({"show", "L-0003", "--json"});
  ASSERT_TRUE(before.contains("prediction"));
  EXPECT_TRUE(before["prediction"].is_null());
  RunResult q0 = h.Run({"queue", "--sort", "probability"});
  EXPECT_EQ(q0.exit_code, 1);
  EXPECT_NE(q0.err.find("no model"), std::string::npos) << q0.err;

  ASSERT_EQ(h.Run({"model", "train"}).exit_code, 0);
  // L-0003 and L-0010 are open; L-0010 came by referral, L-0003 by paid search.
  Json ref = h.RunJson({"show", "L-0010", "--json"});
  Json paid = h.RunJson({"show", "L-0003", "--json"});
  ASSERT_TRUE(ref["prediction"].is_object()) << ref;
  const double pr = ref["prediction"]["probability"], pp = paid["prediction"]["probability"];
  EXPECT_GT(pr, 0.6);
  EXPECT_LT(pp, 0.4);
  EXPECT_EQ(ref["prediction"]["model_version"], 1);
  ASSERT_FALSE(ref["prediction"]["factors"].empty());
  const Json& f0 = ref["prediction"]["factors"][0];
  EXPECT_EQ(f0["feature"], "lead_source");
  EXPECT_EQ(f0["value"], "referral");
  EXPECT_GT(f0["effect"].get<double>(), 0);
  // The dossier says it too; --refold gives the same probability.
  RunResult txt = h.Run({"show", "L-0010"});
  EXPECT_NE(txt.out.find("Prediction"), std::string::npos) << txt.out;
  EXPECT_NE(txt.out.find("lead_source = referral"), std::string::npos) << txt.out;
  Json refold = h.RunJson({"show", "L-0010", "--json", "--refold"});
  EXPECT_EQ(refold["prediction"]["probability"], ref["prediction"]["probability"]);

  // The queue by probability: open leads only, highest first, referrals on top.
  Json q = h.RunJson({"queue", "--sort", "probability", "--json"});
  size_t open = 0;
  for (const auto& s : h.specs) open += s.outcome == 0;
  ASSERT_EQ(q.size(), open);
  for (size_t i = 1; i < q.size(); ++i)
    EXPECT_GE(q[i - 1]["probability"].get<double>(), q[i]["probability"].get<double>());
  const int first = std::stoi(q[0]["id"].get<std::string>().substr(2));
  EXPECT_EQ(h.specs[static_cast<size_t>(first)].source, "referral");
  Json q5 = h.RunJson({"queue", "--sort", "probability", "--limit", "5", "--json"});
  ASSERT_EQ(q5.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(q5[i]["id"], q[i]["id"]);
  Json qr = h.RunJson({"queue", "--sort", "probability", "--json", "--refold"});
  EXPECT_EQ(qr, q) << "projections and refold agree";

  // Versions: a second model, then back to the first.
  ASSERT_EQ(h.Run({"model", "train", "--model", "trees"}).exit_code, 0);
  Json list = h.RunJson({"model", "list", "--json"});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_FALSE(list[0]["active"].get<bool>());
  EXPECT_TRUE(list[1]["active"].get<bool>());
  Json tr = h.RunJson({"show", "L-0010", "--json"});
  EXPECT_EQ(tr["prediction"]["model_version"], 2);
  EXPECT_EQ(tr["prediction"]["kind"], "trees");
  EXPECT_GT(tr["prediction"]["probability"].get<double>(), 0.5);
  ASSERT_FALSE(tr["prediction"]["factors"].empty());
  EXPECT_EQ(tr["prediction"]["factors"][0]["feature"], "lead_source");
  ASSERT_EQ(h.Run({"model", "activate", "1"}).exit_code, 0);
  EXPECT_EQ(h.RunJson({"show", "L-0010", "--json"})["prediction"]["model_version"], 1);
  EXPECT_EQ(h.Run({"model", "activate", "9"}).exit_code, 1);
}

TEST(ModelStore, SuggestProposesAPlaybookThatLoadsAndChangesNothing) {
  History h(SignalSpecs());
  RunResult r = h.Run({"model", "suggest", "--out", h.dir.File("proposed.yaml")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The strong pattern (referral) becomes a new fit rule in the diff.
  EXPECT_NE(r.out.find("source referral"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("+  - id: learned-source-referral"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--- playbook v1"), std::string::npos) << r.out;
  const std::string yaml = ReadFile(h.dir.File("proposed.yaml"));
  auto pb = LoadPlaybook(yaml, "proposed.yaml");
  ASSERT_TRUE(pb.ok()) << pb.status().message() << "\n" << yaml;
  bool found = false;
  for (const auto& f : (*pb)->fit)
    if (f.id == "learned-source-referral") {
      found = true;
      EXPECT_GT(f.points, 0);
    }
  EXPECT_TRUE(found);
  // Nothing applied by itself.
  EXPECT_EQ(h.engine->store().PlaybookCount().value(), 1);
  Json j = h.RunJson({"model", "suggest", "--json"});
  bool referral = false;
  for (const auto& p : j["patterns"])
    if (p["value"] == "referral") {
      referral = true;
      EXPECT_GT(p["low"].get<double>(), j["base_rate"].get<double>());
    }
  EXPECT_TRUE(referral);
  // And the proposal applies like any playbook.
  EXPECT_EQ(h.Run({"playbook", "apply", h.dir.File("proposed.yaml")}).exit_code, 0);
}

TEST(ModelStore, SuggestEditsPointsAndWritesValidYamlForRulesAndPages) {
  // In process, on a table with a strong rule and a strong page.
  TrainingTable t;
  for (int i = 0; i < 100; ++i) {
    t.data.y.push_back(i < 40 ? 1 : 0);
    std::vector<std::string> tok;
    // pricing-page (+10 points) on leads that convert below the base rate:
    // lowered; decision-maker (+25) on leads that all convert: kept.
    if (i < 3 || (i >= 40 && i < 75)) tok.push_back("rule\t\tpricing-page");
    if (i < 30) tok.push_back("rule\t\tdecision-maker");
    if (i < 25 || (i >= 40 && i < 43)) tok.push_back("page\turl\t/pricing/enterprise");
    if (i % 2) tok.push_back("title word\tjob_title\tanalyst");
    std::sort(tok.begin(), tok.end());
    t.tokens.push_back(tok);
  }
  const std::string yaml = ReadFile(std::string(LEADGATE_SOURCE_DIR) + "/playbooks/default.yaml");
  auto pb = LoadPlaybook(yaml, "default.yaml");
  ASSERT_TRUE(pb.ok());
  SuggestOptions o;
  auto r = Suggest(t, **pb, yaml, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto loaded = LoadPlaybook(r->proposed_yaml, "proposed");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message() << "\n" << r->proposed_yaml;
  double pricing = 0, dm = 0;
  for (const auto& g : (*loaded)->engagement)
    if (g.id == "pricing-page") pricing = g.points;
  for (const auto& f : (*loaded)->fit)
    if (f.id == "decision-maker") dm = f.points;
  bool seen_pricing = false, seen_dm = false;
  for (const auto& e : r->rules) {
    if (e.value == "pricing-page") {
      seen_pricing = true;
      EXPECT_EQ(e.verdict, "lower");
      ASSERT_TRUE(e.proposed_points.has_value());
      EXPECT_LT(*e.proposed_points, 0);
      EXPECT_EQ(pricing, *e.proposed_points) << e.verdict;
    }
    if (e.value == "decision-maker") {
      seen_dm = true;
      EXPECT_EQ(e.verdict.rfind("keep", 0), 0u) << e.verdict;
      EXPECT_EQ(dm, 25);
    }
  }
  EXPECT_TRUE(seen_pricing && seen_dm);
  // The page pattern becomes an engagement rule on page_view.
  bool page_rule = false;
  for (const auto& g : (*loaded)->engagement)
    if (g.id.rfind("learned-page", 0) == 0) page_rule = g.event == "page_view" && g.points > 0;
  EXPECT_TRUE(page_rule) << r->proposed_yaml;
  const std::string diff = UnifiedDiff(yaml, r->proposed_yaml, "a", "b");
  EXPECT_NE(diff.find("@@"), std::string::npos);
  ASSERT_NE(diff.find("\n-      points: 10"), std::string::npos) << diff;
  EXPECT_LT(diff.find("\n-      points: 10"), diff.find("\n+      points: -")) << "removals first";
  EXPECT_EQ(UnifiedDiff(yaml, yaml, "a", "b"), "");
  auto w = Wilson(30, 100);
  EXPECT_NEAR(w.first, 0.2189, 1e-3);
  EXPECT_NEAR(w.second, 0.3958, 1e-3);
}

TEST(ModelStore, DeterministicGivenTheSeed) {
  History h(SignalSpecs(140));
  RunResult a = h.Run({"model", "evaluate", "--from-store", "--json", "--seed", "3"});
  RunResult b = h.Run({"model", "evaluate", "--from-store", "--json", "--seed", "3"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  Json j = Json::parse(a.out);
  EXPECT_EQ(j["seed"], 3);
  EXPECT_TRUE(j.contains("auc_interval"));
  Json t1 = h.RunJson({"model", "train", "--json", "--model", "trees", "--seed", "3"});
  Json t2 = h.RunJson({"model", "train", "--json", "--model", "trees", "--seed", "3"});
  EXPECT_EQ(t1["metrics"], t2["metrics"]);
  EXPECT_EQ(h.RunJson({"model", "show", "1", "--json"})["weights"],
            h.RunJson({"model", "show", "2", "--json"})["weights"]);
}

TEST(ModelStore, SmallCompanyBeatsTheBaseRateAndSaysHowSure) {
  // 200 closed leads, 30 won: referral 20 of 50, other sources 10 of 150.
  std::vector<LeadSpec> v;
  for (size_t i = 0; i < 200; ++i) {
    LeadSpec l;
    const bool referral = i < 50;
    l.source = referral ? "referral" : (i % 2 ? "paid_search" : "webinar");
    l.industry = i % 3 ? "software" : "retail";
    l.outcome = (referral ? i < 20 : i < 60) ? 1 : -1;
    v.push_back(l);
  }
  History h(v);
  Json e = h.RunJson({"model", "evaluate", "--from-store", "--json"});
  EXPECT_EQ(e["rows"], 200);
  EXPECT_EQ(e["positives"], 30);
  const double rate = 0.15, base_ll = -(rate * std::log(rate) + (1 - rate) * std::log(1 - rate));
  EXPECT_LT(e["log_loss"].get<double>(), base_ll);
  EXPECT_GT(e["auc"].get<double>(), 0.65);
  EXPECT_GT(e["auc_interval"]["low"].get<double>(), 0.5);
  EXPECT_LT(e["auc_interval"]["high"].get<double>(), 1.0);
  EXPECT_GT(e["auc_interval"]["high"].get<double>() - e["auc_interval"]["low"].get<double>(), 0.05)
      << "30 wins cannot give a narrow interval";
  RunResult show = h.Run({"model", "train"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_NE(show.out.find("95 %"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("better than the base rate"), std::string::npos) << show.out;
}

TEST(ModelStore, HistoriesWithoutBothOutcomesAreClearErrors) {
  {
    std::vector<LeadSpec> open(20);
    for (auto& l : open) l.source = "web", l.industry = "x";
    History h(open);
    RunResult r = h.Run({"model", "train"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("no closed leads: need leads that won and leads that ended lost"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("20 still open"), std::string::npos) << r.err;
    RunResult s = h.Run({"model", "suggest"});
    EXPECT_EQ(s.exit_code, 1);
    RunResult sh = h.Run({"model", "show"});
    EXPECT_EQ(sh.exit_code, 1);
    EXPECT_NE(sh.err.find("no model yet"), std::string::npos);
  }
  {
    std::vector<LeadSpec> won(12);
    for (auto& l : won) l.source = "web", l.industry = "x", l.outcome = 1;
    History h(won);
    RunResult r = h.Run({"model", "evaluate", "--from-store"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("one class only"), std::string::npos) << r.err;
    RunResult bad = h.Run({"model", "train", "--label", "revenue"});
    EXPECT_EQ(bad.exit_code, 2);
  }
}

}  // namespace
}  // namespace leadgate::testing
