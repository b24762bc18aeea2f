// Runs every tests/scenarios/*.scn file through the real leadgate binary, in a
// fresh temp store each. The format (tests/scenarios/README.md) is meant to be
// read and written by sales-ops people: a playbook, some users, some events,
// some actions, and what they expect to see. A failure names the file and the
// line of the expectation that did not hold.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "test_util.h"

namespace leadgate::testing {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

struct BodyLine {
  int line = 0;
  std::string text;  // with the block's two-space indent removed
};

struct Step {
  int line = 0;
  std::string header;  // the directive line as written
  std::vector<BodyLine> body;
  std::optional<int> expect_exit;
  std::vector<std::string> expect_stderr, expect_stdout;
};

struct Scenario {
  std::string name;
  std::vector<Step> steps;
};

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

bool StartsWith(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

// Splits like a shell: spaces separate words, "double quotes" group (with \"
// and \\ escapes). Quoted words keep a marker so `reason "null"` differs from
// `reason null`.
struct Word {
  std::string text;
  bool quoted = false;
};

std::vector<Word> Words(const std::string& s, std::string* error) {
  std::vector<Word> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    if (i >= s.size()) break;
    Word w;
    bool any = false;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') {
      if (s[i] == '"') {
        w.quoted = true;
        any = true;
        ++i;
        bool closed = false;
        while (i < s.size()) {
          if (s[i] == '\\' && i + 1 < s.size()) {
            w.text += s[i + 1];
            i += 2;
          } else if (s[i] == '"') {
            ++i;
            closed = true;
            break;
          } else {
            w.text += s[i++];
          }
        }
        if (!closed && error) *error = "a \" is not closed";
      } else {
        w.text += s[i++];
        any = true;
      }
    }
    if (any) out.push_back(std::move(w));
  }
  return out;
}

std::vector<std::string> Texts(const std::vector<Word>& ws) {
  std::vector<std::string> out;
  for (const auto& w : ws) out.push_back(w.text);
  return out;
}

// Directives that take an indented block under them.
bool TakesBody(const std::string& header) {
  return header.back() == ':' && (StartsWith(header, "playbook") || StartsWith(header, "apply ") ||
                                  StartsWith(header, "events") || StartsWith(header, "leads") ||
                                  StartsWith(header, "show ") || StartsWith(header, "queue ") ||
                                  StartsWith(header, "sla "));
}

