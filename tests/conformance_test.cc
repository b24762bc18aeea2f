// Runs every scenario in shared/spec/conformance/ (see its README) against the
// real binary and compares exit statuses and the JSON of show/queue/sla.
// Skips, saying so, when the folder is absent.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "test_util.h"

namespace leadgate::testing {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

bool Near(const Json& a, const Json& b) {
  if (!a.is_number() || !b.is_number()) return a == b;
  return std::fabs(a.get<double>() - b.get<double>()) <= 0.011;
}

void CompareShow(const Json& got, const Json& want, const Json& fields, const std::string& ctx,
                 std::vector<std::string>* diffs) {
  auto diff = [&](const std::string& what, const Json& g, const Json& w) {
    diffs->push_back(ctx + " " + what + ": got " + g.dump() + ", want " + w.dump());
  };
  if (got.value("id", "") != want["id"]) diff("id", got["id"], want["id"]);
  if (got["stage"] != want["stage"]) diff("stage", got["stage"], want["stage"]);
  for (const char* k : {"fit", "engagement", "total"}) {
    if (!Near(got["score"][k], want["score"][k]))
      diff(std::string("score.") + k, got["score"][k], want["score"][k]);
  }
  // Explanation as a set; entries that round to 0 may be absent.
  auto key = [](const Json& e) {
    return e["rule"].get<std::string>() + "/" + e["kind"].get<std::string>();
  };
  std::map<std::string, Json> g, w;
  for (const auto& e : got["explanation"]) g[key(e)] = e;
  for (const auto& e : want["explanation"]) w[key(e)] = e;
  for (const auto& [k, e] : w) {
    auto it = g.find(k);
    if (it == g.end()) {
      if (std::fabs(e["points"].get<double>()) >= 0.005)
        diff("explanation missing " + k, nullptr, e);
    } else if (it->second["count"] != e["count"] || !Near(it->second["points"], e["points"])) {
      diff("explanation " + k, it->second, e);
    }
  }
  for (const auto& [k, e] : g) {
    if (!w.count(k) && std::fabs(e["points"].get<double>()) >= 0.005)
      diff("explanation extra " + k, e, nullptr);
  }
  for (const auto& f : fields) {
    std::string name = f.get<std::string>();
    Json gv = got["traits"].contains(name) ? got["traits"][name] : Json();
    Json wv = want["traits"].contains(name) ? want["traits"][name] : Json();
    if (!(gv == wv || Near(gv, wv))) diff("trait " + name, gv, wv);
  }
  if (want["bant"].is_null() != got["bant"].is_null()) {
    diff("bant", got["bant"], want["bant"]);
  } else if (!want["bant"].is_null()) {
    for (const char* k :
         {"budget", "authority", "need", "timeline", "current_solution", "by", "at", "passes"}) {
      if (got["bant"][k] != want["bant"][k])
        diff(std::string("bant.") + k, got["bant"][k], want["bant"][k]);
    }
  }
  const Json& gh = got["history"];
  const Json& wh = want["history"];
  if (gh.size() != wh.size()) {
    diff("history", gh, wh);
  } else {
    for (size_t i = 0; i < wh.size(); ++i) {
      for (const char* k : {"from", "to", "by", "at", "reason", "rule", "exception"}) {
        if (gh[i][k] != wh[i][k])
          diff("history[" + std::to_string(i) + "]." + k, gh[i][k], wh[i][k]);
      }
    }
  }
}

void RunScenario(const fs::path& dir) {
  Json ops = Json::parse(ReadFile((dir / "ops.json").string()));
  Json expected = Json::parse(ReadFile((dir / "expected.json").string()));
  TempDir tmp;
  std::string db = tmp.File("store.db");
  std::vector<std::string> diffs;
  for (size_t i = 0; i < ops.size(); ++i) {
    std::vector<std::string> args = {"--db", db};
    for (const auto& a : ops[i]["argv"]) args.push_back(a.get<std::string>());
    RunResult r = RunLeadgate(args, dir.string());
    std::string ctx =
        dir.filename().string() + " op " + std::to_string(i) + " (" + ops[i]["argv"].dump() + ")";
    int want_exit = expected["exit"][i].get<int>();
    if (r.exit_code != want_exit) {
      diffs.push_back(ctx + " exit: got " + std::to_string(r.exit_code) + ", want " +
                      std::to_string(want_exit) + "; stderr: " + r.err.substr(0, 300));
    }
    std::string k = std::to_string(i);
    if (!expected["outputs"].contains(k)) continue;
    const Json& want = expected["outputs"][k];
    Json got = Json::parse(r.out, nullptr, false);
    if (got.is_discarded()) {
      diffs.push_back(ctx + ": output is not JSON: " + r.out.substr(0, 200) + r.err.substr(0, 200));
      continue;
    }
    std::string cmd = ops[i]["argv"][0].get<std::string>();
    if (cmd == "show") {
      CompareShow(got, want, expected["fields"], ctx, &diffs);
    } else if (cmd == "queue") {
      std::vector<std::string> g, w;
      for (const auto& e : got) g.push_back(e["id"]);
      for (const auto& e : want) w.push_back(e["id"]);
      if (g != w)
        diffs.push_back(ctx + " queue order: got " + Json(g).dump() + ", want " + Json(w).dump());
      for (size_t j = 0; j < std::min(got.size(), want.size()); ++j) {
        if (got[j]["stage"] != want[j]["stage"] || !Near(got[j]["total"], want[j]["total"])) {
          diffs.push_back(ctx + " queue row " + std::to_string(j) + ": got " + got[j].dump() +
                          ", want " + want[j].dump());
        }
      }
    } else if (cmd == "sla") {
      for (const char* f : {"limit_seconds", "breaches", "met"}) {
        if (got[f] != want[f])
          diffs.push_back(ctx + " sla." + f + ": got " + got[f].dump() + ", want " +
                          want[f].dump());
      }
      if (!Near(got["median_response_seconds"], want["median_response_seconds"])) {
        diffs.push_back(ctx + " sla.median: got " + got["median_response_seconds"].dump() +
                        ", want " + want["median_response_seconds"].dump());
      }
      Json go = got["open"], wo = want["open"];
      bool same = go.size() == wo.size();
      for (size_t j = 0; same && j < wo.size(); ++j) {
        for (const char* f : {"id", "mql_at", "due", "overdue_seconds"})
          same = same && go[j][f] == wo[j][f];
      }
      if (!same) diffs.push_back(ctx + " sla.open: got " + go.dump() + ", want " + wo.dump());
    }
  }
  for (const auto& d : diffs) ADD_FAILURE() << d;
}

TEST(Conformance, AllScenarios) {
  std::string shared = SharedDir();
  fs::path root = fs::path(shared) / "spec" / "conformance";
  if (shared.empty() || !fs::exists(root)) {
    GTEST_SKIP()
        << "shared/spec/conformance not found next to the project: conformance scenarios skipped";
  }
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory() && fs::exists(e.path() / "ops.json")) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  ASSERT_FALSE(dirs.empty());
  for (const auto& d : dirs) {
    SCOPED_TRACE(d.filename().string());
    RunScenario(d);
  }
}

}  // namespace
}  // namespace leadgate::testing
