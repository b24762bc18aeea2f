// The event log's storage (schema 2): binary event chunks, idempotency by a
// messageId hash with an exact check on every hash hit, the journey read from
// the newest chunks, export, and the migration from a schema-1 store.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "app/engine.h"
#include "ingest/jsonl.h"
#include "qa_support.h"
#include "store/codec.h"

namespace leadgate::testing {
namespace {

const Micros kT0 = 1772323200LL * kSecond;  // 2026-03-01T00:00:00Z

Event Track(const std::string& lead, const std::string& mid, Micros ts,
            const std::string& name = "webinar_attended") {
  Event e;
  e.type = EventType::kTrack;
  e.lead_id = lead;
  e.message_id = mid;
  e.ts = ts;
  e.name = name;
  e.props = {{"webinar", Value::String("audit-prep")}};
  return e;
}

TEST(EventCodec, RoundTripsEveryValueKind) {
  Event e;
  e.type = EventType::kIdentify;
  e.lead_id = "L-1";
  e.message_id = std::string(200, 'm');  // a multi-byte length prefix
  e.ts = -12345;                         // before 1970 still round-trips
  e.name = "identify";
  e.props = {{"s", Value::String("VP Finance — Ünïcode")},
             {"n", Value::Number(1.5e300)},
             {"b", Value::Bool(true)},
             {"z", Value::Null()},
             {"nested", Value::Nested(R"({"a":[1,2]})")},
             {"", Value::String("")}};
  std::string data;
  EncodeEvent(e, &data);
  EncodeEvent(e, &data);
  std::vector<Event> out;
  ASSERT_TRUE(DecodeEvents(data, 2, "L-1", &out).ok());
  ASSERT_EQ(out.size(), 2u);
  for (const Event& d : out) {
    EXPECT_EQ(d.message_id, e.message_id);
    EXPECT_EQ(d.lead_id, "L-1");
    EXPECT_EQ(d.type, e.type);
    EXPECT_EQ(d.ts, e.ts);
    EXPECT_EQ(d.name, e.name);
    EXPECT_EQ(d.props, e.props);
  }
}

TEST(EventCodec, DamagedDataIsAnErrorNotACrash) {
  std::string data;
  EncodeEvent(Track("L-1", "m-1", kT0), &data);
  for (size_t cut = 0; cut < data.size(); ++cut) {
    std::vector<Event> out;
    EXPECT_FALSE(DecodeEvents(std::string_view(data).substr(0, cut), 1, "L-1", &out).ok()) << cut;
  }
  std::vector<Event> out;
  EXPECT_FALSE(DecodeEvents(data, 2, "L-1", &out).ok()) << "asks for more events than stored";
}

class StoreLog : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("playbook.yaml", kTestPlaybook);
    db_ = dir_.File("store.db");
    ASSERT_TRUE(Engine::Init(db_, dir_.File("playbook.yaml")).ok());
    auto e = Engine::Open(db_);
    ASSERT_TRUE(e.ok()) << e.status().message();
    engine_ = std::move(*e);
  }
  void TearDown() override { SetMessageIdHashMaskForTesting(~uint64_t{0}); }

