// Renderings of a backtest: JSON (the contract), tables, and one HTML page
// with inline SVG charts (weekly MQLs current vs candidate, the capacity curve).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "app/backtest.h"

namespace leadgate {
namespace {

using OJ = nlohmann::ordered_json;

OJ Opt(const std::optional<double>& v) { return v ? OJ(Round2(*v * 10000) / 10000) : OJ(nullptr); }
OJ OptTime(const std::optional<Micros>& t) { return t ? OJ(FormatRfc3339(*t)) : OJ(nullptr); }
OJ OptNum(const std::optional<double>& v) { return v ? OJ(*v) : OJ(nullptr); }

OJ SideJson(const SideStats& s) {
  OJ j;
  j["mql"] = s.mql;
  j["mql_entries"] = s.mql_entries;
  j["mql_per_week"] = Round2(s.mql_per_week);
  j["weekly"] = OJ::object();
  for (const auto& [w, n] : s.weekly) j["weekly"][w] = n;
  j["precision"] = Opt(s.precision);
  j["recall"] = Opt(s.recall);
  j["cohort_mql"] = s.cohort_mql;
  j["mql_won"] = s.mql_won;
  j["mql_lost"] = s.mql_lost;
  j["skipped_actions"] = s.skipped_actions;
  j["versions"] = s.versions;
  j["stages"] = OJ::object();
  for (const auto& [st, n] : s.stages) j["stages"][st] = n;
  j["rules"] = OJ::array();
  for (const RuleStat& r : s.rules) {
    j["rules"].push_back(
        {{"id", r.id}, {"kind", r.kind}, {"count", r.count}, {"points", Round2(r.points)}});
  }
  return j;
}

OJ PointJson(const CapacityPoint& p) {
  return {
      {"scale", Round2(p.scale * 10000) / 10000},
      {"minimums",
       {{"fit", OptNum(p.fit)}, {"engagement", OptNum(p.engagement)}, {"total", OptNum(p.total)}}},
      {"mql", p.mql},
      {"mql_per_week", Round2(p.mql_per_week)},
      {"recall", Opt(p.recall)},
      {"precision", Opt(p.precision)}};
}

std::string Pct(const std::optional<double>& v) {
  if (!v) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", *v * 100);
  return b;
}
std::string Num(double v, int prec = 1) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}
std::string Min(const std::optional<double>& v) { return v ? Num(*v, 2) : "-"; }

// A plain text table: first column left-aligned, the rest right-aligned.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w;
  for (const auto& r : rows) {
    if (w.size() < r.size()) w.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  std::string out;
  for (size_t ri = 0; ri < rows.size(); ++ri) {
    const auto& r = rows[ri];
    std::string line = "  ";
    for (size_t i = 0; i < r.size(); ++i) {
      std::string pad(w[i] - r[i].size(), ' ');
      line += i == 0 ? r[i] + pad : pad + r[i];
      if (i + 1 < r.size()) line += "  ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
    if (ri == 0) {
      size_t total = 0;
      for (size_t x : w) total += x + 2;
      out += "  " + std::string(total > 2 ? total - 2 : 0, '-') + "\n";
    }
  }
  return out;
}

std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

// A line chart: series of (x, y) with a label and a colour, axes with ticks.
struct Series {
  std::string label, color;
  std::vector<std::pair<double, double>> pts;
  bool dashed = false;
};
std::string LineChart(const std::string& title, const std::vector<Series>& series,
                      const std::vector<std::string>& xlabels, const std::string& xname,
                      const std::string& yname, double ymax_hint = 0) {
  const double W = 760, H = 300, L = 60, R = 20, T = 30, B = 50;
  double xmin = 1e300, xmax = -1e300, ymax = ymax_hint;
  for (const auto& s : series) {
    for (auto [x, y] : s.pts) {
      xmin = std::min(xmin, x);
      xmax = std::max(xmax, x);
      ymax = std::max(ymax, y);
    }
  }
  if (xmin > xmax) {
    xmin = 0;
    xmax = 1;
  }
  if (xmax == xmin) xmax = xmin + 1;
  if (ymax <= 0) ymax = 1;
  ymax *= 1.1;
  auto X = [&](double x) { return L + (x - xmin) / (xmax - xmin) * (W - L - R); };
  auto Y = [&](double y) { return H - B - y / ymax * (H - T - B); };
  std::ostringstream o;
  o << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H
    << "' viewBox='0 0 " << W << " " << H << "' role='img'><title>" << Esc(title) << "</title>";
  o << "<text x='" << L << "' y='18' font-size='14' font-weight='bold'>" << Esc(title) << "</text>";
  o << "<line x1='" << L << "' y1='" << H - B << "' x2='" << W - R << "' y2='" << H - B
    << "' stroke='#444'/><line x1='" << L << "' y1='" << T << "' x2='" << L << "' y2='" << H - B
    << "' stroke='#444'/>";
  for (int i = 0; i <= 4; ++i) {
    double y = ymax / 1.1 * i / 4;
    o << "<line x1='" << L << "' x2='" << W - R << "' y1='" << Y(y) << "' y2='" << Y(y)
      << "' stroke='#ddd'/><text x='" << L - 6 << "' y='" << Y(y) + 4
      << "' font-size='11' text-anchor='end'>" << Num(y, y < 10 ? 1 : 0) << "</text>";
  }
  size_t step = std::max<size_t>(1, xlabels.size() / 12);
  for (size_t i = 0; i < xlabels.size(); i += step) {
    double x = xlabels.size() == 1 ? X(xmin) : X(xmin + (xmax - xmin) * i / (xlabels.size() - 1));
    o << "<text x='" << x << "' y='" << H - B + 16 << "' font-size='10' text-anchor='middle'>"
      << Esc(xlabels[i]) << "</text>";
  }
  o << "<text x='" << (L + W - R) / 2 << "' y='" << H - 8
    << "' font-size='12' text-anchor='middle'>" << Esc(xname) << "</text>";
  o << "<text x='14' y='" << (T + H - B) / 2 << "' font-size='12' text-anchor='middle' "
    << "transform='rotate(-90 14 " << (T + H - B) / 2 << ")'>" << Esc(yname) << "</text>";
  double lx = L + 10;
  for (const auto& s : series) {
    o << "<polyline fill='none' stroke='" << s.color << "' stroke-width='2'"
      << (s.dashed ? " stroke-dasharray='6 4'" : "") << " points='";
    for (auto [x, y] : s.pts) o << X(x) << "," << Y(y) << " ";
    o << "'/>";
    for (auto [x, y] : s.pts) {
      if (!s.dashed) {
        o << "<circle cx='" << X(x) << "' cy='" << Y(y) << "' r='3' fill='" << s.color << "'/>";
      }
    }
    o << "<rect x='" << lx << "' y='" << T + 2 << "' width='12' height='4' fill='" << s.color
      << "'/><text x='" << lx + 16 << "' y='" << T + 8 << "' font-size='11'>" << Esc(s.label)
      << "</text>";
    lx += 30 + 7 * static_cast<double>(s.label.size());
  }
  o << "</svg>";
  return o.str();
}

}  // namespace

nlohmann::ordered_json BacktestJson(const BacktestReport& r) {
  OJ j;
  j["current"] = SideJson(r.current);
  j["candidate"] = SideJson(r.candidate);
  j["flips"] = OJ::array();
  for (const Flip& f : r.flips) {
    j["flips"].push_back({{"id", f.id},
                          {"current_mql_at", OptTime(f.current_mql_at)},
                          {"candidate_mql_at", OptTime(f.candidate_mql_at)}});
  }
  j["flip_counts"] = {{"candidate_only", r.flips_to_mql}, {"current_only", r.flips_from_mql}};
  j["window"] = {
      {"from", FormatRfc3339(r.from)}, {"to", FormatRfc3339(r.to)}, {"weeks", Round2(r.weeks)}};
  j["semantics"] = r.semantics;
  j["applied_at"] = OptTime(r.applied_at);
  j["leads"] = r.leads;
  j["cohort"] = {{"leads", r.cohort}, {"won", r.won}, {"lost", r.lost}};
  OJ won = OJ::object();
  for (const auto& [k, n] : r.won_changes) won[k] = n;
  j["won_leads"] = {{"counts", won}, {"leads", OJ::array()}};
  for (const WonLeadTiming& w : r.won_leads) {
    j["won_leads"]["leads"].push_back({{"id", w.id},
                                       {"current_mql_at", OptTime(w.current_mql_at)},
                                       {"candidate_mql_at", OptTime(w.candidate_mql_at)},
                                       {"change", w.change}});
  }
  if (r.capacity) {
    OJ c;
    c["target_per_week"] = r.capacity->target;
    c["best"] = PointJson(r.capacity->best);
    c["curve"] = OJ::array();
    for (const CapacityPoint& p : r.capacity->curve) c["curve"].push_back(PointJson(p));
    j["capacity"] = c;
  } else {
    j["capacity"] = nullptr;
  }
  j["replay"] = {{"events", r.events},
                 {"actions", r.actions},
                 {"replays", r.replays},
                 {"classifications", r.classifications},
                 {"load_seconds", r.load_seconds},
                 {"replay_seconds", r.replay_seconds}};
  return j;
}

std::string BacktestText(const BacktestReport& r, size_t max_examples) {
  std::string o;
  o += "Backtest " + FormatRfc3339(r.from) + " .. " + FormatRfc3339(r.to) + " (" + Num(r.weeks) +
       " weeks), " + std::to_string(r.leads) + " leads, " + std::to_string(r.events) + " events, " +
       std::to_string(r.actions) + " recorded actions replayed as recorded\n";
  o += r.semantics == "replace"
           ? "Candidate: in force from the beginning (replaces every stored version)\n"
           : "Candidate: applied at " + FormatRfc3339(*r.applied_at) +
                 " on top of the stored versions before it\n";
  auto vers = [](const SideStats& s) {
    std::string v;
    for (int64_t x : s.versions) {
      if (!v.empty()) v += ",";
      v += std::to_string(x);
    }
    return v;
  };
  o += "\nSummary (cohort: " + std::to_string(r.cohort) + " leads created in the window, " +
       std::to_string(r.won) + " won, " + std::to_string(r.lost) + " lost or disqualified)\n";
  o +=
      Table({{"", "current (v" + vers(r.current) + ")", "candidate"},
             {"leads entering MQL", std::to_string(r.current.mql), std::to_string(r.candidate.mql)},
             {"MQLs per week", Num(r.current.mql_per_week), Num(r.candidate.mql_per_week)},
             {"precision (MQL -> won)", Pct(r.current.precision), Pct(r.candidate.precision)},
             {"recall (won that were MQL)", Pct(r.current.recall), Pct(r.candidate.recall)},
             {"recorded actions skipped", std::to_string(r.current.skipped_actions),
              std::to_string(r.candidate.skipped_actions)}});
  o += "\nMQLs per ISO week\n";
  std::vector<std::vector<std::string>> wk = {{"week", "current", "candidate", "change"}};
  for (const auto& w : r.week_labels) {
    int64_t a = r.current.weekly.count(w) ? r.current.weekly.at(w) : 0;
    int64_t b = r.candidate.weekly.count(w) ? r.candidate.weekly.at(w) : 0;
    std::string d = std::to_string(b - a);
    if (b - a > 0) d = "+" + d;
    wk.push_back({w, std::to_string(a), std::to_string(b), d});
  }
  o += Table(wk);
  o += "\nEventually-won leads: when they would have become MQL under the candidate\n";
  std::vector<std::vector<std::string>> wt = {{"change", "leads"}};
  for (const char* k : {"earlier", "same", "later", "never", "new", "neither"}) {
    auto it = r.won_changes.find(k);
    wt.push_back({k, std::to_string(it == r.won_changes.end() ? 0 : it->second)});
  }
  o += Table(wt);
  o += "  (never: MQL under the current playbook only; new: under the candidate only)\n";
  {
    std::vector<double> earlier, later;
    std::vector<std::vector<std::string>> ex = {
        {"won lead", "current MQL at", "candidate MQL at", "change"}};
    for (const WonLeadTiming& w : r.won_leads) {
      if (w.change == "same" || w.change == "neither") continue;
      if (w.change == "earlier" || w.change == "later") {
        double d = std::abs(static_cast<double>(*w.candidate_mql_at - *w.current_mql_at)) /
                   static_cast<double>(kDay);
        (w.change == "earlier" ? earlier : later).push_back(d);
      }
      if (ex.size() <= max_examples) {
        ex.push_back({w.id, w.current_mql_at ? FormatRfc3339(*w.current_mql_at) : "never",
                      w.candidate_mql_at ? FormatRfc3339(*w.candidate_mql_at) : "never", w.change});
      }
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    };
    if (!earlier.empty()) o += "  earlier by a median of " + Num(median(earlier)) + " days\n";
    if (!later.empty()) o += "  later by a median of " + Num(median(later)) + " days\n";
    if (ex.size() > 1) o += Table(ex);
  }
  o += "\nRules (cohort leads; fit: leads it holds for, engagement: activities counted and "
       "decayed points at each lead's last point)\n";
  std::vector<std::vector<std::string>> rt = {
      {"rule", "kind", "current count", "current points", "candidate count", "candidate points"}};
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto* side : {&r.current, &r.candidate}) {
    for (const RuleStat& x : side->rules) {
      if (std::find(keys.begin(), keys.end(), std::pair{x.kind, x.id}) == keys.end()) {
        keys.emplace_back(x.kind, x.id);
      }
    }
  }
  auto find = [](const SideStats& s, const std::pair<std::string, std::string>& k) {
    for (const RuleStat& x : s.rules) {
      if (x.kind == k.first && x.id == k.second) return &x;
    }
    return static_cast<const RuleStat*>(nullptr);
  };
  for (const auto& k : keys) {
    const RuleStat* a = find(r.current, k);
    const RuleStat* b = find(r.candidate, k);
    rt.push_back({k.second, k.first, a ? std::to_string(a->count) : "(absent)",
                  a ? Num(a->points) : "", b ? std::to_string(b->count) : "(absent)",
                  b ? Num(b->points) : ""});
  }
  o += Table(rt);
  o += "\nFlips: " + std::to_string(r.flips_to_mql) + " leads MQL only under the candidate, " +
       std::to_string(r.flips_from_mql) + " only under the current playbook\n";
  if (!r.flips.empty()) {
    std::vector<std::vector<std::string>> ft = {{"lead", "current MQL at", "candidate MQL at"}};
    size_t to = 0, from = 0;
    for (const Flip& f : r.flips) {
      size_t& n = f.candidate_mql_at ? to : from;
      if (n >= max_examples) continue;
      ++n;
      ft.push_back({f.id, f.current_mql_at ? FormatRfc3339(*f.current_mql_at) : "never",
                    f.candidate_mql_at ? FormatRfc3339(*f.candidate_mql_at) : "never"});
    }
    o += Table(ft);
    if (r.flips.size() > to + from) {
      o += "  ... " + std::to_string(r.flips.size() - to - from) + " more (--json lists all)\n";
    }
  }
  if (r.capacity) {
    const CapacityResult& c = *r.capacity;
    o += "\nCapacity: " + Num(c.target) + " MQLs/week. The candidate's MQL minimums scaled by " +
         Num(c.best.scale, 3) +
         (c.best.axis == "total" ? ", then the total minimum searched" : "") + ": fit " +
         Min(c.best.fit) + ", engagement " + Min(c.best.engagement) + ", total " +
         Min(c.best.total) + " -> " + Num(c.best.mql_per_week) + " MQLs/week, won-lead recall " +
         Pct(c.best.recall) + "\n";
    std::vector<std::vector<std::string>> ct = {
        {"scale", "fit min", "engagement min", "total min", "MQLs/week", "recall", "precision"}};
    for (const CapacityPoint& p : c.curve) {
      ct.push_back({Num(p.scale, 3), Min(p.fit), Min(p.engagement), Min(p.total),
                    Num(p.mql_per_week), Pct(p.recall), Pct(p.precision)});
    }
    o += Table(ct);
  }
  o += "\nReplay: " + std::to_string(r.replays) + " replays of " + std::to_string(r.events) +
       " events in " + Num(r.replay_seconds, 3) + " s (load " + Num(r.load_seconds, 3) + " s)\n";
  return o;
}

