// `leadgate import history FILE.csv`: recorded stage changes from a CRM
// (lead id, stage, time, by, reason) become imported actions, which the fold
// applies as recorded (docs/reports.md, "Bringing history in").
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "app/engine.h"
#include "ingest/csv.h"
#include "ingest/jsonl.h"

namespace leadgate {
namespace {

constexpr size_t kMaxErrorsKept = 1000;
constexpr int64_t kRowsPerCommit = 50000;

void AddRowError(IngestReport* r, const std::string& path, int64_t line, std::string reason) {
  ++r->rejected;
  if (r->errors.size() < kMaxErrorsKept) {
    r->errors.push_back({path + ":" + std::to_string(line), line, std::move(reason)});
  }
}

// CRM spellings of the stages (after SnakeCase), besides the stage names.
std::optional<Stage> StageAlias(const std::string& key) {
  static const std::pair<const char*, Stage> kAliases[] = {
      {"new", Stage::kLead},
      {"created", Stage::kLead},
      {"marketing_qualified", Stage::kMql},
      {"marketing_qualified_lead", Stage::kMql},
      {"sales_accepted", Stage::kSal},
      {"sales_accepted_lead", Stage::kSal},
      {"accepted", Stage::kSal},
      {"sales_qualified", Stage::kSql},
      {"sales_qualified_lead", Stage::kSql},
      {"qualified", Stage::kSql},
      {"opp", Stage::kOpportunity},
      {"closed_won", Stage::kWon},
      {"closed_lost", Stage::kLost},
      {"recycled", Stage::kNurture},
      {"nurturing", Stage::kNurture},
      {"rejected", Stage::kNurture},
      {"disq", Stage::kDisq},
      {"unqualified", Stage::kDisq},
  };
  if (auto s = ParseStage(key)) return s;
  for (const auto& [k, st] : kAliases) {
    if (key == k) return st;
  }
  return std::nullopt;
}

// "2018-02-26 19:58:54" (no zone: UTC), RFC 3339, or a date.
std::optional<Micros> ParseHistoryTime(std::string_view text) {
  std::string s(TrimSpaces(text));
  if (s.size() >= 19 && (s[10] == ' ' || s[10] == 't')) s[10] = 'T';
  if (s.size() >= 19 && s[10] == 'T') {
    const std::string tail = s.substr(19);
    const bool zoned = tail.find_first_of("Zz+-") != std::string::npos;
    if (!zoned) s += 'Z';
  }
  return ParseDateOrTime(s);
}

}  // namespace

Status Engine::ImportHistory(const std::string& path, const HistoryImportOptions& opts,
                             std::ostream* rejects, IngestReport* report) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Invalid(path + ": cannot open the file");
  std::stringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return Status::Invalid(path + ": cannot read the file");
  const std::string data = ss.str();

  // --map-stage values and targets, checked before reading a row.
  std::map<std::string, Stage> stage_map;
  for (const auto& [from, to] : opts.stage_map) {
    auto st = StageAlias(ingest::SnakeCase(to));
    if (!st) {
      return Status::Usage("--map-stage '" + from + "=" + to + "': '" + to +
                           "' is not a stage (lead, mql, sal, sql, opportunity, won, lost, "
                           "nurture, disqualified)");
    }
    stage_map[std::string(TrimSpaces(from))] = *st;
  }

  std::optional<Stage> fixed_stage;
  if (!opts.stage.empty()) {
    if (auto it = stage_map.find(opts.stage); it != stage_map.end()) {
      fixed_stage = it->second;
    } else {
      fixed_stage = StageAlias(ingest::SnakeCase(opts.stage));
    }
    if (!fixed_stage) {
      return Status::Usage("--stage '" + opts.stage +
                           "' is not a stage (lead, mql, sal, sql, opportunity, won, lost, "
                           "nurture, disqualified)");
    }
  }

