#include "app/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace leadgate {
namespace html {
namespace {

constexpr const char* kColors[] = {"#2b6cb0", "#dd6b20", "#38a169", "#805ad5",
                                   "#d53f8c", "#319795", "#718096", "#b7791f"};

std::string Num(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(v));
  }
  return fmt::format("{:.4g}", v);
}

// An attribute value: plain number text.
std::string DataValue(double v) { return fmt::format("{}", v); }

}  // namespace

std::string Escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Percent(const std::optional<double>& v) {
  return v ? fmt::format("{:.1f}%", *v * 100) : std::string("-");
}

std::string BarChart(const std::string& title, const std::vector<Bar>& bars,
                     std::optional<double> max) {
  const int label_w = 200, bar_w = 420, row_h = 22, text_w = 90;
  const int width = label_w + bar_w + text_w;
  const int height = static_cast<int>(bars.size()) * row_h + 8;
  double top = max.value_or(0);
  if (!max) {
    for (const Bar& b : bars) top = std::max(top, b.value);
  }
  std::string out = fmt::format(
      "<figure class=\"chart bar-chart\" data-title=\"{0}\"><figcaption>{0}</figcaption>\n"
      "<svg width=\"{1}\" height=\"{2}\" viewBox=\"0 0 {1} "
      "{2}\" role=\"img\">\n",
      Escape(title), width, std::max(height, 30));
  if (bars.empty()) out += "<text x=\"4\" y=\"20\" class=\"muted\">no data</text>\n";
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const int y = static_cast<int>(i) * row_h + 4;
    const double frac = top > 0 ? std::clamp(b.value / top, 0.0, 1.0) : 0;
    const int w = static_cast<int>(std::lround(frac * bar_w));
    const std::string text = b.text.empty() ? Num(b.value) : b.text;
    out += fmt::format(
        "<g class=\"bar\" data-label=\"{0}\" data-value=\"{1}\"><text x=\"{2}\" y=\"{3}\" "
        "text-anchor=\"end\">{0}</text><rect x=\"{4}\" y=\"{5}\" width=\"{6}\" height=\"{7}\" "
        "fill=\"{8}\"/><text x=\"{9}\" y=\"{3}\">{10}</text></g>\n",
        Escape(b.label), DataValue(b.value), label_w - 6, y + 15, label_w, y + 2, w, row_h - 6,
        kColors[0], label_w + w + 6, Escape(text));
  }
  out += "</svg></figure>\n";
  return out;
}

std::string LineChart(const std::string& title, const std::vector<std::string>& x,
                      const std::vector<Series>& series) {
  const int left = 60, right = 20, top = 16, bottom = 60, plot_w = 640, plot_h = 220;
  const int width = left + plot_w + right, height = top + plot_h + bottom;
  double hi = 0, lo = 0;
  for (const Series& s : series) {
    for (const auto& v : s.values) {
      if (v) {
        hi = std::max(hi, *v);
        lo = std::min(lo, *v);
      }
    }
  }
  if (hi <= lo) hi = lo + 1;
  auto px = [&](size_t i) {
    return left + (x.size() > 1 ? static_cast<double>(i) * plot_w / (x.size() - 1) : plot_w / 2.0);
  };
  auto py = [&](double v) { return top + plot_h - (v - lo) / (hi - lo) * plot_h; };
  std::string out = fmt::format(
      "<figure class=\"chart line-chart\" data-title=\"{0}\"><figcaption>{0}</figcaption>\n"
      "<svg width=\"{1}\" height=\"{2}\" viewBox=\"0 0 {1} "
      "{2}\" role=\"img\">\n",
      Escape(title), width, height);
  // Axes, with the top and bottom values.
  out += fmt::format(
      "<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" class=\"axis\"/><line x1=\"{0}\" "
      "y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" class=\"axis\"/>\n<text x=\"{4}\" y=\"{5}\" "
      "text-anchor=\"end\" class=\"muted\">{6}</text><text x=\"{4}\" y=\"{2}\" "
      "text-anchor=\"end\" class=\"muted\">{7}</text>\n",
      left, top, top + plot_h, left + plot_w, left - 4, top + 10, Num(hi), Num(lo));
  const size_t step = std::max<size_t>(1, x.size() / 12);
  for (size_t i = 0; i < x.size(); i += step) {
    out += fmt::format(
        "<text x=\"{0:.1f}\" y=\"{1}\" text-anchor=\"end\" transform=\"rotate(-40 {0:.1f} {1})\" "
        "class=\"muted\">{2}</text>\n",
        px(i), top + plot_h + 14, Escape(x[i]));
  }
  for (size_t si = 0; si < series.size(); ++si) {
    const Series& s = series[si];
    const char* color = kColors[si % std::size(kColors)];
    std::string points;
    std::string dots;
    for (size_t i = 0; i < s.values.size() && i < x.size(); ++i) {
      if (!s.values[i]) continue;
      points += fmt::format("{:.1f},{:.1f} ", px(i), py(*s.values[i]));
      dots += fmt::format(
          "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\" class=\"point\" "
          "data-series=\"{}\" data-label=\"{}\" data-value=\"{}\"/>\n",
          px(i), py(*s.values[i]), color, Escape(s.name), Escape(x[i]), DataValue(*s.values[i]));
    }
    out += fmt::format(
        "<g class=\"series\" data-series=\"{0}\"><polyline fill=\"none\" stroke=\"{1}\" "
        "stroke-width=\"2\" points=\"{2}\"/>\n{3}</g>\n",
        Escape(s.name), color, points, dots);
    out += fmt::format(
        "<rect x=\"{0}\" y=\"{1}\" width=\"10\" height=\"10\" fill=\"{2}\"/><text x=\"{3}\" "
        "y=\"{4}\">{5}</text>\n",
        left + 10 + static_cast<int>(si) * 160, height - 14, color,
        left + 24 + static_cast<int>(si) * 160, height - 5, Escape(s.name));
  }
  out += "</svg></figure>\n";
  return out;
}

