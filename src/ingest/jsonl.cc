#include "ingest/jsonl.h"

#include <simdjson.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <unordered_map>

namespace leadgate {
namespace {

void AppendCanonical(simdjson::dom::element e, std::string* out) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::OBJECT: {
      std::vector<std::pair<std::string_view, simdjson::dom::element>> kv;
      simdjson::dom::object obj;
      if (e.get_object().get(obj)) return;
      for (auto field : obj) kv.emplace_back(field.key, field.value);
      std::sort(kv.begin(), kv.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      *out += '{';
      for (size_t i = 0; i < kv.size(); ++i) {
        if (i) *out += ',';
        *out += JsonEscape(kv[i].first);
        *out += ':';
        AppendCanonical(kv[i].second, out);
      }
      *out += '}';
      break;
    }
    case T::ARRAY: {
      *out += '[';
      bool first = true;
      simdjson::dom::array arr;
      if (e.get_array().get(arr)) return;
      for (auto v : arr) {
        if (!first) *out += ',';
        first = false;
        AppendCanonical(v, out);
      }
      *out += ']';
      break;
    }
    case T::STRING:
      *out += JsonEscape(e.get_string().value_unsafe());
      break;
    case T::INT64:
      *out += std::to_string(e.get_int64().value_unsafe());
      break;
    case T::UINT64:
      *out += std::to_string(e.get_uint64().value_unsafe());
      break;
    case T::DOUBLE:
      *out += FormatNumber(e.get_double().value_unsafe());
      break;
    case T::BOOL:
      *out += e.get_bool().value_unsafe() ? "true" : "false";
      break;
    case T::NULL_VALUE:
      *out += "null";
      break;
  }
}

Value ToValue(simdjson::dom::element e) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::STRING:
      return Value::String(std::string(e.get_string().value_unsafe()));
    case T::INT64:
      return Value::Number(static_cast<double>(e.get_int64().value_unsafe()));
    case T::UINT64:
      return Value::Number(static_cast<double>(e.get_uint64().value_unsafe()));
    case T::DOUBLE:
      return Value::Number(e.get_double().value_unsafe());
    case T::BOOL:
      return Value::Bool(e.get_bool().value_unsafe());
    case T::NULL_VALUE:
      return Value::Null();
    default: {
      std::string s;
      AppendCanonical(e, &s);
      return Value::Nested(std::move(s));
    }
  }
}

// Objects with more keys than this find duplicates through a hash index
// rather than by a linear search (which is quadratic in the key count).
constexpr size_t kLinearKeyLimit = 16;

Status ReadObject(simdjson::dom::element el, Props* out) {
  simdjson::dom::object obj;
  if (el.get_object().get(obj)) return Status::Invalid("expected a JSON object");
  // Duplicate key: the last one wins, in the first one's place, as in most parsers.
  if (out->size() + obj.size() <= kLinearKeyLimit) {
    for (auto field : obj) {
      Value v = ToValue(field.value);
      auto it = std::find_if(out->begin(), out->end(),
                             [&](const auto& p) { return p.first == field.key; });
      if (it != out->end()) {
        it->second = std::move(v);
      } else {
        out->emplace_back(std::string(field.key), std::move(v));
      }
    }
    return Status::Ok();
  }
  out->reserve(out->size() + obj.size());
  // Indexes into *out, keyed by views of simdjson's (stable) key strings and of
  // the keys already in *out (stable too: reserved above, no reallocation).
  std::unordered_map<std::string_view, size_t> index;
  index.reserve(out->size() + obj.size());
  for (size_t i = 0; i < out->size(); ++i) index.emplace((*out)[i].first, i);
  for (auto field : obj) {
    Value v = ToValue(field.value);
    auto [it, fresh] = index.emplace(field.key, out->size());
    if (fresh) {
      out->emplace_back(std::string(field.key), std::move(v));
    } else {
      (*out)[it->second].second = std::move(v);
    }
  }
  return Status::Ok();
}

const char* TypeName(simdjson::dom::element_type t) {
  using T = simdjson::dom::element_type;
  switch (t) {
    case T::OBJECT:
      return "an object";
    case T::ARRAY:
      return "an array";
    case T::STRING:
      return "a string";
    case T::INT64:
    case T::UINT64:
    case T::DOUBLE:
      return "a number";
    case T::BOOL:
      return "a boolean";
    case T::NULL_VALUE:
      return "null";
  }
  return "a value";
}

thread_local simdjson::dom::parser tl_parser;

