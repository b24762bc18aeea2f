#include "app/engine.h"

#include <SQLiteCpp/Database.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <istream>
#include <mutex>
#include <queue>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "app/projection.h"
#include "app/routing.h"
#include "common/bounded_queue.h"
#include "ingest/csv.h"
#include "ingest/jsonl.h"

namespace leadgate {
namespace {

constexpr size_t kBatch = 250000;          // events per commit: big commits write each page once
constexpr int64_t kBatchBytes = 96 << 20;  // ... and at most this much JSON (long lines)
constexpr size_t kMaxErrorsKept = 1000;

// LEADGATE_TRACE=1 prints phase timings to stderr (for profiling).
const Micros kProcessStart = NowMicros();
void Trace(const char* what) {
  static const bool on = std::getenv("LEADGATE_TRACE") != nullptr;
  const Micros start = kProcessStart;
  if (on)
    std::fprintf(stderr, "[trace] %8.3fs %s\n", static_cast<double>(NowMicros() - start) / 1e6,
                 what);
}

std::vector<const Event*> Ptrs(const std::vector<Event>& v) {
  std::vector<const Event*> out;
  out.reserve(v.size());
  for (const auto& e : v) out.push_back(&e);
  return out;
}
std::vector<const Action*> Ptrs(const std::vector<Action>& v) {
  std::vector<const Action*> out;
  out.reserve(v.size());
  for (const auto& a : v) out.push_back(&a);
  return out;
}

void AddError(IngestReport* r, std::string where, int64_t line, std::string reason) {
  ++r->rejected;
  if (r->errors.size() < kMaxErrorsKept)
    r->errors.push_back({std::move(where), line, std::move(reason)});
}

}  // namespace

std::string DescribeLead(const std::map<std::string, Value>& traits) {
  auto get = [&](const char* k) {
    auto it = traits.find(k);
    return it == traits.end() ? std::string() : std::string(TrimSpaces(it->second.ToText()));
  };
  std::string name = get("first_name");
  std::string last = get("last_name");
  if (!last.empty()) name += (name.empty() ? "" : " ") + last;
  if (name.empty()) name = get("name");
  std::string title = get("job_title"), company = get("company");
  std::string out = name;
  if (!title.empty()) out += (out.empty() ? "" : ", ") + title;
  if (!company.empty()) out += (title.empty() ? (out.empty() ? "" : ", ") : " at ") + company;
  if (out.empty()) out = get("email");
  return out;
}

Status Engine::Init(const std::string& db_path, const std::string& playbook_path, int page_size) {
  auto pb = LoadPlaybookFile(playbook_path);
  if (!pb.ok()) return pb.status();
  auto store = Store::Open(db_path, true, page_size);
  if (!store.ok()) return store.status();
  if (Status s = (*store)->Begin(); !s.ok()) return s;
  if (Status s = (*store)->AddPlaybook(1, INT64_MIN, (*pb)->source, playbook_path); !s.ok()) {
    (*store)->Rollback();
    return s;
  }
  return (*store)->Commit();
}

Result<std::unique_ptr<Engine>> Engine::Open(const std::string& db_path) {
  auto store = Store::Open(db_path, false);
  if (!store.ok()) return store.status();
  std::unique_ptr<Engine> e(new Engine());
  e->path_ = db_path;
  e->store_ = std::move(*store);
  auto v = e->store_->Playbooks();
  if (!v.ok()) return v.status();
  e->versions_ = std::move(*v);
  return e;
}

namespace {
// A key that orders leads by engagement at any time T after their last point:
// sum * 0.5^((T - ref)/hl) is monotone in log2(sum) + ref/hl for every T.
double EngagementKey(const LeadState& s, const Playbook& pb) {
  if (s.engagement_sum_at_ref <= 0) return -1e300;
  if (!pb.half_life) return s.engagement_sum_at_ref;
  return std::log2(s.engagement_sum_at_ref) +
         static_cast<double>(s.engagement_ref) / static_cast<double>(*pb.half_life);
}
}  // namespace

const Playbook& Engine::PlaybookOf(const LeadState& s) const {
  const Playbook* pb = versions_.front().playbook.get();
  for (const auto& v : versions_) {
    if (v.version == s.playbook_version) pb = v.playbook.get();
  }
  return *pb;
}

Status Engine::Save(const LeadState& s) {
  Status st = store_->SaveProjection(s, EngagementKey(s, PlaybookOf(s)),
                                     EncodeProjection(s, s.events, &PlaybookOf(s)),
                                     DescribeLead(s.traits), /*fresh=*/false);
  if (st.ok()) st = NoteSaved(s, OpenSlaClock(s), !s.clocks.empty(), /*route=*/true);
  return st;
}

const Playbook& Engine::PlaybookAt(Micros at) const {
  size_t i = 0;
  while (i + 1 < versions_.size() && versions_[i + 1].applied_at <= at) ++i;
  return *versions_[i].playbook;
}

FoldOptions Engine::Options(Micros as_of) {
  while (caches_.size() < versions_.size()) {
    caches_.emplace_back(versions_[caches_.size()].playbook->memo_slots);
  }
  FoldOptions opts;
  opts.as_of = as_of;
  opts.caches = &caches_;
  return opts;
}

// Refolds every lead marked dirty (all: every lead) and saves its projection,
// inside the caller's transaction. The leads are split into key ranges of
// about equal events, one per core; a worker per range (its own connection
// and regex caches) reads, decodes and folds its leads and encodes their
// projections; this thread writes them.
Status Engine::FoldAndSave(bool all, int64_t* count) {
  struct Item {
    LeadState state;  // id, scores, stage, history: what the row needs
    double key = 0;
    std::string blob, who;
    bool erase = false;
    std::optional<std::pair<Micros, Micros>> sla_open;  // the open SLA clock, for the timer
    bool had_clock = false;
  };
  using Chunk = std::vector<Item>;
  if (!all) {
    // A small refresh (an HTTP request or a server's group of them, an
    // action's batch) runs here, on this connection: no threads, no extra
    // connections (whose page caches start cold), no sampling.
    auto dirty = store_->DirtyCount();
    if (!dirty.ok()) return dirty.status();
    if (*dirty <= 20000) {
      struct Log {
        std::string id;
        std::vector<Event> events;
        std::vector<Action> actions;
      };
      std::vector<Log> logs;
      Status s = store_->ForEachLead(
          false, [&](const std::string& id, const std::vector<const Event*>& events,
                     std::vector<Action>& actions) {
            Log& l = logs.emplace_back();
            l.id = id;
            l.events.reserve(events.size());
            for (const Event* e : events) l.events.push_back(*e);
            l.actions = std::move(actions);
            return Status::Ok();
          });
      if (!s.ok()) return s;
      FoldOptions opts = Options(INT64_MAX);
      const bool notify = BeginChanges(/*bulk=*/false);
      std::unordered_map<std::string, std::vector<HistoryEntry>> old;
      if (notify) s = DirtyHistories(&old);
      if (!s.ok()) return s;
      static const std::vector<HistoryEntry> kNone;
      for (const Log& l : logs) {
        LeadState st = Fold(l.id, Ptrs(l.events), Ptrs(l.actions), versions_, opts);
        if (notify && st.exists) {
          auto it = old.find(l.id);
          s = NotifyChanges(st, DescribeLead(st.traits), it == old.end() ? &kNone : &it->second);
        }
        if (s.ok()) s = st.exists ? Save(st) : store_->DeleteProjection(l.id);
        if (!s.ok()) return s;
        if (count) ++*count;
      }
      // Every dirty lead was refolded above (same transaction): one delete.
      return logs.empty() ? Status::Ok() : store_->ClearDirty();
    }
  }
  const int parts = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  std::vector<std::string> cuts;
  if (parts > 1) {
    auto split = store_->SplitLeads(parts);
    if (!split.ok()) return split.status();
    cuts = std::move(*split);
  }
  const size_t workers = cuts.size() + 1;
  BoundedQueue<Chunk> queue(4 * workers);
  std::vector<Status> status(workers, Status::Ok());
  std::atomic<size_t> running{workers};
  std::vector<std::thread> threads;
  for (size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      const std::string from = w == 0 ? "" : cuts[w - 1];
      const std::string to = w + 1 == workers ? "" : cuts[w];
      auto reader = Store::Open(path_, false);
      if (!reader.ok()) {
        status[w] = reader.status();
      } else {
        (*reader)->SetCacheKiB(32768);
        std::vector<MatchCache> caches;
        for (const auto& v : versions_) caches.emplace_back(v.playbook->memo_slots);
        FoldOptions opts;
        opts.as_of = INT64_MAX;
        opts.caches = &caches;
        Chunk chunk;
        status[w] = (*reader)->ForEachLead(
            all,
            [&](const std::string& id, const std::vector<const Event*>& events,
                std::vector<Action>& actions) {
              Item it;
              it.state = Fold(id, events, Ptrs(actions), versions_, opts);
              if (!it.state.exists) {
                it.erase = true;
                it.state.id = id;
              } else {
                it.key = EngagementKey(it.state, PlaybookOf(it.state));
                it.blob = EncodeProjection(it.state, it.state.events, &PlaybookOf(it.state));
                it.who = DescribeLead(it.state.traits);
                it.sla_open = OpenSlaClock(it.state);
                it.had_clock = !it.state.clocks.empty();
                LeadState& st = it.state;  // the writer needs only the row's columns
                st.traits.clear();
                st.fields.clear();
                st.explanation.clear();
                st.clocks.clear();
                st.warnings.clear();
                st.bant.reset();
              }
              chunk.push_back(std::move(it));
              if (chunk.size() >= 128) {
                if (!queue.Push(std::move(chunk))) return Status::Internal("refresh cancelled");
                chunk.clear();
              }
              return Status::Ok();
            },
            from, to);
        if (status[w].ok() && !chunk.empty()) queue.Push(std::move(chunk));
      }
      if (--running == 0) queue.Close();
    });
  }
  Status s = Status::Ok();
  // A rebuild (all) replays history: it notifies nothing.
  const bool notify = !all && BeginChanges(/*bulk=*/true);
  while (s.ok()) {
    std::optional<Chunk> chunk = queue.Pop();
    if (!chunk) break;
    for (Item& it : *chunk) {
      if (notify && !it.erase) s = NotifyChanges(it.state, it.who);
      if (!s.ok()) break;
      s = it.erase ? store_->DeleteProjection(it.state.id)
                   : store_->SaveProjection(it.state, it.key, it.blob, it.who, /*fresh=*/all);
      if (s.ok() && !it.erase) s = NoteSaved(it.state, it.sla_open, it.had_clock, !all);
      if (s.ok() && !all) s = store_->ClearDirty(it.state.id);
      if (!s.ok()) break;
      if (count) ++*count;
    }
  }
  queue.Close();  // unblocks the workers if we stopped early
  for (auto& t : threads) t.join();
  for (const Status& w : status) {
    if (s.ok() && !w.ok()) s = w;
  }
  return s;
}