// Parses the text of a .scn file. Errors are "LINE: message".
bool ParseScenario(const std::string& text, Scenario* sc, std::string* error) {
  std::istringstream in(text);
  std::string raw;
  int line = 0;
  Step* current = nullptr;
  bool in_body = false;
  auto fail = [&](const std::string& m) {
    *error = std::to_string(line) + ": " + m;
    return false;
  };
  while (std::getline(in, raw)) {
    ++line;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    bool indented = !raw.empty() && (raw[0] == ' ' || raw[0] == '\t');
    if (indented) {
      if (raw[0] == '\t') return fail("indent blocks with spaces, not tabs");
      if (current == nullptr || !in_body) {
        return fail("an indented line, but the line above does not end with ':' to open a block");
      }
      if (raw.size() < 2 || raw[1] != ' ') return fail("indent block lines by two spaces");
      current->body.push_back({line, raw.substr(2)});
      continue;
    }
    std::string t = Trim(raw);
    if (t.empty()) {
      if (current && in_body) current->body.push_back({line, ""});
      continue;
    }
    if (t[0] == '#') continue;
    if (StartsWith(t, "expect ")) {
      if (current == nullptr) return fail("'expect' must follow a command");
      in_body = false;
      std::string err;
      auto w = Words(t.substr(7), &err);
      if (!err.empty()) return fail(err);
      if (w.size() == 2 && w[0].text == "exit") {
        try {
          current->expect_exit = std::stoi(w[1].text);
        } catch (...) {
          return fail("expect exit N: N must be a number");
        }
      } else if (w.size() == 2 && w[0].text == "error") {
        current->expect_stderr.push_back(w[1].text);
      } else if (w.size() == 2 && w[0].text == "output") {
        current->expect_stdout.push_back(w[1].text);
      } else {
        return fail(
            "expect what? use: expect exit N | expect error \"text\" | expect output \"text\"");
      }
      continue;
    }
    sc->steps.push_back(Step{});
    current = &sc->steps.back();
    current->line = line;
    current->header = t;
    in_body = TakesBody(t);
  }
  if (sc->steps.empty()) {
    *error = "1: the scenario is empty";
    return false;
  }
  if (!StartsWith(sc->steps[0].header, "playbook")) {
    *error = std::to_string(sc->steps[0].line) + ": a scenario starts with 'playbook:'";
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Event shorthand: TIME LEAD identify|track NAME|page|group key=value ...
// ---------------------------------------------------------------------------

Json ScalarFromWord(const Word& w) {
  if (w.quoted) return w.text;
  if (w.text == "null") return nullptr;
  if (w.text == "true") return true;
  if (w.text == "false") return false;
  // A number only when the whole word is one.
  if (!w.text.empty()) {
    char* end = nullptr;
    double d = std::strtod(w.text.c_str(), &end);
    if (end && *end == '\0' &&
        (std::isdigit(static_cast<unsigned char>(w.text[0])) ||
         ((w.text[0] == '-' || w.text[0] == '.') && w.text.size() > 1))) {
      if (d == std::floor(d) && std::fabs(d) < 1e15) return static_cast<int64_t>(d);
      return d;
    }
  }
  return w.text;
}

bool EventLine(const std::string& line, std::string* json, std::string* error) {
  if (!line.empty() && line[0] == '{') {
    *json = line;  // raw JSON, as a pipeline would send it
    return true;
  }
  std::string err;
  auto w = Words(line, &err);
  if (!err.empty()) {
    *error = err;
    return false;
  }
  if (w.size() < 3) {
    *error = "an event is: TIME LEAD identify|track NAME|page key=value ... (or a JSON line)";
    return false;
  }
  Json e;
  e["timestamp"] = w[0].text;
  e["userId"] = w[1].text;
  const std::string& type = w[2].text;
  size_t i = 3;
  std::string bag = "properties";
  if (type == "identify") {
    e["type"] = "identify";
    bag = "traits";
  } else if (type == "track") {
    if (w.size() < 4) {
      *error = "track needs the event name: TIME LEAD track NAME key=value ...";
      return false;
    }
    e["type"] = "track";
    e["event"] = w[3].text;
    i = 4;
  } else if (type == "page" || type == "group" || type == "alias" || type == "screen") {
    e["type"] = type;
    if (type == "group") bag = "traits";
  } else {
    *error = "unknown event type '" + type + "' (identify, track, page, group)";
    return false;
  }
  Json props = Json::object();
  for (; i < w.size(); ++i) {
    size_t eq = w[i].text.find('=');
    if (eq == std::string::npos || eq == 0) {
      *error = "'" + w[i].text + "' is not key=value";
      return false;
    }
    std::string key = w[i].text.substr(0, eq);
    // Re-split the value part keeping its quotedness: key="a b" arrives as one
    // word with quoted=true and text key=a b.
    Word v{w[i].text.substr(eq + 1), w[i].quoted};
    if (key == "messageId") {
      e["messageId"] = v.text;
    } else if (type == "page" && key == "name") {
      e["name"] = v.text;
    } else {
      props[key] = ScalarFromWord(v);
    }
  }
  e[bag] = props;
  *json = e.dump();
  return true;
}

// ---------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------

class Runner {
 public:
  Runner(std::string file, const TempDir& dir) : file_(std::move(file)), dir_(dir) {
    db_ = dir_.File("scenario.db");
  }

  void Run(const Scenario& sc) {
    for (const Step& s : sc.steps) {
      RunStep(s);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

 private:
  void Fail(int line, const std::string& what) { ADD_FAILURE_AT(file_.c_str(), line) << what; }

  RunResult Leadgate(const Step& s, std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db_});
    RunResult r = RunLeadgate(args, dir_.path());
    int want = s.expect_exit.value_or(0);
    if (r.exit_code != want) {
      Fail(s.line, "'" + s.header + "' exited " + std::to_string(r.exit_code) + ", expected " +
                       std::to_string(want) + "\n  stderr: " + r.err + "\n  stdout: " + r.out);
    }
    for (const auto& e : s.expect_stderr) {
      if (r.err.find(e) == std::string::npos) {
        Fail(s.line, "expected the error to say \"" + e + "\"; it says: " + r.err);
      }
    }
    for (const auto& o : s.expect_stdout) {
      if (r.out.find(o) == std::string::npos) {
        Fail(s.line, "expected the output to say \"" + o + "\"; it says: " + r.out);
      }
    }
    return r;
  }

  std::string Body(const Step& s) {
    std::string out;
    for (const auto& b : s.body) out += b.text + "\n";
    return out;
  }

  void RunStep(const Step& s) {
    std::string err;
    std::vector<Word> w = Words(s.header, &err);
    if (!err.empty() || w.empty()) return Fail(s.line, "cannot read this line: " + err);
    const std::string& cmd = w[0].text;
    if (s.header == "playbook:") {
      if (initialised_) return Fail(s.line, "only one 'playbook:'; use 'apply playbook at T:'");
      dir_.Write("playbook.yaml", Body(s));
      Leadgate(s, {"init", "--playbook", "playbook.yaml"});
      initialised_ = true;
    } else if (cmd == "apply") {
      // apply playbook at TIME:
      if (w.size() != 4 || w[1].text != "playbook" || w[2].text != "at" ||
          w[3].text.back() != ':') {
        return Fail(s.line, "write: apply playbook at 2026-03-05T00:00:00Z:");
      }
      std::string at = w[3].text.substr(0, w[3].text.size() - 1);
      std::string name = "playbook-" + std::to_string(++applied_ + 1) + ".yaml";
      dir_.Write(name, Body(s));
      Leadgate(s, {"playbook", "apply", name, "--at", at});
    } else if (StartsWith(s.header, "users:")) {
      std::string list = s.header.substr(6);
      std::stringstream ss(list);
      std::string item;
      while (std::getline(ss, item, ',')) {
        auto uw = Texts(Words(item, nullptr));
        if (uw.empty()) continue;
        if (uw.size() != 2) return Fail(s.line, "users: NAME ROLE, NAME ROLE, ...");
        Leadgate(s, {"user", "add", uw[0], "--role", uw[1]});
      }
    } else if (s.header == "events:") {
      std::string jsonl;
      for (const auto& b : s.body) {
        std::string t = Trim(b.text);
        if (t.empty() || t[0] == '#') continue;
        std::string json, e;
        if (!EventLine(t, &json, &e)) return Fail(b.line, e);
        jsonl += json + "\n";
      }
      std::string name = "events-" + std::to_string(++files_) + ".jsonl";
      dir_.Write(name, jsonl);
      Leadgate(s, {"ingest", name});
    } else if (cmd == "leads" || cmd == "leads:") {
      // leads:  or  leads at TIME:
      std::vector<std::string> args = {"import", "leads"};
      std::string name = "leads-" + std::to_string(++files_) + ".csv";
      args.push_back(name);
      if (w.size() == 3 && w[1].text == "at") {
        args.push_back("--at");
        args.push_back(w[2].text.substr(0, w[2].text.size() - 1));
      } else if (s.header != "leads:") {
        return Fail(s.line, "write: leads:  or  leads at TIME:");
      }
      dir_.Write(name, Body(s));
      Leadgate(s, args);
    } else if (cmd == "act" || cmd == "run") {
      std::vector<std::string> args = Texts(w);
      if (cmd == "run") args.erase(args.begin());
      Leadgate(s, args);
    } else if (cmd == "show") {
      Show(s, w);
    } else if (cmd == "queue") {
      Queue(s);
    } else if (cmd == "sla") {
      Sla(s, w);
    } else {
      Fail(s.line, "unknown directive '" + cmd +
                       "' (playbook, apply, users, events, leads, act, run, show, queue, sla, "
                       "expect)");
    }
  }

  // --- show -----------------------------------------------------------------

  static bool Near(const Json& got, double want) {
    return got.is_number() && std::fabs(got.get<double>() - want) < 0.0051;
  }

  static std::optional<double> Num(const std::string& s) {
    try {
      size_t used = 0;
      double d = std::stod(s, &used);
      if (used == s.size()) return d;
    } catch (...) {
    }
    return std::nullopt;
  }

  // "show L-1 at TIME:" or "show L-1 at TIME: missing"
  void Show(const Step& s, const std::vector<Word>& w) {
    size_t colon = s.header.find(": ");
    std::string head = s.header, tail;
    if (s.header.back() != ':') {
      if (colon == std::string::npos) return Fail(s.line, "write: show LEAD at TIME:");
      head = s.header.substr(0, colon + 1);
      tail = Trim(s.header.substr(colon + 1));
    }
    auto hw = Texts(Words(head, nullptr));
    if (hw.size() != 4 || hw[2] != "at") return Fail(s.line, "write: show LEAD at TIME:");
    std::string lead = hw[1], at = hw[3].substr(0, hw[3].size() - 1);
    (void)w;
    if (tail == "missing") {
      Step copy = s;
      copy.expect_exit = s.expect_exit.value_or(1);
      Leadgate(copy, {"show", lead, "--at", at, "--json"});
      return;
    }
    if (!tail.empty()) return Fail(s.line, "after 'show LEAD at TIME:' only 'missing' may follow");
    RunResult r = Leadgate(s, {"show", lead, "--at", at, "--json"});
    if (r.exit_code != 0) return;
    Json j;
    try {
      j = Json::parse(r.out);
    } catch (const std::exception& e) {
      return Fail(s.line, std::string("show --json is not JSON: ") + e.what() + "\n" + r.out);
    }
    int history_lines = 0;
    bool other_rules_forbidden = false;
    std::vector<std::string> listed_rules;
    int first_history_line = 0;
    for (const BodyLine& b : s.body) {
      std::string t = Trim(b.text);
      if (t.empty() || t[0] == '#') continue;
      std::string err;
      auto ew = Words(t, &err);
      if (!err.empty()) return Fail(b.line, err);
      auto bad = [&](const std::string& what) { Fail(b.line, lead + " " + what); };
      const std::string& key = ew[0].text;
      if (key == "stage" && ew.size() == 2) {
        if (j["stage"] != ew[1].text)
          bad("stage: want " + ew[1].text + ", got " + j["stage"].dump());
      } else if (key == "score") {
        for (size_t i = 1; i + 1 < ew.size(); i += 2) {
          auto v = Num(ew[i + 1].text);
          const std::string& part = ew[i].text;
          if (!v || !j["score"].contains(part))
            return Fail(b.line, "score fit N engagement N total N");
          if (!Near(j["score"][part], *v)) {
            bad("score " + part + ": want " + ew[i + 1].text + ", got " + j["score"][part].dump() +
                "\n  explanation: " + j["explanation"].dump());
          }
        }
        if (ew.size() % 2 == 0) return Fail(b.line, "score fit N engagement N total N");
      } else if (key == "rule" && ew.size() >= 2) {
        CheckRule(b.line, lead, j, ew);
        listed_rules.push_back(ew[1].text);
      } else if (key == "no" && ew.size() == 3 && ew[1].text == "rule") {
        for (const auto& e : j["explanation"]) {
          if (e["rule"] == ew[2].text && std::fabs(e["points"].get<double>()) >= 0.005) {
            bad("rule " + ew[2].text + ": want no part, got " + e.dump());
          }
        }
      } else if (t == "no other rules") {
        other_rules_forbidden = true;
      } else if (key == "trait" && ew.size() == 3) {
        CheckTrait(b.line, lead, j, ew);
      } else if (key == "bant") {
        CheckBant(b.line, lead, j, ew);
      } else if (key == "history") {
        if (history_lines == 0) first_history_line = b.line;
        CheckHistory(b.line, lead, j, history_lines++, ew);
      } else if (t == "no history") {
        if (!j["history"].empty()) bad("history: want none, got " + j["history"].dump());
        history_lines = -1000000;
      } else if (key == "warning" && ew.size() == 2) {
        bool found = false;
        for (const auto& x : j["warnings"]) {
          if (x.get<std::string>().find(ew[1].text) != std::string::npos) found = true;
        }
        if (!found)
          bad("warnings: want one saying \"" + ew[1].text + "\", got " + j["warnings"].dump());
      } else if (t == "no warnings") {
        if (!j["warnings"].empty()) bad("warnings: want none, got " + j["warnings"].dump());
      } else if (key == "owner" && ew.size() == 2) {
        Json want = ew[1].text == "none" ? Json(nullptr) : Json(ew[1].text);
        if (j["owner"] != want) bad("owner: want " + want.dump() + ", got " + j["owner"].dump());
      } else if (key == "version" && ew.size() == 2) {
        if (j["playbook_version"].dump() != ew[1].text)
          bad("playbook version: want " + ew[1].text + ", got " + j["playbook_version"].dump());
      } else {
        return Fail(b.line,
                    "cannot read this expectation: '" + t + "' (see tests/scenarios/README.md)");
      }
    }
    if (history_lines > 0 && static_cast<size_t>(history_lines) != j["history"].size()) {
      Fail(first_history_line, lead + " history: want " + std::to_string(history_lines) +
                                   " entries, got " + std::to_string(j["history"].size()) + ": " +
                                   j["history"].dump());
    }
    if (other_rules_forbidden) {
      for (const auto& e : j["explanation"]) {
        std::string rule = e["rule"];
        if (std::find(listed_rules.begin(), listed_rules.end(), rule) == listed_rules.end() &&
            std::fabs(e["points"].get<double>()) >= 0.005) {
          Fail(s.line, lead + ": rule " + rule + " is not expected: " + e.dump());
        }
      }
    }
  }

  // rule ID [kind K] [count N] [points P]
  void CheckRule(int line, const std::string& lead, const Json& j, const std::vector<Word>& w) {
    const Json* found = nullptr;
    for (const auto& e : j["explanation"]) {
      if (e["rule"] == w[1].text) found = &e;
    }
    if (!found) {
      return Fail(line, lead + " rule " + w[1].text + ": not in the explanation " +
                            j["explanation"].dump());
    }
    for (size_t i = 2; i + 1 < w.size(); i += 2) {
      const std::string& k = w[i].text;
      const std::string& v = w[i + 1].text;
      if (k == "kind") {
        if ((*found)["kind"] != v)
          Fail(line, lead + " rule " + w[1].text + " kind: got " + found->dump());
      } else if (k == "count") {
        if ((*found)["count"].dump() != v)
          Fail(line, lead + " rule " + w[1].text + " count: want " + v + ", got " + found->dump());
      } else if (k == "points") {
        auto d = Num(v);
        if (!d) return Fail(line, "points must be a number");
        if (!Near((*found)["points"], *d))
          Fail(line, lead + " rule " + w[1].text + " points: want " + v + ", got " + found->dump());
      } else {
        return Fail(line, "rule ID [kind K] [count N] [points P]");
      }
    }
    if (w.size() % 2 == 1) Fail(line, "rule ID [kind K] [count N] [points P]");
  }

  // trait NAME VALUE: "text", a number, true/false, or absent
  void CheckTrait(int line, const std::string& lead, const Json& j, const std::vector<Word>& w) {
    const std::string& name = w[1].text;
    bool has = j["traits"].contains(name);
    if (!w[2].quoted && w[2].text == "absent") {
      if (has)
        Fail(line, lead + " trait " + name + ": want absent, got " + j["traits"][name].dump());
      return;
    }
    Json want = ScalarFromWord(w[2]);
    if (!has) return Fail(line, lead + " trait " + name + ": want " + want.dump() + ", absent");
    const Json& got = j["traits"][name];
    bool same = got == want || (got.is_number() && want.is_number() &&
                                std::fabs(got.get<double>() - want.get<double>()) < 1e-9);
    if (!same)
      Fail(line, lead + " trait " + name + ": want " + want.dump() + ", got " + got.dump());
  }

  // bant none | bant passes|fails [by U] [budget B] [authority A] [need "N"] [timeline D] [at T]
  void CheckBant(int line, const std::string& lead, const Json& j, const std::vector<Word>& w) {
    const Json& b = j["bant"];
    if (w.size() == 2 && w[1].text == "none") {
      if (!b.is_null()) Fail(line, lead + " bant: want none, got " + b.dump());
      return;
    }
    if (b.is_null()) return Fail(line, lead + " bant: want answers, got none");
    size_t i = 1;
    if (i < w.size() && (w[i].text == "passes" || w[i].text == "fails")) {
      bool want = w[i].text == "passes";
      if (b["passes"] != want) Fail(line, lead + " bant: want " + w[i].text + ", got " + b.dump());
      ++i;
    }
    for (; i + 1 < w.size(); i += 2) {
      const std::string& k = w[i].text;
      if (!b.contains(k)) return Fail(line, "bant: unknown part '" + k + "'");
      Json want = w[i + 1].text == "null" && !w[i + 1].quoted ? Json(nullptr) : Json(w[i + 1].text);
      if (b[k] != want)
        Fail(line, lead + " bant " + k + ": want " + want.dump() + ", got " + b.dump());
    }
  }

  // history FROM -> TO [at T] [by U] [reason "R"|null] [rule ID|null] [exception|no exception]
  //         [version N]
  void CheckHistory(int line, const std::string& lead, const Json& j, int index,
                    const std::vector<Word>& w) {
    if (w.size() < 4 || w[2].text != "->")
      return Fail(line, "history FROM -> TO [at T] [by U] ...");
    if (index >= static_cast<int>(j["history"].size())) {
      return Fail(line, lead + " history entry " + std::to_string(index + 1) +
                            " is missing; history is " + j["history"].dump());
    }
    const Json& h = j["history"][static_cast<size_t>(index)];
    auto bad = [&](const std::string& what) {
      Fail(line,
           lead + " history entry " + std::to_string(index + 1) + " " + what + ": got " + h.dump());
    };
    if (h["from"] != w[1].text || h["to"] != w[3].text) bad(w[1].text + " -> " + w[3].text);
    for (size_t i = 4; i < w.size(); ++i) {
      const std::string& k = w[i].text;
      if (k == "exception") {
        if (h["exception"] != true) bad("exception");
        continue;
      }
      if (k == "no" && i + 1 < w.size() && w[i + 1].text == "exception") {
        if (h["exception"] != false) bad("no exception");
        ++i;
        continue;
      }
      if (i + 1 >= w.size()) return Fail(line, "history: '" + k + "' needs a value");
      const Word& v = w[++i];
      Json want = v.text == "null" && !v.quoted ? Json(nullptr) : Json(v.text);
      if (k == "at" || k == "by" || k == "reason" || k == "rule") {
        if (h[k] != want) bad(k + " " + want.dump());
      } else if (k == "version") {
        if (h["playbook_version"].dump() != v.text) bad("version " + v.text);
      } else {
        return Fail(line, "history: unknown part '" + k + "'");
      }
    }
  }

  // --- queue ----------------------------------------------------------------

  // queue at TIME [stage S] [limit N]: ID, ID, ...   (or "none"), or a block of
  // lines "ID [STAGE] [total N]" in order.
  void Queue(const Step& s) {
    // The time itself holds colons: the directive's colon is the one followed
    // by a space or the end of the line.
    size_t colon = s.header.find(": ");
    std::string head, tail;
    if (colon == std::string::npos) {
      if (s.header.back() != ':') return Fail(s.line, "write: queue at TIME: ID, ID, ...");
      head = s.header.substr(0, s.header.size() - 1);
    } else {
      head = s.header.substr(0, colon);
      tail = Trim(s.header.substr(colon + 1));
    }
    auto hw = Texts(Words(head, nullptr));
    if (hw.size() < 3 || hw[1] != "at") return Fail(s.line, "write: queue at TIME: ID, ID, ...");
    std::vector<std::string> args = {"queue", "--at", hw[2], "--json"};
    for (size_t i = 3; i + 1 < hw.size(); i += 2) {
      if (hw[i] != "stage" && hw[i] != "limit")
        return Fail(s.line, "queue at TIME [stage S] [limit N]:");
      args.push_back("--" + hw[i]);
      args.push_back(hw[i + 1]);
    }
    RunResult r = Leadgate(s, args);
    if (r.exit_code != 0) return;
    Json j = Json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return Fail(s.line, "queue --json is not JSON: " + r.out);
    std::vector<std::string> got;
    for (const auto& row : j) got.push_back(row["id"].get<std::string>());
    auto join = [](const std::vector<std::string>& v) {
      std::string o;
      for (const auto& x : v) o += (o.empty() ? "" : ", ") + x;
      return o.empty() ? std::string("none") : o;
    };
    if (!tail.empty()) {
      std::vector<std::string> want;
      if (tail != "none") {
        std::stringstream ss(tail);
        std::string item;
        while (std::getline(ss, item, ',')) want.push_back(Trim(item));
      }
      if (want != got)
        Fail(s.line, "queue: want " + join(want) + ", got " + join(got) + "\n  " + j.dump());
      return;
    }
    size_t n = 0;
    for (const BodyLine& b : s.body) {
      std::string t = Trim(b.text);
      if (t.empty() || t[0] == '#') continue;
      auto w = Texts(Words(t, nullptr));
      if (n >= j.size()) {
        Fail(b.line, "queue: want " + w[0] + " at position " + std::to_string(n + 1) +
                         ", the queue has only " + std::to_string(j.size()) + ": " + join(got));
        ++n;
        continue;
      }
      const Json& row = j[n++];
      if (row["id"] != w[0]) {
        Fail(b.line, "queue position " + std::to_string(n) + ": want " + w[0] + ", got " +
                         row.dump() + "\n  queue: " + join(got));
        continue;
      }
      for (size_t i = 1; i < w.size(); ++i) {
        if (w[i] == "total" || w[i] == "fit" || w[i] == "engagement") {
          if (i + 1 >= w.size()) return Fail(b.line, w[i] + " needs a number");
          auto d = Num(w[i + 1]);
          if (!d || !Near(row[w[i]], *d))
            Fail(b.line,
                 "queue " + w[0] + " " + w[i] + ": want " + w[i + 1] + ", got " + row.dump());
          ++i;
        } else if (row["stage"] != w[i]) {
          Fail(b.line, "queue " + w[0] + " stage: want " + w[i] + ", got " + row.dump());
        }
      }
    }
    if (n != j.size()) {
      Fail(s.line, "queue: want " + std::to_string(n) + " leads, got " + std::to_string(j.size()) +
                       ": " + join(got));
    }
  }

  // --- sla ------------------------------------------------------------------

  // sla at TIME:
  //   met N  breaches N  median S|none  limit S
  //   open none | open ID [overdue S] [due T]     (open lines: the whole list, in order)
  void Sla(const Step& s, const std::vector<Word>& w) {
    if (w.size() != 3 || w[1].text != "at" || s.header.back() != ':') {
      return Fail(s.line, "write: sla at TIME:");
    }
    std::string at = w[2].text.substr(0, w[2].text.size() - 1);
    RunResult r = Leadgate(s, {"sla", "--at", at, "--json"});
    if (r.exit_code != 0) return;
    Json j = Json::parse(r.out, nullptr, false);
    if (j.is_discarded()) return Fail(s.line, "sla --json is not JSON: " + r.out);
    int open_lines = 0;
    bool open_checked = false;
    for (const BodyLine& b : s.body) {
      std::string t = Trim(b.text);
      if (t.empty() || t[0] == '#') continue;
      auto bw = Texts(Words(t, nullptr));
      if (bw[0] == "open") {
        open_checked = true;
        if (bw.size() == 2 && bw[1] == "none") continue;
        size_t idx = static_cast<size_t>(open_lines++);
        if (idx >= j["open"].size()) {
          Fail(b.line, "sla open: want " + bw[1] + ", the open list is " + j["open"].dump());
          continue;
        }
        const Json& o = j["open"][idx];
        if (o["id"] != bw[1])
          Fail(b.line, "sla open #" + std::to_string(idx + 1) + ": got " + o.dump());
        for (size_t i = 2; i + 1 < bw.size(); i += 2) {
          if (bw[i] == "overdue") {
            if (o["overdue_seconds"].dump() != bw[i + 1])
              Fail(b.line,
                   "sla open " + bw[1] + " overdue: want " + bw[i + 1] + ", got " + o.dump());
          } else if (bw[i] == "due" || bw[i] == "mql_at") {
            if (o[bw[i]] != bw[i + 1])
              Fail(b.line, "sla open " + bw[1] + " " + bw[i] + ": got " + o.dump());
          } else {
            return Fail(b.line, "open ID [overdue S] [due T] [mql_at T]");
          }
        }
        continue;
      }
      for (size_t i = 0; i + 1 < bw.size(); i += 2) {
        const std::string& k = bw[i];
        const std::string& v = bw[i + 1];
        const char* key = k == "met"        ? "met"
                          : k == "breaches" ? "breaches"
                          : k == "median"   ? "median_response_seconds"
                          : k == "limit"    ? "limit_seconds"
                                            : nullptr;
        if (!key) return Fail(b.line, "sla: met N, breaches N, median S|none, limit S, open ...");
        if (v == "none") {
          if (!j[key].is_null()) Fail(b.line, "sla " + k + ": want none, got " + j.dump());
        } else {
          auto d = Num(v);
          if (!d || !Near(j[key], *d))
            Fail(b.line, "sla " + k + ": want " + v + ", got " + j.dump());
        }
      }
      if (bw.size() % 2) return Fail(b.line, "sla: pairs of NAME VALUE");
    }
    if (open_checked && static_cast<size_t>(open_lines) != j["open"].size()) {
      Fail(s.line,
           "sla open: want " + std::to_string(open_lines) + " clocks, got " + j["open"].dump());
    }
  }

  std::string file_;
  const TempDir& dir_;
  std::string db_;
  bool initialised_ = false;
  int applied_ = 0, files_ = 0;
};

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

fs::path ScenarioDir() { return fs::path(LEADGATE_SOURCE_DIR) / "tests" / "scenarios"; }

std::vector<std::string> ScenarioFiles() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(ScenarioDir(), ec)) {
    if (e.path().extension() == ".scn") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class ScenarioFile : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioFile, Holds) {
  std::string file = GetParam();
  std::string text = ReadFile((ScenarioDir() / file).string());
  Scenario sc;
  std::string error;
  ASSERT_TRUE(ParseScenario(text, &sc, &error)) << file << ":" << error;
  TempDir dir;
  Runner runner("tests/scenarios/" + file, dir);
  runner.Run(sc);
}

std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param.substr(0, info.param.size() - 4);
  for (char& c : n) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioFile, ::testing::ValuesIn(ScenarioFiles()), TestName);