  IngestReport Ingest(const std::vector<Event>& events) {
    IngestReport r;
    Status s = engine_->IngestEvents(events, &r);
    EXPECT_TRUE(s.ok()) << s.message();
    return r;
  }
  std::multiset<std::string> StoredIds() {
    std::multiset<std::string> ids;
    Status s = engine_->store().ForEachEvent([&](const Event& e) {
      ids.insert(e.message_id);
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.message();
    return ids;
  }

  TempDir dir_;
  std::string db_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(StoreLog, HashCollisionsNeverLoseOrDuplicateEvents) {
  // Sixteen possible hashes for 300 messageIds: nearly every insert collides,
  // so every decision goes through the exact check.
  SetMessageIdHashMaskForTesting(0xF);
  std::vector<Event> first, second;
  for (int i = 0; i < 300; ++i) {
    Event e = Track("L-" + std::to_string(i % 7), "m-" + std::to_string(i), kT0 + i * kSecond);
    (i < 200 ? first : second).push_back(e);
  }
  first.push_back(first[5]);  // a repeat within the batch
  IngestReport r1 = Ingest(first);
  EXPECT_EQ(r1.stored, 200);
  EXPECT_EQ(r1.duplicates, 1);

  // Re-sending everything stores only what is new.
  std::vector<Event> all = first;
  all.insert(all.end(), second.begin(), second.end());
  IngestReport r2 = Ingest(all);
  EXPECT_EQ(r2.stored, 100);
  EXPECT_EQ(r2.duplicates, 201);
  IngestReport r3 = Ingest(all);
  EXPECT_EQ(r3.stored, 0);
  EXPECT_EQ(r3.duplicates, 301);

  std::multiset<std::string> ids = StoredIds();
  EXPECT_EQ(ids.size(), 300u);
  for (int i = 0; i < 300; ++i) EXPECT_EQ(ids.count("m-" + std::to_string(i)), 1u) << i;
  auto n = engine_->store().CountEvents();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 300);
}

TEST_F(StoreLog, CollisionsSurviveReopening) {
  SetMessageIdHashMaskForTesting(0x3);
  std::vector<Event> batch;
  for (int i = 0; i < 40; ++i) batch.push_back(Track("L-1", "m-" + std::to_string(i), kT0 + i));
  Ingest(batch);
  engine_.reset();
  auto e = Engine::Open(db_);
  ASSERT_TRUE(e.ok());
  engine_ = std::move(*e);
  IngestReport r = Ingest(batch);
  EXPECT_EQ(r.stored, 0);
  EXPECT_EQ(r.duplicates, 40);
  EXPECT_EQ(StoredIds().size(), 40u);
}

TEST_F(StoreLog, JourneyIsTheLatestEventsAcrossOverlappingChunks) {
  // Three ingests whose times interleave (late events), over 900 events: the
  // lead's log spans several chunks whose time ranges overlap.
  std::vector<Event> all;
  for (int round = 0; round < 3; ++round) {
    std::vector<Event> batch;
    for (int i = 0; i < 300; ++i) {
      Micros ts = kT0 + (i * 3 + round) * kMinute;
      batch.push_back(Track("L-1", "m-" + std::to_string(round) + "-" + std::to_string(i), ts,
                            i % 2 ? "webinar_attended" : "email_replied"));
    }
    Ingest(batch);
    all.insert(all.end(), batch.begin(), batch.end());
  }
  std::sort(all.begin(), all.end(), [](const Event& a, const Event& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.message_id < b.message_id;
  });
  auto fast = engine_->Show("L-1", kT0 + 10 * kDay);
  ASSERT_TRUE(fast.ok()) << fast.status().message();
  EXPECT_EQ(fast->event_count, 900);
  ASSERT_EQ(fast->events.size(), 40u);
  for (size_t i = 0; i < 40; ++i) {
    EXPECT_EQ(fast->events[i].message_id, all[all.size() - 40 + i].message_id) << i;
  }
  auto slow = engine_->Show("L-1", kT0 + 10 * kDay, /*refold=*/true);
  ASSERT_TRUE(slow.ok());
  EXPECT_EQ(slow->state.total, fast->state.total);
  EXPECT_EQ(slow->event_count, fast->event_count);
}

TEST_F(StoreLog, APlaybookAppliedByAnotherProcessIsPickedUp) {
  Ingest({Track("L-1", "m-1", kT0)});
  // Another engine on the same store (the CLI next to a running server).
  auto other = Engine::Open(db_);
  ASSERT_TRUE(other.ok());
  dir_.Write("low.yaml", LowBarPlaybook());
  int64_t version = 0;
  ASSERT_TRUE((*other)->ApplyPlaybook(dir_.File("low.yaml"), kT0 + kHour, &version).ok());
  EXPECT_EQ(version, 2);
  auto r = engine_->Show("L-1", kT0 + kDay);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->state.playbook_version, 2);
  EXPECT_EQ(engine_->versions().size(), 2u);
}

TEST_F(StoreLog, JourneyBreaksTiesOnOneTimestampByMessageId) {
  // 600 events in the same second, over three ingests in shuffled id order:
  // the latest 40 are the 40 greatest messageIds.
  std::vector<std::string> ids;
  for (int i = 0; i < 600; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "m-%03d", i);
    ids.push_back(buf);
  }
  std::vector<Event> batches[3];
  for (int i = 0; i < 600; ++i) {
    batches[(i * 7) % 3].push_back(Track("L-9", ids[static_cast<size_t>((i * 37) % 600)], kT0));
  }
  for (auto& b : batches) Ingest(b);
  auto r = engine_->Show("L-9", kT0 + kDay);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->events.size(), 40u);
  for (size_t i = 0; i < 40; ++i) EXPECT_EQ(r->events[i].message_id, ids[560 + i]) << i;
}