// Refolds every lead marked dirty, in its own transaction (call it outside
// one). A crash leaves the marks in place, and the next refresh redoes them.
Status Engine::RefreshDirty() {
  Trace("refresh: start");
  Status s = store_->Begin();
  if (s.ok()) s = FoldAndSave(/*all=*/false, nullptr);
  if (s.ok()) {
    auto last = store_->MaxPointTime();
    s = last.ok() ? RouteInTxn(*last) : last.status();
  }
  Trace("refresh: folded");
  if (!s.ok()) {
    store_->Rollback();
    return s;
  }
  s = store_->Commit();
  Trace("refresh: committed");
  if (s.ok()) EmitCommitted();
  return s;
}

Status Engine::ApplyPlaybook(const std::string& path, Micros at, int64_t* version) {
  auto pb = LoadPlaybookFile(path);
  if (!pb.ok()) return pb.status();
  return ApplyLoaded(*pb, path, at, version);
}

Status Engine::ApplyLoaded(std::shared_ptr<const Playbook> pb, const std::string& name, Micros at,
                           int64_t* version) {
  if (Status r = ReloadVersionsIfChanged(); !r.ok()) return r;
  const PlaybookVersion& last = versions_.back();
  if (versions_.size() > 1 && at < last.applied_at) {
    return Status::Refused("the apply time " + FormatRfc3339(at) + " is before version " +
                           std::to_string(last.version) + "'s (" + FormatRfc3339(last.applied_at) +
                           "): versions are applied in time order");
  }
  *version = last.version + 1;
  if (Status r = CheckRoutingUsers(*pb); !r.ok()) return r;
  if (Status s = store_->Begin(); !s.ok()) return s;
  Status s = store_->AddPlaybook(*version, at, pb->source, name);
  if (s.ok()) s = store_->MarkAllDirty();
  if (s.ok()) s = store_->BumpLastPoint(at);
  if (s.ok()) s = store_->Commit();
  if (!s.ok()) {
    store_->Rollback();
    return s;
  }
  versions_.push_back({*version, at, std::move(pb)});
  return RefreshDirty();
}