TEST(ScenarioFiles, ThereAreAtLeastTwelve) { EXPECT_GE(ScenarioFiles().size(), 12u); }

// The format itself: mistakes in a scenario file are reported by line.
TEST(ScenarioFormat, ReportsMistakesByLine) {
  Scenario sc;
  std::string err;
  EXPECT_FALSE(ParseScenario("", &sc, &err));
  Scenario a;
  EXPECT_FALSE(ParseScenario("users: ana rep\n", &a, &err));
  EXPECT_NE(err.find("playbook"), std::string::npos) << err;
  Scenario b;
  EXPECT_FALSE(ParseScenario("playbook:\n  fields: {}\nact L-1 accept\n  oops\n", &b, &err));
  EXPECT_EQ(err.rfind("4: ", 0), 0u) << err;
  Scenario c;
  EXPECT_FALSE(ParseScenario("playbook:\n  fields: {}\nexpect nothing\n", &c, &err));
  EXPECT_EQ(err.rfind("3: ", 0), 0u) << err;
}

TEST(ScenarioFormat, ParsesBlocksExpectationsAndComments) {
  Scenario sc;
  std::string err;
  ASSERT_TRUE(ParseScenario(
      "# a story\nplaybook:\n  fields:\n\n    email: text\nusers: ana rep\n"
      "act L-1 accept --by ana --reason \"a b\"\nexpect exit 1\nexpect error \"stage rule\"\n"
      "show L-1 at 2026-03-01T00:00:00Z:\n  stage mql\n",
      &sc, &err))
      << err;
  ASSERT_EQ(sc.steps.size(), 4u);
  EXPECT_EQ(sc.steps[0].body.size(), 3u);
  EXPECT_EQ(sc.steps[0].body[2].text, "  email: text");
  EXPECT_EQ(sc.steps[2].expect_exit, 1);
  ASSERT_EQ(sc.steps[2].expect_stderr.size(), 1u);
  EXPECT_EQ(sc.steps[2].expect_stderr[0], "stage rule");
  auto w = Words(sc.steps[2].header, nullptr);
  ASSERT_EQ(w.size(), 7u);
  EXPECT_EQ(w[6].text, "a b");
  EXPECT_EQ(sc.steps[3].line, 10);
}

