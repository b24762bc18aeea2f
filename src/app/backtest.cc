#include "app/backtest.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <thread>

#include "app/reports.h"
#include "store/store.h"

namespace leadgate {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Monday 00:00 UTC on or before t.
Micros WeekStart(Micros t) {
  const int64_t days = t >= 0 ? t / kDay : -((-t + kDay - 1) / kDay);
  const int64_t wd = ((days % 7) + 7 + 3) % 7;  // 0 = Monday (1970-01-01 was a Thursday)
  return (days - wd) * kDay;
}

int Workers(int threads) {
  if (threads > 0) return threads;
  unsigned hc = std::thread::hardware_concurrency();
  return static_cast<int>(std::max(1u, std::min(hc, 8u)));
}

// Folds every lead; fn(worker, i, state). `lean`: FoldOptions::lean (the
// comparison reads neither traits nor warnings). Leads are handed out in blocks by an
// atomic cursor, so both cores stay busy whatever the leads' sizes.
// Regex caches per worker, one per playbook version: kept across replays of
// playbooks that differ only in their MQL minimums (the capacity search), so
// each distinct value is classified once per candidate, not once per replay.
// The encoded events' classifications (fold/encoded.h) are kept with them.
struct WorkerCache {
  std::vector<MatchCache> caches;  // by version
};
struct WorkerCaches {
  std::vector<WorkerCache> workers;
  ReplayClassifier classifier;  // shared: computed before the fold, then only read
  bool prepared = false;
};

void ReplayWorkers(const ReplayLog& log, const std::vector<PlaybookVersion>& versions, int threads,
                   const std::function<void(int, size_t, const LeadState&)>& fn,
                   WorkerCaches* keep = nullptr, const std::vector<uint8_t>* skip = nullptr,
                   bool lean = false) {
  const int workers = Workers(threads);
  constexpr size_t kBlock = 64;
  std::atomic<size_t> next{0};
  WorkerCaches local;
  WorkerCaches& all = keep != nullptr ? *keep : local;
  if (all.workers.size() < static_cast<size_t>(workers)) {
    all.workers.resize(static_cast<size_t>(workers));
  }
  all.classifier.Prepare(log.encoded, versions, all.prepared, workers);
  all.prepared = true;
  auto run = [&](int w) {
    WorkerCache& wc = all.workers[static_cast<size_t>(w)];
    std::vector<MatchCache>& caches = wc.caches;
    const bool kept = caches.size() == versions.size();
    if (!kept) {
      caches.clear();
      for (const auto& v : versions) caches.emplace_back(v.playbook->memo_groups);
    }
    FoldOptions opts;
    opts.caches = &caches;
    opts.lean = lean;
    for (;;) {
      size_t b = next.fetch_add(kBlock);
      if (b >= log.leads.size()) break;
      size_t e = std::min(log.leads.size(), b + kBlock);
      for (size_t i = b; i < e; ++i) {
        if (skip != nullptr && (*skip)[i]) continue;
        const ReplayLead& l = log.leads[i];
        LeadState s = FoldEncoded(l.id, log.encoded, l.begin, l.end, l.action_ptrs, versions, opts,
                                  &all.classifier);
        fn(w, i, s);
      }
    }
  };
  if (workers == 1 || log.leads.size() < 2 * kBlock) {
    run(0);
    return;
  }
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& t : pool) t.join();
}

// What the comparison needs of one lead under one side.
struct LeadSummary {
  bool exists = false;
  Micros created = 0;
  std::optional<Micros> first_mql;         // whole history
  std::optional<Micros> first_mql_window;  // first MQL entry in [from, to)
  bool won = false, lost = false;          // entered won; entered lost/disqualified, never won
  Stage stage = Stage::kLead;
  int64_t skipped = 0;  // recorded actions skipped
};

struct Window {
  Micros from = 0, to = 0, week0 = 0;
  size_t weeks = 0;
  bool In(Micros t) const { return t >= from && t < to; }
  bool Cohort(const LeadSummary& s) const { return s.exists && In(s.created); }
};

struct SideRun {
  std::vector<LeadSummary> leads;
  std::vector<int64_t> weekly;  // MQL entries by week index
  int64_t skipped = 0;
  std::map<std::pair<std::string, std::string>, RuleStat> rules;  // (kind, id)
};

