// The full fold (Fold(...)) of generated leads with the default playbook:
// one lead with 10,000 events (the inner loop of `show`), and many small
// leads (the inner loop of ingest's refresh and of `rebuild`). Reports
// events/s. Run: build/fold_bench
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_util.h"
#include "fold/fold.h"

namespace leadgate::bench {
namespace {

struct Dataset {
  std::vector<Event> events;
  std::vector<std::vector<const Event*>> leads;
};

std::vector<PlaybookVersion> Versions() {
  static const std::vector<PlaybookVersion> v = {{1, INT64_MIN, DefaultPlaybook()}};
  return v;
}

const Dataset& OneBigLead() {
  static const Dataset d = [] {
    Dataset x;
    demo::GenOptions opt;
    opt.leads = 1;
    opt.events = 10000;
    x.events = GenerateParsedEvents(opt);
    x.leads = GroupByLead(x.events);
    return x;
  }();
  return d;
}

const Dataset& ManySmallLeads() {
  static const Dataset d = [] {
    Dataset x;
    demo::GenOptions opt;
    opt.leads = 10000;
    opt.events = 200000;
    x.events = GenerateParsedEvents(opt);
    x.leads = GroupByLead(x.events);
    return x;
  }();
  return d;
}

// The same leads with each lead's events next to each other in memory (and
// their strings allocated in that order), as a refold reading one lead at a
// time from the store has them; ManySmallLeads interleaves leads in time order.
const Dataset& ManySmallLeadsContiguous() {
  static const Dataset d = [] {
    const Dataset& src = ManySmallLeads();
    Dataset x;
    x.events.reserve(src.events.size());
    for (const auto& lead : src.leads) {
      for (const Event* e : lead) x.events.push_back(*e);
    }
    size_t i = 0;
    for (const auto& lead : src.leads) {
      x.leads.emplace_back();
      for (size_t k = 0; k < lead.size(); ++k) x.leads.back().push_back(&x.events[i++]);
    }
    return x;
  }();
  return d;
}

void FoldAll(benchmark::State& state, const Dataset& d, bool use_cache) {
  const auto versions = Versions();
  // One regex-result cache per playbook version, as Engine::Options() sets up.
  std::vector<MatchCache> caches;
  for (const auto& v : versions) caches.emplace_back(v.playbook->memo_slots);
  FoldOptions opts;
  opts.caches = use_cache ? &caches : nullptr;
  const std::vector<const Action*> no_actions;
  double sink = 0;
  for (auto _ : state) {
    for (const auto& lead : d.leads) {
      LeadState s = Fold(lead.front()->lead_id, lead, no_actions, versions, opts);
      sink += s.total;
    }
    benchmark::DoNotOptimize(sink);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(d.events.size()));
  state.counters["leads"] = static_cast<double>(d.leads.size());
  state.counters["events"] = static_cast<double>(d.events.size());
  state.counters["leads/s"] = benchmark::Counter(
      static_cast<double>(d.leads.size()) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

// Without and with the per-version MatchCache (the engine passes one).
void BM_FoldBigLead_NoCache(benchmark::State& state) { FoldAll(state, OneBigLead(), false); }
void BM_FoldBigLead_Cache(benchmark::State& state) { FoldAll(state, OneBigLead(), true); }
void BM_FoldSmallLeads_NoCache(benchmark::State& state) { FoldAll(state, ManySmallLeads(), false); }
void BM_FoldSmallLeads_Cache(benchmark::State& state) { FoldAll(state, ManySmallLeads(), true); }

void BM_FoldSmallLeadsContiguous_Cache(benchmark::State& state) {
  FoldAll(state, ManySmallLeadsContiguous(), true);
}

BENCHMARK(BM_FoldBigLead_NoCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FoldBigLead_Cache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FoldSmallLeads_NoCache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FoldSmallLeads_Cache)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FoldSmallLeadsContiguous_Cache)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace leadgate::bench

BENCHMARK_MAIN();
