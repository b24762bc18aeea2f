#include "server/sla_timer.h"

#include <algorithm>
#include <iostream>

#include "app/engine.h"

namespace leadgate::server {

SlaTimer::SlaTimer(boost::asio::io_context& work, Engine& engine, std::chrono::milliseconds poll)
    : timer_(work), engine_(engine), poll_(poll) {}

void SlaTimer::Arm() {
  if (stopped_) return;
  if (before) before();
  std::chrono::microseconds wait = poll_;
  const Micros now = NowMicros();
  // One index lookup per write; a transaction only when something is due.
  auto next = engine_.NextSlaDue();
  if (next.ok() && *next && **next <= now) {
    Status s = engine_.FireDueSlas(now);
    next = s.ok() ? engine_.NextSlaDue() : Result<std::optional<Micros>>(s);
  }
  // Reps whose --until passed take leads again (the team queues released).
  auto away = engine_.NextAwayEnd();
  if (away.ok() && *away && **away <= now) {
    Status s = engine_.EndAbsences(now);
    away = s.ok() ? engine_.NextAwayEnd() : Result<std::optional<Micros>>(s);
  }
  if (!away.ok()) next = away.status();
  if (next.ok() && away.ok() && *away && (!*next || **away < **next)) next = *away;
  if (!next.ok()) {
    std::cerr << "{\"level\":\"error\",\"msg\":\"sla timer\",\"error\":\""
              << next.status().message() << "\"}\n";
    wait = std::chrono::seconds(5);  // retry soon
  } else if (*next) {
    // Wake when the first clock runs out or absence ends (never before).
    wait = std::min<std::chrono::microseconds>(
        wait, std::chrono::microseconds(std::max<Micros>(1, **next - now)));
  }
  timer_.expires_after(wait);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Arm();
  });
}

void SlaTimer::Stop() {
  stopped_ = true;
  timer_.cancel();
}

}  // namespace leadgate::server
