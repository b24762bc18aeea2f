// The timeline of a lead: its events and the actions people took, plus the
// playbook versions in force. These are the fold's inputs: plain values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"
#include "common/value.h"
#include "playbook/playbook.h"

namespace leadgate {

enum class EventType : uint8_t { kIdentify = 0, kTrack = 1, kPage = 2, kOther = 3 };

struct Event {
  std::string message_id;
  std::string lead_id;
  EventType type = EventType::kTrack;
  Micros ts = 0;
  std::string name;  // activity name ("page_view" for pages); Segment type for kOther
  Props props;       // traits for identify; properties for track/page
  std::string raw;   // the original JSON line when known (stored as the log body)
};

enum class Stage : uint8_t { kLead, kMql, kSal, kSql, kOpportunity, kWon, kLost, kNurture, kDisq };
const char* StageName(Stage s);
std::optional<Stage> ParseStage(std::string_view s);
bool IsOpen(Stage s);  // not won, lost or disqualified

enum class ActionKind : uint8_t {
  kAccept,
  kReject,
  kQualify,
  kPromote,
  kOverride,
  kConvert,
  kWin,
  kLose,
  kDisqualify,
  kReopen,
  kTouch,
  kAssign,  // routing (by engine) or a manager: sets the owner; not a stage change
  // A stage change brought in by `import history`: applied as recorded (to
  // `Action::to`), without the table's checks (docs/reports.md).
  kImport
};
const char* ActionName(ActionKind a);
std::optional<ActionKind> ParseAction(std::string_view s);

enum class Role : uint8_t { kMarketing, kRep, kManager, kAdmin };
const char* RoleName(Role r);
std::optional<Role> ParseRole(std::string_view s);

struct BantAnswers {
  std::optional<std::string> budget, authority, need, timeline, current_solution;
  std::string by;
  Micros at = 0;
};

struct Action {
  int64_t seq = 0;  // recording order; ties at one timestamp go by it
  std::string lead_id;
  ActionKind kind = ActionKind::kTouch;
  std::string by;
  Role role = Role::kRep;
  Micros ts = 0;
  std::optional<std::string> reason, channel;
  std::optional<BantAnswers> bant;  // for qualify
  // For assign: the new owner (none: the lead waits in `team`'s queue) and
  // the team; `reason` says why ("territory emea, round-robin").
  std::optional<std::string> to, team;
  std::optional<Stage> to_stage;  // for import: the recorded stage
};

struct PlaybookVersion {
  int64_t version = 1;
  Micros applied_at = 0;  // version 1: in force from the beginning of time
  std::shared_ptr<const Playbook> playbook;
};

}  // namespace leadgate
