#include "app/render.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace leadgate {
namespace {

using Json = nlohmann::ordered_json;

Json ValueJson(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return nullptr;
    case Value::Kind::kBool:
      return v.b;
    case Value::Kind::kNumber:
      if (v.num == static_cast<double>(static_cast<int64_t>(v.num)) && std::abs(v.num) < 1e15) {
        return static_cast<int64_t>(v.num);
      }
      return v.num;
    case Value::Kind::kString:
      return v.str;
    case Value::Kind::kNested: {
      auto j = Json::parse(v.str, nullptr, false);
      return j.is_discarded() ? Json(v.str) : j;
    }
  }
  return nullptr;
}

Json OptJson(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }

std::string Paint(bool color, const char* code, const std::string& s) {
  return color ? fmt::format("\033[{}m{}\033[0m", code, s) : s;
}

std::string Num(double v) { return fmt::format("{:.2f}", Round2(v)); }

std::string TraitText(const LeadState& s, const char* key) {
  auto it = s.traits.find(key);
  return it == s.traits.end() ? "" : it->second.ToText();
}

std::string Describe(const Event& e) {
  auto prop = [&](const char* k) {
    const Value* v = FindProp(e.props, k);
    return v ? v->ToText() : std::string();
  };
  switch (e.type) {
    case EventType::kIdentify: {
      std::string s = "profile updated:";
      int n = 0;
      for (const auto& [k, v] : e.props) {
        if (n++ == 4) {
          s += " ...";
          break;
        }
        s += " " + k + "=" + (v.is_null() ? "(removed)" : v.ToText());
      }
      return s;
    }
    case EventType::kPage: {
      std::string url = prop("url");
      std::string name = prop("name");
      return "visited " + (url.empty() ? name : url) +
             (name.empty() || url.empty() ? "" : " (" + name + ")");
    }
    case EventType::kTrack: {
      std::string s = e.name;
      std::replace(s.begin(), s.end(), '_', ' ');
      std::string detail;
      for (const auto& [k, v] : e.props) {
        if (!detail.empty()) detail += ", ";
        detail += k + ": " + v.ToText();
        if (detail.size() > 60) break;
      }
      return detail.empty() ? s : s + " (" + detail + ")";
    }
    case EventType::kOther:
      return e.name + " (stored, not scored)";
  }
  return e.name;
}

// The active model's prediction (null without a model): docs/predictive.md.
Json PredictionJson(const std::optional<Prediction>& p) {
  if (!p) return nullptr;
  Json f = Json::array();
  for (const auto& x : p->factors)
    f.push_back({{"feature", x.feature}, {"value", x.value}, {"effect", x.effect}});
  return {{"probability", std::round(p->probability * 1e4) / 1e4},
          {"model_version", p->model_version},
          {"kind", p->kind},
          {"label", p->label},
          {"factors", f}};
}

}  // namespace