std::string Clip(std::string_view s, size_t max = 40) {
  std::string out(s.substr(0, max));
  if (s.size() > max) out.append("... (").append(std::to_string(s.size())).append(" bytes)");
  return out;
}

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(std::string_view t) {
  size_t i = 0;
  auto digits = [&] {
    const size_t from = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > from;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == t.size();
}

// simdjson reports a number it cannot hold (1e400, an integer beyond 64 bits)
// as NUMBER_ERROR, like a malformed one. Finds the first such number in `json`
// and says which key it belongs to and what is wrong; "" if none is found.
std::string DescribeNumberError(std::string_view json) {
  std::string_view key;  // the last object key before the number
  const size_t n = json.size();
  size_t i = 0;
  while (i < n) {
    const char c = json[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < n && json[j] != '"') j += json[j] == '\\' ? 2 : 1;
      const std::string_view str = json.substr(i + 1, std::min(j, n) - i - 1);
      i = j + 1;
      while (i < n && (json[i] == ' ' || json[i] == '\t' || json[i] == '\r' || json[i] == '\n'))
        ++i;
      if (i < n && json[i] == ':') key = str;
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && (json[j] == '-' || json[j] == '+' || json[j] == '.' || json[j] == 'e' ||
                     json[j] == 'E' || (json[j] >= '0' && json[j] <= '9'))) {
      ++j;
    }
    const std::string_view tok = json.substr(i, j - i);
    i = j;
    std::string why;  // "'key': " (GCC 12 warns falsely on "'" + std::string)
    if (!key.empty()) {
      why += '\'';
      why += Clip(key, 100);
      why += "': ";
    }
    if (!IsJsonNumber(tok)) return why.append("malformed number '").append(Clip(tok)) += '\'';
    if (tok.find_first_of(".eE") == std::string_view::npos) {
      int64_t i64;
      uint64_t u64;
      const char* end = tok.data() + tok.size();
      if (std::from_chars(tok.data(), end, i64).ec != std::errc() &&
          std::from_chars(tok.data(), end, u64).ec != std::errc()) {
        return why.append("the integer ")
            .append(Clip(tok))
            .append(" does not fit in 64 bits (send it as a string)");
      }
    } else if (std::isinf(std::strtod(std::string(tok).c_str(), nullptr))) {
      return why.append("the number ").append(Clip(tok)).append(" is too large (beyond a double)");
    }
  }
  return "";
}

}  // namespace

std::string EventTimeRangeError(Micros t) {
  // 9999-12-31T23:59:59.999999Z: days from 1970-01-01 to 10000-01-01, minus 1 us.
  static const Micros kMax = DaysFromCivil(10000, 1, 1) * kDay - 1;
  if (t < 0) return "before 1970-01-01T00:00:00Z, the earliest event time";
  if (t > kMax) return "after 9999-12-31T23:59:59Z, the latest event time";
  return "";
}

std::string HashHex(std::string_view bytes) {
  static const bool init = sodium_init() >= 0;
  (void)init;
  unsigned char out[16];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(bytes.data()),
                     bytes.size(), nullptr, 0);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  hex.reserve(32);
  for (unsigned char c : out) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  return hex;
}