Status Engine::AddUser(const std::string& name, const std::string& role) {
  auto r = ParseRole(role);
  if (!r) {
    return Status::Usage("unknown role '" + role + "': use marketing, rep, manager or admin");
  }
  if (TrimSpaces(name).empty()) return Status::Invalid("a user needs a name");
  auto existing = store_->GetUser(name);
  if (!existing.ok()) return existing.status();
  if (*existing) {
    return Status::Invalid("user '" + name + "' already exists (role " +
                           RoleName((*existing)->role) + ")");
  }
  if (Status s = store_->Begin(); !s.ok()) return s;
  if (Status s = store_->AddUser(name, *r); !s.ok()) {
    store_->Rollback();
    return s;
  }
  return store_->Commit();
}

Status Engine::StoreBatch(const EventBatch& batch, IngestReport* report,
                          std::unordered_set<std::string>* touched, std::vector<char>* duplicate) {
  if (Status r = ReloadVersionsIfChanged(); !r.ok()) return r;
  if (Status s = store_->Begin(); !s.ok()) return s;
  auto r = store_->AppendBatch(batch, touched);
  Status s = r.ok() ? Status::Ok() : r.status();
  if (s.ok() && r->max_ts != INT64_MIN) s = store_->BumpLastPoint(r->max_ts);
  if (s.ok()) s = store_->Commit();
  if (!s.ok()) {
    store_->Rollback();
    return s;
  }
  report->stored += r->stored;
  report->duplicates += r->duplicates;
  for (auto& id : r->leads) touched->insert(std::move(id));
  if (duplicate) *duplicate = std::move(r->duplicate);
  return Status::Ok();
}

Status Engine::StoreBatch(const std::vector<Event>& events, IngestReport* report,
                          std::unordered_set<std::string>* touched, std::vector<char>* duplicate) {
  EventBatch batch;
  for (const Event& e : events) batch.Add(e);
  batch.Finish();
  return StoreBatch(batch, report, touched, duplicate);
}

Status Engine::IngestEvents(const std::vector<Event>& events, IngestReport* report,
                            std::vector<char>* duplicate, const std::function<void()>& durable,
                            bool refresh) {
  std::unordered_set<std::string> touched;
  if (Status s = StoreBatch(events, report, &touched, duplicate); !s.ok()) return s;
  report->leads_touched += static_cast<int64_t>(touched.size());
  if (durable) durable();
  return refresh ? RefreshIngested() : Status::Ok();
}

Status Engine::RefreshIngested() {
  // The events and their leads' dirty marks are synced already; the refold
  // is derived from them, so its commit need not wait for the disk: WAL
  // keeps commits in order, and one lost to a power cut leaves its leads
  // dirty, to be refolded by the next refresh.
  store_->SetSynchronous(false);
  Status s = RefreshDirty();
  store_->SetSynchronous(true);
  return s;
}