std::string BacktestHtml(const BacktestReport& r, const std::string& candidate_name) {
  std::ostringstream o;
  o << "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Leadgate backtest: "
    << Esc(candidate_name) << "</title><style>body{font-family:sans-serif;margin:24px;color:#222}"
    << "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;"
    << "text-align:right}td:first-child,th:first-child{text-align:left}</style></head><body>";
  o << "<h1>Backtest of " << Esc(candidate_name) << "</h1><p>" << Esc(FormatRfc3339(r.from))
    << " .. " << Esc(FormatRfc3339(r.to)) << ", " << r.leads << " leads, " << r.events
    << " events; candidate "
    << (r.semantics == "replace" ? "in force from the beginning"
                                 : "applied at " + FormatRfc3339(*r.applied_at))
    << ".</p>";
  o << "<table><tr><th></th><th>current</th><th>candidate</th></tr>"
    << "<tr><td>leads entering MQL</td><td>" << r.current.mql << "</td><td>" << r.candidate.mql
    << "</td></tr><tr><td>MQLs per week</td><td>" << Num(r.current.mql_per_week) << "</td><td>"
    << Num(r.candidate.mql_per_week) << "</td></tr><tr><td>precision</td><td>"
    << Pct(r.current.precision) << "</td><td>" << Pct(r.candidate.precision)
    << "</td></tr><tr><td>recall of won leads</td><td>" << Pct(r.current.recall) << "</td><td>"
    << Pct(r.candidate.recall) << "</td></tr><tr><td>flips</td><td>" << r.flips_from_mql
    << " MQL only here</td><td>" << r.flips_to_mql << " MQL only here</td></tr></table>";
  Series cur{"current", "#1f77b4", {}, false}, can{"candidate", "#d62728", {}, false};
  for (size_t i = 0; i < r.week_labels.size(); ++i) {
    const std::string& w = r.week_labels[i];
    auto get = [&](const SideStats& s) {
      auto it = s.weekly.find(w);
      return it == s.weekly.end() ? 0.0 : static_cast<double>(it->second);
    };
    cur.pts.emplace_back(static_cast<double>(i), get(r.current));
    can.pts.emplace_back(static_cast<double>(i), get(r.candidate));
  }
  std::vector<Series> weekly = {cur, can};
  if (r.capacity && !r.week_labels.empty()) {
    Series cap{"capacity", "#2ca02c", {}, true};
    cap.pts = {{0, r.capacity->target},
               {static_cast<double>(r.week_labels.size() - 1), r.capacity->target}};
    weekly.push_back(cap);
  }
  o << "<h2>MQLs per week</h2>"
    << LineChart("MQL entries per ISO week", weekly, r.week_labels, "ISO week", "MQLs");
  if (r.capacity) {
    const CapacityResult& c = *r.capacity;
    Series vol{"MQLs/week", "#d62728", {}, false}, rec{"won recall %", "#9467bd", {}, false};
    Series tgt{"capacity", "#2ca02c", {}, true};
    std::vector<std::string> xl;
    double ymax = 0;
    for (const CapacityPoint& p : c.curve) {
      vol.pts.emplace_back(p.scale, p.mql_per_week);
      ymax = std::max(ymax, p.mql_per_week);
    }
    for (const CapacityPoint& p : c.curve) {
      if (p.recall) rec.pts.emplace_back(p.scale, *p.recall * 100);
    }
    tgt.pts = {{c.curve.front().scale, c.target}, {c.curve.back().scale, c.target}};
    double lo = c.curve.front().scale, hi = c.curve.back().scale;
    for (int i = 0; i <= 5; ++i) xl.push_back(Num(lo + (hi - lo) * i / 5, 2) + "x");
    o << "<h2>Capacity curve</h2><p>Target " << Num(c.target) << " MQLs/week: minimums x"
      << Num(c.best.scale, 3) << " (fit " << Min(c.best.fit) << ", engagement "
      << Min(c.best.engagement) << ", total " << Min(c.best.total) << ") give "
      << Num(c.best.mql_per_week) << " MQLs/week at won-lead recall " << Pct(c.best.recall)
      << ".</p>"
      << LineChart("MQLs/week and won-lead recall by scale of the MQL minimums", {vol, tgt, rec},
                   xl, "scale of the candidate's MQL minimums", "MQLs/week; recall %");
    o << "<table><tr><th>scale</th><th>fit min</th><th>engagement min</th><th>total min</th>"
      << "<th>MQLs/week</th><th>recall</th></tr>";
    for (const CapacityPoint& p : c.curve) {
      o << "<tr><td>" << Num(p.scale, 3) << "</td><td>" << Min(p.fit) << "</td><td>"
        << Min(p.engagement) << "</td><td>" << Min(p.total) << "</td><td>" << Num(p.mql_per_week)
        << "</td><td>" << Pct(p.recall) << "</td></tr>";
    }
    o << "</table>";
  }
  o << "<h2>Flips</h2><table><tr><th>lead</th><th>current MQL at</th><th>candidate MQL "
       "at</th></tr>";
  size_t n = 0;
  for (const Flip& f : r.flips) {
    if (++n > 50) break;
    o << "<tr><td>" << Esc(f.id) << "</td><td>"
      << (f.current_mql_at ? FormatRfc3339(*f.current_mql_at) : "never") << "</td><td>"
      << (f.candidate_mql_at ? FormatRfc3339(*f.candidate_mql_at) : "never") << "</td></tr>";
  }
  o << "</table>";
  if (r.flips.size() > 50) o << "<p>... " << r.flips.size() - 50 << " more</p>";
  o << "</body></html>\n";
  return o.str();
}

}  // namespace leadgate