SideRun ReplaySide(const ReplayLog& log, const std::vector<PlaybookVersion>& versions,
                   const Window& win, int threads, bool with_rules, WorkerCaches* caches = nullptr,
                   const std::vector<LeadSummary>* looser = nullptr) {
  const int workers = Workers(threads);
  struct Acc {
    std::vector<int64_t> weekly;
    std::map<std::pair<std::string, std::string>, RuleStat> rules;
    // By version index, by fit / engagement rule index (folded into `rules`
    // by id at the end).
    std::vector<std::vector<RuleStat>> fit, eng;
  };
  std::vector<Acc> acc(static_cast<size_t>(workers));
  for (auto& a : acc) a.weekly.assign(win.weeks, 0);
  SideRun out;
  out.leads.resize(log.leads.size());
  // A lead that never became MQL under a playbook whose MQL minimums are
  // all at most this one's (and that differs from it in nothing else) folds
  // to the same state here: until an MQL check passes, the minimums change
  // nothing, and a check that passes here passes there. Its summary is
  // copied instead of refolded (the capacity search).
  std::vector<uint8_t> skip;
  if (looser != nullptr) {
    skip.assign(log.leads.size(), 0);
    for (size_t i = 0; i < log.leads.size(); ++i) {
      if (!(*looser)[i].first_mql) {
        skip[i] = 1;
        out.leads[i] = (*looser)[i];
      }
    }
  }
  ReplayWorkers(
      log, versions, workers,
      [&](int w, size_t i, const LeadState& s) {
        Acc& a = acc[static_cast<size_t>(w)];
        LeadSummary& sum = out.leads[i];
        sum.exists = s.exists;
        if (!s.exists) return;
        sum.created = s.first_at;
        sum.stage = s.stage;
        sum.skipped = static_cast<int64_t>(s.skipped_actions.size());
        bool lost = false;
        for (const HistoryEntry& h : s.history) {
          if (h.to == Stage::kMql) {
            if (!sum.first_mql) sum.first_mql = h.at;
            if (win.In(h.at)) {
              if (!sum.first_mql_window) sum.first_mql_window = h.at;
              size_t wk = static_cast<size_t>((h.at - win.week0) / kWeek);
              if (wk < a.weekly.size()) ++a.weekly[wk];
            }
          }
          if (h.to == Stage::kWon) sum.won = true;
          if (h.to == Stage::kLost || h.to == Stage::kDisq) lost = true;
        }
        sum.lost = lost && !sum.won;
        if (!with_rules || !win.Cohort(sum)) return;
        // Lean states explain by rule index (LeadState::rule_lines), under
        // the version in force at the end.
        size_t v = 0;
        while (v + 1 < versions.size() && versions[v].version != s.playbook_version) ++v;
        const Playbook& pb = *versions[v].playbook;
        if (a.fit.size() < versions.size()) {
          a.fit.resize(versions.size());
          a.eng.resize(versions.size());
        }
        for (const LeadState::RuleLine& l : s.rule_lines) {
          std::vector<RuleStat>* per = nullptr;
          if (l.kind == LeadState::RuleLine::Kind::kFit) {
            per = &a.fit[v];
            if (per->empty()) per->resize(pb.fit.size());
          } else if (l.kind == LeadState::RuleLine::Kind::kEngagement) {
            per = &a.eng[v];
            if (per->empty()) per->resize(pb.engagement.size());
          } else {
            continue;
          }
          RuleStat& r = (*per)[static_cast<size_t>(l.rule)];
          r.count += l.count;
          r.points += l.points;
        }
        for (const HistoryEntry& h : s.history) {
          if (h.to == Stage::kDisq && h.by == "engine" && h.rule)
            ++a.rules[{"disqualify", *h.rule}].count;
        }
      },
      caches, looser != nullptr ? &skip : nullptr, /*lean=*/true);
  out.weekly.assign(win.weeks, 0);
  for (Acc& a : acc) {
    for (size_t v = 0; v < a.fit.size(); ++v) {
      const Playbook& pb = *versions[v].playbook;
      auto fold_in = [&](const std::vector<RuleStat>& per, const char* kind, auto id_of) {
        for (size_t i = 0; i < per.size(); ++i) {
          if (per[i].count == 0 && per[i].points == 0) continue;
          RuleStat& r = a.rules[{kind, id_of(i)}];
          r.count += per[i].count;
          r.points += per[i].points;
        }
      };
      fold_in(a.fit[v], "fit", [&](size_t i) { return pb.fit[i].id; });
      fold_in(a.eng[v], "engagement", [&](size_t i) { return pb.engagement[i].id; });
    }
    for (size_t k = 0; k < win.weeks; ++k) out.weekly[k] += a.weekly[k];
    for (auto& [key, r] : a.rules) {
      RuleStat& t = out.rules[key];
      t.count += r.count;
      t.points += r.points;
    }
  }
  for (const LeadSummary& l : out.leads) out.skipped += l.skipped;
  return out;
}