Status Engine::Ingest(std::istream& in, const std::string& name, int64_t size_hint,
                      std::ostream* rejects, ProgressSink* progress, IngestReport* report) {
  // Two stages on two cores: this thread reads, parses and encodes lines into
  // batches; a writer thread stores each batch in its own transaction. The
  // batches are synced to disk by the final commit (synchronous=NORMAL until
  // then): when ingest returns OK, everything it stored is durable.
  struct Batch {
    EventBatch events;
    int64_t bytes = 0;
  };
  BoundedQueue<Batch> queue(1);
  Status write_status = Status::Ok();
  std::unordered_set<std::string> touched;
  store_->SetSynchronous(false);
  std::thread writer([&] {
    while (std::optional<Batch> b = queue.Pop()) {
      if (!write_status.ok()) continue;  // drain after a failure
      write_status = StoreBatch(b->events, report, &touched);
      if (write_status.ok() && progress) progress->Update(b->bytes, size_hint);
    }
  });
  auto batch = std::make_unique<Batch>();
  std::string line;
  int64_t lineno = 0, bytes = 0;
  auto push = [&] {
    batch->bytes = bytes;
    batch->events.Finish();
    bool ok = queue.Push(std::move(*batch));
    batch = std::make_unique<Batch>();
    return ok;
  };
  while (std::getline(in, line)) {
    ++lineno;
    bytes += static_cast<int64_t>(line.size()) + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lineno == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 BOM
    if (TrimSpaces(line).empty()) continue;
    ++report->lines;
    Event e;
    Status s = ParseEvent(line, &e, /*with_props=*/true);
    if (!s.ok()) {
      AddError(report, name + ":" + std::to_string(lineno), lineno, s.message());
      if (rejects) *rejects << line << '\n';
      continue;
    }
    batch->events.Add(e);
    if (batch->events.size() >= kBatch ||
        batch->events.bytes() >= static_cast<size_t>(kBatchBytes)) {
      if (!push()) break;
    }
  }
  if (batch->events.size() > 0) push();
  queue.Close();
  writer.join();
  const bool read_failed = in.bad();
  store_->SetSynchronous(true);
  if (!write_status.ok()) return write_status;
  // A synced commit: the batches above are on disk when it returns.
  Status s = store_->Begin();
  if (s.ok()) s = store_->SetMeta("last_ingest_at", std::to_string(NowMicros()));
  if (s.ok()) s = store_->Commit();
  if (!s.ok()) {
    store_->Rollback();
    return s;
  }
  report->leads_touched += static_cast<int64_t>(touched.size());
  if (progress) progress->Done();
  Trace("ingest: stored");
  // Projections: refold every lead this input touched.
  s = RefreshDirty();
  if (s.ok() && read_failed) {
    s = Status::Invalid(name + ": reading failed after line " + std::to_string(lineno) +
                        " (the lines before it are stored; fix the input and ingest it again)");
  }
  return s;
}

Status Engine::ImportLeads(const std::string& path, const std::string& id_column,
                           std::optional<Micros> at, std::ostream* rejects, IngestReport* report) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Invalid(path + ": cannot open the file");
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return Status::Invalid(path + ": cannot read the file");
  std::string data = ss.str();
  // The traits' timestamp: the row's created_at when it has one, else the
  // import time, which --at replaces (shared/spec/inputs.md, docs/cli.md).
  Micros now = at.value_or(NowMicros());
  if (std::string why = EventTimeRangeError(now); !why.empty()) {
    return Status::Usage("--at " + FormatRfc3339(now) + " is out of range for an import: " + why);
  }
  std::vector<std::string> header, header_raw;
  int id_idx = -1, created_idx = -1;
  std::vector<Event> batch;
  std::unordered_set<std::string> touched;
  Status inner = Status::Ok();
  auto on_record = [&](ingest::CsvRecord&& rec) -> Status {
    if (header.empty()) {
      header_raw = rec.cells;
      for (const auto& h : rec.cells) header.push_back(ingest::SnakeCase(h));
      std::string want = ingest::SnakeCase(id_column);
      for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] == want || rec.cells[i] == id_column) id_idx = static_cast<int>(i);
        if (header[i] == "created_at") created_idx = static_cast<int>(i);
      }
      if (id_idx < 0) {
        std::string list;
        for (const auto& h : header) list += (list.empty() ? "" : ", ") + h;
        inner = Status::Invalid(path + ":" + std::to_string(rec.line) + ": no '" + id_column +
                                "' column in the header (columns: " + list +
                                "); name the id column with --id-column");
        return inner;
      }
      // Two columns with one name would lose one's values without a word.
      std::vector<std::pair<std::string_view, size_t>> names;
      for (size_t i = 0; i < header.size(); ++i) {
        if (!header[i].empty()) names.emplace_back(header[i], i);
      }
      std::sort(names.begin(), names.end());
      for (size_t i = 1; i < names.size(); ++i) {
        if (names[i].first != names[i - 1].first) continue;
        const size_t a = names[i - 1].second, b = names[i].second;
        inner = Status::Invalid(path + ":" + std::to_string(rec.line) + ": columns " +
                                std::to_string(a + 1) + " ('" + rec.cells[a] + "') and " +
                                std::to_string(b + 1) + " ('" + rec.cells[b] +
                                "') are both named '" + header[a] + "'; rename one");
        return inner;
      }
      return Status::Ok();
    }
    ++report->lines;
    auto reject = [&](const std::string& why) {
      AddError(report, path + ":" + std::to_string(rec.line), rec.line, why);
      if (rejects) *rejects << rec.raw << '\n';
      return Status::Ok();
    };
    if (rec.cells.size() > header.size()) {
      return reject(std::to_string(rec.cells.size()) + " cells, but the header has " +
                    std::to_string(header.size()) + " columns");
    }
    if (!ingest::IsValidUtf8(rec.raw)) return reject("not valid UTF-8");
    if (static_cast<size_t>(id_idx) >= rec.cells.size() ||
        TrimSpaces(rec.cells[static_cast<size_t>(id_idx)]).empty()) {
      return reject("no lead id in column '" + header[static_cast<size_t>(id_idx)] + "'");
    }
    Event e;
    e.type = EventType::kIdentify;
    e.name = "identify";
    e.lead_id = std::string(TrimSpaces(rec.cells[static_cast<size_t>(id_idx)]));
    e.ts = now;
    if (created_idx >= 0 && static_cast<size_t>(created_idx) < rec.cells.size() &&
        !TrimSpaces(rec.cells[static_cast<size_t>(created_idx)]).empty()) {
      auto t = ParseDateOrTime(TrimSpaces(rec.cells[static_cast<size_t>(created_idx)]));
      if (!t) {
        return reject("created_at '" + rec.cells[static_cast<size_t>(created_idx)] +
                      "' is not an RFC 3339 time or a date");
      }
      if (std::string why = EventTimeRangeError(*t); !why.empty()) {
        return reject("created_at '" + rec.cells[static_cast<size_t>(created_idx)] +
                      "' is out of range: " + why);
      }
      e.ts = *t;
    }
    std::string canon;
    for (size_t i = 0; i < rec.cells.size(); ++i) {
      if (static_cast<int>(i) == id_idx || rec.cells[i].empty()) continue;
      if (header[i].empty()) {
        return reject("a value in column " + std::to_string(i + 1) + ", which has no name ('" +
                      header_raw[i] + "' in the header)");
      }
      e.props.emplace_back(header[i], Value::String(rec.cells[i]));
    }
    canon = e.lead_id + '\x1f' + PropsToJson(e.props);
    e.message_id = "csv-" + HashHex(canon);
    batch.push_back(std::move(e));
    if (batch.size() >= kBatch) {
      Status s = StoreBatch(batch, report, &touched);
      batch.clear();
      return s;
    }
    return Status::Ok();
  };
  // A malformed row (a stray or unterminated quote) is rejected like any other
  // bad row; a malformed header stops the import.
  auto on_error = [&](ingest::CsvError&& err) -> Status {
    if (header.empty()) {
      inner = Status::Invalid(path + ":" + std::to_string(err.line) +
                              ": the header row is malformed: " + err.reason);
      return inner;
    }
    ++report->lines;
    AddError(report, path + ":" + std::to_string(err.line), err.line, err.reason);
    if (rejects) *rejects << err.raw << '\n';
    return Status::Ok();
  };
  Status st = ingest::ReadCsv(data, 0, on_record, on_error);
  if (!st.ok()) {
    if (!inner.ok()) return inner;
    return Status::Invalid(path + ": " + st.message());
  }
  if (header.empty())
    return Status::Invalid(path + ": the file is empty (a header row is required)");
  if (Status s = StoreBatch(batch, report, &touched); !s.ok()) return s;
  report->leads_touched += static_cast<int64_t>(touched.size());
  return RefreshDirty();
}

