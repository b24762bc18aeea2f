// The leadgate command: a thin adapter from argv to the Engine. Exit status:
// 0 done; 1 refused or invalid input; 2 usage error (shared/spec/cli.md).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/engine.h"
#include "app/render.h"
#include "cli/demo.h"
#include "cli/model_cmd.h"
#include "ingest/jsonl.h"

namespace leadgate {
namespace {

int ExitFor(const Status& s) {
  if (s.ok()) return 0;
  std::cerr << "leadgate: " << s.message() << "\n";
  return s.code() == StatusCode::kUsage ? 2 : 1;
}

class Bar : public ProgressSink {
 public:
  void Update(int64_t done, int64_t total) override {
    if (total <= 0) return;
    int pct = static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total));
    if (pct > 100) pct = 100;
    int fill = pct / 4;
    std::fprintf(stderr, "\r  [%-25.*s] %3d%%", fill, "#########################", pct);
  }
  void Done() override { std::fprintf(stderr, "\r%40s\r", ""); }
};

bool Tty(int fd) { return isatty(fd) == 1; }

struct AtOption {
  std::string text;
  Result<Micros> Get() const {
    if (text.empty()) return NowMicros();
    auto t = ParseDateOrTime(text);
    if (!t) {
      return Status::Usage("--at '" + text +
                           "' is not an RFC 3339 time (like 2026-03-01T10:00:00Z)");
    }
    return *t;
  }
};

// An input file must be something to read lines from: a directory (which
// opens, then reads as empty) or a missing file is an error that says so.
Status CheckInputFile(const std::string& path, const char* expected) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (std::filesystem::is_directory(st)) {
    return Status::Invalid(path + ": is a directory; give " + expected);
  }
  // access(), not a trial open: opening a named pipe twice could lose its writer.
  if (access(path.c_str(), R_OK) != 0) {
    return Status::Invalid(path + ": cannot open the file (" + std::strerror(errno) + "); give " +
                           expected);
  }
  return Status::Ok();
}

