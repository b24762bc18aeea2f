// Business time (docs/routing.md): due times that count only the hours of a
// team's business windows, in its time zone, through weekends and DST
// changes. The time zone rules are the system's IANA database
// (/usr/share/zoneinfo) read by Howard Hinnant's date library.
#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "playbook/playbook.h"

namespace leadgate {

const date::time_zone* FindTimeZone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

Micros AddBusinessTime(const BusinessHours& bh, Micros start, Micros work) {
  using std::chrono::microseconds;
  using std::chrono::minutes;
  if (bh.tz == nullptr || bh.days == 0 || bh.close_min <= bh.open_min) return start + work;
  const date::time_zone* tz = bh.tz;
  auto to_sys = [&](date::local_time<microseconds> lt) {
    return tz->to_sys(lt, date::choose::earliest).time_since_epoch().count();
  };
  Micros t = start;
  Micros left = work;
  // One local day per step; at most a few thousand steps for any duration
  // the loader accepts (a day with no window is skipped in one step).
  for (int guard = 0; guard < 200000; ++guard) {
    auto local = tz->to_local(date::sys_time<microseconds>(microseconds(t)));
    auto day = date::floor<date::days>(local);
    unsigned iso = date::weekday(day).iso_encoding();  // 1 = Monday .. 7 = Sunday
    auto next_day = to_sys(date::local_time<microseconds>(day + date::days(1)));
    if (bh.days & (1u << (iso - 1))) {
      Micros open = to_sys(date::local_time<microseconds>(day + minutes(bh.open_min)));
      Micros close = to_sys(date::local_time<microseconds>(day + minutes(bh.close_min)));
      if (t < open) t = open;
      if (t < close) {
        if (left <= close - t) return t + left;
        left -= close - t;
      }
    }
    t = std::max(next_day, t + 1);
  }
  return t + left;  // unreachable for valid hours
}

Micros Playbook::SlaDue(Micros mql_at, const std::optional<std::string>& team) const {
  if (!first_response) return mql_at;
  const BusinessHours* bh = business_hours ? &*business_hours : nullptr;
  if (team && routing) {
    const RoutingTeam* t = routing->FindTeam(*team);
    if (t != nullptr && t->business_hours) bh = &*t->business_hours;
  }
  if (bh == nullptr) return mql_at + *first_response;
  return AddBusinessTime(*bh, mql_at, *first_response);
}

int64_t RoutingTeam::CapacityOf(size_t rep, int64_t routing_default) const {
  if (rep < reps.size() && reps[rep].capacity) return *reps[rep].capacity;
  if (capacity) return *capacity;
  return routing_default;
}

const RoutingTeam* Routing::FindTeam(std::string_view name) const {
  for (const auto& t : teams) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const RoutingTeam* Routing::Match(const FieldValue* fields, std::string* rule) const {
  EvalContext ctx;
  ctx.fields = fields;
  for (const auto& r : rules) {
    if (r.when && !Evaluate(*r.when, ctx)) continue;
    if (rule) *rule = "territory " + r.id;
    return FindTeam(r.team);
  }
  if (default_team) {
    if (rule) *rule = "default team " + *default_team;
    return FindTeam(*default_team);
  }
  return nullptr;
}

}  // namespace leadgate