// ShowJsonText (render_text.cc) writes the same JSON without the DOM for the
// server's lead reads: a field added here must be added there (the test
// ShowJsonText.MatchesTheDom fails until it is).
Json ShowJson(const ShowResult& r) {
  const LeadState& s = r.state;
  Json j;
  j["id"] = s.id;
  j["stage"] = StageName(s.stage);
  j["score"] = {
      {"fit", Round2(s.fit)}, {"engagement", Round2(s.engagement)}, {"total", Round2(s.total)}};
  Json ex = Json::array();
  for (const auto& l : s.explanation) {
    ex.push_back(
        {{"rule", l.rule}, {"kind", l.kind}, {"count", l.count}, {"points", Round2(l.points)}});
  }
  j["explanation"] = ex;
  Json traits = Json::object();
  for (const auto& [k, v] : s.traits) traits[k] = ValueJson(v);
  j["traits"] = traits;
  if (s.bant) {
    j["bant"] = {{"budget", OptJson(s.bant->budget)},
                 {"authority", OptJson(s.bant->authority)},
                 {"need", OptJson(s.bant->need)},
                 {"timeline", OptJson(s.bant->timeline)},
                 {"current_solution", OptJson(s.bant->current_solution)},
                 {"by", s.bant->by},
                 {"at", FormatRfc3339(s.bant->at)},
                 {"passes", s.bant_passes}};
  } else {
    j["bant"] = nullptr;
  }
  Json hist = Json::array();
  for (const auto& h : s.history) {
    hist.push_back({{"at", FormatRfc3339(h.at)},
                    {"from", StageName(h.from)},
                    {"to", StageName(h.to)},
                    {"by", h.by},
                    {"reason", OptJson(h.reason)},
                    {"rule", OptJson(h.rule)},
                    {"exception", h.exception},
                    {"playbook_version", h.playbook_version}});
  }
  j["history"] = hist;
  j["warnings"] = s.warnings;
  j["as_of"] = FormatRfc3339(r.as_of);
  j["playbook_version"] = s.playbook_version;
  j["owner"] = OptJson(s.owner);
  Json clocks = Json::array();
  for (const auto& c : s.clocks) {
    clocks.push_back(
        {{"mql_at", FormatRfc3339(c.mql_at)},
         {"due", FormatRfc3339(c.due)},
         {"responded_at", c.responded_at ? Json(FormatRfc3339(*c.responded_at)) : Json(nullptr)},
         {"responded_by", OptJson(c.responded_by)}});
  }
  j["sla"] = clocks;
  // Routing (docs/routing.md): only for leads that routing or a manager assigned.
  if (s.team || s.assigned_at) {
    j["assignment"] = {{"team", OptJson(s.team)},
                       {"owner", OptJson(s.owner)},
                       {"waiting", !s.owner.has_value()},
                       {"at", s.assigned_at ? Json(FormatRfc3339(*s.assigned_at)) : Json()},
                       {"by", OptJson(s.assigned_by)},
                       {"rule", OptJson(s.assign_reason)}};
  }
  if (!r.breaches.empty()) {
    Json esc = Json::array();
    for (const SlaBreach& b : r.breaches) {
      esc.push_back({{"mql_at", FormatRfc3339(b.mql_at)},
                     {"due", FormatRfc3339(b.due)},
                     {"fired_at", FormatRfc3339(b.fired_at)},
                     {"owner", OptJson(b.owner)},
                     {"team", OptJson(b.team)},
                     {"escalated_to", OptJson(b.escalated_to)}});
    }
    j["escalations"] = esc;
  }
  j["events"] = r.event_count;
  j["prediction"] = PredictionJson(r.prediction);
  // The latest 40 events, in timeline order (the dossier's journey).
  Json recent = Json::array();
  std::vector<const Event*> order;
  for (const Event& e : r.events) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Event* a, const Event* b) {
    return a->ts != b->ts ? a->ts < b->ts : a->message_id < b->message_id;
  });
  size_t skip = order.size() > 40 ? order.size() - 40 : 0;
  for (size_t i = skip; i < order.size(); ++i) {
    const Event& e = *order[i];
    recent.push_back({{"at", FormatRfc3339(e.ts)},
                      {"type", e.type == EventType::kIdentify ? "identify"
                               : e.type == EventType::kPage   ? "page"
                               : e.type == EventType::kTrack  ? "track"
                                                              : "other"},
                      {"name", e.name},
                      {"message_id", e.message_id}});
  }
  j["recent_events"] = recent;
  return j;
}

Json QueueJson(const std::vector<QueueRow>& rows) {
  Json out = Json::array();
  for (const auto& r : rows) {
    out.push_back({{"id", r.id},
                   {"stage", StageName(r.stage)},
                   {"fit", Round2(r.fit)},
                   {"engagement", Round2(r.engagement)},
                   {"total", Round2(r.total)},
                   {"owner", OptJson(r.owner)}});
    if (r.probability) out.back()["probability"] = std::round(*r.probability * 1e4) / 1e4;
  }
  return out;
}

