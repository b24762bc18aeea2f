// Crash safety: `leadgate ingest` killed with SIGKILL part-way through a big
// file, then run again, must leave exactly what one clean run leaves: every
// distinct event once, and the same queue, SLA report and dossiers.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "demo/generator.h"
#include "ingest/jsonl.h"
#include "qa_support.h"

namespace leadgate::testing {
namespace {

constexpr int64_t kLeads = 2000;
constexpr int64_t kActivities = 255000;           // > one commit batch (250k) with the identifies
const char* const kEnd = "2026-06-01T00:00:00Z";  // after every generated event
const char* const kMid = "2026-04-01T00:00:00Z";

// Starts `leadgate --db DB ingest FILE` in `dir`; returns its pid.
pid_t StartIngest(const std::string& dir, const std::string& db, const std::string& file) {
  std::string out = dir + "/child.out", err = dir + "/child.err";
  pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(127);
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int n = open("/dev/null", O_RDONLY);
    dup2(n, 0);
    dup2(o, 1);
    dup2(e, 2);
    std::string bin = LEADGATE_BIN;
    std::vector<std::string> args = {bin, "--db", db, "ingest", file};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

// Events stored so far, read through a separate read-only connection (-1 when
// the store cannot be read at this moment).
int64_t StoredEvents(const std::string& db) {
  try {
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    d.setBusyTimeout(50);
    return d.execAndGet("SELECT coalesce(sum(n), 0) FROM chunks").getInt64();
  } catch (const std::exception&) {
    return -1;
  }
}

// The stored messageIds, sorted, as `leadgate export events` writes them.
std::vector<std::string> StoredMessageIds(const std::string& db) {
  std::vector<std::string> ids;
  RunResult r = RunLeadgate({"--db", db, "export", "events"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  size_t pos = 0;
  while (pos < r.out.size()) {
    size_t end = r.out.find('\n', pos);
    if (end == std::string::npos) end = r.out.size();
    Json j = Json::parse(r.out.substr(pos, end - pos));
    ids.push_back(j["messageId"].get<std::string>());
    pos = end + 1;
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

int64_t FileSize(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  return f ? static_cast<int64_t>(f.tellg()) : 0;
}

struct Killed {
  bool progressed = false;  // `ready` said so before the process ended
  bool exited = false;      // it ended by itself
  bool killed = false;      // it died of our SIGKILL
};

// Starts an ingest of `file`, polls `ready` (bounded, 120 s) and SIGKILLs the
// process as soon as it returns true.
template <typename Ready>
Killed RunAndKill(const std::string& dir, const std::string& db, const std::string& file,
                  Ready ready) {
  Killed k;
  pid_t pid = StartIngest(dir, db, file);
  if (pid <= 0) return k;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      k.exited = true;
      return k;
    }
    if (ready(pid)) {
      k.progressed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // poll interval
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  k.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  return k;
}

class CrashTest : public ::testing::Test {
 protected:
  // One input file and one reference store (a clean, uninterrupted ingest),
  // shared by the tests of this suite.
  static void SetUpTestSuite() {
    shared_ = new Shared();
    Shared& s = *shared_;
    std::ostringstream gen;
    demo::GenOptions opt;
    opt.leads = kLeads;
    opt.events = kActivities;
    opt.seed = 7;
    demo::GenerateEvents(opt, gen);
    std::string data = gen.str();
    // Re-sent lines (duplicates of the first 3000), and events without a
    // messageId, each sent twice: both kinds must be stored once.
    std::vector<std::string> extra;
    {
      std::istringstream in(data);
      std::string line;
      for (int i = 0; i < 3000 && std::getline(in, line); ++i) extra.push_back(line);
    }
    for (int i = 0; i < 500; ++i) {
      std::string l = R"({"type":"track","userId":"L-)" + std::string(i % 2 ? "000001" : "000002") +
                      R"(","event":"email_clicked","properties":{"n":)" + std::to_string(i) +
                      R"(},"timestamp":"2026-03-02T10:00:00Z"})";
      extra.push_back(l);
      extra.push_back(l);
    }
    data += Lines(extra);
    s.dir.Write("events.jsonl", data);

    // The distinct events of the file, by messageId (derived when absent).
    std::set<std::string> ids, leads;
    std::istringstream in(data);
    std::string line;
    while (std::getline(in, line)) {
      ++s.lines;
      Event e;
      Status st = ParseEvent(line, &e);
      ASSERT_TRUE(st.ok()) << st.message() << ": " << line.substr(0, 200);
      ids.insert(e.message_id);
      leads.insert(e.lead_id);
    }
    s.distinct.assign(ids.begin(), ids.end());
    s.leads = static_cast<int64_t>(leads.size());

    s.dir.Write("playbook.yaml", kTestPlaybook);
    s.ref_db = s.dir.File("reference.db");
    ASSERT_EQ(RunLeadgate({"--db", s.ref_db, "init", "--playbook", "playbook.yaml"}, s.dir.path())
                  .exit_code,
              0);
    s.ref_ingest = RunLeadgate({"--db", s.ref_db, "ingest", "events.jsonl"}, s.dir.path());
    ASSERT_EQ(s.ref_ingest.exit_code, 0) << s.ref_ingest.err;
  }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }

  struct Shared {
    TempDir dir;
    std::vector<std::string> distinct;  // sorted messageIds
    int64_t leads = 0, lines = 0;
    std::string ref_db;
    RunResult ref_ingest;
  };
  static Shared* shared_;

  static Json RunJson(const std::string& db, const std::vector<std::string>& args) {
    std::vector<std::string> full = {"--db", db};
    full.insert(full.end(), args.begin(), args.end());
    RunResult r = RunLeadgate(full, shared_->dir.path());
    EXPECT_EQ(r.exit_code, 0) << Lg::Describe(full) << ": " << r.err;
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out.substr(0, 300);
    return j;
  }
};
CrashTest::Shared* CrashTest::shared_ = nullptr;

TEST_F(CrashTest, KilledIngestResumesWithNothingLostOrDuplicated) {
  const Shared& s = *shared_;
  ASSERT_FALSE(s.distinct.empty());
  TempDir work;
  std::string db = work.File("store.db");
  ASSERT_EQ(
      RunLeadgate({"--db", db, "init", "--playbook", s.dir.File("playbook.yaml")}, work.path())
          .exit_code,
      0);
  const std::string file = s.dir.File("events.jsonl");

  // Kill it once it has visibly made progress: a first commit of events (so
  // part of the file is stored and the rest is not, or the leads are being
  // refreshed), or a write-ahead log grown past 64 MB.
  Killed k = RunAndKill(work.path(), db, file, [&](pid_t) {
    return StoredEvents(db) > 0 || FileSize(db + "-wal") > (int64_t{64} << 20);
  });
  ASSERT_TRUE(k.progressed) << "the ingest " << (k.exited ? "finished" : "made no progress")
                            << " before it could be killed: "
                            << ReadFile(work.File("child.err")).substr(0, 500);
  ASSERT_TRUE(k.killed) << "the ingest ended by itself before the kill";
  int64_t after_kill = StoredEvents(db);
  ASSERT_GE(after_kill, 0);
  EXPECT_LE(after_kill, static_cast<int64_t>(s.distinct.size()));

  // The killed store is usable as it is.
  // (L-000001 is stored when a commit that holds one of its events made it.)
  RunResult r = RunLeadgate({"--db", db, "show", "L-000001", "--json", "--at", kEnd}, work.path());
  if (after_kill == 0) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
  }
  if (r.exit_code == 1) {
    EXPECT_NE(r.err.find("no lead 'L-000001'"), std::string::npos) << r.err;
  } else {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_FALSE(Json::parse(r.out, nullptr, false).is_discarded()) << r.out;
  }
  r = RunLeadgate({"--db", db, "queue", "--json", "--limit", "5", "--at", kEnd}, work.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(Json::parse(r.out, nullptr, false).is_discarded()) << r.out;

  // Run it again to completion.
  r = RunLeadgate({"--db", db, "ingest", s.dir.File("events.jsonl")}, work.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  int64_t now_stored = static_cast<int64_t>(s.distinct.size()) - after_kill;
  EXPECT_NE(r.err.find(Counted(now_stored, "stored")), std::string::npos)
      << "the second run stores exactly what the first did not (" << now_stored << "): " << r.err;

  // Every distinct event once: nothing lost, nothing duplicated.
  EXPECT_EQ(StoredEvents(db), static_cast<int64_t>(s.distinct.size()));
  EXPECT_TRUE(StoredMessageIds(db) == s.distinct) << "the stored messageIds differ from the file's";

  // Same answers as the uninterrupted reference store.
  for (const char* at : {kEnd, kMid}) {
    SCOPED_TRACE(at);
    Json q = RunJson(db, {"queue", "--json", "--at", at});
    Json want = RunJson(s.ref_db, {"queue", "--json", "--at", at});
    EXPECT_EQ(q.size(), want.size());
    EXPECT_TRUE(q == want) << "queue differs from a clean ingest";
    EXPECT_EQ(RunJson(db, {"sla", "--json", "--at", at}),
              RunJson(s.ref_db, {"sla", "--json", "--at", at}));
  }
  for (const char* lead : {"L-000001", "L-000002", "L-000500", "L-001999"}) {
    EXPECT_EQ(RunJson(db, {"show", lead, "--json", "--at", kEnd}),
              RunJson(s.ref_db, {"show", lead, "--json", "--at", kEnd}))
        << lead;
  }
  // And a third run changes nothing.
  r = RunLeadgate({"--db", db, "ingest", s.dir.File("events.jsonl")}, work.path());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find(" 0 stored"), std::string::npos) << r.err;
  EXPECT_EQ(StoredEvents(db), static_cast<int64_t>(s.distinct.size()));
}

TEST_F(CrashTest, CleanIngestSummary) {
  const Shared& s = *shared_;
  const std::string& err = s.ref_ingest.err;
  EXPECT_NE(err.find(Counted(static_cast<int64_t>(s.distinct.size()), "stored")), std::string::npos)
      << err;
  int64_t dups = s.lines - static_cast<int64_t>(s.distinct.size());
  EXPECT_NE(err.find(Counted(dups, "already stored")), std::string::npos) << err;
  EXPECT_NE(err.find(" 0 rejected"), std::string::npos) << err;
  EXPECT_EQ(StoredEvents(s.ref_db), static_cast<int64_t>(s.distinct.size()));
  std::string want = Counted(s.leads, "leads updated");
  EXPECT_NE(err.find(want), std::string::npos)
      << "the summary counts each lead once, not once per commit batch: " << s.leads
      << " distinct leads, but it prints: " << err;
}

}  // namespace
}  // namespace leadgate::testing
