// `leadgate demo`: generates deterministic demo data, loads it into a fresh
// store with the default playbook, and shows a queue and a dossier.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace leadgate {
void AddDemoCommand(CLI::App& app, std::string& db, int& rc);
}
