#include "cli/routing_cmd.h"

#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "app/engine.h"

namespace leadgate {
namespace {

int Exit(const Status& s) {
  if (s.ok()) return 0;
  std::cerr << "leadgate: " << s.message() << "\n";
  return s.code() == StatusCode::kUsage ? 2 : 1;
}

Result<Micros> TimeOpt(const std::string& text, const char* flag) {
  if (text.empty()) return NowMicros();
  auto t = ParseDateOrTime(text);
  if (!t) {
    return Status::Usage(std::string(flag) + " '" + text +
                         "' is not an RFC 3339 time (like 2026-03-01T10:00:00Z)");
  }
  return *t;
}

}  // namespace

void AddRoutingCommands(CLI::App* user, std::string& db, int& rc) {
  static std::string away_name, away_until, back_name;
  auto* away = user->add_subcommand("away", "mark a rep away: routing assigns them nothing");
  away->add_option("NAME", away_name, "user name")->required();
  away->add_option("--until", away_until, "back automatically at this time (RFC 3339)");
  away->callback([&] {
    std::optional<Micros> until;
    if (!away_until.empty()) {
      auto t = TimeOpt(away_until, "--until");
      if (!t.ok()) return void(rc = Exit(t.status()));
      until = *t;
    }
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = Exit(e.status()));
    Status s = (*e)->SetAway(away_name, NowMicros(), until);
    if (s.ok()) {
      std::cout << away_name << " is away"
                << (until ? " until " + FormatRfc3339(*until) : std::string(" until 'user back'"))
                << "\n";
    }
    rc = Exit(s);
  });
  auto* back = user->add_subcommand("back", "a rep is back: routing assigns them leads again");
  back->add_option("NAME", back_name, "user name")->required();
  back->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = Exit(e.status()));
    Status s = (*e)->SetBack(back_name, NowMicros());
    if (s.ok()) std::cout << back_name << " is back\n";
    rc = Exit(s);
  });
  auto* list = user->add_subcommand("away-list", "the users marked away now");
  list->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = Exit(e.status()));
    auto r = (*e)->AwayUsers(NowMicros());
    if (!r.ok()) return void(rc = Exit(r.status()));
    for (const auto& a : *r) {
      std::cout << a.user << "  away since " << FormatRfc3339(a.since)
                << (a.until ? "  until " + FormatRfc3339(*a.until) : std::string()) << "\n";
    }
  });
}

int PrintTeamQueue(Engine& e, const std::string& team, bool json) {
  auto rows = e.TeamQueue(team);
  if (!rows.ok()) return Exit(rows.status());
  if (json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& r : *rows) {
      j.push_back({{"id", r.lead},
                   {"team", r.team},
                   {"waiting_since", FormatRfc3339(r.since)},
                   {"who", r.who}});
    }
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "Team " << team << ": " << rows->size() << " lead" << (rows->size() == 1 ? "" : "s")
            << " waiting for a rep with capacity\n";
  if (!rows->empty()) {
    std::cout << fmt::format("  {:<16} {:<22} {}\n", "lead", "waiting since", "who");
    for (const auto& r : *rows) {
      std::cout << fmt::format("  {:<16} {:<22} {}\n", r.lead, FormatRfc3339(r.since), r.who);
    }
  }
  return 0;
}

}  // namespace leadgate
