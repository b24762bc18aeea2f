#include "common/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace leadgate {

const Value* FindProp(const Props& props, std::string_view name) {
  for (const auto& [k, v] : props) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string FormatNumber(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == 0) return "0";
  if (std::fabs(v) < 1e15 && v == std::floor(v)) {
    return std::to_string(static_cast<long long>(v));
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  (void)ec;
  return std::string(buf, end);
}

double Round2(double v) {
  double r = std::round(v * 100.0) / 100.0;
  return r == 0 ? 0.0 : r;  // no "-0"
}

bool ParseNumber(std::string_view s, double* out) {
  s = TrimSpaces(s);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' ||
                        s.front() == '\r' || s.front() == '\f' || s.front() == '\v')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' ||
                        s.back() == '\r' || s.back() == '\f' || s.back() == '\v')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string TextKey(std::string_view s) { return AsciiLower(TrimSpaces(s)); }

bool TextKeyEquals(std::string_view s, std::string_view key) {
  s = TrimSpaces(s);
  if (s.size() != key.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != key[i]) return false;
  }
  return true;
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string Value::ToJson() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return b ? "true" : "false";
    case Kind::kNumber:
      return FormatNumber(num);
    case Kind::kString:
      return JsonEscape(str);
    case Kind::kNested:
      return str;
  }
  return "null";
}

std::string Value::ToText() const {
  switch (kind) {
    case Kind::kNull:
      return "";
    case Kind::kBool:
      return b ? "true" : "false";
    case Kind::kNumber:
      return FormatNumber(num);
    case Kind::kString:
    case Kind::kNested:
      return str;
  }
  return "";
}

}  // namespace leadgate