Json SlaJson(const SlaReport& r) {
  Json j;
  j["limit_seconds"] = r.limit ? Json(*r.limit / kSecond) : Json(nullptr);
  Json open = Json::array();
  for (const auto& o : r.open) {
    open.push_back({{"id", o.id},
                    {"mql_at", FormatRfc3339(o.mql_at)},
                    {"due", FormatRfc3339(o.due)},
                    {"overdue_seconds", o.overdue_seconds}});
    if (o.escalated_to || o.owner) {  // a breach the timer fired (docs/routing.md)
      open.back()["owner"] = OptJson(o.owner);
      open.back()["escalated_to"] = OptJson(o.escalated_to);
    }
  }
  j["open"] = open;
  j["breaches"] = r.breaches;
  j["met"] = r.met;
  j["median_response_seconds"] = r.median ? Json(Round2(*r.median)) : Json(nullptr);
  return j;
}

std::string ShowText(const ShowResult& r, const Playbook& pb, bool color) {
  const LeadState& s = r.state;
  std::string out;
  std::string name = TraitText(s, "first_name") + " " + TraitText(s, "last_name");
  if (TrimSpaces(name).empty()) name = TraitText(s, "name");
  std::string title = TraitText(s, "job_title"), company = TraitText(s, "company");
  out += Paint(color, "1",
               s.id + (TrimSpaces(name).empty() ? "" : "  " + std::string(TrimSpaces(name))));
  if (!title.empty() || !company.empty()) {
    out += "  —  " + title + (company.empty() ? "" : (title.empty() ? "" : " at ") + company);
  }
  out += "\n";
  out += fmt::format("Stage {}   owner {}   as of {}   playbook v{}\n",
                     Paint(color, "1;36", StageName(s.stage)), s.owner.value_or("-"),
                     FormatRfc3339(r.as_of), s.playbook_version);
  out += fmt::format("\nScore  total {}  =  fit {}  +  engagement {}\n",
                     Paint(color, "1", Num(s.total)), Num(s.fit), Num(s.engagement));
  for (const auto& l : s.explanation) {
    std::string label = l.kind == "cap" ? "engagement cap" : pb.RuleLabel(l.rule);
    out += fmt::format("  {:>8}  {:<11} {:<34} {}\n", Num(l.points), l.kind, label,
                       l.kind == "engagement" ? fmt::format("x{}", l.count) : "");
  }
  if (r.prediction) {
    const Prediction& p = *r.prediction;
    out += fmt::format("\nPrediction  {} chance of {}  (model v{}, {})\n",
                       Paint(color, "1", fmt::format("{:.0f} %", 100 * p.probability)),
                       p.label == "sql" ? "reaching sql" : "winning", p.model_version, p.kind);
    for (const auto& f : p.factors)
      out += fmt::format("  {:>+7.2f}  {} = {}\n", f.effect, f.feature, f.value);
  }
  out += "\nTraits\n";
  for (const auto& [k, v] : s.traits) out += fmt::format("  {:<16} {}\n", k, v.ToText());
  out += "\nBANT\n";
  if (!s.bant) {
    out += "  no answers yet\n";
  } else {
    const auto& b = *s.bant;
    out += fmt::format("  budget {}, authority {}, need \"{}\", timeline {}{}\n",
                       b.budget.value_or("-"), b.authority.value_or("-"), b.need.value_or(""),
                       b.timeline.value_or("-"),
                       b.current_solution ? ", today uses " + *b.current_solution : "");
    out += fmt::format(
        "  from {} at {}: {}\n", b.by, FormatRfc3339(b.at),
        s.bant_passes ? Paint(color, "32", "passes") : Paint(color, "33", "does not pass"));
  }
  out += "\nJourney\n";
  size_t shown = 0;
  size_t skip = r.events.size() > 40 ? r.events.size() - 40 : 0;
  int64_t earlier = r.event_count - static_cast<int64_t>(r.events.size() - skip);
  if (earlier > 0) out += fmt::format("  ({} earlier events not shown)\n", earlier);
  // Events and actions interleaved in timeline order (at one timestamp,
  // events first, as the fold sees them).
  std::vector<const Event*> evs;
  for (const auto& e : r.events) {
    if (shown++ >= skip) evs.push_back(&e);
  }
  std::stable_sort(evs.begin(), evs.end(), [](const Event* a, const Event* b) {
    return a->ts != b->ts ? a->ts < b->ts : a->message_id < b->message_id;
  });
  size_t ai = 0;
  auto print_action = [&](const Action& a) {
    std::string name = ActionName(a.kind);
    if (a.kind == ActionKind::kImport && a.to_stage)
      name += std::string(" ") + StageName(*a.to_stage);
    out += fmt::format(
        "  {}  {}{} by {}{}\n", FormatRfc3339(a.ts), name,
        a.kind == ActionKind::kAssign ? " to " + a.to.value_or("team " + a.team.value_or("-")) : "",
        a.by, a.reason ? " (" + *a.reason + ")" : (a.channel ? " (" + *a.channel + ")" : ""));
  };
  for (const Event* e : evs) {
    while (ai < r.actions.size() && r.actions[ai].ts < e->ts) print_action(r.actions[ai++]);
    out += fmt::format("  {}  {}\n", FormatRfc3339(e->ts), Describe(*e));
  }
  while (ai < r.actions.size()) print_action(r.actions[ai++]);
  out += "\nStage history\n";
  if (s.history.empty()) out += "  still a new lead\n";
  for (const auto& h : s.history) {
    out += fmt::format("  {}  {} -> {}  by {}{}{}\n", FormatRfc3339(h.at), StageName(h.from),
                       StageName(h.to), h.by, h.reason ? " — " + *h.reason : "",
                       h.exception ? Paint(color, "35", "  [exception]") : "");
  }
  if (s.team || s.assigned_at) {
    out += "\nAssignment\n";
    out += fmt::format("  team {}   owner {}{}\n", s.team.value_or("-"),
                       s.owner.value_or("- (waiting in the team queue)"),
                       s.assign_reason ? "   — " + *s.assign_reason : "");
  }
  if (!s.clocks.empty()) {
    out += "\nSpeed to lead\n";
    for (const auto& c : s.clocks) {
      if (c.responded_at) {
        out += fmt::format("  MQL {} answered by {} after {}s{}\n", FormatRfc3339(c.mql_at),
                           c.responded_by.value_or("?"), (*c.responded_at - c.mql_at) / kSecond,
                           *c.responded_at > c.due ? Paint(color, "31", " (breach)") : "");
      } else {
        out += fmt::format("  MQL {} waiting, due {}{}\n", FormatRfc3339(c.mql_at),
                           FormatRfc3339(c.due),
                           r.as_of > c.due ? Paint(color, "31", " (breached)") : "");
      }
    }
  }
  for (const SlaBreach& b : r.breaches) {
    out += fmt::format("  breach at {} escalated to {}\n", FormatRfc3339(b.due),
                       b.escalated_to.value_or("- (no team manager)"));
  }
  if (!s.warnings.empty()) {
    out += "\nWarnings\n";
    for (const auto& w : s.warnings) out += "  ! " + w + "\n";
  }
  return out;
}