// Fills the side's numbers; `outcome` is the current replay (the recorded reality).
void Summarize(const SideRun& run, const std::vector<LeadSummary>& outcome, const Window& win,
               const std::vector<std::string>& labels, double weeks, SideStats* st) {
  for (size_t k = 0; k < run.weekly.size(); ++k) {
    st->weekly[labels[k]] = run.weekly[k];
    st->mql_entries += run.weekly[k];
  }
  int64_t won = 0;
  for (size_t i = 0; i < run.leads.size(); ++i) {
    const LeadSummary& s = run.leads[i];
    if (s.first_mql_window) ++st->mql;
    if (!win.Cohort(outcome[i])) continue;
    if (s.exists) ++st->stages[StageName(s.stage)];
    if (outcome[i].won) ++won;
    if (!s.first_mql) continue;
    ++st->cohort_mql;
    if (outcome[i].won) ++st->mql_won;
    if (outcome[i].lost) ++st->mql_lost;
  }
  st->mql_per_week = weeks > 0 ? static_cast<double>(st->mql) / weeks : 0;
  if (st->mql_won + st->mql_lost > 0) {
    st->precision =
        static_cast<double>(st->mql_won) / static_cast<double>(st->mql_won + st->mql_lost);
  }
  if (won > 0) st->recall = static_cast<double>(st->mql_won) / static_cast<double>(won);
  st->skipped_actions = run.skipped;
}

// The side's rules in playbook order (of its last version), then any others
// seen (rules of earlier versions).
std::vector<RuleStat> OrderRules(const SideRun& run, const Playbook& pb) {
  std::vector<RuleStat> out;
  auto take = [&](const std::string& kind, const std::string& id) {
    RuleStat r;
    r.id = id;
    r.kind = kind;
    auto it = run.rules.find({kind, id});
    if (it != run.rules.end()) {
      r.count = it->second.count;
      r.points = it->second.points;
    }
    out.push_back(r);
  };
  for (const auto& r : pb.fit) take("fit", r.id);
  for (const auto& r : pb.engagement) take("engagement", r.id);
  for (const auto& r : pb.disqualify) take("disqualify", r.id);
  for (const auto& entry : run.rules) {
    const auto& key = entry.first;  // not a structured binding: clang 14 can't capture those
    bool seen = std::any_of(out.begin(), out.end(), [&](const RuleStat& x) {
      return x.kind == key.first && x.id == key.second;
    });
    if (!seen) take(key.first, key.second);
  }
  return out;
}

// Each candidate version whose classification is a current version's (the
// same version, kept by --applied-at, or a playbook that differs from it
// only in thresholds: the same RulesText) takes it instead of classifying
// the log again; `to` is then prepared for `cand`.
void SeedAlike(const ReplayLog& log, const std::vector<PlaybookVersion>& current,
               const WorkerCaches& from, const std::vector<PlaybookVersion>& cand,
               WorkerCaches* to) {
  std::vector<std::optional<std::string>> texts(current.size());
  bool texts_made = false;
  for (size_t v = 0; v < cand.size(); ++v) {
    size_t u = 0;
    while (u < current.size() && current[u].playbook != cand[v].playbook) ++u;
    if (u == current.size()) {
      if (!texts_made) {
        for (size_t i = 0; i < current.size(); ++i) texts[i] = RulesText(*current[i].playbook);
        texts_made = true;
      }
      const std::optional<std::string> text = RulesText(*cand[v].playbook);
      u = 0;
      while (u < current.size() && !(text && texts[u] == text)) ++u;
    }
    if (u < current.size()) to->classifier.Seed(log.encoded, cand.size(), v, from.classifier, u);
  }
  to->prepared = true;
}

