// The server's speed-to-lead timer (docs/routing.md): on the engine thread,
// sleeps until the next SLA clock is due (Engine::NextSlaDue) and fires it
// (Engine::FireDueSlas: breach recorded once, escalated, sla.breached
// emitted). Re-armed after each write; polls at least every `poll` for
// clocks that other processes (the CLI) started.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>

#include "common/time.h"

namespace leadgate {
class Engine;
}

namespace leadgate::server {

class SlaTimer {
 public:
  SlaTimer(boost::asio::io_context& work, Engine& engine,
           std::chrono::milliseconds poll = std::chrono::seconds(30));
  // Call on the engine thread: fires what is due now and sleeps until the next.
  void Arm();
  void Stop();                   // on the engine thread
  std::function<void()> before;  // called first by Arm (the server's deferred refold)

 private:
  boost::asio::steady_timer timer_;
  Engine& engine_;
  std::chrono::milliseconds poll_;
  bool stopped_ = false;
};

}  // namespace leadgate::server
