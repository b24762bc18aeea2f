#include "app/suggest.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace leadgate {
namespace {

std::vector<std::string> SplitLines(const std::string& s) {
  std::vector<std::string> out;
  std::string line;
  std::istringstream in(s);
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

std::string JoinLines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& l : v) s += l + "\n";
  return s;
}

size_t Indent(const std::string& l) {
  size_t i = 0;
  while (i < l.size() && l[i] == ' ') ++i;
  return i;
}

bool Blank(const std::string& l) {
  const size_t i = Indent(l);
  return i == l.size() || l[i] == '#';
}

// A top-level key line "key:" (block style: nothing but a comment after it).
bool TopKey(const std::string& l, const std::string& key, bool* block) {
  if (l.rfind(key + ":", 0) != 0) return false;
  std::string rest = l.substr(key.size() + 1);
  const size_t i = Indent(rest);
  *block = i == rest.size() || rest[i] == '#';
  return true;
}

// [begin, end) of the block under line `at` (lines more indented than it,
// or list items at its indentation), trailing blank lines excluded.
size_t BlockEnd(const std::vector<std::string>& L, size_t at) {
  const size_t ind = Indent(L[at]);
  size_t end = at + 1, last = at + 1;
  for (size_t i = at + 1; i < L.size(); ++i) {
    if (Blank(L[i])) continue;
    const size_t k = Indent(L[i]);
    if (k > ind || (k == ind && L[i].compare(k, 2, "- ") == 0 && ind > 0)) {
      last = i + 1;
      continue;
    }
    break;
  }
  end = last;
  return end;
}

std::string Quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) {
    if (c == '\'')
      o += "''";
    else
      o += c;
  }
  return o + "'";
}

std::string RegexEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) o += '\\';
    o += c;
  }
  return o;
}

std::string Slug(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      o += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (!o.empty() && o.back() != '-')
      o += '-';
  }
  while (!o.empty() && o.back() == '-') o.pop_back();
  if (o.size() > 40) o.resize(40);
  return o.empty() ? "x" : o;
}

double Round5(double x) { return std::round(x / 5.0) * 5.0; }

std::string Pct(double x) { return fmt::format("{:.1f} %", 100 * x); }

// Replaces the points of rule `id` in the text; false when its item is not
// in block style.
bool SetPoints(std::vector<std::string>* L, const std::string& id, double points) {
  const std::regex id_re("^(\\s*)(-\\s+)?id:\\s*['\"]?" + RegexEscape(id) + "['\"]?\\s*(#.*)?$");
  for (size_t i = 0; i < L->size(); ++i) {
    std::smatch m;
    if (!std::regex_match((*L)[i], m, id_re)) continue;
    size_t start = i;
    if (!m[2].matched) {
      while (start > 0 && (*L)[start].find("- ") != Indent((*L)[start])) --start;
    }
    const size_t dash = Indent((*L)[start]);
    for (size_t j = start + 1; j < L->size(); ++j) {
      if (!Blank((*L)[j]) && Indent((*L)[j]) <= dash) break;
      std::smatch pm;
      static const std::regex pts("^(\\s*points:\\s*)(-?[0-9.]+)(.*)$");
      if (std::regex_match((*L)[j], pm, pts)) {
        (*L)[j] = pm[1].str() + FormatNumber(points) + pm[3].str();
        return true;
      }
    }
    if (std::regex_search((*L)[start], std::regex("points:"))) return false;
  }
  return false;
}

struct Counts {
  int64_t n = 0, k = 0;
};

}  // namespace

std::pair<double, double> Wilson(int64_t k, int64_t n) {
  if (n <= 0) return {0.0, 1.0};
  const double z = 1.959964, nn = static_cast<double>(n), p = static_cast<double>(k) / nn;
  const double den = 1 + z * z / nn;
  const double c = (p + z * z / (2 * nn)) / den;
  const double h = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / den;
  return {std::max(0.0, c - h), std::min(1.0, c + h)};
}

