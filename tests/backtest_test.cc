// leadgate backtest: the replay reproduces the live state exactly (demo store;
// a store with two playbook versions and recorded actions), a candidate's
// replay equals the live state of a store that always had the candidate,
// flips, capacity search, the JSON contract, the page, and bad candidates.
#include "app/backtest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "app/engine.h"
#include "demo/generator.h"
#include "qa_support.h"

namespace leadgate::testing {
namespace {

const Micros kStart = 1772323200LL * kSecond;  // 2026-03-01T00:00:00Z (generator start)

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

// The live state of every lead, from the projections (what `show` reads).
std::map<std::string, LeadState> LiveStates(Engine& e, const ReplayLog& log) {
  std::map<std::string, LeadState> out;
  for (const ReplayLead& l : log.leads) {
    auto r = e.Show(l.id, log.last + kDay);
    EXPECT_TRUE(r.ok()) << l.id << ": " << r.status().message();
    if (r.ok()) out[l.id] = r->state;
  }
  return out;
}

std::map<std::string, LeadState> Replayed(const ReplayLog& log,
                                          const std::vector<PlaybookVersion>& versions) {
  std::vector<LeadState> v(log.leads.size());
  ReplayAll(log, versions, 2, [&](size_t i, const LeadState& s) { v[i] = s; });
  std::map<std::string, LeadState> out;
  for (auto& s : v) {
    if (s.exists) out[s.id] = std::move(s);
  }
  return out;
}

std::string HistoryText(const std::vector<HistoryEntry>& h) {
  std::string o;
  for (const auto& x : h) {
    o += FormatRfc3339(x.at) + " " + StageName(x.from) + "->" + StageName(x.to) + " by " + x.by +
         " reason=" + x.reason.value_or("-") + " rule=" + x.rule.value_or("-") +
         " exc=" + std::to_string(x.exception) + " v" + std::to_string(x.playbook_version) + "\n";
  }
  return o;
}

// Every lead's stage, scores, MQL times (history, clocks) and owner agree.
void ExpectSameStates(const std::map<std::string, LeadState>& live,
                      const std::map<std::string, LeadState>& replay) {
  ASSERT_EQ(live.size(), replay.size());
  for (const auto& [id, a] : live) {
    auto it = replay.find(id);
    ASSERT_NE(it, replay.end()) << id;
    const LeadState& b = it->second;
    EXPECT_EQ(StageName(a.stage), std::string(StageName(b.stage))) << id;
    EXPECT_EQ(a.playbook_version, b.playbook_version) << id;
    EXPECT_DOUBLE_EQ(a.fit, b.fit) << id;
    EXPECT_NEAR(a.engagement_sum_at_ref, b.engagement_sum_at_ref, 1e-9) << id;
    EXPECT_EQ(a.engagement_ref, b.engagement_ref) << id;
    EXPECT_EQ(HistoryText(a.history), HistoryText(b.history)) << id;
    ASSERT_EQ(a.clocks.size(), b.clocks.size()) << id;
    for (size_t i = 0; i < a.clocks.size(); ++i) {
      EXPECT_EQ(a.clocks[i].mql_at, b.clocks[i].mql_at) << id;
      EXPECT_EQ(a.clocks[i].due, b.clocks[i].due) << id;
      EXPECT_EQ(a.clocks[i].responded_at, b.clocks[i].responded_at) << id;
    }
    EXPECT_EQ(a.owner, b.owner) << id;
    EXPECT_EQ(a.bant_passes, b.bant_passes) << id;
    EXPECT_EQ(a.entered_stage_at, b.entered_stage_at) << id;
  }
}

std::shared_ptr<const Playbook> Load(const std::string& yaml) {
  auto pb = LoadPlaybook(yaml, "candidate.yaml");
  EXPECT_TRUE(pb.ok()) << pb.status().message();
  return *pb;
}

// A store made in-process: generated leads and events, two playbook versions
// (v2 from day 30 with a lower total minimum), and sales working MQLs:
// accept, qualify, promote, convert, then win or lose; some rejected.
struct History {
  TempDir dir;
  std::string db = dir.File("a.db");
  std::string events;  // JSONL
  std::vector<ActRequest> acts;
  std::unique_ptr<Engine> engine;