std::string QueueText(const std::vector<QueueRow>& rows, Micros at, bool color) {
  std::string out = fmt::format("Queue as of {} — {} lead{}\n\n", FormatRfc3339(at), rows.size(),
                                rows.size() == 1 ? "" : "s");
  size_t w = 4, ww = 3;
  for (const auto& r : rows) {
    w = std::max(w, r.id.size());
    ww = std::max(ww, std::min<size_t>(r.who.size(), 48));
  }
  out += Paint(color, "1",
               fmt::format("{:>4}  {:<{}}  {:<{}}  {:<12} {:>7} {:>11} {:>7}  {}", "#", "lead", w,
                           "who", ww, "stage", "fit", "engagement", "total", "owner")) +
         "\n";
  int i = 0;
  for (const auto& r : rows) {
    std::string who = r.who;
    if (who.size() > 48) {
      size_t cut = 45;  // never split a UTF-8 sequence
      while (cut > 0 && (static_cast<unsigned char>(who[cut]) & 0xC0) == 0x80) --cut;
      who = who.substr(0, cut) + "...";
    }
    out += fmt::format("{:>4}  {:<{}}  {:<{}}  {:<12} {:>7} {:>11} {:>7}  {}{}\n", ++i, r.id, w,
                       who, ww, StageName(r.stage), Num(r.fit), Num(r.engagement), Num(r.total),
                       r.owner.value_or("-"),
                       r.probability ? fmt::format("  p={:.0f} %", 100 * *r.probability) : "");
  }
  return out;
}