std::vector<PlaybookVersion> CandidateVersions(const std::vector<PlaybookVersion>& current,
                                               std::shared_ptr<const Playbook> candidate,
                                               const std::optional<Micros>& applied_at) {
  int64_t next = 1;
  for (const auto& v : current) next = std::max(next, v.version + 1);
  std::vector<PlaybookVersion> out;
  if (applied_at) {
    // The first version is in force from the beginning of time (the fold
    // ignores its applied_at); later ones from their time, before the candidate.
    for (size_t i = 0; i < current.size(); ++i) {
      if (i == 0 || current[i].applied_at < *applied_at) out.push_back(current[i]);
    }
  }
  PlaybookVersion c;
  c.version = next;
  c.applied_at = applied_at ? *applied_at : 0;
  c.playbook = std::move(candidate);
  out.push_back(c);
  return out;
}

}  // namespace

namespace {

Status LoadRange(Store& store, const std::string& from, const std::string& to, ReplayLog* out,
                 EventEncoder* enc) {
  return store.ForEachLead(
      true,
      [&](const std::string& id, const std::vector<const Event*>& events,
          std::vector<Action>& actions) {
        ReplayLead& l = out->leads.emplace_back();
        l.id = id;
        l.begin = out->encoded.size();
        for (const Event* e : events) {
          enc->Add(*e);
          out->first = std::min(out->first, e->ts);
          out->last = std::max(out->last, e->ts);
        }
        l.end = out->encoded.size();
        l.actions = std::move(actions);
        for (const Action& a : l.actions) {
          out->first = std::min(out->first, a.ts);
          out->last = std::max(out->last, a.ts);
        }
        for (const Action& a : l.actions) l.action_ptrs.push_back(&a);
        out->events += static_cast<int64_t>(l.end - l.begin);
        out->actions += static_cast<int64_t>(l.actions.size());
        return Status::Ok();
      },
      from, to);
}

}  // namespace

Status LoadReplayLog(Store& store, ReplayLog* out) {
  *out = ReplayLog{};
  EventEncoder enc(&out->encoded);
  return LoadRange(store, "", "", out, &enc);
}

Status LoadReplayLog(const std::string& db_path, int threads, ReplayLog* out) {
  auto main = Store::Open(db_path, false);
  if (!main.ok()) return main.status();
  const int workers = Workers(threads);
  std::vector<std::string> cuts;
  if (workers > 1) {
    auto split = (*main)->SplitLeads(workers);
    if (!split.ok()) return split.status();
    cuts = std::move(*split);
  }
  if (cuts.empty()) return LoadReplayLog(**main, out);
  const size_t parts = cuts.size() + 1;
  std::vector<ReplayLog> logs(parts);
  // Each part encoded apart; part 0's encoder then takes in the others.
  std::vector<std::unique_ptr<EventEncoder>> encoders;
  for (ReplayLog& l : logs) encoders.push_back(std::make_unique<EventEncoder>(&l.encoded));
  std::vector<Status> status(parts, Status::Ok());
  auto run = [&](size_t p) {
    const std::string from = p == 0 ? "" : cuts[p - 1];
    const std::string to = p + 1 == parts ? "" : cuts[p];
    if (p == 0) {
      status[p] = LoadRange(**main, from, to, &logs[p], encoders[p].get());
      return;
    }
    auto store = Store::Open(db_path, false);
    status[p] =
        store.ok() ? LoadRange(**store, from, to, &logs[p], encoders[p].get()) : store.status();
  };
  std::vector<std::thread> pool;
  for (size_t p = 1; p < parts; ++p) pool.emplace_back(run, p);
  run(0);
  for (auto& t : pool) t.join();
  for (const Status& st : status) {
    if (!st.ok()) return st;
  }
  for (size_t p = 1; p < parts; ++p) {
    ReplayLog& l = logs[p];
    const size_t shift = logs[0].encoded.size();
    encoders[0]->Append(l.encoded);
    l.encoded = EncodedEvents{};
    logs[0].events += l.events;
    logs[0].actions += l.actions;
    logs[0].first = std::min(logs[0].first, l.first);
    logs[0].last = std::max(logs[0].last, l.last);
    // Moving a lead keeps its vectors' buffers: the pointers stay valid.
    for (ReplayLead& x : l.leads) {
      x.begin += shift;
      x.end += shift;
      logs[0].leads.push_back(std::move(x));
    }
  }
  *out = std::move(logs[0]);
  return Status::Ok();
}