Result<LeadState> Engine::Act(const ActRequest& req) {
  if (Status r = ReloadVersionsIfChanged(); !r.ok()) return r;
  auto kind = ParseAction(req.action);
  if (!kind || *kind == ActionKind::kImport) {  // import: only through `import history`
    return Status::Usage("unknown action '" + req.action +
                         "': use accept, reject, qualify, promote, override, convert, win, lose, "
                         "disqualify, reopen, touch or assign");
  }
  auto user = store_->GetUser(req.by);
  if (!user.ok()) return user.status();
  if (!*user) {
    return Status::NotFound("unknown user '" + req.by + "': add them with 'leadgate user add " +
                            req.by + " --role rep'");
  }
  Action a;
  a.seq = INT64_MAX;
  a.lead_id = req.lead;
  a.kind = *kind;
  a.by = req.by;
  a.role = (*user)->role;
  a.ts = req.at;
  a.reason = req.reason;
  a.channel = req.channel;
  if (*kind == ActionKind::kQualify) {
    if (req.budget && *req.budget != "confirmed" && *req.budget != "unconfirmed" &&
        *req.budget != "none") {
      return Status::Invalid("--budget must be confirmed, unconfirmed or none, not '" +
                             *req.budget + "'");
    }
    if (req.authority && *req.authority != "decision_maker" && *req.authority != "influencer" &&
        *req.authority != "researcher" && *req.authority != "unknown") {
      return Status::Invalid(
          "--authority must be decision_maker, influencer, researcher or unknown, not '" +
          *req.authority + "'");
    }
    if (req.timeline && !ParseDateOrTime(*req.timeline)) {
      return Status::Invalid("--timeline must be a date like 2026-05-01, not '" + *req.timeline +
                             "'");
    }
    BantAnswers b;
    b.budget = req.budget;
    b.authority = req.authority;
    b.need = req.need;
    b.timeline = req.timeline;
    b.current_solution = req.current_solution;
    a.bant = b;
  }
  if (*kind == ActionKind::kAssign) {
    if (Status s = PrepareManualAssign(req, &a); !s.ok()) return s;
  }
  if (Status s = store_->Begin(); !s.ok()) return s;
  std::vector<Event> events;
  std::vector<Action> actions;
  Status s = store_->LoadLead(req.lead, &events, &actions);
  if (!s.ok()) {
    store_->Rollback();
    return s;
  }
  if (events.empty()) {
    store_->Rollback();
    return Status::NotFound("no lead '" + req.lead + "' in this store");
  }
  actions.push_back(a);
  LeadState trial = Fold(req.lead, Ptrs(events), Ptrs(actions), versions_, Options(INT64_MAX));
  for (const auto& [seq, why] : trial.skipped_actions) {
    if (seq == INT64_MAX) {
      store_->Rollback();
      std::string m = "refused '" + req.action + "' on " + req.lead + " at " +
                      FormatRfc3339(req.at) + ": " + why;
      if (why.rfind("role rule", 0) == 0) return Status::Forbidden(std::move(m));
      return Status::Refused(std::move(m));
    }
  }
  auto seq = store_->InsertAction(a);
  if (!seq.ok()) {
    store_->Rollback();
    return seq.status();
  }
  actions.back().seq = *seq;
  LeadState st = Fold(req.lead, Ptrs(events), Ptrs(actions), versions_, Options(INT64_MAX));
  s = BeginChanges(/*bulk=*/false) ? NotifyChanges(st, DescribeLead(st.traits)) : Status::Ok();
  if (s.ok()) s = Save(st);
  if (s.ok()) s = store_->BumpLastPoint(a.ts);
  if (s.ok() && a.kind == ActionKind::kAssign) {
    s = Emit({"lead.assigned", req.lead, a.ts,
              AssignedJson(st, a.reason.value_or("manual assign by " + a.by))});
  }
  if (s.ok()) s = RouteInTxn(a.ts);  // capacity may have freed
  if (!s.ok()) {
    store_->Rollback();
    return s;
  }
  if (Status c = store_->Commit(); !c.ok()) return c;
  EmitCommitted();
  return st;
}

