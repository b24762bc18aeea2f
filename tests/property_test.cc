// Property tests with a seeded PRNG over ~40 random leads, their events and
// the actions people take:
//  (a) the order and chunking in which events arrive does not change any
//      answer (show --json for every lead, queue, sla);
//  (b) a store fed by many small ingests interleaved with actions and a
//      playbook change answers the same after `rebuild`, and its queue (from
//      the projections) agrees with the dossiers (refolded from the log);
//  (c) the fold applied directly (the library) gives exactly the CLI's
//      show --json.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "app/engine.h"
#include "app/render.h"
#include "common/time.h"
#include "fold/fold.h"
#include "ingest/jsonl.h"
#include "playbook/playbook.h"
#include "qa_support.h"

namespace leadgate::testing {
namespace {

using OJson = nlohmann::ordered_json;

constexpr int kLeads = 40;
const Micros kStart = 1772323200LL * kSecond;  // 2026-03-01T00:00:00Z
const Micros kSpan = 40 * kDay;

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  uint64_t Below(uint64_t n) { return g_() % n; }
  bool Chance(int percent) { return Below(100) < static_cast<uint64_t>(percent); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Below(v.size())];
  }
  std::mt19937_64& engine() { return g_; }

 private:
  std::mt19937_64 g_;
};

// RFC 3339 in a random but equivalent spelling: Z or an offset, with or
// without fractional seconds (kept when the time has them).
std::string SpellTime(Micros t, Rng& rng) {
  static const std::vector<std::pair<int, std::string>> kOffsets = {
      {0, "Z"}, {0, "+00:00"}, {120, "+02:00"}, {-300, "-05:00"}, {330, "+05:30"}};
  const auto& [minutes, suffix] = rng.Pick(kOffsets);
  std::string s = FormatRfc3339(t + minutes * kMinute);
  s.pop_back();  // 'Z'
  return s + suffix;
}

std::string Id(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "P-%02d", i);
  return buf;
}

struct GenEvent {
  Micros ts;
  std::string line;
};

