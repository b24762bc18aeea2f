#include "cli/backtest_cmd.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/backtest.h"
#include "app/engine.h"

namespace leadgate {
namespace {

struct Args {
  std::string candidate, from, to, applied_at, html, capacity;
  bool json = false;
  int threads = 0;
  size_t examples = 10;
};

Result<std::optional<Micros>> TimeArg(const std::string& text, const char* flag) {
  if (text.empty()) return std::optional<Micros>();
  auto t = ParseDateOrTime(text);
  if (!t) {
    return Status::Usage(std::string(flag) + " '" + text +
                         "' is not an RFC 3339 time or a date (like 2026-03-01T10:00:00Z or "
                         "2026-03-01)");
  }
  return std::optional<Micros>(*t);
}

Status Run(const std::string& db, const Args& a) {
  BacktestOptions opts;
  auto from = TimeArg(a.from, "--from");
  if (!from.ok()) return from.status();
  auto to = TimeArg(a.to, "--to");
  if (!to.ok()) return to.status();
  auto applied = TimeArg(a.applied_at, "--applied-at");
  if (!applied.ok()) return applied.status();
  opts.from = *from;
  opts.to = *to;
  opts.applied_at = *applied;
  opts.threads = a.threads;
  if (!a.capacity.empty()) {
    auto c = ParseCapacity(a.capacity);
    if (!c.ok()) return c.status();
    opts.capacity = *c;
  }
  // The candidate first: its errors (file:line:column) need no store.
  std::error_code ec;
  if (std::filesystem::is_directory(a.candidate, ec)) {
    return Status::Invalid(a.candidate +
                           ": is a directory; give the candidate playbook's YAML file");
  }
  auto pb = LoadPlaybookFile(a.candidate);
  if (!pb.ok()) return pb.status();
  auto e = Engine::Open(db);
  if (!e.ok()) return e.status();
  const auto t0 = std::chrono::steady_clock::now();
  ReplayLog log;
  if (Status s = LoadReplayLog(db, a.threads, &log); !s.ok()) return s;
  const double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto r = RunBacktest(log, (*e)->versions(), *pb, opts);
  if (!r.ok()) return r.status();
  r->load_seconds = load;
  if (!a.html.empty()) {
    std::ofstream out(a.html, std::ios::binary | std::ios::trunc);
    out << BacktestHtml(*r, a.candidate);
    out.close();
    if (!out) return Status::Invalid(a.html + ": cannot write the HTML page");
  }
  if (a.json) {
    std::cout << BacktestJson(*r).dump(2) << "\n";
  } else {
    std::cout << BacktestText(*r, a.examples);
    if (!a.html.empty()) std::cout << "Charts: " << a.html << "\n";
  }
  return Status::Ok();
}

}  // namespace

void AddBacktestCommand(CLI::App& app, std::string& db, int& rc) {
  auto* bt = app.add_subcommand(
      "backtest",
      "replay the stored history under a candidate playbook and compare it with the playbook in "
      "use (nothing stored changes)");
  static Args a;
  bt->add_option("CANDIDATE", a.candidate, "the candidate playbook YAML")->required();
  bt->add_option("--from", a.from,
                 "window start (RFC 3339 or date), default the log's first point");
  bt->add_option("--to", a.to, "window end, exclusive, default just after the log's last point");
  bt->add_option("--applied-at", a.applied_at,
                 "apply the candidate at this time on top of the stored versions before it "
                 "(default: the candidate replaces every stored version, from the beginning)");
  bt->add_option("--capacity", a.capacity,
                 "MQLs per week sales can work (like 40/week): find the MQL minimums that give it");
  bt->add_option("--html", a.html, "also write one self-contained HTML page with the charts");
  bt->add_flag("--json", a.json, "JSON output (docs/backtest.md)");
  bt->add_option("--threads", a.threads, "replay workers (default: one per core)");
  bt->add_option("--examples", a.examples, "flip examples shown per direction")
      ->capture_default_str();
  bt->callback([&db, &rc] {
    Status s = Run(db, a);
    if (!s.ok()) {
      std::cerr << "leadgate: " << s.message() << "\n";
      rc = s.code() == StatusCode::kUsage ? 2 : 1;
    }
  });
}

}  // namespace leadgate