Result<ShowResult> Engine::Show(const std::string& lead, Micros at, bool refold) {
  ShowResult r;
  r.as_of = at;
  if (!refold) {
    auto fast = ProjectionsCurrentAt(at);
    if (!fast.ok()) return fast.status();
    if (*fast) {
      auto stored = store_->LoadProjection(lead);
      if (!stored.ok()) return stored.status();
      if (!*stored) return Status::NotFound("no lead '" + lead + "' in this store");
      const Store::StoredLead& l = **stored;
      LeadState& s = r.state;
      s.id = l.row.id;
      s.stage = l.row.stage;
      s.fit = l.row.fit;
      s.engagement_sum_at_ref = l.row.eng_sum;
      s.engagement_ref = l.row.eng_ref;
      s.owner = l.row.owner;
      s.playbook_version = l.playbook_version;
      s.history = l.history;
      if (Status d = DecodeProjection(l.state, &s, &r.event_count, &PlaybookOf(s)); !d.ok())
        return d;
      AdvanceTo(&s, at, PlaybookAt(at));
      if (Status e = store_->LoadRecent(lead, 40, &r.events, &r.actions); !e.ok()) return e;
      auto breaches = Breaches(lead);
      if (!breaches.ok()) return breaches.status();
      r.breaches = std::move(*breaches);
      AttachPrediction(&r);
      return r;
    }
  }
  if (Status s = store_->LoadLead(lead, &r.events, &r.actions); !s.ok()) return s;
  r.state = Fold(lead, Ptrs(r.events), Ptrs(r.actions), versions_, Options(at));
  if (!r.state.exists) {
    if (r.events.empty()) return Status::NotFound("no lead '" + lead + "' in this store");
    return Status::NotFound("lead '" + lead + "' has no events at or before " + FormatRfc3339(at) +
                            " (its first is at " + FormatRfc3339(r.events.front().ts) + ")");
  }
  std::erase_if(r.events, [&](const Event& e) { return e.ts > at; });
  std::erase_if(r.actions, [&](const Action& a) { return a.ts > at; });
  r.event_count = static_cast<int64_t>(r.events.size());
  auto breaches = Breaches(lead);
  if (!breaches.ok()) return breaches.status();
  for (SlaBreach& b : *breaches) {
    if (b.due <= at) r.breaches.push_back(std::move(b));
  }
  AttachPrediction(&r);
  return r;
}

// Another process (the CLI next to a running server) may have applied a
// playbook version since this engine loaded them: pick it up.
Status Engine::ReloadVersionsIfChanged() {
  auto n = store_->PlaybookCount();
  if (!n.ok()) return n.status();
  if (*n == static_cast<int64_t>(versions_.size())) return Status::Ok();
  auto v = store_->Playbooks();
  if (!v.ok()) return v.status();
  versions_ = std::move(*v);
  caches_.clear();
  return Status::Ok();
}

Result<bool> Engine::ProjectionsCurrentAt(Micros at) {
  if (Status r = ReloadVersionsIfChanged(); !r.ok()) return r;
  auto dirty = store_->DirtyCount();
  if (!dirty.ok()) return dirty.status();
  auto last = store_->MaxPointTime();
  if (!last.ok()) return last.status();
  return *dirty == 0 && at >= *last;
}

Status Engine::FoldAll(Micros at, const std::function<Status(const LeadState&)>& fn) {
  FoldOptions opts = Options(at);
  return store_->ForEachLead(true,
                             [&](const std::string& id, const std::vector<const Event*>& events,
                                 std::vector<Action>& actions) {
                               LeadState s = Fold(id, events, Ptrs(actions), versions_, opts);
                               if (!s.exists) return Status::Ok();
                               return fn(s);
                             });
}

