// In-memory engagement scoring of raw activities (names and string
// properties, as parsed) with the default playbook via EngagementState::Add.
// Goal (docs/benchmarks.md): >= 5,000,000 activities/s on one core with a
// MatchCache. Run: build/scoring_bench
#include <benchmark/benchmark.h>

#include <set>
#include <string>
#include <vector>

#include "bench_util.h"
#include "fold/scoring.h"

namespace leadgate::bench {
namespace {

struct Activity {
  std::string name;
  Props props;
  Micros ts;
};

struct Data {
  std::shared_ptr<const Playbook> pb;
  // Activities (track and page events) grouped by lead, in timestamp order.
  std::vector<std::vector<Activity>> leads;
  int64_t activities = 0;
  size_t distinct_urls = 0;
};

const Data& GetData() {
  static const Data data = [] {
    Data d;
    d.pb = DefaultPlaybook();
    demo::GenOptions opt;
    opt.leads = 5000;
    opt.events = 200000;
    const std::vector<Event> events = GenerateParsedEvents(opt);
    std::set<std::string> urls;
    for (const auto& lead : GroupByLead(events)) {
      std::vector<Activity> acts;
      for (const Event* e : lead) {
        if (e->type != EventType::kTrack && e->type != EventType::kPage) continue;
        acts.push_back({e->name, e->props, e->ts});
        if (const Value* u = FindProp(e->props, "url")) urls.insert(u->str);
      }
      d.activities += static_cast<int64_t>(acts.size());
      if (!acts.empty()) d.leads.push_back(std::move(acts));
    }
    d.distinct_urls = urls.size();
    return d;
  }();
  return data;
}

// Each lead scored from a fresh accumulator (Reset), as the fold does.
void ScoreLeads(benchmark::State& state, bool use_cache) {
  const Data& d = GetData();
  const Playbook& pb = *d.pb;
  std::vector<FieldValue> fields(pb.fields.size());
  MatchCache cache(pb.memo_slots);
  MatchCache* c = use_cache ? &cache : nullptr;
  EngagementState eng(&pb);
  double sink = 0;
  for (auto _ : state) {
    for (const auto& lead : d.leads) {
      eng.Reset(&pb);
      for (const Activity& a : lead) eng.Add(a.name, a.props, a.ts, fields.data(), c);
      sink += eng.RawAt(lead.back().ts);
    }
    benchmark::DoNotOptimize(sink);
  }
  state.SetItemsProcessed(state.iterations() * d.activities);
  state.counters["leads"] = static_cast<double>(d.leads.size());
  state.counters["activities"] = static_cast<double>(d.activities);
  state.counters["distinct_urls"] = static_cast<double>(d.distinct_urls);
}

void BM_ScoreWithCache(benchmark::State& state) { ScoreLeads(state, true); }
void BM_ScoreWithoutCache(benchmark::State& state) { ScoreLeads(state, false); }

// One accumulator for the whole stream (no Reset between leads): isolates
// the per-activity cost from the per-lead Reset cost.
void BM_ScoreOneStreamWithCache(benchmark::State& state) {
  const Data& d = GetData();
  const Playbook& pb = *d.pb;
  std::vector<FieldValue> fields(pb.fields.size());
  MatchCache cache(pb.memo_slots);
  double sink = 0;
  for (auto _ : state) {
    EngagementState eng(&pb);
    Micros ts = 0;
    for (const auto& lead : d.leads) {
      for (const Activity& a : lead) {
        // Keep timestamps non-decreasing across leads (Add expects timeline order).
        ts = std::max(ts, a.ts);
        eng.Add(a.name, a.props, ts, fields.data(), &cache);
      }
    }
    sink += eng.RawAt(ts);
    benchmark::DoNotOptimize(sink);
  }
  state.SetItemsProcessed(state.iterations() * d.activities);
}

// The per-lead Reset alone (allocates one std::deque per engagement rule).
void BM_EngagementReset(benchmark::State& state) {
  const Data& d = GetData();
  EngagementState eng(d.pb.get());
  for (auto _ : state) {
    eng.Reset(d.pb.get());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ScoreWithCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScoreWithoutCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScoreOneStreamWithCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EngagementReset);

}  // namespace
}  // namespace leadgate::bench

BENCHMARK_MAIN();