// Random events for kLeads leads: identifies (sometimes removing a trait,
// sometimes with a number as text or a bad number), page views, form
// submissions, replies, webinars, BANT forms, the odd unsubscribe or bounce;
// same-timestamp ties; about one in six without a messageId.
std::vector<GenEvent> GenerateEvents(Rng& rng) {
  static const std::vector<std::string> kTitles = {
      "VP Sales", "Director of IT", "Engineer", "Student",
      "CEO",      "Head of Ops",    "Intern",   "Manager"};
  static const std::vector<std::string> kIndustries = {"software", "finance", "retail",
                                                       "healthcare"};
  static const std::vector<std::string> kCountries = {"US", "GB", "FR", "DE"};
  static const std::vector<std::string> kUrls = {"/pricing", "/docs/start", "/careers", "/blog",
                                                 "/pricing?plan=pro"};
  std::vector<GenEvent> out;
  int mid = 0;
  for (int i = 0; i < kLeads; ++i) {
    const std::string lead = Id(i);
    Micros t = kStart + static_cast<Micros>(rng.Below(static_cast<uint64_t>(kSpan / 2)));
    t -= t % kSecond;
    auto emit = [&](OJson ev, Micros ts) {
      ev["userId"] = lead;
      ev["timestamp"] = SpellTime(ts, rng);
      if (!rng.Chance(16)) ev["messageId"] = "m-" + std::to_string(++mid);
      out.push_back({ts, ev.dump()});
    };
    auto identify = [&](Micros ts) {
      OJson traits = OJson::object();
      if (rng.Chance(80)) traits["job_title"] = rng.Pick(kTitles);
      if (rng.Chance(60)) traits["industry"] = rng.Pick(kIndustries);
      if (rng.Chance(60)) {
        switch (rng.Below(4)) {
          case 0:
            traits["company_size"] = "120";
            break;
          case 1:
            traits["company_size"] = "about 50";
            break;
          default:
            traits["company_size"] = static_cast<int>(rng.Below(8000));
        }
      }
      if (rng.Chance(50)) traits["country"] = rng.Pick(kCountries);
      if (rng.Chance(40)) traits["phone"] = rng.Chance(25) ? OJson(nullptr) : OJson("+1 555 0100");
      if (rng.Chance(8)) traits["email"] = "x@rivalcorp.com";
      if (rng.Chance(8)) traits["email"] = "someone@uni.edu";
      emit({{"type", "identify"}, {"traits", traits}}, ts);
    };
    identify(t);
    int activities = static_cast<int>(rng.Below(14));
    for (int k = 0; k < activities; ++k) {
      if (!rng.Chance(15)) t += static_cast<Micros>(rng.Below(3 * 86400)) * kSecond;
      int kind = static_cast<int>(rng.Below(100));
      if (kind < 30) {
        emit({{"type", "page"},
              {"name", "Page"},
              {"properties", {{"url", "https://acme.io" + rng.Pick(kUrls)}}}},
             t);
      } else if (kind < 50) {
        static const std::vector<std::string> kForms = {"demo", "contact", "newsletter"};
        emit({{"type", "track"},
              {"event", "form_submitted"},
              {"properties", {{"form", rng.Pick(kForms)}}}},
             t);
      } else if (kind < 62) {
        emit({{"type", "track"}, {"event", "email_replied"}}, t);
      } else if (kind < 75) {
        emit({{"type", "track"}, {"event", "webinar_attended"}, {"properties", {{"w", k}}}}, t);
      } else if (kind < 82) {
        bool pass = rng.Chance(60);
        emit({{"type", "track"},
              {"event", "bant_form_submitted"},
              {"properties",
               {{"budget", pass ? "confirmed" : "none"},
                {"authority", rng.Chance(80) ? "decision_maker" : "influencer"},
                {"need", "reporting"},
                {"timeline", FormatDate(t + static_cast<Micros>(rng.Below(120)) * kDay)}}}},
             t);
      } else if (kind < 85) {
        emit({{"type", "track"}, {"event", "unsubscribed"}}, t);
      } else if (kind < 88) {
        emit({{"type", "track"},
              {"event", "email_bounced"},
              {"properties", {{"bounce", rng.Chance(50) ? "hard" : "soft"}}}},
             t);
      } else if (kind < 95) {
        identify(t);
      } else {
        emit({{"type", "group"}, {"groupId", "g"}, {"traits", {{"industry", "software"}}}}, t);
      }
    }
  }
  return out;
}

std::string Join(const std::vector<GenEvent>& evs) {
  std::string s;
  for (const auto& e : evs) s += e.line + "\n";
  return s;
}

struct ActSpec {
  std::string lead, action, by;
  Micros at;
  std::vector<std::string> extra;
};

// A random action with plausible arguments (many are refused: that is part
// of the test).
ActSpec RandomAct(Rng& rng, Micros at) {
  static const std::vector<std::string> kActions = {
      "accept",  "accept", "reject", "qualify",    "qualify", "promote", "override",
      "convert", "win",    "lose",   "disqualify", "reopen",  "touch",   "touch"};
  static const std::vector<std::string> kUsers = {"rita", "rita", "max", "mia", "ada"};
  ActSpec a;
  a.lead = Id(static_cast<int>(rng.Below(kLeads)));
  a.action = rng.Pick(kActions);
  a.by = rng.Pick(kUsers);
  a.at = at;
  if (a.action == "reject" || a.action == "override" || a.action == "lose" ||
      a.action == "disqualify" || a.action == "reopen") {
    if (!rng.Chance(10))
      a.extra = {"--reason", std::string(1, static_cast<char>('a' + rng.Below(5)))};
  } else if (a.action == "touch") {
    static const std::vector<std::string> kChannels = {"call", "email", "meeting"};
    a.extra = {"--channel", rng.Pick(kChannels)};
  } else if (a.action == "qualify") {
    a.extra = {"--budget",    rng.Chance(70) ? "confirmed" : "unconfirmed",
               "--authority", rng.Chance(70) ? "decision_maker" : "researcher",
               "--need",      "audit",
               "--timeline",  FormatDate(at + static_cast<Micros>(rng.Below(150)) * kDay)};
  }
  return a;
}