std::string FunnelChart(const std::string& title, const std::vector<FunnelStep>& steps) {
  const int label_w = 120, bar_w = 480, row_h = 30, text_w = 150;
  const int width = label_w + bar_w + text_w;
  const int height = static_cast<int>(steps.size()) * row_h + 8;
  const int64_t first = steps.empty() ? 0 : steps.front().count;
  int64_t top = 0;
  for (const auto& s : steps) top = std::max(top, s.count);
  std::string out = fmt::format(
      "<figure class=\"chart funnel\" data-title=\"{0}\"><figcaption>{0}</figcaption>\n"
      "<svg width=\"{1}\" height=\"{2}\" viewBox=\"0 0 {1} "
      "{2}\" role=\"img\">\n",
      Escape(title), width, std::max(height, 30));
  for (size_t i = 0; i < steps.size(); ++i) {
    const FunnelStep& s = steps[i];
    const int y = static_cast<int>(i) * row_h + 4;
    const double frac = top > 0 ? static_cast<double>(s.count) / static_cast<double>(top) : 0;
    const int w = std::max(1, static_cast<int>(std::lround(frac * bar_w)));
    const int x = label_w + (bar_w - w) / 2;
    const std::string share = first > 0
                                  ? fmt::format("{:.1f}%", 100.0 * static_cast<double>(s.count) /
                                                               static_cast<double>(first))
                                  : std::string("-");
    out += fmt::format(
        "<g class=\"step\" data-label=\"{0}\" data-value=\"{1}\"><text x=\"{2}\" y=\"{3}\" "
        "text-anchor=\"end\">{0}</text><rect x=\"{4}\" y=\"{5}\" width=\"{6}\" height=\"{7}\" "
        "rx=\"3\" fill=\"{8}\"/><text x=\"{9}\" y=\"{3}\">{1} ({10})</text></g>\n",
        Escape(s.label), s.count, label_w - 8, y + 19, x, y + 3, w, row_h - 6,
        kColors[i % std::size(kColors)], label_w + bar_w + 8, share);
  }
  out += "</svg></figure>\n";
  return out;
}

std::string Table(const std::string& title, const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::string out =
      fmt::format("<table data-title=\"{0}\"><caption>{0}</caption>\n<thead><tr>", Escape(title));
  for (const auto& h : header) out += "<th>" + Escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& r : rows) {
    out += "<tr>";
    for (const auto& c : r) out += "<td>" + Escape(c) + "</td>";
    out += "</tr>\n";
  }
  if (rows.empty()) {
    out += fmt::format("<tr><td colspan=\"{}\" class=\"muted\">none</td></tr>\n",
                       std::max<size_t>(1, header.size()));
  }
  out += "</tbody></table>\n";
  return out;
}

