// Time as int64 microseconds since the Unix epoch (UTC), RFC 3339 parsing and
// formatting, and playbook durations ("90d", "5m").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace leadgate {

using Micros = int64_t;  // microseconds since 1970-01-01T00:00:00Z

inline constexpr Micros kSecond = 1'000'000;
inline constexpr Micros kMinute = 60 * kSecond;
inline constexpr Micros kHour = 60 * kMinute;
inline constexpr Micros kDay = 24 * kHour;
inline constexpr Micros kWeek = 7 * kDay;

// Parses RFC 3339 ("2026-03-01T10:00:00Z", "...+01:00", fractional seconds,
// 't'/'z' in lower case, a space instead of 'T'). Offsets are honoured.
std::optional<Micros> ParseRfc3339(std::string_view s);
// Parses a date ("2026-05-01", meaning 00:00 UTC) or a full RFC 3339 time.
std::optional<Micros> ParseDateOrTime(std::string_view s);
// "2026-03-01T10:00:00Z"; fractional seconds only when present.
std::string FormatRfc3339(Micros t);
// "2026-03-01".
std::string FormatDate(Micros t);
// "90d", "5m", "36h", "2w", "30s" -> micros. Rejects anything else.
std::optional<Micros> ParseDuration(std::string_view s);
// Days since 1970-01-01 for a civil date (proleptic Gregorian).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
Micros NowMicros();

}  // namespace leadgate
