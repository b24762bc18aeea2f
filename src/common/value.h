// Value: a flat JSON scalar as it arrived (string, number, bool, null), or a
// nested object/array kept as JSON text (stored, unusable in conditions).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace leadgate {

struct Value {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kNested };
  Kind kind = Kind::kNull;
  bool b = false;
  double num = 0;
  std::string str;  // the string, or the JSON text of a nested value

  static Value Null() { return {}; }
  static Value Bool(bool v) { return {Kind::kBool, v, 0, {}}; }
  static Value Number(double v) { return {Kind::kNumber, false, v, {}}; }
  static Value String(std::string v) { return {Kind::kString, false, 0, std::move(v)}; }
  static Value Nested(std::string json) { return {Kind::kNested, false, 0, std::move(json)}; }

  bool is_null() const { return kind == Kind::kNull; }
  bool operator==(const Value&) const = default;
  // JSON text of the value ("abc" quoted and escaped, 1.5, true, null, or the nested JSON).
  std::string ToJson() const;
  // The value as a person reads it: strings bare, numbers without a trailing ".0".
  std::string ToText() const;
};

// A property or trait bag: name -> value, small and usually under 10 entries.
using Props = std::vector<std::pair<std::string, Value>>;
const Value* FindProp(const Props& props, std::string_view name);

// Formats a double as JSON: integral values without a fraction, others with up
// to 17 significant digits.
std::string FormatNumber(double v);
// Rounds to 2 decimals for output (half away from zero).
double Round2(double v);
// Parses the whole of `s` (trimmed) as a finite number.
bool ParseNumber(std::string_view s, double* out);
std::string_view TrimSpaces(std::string_view s);
std::string AsciiLower(std::string_view s);
// Trims and lowercases ASCII: the comparison key for text equals/in.
std::string TextKey(std::string_view s);
// TextKey(s) == key, without building the key.
bool TextKeyEquals(std::string_view s, std::string_view key);
std::string JsonEscape(std::string_view s);

}  // namespace leadgate