std::vector<std::string> ActArgs(const ActSpec& a) {
  std::vector<std::string> args = {"act", a.lead, a.action,           "--by",
                                   a.by,  "--at", FormatRfc3339(a.at)};
  args.insert(args.end(), a.extra.begin(), a.extra.end());
  return args;
}

void AddUsers(const Lg& lg) {
  lg.AddUser("rita", "rep");
  lg.AddUser("max", "manager");
  lg.AddUser("mia", "marketing");
  lg.AddUser("ada", "admin");
}

// Every lead's show --json at `at` (null for leads that do not exist then).
std::map<std::string, Json> ShowAll(const Lg& lg, const std::string& at) {
  std::map<std::string, Json> out;
  for (int i = 0; i < kLeads; ++i) {
    RunResult r = lg.Run({"show", Id(i), "--json", "--at", at});
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
    out[Id(i)] = r.exit_code == 0 ? Json::parse(r.out, nullptr, false) : Json();
  }
  return out;
}

void ExpectSameShows(const std::map<std::string, Json>& got,
                     const std::map<std::string, Json>& want, const std::string& what) {
  for (const auto& [id, w] : want) {
    auto it = got.find(id);
    ASSERT_NE(it, got.end());
    EXPECT_EQ(it->second, w) << what << ": " << id << " differs";
  }
}

const std::string kMidT = "2026-03-20T12:00:00Z";
const std::string kEndT = "2026-05-01T00:00:00Z";  // after every event and action

