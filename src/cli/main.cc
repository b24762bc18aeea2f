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
#include "app/html_report.h"
#include "app/render.h"
#include "cli/backtest_cmd.h"
#include "cli/demo.h"
#include "cli/model_cmd.h"
#include "cli/routing_cmd.h"
#include "cli/webhook_cmd.h"
#include "ingest/jsonl.h"
#include "server/server.h"

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
  const char* flag = "--at";
  Result<Micros> Get() const {
    if (text.empty()) return NowMicros();
    auto t = ParseDateOrTime(text);
    if (!t) {
      return Status::Usage(std::string(flag) + " '" + text +
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

// --html FILE: writes the page (whole, or not at all: a temp file renamed).
Status WriteHtml(const std::string& path, const std::string& page) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f)
      return Status::Invalid("--html " + path + ": cannot write (" + std::strerror(errno) + ")");
    f << page;
    f.flush();
    if (!f) return Status::Invalid("--html " + path + ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Invalid("--html " + path + ": " + ec.message());
  std::cerr << "wrote " << path << "\n";
  return Status::Ok();
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"leadgate — lead qualification by the playbook, explained rule by rule"};
  app.require_subcommand(1);
  app.fallthrough(true);
  std::string db = "leadgate.db";
  app.add_option("--db", db, "the store (an SQLite file)")
      ->envname("LEADGATE_DB")
      ->capture_default_str();
  int rc = 0;

  // init
  auto* init = app.add_subcommand("init", "create a new store with a playbook as version 1");
  std::string init_pb;
  int init_page_size = Store::kDefaultPageSize;
  init->add_option("--playbook", init_pb, "the playbook YAML")->required();
  init->add_option("--page-size", init_page_size,
                   "SQLite page size in bytes (4096 for single-event HTTP ingest, docs/storage.md)")
      ->capture_default_str();
  init->callback([&] {
    Status s = Engine::Init(db, init_pb, init_page_size);
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
  AddRoutingCommands(user, db, rc);

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
                  "reopen, touch or assign")
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
  std::string assign_to;
  act->add_option("--to", assign_to, "assign: the user who gets the lead (managers only)");
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
    req.to = opt(act, "--to", assign_to);
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
  std::string q_team;
  queue->add_option("--team", q_team, "a routing team's waiting queue (docs/routing.md)");
  queue->add_flag("--refold", q_refold,
                  "refold every lead instead of reading projections (slow; to verify)");
  std::string q_sort = "total";
  queue
      ->add_option("--sort", q_sort,
                   "total (the playbook score, default) or probability (the active model's)")
      ->capture_default_str();
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
    if (!q_team.empty()) return void(rc = PrintTeamQueue(**e, q_team, q_json));
    if (q_sort != "total" && q_sort != "probability")
      return void(
          rc = ExitFor(Status::Usage("--sort is total or probability, not '" + q_sort + "'")));
    auto rows = q_sort == "probability" ? (*e)->QueueByProbability(*at, stage, q_limit, q_refold)
                                        : (*e)->Queue(*at, stage, q_limit, q_refold);
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
  bool s_fire = false;
  sla->add_flag("--fire", s_fire,
                "first record every breach due by --at and escalate it (what the server's timer "
                "does)");
  sla->callback([&] {
    auto at = s_at.Get();
    if (!at.ok()) return void(rc = ExitFor(at.status()));
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    if (s_fire) {
      if (Status f = (*e)->FireDueSlas(*at); !f.ok()) return void(rc = ExitFor(f));
    }
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

  // import history
  auto* imph = imp->add_subcommand(
      "history", "import recorded stage changes (lead, stage, time, by, reason) from a CSV file");
  std::string h_file, h_rejects;
  HistoryImportOptions h_opts;
  std::vector<std::string> h_maps;
  imph->add_option("FILE", h_file, "CSV with a header row")->required();
  imph->add_option("--id-column", h_opts.id_column, "the lead id column")->capture_default_str();
  imph->add_option("--stage-column", h_opts.stage_column, "the stage column")
      ->capture_default_str();
  imph->add_option("--at-column", h_opts.at_column, "the time of the change")
      ->capture_default_str();
  imph->add_option("--by-column", h_opts.by_column, "who made the change (optional column)")
      ->capture_default_str();
  imph->add_option("--reason-column", h_opts.reason_column, "why (optional column)")
      ->capture_default_str();
  imph->add_option("--stage", h_opts.stage, "one stage for every row (no stage column)");
  imph->add_option("--map-stage", h_maps, "CRM stage name to a stage, e.g. 'Closed Won=won'");
  imph->add_flag("--create-leads", h_opts.create_leads,
                 "accept rows for leads with no events (the history creates them)");
  imph->add_flag("--dry-run", h_opts.dry_run, "check and count the rows, store nothing");
  imph->add_option("--rejects", h_rejects, "write rejected rows to this file");
  imph->callback([&] {
    for (const auto& m : h_maps) {
      auto eq = m.rfind('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == m.size()) {
        return void(
            rc = ExitFor(Status::Usage("--map-stage '" + m + "' must be 'CRM value=stage'")));
      }
      h_opts.stage_map[m.substr(0, eq)] = m.substr(eq + 1);
    }
    if (Status s = CheckInputFile(h_file, "a CSV file with a header row"); !s.ok()) {
      return void(rc = ExitFor(s));
    }
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    std::ofstream rej;
    if (!h_rejects.empty()) rej.open(h_rejects, std::ios::binary);
    IngestReport rep;
    Status s = (*e)->ImportHistory(h_file, h_opts, h_rejects.empty() ? nullptr : &rej, &rep);
    if (!s.ok()) return void(rc = ExitFor(s));
    PrintReport(rep, h_opts.dry_run ? h_file + " (dry run: nothing stored)" : h_file);
    rc = rep.rejected > 0 ? 1 : 0;
  });

  // report
  auto* rep = app.add_subcommand("report", "funnel analytics (docs/reports.md)");
  rep->require_subcommand(1);
  auto* funnel = rep->add_subcommand(
      "funnel", "leads reaching each stage, conversion, time in stage, reasons");
  AtOption f_at, f_from, f_to;
  f_from.flag = "--from";
  f_to.flag = "--to";
  std::string f_by;
  bool f_json = false, f_refold = false;
  funnel->add_option("--at", f_at.text, "as of (RFC 3339), default now");
  funnel->add_option("--from", f_from.text, "cohort: leads created at or after (RFC 3339)");
  funnel->add_option("--to", f_to.text, "cohort: leads created before (RFC 3339)");
  funnel->add_option("--by", f_by,
                     "group by source, industry, job_title, owner, team, playbook_version or "
                     "month");
  funnel->add_flag("--json", f_json, "the JSON contract");
  funnel->add_flag("--refold", f_refold, "fold every lead instead of reading projections");
  std::string f_html;
  funnel->add_option("--html", f_html, "also write a self-contained HTML page with charts");
  funnel->callback([&] {
    auto at = f_at.Get();
    if (!at.ok()) return void(rc = ExitFor(at.status()));
    std::optional<Micros> from, to;
    if (!f_from.text.empty()) {
      auto t = f_from.Get();
      if (!t.ok()) return void(rc = ExitFor(t.status()));
      from = *t;
    }
    if (!f_to.text.empty()) {
      auto t = f_to.Get();
      if (!t.ok()) return void(rc = ExitFor(t.status()));
      to = *t;
    }
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto r = (*e)->Funnel(from, to, f_by, *at, f_refold);
    if (!r.ok()) return void(rc = ExitFor(r.status()));
    if (!f_html.empty()) {
      if (Status w = WriteHtml(f_html, FunnelHtml(*r)); !w.ok()) return void(rc = ExitFor(w));
    }
    if (f_json) {
      std::cout << FunnelJson(*r).dump(2) << "\n";
    } else {
      std::cout << FunnelText(*r);
    }
  });

  auto* stalled = rep->add_subcommand(
      "stalled", "MQLs and SALs nobody acted on, SQLs with no touch, oldest first");
  AtOption st_at;
  std::string st_older = "3d";
  bool st_json = false, st_refold = false;
  stalled->add_option("--at", st_at.text, "as of (RFC 3339), default now");
  stalled->add_option("--older-than", st_older, "idle at least this long (30m, 12h, 3d)")
      ->capture_default_str();
  stalled->add_flag("--json", st_json, "JSON: [{id, stage, owner, since, idle_seconds, who}]");
  stalled->add_flag("--refold", st_refold, "fold every lead instead of reading projections");
  std::string st_html;
  stalled->add_option("--html", st_html, "also write a self-contained HTML page with charts");
  stalled->callback([&] {
    auto at = st_at.Get();
    if (!at.ok()) return void(rc = ExitFor(at.status()));
    auto older = ParseDuration(st_older);
    if (!older || *older < 0) {
      return void(rc = ExitFor(Status::Usage("--older-than '" + st_older +
                                             "' is not a duration like 30m, 12h or 3d")));
    }
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto r = (*e)->Stalled(*at, *older, st_refold);
    if (!r.ok()) return void(rc = ExitFor(r.status()));
    if (!st_html.empty()) {
      if (Status w = WriteHtml(st_html, StalledHtml(*r, *at, *older)); !w.ok())
        return void(rc = ExitFor(w));
    }
    if (st_json) {
      std::cout << StalledJson(*r).dump(2) << "\n";
    } else {
      std::cout << StalledText(*r, *at, *older);
    }
  });

  auto* rsla = rep->add_subcommand("sla", "speed-to-lead compliance by owner and by week");
  AtOption rs_at;
  bool rs_json = false, rs_refold = false;
  rsla->add_option("--at", rs_at.text, "as of (RFC 3339), default now");
  rsla->add_flag("--json", rs_json, "the JSON (docs/reports.md)");
  rsla->add_flag("--refold", rs_refold, "fold every lead instead of reading projections");
  std::string rs_html;
  rsla->add_option("--html", rs_html, "also write a self-contained HTML page with charts");
  rsla->callback([&] {
    auto at = rs_at.Get();
    if (!at.ok()) return void(rc = ExitFor(at.status()));
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto r = (*e)->SlaCompliance(*at, rs_refold);
    if (!r.ok()) return void(rc = ExitFor(r.status()));
    if (!rs_html.empty()) {
      if (Status w = WriteHtml(rs_html, SlaComplianceHtml(*r)); !w.ok())
        return void(rc = ExitFor(w));
    }
    if (rs_json) {
      std::cout << SlaComplianceJson(*r).dump(2) << "\n";
    } else {
      std::cout << SlaComplianceText(*r);
    }
  });

  auto* rexc = rep->add_subcommand(
      "exceptions", "manager overrides and self-qualifications, and how those leads converted");
  AtOption rx_at;
  bool rx_json = false, rx_refold = false;
  rexc->add_option("--at", rx_at.text, "as of (RFC 3339), default now");
  rexc->add_flag("--json", rx_json, "the JSON (docs/reports.md)");
  rexc->add_flag("--refold", rx_refold, "fold every lead instead of reading projections");
  std::string rx_html;
  rexc->add_option("--html", rx_html, "also write a self-contained HTML page with charts");
  rexc->callback([&] {
    auto at = rx_at.Get();
    if (!at.ok()) return void(rc = ExitFor(at.status()));
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto r = (*e)->Exceptions(*at, rx_refold);
    if (!r.ok()) return void(rc = ExitFor(r.status()));
    if (!rx_html.empty()) {
      if (Status w = WriteHtml(rx_html, ExceptionsHtml(*r)); !w.ok()) return void(rc = ExitFor(w));
    }
    if (rx_json) {
      std::cout << ExceptionsJson(*r).dump(2) << "\n";
    } else {
      std::cout << ExceptionsText(*r);
    }
  });

  auto* rfb = rep->add_subcommand(
      "feedback",
      "for marketing: MQL->SAL and MQL->won by source and by rule, top reject reasons per source");
  AtOption fb_at, fb_from, fb_to;
  fb_from.flag = "--from";
  fb_to.flag = "--to";
  bool fb_json = false, fb_refold = false;
  std::string fb_html;
  rfb->add_option("--at", fb_at.text, "as of (RFC 3339), default now");
  rfb->add_option("--from", fb_from.text, "cohort: leads created at or after (RFC 3339)");
  rfb->add_option("--to", fb_to.text, "cohort: leads created before (RFC 3339)");
  rfb->add_flag("--json", fb_json, "the JSON (docs/reports.md)");
  rfb->add_flag("--refold", fb_refold, "fold every lead instead of reading projections");
  rfb->add_option("--html", fb_html, "also write a self-contained HTML page with charts");
  rfb->callback([&] {
    auto at = fb_at.Get();
    if (!at.ok()) return void(rc = ExitFor(at.status()));
    std::optional<Micros> from, to;
    if (!fb_from.text.empty()) {
      auto t = fb_from.Get();
      if (!t.ok()) return void(rc = ExitFor(t.status()));
      from = *t;
    }
    if (!fb_to.text.empty()) {
      auto t = fb_to.Get();
      if (!t.ok()) return void(rc = ExitFor(t.status()));
      to = *t;
    }
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto r = (*e)->Feedback(from, to, *at, fb_refold);
    if (!r.ok()) return void(rc = ExitFor(r.status()));
    if (!fb_html.empty()) {
      if (Status w = WriteHtml(fb_html, FeedbackHtml(*r)); !w.ok()) return void(rc = ExitFor(w));
    }
    if (fb_json) {
      std::cout << FeedbackJson(*r).dump(2) << "\n";
    } else {
      std::cout << FeedbackText(*r);
    }
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

  // serve
  auto* serve = app.add_subcommand("serve", "serve the HTTP API (docs/api.md) on this store");
  server::ServerOptions sopts;
  serve->add_option("--listen", sopts.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->envname("LEADGATE_LISTEN")
      ->capture_default_str();
  serve->add_option("--max-body", sopts.max_body_bytes, "largest request body, in bytes")
      ->envname("LEADGATE_MAX_BODY")
      ->capture_default_str();
  serve
      ->add_option("--max-inflated", sopts.max_inflated_bytes,
                   "largest gzip body after decompression, in bytes")
      ->envname("LEADGATE_MAX_INFLATED")
      ->capture_default_str();
  serve
      ->add_option("--timeout", sopts.timeout_seconds,
                   "seconds to read a request or write a response")
      ->envname("LEADGATE_TIMEOUT")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve->add_option("--max-header", sopts.max_header_bytes, "largest request header, in bytes")
      ->envname("LEADGATE_MAX_HEADER")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--threads", sopts.threads,
                   "network threads (each parses requests and answers lead reads on its own "
                   "read-only store connection)")
      ->envname("LEADGATE_THREADS")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  serve->add_flag("--quiet", sopts.quiet, "no request log lines on stderr")
      ->envname("LEADGATE_QUIET");
  AddWebhookServeOptions(serve, sopts);
  serve->callback([&] {
    sopts.db = db;
    rc = server::Serve(sopts);
  });

  // key
  auto* key = app.add_subcommand("key", "API keys for the HTTP server");
  key->require_subcommand(1);
  auto* kcreate = key->add_subcommand(
      "create", "create a key for a user; prints it once, alone on stdout (only its hash is kept)");
  std::string kuser;
  bool kingest = false;
  kcreate->add_option("USER", kuser, "the user the key speaks for")->required();
  kcreate->add_flag("--ingest-only", kingest, "the key may only send events (marketing systems)");
  kcreate->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto k = (*e)->CreateKey(kuser, kingest, NowMicros());
    if (!k.ok()) return void(rc = ExitFor(k.status()));
    std::cout << k->key << std::endl;
    std::cerr << "key " << k->id << " for " << k->user << (k->ingest_only ? " (ingest-only)" : "")
              << ": store it now, it is not shown again\n";
  });
  auto* klist = key->add_subcommand("list", "list keys (ids, users, state; never the secrets)");
  klist->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    auto keys = (*e)->Keys();
    if (!keys.ok()) return void(rc = ExitFor(keys.status()));
    for (const auto& k : *keys) {
      std::cout << k.id << "  " << k.user << "  " << (k.ingest_only ? "ingest-only" : "full")
                << "  created " << FormatRfc3339(k.created_at)
                << (k.revoked_at ? "  revoked " + FormatRfc3339(*k.revoked_at) : std::string())
                << "\n";
    }
  });
  auto* krevoke = key->add_subcommand("revoke", "revoke a key by its id");
  std::string kid;
  krevoke->add_option("ID", kid, "the key's id (from key list)")->required();
  krevoke->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = ExitFor(e.status()));
    Status s = (*e)->RevokeKey(kid, NowMicros());
    if (s.ok()) std::cout << "revoked " << kid << "\n";
    rc = ExitFor(s);
  });

  AddDemoCommand(app, db, rc);
  AddModelCommands(app, db, rc);
  AddBacktestCommand(app, db, rc);
  AddWebhookCommands(app, db, rc);

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