  std::vector<std::string> header;
  int id_idx = -1, stage_idx = -1, at_idx = -1, by_idx = -1, reason_idx = -1;
  Status inner = Status::Ok();
  bool in_tx = false;
  int64_t rows_in_tx = 0;
  Micros max_ts = INT64_MIN;
  std::set<std::string> touched;
  std::set<std::tuple<std::string, Micros, Stage>> seen;  // this file's changes (dry run)
  std::unique_ptr<SQLite::Statement> lead_exists, action_exists;
  try {
    lead_exists = std::make_unique<SQLite::Statement>(
        store_->db(),
        "SELECT EXISTS(SELECT 1 FROM chunks WHERE lead_id = ?1) OR "
        "EXISTS(SELECT 1 FROM actions WHERE lead_id = ?1)");
    action_exists = std::make_unique<SQLite::Statement>(
        store_->db(), "SELECT 1 FROM actions WHERE lead_id = ? AND ts = ? AND action = ? LIMIT 1");
  } catch (const std::exception& e) {
    return Status::Internal(std::string("import history: ") + e.what());
  }

  auto commit = [&]() -> Status {
    if (!in_tx) return Status::Ok();
    Status s = Status::Ok();
    if (max_ts != INT64_MIN) s = store_->BumpLastPoint(max_ts);
    if (s.ok()) s = store_->Commit();
    if (!s.ok()) store_->Rollback();
    in_tx = false;
    rows_in_tx = 0;
    return s;
  };

  auto find_column = [&](const std::string& want, const char* flag, bool required, int64_t line,
                         const std::vector<std::string>& raw, int* idx) -> bool {
    const std::string key = ingest::SnakeCase(want);
    for (size_t i = 0; i < header.size(); ++i) {
      if (header[i] == key || raw[i] == want) {
        *idx = static_cast<int>(i);
        return true;
      }
    }
    if (!required) return true;
    std::string list;
    for (const auto& h : header) list += (list.empty() ? "" : ", ") + h;
    inner = Status::Invalid(path + ":" + std::to_string(line) + ": no '" + want +
                            "' column in the header (columns: " + list + "); name it with " + flag);
    return false;
  };