TEST(ScenarioFormat, EventShorthand) {
  std::string json, err;
  ASSERT_TRUE(
      EventLine("2026-03-01T10:00:00Z L-1 identify job_title=\"VP Finance\" company_size=800 "
                "zip=\"02134\" phone=null messageId=m-1",
                &json, &err))
      << err;
  Json j = Json::parse(json);
  EXPECT_EQ(j["type"], "identify");
  EXPECT_EQ(j["userId"], "L-1");
  EXPECT_EQ(j["messageId"], "m-1");
  EXPECT_EQ(j["traits"]["job_title"], "VP Finance");
  EXPECT_EQ(j["traits"]["company_size"], 800);
  EXPECT_EQ(j["traits"]["zip"], "02134");
  EXPECT_TRUE(j["traits"]["phone"].is_null());
  ASSERT_TRUE(
      EventLine("2026-03-01T10:00:00Z L-1 track webinar_attended webinar=audit", &json, &err));
  j = Json::parse(json);
  EXPECT_EQ(j["event"], "webinar_attended");
  EXPECT_EQ(j["properties"]["webinar"], "audit");
  ASSERT_TRUE(EventLine("2026-03-01T10:00:00Z L-1 page url=/pricing name=Pricing", &json, &err));
  j = Json::parse(json);
  EXPECT_EQ(j["type"], "page");
  EXPECT_EQ(j["name"], "Pricing");
  EXPECT_EQ(j["properties"]["url"], "/pricing");
  EXPECT_FALSE(EventLine("2026-03-01T10:00:00Z L-1 click x=1", &json, &err));
  EXPECT_FALSE(EventLine("2026-03-01T10:00:00Z L-1 track", &json, &err));
}

}  // namespace
}  // namespace leadgate::testing