Result<std::vector<QueueRow>> Engine::Queue(Micros at, std::optional<Stage> stage, int64_t limit,
                                            bool refold) {
  if (limit <= 0) limit = INT64_MAX;
  auto better = [](const QueueRow& a, const QueueRow& b) {
    if (a.total != b.total) return a.total > b.total;
    return a.id < b.id;
  };
  std::vector<QueueRow> rows;
  auto keep = [&](QueueRow r) {
    rows.push_back(std::move(r));
    std::push_heap(rows.begin(), rows.end(), better);
    if (static_cast<int64_t>(rows.size()) > limit) {
      std::pop_heap(rows.begin(), rows.end(), better);
      rows.pop_back();
    }
  };
  auto current = ProjectionsCurrentAt(at);
  if (!current.ok()) return current.status();
  if (!refold && *current) {
    // Fast path: projections are the state as of the last point, and only
    // decay moves scores after it. Threshold algorithm over two sorted lists
    // (fit desc, engagement-at-T desc): stop once no unseen lead can beat the
    // current N-th.
    const Playbook& pb = PlaybookAt(at);
    auto by_fit = store_->ScanOpenLeads(Store::ScanOrder::kFit);
    if (!by_fit.ok()) return by_fit.status();
    auto by_eng = store_->ScanOpenLeads(Store::ScanOrder::kEngagement);
    if (!by_eng.ok()) return by_eng.status();
    auto eng_at = [&](const LeadRow& r) {
      double e = r.eng_sum * DecayFactor(pb, at - r.eng_ref);
      return pb.cap ? std::min(*pb.cap, e) : e;
    };
    std::unordered_set<std::string> seen;
    double fit_bound = 1e300, eng_bound = 1e300;
    bool fit_more = true, eng_more = true;
    LeadRow r;
    auto consider = [&](const LeadRow& row) {
      if (!seen.insert(row.id).second) return;
      if (stage && row.stage != *stage) return;
      double eng = eng_at(row);
      keep({row.id, row.stage, row.fit, eng, row.fit + eng, row.owner, {}});
    };
    while (fit_more || eng_more) {
      if (fit_more) {
        fit_more = (*by_fit)->Next(&r);
        if (fit_more) {
          fit_bound = r.fit;
          consider(r);
        } else {
          fit_bound = -1e300;
        }
      }
      if (eng_more) {
        eng_more = (*by_eng)->Next(&r);
        if (eng_more) {
          eng_bound = r.eng_sum > 0 ? eng_at(r) : 0.0;
          consider(r);
        } else {
          eng_bound = -1e300;
        }
      }
      if (!fit_more || !eng_more) break;  // one list exhausted: every lead seen
      if (static_cast<int64_t>(rows.size()) >= limit &&
          rows.front().total > fit_bound + eng_bound) {
        break;
      }
    }
  } else {
    Status s = FoldAll(at, [&](const LeadState& st) {
      if (!IsOpen(st.stage) || (stage && st.stage != *stage)) return Status::Ok();
      keep({st.id, st.stage, st.fit, st.engagement, st.total, st.owner, DescribeLead(st.traits)});
      return Status::Ok();
    });
    if (!s.ok()) return s;
  }
  std::sort(rows.begin(), rows.end(), better);
  if (rows.size() <= 1000) {
    for (QueueRow& row : rows) {
      if (!row.who.empty()) continue;
      auto who = store_->LeadWho(row.id);
      if (who.ok()) row.who = std::move(*who);
    }
  }
  return rows;
}