std::string Page(const std::string& title, const std::string& subtitle,
                 const std::vector<std::string>& sections) {
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<title>{0}</title>\n<style>\n"
      "body{{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#1a202c}}\n"
      "h1{{font-size:22px;margin:0 0 4px}} .sub{{color:#4a5568;margin:0 0 20px}}\n"
      "section{{margin:0 0 28px}} figure{{margin:0 0 18px}}\n"
      "figcaption,caption{{font-weight:600;text-align:left;margin:0 0 6px}}\n"
      "svg text{{font:12px system-ui,sans-serif;fill:#1a202c}} svg .muted{{fill:#718096}}\n"
      ".muted{{color:#718096}} .axis{{stroke:#a0aec0;stroke-width:1}}\n"
      "table{{border-collapse:collapse;margin:0 0 18px}} "
      "th,td{{border-bottom:1px solid #e2e8f0;padding:3px 10px;text-align:right}}\n"
      "th:first-child,td:first-child{{text-align:left}} th{{background:#f7fafc}}\n"
      "</style></head><body>\n<h1>{0}</h1>\n<p class=\"sub\">{1}</p>\n",
      Escape(title), Escape(subtitle));
  for (const auto& s : sections) out += "<section>\n" + s + "</section>\n";
  out += "</body></html>\n";
  return out;
}

}  // namespace html

namespace {

using html::Bar;
using html::Percent;

std::string Count(int64_t n) { return std::to_string(n); }

std::string Hours(const std::optional<double>& h) {
  return h ? fmt::format("{:.1f}", *h) : std::string("-");
}

std::string CohortText(std::optional<Micros> from, std::optional<Micros> to, Micros as_of) {
  std::string s = "as of " + FormatRfc3339(as_of) + "; leads created";
  if (!from && !to) s += " at any time";
  if (from) s += " from " + FormatRfc3339(*from);
  if (to) s += " before " + FormatRfc3339(*to);
  return s;
}

constexpr Stage kFunnelStages[] = {Stage::kLead, Stage::kMql,         Stage::kSal,
                                   Stage::kSql,  Stage::kOpportunity, Stage::kWon};

std::string ReasonsTable(const std::string& title, const std::vector<ReasonCount>& v) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : v) rows.push_back({r.reason, Count(r.count)});
  return html::Table(title, {"reason", "leads"}, rows);
}

std::optional<double> Conv(const FunnelGroup& g, const std::string& key) {
  for (const auto& [k, v] : g.conversion) {
    if (k == key) return v;
  }
  return std::nullopt;
}

// Funnel chart + conversion table of one group.
std::string GroupSections(const std::string& name, const FunnelGroup& g) {
  std::vector<html::FunnelStep> steps;
  for (Stage s : kFunnelStages) steps.push_back({StageName(s), g.reached[static_cast<size_t>(s)]});
  std::string out = html::FunnelChart(name, steps);
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, v] : g.conversion) rows.push_back({k, Percent(v)});
  out += html::Table(name + ": conversion", {"step", "rate"}, rows);
  return out;
}

std::string ByGroupSections(const std::string& by,
                            const std::map<std::string, FunnelGroup>& groups) {
  std::vector<Bar> to_mql, to_won;
  std::vector<std::vector<std::string>> rows;
  for (const auto& [k, g] : groups) {
    auto lm = Conv(g, "lead->mql"), mw = Conv(g, "mql->won");
    to_mql.push_back({k, lm.value_or(0), Percent(lm)});
    to_won.push_back({k, mw.value_or(0), Percent(mw)});
    std::vector<std::string> row{k, Count(g.leads)};
    for (Stage s : kFunnelStages) {
      if (s != Stage::kLead) row.push_back(Count(g.reached[static_cast<size_t>(s)]));
    }
    row.push_back(Percent(lm));
    row.push_back(Percent(Conv(g, "mql->sal")));
    row.push_back(Percent(mw));
    rows.push_back(std::move(row));
  }
  std::string out = html::BarChart("lead->mql by " + by, to_mql, 1.0);
  out += html::BarChart("mql->won by " + by, to_won, 1.0);
  out += html::Table(
      "by " + by,
      {by, "leads", "mql", "sal", "sql", "opportunity", "won", "lead->mql", "mql->sal", "mql->won"},
      rows);
  return out;
}

}  // namespace