void BuildReplayLog(std::vector<Event> events, std::vector<Action> actions, ReplayLog* out) {
  *out = ReplayLog{};
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.lead_id != b.lead_id) return a.lead_id < b.lead_id;
    if (a.ts != b.ts) return a.ts < b.ts;
    return a.message_id < b.message_id;
  });
  std::stable_sort(actions.begin(), actions.end(), [](const Action& a, const Action& b) {
    if (a.lead_id != b.lead_id) return a.lead_id < b.lead_id;
    if (a.ts != b.ts) return a.ts < b.ts;
    return a.seq < b.seq;
  });
  EventEncoder enc(&out->encoded);
  size_t ia = 0;
  for (size_t i = 0; i < events.size();) {
    size_t j = i;
    while (j < events.size() && events[j].lead_id == events[i].lead_id) ++j;
    ReplayLead& l = out->leads.emplace_back();
    l.id = events[i].lead_id;
    while (ia < actions.size() && actions[ia].lead_id < l.id) ++ia;
    while (ia < actions.size() && actions[ia].lead_id == l.id) l.actions.push_back(actions[ia++]);
    l.begin = out->encoded.size();
    for (size_t k = i; k < j; ++k) {
      enc.Add(events[k]);
      out->first = std::min(out->first, events[k].ts);
      out->last = std::max(out->last, events[k].ts);
    }
    l.end = out->encoded.size();
    i = j;
  }
  for (ReplayLead& l : out->leads) {
    for (const Action& a : l.actions) {
      l.action_ptrs.push_back(&a);
      out->first = std::min(out->first, a.ts);
      out->last = std::max(out->last, a.ts);
    }
    out->events += static_cast<int64_t>(l.end - l.begin);
    out->actions += static_cast<int64_t>(l.actions.size());
  }
}

void ReplayAll(const ReplayLog& log, const std::vector<PlaybookVersion>& versions, int threads,
               const std::function<void(size_t, const LeadState&)>& fn, bool lean) {
  ReplayWorkers(
      log, versions, threads, [&](int, size_t i, const LeadState& s) { fn(i, s); }, nullptr,
      nullptr, lean);
}

Result<double> ParseCapacity(const std::string& text) {
  std::string t(TrimSpaces(text));
  for (const char* suffix : {"/week", "/w", "/wk"}) {
    const std::string s = suffix;
    if (t.size() > s.size() && t.compare(t.size() - s.size(), s.size(), s) == 0) {
      t = std::string(TrimSpaces(t.substr(0, t.size() - s.size())));
      break;
    }
  }
  double v = 0;
  if (!ParseNumber(t, &v) || v <= 0) {
    return Status::Usage("--capacity '" + text +
                         "' is not a positive number of MQLs per week (like 40/week)");
  }
  return v;
}