Result<SuggestReport> Suggest(const TrainingTable& t, const Playbook& pb, const std::string& yaml,
                              const SuggestOptions& opt) {
  SuggestReport r;
  r.rows = static_cast<int64_t>(t.data.rows());
  r.positives = t.data.positives();
  if (r.rows == 0) return Status::Invalid("no closed leads to learn from");
  r.base_rate = static_cast<double>(r.positives) / static_cast<double>(r.rows);
  const double base = r.base_rate;
  std::map<std::string, Counts> count;
  std::vector<std::set<std::string>> rules_of(t.tokens.size());
  for (size_t i = 0; i < t.tokens.size(); ++i)
    for (const auto& tok : t.tokens[i]) {
      Counts& c = count[tok];
      ++c.n;
      c.k += t.data.y[i];
      if (tok.rfind("rule\t", 0) == 0) rules_of[i].insert(tok);
    }
  auto judge = [&](Evidence* e, const Counts& c) {
    e->leads = c.n;
    e->positives = c.k;
    e->rate = c.n ? static_cast<double>(c.k) / static_cast<double>(c.n) : 0;
    std::tie(e->low, e->high) = Wilson(c.k, c.n);
    e->lift = base > 0 ? e->rate / base : 0;
    if (c.n < opt.min_leads || (e->low <= base && e->high >= base)) return false;
    // Conservative: the interval's end nearer the base rate.
    const double bound = e->low > base ? e->low : std::max(e->high, 1e-3);
    e->proposed_points =
        std::clamp(Round5(opt.points_per_doubling * std::log2(bound / base)), -50.0, 50.0);
    return true;
  };
  auto lines = SplitLines(yaml);
  // Rules.
  auto rule = [&](const std::string& id, double points) {
    Evidence e;
    e.kind = "rule";
    e.value = id;
    e.current_points = points;
    auto it = count.find("rule\t\t" + id);
    const bool strong = judge(&e, it == count.end() ? Counts{} : it->second);
    if (!strong) {
      e.verdict = e.leads < opt.min_leads ? "too few leads" : "no evidence either way";
      e.proposed_points.reset();
    } else if ((e.low > base && points >= *e.proposed_points - 2.5) ||
               (e.high < base && points <= *e.proposed_points + 2.5)) {
      // The conservative proposal is a floor on the size of the effect: a
      // rule already weighted at least that much in the right direction stays.
      e.verdict = "keep (the evidence agrees)";
      e.proposed_points.reset();
    } else {
      e.verdict = *e.proposed_points > points ? "raise" : "lower";
      if (!SetPoints(&lines, id, *e.proposed_points))
        r.notes.push_back("rule " + id + ": set points to " + FormatNumber(*e.proposed_points) +
                          " by hand (its YAML is not in block style)");
    }
    r.rules.push_back(std::move(e));
  };
  for (const auto& f : pb.fit) rule(f.id, f.points);
  for (const auto& g : pb.engagement) rule(g.id, g.points);
  // Patterns: strong ones not already captured by a rule.
  std::vector<Evidence> strong;
  for (const auto& [tok, c] : count) {
    if (tok.rfind("rule\t", 0) == 0) continue;
    const size_t a = tok.find('\t'), b = tok.find('\t', a + 1);
    Evidence e;
    e.kind = tok.substr(0, a);
    e.key = tok.substr(a + 1, b - a - 1);
    e.value = tok.substr(b + 1);
    if (!judge(&e, c)) continue;
    // Covered: >= 90 % of its leads match one rule whose leads are >= 90 % its own.
    std::map<std::string, int64_t> both;
    for (size_t i = 0; i < t.tokens.size(); ++i)
      if (std::binary_search(t.tokens[i].begin(), t.tokens[i].end(), tok))
        for (const auto& rt : rules_of[i]) ++both[rt];
    for (const auto& [rt, k] : both) {
      const int64_t rn = count[rt].n;
      if (k >= 0.9 * static_cast<double>(c.n) && k >= 0.9 * static_cast<double>(rn)) {
        e.verdict = "covered by rule " + rt.substr(6);
        break;
      }
    }
    strong.push_back(std::move(e));
  }
  std::stable_sort(strong.begin(), strong.end(), [&](const Evidence& x, const Evidence& y) {
    auto z = [&](const Evidence& e) {
      const double se = std::sqrt(base * (1 - base) / static_cast<double>(e.leads));
      return se > 0 ? std::abs(e.rate - base) / se : 0.0;
    };
    return z(x) > z(y);
  });
  // New rules, written into the text.
  std::vector<std::string> fit_items, eng_items;
  std::set<std::string> new_fields, ids;
  for (const auto& f : pb.fit) ids.insert(f.id);
  for (const auto& g : pb.engagement) ids.insert(g.id);
  for (const auto& d : pb.disqualify) ids.insert(d.id);
  int added = 0;
  for (Evidence& e : strong) {
    if (!e.verdict.empty()) continue;
    if (added >= opt.max_new_rules || !e.proposed_points || *e.proposed_points == 0) {
      e.verdict = "strong (not proposed: see --max-new-rules)";
      continue;
    }
    std::string id = "learned-" + Slug(e.kind + " " + e.value);
    while (ids.count(id)) id += "-2";
    ids.insert(id);
    const std::string label =
        fmt::format("Learned: {} {} ({} of {} closed leads {}, base rate {})", e.kind, e.value,
                    e.positives, e.leads, t.data.positive, Pct(base));
    const std::string pts = FormatNumber(*e.proposed_points);
    if (e.kind == "page") {
      eng_items.push_back("- id: " + id);
      eng_items.push_back("  label: " + Quote(label));
      eng_items.push_back("  event: page_view");
      eng_items.push_back("  when: { property: " + e.key +
                          ", matches: " + Quote(RegexEscape(e.value)) + " }");
      eng_items.push_back("  points: " + pts);
    } else {
      if (pb.FieldIndex(e.key) < 0) new_fields.insert(e.key);
      fit_items.push_back("- id: " + id);
      fit_items.push_back("  label: " + Quote(label));
      if (e.kind == "title word")
        fit_items.push_back("  when: { field: " + e.key +
                            ", matches: " + Quote("(?i)\\b" + RegexEscape(e.value) + "\\b") + " }");
      else
        fit_items.push_back("  when: { field: " + e.key + ", equals: " + Quote(e.value) + " }");
      fit_items.push_back("  points: " + pts);
    }
    e.verdict = "new rule " + id;
    ++added;
  }
  // Insert: fields, fit items, engagement rules (each at the end of its block).
  auto insert_under = [&](const std::string& key, const std::vector<std::string>& items,
                          bool list) -> bool {
    if (items.empty()) return true;
    for (size_t i = 0; i < lines.size(); ++i) {
      bool block = false;
      if (!TopKey(lines[i], key, &block)) continue;
      if (!block) return false;
      const size_t end = BlockEnd(lines, i);
      size_t ind = 2;
      for (size_t j = i + 1; j < end; ++j)
        if (!Blank(lines[j])) {
          ind = Indent(lines[j]);
          break;
        }
      std::vector<std::string> add;
      if (list) add.push_back("");
      for (const auto& l : items) add.push_back(std::string(ind, ' ') + l);
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(end), add.begin(), add.end());
      return true;
    }
    lines.push_back(key + ":");
    for (const auto& l : items) lines.push_back("  " + l);
    return true;
  };
  std::vector<std::string> field_lines;
  for (const auto& f : new_fields) field_lines.push_back(f + ": text");
  if (!insert_under("fields", field_lines, false))
    r.notes.push_back("declare these fields by hand (fields: is not in block style): " +
                      JoinLines(field_lines));
  if (!insert_under("fit", fit_items, true))
    r.notes.push_back("add the new fit rules by hand (fit: is not in block style)");
  if (!eng_items.empty()) {
    // engagement.rules
    bool done = false;
    for (size_t i = 0; i < lines.size() && !done; ++i) {
      bool block = false;
      if (!TopKey(lines[i], "engagement", &block) || !block) continue;
      const size_t end = BlockEnd(lines, i);
      for (size_t j = i + 1; j < end; ++j) {
        const size_t k = Indent(lines[j]);
        if (lines[j].compare(k, 6, "rules:") != 0) continue;
        const size_t rend = BlockEnd(lines, j);
        size_t ind = k + 2;
        for (size_t q = j + 1; q < rend; ++q)
          if (!Blank(lines[q])) {
            ind = Indent(lines[q]);
            break;
          }
        std::vector<std::string> add{""};
        for (const auto& l : eng_items) add.push_back(std::string(ind, ' ') + l);
        lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(rend), add.begin(), add.end());
        done = true;
        break;
      }
    }
    if (!done)
      r.notes.push_back("add the new engagement rules by hand (no engagement.rules block)");
  }
  r.patterns = std::move(strong);
  r.proposed_yaml = JoinLines(lines);
  return r;
}

