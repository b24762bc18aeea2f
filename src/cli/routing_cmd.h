// `leadgate user away|back|away-list` and `queue --team`: routing's commands
// (docs/routing.md, docs/cli.md).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace leadgate {
class Engine;
void AddRoutingCommands(CLI::App* user, std::string& db, int& rc);
// Prints a team's waiting queue (text or JSON); returns the exit status.
int PrintTeamQueue(Engine& e, const std::string& team, bool json);
}  // namespace leadgate
