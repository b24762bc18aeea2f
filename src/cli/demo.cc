#include "cli/demo.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/engine.h"
#include "app/render.h"
#include "demo/generator.h"

namespace leadgate {

extern const char* const kDefaultPlaybook;

namespace {

Status RunDemo(const std::string& dir, int64_t leads, int64_t events, uint64_t seed) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Invalid("cannot create " + dir + ": " + ec.message());
  const std::string db = dir + "/leadgate.db";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db + suffix, ec);

  demo::GenOptions opt;
  opt.leads = leads;
  opt.events = events;
  opt.seed = seed;
  {
    std::ofstream pb(dir + "/playbook.yaml", std::ios::binary);
    pb << kDefaultPlaybook;
    std::ofstream ev(dir + "/events.jsonl", std::ios::binary);
    demo::GenerateEvents(opt, ev);
    std::ofstream csv(dir + "/leads.csv", std::ios::binary);
    demo::GenerateLeadsCsv(opt, csv);
  }
  std::cout << "Demo data in " << dir << "/: playbook.yaml, leads.csv (" << leads
            << " leads), events.jsonl (" << events << " events)\n";
  if (Status s = Engine::Init(db, dir + "/playbook.yaml"); !s.ok()) return s;
  auto e = Engine::Open(db);
  if (!e.ok()) return e.status();
  Engine& eng = **e;
  for (auto [name, role] :
       {std::pair{"ana", "rep"}, {"ben", "rep"}, {"maria", "manager"}, {"mo", "marketing"}}) {
    if (Status s = eng.AddUser(name, role); !s.ok()) return s;
  }
  IngestReport rep;
  if (Status s = eng.ImportLeads(dir + "/leads.csv", "id", std::nullopt, nullptr, &rep); !s.ok()) {
    return s;
  }
  std::ifstream in(dir + "/events.jsonl", std::ios::binary);
  if (Status s = eng.Ingest(in, dir + "/events.jsonl", 0, nullptr, nullptr, &rep); !s.ok()) {
    return s;
  }
  const Micros end = (opt.start_unix + int64_t{opt.days} * 86400) * kSecond;
  // Sales works the two hottest MQLs: one answered fast, one qualified.
  auto q = eng.Queue(end, Stage::kMql, 3);
  if (!q.ok()) return q.status();
  for (size_t i = 0; i < q->size(); ++i) {
    const QueueRow& row = (*q)[i];
    auto show = eng.Show(row.id, end);
    if (!show.ok()) continue;
    Micros mql_at = show->state.clocks.empty() ? end : show->state.clocks.back().mql_at;
    ActRequest a;
    a.lead = row.id;
    a.by = i % 2 ? "ben" : "ana";
    a.at = mql_at + 3 * kMinute;
    a.action = "accept";
    if (!eng.Act(a).ok()) continue;
    if (i == 0) {
      ActRequest b = a;
      b.action = "qualify";
      b.at = mql_at + 2 * kHour;
      b.budget = "confirmed";
      b.authority = "decision_maker";
      b.need = "replace spreadsheets before the audit";
      b.timeline = FormatDate(mql_at + 45 * kDay);
      (void)eng.Act(b);
      ActRequest c = a;
      c.action = "promote";
      c.at = mql_at + 2 * kHour + kMinute;
      (void)eng.Act(c);
    }
  }
  auto rows = eng.Queue(end, std::nullopt, 15);
  if (!rows.ok()) return rows.status();
  std::cout << "\n" << QueueText(*rows, end, false);
  if (!rows->empty()) {
    auto show = eng.Show(rows->front().id, end);
    if (show.ok()) {
      std::cout << "\nDossier of the top lead\n\n" << ShowText(*show, eng.PlaybookAt(end), false);
    }
  }
  std::cout << "\nTry:  build/leadgate --db " << db << " queue --at " << FormatRfc3339(end)
            << "\n      build/leadgate --db " << db << " show "
            << (rows->empty() ? "L-000001" : rows->front().id) << " --at " << FormatRfc3339(end)
            << "\n      build/leadgate --db " << db << " sla --at " << FormatRfc3339(end) << "\n";
  return Status::Ok();
}

}  // namespace

void AddDemoCommand(CLI::App& app, std::string& /*db*/, int& rc) {
  auto* demo = app.add_subcommand(
      "demo", "generate realistic demo data, load it into DIR/leadgate.db and show the queue");
  static std::string dir = "demo";
  static int64_t leads = 400, events = 8000;
  static uint64_t seed = 42;
  demo->add_option("--dir", dir, "where to write the data and the store")->capture_default_str();
  demo->add_option("--leads", leads, "how many leads")->capture_default_str();
  demo->add_option("--events", events, "how many activities")->capture_default_str();
  demo->add_option("--seed", seed, "generator seed (same seed, same data)")->capture_default_str();
  demo->callback([&rc] {
    Status s = RunDemo(dir, leads, events, seed);
    if (!s.ok()) {
      std::cerr << "leadgate: " << s.message() << "\n";
      rc = 1;
    }
  });
  auto* pbdef = app.add_subcommand("default-playbook", "print the built-in default playbook");
  pbdef->callback([] { std::cout << kDefaultPlaybook; });
}

}  // namespace leadgate