Result<SlaReport> Engine::Sla(Micros at, bool refold) {
  SlaReport r;
  r.limit = PlaybookAt(at).first_response;
  auto count = [&](const LeadState& st) {
    for (const auto& c : st.clocks) {
      Micros limit = c.due - c.mql_at;
      if (c.responded_at) {
        Micros resp = *c.responded_at - c.mql_at;
        r.responses.push_back(static_cast<double>(resp) / kSecond);
        if (resp > limit) {
          ++r.breaches;
        } else {
          ++r.met;
        }
      } else {
        if (at > c.due) ++r.breaches;
        r.open.push_back({st.id, c.mql_at, c.due, (at - c.due) / kSecond, {}, {}});
      }
    }
    return Status::Ok();
  };
  auto current = ProjectionsCurrentAt(at);
  if (!current.ok()) return current.status();
  Status s = Status::Ok();
  if (*current && !refold) {
    // Clocks only change at points: the projections hold them as of now.
    s = store_->ForEachProjectionState([&](const std::string& id, std::string_view state) {
      LeadState st;
      st.id = id;
      int64_t n = 0;
      if (Status d = DecodeProjection(state, &st, &n); !d.ok()) return d;
      return count(st);
    });
  } else {
    s = FoldAll(at, count);
  }
  if (!s.ok()) return s;
  std::sort(r.open.begin(), r.open.end(), [](const SlaOpen& a, const SlaOpen& b) {
    if (a.overdue_seconds != b.overdue_seconds) return a.overdue_seconds > b.overdue_seconds;
    return a.id < b.id;
  });
  if (!r.responses.empty()) {
    std::vector<double> v = r.responses;
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    r.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
  AnnotateSla(&r);
  return r;
}

int64_t Engine::VersionAt(Micros t) const {
  int64_t v = versions_.front().version;
  for (const auto& pv : versions_) {
    if (pv.applied_at <= t) v = pv.version;
  }
  return v;
}

// The reports' one loop over leads as of `at`: from the projections when
// they are current at `at` (the state decoded only with need_state; history
// always), else by folding every lead. `want` skips leads by stage before
// anything is decoded.
Status Engine::ForEachLeadAt(Micros at, bool refold, bool need_state,
                             const std::function<bool(Stage)>& want,
                             const std::function<void(const LeadState&)>& fn,
                             const std::vector<std::string>* trait_keys, bool any_order) {
  auto current = ProjectionsCurrentAt(at);
  if (!current.ok()) return current.status();
  if (!*current || refold) {
    return FoldAll(at, [&](const LeadState& st) {
      if (!want || want(st.stage)) fn(st);
      return Status::Ok();
    });
  }
  // The scan reads every projection row once: map the file instead of
  // copying each page into the page cache (a third of the time at 1 M leads).
  auto map = [](Store& store) {
    try {
      store.db().exec("PRAGMA mmap_size = 17179869184");
    } catch (const std::exception&) {
    }
  };
  auto scan = [&](Store& store, const std::string& from, const std::string& to,
                  const std::function<void(const LeadState&)>& sink) {
    map(store);
    return store.ForEachProjection(
        [&](Store::StoredLead& l) {
          if (want && !want(l.row.stage)) return Status::Ok();
          LeadState st;
          st.id = l.row.id;
          st.stage = l.row.stage;
          st.owner = l.row.owner;
          st.first_at = l.row.first_at;
          st.playbook_version = l.playbook_version;
          st.history = std::move(l.history);
          if (need_state && trait_keys) {
            if (Status d = DecodeProjectionTraits(l.state, &st, trait_keys); !d.ok()) return d;
          } else if (need_state) {
            int64_t n = 0;
            if (Status d = DecodeProjection(l.state, &st, &n, &PlaybookOf(st)); !d.ok()) return d;
          }
          sink(st);
          return Status::Ok();
        },
        need_state, from, to);
  };
  // Reading and decoding the rows is nearly all of the work (fn is a few
  // percent): on a big store, a second connection reads the upper half.
  std::vector<std::string> cut;
  if (any_order && !path_.empty() && path_ != ":memory:" &&
      std::thread::hardware_concurrency() > 1) {
    auto split = store_->SplitLeads(2);
    if (split.ok()) cut = std::move(*split);
  }
  if (cut.empty()) return scan(*store_, "", "", fn);
  std::mutex mu;
  auto locked = [&](const LeadState& st) {
    std::lock_guard<std::mutex> lock(mu);
    fn(st);
  };
  Status upper = Status::Ok();
  std::thread other([&] {
    auto reader = Store::Open(path_, false);
    upper = reader.ok() ? scan(**reader, cut[0], "", locked) : reader.status();
  });
  Status lower = scan(*store_, "", cut[0], locked);
  other.join();
  return lower.ok() ? upper : lower;
}

Result<FunnelReport> Engine::Funnel(std::optional<Micros> from, std::optional<Micros> to,
                                    const std::string& by, Micros at, bool refold) {
  if (!ValidFunnelBy(by)) {
    return Status::Usage(
        "--by must be source, industry, job_title, owner, team, playbook_version or "
        "month, not '" +
        by + "'");
  }
  FunnelReport r;
  r.from = from;
  r.to = to;
  r.as_of = at;
  r.by = by;
  FunnelBuilder b(&r);
  const bool need_traits = by == "source" || by == "industry" || by == "job_title";
  const std::vector<std::string> trait_keys = FunnelTraitKeys(by);
  // A team is in the routing tail of the projection: decode the whole state.
  Status s = ForEachLeadAt(
      at, refold, need_traits || by == "team", nullptr,
      [&](const LeadState& st) {
        const Micros created = st.first_at;
        if (created > at || (from && created < *from) || (to && created >= *to)) return;
        b.Add({created,
               by == "team" ? LeadTeam(st)
                            : FunnelGroupOf(by, st.traits, st.owner, VersionAt(created), created),
               &st.history});
      },
      by == "team" ? nullptr : &trait_keys, /*any_order=*/true);
  if (!s.ok()) return s;
  b.Finish();
  return r;
}

Result<std::vector<StalledRow>> Engine::Stalled(Micros at, Micros older_than, bool refold) {
  std::vector<StalledRow> rows;
  auto waiting = [](Stage st) {
    return st == Stage::kMql || st == Stage::kSal || st == Stage::kSql;
  };
  Status s = ForEachLeadAt(at, refold, /*need_state=*/true, waiting, [&](const LeadState& ls) {
    StalledRow row;
    if (StalledAt(ls, at, older_than, &row)) {
      row.who = DescribeLead(ls.traits);
      rows.push_back(std::move(row));
    }
  });
  if (!s.ok()) return s;
  std::sort(rows.begin(), rows.end(), [](const StalledRow& a, const StalledRow& b) {
    if (a.since != b.since) return a.since < b.since;
    return a.id < b.id;
  });
  return rows;
}

Result<SlaComplianceReport> Engine::SlaCompliance(Micros at, bool refold) {
  SlaComplianceReport r;
  r.as_of = at;
  r.limit = PlaybookAt(at).first_response;
  SlaComplianceBuilder b(&r);
  Status s = ForEachLeadAt(
      at, refold, /*need_state=*/true, nullptr,
      [&](const LeadState& st) { b.Add(st.clocks, st.owner); }, nullptr, /*any_order=*/true);
  if (!s.ok()) return s;
  b.Finish();
  return r;
}

Result<ExceptionsReport> Engine::Exceptions(Micros at, bool refold) {
  ExceptionsReport r;
  r.paths.as_of = at;
  r.paths.by = "path";
  FunnelBuilder b(&r.paths);
  Status s = ForEachLeadAt(
      at, refold, /*need_state=*/false, nullptr,
      [&](const LeadState& st) {
        for (const HistoryEntry& h : st.history) {
          if (!h.exception) continue;
          if (h.by == "engine") {
            ++r.self_qualified;
          } else {
            ++r.overrides;
            ++r.overrides_by[h.by];
          }
        }
        b.Add({st.first_at, ExceptionPath(st.history), &st.history});
      },
      nullptr, /*any_order=*/true);
  if (!s.ok()) return s;
  b.Finish();
  return r;
}

Status Engine::Rebuild(int64_t* leads) {
  // One transaction: drop the projections and their indexes, refold every
  // lead from the log (a reader thread decodes, this thread folds and
  // writes), recreate the indexes in bulk. A crash leaves the old state.
  Trace("rebuild: start");
  if (Status s = store_->Begin(); !s.ok()) return s;
  Status s = store_->BeginBulkLoad();
  *leads = 0;
  if (s.ok()) s = FoldAndSave(/*all=*/true, leads);
  Trace("rebuild: folded");
  if (s.ok()) s = store_->FinishBulkLoad();
  Trace("rebuild: indexed");
  if (s.ok()) s = store_->Commit();
  if (!s.ok()) {
    store_->Rollback();
    return s;
  }
  Trace("rebuild: committed");
  return Status::Ok();
}

}  // namespace leadgate