std::string FunnelHtml(const FunnelReport& r) {
  std::vector<std::string> sections;
  sections.push_back(GroupSections("Funnel", r.all));
  if (!r.by.empty()) sections.push_back(ByGroupSections(r.by, r.groups));
  {
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < kStageCount; ++i) {
      const StageTime& t = r.time_in_stage[i];
      if (!t.stays) continue;
      rows.push_back({StageName(static_cast<Stage>(i)), Count(t.stays), Hours(t.median_hours),
                      Hours(t.p90_hours)});
    }
    sections.push_back(html::Table("Time in stage (completed stays)",
                                   {"stage", "stays", "median hours", "p90 hours"}, rows));
  }
  sections.push_back(ReasonsTable("Reject reasons", r.rejected) +
                     ReasonsTable("Lost reasons", r.lost) +
                     ReasonsTable("Disqualification reasons", r.disqualified));
  std::string sub = CohortText(r.from, r.to, r.as_of);
  sub += "; " + std::to_string(r.all.leads) + " leads";
  return html::Page("Leadgate funnel", sub, sections);
}

std::string FeedbackHtml(const FeedbackReport& r) {
  std::vector<std::string> sections;
  {
    std::vector<Bar> sal, won;
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, row] : r.by_source) {
      sal.push_back({k, row.mql_to_sal.value_or(0), Percent(row.mql_to_sal)});
      won.push_back({k, row.mql_to_won.value_or(0), Percent(row.mql_to_won)});
      std::string reasons;
      for (const auto& rc : row.rejected) {
        if (!reasons.empty()) reasons += ", ";
        reasons += rc.reason + " (" + std::to_string(rc.count) + ")";
      }
      rows.push_back({k, Count(row.leads), Count(row.mqls), Count(row.sal), Count(row.won),
                      Percent(row.lead_to_mql), Percent(row.mql_to_sal), Percent(row.mql_to_won),
                      reasons});
    }
    sections.push_back(html::BarChart("mql->sal by source", sal, 1.0) +
                       html::BarChart("mql->won by source", won, 1.0) +
                       html::Table("by source",
                                   {"source", "leads", "mqls", "sal", "won", "lead->mql",
                                    "mql->sal", "mql->won", "top reject reasons"},
                                   rows));
  }
  {
    std::vector<Bar> won;
    std::vector<std::vector<std::string>> rows;
    for (const auto& [k, row] : r.by_rule) {
      won.push_back({k, row.mql_to_won.value_or(0), Percent(row.mql_to_won)});
      rows.push_back({k, row.kind, Count(row.mqls), Count(row.sal), Count(row.won),
                      Percent(row.mql_to_sal), Percent(row.mql_to_won)});
    }
    sections.push_back(html::BarChart("mql->won by rule", won, 1.0) +
                       html::Table("by rule",
                                   {"rule", "kind", "mqls", "sal", "won", "mql->sal", "mql->won"},
                                   rows));
  }
  std::string sub = CohortText(r.from, r.to, r.as_of);
  sub += "; " + std::to_string(r.all.mqls) + " MQLs, " + Percent(r.all.mql_to_sal) + " to SAL, " +
         Percent(r.all.mql_to_won) + " won";
  return html::Page("Leadgate marketing feedback", sub, sections);
}

std::string StalledHtml(const std::vector<StalledRow>& rows, Micros at, Micros older_than) {
  std::map<std::string, int64_t> by_stage, by_owner;
  std::vector<std::vector<std::string>> table;
  for (const auto& r : rows) {
    ++by_stage[StageName(r.stage)];
    ++by_owner[r.owner.value_or("(unassigned)")];
    table.push_back({r.id, StageName(r.stage), r.owner.value_or("(unassigned)"),
                     FormatRfc3339(r.since), fmt::format("{:.1f}", r.idle_seconds / 86400.0),
                     r.who});
  }
  std::vector<Bar> stage_bars, owner_bars;
  for (Stage s : {Stage::kMql, Stage::kSal, Stage::kSql}) {
    stage_bars.push_back({StageName(s), static_cast<double>(by_stage[StageName(s)]), ""});
  }
  for (const auto& [k, n] : by_owner) owner_bars.push_back({k, static_cast<double>(n), ""});
  std::vector<std::string> sections;
  sections.push_back(html::BarChart("stalled by stage", stage_bars) +
                     html::BarChart("stalled by owner", owner_bars));
  sections.push_back(html::Table("stalled leads, oldest first",
                                 {"id", "stage", "owner", "since", "idle days", "who"}, table));
  std::string sub = "as of " + FormatRfc3339(at) + "; idle at least " +
                    fmt::format("{:.1f}", static_cast<double>(older_than) / kDay) + " days; " +
                    std::to_string(rows.size()) + " leads";
  return html::Page("Leadgate stalled leads", sub, sections);
}

