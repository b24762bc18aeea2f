#include "model/dataset.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "common/time.h"
#include "ingest/csv.h"

namespace leadgate::model {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ParseNumber(std::string_view s, double* out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && p == end && std::isfinite(*out);
}

bool ParseDay(std::string_view s, double* out) {
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  std::string t(s);
  if (t.size() > 10 && t[10] == ' ') t[10] = 'T';  // "2018-02-01 10:00:00"
  if (t.size() == 19) t += 'Z';
  auto m = ParseDateOrTime(t);
  if (!m) return false;
  *out = static_cast<double>(*m) / (86400.0 * 1e6);
  return true;
}

std::string Quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace

int64_t Dataset::positives() const {
  int64_t n = 0;
  for (uint8_t v : y) n += v;
  return n;
}

bool IsMissing(std::string_view c) {
  if (c.empty()) return true;
  static const std::set<std::string, std::less<>> kMissing = {"na",   "n/a",    "null", "nan",
                                                              "none", "select", "#n/a"};
  if (c.size() > 6) return false;
  return kMissing.count(Lower(c)) > 0;
}

Result<Dataset> ReadCsvDataset(const std::string& path, const CsvOptions& opt) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::Invalid(path + ": cannot open the file");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return Status::Invalid(path + ": read error");
  return ParseCsvDataset(ss.str(), path, opt);
}

Result<Dataset> ParseCsvDataset(std::string_view data, const std::string& name,
                                const CsvOptions& opt) {
  if (opt.label.empty()) return Status::Usage("give the label column (--label COLUMN)");
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> cells;  // by column
  std::vector<int64_t> lines;
  std::vector<std::string> errors;
  int64_t bad = 0;
  auto note = [&](int64_t line, const std::string& why) {
    ++bad;
    if (errors.size() < 10) errors.push_back(name + ":" + std::to_string(line) + ": " + why);
    return Status::Ok();
  };
  Status s = ingest::ReadCsv(
      data, opt.delimiter,
      [&](ingest::CsvRecord&& r) -> Status {
        if (header.empty()) {
          header = std::move(r.cells);
          cells.resize(header.size());
          return Status::Ok();
        }
        if (r.cells.size() != header.size()) {
          return note(r.line, std::to_string(r.cells.size()) + " cells, the header has " +
                                  std::to_string(header.size()));
        }
        for (size_t c = 0; c < header.size(); ++c) cells[c].push_back(std::move(r.cells[c]));
        lines.push_back(r.line);
        return Status::Ok();
      },
      [&](ingest::CsvError&& e) { return note(e.line, e.reason); });
  if (!s.ok()) return Status::Invalid(name + ": " + s.message());
  if (header.empty()) return Status::Invalid(name + ": the file is empty (no header line)");
  if (bad > 0) {
    std::string m = name + ": " + std::to_string(bad) + " unreadable line" + (bad > 1 ? "s" : "") +
                    " (fix or remove them):";
    for (const auto& e : errors) m += "\n  " + e;
    if (bad > static_cast<int64_t>(errors.size()))
      m += "\n  ... and " + std::to_string(bad - static_cast<int64_t>(errors.size())) + " more";
    return Status::Invalid(m);
  }

  auto find = [&](const std::string& col) -> int {
    for (size_t i = 0; i < header.size(); ++i)
      if (header[i] == col) return static_cast<int>(i);
    for (size_t i = 0; i < header.size(); ++i)  // "Lead Source" also as lead_source
      if (ingest::SnakeCase(header[i]) == ingest::SnakeCase(col)) return static_cast<int>(i);
    return -1;
  };
  std::string cols;
  for (const auto& h : header) cols += (cols.empty() ? "" : ", ") + h;
  const int li = find(opt.label);
  if (li < 0)
    return Status::Invalid(name + ": no label column " + Quote(opt.label) + " (columns: " + cols +
                           ")");
  std::vector<bool> skip(header.size(), false);
  skip[li] = true;
  for (const auto& d : opt.drop) {
    const int di = find(d);
    if (di < 0)
      return Status::Invalid(name + ": --drop: no column " + Quote(d) + " (columns: " + cols + ")");
    skip[di] = true;
  }
  int ti = -1;
  if (!opt.time_column.empty()) {
    ti = find(opt.time_column);
    if (ti < 0)
      return Status::Invalid(name + ": --time-column: no column " + Quote(opt.time_column) +
                             " (columns: " + cols + ")");
    skip[ti] = true;
  }

  // The label.
  const auto& lab = cells[li];
  std::map<std::string, int64_t> counts;
  for (const auto& v : lab)
    if (!IsMissing(v)) ++counts[v];
  std::string vals;
  for (const auto& [v, n] : counts) {
    if (vals.size() > 200) {
      vals += ", ...";
      break;
    }
    vals += (vals.empty() ? "" : ", ") + Quote(v) + " (" + std::to_string(n) + ")";
  }
  const std::string where = name + ": label column " + Quote(header[li]);
  if (counts.empty()) return Status::Invalid(where + " has no values");
  if (counts.size() == 1)
    return Status::Invalid(where + " has one class only: every present value is " + vals);
  std::string pos = opt.positive;
  if (pos.empty()) {
    if (counts.size() != 2)
      return Status::Invalid(
          where + " has " + std::to_string(counts.size()) +
          " values; say which is positive with --positive VALUE (values: " + vals + ")");
    for (const char* cand : {"1", "true", "yes", "won", "y", "t"})
      for (const auto& [v, n] : counts)
        if (pos.empty() && Lower(v) == cand) pos = v;
    if (pos.empty())
      return Status::Invalid(where + ": cannot tell which value is positive; give --positive (" +
                             vals + ")");
  } else if (!counts.count(pos)) {
    return Status::Invalid(where + ": --positive " + Quote(pos) + " is not one of its values (" +
                           vals + ")");
  }
  if (!opt.negative.empty() && !counts.count(opt.negative))
    return Status::Invalid(where + ": --negative " + Quote(opt.negative) +
                           " is not one of its values (" + vals + ")");

  Dataset d;
  d.label = header[li];
  d.positive = pos;
  std::vector<size_t> keep;
  for (size_t r = 0; r < lab.size(); ++r) {
    const std::string& v = lab[r];
    if (IsMissing(v) || (!opt.negative.empty() && v != pos && v != opt.negative)) {
      ++d.skipped_label;
      continue;
    }
    keep.push_back(r);
    d.y.push_back(v == pos ? 1 : 0);
    d.line.push_back(lines[r]);
    d.record.push_back(static_cast<int64_t>(r));
  }
  const int64_t np = d.positives();
  const int64_t nn = static_cast<int64_t>(d.y.size()) - np;
  if (np == 0 || nn == 0)
    return Status::Invalid(where + " has one class only: " + std::to_string(d.y.size()) +
                           " rows, all " + (np == 0 ? "negative" : "positive") +
                           " (values: " + vals + "; positive is " + Quote(pos) + ")");
  if (d.skipped_label > 0)
    d.warnings.push_back(
        std::to_string(d.skipped_label) + " rows skipped: label " +
        (opt.negative.empty() ? "missing" : "missing or neither --positive nor --negative"));

  if (ti >= 0) {
    for (size_t r : keep) {
      const std::string& v = cells[ti][r];
      double t = kNaN;
      if (!ParseDay(v, &t) && !ParseNumber(v, &t))
        return Status::Invalid(name + ":" + std::to_string(lines[r]) + ": --time-column " +
                               Quote(header[ti]) + ": " + Quote(v) +
                               " is not a date, time or number");
      d.time.push_back(t);
    }
  }

  for (size_t c = 0; c < header.size(); ++c) {
    if (skip[c]) continue;
    Column col;
    col.name = header[c];
    bool all_num = true, all_day = true, any = false;
    for (size_t r : keep) {
      const std::string& v = cells[c][r];
      if (IsMissing(v)) continue;
      any = true;
      double x;
      if (all_num && !ParseNumber(v, &x)) all_num = false;
      if (all_day && !ParseDay(v, &x)) all_day = false;
      if (!all_num && !all_day) break;
    }
    if (any && (all_num || all_day)) {
      col.numeric = true;
      col.num.reserve(keep.size());
      for (size_t r : keep) {
        const std::string& v = cells[c][r];
        double x = kNaN;
        if (!IsMissing(v)) (all_num ? ParseNumber(v, &x) : ParseDay(v, &x));
        if (std::isnan(x)) ++col.missing;
        col.num.push_back(x);
      }
    } else {
      std::unordered_map<std::string, int32_t> index;
      col.code.reserve(keep.size());
      for (size_t r : keep) {
        const std::string& v = cells[c][r];
        if (IsMissing(v)) {
          col.code.push_back(-1);
          ++col.missing;
          continue;
        }
        auto [it, fresh] = index.emplace(v, static_cast<int32_t>(col.levels.size()));
        if (fresh) col.levels.push_back(v);
        col.code.push_back(it->second);
      }
    }
    d.columns.push_back(std::move(col));
  }
  return d;
}

