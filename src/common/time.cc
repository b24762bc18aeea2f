#include "common/time.h"

#include <chrono>
#include <cstdio>

namespace leadgate {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int64_t* out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

unsigned DaysInMonth(int64_t y, int64_t m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

std::optional<Micros> ParseDate(std::string_view s, size_t* consumed) {
  int64_t y, m, d;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &m) || s[7] != '-' ||
      !Digits(s, 8, 2, &d)) {
    return std::nullopt;
  }
  if (m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return std::nullopt;
  *consumed = 10;
  return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * kDay;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::optional<Micros> ParseRfc3339(std::string_view s) {
  size_t pos = 0;
  auto date = ParseDate(s, &pos);
  if (!date || pos >= s.size()) return std::nullopt;
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
  ++pos;
  int64_t hh, mm, ss;
  if (!Digits(s, pos, 2, &hh) || pos + 8 > s.size() || s[pos + 2] != ':' ||
      !Digits(s, pos + 3, 2, &mm) || s[pos + 5] != ':' || !Digits(s, pos + 6, 2, &ss)) {
    return std::nullopt;
  }
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  if (ss == 60) ss = 59;  // leap second: clamp
  pos += 8;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int64_t oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 6 > s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = (oh * 60 + om) * kMinute * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return *date + hh * kHour + mm * kMinute + ss * kSecond + frac - offset;
}

std::optional<Micros> ParseDateOrTime(std::string_view s) {
  size_t pos = 0;
  if (s.size() == 10) {
    auto d = ParseDate(s, &pos);
    if (d) return d;
  }
  return ParseRfc3339(s);
}

namespace {
void Civil(Micros t, int64_t* y, unsigned* m, unsigned* d, int64_t* secs_of_day, int64_t* frac) {
  int64_t days = t / kDay;
  int64_t rem = t % kDay;
  if (rem < 0) {
    rem += kDay;
    --days;
  }
  *secs_of_day = rem / kSecond;
  *frac = rem % kSecond;
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}
}  // namespace

std::string FormatRfc3339(Micros t) {
  int64_t y, sod, frac;
  unsigned m, d;
  Civil(t, &y, &m, &d, &sod, &frac);
  if (y >= 0 && y <= 9999) {  // the common case without snprintf (a lead read formats dozens)
    char b[28];
    auto two = [&](char* p, int64_t v) {
      p[0] = static_cast<char>('0' + v / 10);
      p[1] = static_cast<char>('0' + v % 10);
    };
    two(b, y / 100);
    two(b + 2, y % 100);
    b[4] = '-';
    two(b + 5, m);
    b[7] = '-';
    two(b + 8, d);
    b[10] = 'T';
    two(b + 11, sod / 3600);
    b[13] = ':';
    two(b + 14, sod / 60 % 60);
    b[16] = ':';
    two(b + 17, sod % 60);
    size_t n = 19;
    if (frac != 0) {
      b[n++] = '.';
      int64_t div = 100000;
      for (int i = 0; i < 6; ++i, div /= 10) b[n++] = static_cast<char>('0' + frac / div % 10);
      while (b[n - 1] == '0') --n;
    }
    b[n++] = 'Z';
    return std::string(b, n);
  }
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(y), m, d, static_cast<long long>(sod / 3600),
                        static_cast<long long>(sod / 60 % 60), static_cast<long long>(sod % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (frac != 0) {
    char fb[16];
    std::snprintf(fb, sizeof fb, ".%06lld", static_cast<long long>(frac));
    std::string f(fb);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

std::string FormatDate(Micros t) { return FormatRfc3339(t).substr(0, 10); }

std::optional<Micros> ParseDuration(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  int64_t n = 0;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    n = n * 10 + (s[i] - '0');
    if (n > 100'000'000) return std::nullopt;
  }
  switch (s.back()) {
    case 's':
      return n * kSecond;
    case 'm':
      return n * kMinute;
    case 'h':
      return n * kHour;
    case 'd':
      return n * kDay;
    case 'w':
      return n * kWeek;
    default:
      return std::nullopt;
  }
}

Micros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace leadgate
