// Self-contained HTML reports (`--html FILE`, docs/reports.md): one page with
// inline CSS and SVG, no script, no network. The primitives in `html` are
// small and reusable (backtest, dashboard); every drawn number is also in the
// markup as data-label/data-value (charts) or a table cell, so tests and
// scripts can read the page without looking at pixels.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/feedback.h"
#include "app/reports.h"

namespace leadgate {
namespace html {

// Text for element content and attribute values (& < > " ').
std::string Escape(std::string_view s);

struct Bar {
  std::string label;
  double value = 0;
  std::string text;  // shown next to the bar ("63", "12.5%"); default: the value
};
// Horizontal bars, one row each, scaled to the largest value (or to `max`
// when given: 1.0 for rates).
std::string BarChart(const std::string& title, const std::vector<Bar>& bars,
                     std::optional<double> max = std::nullopt);

struct Series {
  std::string name;
  std::vector<std::optional<double>> values;  // one per x label; nullopt: no point
};
// Lines over shared x labels (weeks, thresholds), one colour per series, with
// a legend.
std::string LineChart(const std::string& title, const std::vector<std::string>& x,
                      const std::vector<Series>& series);

struct FunnelStep {
  std::string label;
  int64_t count = 0;
};
// Centred bars narrowing stage by stage, with the count and the share of the
// first step.
std::string FunnelChart(const std::string& title, const std::vector<FunnelStep>& steps);

// A table; cells are text (escaped here).
std::string Table(const std::string& title, const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows);

// The whole page: <!DOCTYPE html>, inline CSS, title, subtitle, the sections.
std::string Page(const std::string& title, const std::string& subtitle,
                 const std::vector<std::string>& sections);

// "12.3%" or "-".
std::string Percent(const std::optional<double>& v);

}  // namespace html

// The report pages.
std::string FunnelHtml(const FunnelReport& r);
std::string FeedbackHtml(const FeedbackReport& r);
std::string StalledHtml(const std::vector<StalledRow>& rows, Micros at, Micros older_than);
std::string SlaComplianceHtml(const SlaComplianceReport& r);
std::string ExceptionsHtml(const ExceptionsReport& r);

}  // namespace leadgate