Result<BacktestReport> RunBacktest(const ReplayLog& log,
                                   const std::vector<PlaybookVersion>& current,
                                   std::shared_ptr<const Playbook> candidate,
                                   const BacktestOptions& opts) {
  if (current.empty()) return Status::Invalid("the store has no playbook version");
  if (log.events == 0) return Status::Invalid("the store has no events to replay");
  BacktestReport r;
  r.events = log.events;
  r.actions = log.actions;
  r.semantics = opts.applied_at ? "applied_at" : "replace";
  r.applied_at = opts.applied_at;
  Window win;
  win.from = opts.from ? *opts.from : (log.leads.empty() ? 0 : log.first);
  win.to = opts.to ? *opts.to : (log.leads.empty() ? 0 : log.last / kSecond * kSecond + kSecond);
  if (win.to <= win.from) {
    return Status::Usage("the window is empty: --from " + FormatRfc3339(win.from) +
                         " is not before --to " + FormatRfc3339(win.to));
  }
  r.from = win.from;
  r.to = win.to;
  r.weeks = static_cast<double>(win.to - win.from) / static_cast<double>(kWeek);
  win.week0 = WeekStart(win.from);
  win.weeks = static_cast<size_t>((win.to - 1 - win.week0) / kWeek + 1);
  for (size_t k = 0; k < win.weeks; ++k) {
    r.week_labels.push_back(IsoWeek(win.week0 + static_cast<Micros>(k) * kWeek));
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<PlaybookVersion> cand = CandidateVersions(current, candidate, opts.applied_at);
  WorkerCaches cur_caches, can_caches;
  SideRun cur = ReplaySide(log, current, win, opts.threads, true, &cur_caches);
  SeedAlike(log, current, cur_caches, cand, &can_caches);
  SideRun can = ReplaySide(log, cand, win, opts.threads, true, &can_caches);
  r.replays = 2;
  r.current.label = "current";
  r.candidate.label = "candidate";
  for (const auto& v : current) r.current.versions.push_back(v.version);
  for (const auto& v : cand) r.candidate.versions.push_back(v.version);
  Summarize(cur, cur.leads, win, r.week_labels, r.weeks, &r.current);
  Summarize(can, cur.leads, win, r.week_labels, r.weeks, &r.candidate);
  r.current.rules = OrderRules(cur, *current.back().playbook);
  r.candidate.rules = OrderRules(can, *candidate);
  for (size_t i = 0; i < log.leads.size(); ++i) {
    const LeadSummary& a = cur.leads[i];
    const LeadSummary& b = can.leads[i];
    if (a.exists) ++r.leads;
    if (win.Cohort(a)) {
      ++r.cohort;
      if (a.won) ++r.won;
      if (a.lost) ++r.lost;
      if (a.won) {
        WonLeadTiming w{log.leads[i].id, a.first_mql, b.first_mql, ""};
        if (a.first_mql && b.first_mql) {
          w.change = *b.first_mql < *a.first_mql   ? "earlier"
                     : *b.first_mql > *a.first_mql ? "later"
                                                   : "same";
        } else if (a.first_mql) {
          w.change = "never";
        } else if (b.first_mql) {
          w.change = "new";
        } else {
          w.change = "neither";
        }
        ++r.won_changes[w.change];
        r.won_leads.push_back(std::move(w));
      }
    }
    if (a.first_mql_window.has_value() != b.first_mql_window.has_value()) {
      r.flips.push_back({log.leads[i].id, a.first_mql_window, b.first_mql_window});
      ++(b.first_mql_window ? r.flips_to_mql : r.flips_from_mql);
    }
  }
  for (const char* k : {"earlier", "later", "same", "never", "new", "neither"}) r.won_changes[k];

  if (opts.capacity) {
    const MqlMinimums& m = candidate->mql;
    auto pos = [](const std::optional<double>& x) { return x && *x > 0; };
    if (!m.defined || !(pos(m.fit) || pos(m.engagement) || pos(m.total))) {
      return Status::Invalid(
          "--capacity scales the candidate's MQL minimums, and it has no positive one (set "
          "mql.fit, mql.engagement or mql.total above 0)");
    }
    CapacityResult cap;
    cap.target = *opts.capacity;
    WorkerCaches& caches = can_caches;  // the variants share the candidate's conditions
    // k scales the positive minimums; `total`, when given, then sets the
    // total minimum (the second, finer axis).
    // Summaries of the scale-axis variants evaluated (by scale), kept for the
    // variants the search may still evaluate with stricter minimums.
    std::map<double, std::vector<LeadSummary>> kept;
    auto eval = [&](double k, std::optional<double> total = std::nullopt) {
      auto pb = std::make_shared<Playbook>(*candidate);
      auto scale = [k](std::optional<double>& x) {
        if (x && *x > 0) x = *x * k;
      };
      scale(pb->mql.fit);
      scale(pb->mql.engagement);
      scale(pb->mql.total);
      if (total) pb->mql.total = *total;
      CapacityPoint p;
      p.axis = total ? "total" : "scale";
      p.scale = k;
      p.fit = pb->mql.fit;
      p.engagement = pb->mql.engagement;
      p.total = pb->mql.total;
      // The strictest kept variant that is no stricter than this one.
      const std::vector<LeadSummary>* looser = nullptr;
      auto it = kept.upper_bound(k);
      if (it != kept.begin()) looser = &std::prev(it)->second;
      SideRun run = ReplaySide(log, CandidateVersions(current, pb, opts.applied_at), win,
                               opts.threads, false, &caches, looser);
      ++r.replays;
      SideStats st;
      Summarize(run, cur.leads, win, r.week_labels, r.weeks, &st);
      p.mql = st.mql;
      p.mql_per_week = st.mql_per_week;
      p.recall = st.recall;
      p.precision = st.precision;
      if (!total) kept[k] = std::move(run.leads);
      return p;
    };
    // A grid for the curve, then bisection between the two grid points that
    // bracket the target (fewer MQLs as the minimums rise).
    const std::vector<double> grid = {0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 2.0, 3.0};
    std::vector<CapacityPoint> pts;
    for (double k : grid) pts.push_back(eval(k));
    // Beyond the grid: lower minimums (down to 0) or higher ones.
    if (pts.front().mql_per_week < cap.target) {
      for (double k : {0.1, 0.0}) pts.insert(pts.begin(), eval(k));
    } else if (pts.back().mql_per_week > cap.target) {
      for (double k : {5.0, 10.0}) pts.push_back(eval(k));
    }
    double lo = -1, hi = -1;
    for (size_t i = 0; i + 1 < pts.size(); ++i) {
      if (pts[i].mql_per_week >= cap.target && pts[i + 1].mql_per_week <= cap.target) {
        lo = pts[i].scale;
        hi = pts[i + 1].scale;
        break;
      }
    }
    auto drop_below = [&](double k) {
      while (!kept.empty() && kept.begin()->first < k) kept.erase(kept.begin());
    };
    drop_below(lo);
    std::vector<CapacityPoint> tried = pts;
    if (lo >= 0) {
      for (int it = 0; it < 14 && hi - lo > 1e-4; ++it) {
        double mid = (lo + hi) / 2;
        CapacityPoint p = eval(mid);
        tried.push_back(p);
        if (std::abs(p.mql_per_week - cap.target) <= 0.01 * cap.target) break;
        (p.mql_per_week >= cap.target ? lo : hi) = mid;
        drop_below(lo);
      }
    }
    auto closest = [&] {
      CapacityPoint b = tried.front();
      for (const CapacityPoint& p : tried) {
        if (std::abs(p.mql_per_week - cap.target) < std::abs(b.mql_per_week - cap.target)) b = p;
      }
      return b;
    };
    cap.best = closest();
    // Volume jumps where a scaled fit minimum crosses a step of the fit
    // points. Then keep the minimums of the bracket's busier end and search
    // the total minimum alone, upwards from there.
    if (lo >= 0 && std::abs(cap.best.mql_per_week - cap.target) > 0.02 * cap.target) {
      CapacityPoint base = *std::find_if(tried.begin(), tried.end(), [&](const CapacityPoint& p) {
        return p.axis == "scale" && p.scale == lo;
      });
      double tlo = base.total ? *base.total : 0;
      if (base.fit || base.engagement) {
        tlo = std::max(tlo, base.fit.value_or(0) + base.engagement.value_or(0));
      }
      double thi = std::max(2 * tlo, tlo + 100);
      CapacityPoint top = eval(lo, thi);
      tried.push_back(top);
      if (base.mql_per_week >= cap.target && top.mql_per_week <= cap.target) {
        for (int it = 0; it < 16 && thi - tlo > 1e-3; ++it) {
          double mid = (tlo + thi) / 2;
          CapacityPoint p = eval(lo, mid);
          tried.push_back(p);
          if (std::abs(p.mql_per_week - cap.target) <= 0.01 * cap.target) break;
          (p.mql_per_week >= cap.target ? tlo : thi) = mid;
        }
      }
      cap.best = closest();
    }
    // The curve: the grid, and the point found.
    cap.curve = pts;
    if (std::none_of(pts.begin(), pts.end(), [&](const CapacityPoint& p) {
          return p.scale == cap.best.scale && p.total == cap.best.total;
        })) {
      cap.curve.push_back(cap.best);
    }
    std::stable_sort(
        cap.curve.begin(), cap.curve.end(),
        [](const CapacityPoint& a, const CapacityPoint& b) { return a.scale < b.scale; });
    r.capacity = std::move(cap);
  }
  r.replay_seconds = SecondsSince(t0);
  r.classifications =
      cur_caches.classifier.classifications() + can_caches.classifier.classifications();
  return r;
}

}  // namespace leadgate