std::string SlaText(const SlaReport& r, Micros at, bool color) {
  std::string out = fmt::format("Speed to lead as of {} (limit {})\n", FormatRfc3339(at),
                                r.limit ? fmt::format("{}s", *r.limit / kSecond) : "none");
  out += fmt::format("  met {}   breaches {}   median response {}\n", r.met, r.breaches,
                     r.median ? fmt::format("{:.0f}s", *r.median) : "-");
  if (!r.open.empty()) {
    out += "\nWaiting for a first response (most overdue first)\n";
    for (const auto& o : r.open) {
      out += fmt::format(
          "  {:<12} MQL {}  due {}  {}\n", o.id, FormatRfc3339(o.mql_at), FormatRfc3339(o.due),
          o.overdue_seconds > 0 ? Paint(color, "31", fmt::format("{}s overdue", o.overdue_seconds))
                                : fmt::format("{}s left", -o.overdue_seconds));
      if (o.escalated_to) out += "               escalated to " + *o.escalated_to + "\n";
    }
  }
  return out;
}

namespace {

Json GroupJson(const FunnelGroup& g) {
  Json reached = Json::object();
  for (size_t i = 0; i < kStageCount; ++i) reached[StageName(static_cast<Stage>(i))] = g.reached[i];
  Json conv = Json::object();
  for (const auto& [k, v] : g.conversion)
    conv[k] = v ? Json(std::round(*v * 10000) / 10000) : Json();
  return {{"leads", g.leads}, {"reached", reached}, {"conversion", conv}};
}

Json ReasonsJson(const std::vector<ReasonCount>& v) {
  Json out = Json::array();
  for (const auto& r : v) out.push_back({{"reason", r.reason}, {"count", r.count}});
  return out;
}

std::string Pct(const std::optional<double>& v) {
  return v ? fmt::format("{:.1f}%", *v * 100) : std::string("-");
}

}  // namespace

Json FunnelJson(const FunnelReport& r) {
  Json j = GroupJson(r.all);
  j["by"] = nullptr;
  if (!r.by.empty()) {
    Json by = Json::object();
    for (const auto& [k, g] : r.groups) by[k] = GroupJson(g);
    j["by"] = by;
  }
  Json times = Json::object();
  for (size_t i = 0; i < kStageCount; ++i) {
    const StageTime& t = r.time_in_stage[i];
    times[StageName(static_cast<Stage>(i))] = {
        {"stays", t.stays},
        {"median_hours", t.median_hours ? Json(Round2(*t.median_hours)) : Json()},
        {"p90_hours", t.p90_hours ? Json(Round2(*t.p90_hours)) : Json()}};
  }
  j["time_in_stage"] = times;
  j["reasons"] = {{"rejected", ReasonsJson(r.rejected)},
                  {"lost", ReasonsJson(r.lost)},
                  {"disqualified", ReasonsJson(r.disqualified)}};
  j["cohort"] = {{"from", r.from ? Json(FormatRfc3339(*r.from)) : Json()},
                 {"to", r.to ? Json(FormatRfc3339(*r.to)) : Json()},
                 {"group_by", r.by.empty() ? Json() : Json(r.by)}};
  j["as_of"] = FormatRfc3339(r.as_of);
  return j;
}