Status CheckLearnable(const Dataset& d, int min_per_class) {
  const int64_t np = d.positives();
  const int64_t nn = static_cast<int64_t>(d.rows()) - np;
  if (np < min_per_class || nn < min_per_class)
    return Status::Invalid("too few rows of a class to learn and evaluate: " + std::to_string(np) +
                           " positive and " + std::to_string(nn) + " negative, need at least " +
                           std::to_string(min_per_class) + " of each");
  bool usable = false;
  std::string dead;
  for (const auto& c : d.columns) {
    const bool all_missing = c.missing == static_cast<int64_t>(d.rows());
    bool constant = false;
    if (!all_missing && !c.numeric) constant = c.levels.size() == 1 && c.missing == 0;
    if (!all_missing && c.numeric) {
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      for (double x : c.num)
        if (!std::isnan(x)) lo = std::min(lo, x), hi = std::max(hi, x);
      constant = lo == hi && c.missing == 0;
    }
    if (all_missing || constant) {
      dead +=
          (dead.empty() ? "" : ", ") + c.name + (all_missing ? " (all missing)" : " (constant)");
    } else {
      usable = true;
    }
  }
  if (!usable)
    return Status::Invalid(d.columns.empty()
                               ? "no feature columns left (only the label, dropped columns)"
                               : "no usable feature column: " + dead);
  return Status::Ok();
}

}  // namespace leadgate::model
