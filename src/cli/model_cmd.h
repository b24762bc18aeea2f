// `leadgate model ...`: predictive scoring (docs/predictive.md).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace leadgate {
void AddModelCommands(CLI::App& app, std::string& db, int& rc);
// `leadgate model suggest` (suggest_cmd.cc).
void AddSuggestCommand(CLI::App* model, std::string& db, int& rc);
}  // namespace leadgate
