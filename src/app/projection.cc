#include "app/projection.h"

#include <nlohmann/json.hpp>

#include "fold/scoring.h"

namespace leadgate {
namespace {

using Json = nlohmann::json;

Json ValueToJson(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return nullptr;
    case Value::Kind::kBool:
      return v.b;
    case Value::Kind::kNumber:
      return v.num;
    case Value::Kind::kString:
      return v.str;
    case Value::Kind::kNested:
      return Json{{"$nested", v.str}};
  }
  return nullptr;
}

Value JsonToValue(const Json& j) {
  if (j.is_boolean()) return Value::Bool(j.get<bool>());
  if (j.is_number()) return Value::Number(j.get<double>());
  if (j.is_string()) return Value::String(j.get<std::string>());
  if (j.is_object() && j.contains("$nested")) return Value::Nested(j["$nested"].get<std::string>());
  return Value::Null();
}

Json Opt(const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); }
std::optional<std::string> Opt(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  return std::nullopt;
}

}  // namespace

std::string EncodeProjection(const LeadState& s, int64_t event_count) {
  Json j;
  Json traits = Json::object();
  for (const auto& [k, v] : s.traits) traits[k] = ValueToJson(v);
  j["traits"] = traits;
  // Explanation at the last point, without the cap line (recomputed at T).
  Json lines = Json::array();
  for (const auto& l : s.explanation) {
    if (l.kind == "cap") continue;
    lines.push_back({l.rule, l.kind, l.count, l.points});
  }
  j["lines"] = lines;
  if (s.bant) {
    const BantAnswers& b = *s.bant;
    j["bant"] = {Opt(b.budget),
                 Opt(b.authority),
                 Opt(b.need),
                 Opt(b.timeline),
                 Opt(b.current_solution),
                 b.by,
                 b.at};
  }
  Json clocks = Json::array();
  for (const auto& c : s.clocks) {
    clocks.push_back({c.mql_at, c.due, c.responded_at ? Json(*c.responded_at) : Json(nullptr),
                      Opt(c.responded_by)});
  }
  j["clocks"] = clocks;
  j["warnings"] = s.warnings;
  j["events"] = event_count;
  j["first_at"] = s.first_at;
  j["last_at"] = s.last_at;
  if (s.last_activity_at) j["last_activity_at"] = *s.last_activity_at;
  if (s.last_touch_at) j["last_touch_at"] = *s.last_touch_at;
  if (s.entered_stage_at) j["entered_stage_at"] = *s.entered_stage_at;
  return j.dump();
}

Status DecodeProjection(std::string_view text, LeadState* s, int64_t* event_count) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Internal("a stored projection is unreadable: run 'leadgate rebuild'");
  }
  try {
    for (const auto& [k, v] : j["traits"].items()) s->traits[k] = JsonToValue(v);
    for (const auto& l : j["lines"]) {
      s->explanation.push_back({l[0].get<std::string>(), l[1].get<std::string>(),
                                l[2].get<int64_t>(), l[3].get<double>()});
    }
    if (j.contains("bant")) {
      const Json& b = j["bant"];
      BantAnswers a;
      a.budget = Opt(b[0]);
      a.authority = Opt(b[1]);
      a.need = Opt(b[2]);
      a.timeline = Opt(b[3]);
      a.current_solution = Opt(b[4]);
      a.by = b[5].get<std::string>();
      a.at = b[6].get<Micros>();
      s->bant = a;
    }
    for (const auto& c : j["clocks"]) {
      SlaClock clock;
      clock.mql_at = c[0].get<Micros>();
      clock.due = c[1].get<Micros>();
      if (!c[2].is_null()) clock.responded_at = c[2].get<Micros>();
      clock.responded_by = Opt(c[3]);
      s->clocks.push_back(clock);
    }
    s->warnings = j["warnings"].get<std::vector<std::string>>();
    *event_count = j["events"].get<int64_t>();
    s->first_at = j["first_at"].get<Micros>();
    s->last_at = j["last_at"].get<Micros>();
    if (j.contains("last_activity_at")) s->last_activity_at = j["last_activity_at"].get<Micros>();
    if (j.contains("last_touch_at")) s->last_touch_at = j["last_touch_at"].get<Micros>();
    if (j.contains("entered_stage_at")) s->entered_stage_at = j["entered_stage_at"].get<Micros>();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("a stored projection is unreadable (") + e.what() +
                            "): run 'leadgate rebuild'");
  }
  s->exists = true;
  return Status::Ok();
}

void AdvanceTo(LeadState* s, Micros t, const Playbook& pb) {
  const double decay = DecayFactor(pb, t - s->engagement_ref);
  double raw = 0;
  for (auto& l : s->explanation) {
    if (l.kind != "engagement") continue;
    l.points *= decay;
    raw += l.points;
  }
  s->engagement_raw = s->engagement_sum_at_ref * decay;
  s->engagement = pb.cap ? std::min(*pb.cap, s->engagement_raw) : s->engagement_raw;
  if (pb.cap && raw > *pb.cap) s->explanation.push_back({"cap", "cap", 0, -(raw - *pb.cap)});
  s->total = s->fit + s->engagement;
  s->bant_passes = s->bant && BantPasses(*s->bant, pb);
}

}  // namespace leadgate
