// Resident state per lead: what the store keeps per lead so that show, queue
// and sla answer without refolding (the `leads` row: its columns and the
// binary projection; the covering index entries are reported separately),
// measured on generated leads folded with the default playbook, with and
// without the traits. Run: build/state_size [leads] (default 20000)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "app/engine.h"
#include "app/projection.h"
#include "bench_util.h"
#include "fold/fold.h"

using namespace leadgate;

int main(int argc, char** argv) {
  demo::GenOptions opt;
  opt.leads = argc > 1 ? std::atoi(argv[1]) : 20000;
  opt.events = opt.leads * 20;
  std::vector<Event> events = bench::GenerateParsedEvents(opt);
  auto leads = bench::GroupByLead(events);
  std::vector<PlaybookVersion> versions = {{1, INT64_MIN, bench::DefaultPlaybook()}};
  FoldOptions fo;
  std::vector<size_t> with, without, traits_only;
  for (const auto& evs : leads) {
    LeadState s = Fold(evs.front()->lead_id, evs, {}, versions, fo);
    // Columns of the row besides `state`: id, stage, open, fit, eng_sum,
    // eng_ref, eng_key, first_at, last_at, owner, playbook_version, who.
    size_t cols = s.id.size() + 8 + 1 + 5 * 8 + 2 * 8 + (s.owner ? s.owner->size() : 0) + 2 +
                  DescribeLead(s.traits).size();
    for (const auto& h : s.history) cols += 40 + h.by.size() + (h.reason ? h.reason->size() : 0);
    size_t full = EncodeProjection(s, s.events, versions[0].playbook.get()).size();
    LeadState bare = s;
    bare.traits.clear();
    size_t no_traits = EncodeProjection(bare, bare.events, versions[0].playbook.get()).size();
    with.push_back(cols + full);
    without.push_back(cols + no_traits - DescribeLead(s.traits).size());
    traits_only.push_back(full - no_traits);
  }
  auto report = [](const char* what, std::vector<size_t> v) {
    std::sort(v.begin(), v.end());
    double sum = 0;
    for (size_t x : v) sum += static_cast<double>(x);
    std::printf("%-44s mean %7.1f  p50 %5zu  p99 %5zu  max %5zu bytes\n", what,
                sum / static_cast<double>(v.size()), v[v.size() / 2], v[v.size() * 99 / 100],
                v.back());
  };
  std::printf("%zu leads, %zu events, default playbook\n", leads.size(), events.size());
  report("per lead, without traits (goal <= 256)", without);
  report("traits (as stored)", traits_only);
  report("per lead, with traits and display string", with);
  std::printf("covering index entries (leads_by_fit + leads_by_eng): ~2 x (id + 60) bytes\n");
  return 0;
}