  static Status MakeStore(const std::string& db, const std::string& dir, const std::string& v1,
                          const std::string* v2, const std::string& events, Engine** out,
                          std::unique_ptr<Engine>* keep) {
    std::ofstream(dir + "/v1.yaml") << v1;
    if (Status s = Engine::Init(db, dir + "/v1.yaml"); !s.ok()) return s;
    auto e = Engine::Open(db);
    if (!e.ok()) return e.status();
    for (auto [name, role] : {std::pair{"ana", "rep"}, {"ben", "rep"}, {"maria", "manager"}}) {
      if (Status s = (*e)->AddUser(name, role); !s.ok()) return s;
    }
    std::istringstream in(events);
    IngestReport rep;
    if (Status s = (*e)->Ingest(in, "events.jsonl", 0, nullptr, nullptr, &rep); !s.ok()) return s;
    if (v2 != nullptr) {
      std::ofstream(dir + "/v2.yaml") << *v2;
      int64_t v = 0;
      if (Status s = (*e)->ApplyPlaybook(dir + "/v2.yaml", kStart + 30 * kDay, &v); !s.ok())
        return s;
    }
    *keep = std::move(*e);
    *out = keep->get();
    return Status::Ok();
  }

  explicit History(int64_t leads = 300, int64_t nevents = 6000) {
    demo::GenOptions g;
    g.leads = leads;
    g.events = nevents;
    g.seed = 7;
    std::ostringstream ev;
    demo::GenerateEvents(g, ev);
    events = ev.str();
    const std::string v2 = Replace(kTestPlaybook, "total: 75", "total: 65");
    Engine* e = nullptr;
    Status s = MakeStore(db, dir.path(), kTestPlaybook, &v2, events, &e, &engine);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok()) return;
    // Work the MQLs in time order of their MQL entry.
    ReplayLog log;
    EXPECT_TRUE(LoadReplayLog(e->store(), &log).ok());
    auto live = LiveStates(*e, log);
    int n = 0;
    for (const auto& [id, st] : live) {
      std::optional<Micros> mql;
      for (const auto& h : st.history) {
        if (h.to == Stage::kMql) {
          mql = h.at;
          break;
        }
      }
      if (!mql) continue;
      ++n;
      ActRequest a;
      a.lead = id;
      a.by = n % 2 ? "ana" : "ben";
      a.at = *mql + 10 * kMinute;
      if (n % 5 == 0) {
        a.action = "reject";
        a.reason = "no budget";
        acts.push_back(a);
        continue;
      }
      a.action = "accept";
      acts.push_back(a);
      ActRequest q = a;
      q.action = "qualify";
      q.at = *mql + kHour;
      q.budget = "confirmed";
      q.authority = "decision_maker";
      q.need = "spreadsheets";
      q.timeline = FormatDate(*mql + 30 * kDay);
      acts.push_back(q);
      ActRequest p = a;
      p.action = "promote";
      p.at = *mql + 2 * kHour;
      acts.push_back(p);
      ActRequest c = a;
      c.action = "convert";
      c.at = *mql + kDay;
      acts.push_back(c);
      ActRequest w = a;
      w.at = *mql + 10 * kDay;
      if (n % 3 == 0) {
        w.action = "lose";
        w.reason = "went with a competitor";
      } else {
        w.action = "win";
      }
      acts.push_back(w);
    }
    // A manager's override of a lead that never became an MQL.
    for (const auto& [id, st] : live) {
      if (st.history.empty()) {
        ActRequest o;
        o.lead = id;
        o.by = "maria";
        o.action = "override";
        o.reason = "met at a trade show";
        o.at = st.last_at + kHour;
        acts.push_back(o);
        break;
      }
    }
    // A few are refused (the lead moved on in between): they are not recorded.
    size_t ok = 0;
    for (const ActRequest& a : acts) ok += e->Act(a).ok();
    EXPECT_GT(ok, acts.size() * 3 / 4);
  }
};

TEST(Backtest, ReplayOfTheLivePlaybookReproducesTheDemoStore) {
  TempDir dir;
  RunResult d = RunLeadgate(
      {"demo", "--dir", dir.File("demo"), "--leads", "150", "--events", "3000"}, dir.path());
  ASSERT_EQ(d.exit_code, 0) << d.err;
  auto e = Engine::Open(dir.File("demo/leadgate.db"));
  ASSERT_TRUE(e.ok());
  ReplayLog log;
  ASSERT_TRUE(LoadReplayLog((*e)->store(), &log).ok());
  EXPECT_EQ(log.leads.size(), 150u);
  EXPECT_GT(log.events, 3000);
  EXPECT_GT(log.actions, 0);  // the demo accepts and promotes a few MQLs
  ExpectSameStates(LiveStates(**e, log), Replayed(log, (*e)->versions()));
  // Loaded over two connections (what the command does: each part encoded
  // apart, then merged into one dictionary), the replay is the same.
  ReplayLog two;
  ASSERT_TRUE(LoadReplayLog(dir.File("demo/leadgate.db"), 2, &two).ok());
  ASSERT_EQ(two.leads.size(), log.leads.size());
  EXPECT_EQ(two.events, log.events);
  EXPECT_EQ(two.encoded.props.size(), log.encoded.props.size());
  EXPECT_EQ(two.encoded.names.size(), log.encoded.names.size());
  ExpectSameStates(LiveStates(**e, two), Replayed(two, (*e)->versions()));
}

TEST(Backtest, ReplayReproducesVersionsAndRecordedActions) {
  History h;
  ASSERT_TRUE(h.engine);
  ASSERT_EQ(h.engine->versions().size(), 2u);
  ReplayLog log;
  ASSERT_TRUE(LoadReplayLog(h.engine->store(), &log).ok());
  EXPECT_GT(log.actions, 20);
  auto live = LiveStates(*h.engine, log);
  ExpectSameStates(live, Replayed(log, h.engine->versions()));
  // The store has what the comparison needs: wins, losses, both versions at work.
  int won = 0, lost = 0, v2 = 0;
  for (const auto& [id, s] : live) {
    won += s.stage == Stage::kWon;
    lost += s.stage == Stage::kLost;
    for (const auto& x : s.history) v2 += x.playbook_version == 2 && x.to == Stage::kMql;
  }
  EXPECT_GT(won, 3);
  EXPECT_GT(lost, 1);
  EXPECT_GT(v2, 0);

  // Backtesting the stored playbook applied at the time of v2 changes nothing.
  BacktestOptions at_v2;
  at_v2.applied_at = h.engine->versions()[1].applied_at;
  auto same = RunBacktest(log, h.engine->versions(), h.engine->versions()[1].playbook, at_v2);
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_TRUE(same->flips.empty());
  EXPECT_EQ(same->current.mql, same->candidate.mql);
  EXPECT_EQ(same->current.weekly, same->candidate.weekly);
  EXPECT_EQ(same->candidate.skipped_actions, same->current.skipped_actions);
  EXPECT_EQ(same->won_changes["same"] + same->won_changes["neither"], same->won);
  // The candidate's versions are the current ones: the log is classified
  // once per current version, not again for the candidate.
  EXPECT_EQ(same->classifications, 2);
}

// The candidate replayed over the recorded history equals the live state of
// a store that had the candidate from the beginning and got the same events
// and the same actions (an action the candidate's state refuses is refused
// there and skipped in the replay).
TEST(Backtest, LowerMinimumGivesMoreMqlsAndExactlyTheFlippedLeads) {
  History h;
  ASSERT_TRUE(h.engine);
  const std::string cand_yaml = LowBarPlaybook();
  Engine* b = nullptr;
  std::unique_ptr<Engine> keep;
  TempDir bdir;
  Status s =
      History::MakeStore(bdir.File("b.db"), bdir.path(), cand_yaml, nullptr, h.events, &b, &keep);
  ASSERT_TRUE(s.ok()) << s.message();
  int refused = 0;
  for (const ActRequest& a : h.acts) refused += !b->Act(a).ok();

  ReplayLog log;
  ASSERT_TRUE(LoadReplayLog(h.engine->store(), &log).ok());
  auto cand = Load(cand_yaml);
  auto r = RunBacktest(log, h.engine->versions(), cand, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->semantics, "replace");
  // The candidate differs from version 1 only in its name and MQL minimums:
  // it reuses that version's classification (two in all, not three).
  EXPECT_EQ(r->classifications, 2);

  // The replay under the candidate is the live state of store B.
  ReplayLog blog;
  ASSERT_TRUE(LoadReplayLog(b->store(), &blog).ok());
  std::vector<PlaybookVersion> only = {
      {static_cast<int64_t>(h.engine->versions().size()) + 1, 0, cand}};
  auto replay_b = Replayed(log, only);
  auto live_b = LiveStates(*b, blog);
  for (auto& [id, st] : replay_b) {
    // Versions are numbered differently (B has the candidate as version 1).
    st.playbook_version = 1;
    for (auto& x : st.history) x.playbook_version = 1;
  }
  ExpectSameStates(live_b, replay_b);
  EXPECT_EQ(r->candidate.skipped_actions - r->current.skipped_actions, refused);

  // More MQLs, and the flips are exactly the leads MQL in B and not in A.
  auto live_a = LiveStates(*h.engine, log);
  auto mql_at = [](const LeadState& st) -> std::optional<Micros> {
    for (const auto& x : st.history) {
      if (x.to == Stage::kMql) return x.at;
    }
    return std::nullopt;
  };
  std::set<std::string> expect_to, expect_from;
  int64_t mql_a = 0, mql_b = 0;
  for (const auto& [id, st] : live_a) {
    auto a = mql_at(st);
    auto bb = mql_at(live_b.at(id));
    mql_a += a.has_value();
    mql_b += bb.has_value();
    if (!a && bb) expect_to.insert(id);
    if (a && !bb) expect_from.insert(id);
  }
  EXPECT_EQ(r->current.mql, mql_a);
  EXPECT_EQ(r->candidate.mql, mql_b);
  EXPECT_GT(r->candidate.mql, r->current.mql);
  std::set<std::string> got_to, got_from;
  for (const Flip& f : r->flips) {
    (f.candidate_mql_at ? got_to : got_from).insert(f.id);
    if (f.candidate_mql_at) {
      EXPECT_EQ(*f.candidate_mql_at, *mql_at(live_b.at(f.id))) << f.id;
      EXPECT_FALSE(f.current_mql_at) << f.id;
    }
  }
  EXPECT_FALSE(got_to.empty());
  EXPECT_EQ(got_to, expect_to);
  EXPECT_EQ(got_from, expect_from);
  EXPECT_EQ(r->flips_to_mql, static_cast<int64_t>(expect_to.size()));
  // Won leads were all MQLs under the current playbook and stay MQLs, no
  // later, under the lower bar.
  EXPECT_GT(r->won, 0);
  EXPECT_EQ(r->won_changes["never"], 0);
  EXPECT_EQ(r->won_changes["later"], 0);
  EXPECT_EQ(r->current.recall, 1.0);
  ASSERT_TRUE(r->current.precision && r->candidate.precision);
  EXPECT_GT(*r->current.precision, 0);
  EXPECT_LE(*r->candidate.precision, *r->current.precision);  // more MQLs, same wins

  // Per-rule stats: the demo-request rule fired under both, the same way
  // (engagement rules are the same in both playbooks).
  auto rule = [](const SideStats& st, const std::string& id) {
    for (const auto& x : st.rules) {
      if (x.id == id) return x;
    }
    ADD_FAILURE() << id;
    return RuleStat{};
  };
  EXPECT_GT(rule(r->current, "pricing-page").count, 0);
  EXPECT_EQ(rule(r->current, "pricing-page").count, rule(r->candidate, "pricing-page").count);
  EXPECT_GT(rule(r->current, "decision-maker").count, 0);
  // The stats (summed from the lean folds' rule indices) are the full
  // states' explanation lines summed per rule, for every lead of the cohort.
  {
    std::map<std::pair<std::string, std::string>, std::pair<int64_t, double>> want;
    std::mutex mu;
    ReplayAll(
        log, h.engine->versions(), 1,
        [&](size_t, const LeadState& s) {
          if (!s.exists) return;
          std::lock_guard<std::mutex> lock(mu);
          for (const ExplanationLine& l : s.explanation) {
            if (l.kind != "fit" && l.kind != "engagement") continue;
            auto& w = want[{l.kind, l.rule}];
            w.first += l.count;
            w.second += l.points;
          }
        },
        /*lean=*/false);
    ASSERT_FALSE(want.empty());
    size_t matched = 0;
    for (const RuleStat& x : r->current.rules) {
      if (x.kind != "fit" && x.kind != "engagement") continue;
      auto it = want.find({x.kind, x.id});
      ASSERT_NE(it, want.end()) << x.kind << " " << x.id;
      EXPECT_EQ(x.count, it->second.first) << x.id;
      EXPECT_NEAR(x.points, it->second.second, 1e-9 * (1 + std::abs(it->second.second))) << x.id;
      ++matched;
    }
    EXPECT_EQ(matched, want.size());
  }

  // A window: only MQL entries inside it count.
  BacktestOptions w;
  w.from = kStart + 20 * kDay;
  w.to = kStart + 40 * kDay;
  auto rw = RunBacktest(log, h.engine->versions(), cand, w);
  ASSERT_TRUE(rw.ok());
  int64_t in_window = 0;
  for (const auto& [id, st] : live_a) {
    bool any = false;
    for (const auto& x : st.history) any |= x.to == Stage::kMql && x.at >= *w.from && x.at < *w.to;
    in_window += any;
  }
  EXPECT_EQ(rw->current.mql, in_window);
  EXPECT_LT(rw->current.mql, r->current.mql);
  EXPECT_EQ(rw->week_labels.size(), 4u);  // 2026-03-21 (Sat) .. 2026-04-10 (Fri)
}

TEST(Backtest, CapacitySearchHitsTheTargetVolume) {
  History h(600, 12000);
  ASSERT_TRUE(h.engine);
  ReplayLog log;
  ASSERT_TRUE(LoadReplayLog(h.engine->store(), &log).ok());
  auto cand = Load(kTestPlaybook);
  auto base = RunBacktest(log, h.engine->versions(), cand, {});
  ASSERT_TRUE(base.ok());
  ASSERT_GT(base->candidate.mql_per_week, 4);
  for (double target : {base->candidate.mql_per_week * 0.5, base->candidate.mql_per_week * 1.5}) {
    BacktestOptions o;
    o.capacity = target;
    auto r = RunBacktest(log, h.engine->versions(), cand, o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_TRUE(r->capacity);
    const CapacityResult& c = *r->capacity;
    EXPECT_NEAR(c.best.mql_per_week, target, 0.1 * target) << target;
    EXPECT_GE(c.curve.size(), 10u);
    // Higher minimums, fewer MQLs, lower recall (the curve is monotone here).
    for (size_t i = 1; i < c.curve.size(); ++i) {
      EXPECT_LE(c.curve[i - 1].scale, c.curve[i].scale);
      EXPECT_GE(c.curve[i - 1].mql_per_week, c.curve[i].mql_per_week);
    }
    ASSERT_TRUE(c.best.total && c.best.fit && c.best.engagement);
    EXPECT_NEAR(*c.best.fit, 25 * c.best.scale, 1e-9);
    EXPECT_NEAR(*c.best.engagement, 40 * c.best.scale, 1e-9);
    if (c.best.axis == "scale") {
      EXPECT_NEAR(*c.best.total, 75 * c.best.scale, 1e-9);
    } else {
      EXPECT_EQ(c.best.axis, "total");
      EXPECT_GE(*c.best.total, 75 * c.best.scale);
    }
    EXPECT_TRUE(c.best.recall.has_value());
    // The point found is the candidate with those minimums.
    auto pb = std::make_shared<Playbook>(*cand);
    pb->mql.fit = c.best.fit;
    pb->mql.engagement = c.best.engagement;
    pb->mql.total = c.best.total;
    auto check = RunBacktest(log, h.engine->versions(), pb, {});
    ASSERT_TRUE(check.ok());
    EXPECT_EQ(check->candidate.mql, c.best.mql);
    EXPECT_EQ(check->candidate.recall, c.best.recall);
    // Every point of the curve is what a full replay with its minimums gives
    // (the search refolds only leads a looser variant made MQLs).
    for (const CapacityPoint& p : c.curve) {
      auto v = std::make_shared<Playbook>(*cand);
      v->mql.fit = p.fit;
      v->mql.engagement = p.engagement;
      v->mql.total = p.total;
      auto full = RunBacktest(log, h.engine->versions(), v, {});
      ASSERT_TRUE(full.ok());
      EXPECT_EQ(full->candidate.mql, p.mql) << p.scale;
      EXPECT_DOUBLE_EQ(full->candidate.mql_per_week, p.mql_per_week) << p.scale;
      EXPECT_EQ(full->candidate.recall, p.recall) << p.scale;
      EXPECT_EQ(full->candidate.precision, p.precision) << p.scale;
    }
  }
  // Higher volume, higher recall of won leads.
  BacktestOptions lo, hi;
  lo.capacity = base->candidate.mql_per_week * 0.5;
  hi.capacity = base->candidate.mql_per_week * 1.5;
  auto rl = RunBacktest(log, h.engine->versions(), cand, lo);
  auto rh = RunBacktest(log, h.engine->versions(), cand, hi);
  ASSERT_TRUE(rl.ok() && rh.ok());
  EXPECT_LE(*rl->capacity->best.recall, *rh->capacity->best.recall);
}

TEST(Backtest, CommandJsonContractLeavesTheStoreAloneAndWritesThePage) {
  TempDir dir;
  RunResult d = RunLeadgate(
      {"demo", "--dir", dir.File("demo"), "--leads", "150", "--events", "3000"}, dir.path());
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const std::string db = dir.File("demo/leadgate.db");
  dir.Write("cand.yaml", LowBarPlaybook());
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> full = {"--db", db};
    full.insert(full.end(), args.begin(), args.end());
    return RunLeadgate(full, dir.path());
  };
  RunResult q0 = run({"queue", "--json", "--at", "2026-05-01T00:00:00Z"});
  RunResult l0 = run({"playbook", "list"});
  RunResult r = run({"backtest", dir.File("cand.yaml"), "--json", "--html", dir.File("bt.html"),
                     "--capacity", "20/week"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_TRUE(j["current"]["mql"].is_number_integer());
  ASSERT_TRUE(j["candidate"]["mql"].is_number_integer());
  EXPECT_GT(j["candidate"]["mql"].get<int64_t>(), j["current"]["mql"].get<int64_t>());
  ASSERT_TRUE(j["flips"].is_array());
  ASSERT_FALSE(j["flips"].empty());
  for (const auto& f : j["flips"]) {
    ASSERT_TRUE(f.contains("id") && f.contains("current_mql_at") && f.contains("candidate_mql_at"))
        << f.dump();
    EXPECT_TRUE(f["current_mql_at"].is_null() != f["candidate_mql_at"].is_null()) << f.dump();
  }
  EXPECT_EQ(j["flips"].size(), static_cast<size_t>(j["flip_counts"]["candidate_only"].get<int>() +
                                                   j["flip_counts"]["current_only"].get<int>()));
  for (const char* k :
       {"mql_per_week", "weekly", "precision", "recall", "rules", "skipped_actions"}) {
    EXPECT_TRUE(j["current"].contains(k)) << k;
    EXPECT_TRUE(j["candidate"].contains(k)) << k;
  }
  EXPECT_TRUE(j["won_leads"]["counts"].contains("earlier"));
  EXPECT_TRUE(j["capacity"]["best"]["recall"].is_number() ||
              j["capacity"]["best"]["recall"].is_null());
  EXPECT_TRUE(j["capacity"]["curve"].is_array());
  // Nothing stored changed.
  EXPECT_EQ(run({"queue", "--json", "--at", "2026-05-01T00:00:00Z"}).out, q0.out);
  EXPECT_EQ(run({"playbook", "list"}).out, l0.out);
  // The page: self-contained, with both weekly series and the capacity curve.
  std::string html = ReadFile(dir.File("bt.html"));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Capacity curve"), std::string::npos);
  EXPECT_NE(html.find("candidate"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  // Tables for people.
  RunResult t =
      run({"backtest", dir.File("cand.yaml"), "--from", "2026-03-10", "--to", "2026-04-10"});
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_NE(t.out.find("MQLs per ISO week"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("2026-W11"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("Flips:"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("precision"), std::string::npos) << t.out;
}

TEST(Backtest, BadCandidateFileGivesTheLoaderErrorsAndTheCheckExitCode) {
  TempDir dir;
  RunResult d = RunLeadgate({"demo", "--dir", dir.File("demo"), "--leads", "20", "--events", "200"},
                            dir.path());
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const std::string db = dir.File("demo/leadgate.db");
  dir.Write("bad.yaml", Replace(kTestPlaybook, "points: 25", "points: lots"));
  RunResult check = RunLeadgate({"playbook", "check", dir.File("bad.yaml")}, dir.path());
  RunResult r = RunLeadgate({"--db", db, "backtest", dir.File("bad.yaml")}, dir.path());
  EXPECT_EQ(r.exit_code, check.exit_code);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, check.err);
  EXPECT_NE(r.err.find("bad.yaml:"), std::string::npos) << r.err;
  // file:line:column of the bad value
  EXPECT_NE(r.err.find("bad.yaml:17:"), std::string::npos) << r.err;
  RunResult missing = RunLeadgate({"--db", db, "backtest", dir.File("nope.yaml")}, dir.path());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.yaml"), std::string::npos);
  dir.Write("good.yaml", kTestPlaybook);
  RunResult cap = RunLeadgate({"--db", db, "backtest", dir.File("good.yaml"), "--capacity", "lots"},
                              dir.path());
  EXPECT_EQ(cap.exit_code, 2);
  EXPECT_NE(cap.err.find("--capacity 'lots'"), std::string::npos) << cap.err;
  RunResult win = RunLeadgate(
      {"--db", db, "backtest", dir.File("good.yaml"), "--from", "2026-04-01", "--to", "2026-03-01"},
      dir.path());
  EXPECT_EQ(win.exit_code, 2);
  EXPECT_NE(win.err.find("window is empty"), std::string::npos) << win.err;
}

}  // namespace
}  // namespace leadgate::testing