void PrintReport(const IngestReport& r, const std::string& what) {
  for (const auto& e : r.errors) std::cerr << e.where << ": rejected: " << e.reason << "\n";
  if (r.rejected > static_cast<int64_t>(r.errors.size())) {
    std::cerr << "... and " << (r.rejected - static_cast<int64_t>(r.errors.size()))
              << " more rejected lines\n";
  }
  std::cerr << what << ": " << r.stored << " stored, " << r.duplicates
            << " already stored (skipped), " << r.rejected << " rejected; " << r.leads_touched
            << " leads updated\n";
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"leadgate — lead qualification by the playbook, explained rule by rule"};
  app.require_subcommand(1);
  app.fallthrough(true);
  std::string db = "leadgate.db";
  app.add_option("--db", db, "the store (an SQLite file)")->capture_default_str();
  int rc = 0;

  // init
  auto* init = app.add_subcommand("init", "create a new store with a playbook as version 1");
  std::string init_pb;
  init->add_option("--playbook", init_pb, "the playbook YAML")->required();
  init->callback([&] {
    Status s = Engine::Init(db, init_pb);
    if (s.ok()) std::cout << "created " << db << " with playbook " << init_pb << " as version 1\n";
    rc = ExitFor(s);
  });

  // playbook
  auto* pbc = app.add_subcommand("playbook", "check, apply and list playbook versions");
  pbc->require_subcommand(1);
  auto* check =
      pbc->add_subcommand("check", "validate a playbook file (for CI); exit 1 when invalid");
  std::string check_file;
  check->add_option("FILE", check_file, "playbook YAML")->required();
  check->callback([&] {
    auto pb = LoadPlaybookFile(check_file);
    if (pb.ok()) {
      std::cout << check_file << ": ok — " << (*pb)->fit.size() << " fit, "
                << (*pb)->engagement.size() << " engagement, " << (*pb)->disqualify.size()
                << " disqualify rules\n";
    }
    rc = ExitFor(pb.status());
  });
  auto* apply =
      pbc->add_subcommand("apply", "make a playbook the next version, in force from --at");
  std::string apply_file;
  AtOption apply_at;
  apply->add_option("FILE", apply_file, "playbook YAML")->required();
  apply->add_option("--at", apply_at.text, "in force from (RFC 3339), default now");
  apply->callback([&] {
    auto at = apply_at.Get();
    if (!at.ok()) return void(rc = ExitFor(at.status()));
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    int64_t v = 0;
    Status s = (*e)->ApplyPlaybook(apply_file, *at, &v);
    if (s.ok())
      std::cout << "playbook version " << v << " in force from " << FormatRfc3339(*at) << "\n";
    rc = ExitFor(s);
  });
  auto* pblist = pbc->add_subcommand("list", "list playbook versions");
  pblist->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    for (const auto& v : (*e)->versions()) {
      std::cout << "v" << v.version << "  "
                << (v.applied_at == INT64_MIN ? std::string("from the beginning")
                                              : "from " + FormatRfc3339(v.applied_at))
                << "  " << v.playbook->name << "\n";
    }
  });

  // user
  auto* user = app.add_subcommand("user", "manage users and their roles");
  user->require_subcommand(1);
  auto* uadd = user->add_subcommand("add", "add a user with a role");
  std::string uname, urole;
  uadd->add_option("NAME", uname, "user name")->required();
  uadd->add_option("--role", urole, "marketing, rep, manager or admin")->required();
  uadd->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    Status s = (*e)->AddUser(uname, urole);
    if (s.ok()) std::cout << "added " << uname << " (" << urole << ")\n";
    rc = ExitFor(s);
  });
  auto* ulist = user->add_subcommand("list", "list users");
  ulist->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto users = (*e)->store().Users();
    if (!users.ok()) return void(rc = ExitFor(users.status()));
    for (const auto& u : *users) std::cout << u.name << "  " << RoleName(u.role) << "\n";
  });

  // import leads
  auto* imp = app.add_subcommand("import", "import CRM exports");
  imp->require_subcommand(1);
  auto* impl = imp->add_subcommand("leads", "import leads from a CSV file (one identify per row)");
  std::string csv_file, id_col = "id", imp_rejects;
  AtOption imp_at;
  impl->add_option("FILE", csv_file, "CSV with a header row")->required();
  impl->add_option("--id-column", id_col, "the column holding the lead id")->capture_default_str();
  impl->add_option("--at", imp_at.text, "traits' timestamp when a row has no created_at");
  impl->add_option("--rejects", imp_rejects, "write rejected rows to this file");
  impl->callback([&] {
    std::optional<Micros> at;
    if (!imp_at.text.empty()) {
      auto t = imp_at.Get();
      if (!t.ok()) return void(rc = ExitFor(t.status()));
      at = *t;
    }
    if (Status s = CheckInputFile(csv_file, "a CSV file with a header row"); !s.ok()) {
      return void(rc = ExitFor(s));
    }
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    std::ofstream rej;
    if (!imp_rejects.empty()) rej.open(imp_rejects, std::ios::binary);
    IngestReport rep;
    Status s = (*e)->ImportLeads(csv_file, id_col, at, imp_rejects.empty() ? nullptr : &rej, &rep);
    if (!s.ok()) return void(rc = ExitFor(s));
    PrintReport(rep, csv_file);
    rc = rep.rejected > 0 ? 1 : 0;
  });

  // ingest
  auto* ing =
      app.add_subcommand("ingest", "store events (Segment JSONL) and rescore the leads they touch");
  std::string ing_file, ing_rejects;
  ing->add_option("FILE", ing_file, "JSONL file, or - for standard input")->required();
  ing->add_option("--rejects", ing_rejects, "write rejected lines to this file");
  ing->callback([&] {
    if (ing_file != "-") {
      if (Status s = CheckInputFile(ing_file, "a JSONL file, or - for standard input"); !s.ok()) {
        return void(rc = ExitFor(s));
      }
    }
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    std::ifstream f;
    std::istream* in = &std::cin;
    int64_t size = 0;
    if (ing_file != "-") {
      f.open(ing_file, std::ios::binary);
      if (!f) return void(rc = ExitFor(Status::Invalid(ing_file + ": cannot open the file")));
      // The size only drives the progress bar. Seeking a pipe (a FIFO, <(cmd))
      // fails and left the stream failed: it read as empty, exit 0.
      std::error_code ec;
      if (std::filesystem::is_regular_file(ing_file, ec)) {
        const auto bytes = std::filesystem::file_size(ing_file, ec);
        if (!ec) size = static_cast<int64_t>(bytes);
      }
      in = &f;
    }
    std::ofstream rej;
    if (!ing_rejects.empty()) rej.open(ing_rejects, std::ios::binary);
    Bar bar;
    IngestReport rep;
    Status s = (*e)->Ingest(*in, ing_file == "-" ? "stdin" : ing_file, size,
                            ing_rejects.empty() ? nullptr : &rej,
                            Tty(2) && size > (8 << 20) ? &bar : nullptr, &rep);
    if (!s.ok()) return void(rc = ExitFor(s));
    PrintReport(rep, ing_file);
    rc = rep.rejected > 0 ? 1 : 0;
  });

  // act
  auto* act = app.add_subcommand("act", "take an action on a lead (accept, reject, qualify, ...)");
  ActRequest req;
  AtOption act_at;
  std::string reason, channel, budget, authority, need, timeline, current;
  act->add_option("LEAD", req.lead, "lead id")->required();
  act->add_option("ACTION", req.action,
                  "accept, reject, qualify, promote, override, convert, win, lose, disqualify, "
                  "reopen or touch")
      ->required();
  act->add_option("--by", req.by, "the user taking the action")->required();
  act->add_option("--at", act_at.text, "when (RFC 3339), default now");
  act->add_option("--reason", reason, "why (reject, override, lose, disqualify, reopen)");
  act->add_option("--channel", channel, "touch: call, email or meeting");
  act->add_option("--budget", budget, "qualify: confirmed, unconfirmed or none");
  act->add_option("--authority", authority,
                  "qualify: decision_maker, influencer, researcher or unknown");
  act->add_option("--need", need, "qualify: the need, in words");
  act->add_option("--timeline", timeline, "qualify: expected decision date (YYYY-MM-DD)");
  act->add_option("--current-solution", current, "qualify: what they use today");
  act->callback([&] {
    auto at = act_at.Get();
    if (!at.ok()) return void(rc = ExitFor(at.status()));
    req.at = *at;
    auto opt = [](CLI::App* a, const char* name,
                  const std::string& v) -> std::optional<std::string> {
      if (a->count(name) == 0) return std::nullopt;
      return v;
    };
    req.reason = opt(act, "--reason", reason);
    req.channel = opt(act, "--channel", channel);
    req.budget = opt(act, "--budget", budget);
    req.authority = opt(act, "--authority", authority);
    req.need = opt(act, "--need", need);
    req.timeline = opt(act, "--timeline", timeline);
    req.current_solution = opt(act, "--current-solution", current);
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto st = (*e)->Act(req);
    if (!st.ok()) return void(rc = ExitFor(st.status()));
    std::cout << req.lead << ": " << req.action << " recorded; stage " << StageName(st->stage)
              << "\n";
  });

  // show
  auto* show =
      app.add_subcommand("show", "a lead's dossier: scores explained, BANT, journey, history");
  std::string show_lead;
  AtOption show_at;
  bool show_json = false, show_refold = false;
  show->add_option("LEAD", show_lead, "lead id")->required();
  show->add_option("--at", show_at.text, "as of this time (RFC 3339), default now");
  show->add_flag("--json", show_json, "the JSON contract of cli.md");
  show->add_flag("--refold", show_refold,
                 "refold the lead's log instead of reading its projection");
  show->callback([&] {
    auto at = show_at.Get();
    if (!at.ok()) return void(rc = ExitFor(at.status()));
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto r = (*e)->Show(show_lead, *at, show_refold);
    if (!r.ok()) return void(rc = ExitFor(r.status()));
    if (show_json) {
      std::cout << ShowJson(*r).dump(2) << "\n";
    } else {
      std::cout << ShowText(*r, (*e)->PlaybookAt(*at), Tty(1));
    }
  });

  // queue
  auto* queue = app.add_subcommand("queue", "open leads, highest total first");
  AtOption q_at;
  std::string q_stage;
  int64_t q_limit = 0;
  bool q_json = false, q_refold = false;
  queue->add_option("--at", q_at.text, "as of this time (RFC 3339), default now");
  queue->add_option("--stage", q_stage,
                    "keep one stage (lead, mql, sal, sql, opportunity, nurture)");
  queue->add_option("--limit", q_limit, "keep the first N")->check(CLI::NonNegativeNumber);
  queue->add_flag("--json", q_json, "the JSON contract of cli.md");
  queue->add_flag("--refold", q_refold,
                  "refold every lead instead of reading projections (slow; to verify)");
  queue->callback([&] {
    auto at = q_at.Get();
    if (!at.ok()) return void(rc = ExitFor(at.status()));
    std::optional<Stage> stage;
    if (!q_stage.empty()) {
      stage = ParseStage(q_stage);
      if (!stage) return void(rc = ExitFor(Status::Usage("unknown stage '" + q_stage + "'")));
    }
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto rows = (*e)->Queue(*at, stage, q_limit, q_refold);
    if (!rows.ok()) return void(rc = ExitFor(rows.status()));
    if (q_json) {
      std::cout << QueueJson(*rows).dump(2) << "\n";
    } else {
      std::cout << QueueText(*rows, *at, Tty(1));
    }
  });

  // sla
  auto* sla = app.add_subcommand("sla", "speed to lead: running clocks, breaches, response times");
  AtOption s_at;
  bool s_json = false, s_refold = false;
  sla->add_option("--at", s_at.text, "as of this time (RFC 3339), default now");
  sla->add_flag("--json", s_json, "the JSON contract of cli.md");
  sla->add_flag("--refold", s_refold, "refold every lead instead of reading projections");
  sla->callback([&] {
    auto at = s_at.Get();
    if (!at.ok()) return void(rc = ExitFor(at.status()));
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto r = (*e)->Sla(*at, s_refold);
    if (!r.ok()) return void(rc = ExitFor(r.status()));
    if (s_json) {
      std::cout << SlaJson(*r).dump(2) << "\n";
    } else {
      std::cout << SlaText(*r, *at, Tty(1));
    }
  });

  // rebuild
  auto* rebuild =
      app.add_subcommand("rebuild", "refold every lead from the log into the projections");
  rebuild->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    int64_t n = 0;
    Status s = (*e)->Rebuild(&n);
    if (s.ok()) std::cout << "rebuilt " << n << " leads\n";
    rc = ExitFor(s);
  });

  // export
  auto* exp = app.add_subcommand("export", "write the stored log out");
  exp->require_subcommand(1);
  auto* expe = exp->add_subcommand(
      "events", "every stored event as Segment JSONL on stdout (re-ingestable: same messageIds)");
  std::string exp_lead;
  expe->add_option("--lead", exp_lead, "only this lead's events");
  expe->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto write = [&](const Event& ev) {
      std::cout << EventToJson(ev) << '\n';
      return std::cout ? Status::Ok() : Status::Invalid("cannot write to standard output");
    };
    Status s = Status::Ok();
    if (exp_lead.empty()) {
      s = (*e)->store().ForEachEvent(write);
    } else {
      std::vector<Event> events;
      s = (*e)->store().LoadLead(exp_lead, &events, nullptr);
      if (s.ok() && events.empty())
        s = Status::NotFound("no lead '" + exp_lead + "' in this store");
      for (size_t i = 0; s.ok() && i < events.size(); ++i) s = write(events[i]);
    }
    std::cout.flush();
    rc = ExitFor(s);
  });

  AddDemoCommand(app, db, rc);
  AddModelCommands(app, db, rc);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  return rc;
}

}  // namespace leadgate

int main(int argc, char** argv) {
  try {
    return leadgate::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "leadgate: internal error: " << e.what() << "\n";
    return 1;
  }
}
