// `leadgate model suggest` (docs/predictive.md): the playbook against the
// evidence of closed leads, as a report and a reviewable YAML diff.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/model_data.h"
#include "app/suggest.h"
#include "cli/model_cmd.h"
#include "common/time.h"

namespace leadgate {

void AddSuggestCommand(CLI::App* m, std::string& db, int& rc) {
  auto* sg = m->add_subcommand(
      "suggest",
      "compare the playbook with the evidence of closed leads: rates, intervals, a YAML diff");
  struct Args {
    std::string label = "won", at, out;
    SuggestOptions opt;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  sg->add_option("--label", a->label, "won (default) or sql")->capture_default_str();
  sg->add_option("--at", a->at, "the history as of this time (default now)");
  sg->add_option("--min-leads", a->opt.min_leads,
                 "patterns matching fewer closed leads are not judged")
      ->capture_default_str();
  sg->add_option("--points-per-doubling", a->opt.points_per_doubling,
                 "points proposed for a conversion rate twice the base rate")
      ->capture_default_str();
  sg->add_option("--max-new-rules", a->opt.max_new_rules, "new rules to propose at most")
      ->capture_default_str();
  sg->add_option("--out", a->out,
                 "write the proposed playbook here (review it, then leadgate playbook apply FILE)");
  sg->add_flag("--json", a->json, "the evidence as JSON (with the diff)");
  sg->callback([&rc, &db, a] {
    auto fail = [&rc](const Status& s) {
      std::cerr << "leadgate: " << s.message() << "\n";
      rc = s.code() == StatusCode::kUsage ? 2 : 1;
    };
    if (a->opt.min_leads < 1) return fail(Status::Usage("--min-leads must be >= 1"));
    if (a->label != "won" && a->label != "sql")
      return fail(Status::Usage("--label is won or sql, not '" + a->label + "'"));
    TrainingOptions o;
    o.label = a->label == "sql" ? TrainLabel::kSql : TrainLabel::kWon;
    Micros now = NowMicros();
    if (!a->at.empty()) {
      auto t = ParseDateOrTime(a->at);
      if (!t) return fail(Status::Usage("--at '" + a->at + "' is not an RFC 3339 time"));
      o.at = *t;
      now = *t;
    }
    auto e = Engine::Open(db);
    if (!e.ok()) return fail(e.status());
    auto t = (*e)->TrainingData(o);
    if (!t.ok()) return fail(t.status());
    const Playbook& pb = (*e)->PlaybookAt(now);
    int64_t version = 1;
    for (const auto& v : (*e)->versions())
      if (v.applied_at <= now) version = v.version;
    auto r = Suggest(*t, pb, pb.source, a->opt);
    if (!r.ok()) return fail(r.status());
    const std::string from = fmt::format("playbook v{}", version), to = "proposed";
    r->diff = UnifiedDiff(pb.source, r->proposed_yaml, from, to);
    // The proposal must load like any playbook (it is checked again on apply).
    auto check = LoadPlaybook(r->proposed_yaml, to);
    if (!check.ok())
      return fail(Status::Internal("the proposed playbook does not load (please report): " +
                                   check.status().message()));
    if (!a->out.empty()) {
      std::ofstream f(a->out, std::ios::binary);
      f << r->proposed_yaml;
      if (!f) return fail(Status::Invalid(a->out + ": cannot write the proposed playbook"));
    }
    if (a->json) {
      auto ev = [](const Evidence& x) {
        nlohmann::ordered_json j = {{"kind", x.kind},
                                    {"key", x.key},
                                    {"value", x.value},
                                    {"leads", x.leads},
                                    {"positives", x.positives},
                                    {"rate", std::round(x.rate * 1e6) / 1e6},
                                    {"low", std::round(x.low * 1e6) / 1e6},
                                    {"high", std::round(x.high * 1e6) / 1e6},
                                    {"lift", std::round(x.lift * 1e6) / 1e6}};
        j["current_points"] = x.current_points ? nlohmann::ordered_json(*x.current_points)
                                               : nlohmann::ordered_json(nullptr);
        j["proposed_points"] = x.proposed_points ? nlohmann::ordered_json(*x.proposed_points)
                                                 : nlohmann::ordered_json(nullptr);
        j["verdict"] = x.verdict;
        return j;
      };
      nlohmann::ordered_json j;
      j["label"] = a->label;
      j["rows"] = r->rows;
      j["positives"] = r->positives;
      j["base_rate"] = std::round(r->base_rate * 1e6) / 1e6;
      j["playbook_version"] = version;
      j["rules"] = nlohmann::ordered_json::array();
      for (const auto& x : r->rules) j["rules"].push_back(ev(x));
      j["patterns"] = nlohmann::ordered_json::array();
      for (const auto& x : r->patterns) j["patterns"].push_back(ev(x));
      j["notes"] = r->notes;
      j["diff"] = r->diff;
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << SuggestText(*r, a->label);
      std::cout << "\n"
                << (r->diff.empty() ? "no change proposed\n" : r->diff)
                << (a->out.empty() || r->diff.empty()
                        ? ""
                        : "\nwritten to " + a->out + ": review it, then leadgate playbook apply " +
                              a->out + "\n");
    }
    rc = 0;
  });
}

}  // namespace leadgate
