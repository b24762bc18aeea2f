// `leadgate webhook add|list|remove|deliveries` and the serve flags of the
// webhook delivery loop (docs/webhooks.md, docs/cli.md).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "server/server.h"

namespace leadgate {

void AddWebhookCommands(CLI::App& app, std::string& db, int& rc);
void AddWebhookServeOptions(CLI::App* serve, server::ServerOptions& opts);

}  // namespace leadgate
