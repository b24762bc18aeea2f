// `leadgate backtest CANDIDATE.yaml`: replay the stored history under a
// candidate playbook and compare it with the versions in use (docs/backtest.md).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace leadgate {
void AddBacktestCommand(CLI::App& app, std::string& db, int& rc);
}
