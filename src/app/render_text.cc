// ShowJsonText: the text of ShowJson(r).dump() written straight into one
// string, without building the nlohmann DOM (a lead read on the HTTP server
// spent about a third of its CPU building and printing that tree). The
// output is byte for byte the DOM's: numbers go through nlohmann's own
// double formatter, strings that need escaping through its serializer.
// Keep it in step with ShowJson (render.cc); the test
// ShowJsonText.MatchesTheDom compares the two on leads with every part.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "app/render.h"

namespace leadgate {
namespace {

using Json = nlohmann::ordered_json;

class Writer {
 public:
  explicit Writer(std::string* out) : out_(*out) {}

  void Raw(std::string_view s) { out_ += s; }
  void Key(std::string_view k) {
    Sep();
    Str(k);
    out_ += ':';
    fresh_ = true;  // the value follows without a comma
  }
  void Str(std::string_view s) {
    bool plain = true;
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u > 0x7e || c == '"' || c == '\\') {
        plain = false;
        break;
      }
    }
    if (plain) {
      out_ += '"';
      out_ += s;
      out_ += '"';
    } else {  // escapes and UTF-8 (invalid bytes replaced): nlohmann's rules
      out_ += Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
    }
  }
  void Int(int64_t v) {
    char b[24];
    auto r = std::to_chars(b, b + sizeof b, v);
    out_.append(b, static_cast<size_t>(r.ptr - b));
  }
  void Double(double v) {
    if (!std::isfinite(v)) {
      out_ += "null";
      return;
    }
    char b[64];
    char* end = nlohmann::detail::to_chars(b, b + sizeof b, v);
    out_.append(b, static_cast<size_t>(end - b));
  }
  void Bool(bool v) { out_ += v ? "true" : "false"; }
  void Null() { out_ += "null"; }
  void OptStr(const std::optional<std::string>& s) { s ? Str(*s) : Null(); }
  void Time(Micros t) { Str(FormatRfc3339(t)); }
  void OptTime(const std::optional<Micros>& t) { t ? Time(*t) : Null(); }

  // Containers: Open/Close; Item before each array element.
  void Open(char c) {
    out_ += c;
    fresh_ = true;
  }
  void Close(char c) {
    out_ += c;
    fresh_ = false;
  }
  void Item() { Sep(); }
  // After a value inside an object or array.
  void Done() { fresh_ = false; }

 private:
  void Sep() {
    if (!fresh_) out_ += ',';
    fresh_ = false;
  }
  std::string& out_;
  bool fresh_ = true;
};

// Key + scalar value helpers on a Writer.
struct Obj {
  Writer& w;
  void S(std::string_view k, std::string_view v) {
    w.Key(k);
    w.Str(v);
    w.Done();
  }
  void OS(std::string_view k, const std::optional<std::string>& v) {
    w.Key(k);
    w.OptStr(v);
    w.Done();
  }
  void I(std::string_view k, int64_t v) {
    w.Key(k);
    w.Int(v);
    w.Done();
  }
  void D(std::string_view k, double v) {
    w.Key(k);
    w.Double(v);
    w.Done();
  }
  void B(std::string_view k, bool v) {
    w.Key(k);
    w.Bool(v);
    w.Done();
  }
  void T(std::string_view k, Micros v) {
    w.Key(k);
    w.Time(v);
    w.Done();
  }
  void OT(std::string_view k, const std::optional<Micros>& v) {
    w.Key(k);
    w.OptTime(v);
    w.Done();
  }
  void N(std::string_view k) {
    w.Key(k);
    w.Null();
    w.Done();
  }
};

void WriteValue(Writer& w, const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      return w.Null();
    case Value::Kind::kBool:
      return w.Bool(v.b);
    case Value::Kind::kNumber:
      if (v.num == static_cast<double>(static_cast<int64_t>(v.num)) && std::abs(v.num) < 1e15) {
        return w.Int(static_cast<int64_t>(v.num));
      }
      return w.Double(v.num);
    case Value::Kind::kString:
      return w.Str(v.str);
    case Value::Kind::kNested: {
      auto j = Json::parse(v.str, nullptr, false);
      if (j.is_discarded()) return w.Str(v.str);
      return w.Raw(j.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
  }
  w.Null();
}

}  // namespace

