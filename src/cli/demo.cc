#include "cli/demo.h"

namespace leadgate {
void AddDemoCommand(CLI::App& app, std::string& db, int& rc) {
  (void)app;
  (void)db;
  (void)rc;
}
}  // namespace leadgate