std::string FunnelText(const FunnelReport& r) {
  std::string cohort = r.from || r.to ? "created" : "(all)";
  if (r.from) cohort += " from " + FormatRfc3339(*r.from);
  if (r.to) cohort += " before " + FormatRfc3339(*r.to);
  std::string out =
      fmt::format("Funnel as of {} — {} leads {}\n\n", FormatRfc3339(r.as_of), r.all.leads, cohort);
  out += fmt::format("  {:<14} {:>8} {:>8}\n", "stage", "reached", "share");
  for (size_t i = 0; i < kStageCount; ++i) {
    double share = r.all.leads ? static_cast<double>(r.all.reached[i]) / r.all.leads : 0;
    out += fmt::format("  {:<14} {:>8} {:>7.1f}%\n", StageName(static_cast<Stage>(i)),
                       r.all.reached[i], share * 100);
  }
  out += "\nConversion\n";
  for (const auto& [k, v] : r.all.conversion) out += fmt::format("  {:<20} {:>7}\n", k, Pct(v));
  out += "\nTime in stage (completed stays)\n";
  for (size_t i = 0; i < kStageCount; ++i) {
    const StageTime& t = r.time_in_stage[i];
    if (!t.stays) continue;
    out += fmt::format("  {:<14} median {:>8.1f} h   p90 {:>8.1f} h   ({} stays)\n",
                       StageName(static_cast<Stage>(i)), *t.median_hours, *t.p90_hours, t.stays);
  }
  auto reasons = [&](const char* title, const std::vector<ReasonCount>& v) {
    if (v.empty()) return;
    out += fmt::format("\n{}\n", title);
    for (size_t i = 0; i < v.size() && i < 10; ++i)
      out += fmt::format("  {:>6}  {}\n", v[i].count, v[i].reason);
  };
  reasons("Reject reasons", r.rejected);
  reasons("Lost reasons", r.lost);
  reasons("Disqualified", r.disqualified);
  if (!r.by.empty()) {
    out += fmt::format("\nBy {}\n", r.by);
    out += fmt::format("  {:<28} {:>7} {:>7} {:>7} {:>7} {:>9} {:>9}\n", r.by, "leads", "mql",
                       "sql", "won", "lead>mql", "mql>won");
    for (const auto& [k, g] : r.groups) {
      out += fmt::format("  {:<28} {:>7} {:>7} {:>7} {:>7} {:>9} {:>9}\n", k.substr(0, 28), g.leads,
                         g.reached[static_cast<size_t>(Stage::kMql)],
                         g.reached[static_cast<size_t>(Stage::kSql)],
                         g.reached[static_cast<size_t>(Stage::kWon)], Pct(g.conversion[0].second),
                         Pct(g.conversion[5].second));
    }
  }
  return out;
}

Json StalledJson(const std::vector<StalledRow>& rows) {
  Json out = Json::array();
  for (const auto& r : rows) {
    out.push_back({{"id", r.id},
                   {"stage", StageName(r.stage)},
                   {"owner", r.owner ? Json(*r.owner) : Json()},
                   {"since", FormatRfc3339(r.since)},
                   {"idle_seconds", r.idle_seconds},
                   {"who", r.who}});
  }
  return out;
}

std::string StalledText(const std::vector<StalledRow>& rows, Micros at, Micros older_than) {
  std::string out =
      fmt::format("{} leads waiting on sales for {:.1f} days or more, as of {}\n", rows.size(),
                  static_cast<double>(older_than) / kDay, FormatRfc3339(at));
  if (rows.empty()) return out;
  out +=
      fmt::format("\n  {:<14} {:<5} {:<12} {:>8}  {}\n", "lead", "stage", "owner", "idle", "who");
  for (const auto& r : rows) {
    out += fmt::format("  {:<14} {:<5} {:<12} {:>7.1f}d  {}\n", r.id, StageName(r.stage),
                       r.owner.value_or("-"), static_cast<double>(r.idle_seconds) / 86400, r.who);
  }
  return out;
}

namespace {
Json SlaStatsJson(const SlaStats& s) {
  auto opt = [](const std::optional<double>& v, bool round4) {
    if (!v) return Json();
    return Json(round4 ? std::round(*v * 10000) / 10000 : Round2(*v));
  };
  return {{"clocks", s.clocks},
          {"met", s.met},
          {"breached", s.breached},
          {"running", s.running},
          {"met_rate", opt(s.met_rate, true)},
          {"median_response_seconds", opt(s.median_response_seconds, false)},
          {"p90_response_seconds", opt(s.p90_response_seconds, false)}};
}
}  // namespace