std::string ShowJsonText(const ShowResult& r) {
  const LeadState& s = r.state;
  std::string out;
  out.reserve(4096);
  Writer w(&out);
  Obj o{w};
  w.Open('{');
  o.S("id", s.id);
  o.S("stage", StageName(s.stage));
  w.Key("score");
  w.Open('{');
  o.D("fit", Round2(s.fit));
  o.D("engagement", Round2(s.engagement));
  o.D("total", Round2(s.total));
  w.Close('}');
  w.Key("explanation");
  w.Open('[');
  for (const auto& l : s.explanation) {
    w.Item();
    w.Open('{');
    o.S("rule", l.rule);
    o.S("kind", l.kind);
    o.I("count", l.count);
    o.D("points", Round2(l.points));
    w.Close('}');
  }
  w.Close(']');
  w.Key("traits");
  w.Open('{');
  for (const auto& [k, v] : s.traits) {
    w.Key(k);
    WriteValue(w, v);
    w.Done();
  }
  w.Close('}');
  if (s.bant) {
    w.Key("bant");
    w.Open('{');
    o.OS("budget", s.bant->budget);
    o.OS("authority", s.bant->authority);
    o.OS("need", s.bant->need);
    o.OS("timeline", s.bant->timeline);
    o.OS("current_solution", s.bant->current_solution);
    o.S("by", s.bant->by);
    o.T("at", s.bant->at);
    o.B("passes", s.bant_passes);
    w.Close('}');
  } else {
    o.N("bant");
  }
  w.Key("history");
  w.Open('[');
  for (const auto& h : s.history) {
    w.Item();
    w.Open('{');
    o.T("at", h.at);
    o.S("from", StageName(h.from));
    o.S("to", StageName(h.to));
    o.S("by", h.by);
    o.OS("reason", h.reason);
    o.OS("rule", h.rule);
    o.B("exception", h.exception);
    o.I("playbook_version", h.playbook_version);
    w.Close('}');
  }
  w.Close(']');
  w.Key("warnings");
  w.Open('[');
  for (const auto& x : s.warnings) {
    w.Item();
    w.Str(x);
    w.Done();
  }
  w.Close(']');
  o.T("as_of", r.as_of);
  o.I("playbook_version", s.playbook_version);
  o.OS("owner", s.owner);
  w.Key("sla");
  w.Open('[');
  for (const auto& c : s.clocks) {
    w.Item();
    w.Open('{');
    o.T("mql_at", c.mql_at);
    o.T("due", c.due);
    o.OT("responded_at", c.responded_at);
    o.OS("responded_by", c.responded_by);
    w.Close('}');
  }
  w.Close(']');
  if (s.team || s.assigned_at) {
    w.Key("assignment");
    w.Open('{');
    o.OS("team", s.team);
    o.OS("owner", s.owner);
    o.B("waiting", !s.owner.has_value());
    o.OT("at", s.assigned_at);
    o.OS("by", s.assigned_by);
    o.OS("rule", s.assign_reason);
    w.Close('}');
  }
  if (!r.breaches.empty()) {
    w.Key("escalations");
    w.Open('[');
    for (const SlaBreach& b : r.breaches) {
      w.Item();
      w.Open('{');
      o.T("mql_at", b.mql_at);
      o.T("due", b.due);
      o.T("fired_at", b.fired_at);
      o.OS("owner", b.owner);
      o.OS("team", b.team);
      o.OS("escalated_to", b.escalated_to);
      w.Close('}');
    }
    w.Close(']');
  }
  o.I("events", r.event_count);
  if (!r.prediction) {
    o.N("prediction");
  } else {
    const Prediction& p = *r.prediction;
    w.Key("prediction");
    w.Open('{');
    o.D("probability", std::round(p.probability * 1e4) / 1e4);
    o.I("model_version", p.model_version);
    o.S("kind", p.kind);
    o.S("label", p.label);
    w.Key("factors");
    w.Open('[');
    for (const auto& x : p.factors) {
      w.Item();
      w.Open('{');
      o.S("feature", x.feature);
      o.S("value", x.value);
      o.D("effect", x.effect);
      w.Close('}');
    }
    w.Close(']');
    w.Close('}');
  }
  w.Key("recent_events");
  w.Open('[');
  std::vector<const Event*> order;
  order.reserve(r.events.size());
  for (const Event& e : r.events) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const Event* a, const Event* b) {
    return a->ts != b->ts ? a->ts < b->ts : a->message_id < b->message_id;
  });
  const size_t skip = order.size() > 40 ? order.size() - 40 : 0;
  for (size_t i = skip; i < order.size(); ++i) {
    const Event& e = *order[i];
    w.Item();
    w.Open('{');
    o.T("at", e.ts);
    o.S("type", e.type == EventType::kIdentify ? "identify"
                : e.type == EventType::kPage   ? "page"
                : e.type == EventType::kTrack  ? "track"
                                               : "other");
    o.S("name", e.name);
    o.S("message_id", e.message_id);
    w.Close('}');
  }
  w.Close(']');
  w.Close('}');
  return out;
}

}  // namespace leadgate