TEST(StoreRefresh, LargeRefreshOnWorkerThreadsEqualsRefold) {
  // Over 512 dirty leads: the refresh splits them into key ranges folded by
  // worker threads with their own connections; the result must equal the
  // always-exact refold, and a rebuild.
  Lg lg;
  std::vector<std::string> lines;
  for (int i = 0; i < 1500; ++i) {
    std::string lead = "L-" + std::to_string(10000 + i);
    lines.push_back(R"({"type":"identify","userId":")" + lead + R"(","traits":{"job_title":")" +
                    (i % 3 ? "VP Sales" : "Engineer") +
                    R"(","industry":"software","company_size":)" + std::to_string(40 + i % 300) +
                    R"(},"timestamp":"2026-03-01T10:00:00Z"})");
    for (int k = 0; k < i % 5; ++k) {
      lines.push_back(R"({"type":"track","userId":")" + lead +
                      R"(","event":"webinar_attended","properties":{},"timestamp":"2026-03-0)" +
                      std::to_string(2 + k) + R"(T10:00:00Z"})");
    }
  }
  RunResult r = lg.Ingest("many.jsonl", Lines(lines));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("1500 leads updated"), std::string::npos) << r.err;
  const std::string at = "2026-04-01T00:00:00Z";
  Json fast = lg.Queue(at, {"--limit", "0"});
  Json slow = lg.Queue(at, {"--limit", "0", "--refold"});
  EXPECT_EQ(fast.size(), 1500u);
  EXPECT_EQ(fast, slow);
  for (int i : {0, 1, 777, 1499}) {
    std::string lead = "L-" + std::to_string(10000 + i);
    Json a = lg.Show(lead, at);
    Json b = lg.RunJson({"show", lead, "--json", "--at", at, "--refold"});
    EXPECT_EQ(a["score"], b["score"]) << lead;
    EXPECT_EQ(a["explanation"], b["explanation"]) << lead;
    EXPECT_EQ(a["stage"], b["stage"]) << lead;
  }
  lg.Ok({"rebuild"});
  EXPECT_EQ(lg.Queue(at, {"--limit", "0"}), fast);
}

TEST(StoreExport, ExportReingestsIntoAnIdenticalStore) {
  Lg a;
  std::vector<std::string> lines;
  for (int i = 0; i < 30; ++i) {
    std::string lead = "L-" + std::to_string(i % 4);
    std::string ts =
        "2026-03-0" + std::to_string(1 + i % 5) + "T1" + std::to_string(i % 10) + ":00:00Z";
    if (i % 3 == 0) {
      lines.push_back(
          R"({"type":"identify","userId":")" + lead +
          R"(","traits":{"job_title":"VP Sales","industry":"software","company_size":)" +
          std::to_string(100 + i) + R"(,"ref":{"a":1}},"timestamp":")" + ts + R"("})");
    } else if (i % 3 == 1) {
      lines.push_back(
          R"({"type":"page","userId":")" + lead +
          R"(","name":"Pricing","properties":{"url":"https://acme.io/pricing"},"timestamp":")" +
          ts + R"(","messageId":"p-)" + std::to_string(i) + R"("})");
    } else {
      lines.push_back(
          R"({"type":"track","userId":")" + lead +
          R"(","event":"webinar_attended","properties":{"ok":true,"n":null},"timestamp":")" + ts +
          R"(","messageId":"t-)" + std::to_string(i) + R"("})");
    }
  }
  ASSERT_EQ(a.Ingest("in.jsonl", Lines(lines)).exit_code, 0);
  RunResult exp = a.Ok({"export", "events"});
  EXPECT_EQ(std::count(exp.out.begin(), exp.out.end(), '\n'), 30);

  Lg b;
  b.Write("export.jsonl", exp.out);
  RunResult r = b.Ok({"ingest", "export.jsonl"});
  EXPECT_NE(r.err.find("30 stored"), std::string::npos) << r.err;
  // Re-ingesting the export into the original store is a no-op.
  a.Write("export.jsonl", exp.out);
  r = a.Ok({"ingest", "export.jsonl"});
  EXPECT_NE(r.err.find("0 stored"), std::string::npos) << r.err;
  for (int i = 0; i < 4; ++i) {
    std::string lead = "L-" + std::to_string(i);
    EXPECT_EQ(a.Show(lead, "2026-04-01T00:00:00Z"), b.Show(lead, "2026-04-01T00:00:00Z")) << lead;
  }
  EXPECT_EQ(b.Ok({"export", "events"}).out, exp.out);
  RunResult one = a.Ok({"export", "events", "--lead", "L-1"});
  EXPECT_GT(one.out.size(), 0u);
  EXPECT_EQ(one.out.find("\"L-2\""), std::string::npos);
  EXPECT_EQ(a.Run({"export", "events", "--lead", "nobody"}).exit_code, 1);
}