  auto on_record = [&](ingest::CsvRecord&& rec) -> Status {
    if (header.empty()) {
      for (const auto& h : rec.cells) header.push_back(ingest::SnakeCase(h));
      if (!find_column(opts.id_column, "--id-column", true, rec.line, rec.cells, &id_idx) ||
          (!fixed_stage && !find_column(opts.stage_column, "--stage-column", true, rec.line,
                                        rec.cells, &stage_idx)) ||
          !find_column(opts.at_column, "--at-column", true, rec.line, rec.cells, &at_idx) ||
          !find_column(opts.by_column, "--by-column", false, rec.line, rec.cells, &by_idx) ||
          !find_column(opts.reason_column, "--reason-column", false, rec.line, rec.cells,
                       &reason_idx)) {
        return inner;
      }
      return Status::Ok();
    }
    ++report->lines;
    auto reject = [&](const std::string& why) {
      AddRowError(report, path, rec.line, why);
      if (rejects) *rejects << rec.raw << '\n';
      return Status::Ok();
    };
    auto cell = [&](int idx) -> std::string {
      if (idx < 0 || static_cast<size_t>(idx) >= rec.cells.size()) return "";
      return std::string(TrimSpaces(rec.cells[static_cast<size_t>(idx)]));
    };
    auto col = [&](int idx) { return "column '" + header[static_cast<size_t>(idx)] + "'"; };
    if (rec.cells.size() > header.size()) {
      return reject(std::to_string(rec.cells.size()) + " cells, but the header has " +
                    std::to_string(header.size()) + " columns");
    }
    if (!ingest::IsValidUtf8(rec.raw)) return reject("not valid UTF-8");
    const std::string lead = cell(id_idx);
    if (lead.empty()) return reject(col(id_idx) + ": no lead id");
    const std::string stage_text = fixed_stage ? opts.stage : cell(stage_idx);
    if (stage_text.empty()) return reject(col(stage_idx) + ": no stage");
    std::optional<Stage> stage = fixed_stage;
    if (!stage) {
      auto it = stage_map.find(stage_text);
      stage = it != stage_map.end() ? std::optional<Stage>(it->second)
                                    : StageAlias(ingest::SnakeCase(stage_text));
    }
    if (!stage) {
      return reject(col(stage_idx) + ": '" + stage_text +
                    "' is not a stage: use lead, mql, sal, sql, opportunity, won, lost, "
                    "nurture or disqualified, or map it with --map-stage '" +
                    stage_text + "=sql'");
    }
    const std::string at_text = cell(at_idx);
    if (at_text.empty()) return reject(col(at_idx) + ": no time");
    auto at = ParseHistoryTime(at_text);
    if (!at) {
      return reject(col(at_idx) + ": '" + at_text +
                    "' is not a time (RFC 3339 like 2026-03-01T10:00:00Z, '2026-03-01 "
                    "10:00:00' in UTC, or a date)");
    }
    if (std::string why = EventTimeRangeError(*at); !why.empty()) {
      return reject(col(at_idx) + ": '" + at_text + "' is out of range: " + why);
    }
    std::string by = cell(by_idx);
    if (by.empty()) by = "(unknown)";
    std::optional<std::string> reason;
    if (std::string r = cell(reason_idx); !r.empty()) reason = r;

    std::string kind = "import:";
    kind += StageName(*stage);
    try {
      if (!opts.create_leads && !touched.count(lead)) {
        lead_exists->reset();
        lead_exists->bind(1, lead);
        if (!lead_exists->executeStep() || lead_exists->getColumn(0).getInt() == 0) {
          return reject(col(id_idx) + ": no lead '" + lead +
                        "' in this store: import it first ('leadgate import leads'), or pass "
                        "--create-leads");
        }
      }
      // Idempotency: one imported change per (lead, stage, time).
      if (!seen.emplace(lead, *at, *stage).second) {
        ++report->duplicates;
        return Status::Ok();
      }
      action_exists->reset();
      action_exists->bind(1, lead);
      action_exists->bind(2, static_cast<int64_t>(*at));
      action_exists->bind(3, kind);
      if (action_exists->executeStep()) {
        ++report->duplicates;
        return Status::Ok();
      }
    } catch (const std::exception& e) {
      return Status::Internal(std::string("import history: ") + e.what());
    }
    if (opts.dry_run) {
      ++report->stored;
      touched.insert(lead);
      return Status::Ok();
    }
    if (!in_tx) {
      if (Status s = store_->Begin(); !s.ok()) return s;
      in_tx = true;
    }
    Action a;
    a.lead_id = lead;
    a.kind = ActionKind::kImport;
    a.to_stage = *stage;
    a.by = by;
    a.role = Role::kRep;  // not checked for imported changes
    a.ts = *at;
    a.reason = reason;
    auto seq = store_->InsertAction(a);
    if (!seq.ok()) return seq.status();
    if (Status s = store_->MarkDirty(lead); !s.ok()) return s;
    ++report->stored;
    touched.insert(lead);
    max_ts = std::max(max_ts, *at);
    if (++rows_in_tx >= kRowsPerCommit) return commit();
    return Status::Ok();
  };
  auto on_error = [&](ingest::CsvError&& err) -> Status {
    if (header.empty()) {
      inner = Status::Invalid(path + ":" + std::to_string(err.line) +
                              ": the header row is malformed: " + err.reason);
      return inner;
    }
    ++report->lines;
    AddRowError(report, path, err.line, err.reason);
    if (rejects) *rejects << err.raw << '\n';
    return Status::Ok();
  };
  Status st = ingest::ReadCsv(data, 0, on_record, on_error);
  if (!st.ok()) {
    if (in_tx) store_->Rollback();
    if (!inner.ok()) return inner;
    if (st.code() == StatusCode::kInternal) return st;
    return Status::Invalid(path + ": " + st.message());
  }
  if (header.empty()) {
    return Status::Invalid(path + ": the file is empty (a header row is required)");
  }
  if (Status s = commit(); !s.ok()) return s;
  report->leads_touched += static_cast<int64_t>(touched.size());
  if (opts.dry_run) return Status::Ok();
  return RefreshDirty();
}

}  // namespace leadgate