Status ParseEvent(std::string_view json, Event* out, bool with_props) {
  simdjson::dom::element root;
  auto err = tl_parser.parse(json.data(), json.size(), true).get(root);
  if (err) {
    if (err == simdjson::NUMBER_ERROR) {
      if (std::string why = DescribeNumberError(json); !why.empty()) return Status::Invalid(why);
    }
    return Status::Invalid(std::string("not valid JSON (") + simdjson::error_message(err) + ")");
  }
  if (!root.is_object()) {
    return Status::Invalid(std::string("an event must be a JSON object, not ") +
                           TypeName(root.type()));
  }
  auto get = [&](const char* key, simdjson::dom::element* el) {
    return root[key].get(*el) == simdjson::SUCCESS;
  };
  auto need_string = [&](const char* key, std::string_view* sv, bool required) -> Status {
    simdjson::dom::element el;
    if (!get(key, &el) || (!required && el.is_null())) {
      if (required) return Status::Invalid(std::string("missing required key '") + key + "'");
      return Status::Ok();
    }
    if (!el.is_string()) {
      return Status::Invalid(std::string("'") + key + "' must be a string, not " +
                             TypeName(el.type()));
    }
    *sv = el.get_string().value_unsafe();
    return Status::Ok();
  };
  std::string_view type, user, ts, mid;
  if (Status s = need_string("type", &type, true); !s.ok()) return s;
  if (Status s = need_string("userId", &user, true); !s.ok()) return s;
  if (TrimSpaces(user).empty()) return Status::Invalid("'userId' must not be empty");
  if (Status s = need_string("timestamp", &ts, true); !s.ok()) return s;
  if (Status s = need_string("messageId", &mid, false); !s.ok()) return s;
  auto t = ParseRfc3339(ts);
  if (!t) {
    return Status::Invalid("'timestamp' \"" + std::string(ts) +
                           "\" is not an RFC 3339 time (like 2026-03-01T10:00:00Z)");
  }
  if (std::string why = EventTimeRangeError(*t); !why.empty()) {
    return Status::Invalid("'timestamp' \"" + std::string(ts) + "\" is out of range: " + why);
  }
  out->lead_id = std::string(user);
  out->ts = *t;
  out->props.clear();
  const char* bag = "properties";
  if (type == "identify") {
    out->type = EventType::kIdentify;
    out->name = "identify";
    bag = "traits";
  } else if (type == "track") {
    out->type = EventType::kTrack;
    std::string_view ev;
    if (Status s = need_string("event", &ev, true); !s.ok()) return s;
    if (ev.empty()) return Status::Invalid("'event' must be a non-empty string");
    out->name = std::string(ev);
  } else if (type == "page") {
    out->type = EventType::kPage;
    out->name = "page_view";
  } else if (type == "group" || type == "alias" || type == "screen") {
    out->type = EventType::kOther;
    out->name = std::string(type);
    bag = type == "group" ? "traits" : "properties";
  } else {
    return Status::Invalid("unknown event type '" + std::string(type) +
                           "' (expected identify, track, page, group, alias or screen)");
  }
  simdjson::dom::element props;
  if (get(bag, &props) && !props.is_null()) {
    if (!props.is_object()) {
      return Status::Invalid(std::string("'") + bag + "' must be an object, not " +
                             TypeName(props.type()));
    }
    if (with_props) {
      if (Status s = ReadObject(props, &out->props); !s.ok()) return s;
    }
  }
  if (out->type == EventType::kPage) {
    // Checked with or without with_props: the ingest path stores the raw line.
    std::string_view name;
    bool has_name = false;
    simdjson::dom::element el;
    if (get("name", &el) && !el.is_null()) {
      if (!el.is_string()) {
        return Status::Invalid(std::string("'name' (of a page event) must be a string, not ") +
                               TypeName(el.type()));
      }
      name = el.get_string().value_unsafe();
      has_name = true;
    }
    if (has_name && with_props) {
      auto it = std::find_if(out->props.begin(), out->props.end(),
                             [](const auto& p) { return p.first == "name"; });
      if (it != out->props.end()) {
        it->second = Value::String(std::string(name));
      } else {
        out->props.emplace_back("name", Value::String(std::string(name)));
      }
    }
  }
  if (!mid.empty()) {
    out->message_id = std::string(mid);
  } else {
    std::string canon;
    AppendCanonical(root, &canon);
    out->message_id = "h-" + HashHex(canon);
  }
  return Status::Ok();
}

std::string EventToJson(const Event& e) {
  std::string out = "{\"type\":";
  switch (e.type) {
    case EventType::kIdentify:
      out += "\"identify\"";
      break;
    case EventType::kTrack:
      out += "\"track\",\"event\":" + JsonEscape(e.name);
      break;
    case EventType::kPage:
      out += "\"page\"";
      break;
    case EventType::kOther:
      out += JsonEscape(e.name);
      break;
  }
  out += ",\"userId\":" + JsonEscape(e.lead_id);
  out += e.type == EventType::kIdentify ? ",\"traits\":" : ",\"properties\":";
  out += PropsToJson(e.props);
  out += ",\"timestamp\":" + JsonEscape(FormatRfc3339(e.ts));
  out += ",\"messageId\":" + JsonEscape(e.message_id) + "}";
  return out;
}

std::string PropsToJson(const Props& props) {
  std::string out = "{";
  for (size_t i = 0; i < props.size(); ++i) {
    if (i) out += ',';
    out += JsonEscape(props[i].first);
    out += ':';
    out += props[i].second.ToJson();
  }
  out += '}';
  return out;
}

Status PropsFromJson(std::string_view json, Props* out) {
  simdjson::dom::element root;
  auto err = tl_parser.parse(json.data(), json.size(), true).get(root);
  if (err || !root.is_object()) return Status::Internal("stored event body is not a JSON object");
  out->clear();
  return ReadObject(root, out);
}

}  // namespace leadgate