std::string SuggestText(const SuggestReport& r, const std::string& label) {
  std::string s = fmt::format(
      "{} closed leads, {} {} (base rate {}); intervals are 95 % Wilson; a change is proposed "
      "only where the interval is clear of the base rate\n\nplaybook rules:\n",
      r.rows, r.positives, label, Pct(r.base_rate));
  s += fmt::format("  {:<28} {:>7} {:>9} {:>17} {:>6} {:>8} {:>8}  {}\n", "rule", "leads", "rate",
                   "95 %", "lift", "points", "propose", "verdict");
  for (const auto& e : r.rules)
    s += fmt::format("  {:<28} {:>7} {:>9} {:>17} {:>6.2f} {:>8} {:>8}  {}\n", e.value, e.leads,
                     Pct(e.rate), fmt::format("{:.1f}-{:.1f} %", 100 * e.low, 100 * e.high), e.lift,
                     e.current_points ? FormatNumber(*e.current_points) : "",
                     e.proposed_points ? FormatNumber(*e.proposed_points) : "-", e.verdict);
  s += "\nstrong patterns (interval clear of the base rate):\n";
  if (r.patterns.empty()) s += "  none\n";
  for (const auto& e : r.patterns)
    s +=
        fmt::format("  {:<28} {:>7} {:>9} {:>17} {:>6.2f} {:>8}  {}\n", e.kind + " " + e.value,
                    e.leads, Pct(e.rate), fmt::format("{:.1f}-{:.1f} %", 100 * e.low, 100 * e.high),
                    e.lift, e.proposed_points ? FormatNumber(*e.proposed_points) : "-", e.verdict);
  for (const auto& n : r.notes) s += "note: " + n + "\n";
  return s;
}