// (a) Arrival order and chunking do not matter.
TEST(Property, ArrivalOrderDoesNotMatter) {
  Rng rng(20260301);
  std::vector<GenEvent> events = GenerateEvents(rng);
  ASSERT_GT(events.size(), 100u);

  Lg a, b, c;
  for (const Lg* lg : {&a, &b, &c}) AddUsers(*lg);
  // A: one file, in generation order.
  ASSERT_EQ(a.Ingest("all.jsonl", Join(events)).exit_code, 0);
  // B: reversed, with a fifth of the lines re-sent, in 5 chunks on stdin.
  std::vector<GenEvent> rev(events.rbegin(), events.rend());
  for (size_t i = 0; i < events.size(); i += 5) rev.push_back(events[i]);
  for (size_t k = 0; k < 5; ++k) {
    std::vector<GenEvent> chunk(rev.begin() + static_cast<long>(rev.size() * k / 5),
                                rev.begin() + static_cast<long>(rev.size() * (k + 1) / 5));
    RunResult r = b.Run({"ingest", "-"}, Join(chunk));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // C: shuffled, 7 files, then the first file again.
  std::vector<GenEvent> shuf = events;
  std::shuffle(shuf.begin(), shuf.end(), rng.engine());
  for (size_t k = 0; k < 7; ++k) {
    std::vector<GenEvent> chunk(shuf.begin() + static_cast<long>(shuf.size() * k / 7),
                                shuf.begin() + static_cast<long>(shuf.size() * (k + 1) / 7));
    std::string name = "c";
    name += std::to_string(k);
    name += ".jsonl";
    ASSERT_EQ(c.Ingest(name, Join(chunk)).exit_code, 0);
  }
  ASSERT_EQ(c.Run({"ingest", "c0.jsonl"}).exit_code, 0);

  for (const std::string& at : {kMidT, kEndT}) {
    Json q = a.Queue(at);
    EXPECT_EQ(b.Queue(at), q) << "queue at " << at;
    EXPECT_EQ(c.Queue(at), q) << "queue at " << at;
    Json s = a.Sla(at);
    EXPECT_EQ(b.Sla(at), s);
    EXPECT_EQ(c.Sla(at), s);
  }
  // Dossiers as of a time in the middle (B's queue and SLA above; its
  // dossiers are compared at the end).
  std::map<std::string, Json> mid = ShowAll(a, kMidT);
  ExpectSameShows(ShowAll(c, kMidT), mid, "C at mid");

  // The same actions, taken after every event, are accepted or refused alike.
  Micros t = kStart + kSpan + 5 * kDay;
  for (int i = 0; i < 30; ++i) {
    ActSpec act = RandomAct(rng, t + i * 7 * kMinute);
    std::vector<std::string> args = ActArgs(act);
    int ea = a.Run(args).exit_code;
    EXPECT_TRUE(ea == 0 || ea == 1) << Lg::Describe(args);
    EXPECT_EQ(b.Run(args).exit_code, ea) << Lg::Describe(args);
    EXPECT_EQ(c.Run(args).exit_code, ea) << Lg::Describe(args);
  }
  std::map<std::string, Json> end = ShowAll(a, kEndT);
  ExpectSameShows(ShowAll(b, kEndT), end, "B at end");
  ExpectSameShows(ShowAll(c, kEndT), end, "C at end");
  EXPECT_EQ(b.Queue(kEndT), a.Queue(kEndT));
  EXPECT_EQ(c.Queue(kEndT), a.Queue(kEndT));
  EXPECT_EQ(c.Sla(kEndT), a.Sla(kEndT));
}

// (b) + (c): incremental == rebuild == the fold applied directly.
class PropertyTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(PropertyTest, IncrementalEqualsRebuildEqualsLibraryFold) {
  Rng rng(GetParam() * 7919 + 1);
  std::vector<GenEvent> events = GenerateEvents(rng);
  std::stable_sort(events.begin(), events.end(),
                   [](const GenEvent& x, const GenEvent& y) { return x.ts < y.ts; });
  // About one event in ten arrives late, in a later chunk.
  const size_t kChunks = 12;
  std::vector<std::vector<GenEvent>> chunks(kChunks);
  for (size_t i = 0; i < events.size(); ++i) {
    size_t k = i * kChunks / events.size();
    if (rng.Chance(10)) k = std::min(kChunks - 1, k + 1 + rng.Below(3));
    chunks[k].push_back(events[i]);
  }

  Lg lg;
  AddUsers(lg);
  lg.Write("low.yaml", LowBarPlaybook());
  const std::map<std::string, Role> roles = {{"rita", Role::kRep},
                                             {"max", Role::kManager},
                                             {"mia", Role::kMarketing},
                                             {"ada", Role::kAdmin}};
  std::vector<Action> accepted;  // what the store recorded, in order
  std::optional<Micros> applied_at;
  int refused = 0;
  for (size_t k = 0; k < kChunks; ++k) {
    ASSERT_EQ(lg.Ingest("chunk" + std::to_string(k) + ".jsonl", Join(chunks[k])).exit_code, 0);
    Micros now = kStart;
    for (size_t j = 0; j <= k; ++j) {
      for (const auto& e : chunks[j]) now = std::max(now, e.ts);
    }
    if (k == kChunks / 2) {
      applied_at = now + kMinute;
      ASSERT_EQ(
          lg.Run({"playbook", "apply", "low.yaml", "--at", FormatRfc3339(*applied_at)}).exit_code,
          0);
    }
    for (int i = 0; i < 8; ++i) {
      ActSpec act = RandomAct(rng, now + (2 + i) * kMinute + static_cast<Micros>(i) * kSecond);
      RunResult r = lg.Run(ActArgs(act));
      ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << Lg::Describe(ActArgs(act)) << r.err;
      if (r.exit_code != 0) {
        ++refused;
        continue;
      }
      Action a;
      a.seq = static_cast<int64_t>(accepted.size()) + 1;
      a.lead_id = act.lead;
      a.kind = *ParseAction(act.action);
      a.by = act.by;
      a.role = roles.at(act.by);
      a.ts = act.at;
      for (size_t x = 0; x + 1 < act.extra.size(); x += 2) {
        const std::string& key = act.extra[x];
        const std::string& val = act.extra[x + 1];
        if (key == "--reason") a.reason = val;
        if (key == "--channel") a.channel = val;
        if (a.kind == ActionKind::kQualify) {
          if (!a.bant) a.bant = BantAnswers{};
          if (key == "--budget") a.bant->budget = val;
          if (key == "--authority") a.bant->authority = val;
          if (key == "--need") a.bant->need = val;
          if (key == "--timeline") a.bant->timeline = val;
        }
      }
      if (a.bant) {
        a.bant->by = a.by;
        a.bant->at = a.ts;
      }
      accepted.push_back(a);
    }
  }
  EXPECT_GT(accepted.size(), 5u) << "the random actions should not all be refused";
  EXPECT_GT(refused, 0);

  // Snapshot, rebuild, snapshot.
  auto snapshot = [&] {
    Json all = Json::object();
    for (const std::string& at : {kMidT, kEndT}) {
      all["queue " + at] = lg.Queue(at);
      all["sla " + at] = lg.Sla(at);
    }
    all["mql queue"] = lg.Queue(kEndT, {"--stage", "mql", "--limit", "5"});
    return all;
  };
  Json before = snapshot();
  std::map<std::string, Json> shows = ShowAll(lg, kEndT);
  ASSERT_EQ(lg.Run({"rebuild"}).exit_code, 0);
  EXPECT_EQ(snapshot(), before) << "incremental projections differ from rebuilt ones";
  ExpectSameShows(ShowAll(lg, kEndT), shows, "after rebuild");

  // The queue (projections) agrees with the dossiers (refolds) lead by lead.
  const Json& q = before["queue " + kEndT];
  std::set<std::string> in_queue;
  for (const auto& row : q) {
    std::string id = row["id"];
    in_queue.insert(id);
    const Json& s = shows[id];
    ASSERT_FALSE(s.is_null()) << id;
    EXPECT_EQ(row["stage"], s["stage"]) << id;
    EXPECT_NEAR(row["total"].get<double>(), s["score"]["total"].get<double>(), 0.011) << id;
  }
  for (const auto& [id, s] : shows) {
    if (s.is_null()) continue;
    std::string st = s["stage"];
    bool open = st != "won" && st != "lost" && st != "disqualified";
    EXPECT_EQ(in_queue.count(id) == 1, open) << id << " in stage " << st;
  }

  // (c) The library fold over the same inputs gives the CLI's show --json.
  std::vector<PlaybookVersion> versions;
  lg.Write("v1.yaml", kTestPlaybook);
  auto v1 = LoadPlaybookFile(lg.File("v1.yaml"));
  auto v2 = LoadPlaybookFile(lg.File("low.yaml"));
  ASSERT_TRUE(v1.ok() && v2.ok());
  versions.push_back({1, INT64_MIN, *v1});
  versions.push_back({2, *applied_at, *v2});
  std::map<std::string, std::vector<Event>> by_lead;
  std::set<std::string> seen;
  std::vector<GenEvent> arrival;
  for (const auto& ch : chunks) arrival.insert(arrival.end(), ch.begin(), ch.end());
  for (const auto& ge : arrival) {
    Event e;
    Status st = ParseEvent(ge.line, &e);
    ASSERT_TRUE(st.ok()) << st.message() << ": " << ge.line;
    if (!seen.insert(e.message_id).second) continue;
    by_lead[e.lead_id].push_back(e);
  }
  const Micros end = *ParseRfc3339(kEndT);
  for (int i = 0; i < kLeads; ++i) {
    const std::string id = Id(i);
    ShowResult r;
    r.as_of = end;
    r.events = by_lead[id];
    std::shuffle(r.events.begin(), r.events.end(), rng.engine());  // any order
    for (const auto& a : accepted) {
      if (a.lead_id == id) r.actions.push_back(a);
    }
    std::vector<const Event*> ep;
    for (const auto& e : r.events) ep.push_back(&e);
    std::vector<const Action*> ap;
    for (const auto& a : r.actions) ap.push_back(&a);
    FoldOptions opts;
    opts.as_of = end;
    r.state = Fold(id, ep, ap, versions, opts);
    if (!r.state.exists) {
      EXPECT_TRUE(shows[id].is_null()) << id;
      continue;
    }
    // "events" (how many events the lead has) is not the fold's: compare it
    // with the distinct events sent, and everything else with the library.
    Json cli = shows[id];
    EXPECT_EQ(cli["events"], r.events.size()) << id;
    cli.erase("events");
    Json lib = Json::parse(ShowJson(r).dump());
    lib.erase("events");
    EXPECT_EQ(lib, cli) << id << ": the library fold and the CLI differ";
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, PropertyTest, ::testing::Values(1u, 20260301u));

}  // namespace
}  // namespace leadgate::testing