Json SlaComplianceJson(const SlaComplianceReport& r) {
  Json j = SlaStatsJson(r.all);
  j["limit_seconds"] = r.limit ? Json(*r.limit / kSecond) : Json();
  Json owners = Json::object(), teams = Json::object(), weeks = Json::object();
  for (const auto& [k, s] : r.by_owner) owners[k] = SlaStatsJson(s);
  for (const auto& [k, s] : r.by_team) teams[k] = SlaStatsJson(s);
  for (const auto& [k, s] : r.by_week) weeks[k] = SlaStatsJson(s);
  j["by_owner"] = owners;
  j["by_team"] = teams;
  j["by_week"] = weeks;
  j["as_of"] = FormatRfc3339(r.as_of);
  return j;
}

std::string SlaComplianceText(const SlaComplianceReport& r) {
  auto line = [](const std::string& name, const SlaStats& s) {
    return fmt::format(
        "  {:<16} {:>7} {:>6} {:>8} {:>8} {:>8} {:>10} {:>10}\n", name.substr(0, 16), s.clocks,
        s.met, s.breached, s.running, s.met_rate ? fmt::format("{:.1f}%", *s.met_rate * 100) : "-",
        s.median_response_seconds ? fmt::format("{:.0f}s", *s.median_response_seconds) : "-",
        s.p90_response_seconds ? fmt::format("{:.0f}s", *s.p90_response_seconds) : "-");
  };
  std::string head = fmt::format("  {:<16} {:>7} {:>6} {:>8} {:>8} {:>8} {:>10} {:>10}\n", "",
                                 "clocks", "met", "breached", "running", "met %", "median", "p90");
  std::string out = fmt::format("Speed to lead as of {} (limit {})\n\n", FormatRfc3339(r.as_of),
                                r.limit ? std::to_string(*r.limit / kSecond) + "s" : "none");
  out += head + line("all", r.all);
  out += "\nBy owner\n" + head;
  for (const auto& [k, s] : r.by_owner) out += line(k, s);
  out += "\nBy team\n" + head;
  for (const auto& [k, s] : r.by_team) out += line(k, s);
  out += "\nBy week of the MQL\n" + head;
  for (const auto& [k, s] : r.by_week) out += line(k, s);
  return out;
}

Json ExceptionsJson(const ExceptionsReport& r) {
  Json paths = Json::object();
  for (const char* p : {"override", "self_qualified", "normal"}) {
    auto it = r.paths.groups.find(p);
    FunnelGroup empty;
    if (it == r.paths.groups.end()) {
      FunnelReport tmp;
      FunnelBuilder(&tmp).Finish();
      empty = tmp.all;
    }
    paths[p] = GroupJson(it == r.paths.groups.end() ? empty : it->second);
  }
  Json by = Json::object();
  for (const auto& [k, n] : r.overrides_by) by[k] = n;
  return {{"overrides", r.overrides},
          {"self_qualified", r.self_qualified},
          {"overrides_by", by},
          {"paths", paths},
          {"as_of", FormatRfc3339(r.paths.as_of)}};
}

std::string ExceptionsText(const ExceptionsReport& r) {
  std::string out = fmt::format("Exceptions as of {}: {} manager overrides, {} self-qualified\n",
                                FormatRfc3339(r.paths.as_of), r.overrides, r.self_qualified);
  for (const auto& [k, n] : r.overrides_by) out += fmt::format("  {:>6}  overrides by {}\n", n, k);
  out += fmt::format("\n  {:<16} {:>7} {:>7} {:>7} {:>7} {:>9} {:>9}\n", "path", "leads", "sql",
                     "won", "lost", "sql>opp", "opp>won");
  for (const char* p : {"override", "self_qualified", "normal"}) {
    auto it = r.paths.groups.find(p);
    if (it == r.paths.groups.end()) {
      out += fmt::format("  {:<16} {:>7}\n", p, 0);
      continue;
    }
    const FunnelGroup& g = it->second;
    out += fmt::format("  {:<16} {:>7} {:>7} {:>7} {:>7} {:>9} {:>9}\n", p, g.leads,
                       g.reached[static_cast<size_t>(Stage::kSql)],
                       g.reached[static_cast<size_t>(Stage::kWon)],
                       g.reached[static_cast<size_t>(Stage::kLost)], Pct(g.conversion[3].second),
                       Pct(g.conversion[4].second));
  }
  return out;
}

}  // namespace leadgate
