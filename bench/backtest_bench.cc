// Backtest replay speed (docs/benchmarks.md, "Backtest replay"): the log in
// memory (ReplayLog), folded with the live engine's Fold on 1 and 2 workers,
// and a whole RunBacktest (current + candidate). Generated data, default
// playbook. Loading is timed apart from the replay.
//
//   build/backtest_bench [--leads N] [--events M] [--reps R] [--db STORE] [--lean 0|1]
//                        [--workers 1|2] [--backtest 0|N]
//
// With --db, the log is loaded from that store (LoadReplayLog, as the command
// does) and its stored playbook versions are replayed; otherwise the
// generator's events are parsed in memory. Replays full states and lean ones
// (FoldOptions::lean, what RunBacktest uses); --lean 0 or 1 runs one kind only.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "app/backtest.h"
#include "app/engine.h"
#include "bench_util.h"
#include "fold/encoded.h"

namespace leadgate::bench {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds of the process (all threads): on a shared machine, the fair
// measure of work done.
double Cpu() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

int Run(int argc, char** argv) {
  demo::GenOptions opt;
  opt.leads = 100000;
  opt.events = 2000000;
  int reps = 3;
  std::string db;
  int only = -1;     // --lean 0: full replays only; --lean 1: lean only (callgrind)
  int workers = 0;   // --workers 1 or 2: that many only (callgrind); 0: both
  int backtest = 2;  // --backtest 0: no RunBacktest at the end; N: on N workers (default 2)
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--leads")) opt.leads = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--events")) opt.events = std::atoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--reps")) reps = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--db")) db = argv[i + 1];
    if (!std::strcmp(argv[i], "--lean")) only = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--workers")) workers = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--backtest")) backtest = std::atoi(argv[i + 1]);
  }
  ReplayLog log;
  std::vector<PlaybookVersion> versions;
  std::unique_ptr<Engine> engine;
  double t0 = Now();
  if (!db.empty()) {
    auto e = Engine::Open(db);
    if (!e.ok()) {
      std::fprintf(stderr, "%s\n", e.status().message().c_str());
      return 1;
    }
    engine = std::move(*e);
    versions = engine->versions();
    Status s = LoadReplayLog(engine->store(), &log);
    std::printf("load from %s, 1 connection: %.3f s\n", db.c_str(), Now() - t0);
    t0 = Now();
    s = LoadReplayLog(db, 0, &log);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
    std::printf("load from %s, 2 connections: %.3f s (%lld leads, %lld events, %lld actions)\n",
                db.c_str(), Now() - t0, static_cast<long long>(log.leads.size()),
                static_cast<long long>(log.events), static_cast<long long>(log.actions));
  } else {
    std::vector<Event> events = GenerateParsedEvents(opt);
    double t1 = Now();
    BuildReplayLog(std::move(events), {}, &log);
    versions = {{1, 0, DefaultPlaybook()}};
    std::printf("generate+parse %.3f s, build ReplayLog %.3f s (%lld leads, %lld events)\n",
                t1 - t0, Now() - t1, static_cast<long long>(log.leads.size()),
                static_cast<long long>(log.events));
  }
  const double n = static_cast<double>(log.events);
  // The classification alone (what each replay starts with, fold/encoded.h).
  for (int threads = 1; threads <= 2; ++threads) {
    double best = 1e300;
    for (int r = 0; r < reps; ++r) {
      ReplayClassifier c;
      double a = Now();
      c.Prepare(log.encoded, versions, false, threads);
      best = std::min(best, Now() - a);
    }
    std::printf("classify (%zu names, %zu activities, %zu trait values), %d thread(s): %.4f s\n",
                log.encoded.names.size(), log.encoded.act_name.size(), log.encoded.tval_key.size(),
                threads, best);
  }
  for (int mode = 0; mode < 4; ++mode) {
    const int threads = mode % 2 + 1;
    const bool lean = mode >= 2;  // FoldOptions::lean, what RunBacktest replays with
    if (only >= 0 && lean != (only == 1)) continue;
    if (workers > 0 && threads != workers) continue;
    double best = 1e300;
    for (int r = 0; r < reps; ++r) {
      double a = Now(), ca = Cpu();
      int64_t count = 0;
      std::atomic<int64_t> seen{0};
      ReplayAll(
          log, versions, threads,
          [&](size_t, const LeadState& s) {
            if (s.stage != Stage::kLead) seen.fetch_add(1, std::memory_order_relaxed);
          },
          lean);
      count = seen.load();
      double dt = Now() - a, cpu = Cpu() - ca;
      best = std::min(best, dt);
      std::printf(
          "  replay%s, %d worker(s): %.3f s wall, %.2f M events/s; %.3f CPU s, %.2f M events per "
          "CPU second (%lld leads out of lead)\n",
          lean ? " (lean)" : "", threads, dt, n / dt / 1e6, cpu, n / cpu / 1e6,
          static_cast<long long>(count));
    }
    std::printf("replay%s %d worker(s), best of %d: %.3f s = %.2f M events/s\n",
                lean ? " (lean)" : "", threads, reps, best, n / best / 1e6);
  }
  if (backtest != 0) {
    auto cand = std::make_shared<Playbook>(*versions.back().playbook);
    if (cand->mql.total) cand->mql.total = *cand->mql.total - 10;
    double a = Now();
    BacktestOptions bo;
    bo.threads = backtest;
    auto r = RunBacktest(log, versions, cand, bo);
    double dt = Now() - a;
    if (!r.ok()) return 1;
    std::printf(
        "RunBacktest (2 replays, %d workers): %.3f s = %.2f M events/s replayed; MQL %lld -> "
        "%lld, %zu flips\n",
        backtest, dt, 2 * n / dt / 1e6, static_cast<long long>(r->current.mql),
        static_cast<long long>(r->candidate.mql), r->flips.size());
  }
  return 0;
}

}  // namespace
}  // namespace leadgate::bench

int main(int argc, char** argv) { return leadgate::bench::Run(argc, argv); }