TEST(StoreMigration, SchemaOneStoreIsConvertedOnOpen) {
  TempDir dir;
  dir.Write("playbook.yaml", kTestPlaybook);
  std::string db = dir.File("old.db");
  {
    // A store as leadgate 0.1 (schema 1) wrote it: one row per event, the raw
    // line as body.
    SQLite::Database d(db, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    d.exec(R"SQL(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE playbooks(version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL,
  source TEXT NOT NULL, file TEXT, recorded_at INTEGER NOT NULL);
CREATE TABLE users(name TEXT PRIMARY KEY, role TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE events(lead_id TEXT NOT NULL, ts INTEGER NOT NULL, message_id TEXT NOT NULL,
  type INTEGER NOT NULL, name TEXT NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY(lead_id, ts, message_id)) WITHOUT ROWID;
CREATE UNIQUE INDEX events_by_message_id ON events(message_id);
CREATE TABLE actions(seq INTEGER PRIMARY KEY, lead_id TEXT NOT NULL, action TEXT NOT NULL,
  by_user TEXT NOT NULL, role TEXT NOT NULL, ts INTEGER NOT NULL, reason TEXT, channel TEXT,
  budget TEXT, authority TEXT, need TEXT, timeline TEXT, current_solution TEXT,
  recorded_at INTEGER NOT NULL);
CREATE INDEX actions_by_lead ON actions(lead_id, ts);
CREATE TABLE dirty(lead_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE leads(id TEXT PRIMARY KEY, stage TEXT NOT NULL, open INTEGER NOT NULL,
  fit REAL NOT NULL, eng_sum REAL NOT NULL, eng_ref INTEGER NOT NULL, eng_key REAL NOT NULL,
  first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, owner TEXT,
  playbook_version INTEGER NOT NULL, state TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX leads_by_fit ON leads(open, fit DESC, id, stage, eng_sum, eng_ref, eng_key,
  last_at, owner);
CREATE INDEX leads_by_eng ON leads(open, eng_key DESC, id, stage, fit, eng_sum, eng_ref,
  last_at, owner);
CREATE TABLE history(lead_id TEXT NOT NULL, idx INTEGER NOT NULL, at INTEGER NOT NULL,
  from_stage TEXT NOT NULL, to_stage TEXT NOT NULL, by_user TEXT NOT NULL, reason TEXT,
  rule TEXT, exception INTEGER NOT NULL, playbook_version INTEGER NOT NULL,
  PRIMARY KEY(lead_id, idx)) WITHOUT ROWID;
PRAGMA user_version=1;
)SQL");
    SQLite::Statement pb(d, "INSERT INTO playbooks VALUES(1, ?, ?, 'playbook.yaml', 0)");
    pb.bind(1, static_cast<int64_t>(INT64_MIN));
    pb.bind(2, std::string(kTestPlaybook));
    pb.exec();
    const char* lines[] = {
        R"({"type":"identify","userId":"L-1","traits":{"job_title":"VP Sales","industry":"software"},"timestamp":"2026-03-01T10:00:00Z","messageId":"m-1"})",
        R"({"type":"page","userId":"L-1","name":"Pricing","properties":{"url":"https://acme.io/pricing"},"timestamp":"2026-03-02T10:00:00Z","messageId":"m-2"})",
        R"({"type":"track","userId":"L-1","event":"webinar_attended","properties":{},"timestamp":"2026-03-03T10:00:00Z","messageId":"m-3"})",
    };
    for (const char* line : lines) {
      Event e;
      ASSERT_TRUE(ParseEvent(line, &e).ok());
      SQLite::Statement q(d, "INSERT INTO events VALUES(?,?,?,?,?,?)");
      q.bind(1, e.lead_id);
      q.bind(2, static_cast<int64_t>(e.ts));
      q.bind(3, e.message_id);
      q.bind(4, static_cast<int>(e.type));
      q.bind(5, e.name);
      q.bind(6, std::string(line));
      q.exec();
    }
  }
  RunResult old_show = RunLeadgate(
      {"--db", db, "show", "L-1", "--json", "--at", "2026-03-04T00:00:00Z"}, dir.path());
  ASSERT_EQ(old_show.exit_code, 0) << old_show.err;
  Json j = Json::parse(old_show.out);
  EXPECT_EQ(j["events"], 3);
  EXPECT_EQ(j["traits"]["job_title"], "VP Sales");
  EXPECT_GT(j["score"]["engagement"].get<double>(), 0);
  {
    SQLite::Database d(db, SQLite::OPEN_READONLY);
    EXPECT_GE(d.execAndGet("PRAGMA user_version").getInt(), 2);
    EXPECT_FALSE(d.tableExists("events"));
    EXPECT_EQ(d.execAndGet("SELECT sum(n) FROM chunks").getInt64(), 3);
  }
  // The converted messageIds still make re-sending a no-op.
  dir.Write(
      "again.jsonl",
      R"({"type":"page","userId":"L-1","name":"Pricing","properties":{"url":"https://acme.io/pricing"},"timestamp":"2026-03-02T10:00:00Z","messageId":"m-2"})"
      "\n");
  RunResult r = RunLeadgate({"--db", db, "ingest", "again.jsonl"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("0 stored, 1 already stored"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace leadgate::testing
