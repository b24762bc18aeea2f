#include "fold/timeline.h"

#include <array>

namespace leadgate {
namespace {
constexpr std::array<const char*, 9> kStages = {
    "lead", "mql", "sal", "sql", "opportunity", "won", "lost", "nurture", "disqualified"};
constexpr std::array<const char*, 13> kActions = {
    "accept", "reject",     "qualify", "promote", "override", "convert", "win",
    "lose",   "disqualify", "reopen",  "touch",   "assign",   "import"};
constexpr std::array<const char*, 4> kRoles = {"marketing", "rep", "manager", "admin"};
}  // namespace

const char* StageName(Stage s) { return kStages[static_cast<size_t>(s)]; }
std::optional<Stage> ParseStage(std::string_view s) {
  for (size_t i = 0; i < kStages.size(); ++i) {
    if (s == kStages[i]) return static_cast<Stage>(i);
  }
  return std::nullopt;
}
bool IsOpen(Stage s) { return s != Stage::kWon && s != Stage::kLost && s != Stage::kDisq; }

const char* ActionName(ActionKind a) { return kActions[static_cast<size_t>(a)]; }
std::optional<ActionKind> ParseAction(std::string_view s) {
  for (size_t i = 0; i < kActions.size(); ++i) {
    if (s == kActions[i]) return static_cast<ActionKind>(i);
  }
  return std::nullopt;
}

const char* RoleName(Role r) { return kRoles[static_cast<size_t>(r)]; }
std::optional<Role> ParseRole(std::string_view s) {
  for (size_t i = 0; i < kRoles.size(); ++i) {
    if (s == kRoles[i]) return static_cast<Role>(i);
  }
  return std::nullopt;
}

}  // namespace leadgate
