#include "app/projection.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "fold/scoring.h"
#include "store/codec.h"

namespace leadgate {
namespace {

using Json = nlohmann::json;

Value JsonToValue(const Json& j) {
  if (j.is_boolean()) return Value::Bool(j.get<bool>());
  if (j.is_number()) return Value::Number(j.get<double>());
  if (j.is_string()) return Value::String(j.get<std::string>());
  if (j.is_object() && j.contains("$nested")) return Value::Nested(j["$nested"].get<std::string>());
  return Value::Null();
}

std::optional<std::string> Opt(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  return std::nullopt;
}

}  // namespace

namespace {

// Binary layout, version 1 (see docs/storage.md): traits, explanation lines
// (without the cap line, recomputed at T), BANT, clocks, warnings, counts and
// times. Schema-1 stores hold JSON text here; DecodeProjection reads both.
constexpr char kProjectionV1 = 1;
// Version 2: explanation lines name their rule by its index in the playbook
// version the lead was folded under (1 byte kind + a varint), not by text.
constexpr char kProjectionV2 = 2;
enum LineKind : uint8_t { kFitLine = 0, kEngagementLine = 1, kTextLine = 2 };

void PutOpt(const std::optional<std::string>& s, std::string* out) {
  out->push_back(s ? 1 : 0);
  if (s) bin::PutBytes(*s, out);
}
void PutOptInt(const std::optional<int64_t>& v, std::string* out) {
  out->push_back(v ? 1 : 0);
  if (v) bin::PutInt(*v, out);
}
bool GetOpt(bin::Reader& r, std::optional<std::string>* s) {
  uint8_t has = 0;
  if (!r.Byte(&has)) return false;
  if (!has) {
    s->reset();
    return true;
  }
  std::string v;
  if (!r.Bytes(&v)) return false;
  *s = std::move(v);
  return true;
}
bool GetOptInt(bin::Reader& r, std::optional<int64_t>* v) {
  uint8_t has = 0;
  if (!r.Byte(&has)) return false;
  if (!has) {
    v->reset();
    return true;
  }
  int64_t x = 0;
  if (!r.Int(&x)) return false;
  *v = x;
  return true;
}

}  // namespace

std::string EncodeProjection(const LeadState& s, int64_t event_count, const Playbook* pb) {
  std::string out;
  out.reserve(256);
  out.push_back(pb ? kProjectionV2 : kProjectionV1);
  bin::PutVarint(s.traits.size(), &out);
  for (const auto& [k, v] : s.traits) {
    bin::PutBytes(k, &out);
    EncodeValue(v, &out);
  }
  size_t lines = 0;
  for (const auto& l : s.explanation) lines += l.kind != "cap";
  bin::PutVarint(lines, &out);
  for (const auto& l : s.explanation) {
    if (l.kind == "cap") continue;
    bool named = false;
    if (pb) {
      auto put_index = [&](const auto& rules, LineKind kind) {
        for (size_t i = 0; i < rules.size(); ++i) {
          if (rules[i].id != l.rule) continue;
          out.push_back(static_cast<char>(kind));
          bin::PutVarint(i, &out);
          return true;
        }
        return false;
      };
      if (l.kind == "fit") named = put_index(pb->fit, kFitLine);
      if (l.kind == "engagement") named = put_index(pb->engagement, kEngagementLine);
      if (!named) out.push_back(static_cast<char>(kTextLine));
    }
    if (!named) {
      bin::PutBytes(l.rule, &out);
      bin::PutBytes(l.kind, &out);
    }
    bin::PutInt(l.count, &out);
    bin::PutDouble(l.points, &out);
  }
  out.push_back(s.bant ? 1 : 0);
  if (s.bant) {
    const BantAnswers& b = *s.bant;
    PutOpt(b.budget, &out);
    PutOpt(b.authority, &out);
    PutOpt(b.need, &out);
    PutOpt(b.timeline, &out);
    PutOpt(b.current_solution, &out);
    bin::PutBytes(b.by, &out);
    bin::PutInt(b.at, &out);
  }
  bin::PutVarint(s.clocks.size(), &out);
  for (const auto& c : s.clocks) {
    bin::PutInt(c.mql_at, &out);
    bin::PutInt(c.due, &out);
    PutOptInt(c.responded_at, &out);
    PutOpt(c.responded_by, &out);
  }
  bin::PutVarint(s.warnings.size(), &out);
  for (const auto& w : s.warnings) bin::PutBytes(w, &out);
  bin::PutInt(event_count, &out);
  bin::PutInt(s.first_at, &out);
  bin::PutInt(s.last_at, &out);
  PutOptInt(s.last_activity_at, &out);
  PutOptInt(s.last_touch_at, &out);
  PutOptInt(s.entered_stage_at, &out);
  // Routing (docs/routing.md), only when there is any: an optional tail, so
  // projections without routing are unchanged.
  if (s.team || s.assigned_at || s.needs_routing) {
    out.push_back('R');
    PutOpt(s.team, &out);
    PutOptInt(s.assigned_at, &out);
    PutOpt(s.assigned_by, &out);
    PutOpt(s.assign_reason, &out);
    out.push_back(s.needs_routing ? 1 : 0);
  }
  // Each clock's team (report sla --by team): when a clock has one, and
  // always beside the routing tail when there are clocks, so a blob with a
  // routing tail, clocks and no 'C' is one written before clocks had teams.
  const bool routed = s.team || s.assigned_at || s.needs_routing;
  if ((routed && !s.clocks.empty()) ||
      std::any_of(s.clocks.begin(), s.clocks.end(),
                  [](const SlaClock& c) { return c.team.has_value(); })) {
    out.push_back('C');
    for (const auto& c : s.clocks) PutOpt(c.team, &out);
  }
  // Activities per event name (the model's behaviour features): an optional
  // tail; a blob written before it has none, read as no counts (`rebuild`
  // fills them in).
  if (!s.event_counts.empty()) {
    out.push_back('N');
    bin::PutVarint(s.event_counts.size(), &out);
    for (const auto& [name, count] : s.event_counts) {
      bin::PutBytes(name, &out);
      bin::PutInt(count, &out);
    }
  }
  return out;
}

namespace {
Status DecodeJsonProjection(std::string_view text, LeadState* s, int64_t* event_count) {
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

}  // namespace

Status DecodeProjectionTraits(std::string_view data, LeadState* s,
                              const std::vector<std::string>* keys) {
  if (data.empty() || (data[0] != kProjectionV1 && data[0] != kProjectionV2)) {
    int64_t n = 0;
    return DecodeJsonProjection(data, s, &n);
  }
  bin::Reader r(data.substr(1));
  uint64_t n = 0;
  bool ok = r.Varint(&n) && n <= r.left();
  std::string k;
  Value v;
  for (uint64_t i = 0; ok && i < n; ++i) {
    ok = r.Bytes(&k) && DecodeValue(r, &v);
    if (ok && (!keys || std::find(keys->begin(), keys->end(), k) != keys->end())) {
      s->traits.insert_or_assign(k, std::move(v));
    }
  }
  if (!ok) {
    return Status::Internal("the stored projection of lead '" + s->id +
                            "' is unreadable: run 'leadgate rebuild'");
  }
  return Status::Ok();
}

Status DecodeProjection(std::string_view data, LeadState* s, int64_t* event_count,
                        const Playbook* pb) {
  if (data.empty() || (data[0] != kProjectionV1 && data[0] != kProjectionV2)) {
    return DecodeJsonProjection(data, s, event_count);
  }
  const bool v2 = data[0] == kProjectionV2;
  bin::Reader r(data.substr(1));
  auto bad = [&] {
    return Status::Internal("the stored projection of lead '" + s->id +
                            "' is unreadable: run 'leadgate rebuild'");
  };
  uint64_t n = 0;
  if (!r.Varint(&n) || n > r.left()) return bad();
  for (uint64_t i = 0; i < n; ++i) {
    std::string k;
    Value v;
    if (!r.Bytes(&k) || !DecodeValue(r, &v)) return bad();
    s->traits.emplace(std::move(k), std::move(v));
  }
  if (!r.Varint(&n) || n > r.left()) return bad();
  s->explanation.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    ExplanationLine l;
    uint8_t kind = kTextLine;
    if (v2 && !r.Byte(&kind)) return bad();
    if (kind == kTextLine) {
      if (!r.Bytes(&l.rule) || !r.Bytes(&l.kind)) return bad();
    } else {
      uint64_t idx = 0;
      if (kind > kTextLine || !r.Varint(&idx)) return bad();
      l.kind = kind == kFitLine ? "fit" : "engagement";
      if (pb) {
        const size_t size = kind == kFitLine ? pb->fit.size() : pb->engagement.size();
        if (idx >= size) return bad();
        l.rule = kind == kFitLine ? pb->fit[idx].id : pb->engagement[idx].id;
      }
    }
    if (!r.Int(&l.count) || !r.Double(&l.points)) return bad();
    s->explanation.push_back(std::move(l));
  }
  uint8_t has_bant = 0;
  if (!r.Byte(&has_bant)) return bad();
  if (has_bant) {
    BantAnswers b;
    if (!GetOpt(r, &b.budget) || !GetOpt(r, &b.authority) || !GetOpt(r, &b.need) ||
        !GetOpt(r, &b.timeline) || !GetOpt(r, &b.current_solution) || !r.Bytes(&b.by) ||
        !r.Int(&b.at)) {
      return bad();
    }
    s->bant = std::move(b);
  }
  if (!r.Varint(&n) || n > r.left()) return bad();
  for (uint64_t i = 0; i < n; ++i) {
    SlaClock c;
    std::optional<int64_t> resp;
    if (!r.Int(&c.mql_at) || !r.Int(&c.due) || !GetOptInt(r, &resp) ||
        !GetOpt(r, &c.responded_by)) {
      return bad();
    }
    c.responded_at = resp;
    s->clocks.push_back(std::move(c));
  }
  if (!r.Varint(&n) || n > r.left()) return bad();
  for (uint64_t i = 0; i < n; ++i) {
    std::string w;
    if (!r.Bytes(&w)) return bad();
    s->warnings.push_back(std::move(w));
  }
  std::optional<int64_t> la, lt, es;
  if (!r.Int(event_count) || !r.Int(&s->first_at) || !r.Int(&s->last_at) || !GetOptInt(r, &la) ||
      !GetOptInt(r, &lt) || !GetOptInt(r, &es)) {
    return bad();
  }
  s->last_activity_at = la;
  s->last_touch_at = lt;
  s->entered_stage_at = es;
  uint8_t tag = 0;
  if (r.left() > 0 && r.Byte(&tag) && tag == 'R') {
    std::optional<int64_t> at;
    uint8_t needs = 0;
    if (!GetOpt(r, &s->team) || !GetOptInt(r, &at) || !GetOpt(r, &s->assigned_by) ||
        !GetOpt(r, &s->assign_reason) || !r.Byte(&needs)) {
      return bad();
    }
    s->assigned_at = at;
    s->needs_routing = needs != 0;
    tag = 0;
    if (r.left() > 0 && !r.Byte(&tag)) return bad();
    if (tag != 'C') {
      // Written before clocks had teams: the lead's team is the best reading
      // (right for a lead routed once; `rebuild` gives the exact one).
      for (auto& c : s->clocks) c.team = s->team;
    }
  }
  if (tag == 'C') {
    for (auto& c : s->clocks) {
      if (!GetOpt(r, &c.team)) return bad();
    }
    tag = 0;
    if (r.left() > 0 && !r.Byte(&tag)) return bad();
  }
  if (tag == 'N') {
    uint64_t k = 0;
    if (!r.Varint(&k) || k > r.left()) return bad();
    s->event_counts.reserve(k);
    for (uint64_t i = 0; i < k; ++i) {
      std::string name;
      int64_t count = 0;
      if (!r.Bytes(&name) || !r.Int(&count)) return bad();
      s->event_counts.emplace_back(std::move(name), count);
    }
    tag = 0;
  }
  if (tag != 0) return bad();
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