std::string SlaComplianceHtml(const SlaComplianceReport& r) {
  auto row = [](const std::string& k, const SlaStats& s) {
    return std::vector<std::string>{
        k,
        Count(s.clocks),
        Count(s.met),
        Count(s.breached),
        Count(s.running),
        Percent(s.met_rate),
        s.median_response_seconds ? fmt::format("{:.0f}", *s.median_response_seconds) : "-",
        s.p90_response_seconds ? fmt::format("{:.0f}", *s.p90_response_seconds) : "-"};
  };
  const std::vector<std::string> header{"",        "clocks",   "met",      "breached",
                                        "running", "met rate", "median s", "p90 s"};
  std::vector<Bar> owner_bars;
  std::vector<std::vector<std::string>> owners, teams, weeks;
  std::vector<Bar> team_bars;
  for (const auto& [k, s] : r.by_team) {
    team_bars.push_back({k, s.met_rate.value_or(0), Percent(s.met_rate)});
    teams.push_back(row(k, s));
  }
  for (const auto& [k, s] : r.by_owner) {
    owner_bars.push_back({k, s.met_rate.value_or(0), Percent(s.met_rate)});
    owners.push_back(row(k, s));
  }
  std::vector<std::string> x;
  html::Series rate{"met rate", {}}, clocks{"clocks (share of the busiest week)", {}};
  int64_t busiest = 0;
  for (const auto& [k, s] : r.by_week) busiest = std::max(busiest, s.clocks);
  for (const auto& [k, s] : r.by_week) {
    x.push_back(k);
    rate.values.push_back(s.met_rate);
    clocks.values.push_back(busiest ? std::optional<double>(static_cast<double>(s.clocks) /
                                                            static_cast<double>(busiest))
                                    : std::nullopt);
    weeks.push_back(row(k, s));
  }
  std::vector<std::string> sections;
  sections.push_back(html::Table("all clocks", header, {row("all", r.all)}));
  sections.push_back(html::BarChart("met rate by owner", owner_bars, 1.0) +
                     html::Table("by owner", header, owners));
  sections.push_back(html::BarChart("met rate by team", team_bars, 1.0) +
                     html::Table("by team", header, teams));
  sections.push_back(html::LineChart("met rate by week", x, {rate, clocks}) +
                     html::Table("by week", header, weeks));
  std::string sub =
      "as of " + FormatRfc3339(r.as_of) + "; limit " +
      (r.limit ? fmt::format("{:.0f} minutes", static_cast<double>(*r.limit) / kMinute)
               : std::string("none"));
  return html::Page("Leadgate speed-to-lead", sub, sections);
}

std::string ExceptionsHtml(const ExceptionsReport& r) {
  std::vector<std::string> sections;
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& [who, n] : r.overrides_by) rows.push_back({who, Count(n)});
    sections.push_back(html::Table("exceptions", {"kind", "count"},
                                   {{"overrides", Count(r.overrides)},
                                    {"self_qualified", Count(r.self_qualified)}}) +
                       html::Table("overrides by", {"user", "overrides"}, rows));
  }
  sections.push_back(ByGroupSections("path", r.paths.groups));
  std::vector<Bar> sql_won;
  for (const auto& [k, g] : r.paths.groups) {
    auto so = Conv(g, "sql->opportunity");
    sql_won.push_back({k, so.value_or(0), Percent(so)});
  }
  sections.push_back(html::BarChart("sql->opportunity by path", sql_won, 1.0));
  return html::Page("Leadgate exceptions", "as of " + FormatRfc3339(r.paths.as_of), sections);
}

}  // namespace leadgate