std::string UnifiedDiff(const std::string& a, const std::string& b, const std::string& name_a,
                        const std::string& name_b) {
  const auto A = SplitLines(a), B = SplitLines(b);
  const size_t n = A.size(), m = B.size();
  // LCS table (playbooks are small).
  std::vector<std::vector<uint32_t>> L(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      L[i][j] = A[i] == B[j] ? L[i + 1][j + 1] + 1 : std::max(L[i + 1][j], L[i][j + 1]);
  struct Op {
    char c;
    size_t i, j;
  };
  std::vector<Op> ops;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && A[i] == B[j]) {
      ops.push_back({' ', i++, j++});
    } else if (i < n && (j == m || L[i + 1][j] >= L[i][j + 1])) {
      ops.push_back({'-', i++, j});  // removals before additions, as diff -u
    } else {
      ops.push_back({'+', i, j++});
    }
  }
  std::string out;
  const size_t ctx = 3;
  size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].c == ' ') {
      ++k;
      continue;
    }
    size_t start = k >= ctx ? k - ctx : 0, end = k;
    // Extend the hunk while changes are within 2*ctx of each other.
    size_t last_change = k;
    for (end = k; end < ops.size(); ++end) {
      if (ops[end].c != ' ')
        last_change = end;
      else if (end - last_change > 2 * ctx)
        break;
    }
    end = std::min(ops.size(), last_change + ctx + 1);
    size_t a0 = ops[start].i, b0 = ops[start].j, an = 0, bn = 0;
    std::string body;
    for (size_t q = start; q < end; ++q) {
      const Op& o = ops[q];
      if (o.c == ' ') {
        body += " " + A[o.i] + "\n";
        ++an, ++bn;
      } else if (o.c == '-') {
        body += "-" + A[o.i] + "\n";
        ++an;
      } else {
        body += "+" + B[o.j] + "\n";
        ++bn;
      }
    }
    if (out.empty()) out = "--- " + name_a + "\n+++ " + name_b + "\n";
    out += fmt::format("@@ -{},{} +{},{} @@\n", an ? a0 + 1 : a0, an, bn ? b0 + 1 : b0, bn);
    out += body;
    k = end;
  }
  return out;
}

}  // namespace leadgate
