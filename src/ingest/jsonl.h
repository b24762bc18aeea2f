// Events in the Segment tracking format (identify/track/page; group/alias/
// screen stored, ignored by scoring), one JSON object a line. Validation per
// shared/spec/inputs.md: each bad line is rejected with its number and why.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "fold/timeline.h"

namespace leadgate {

// Event times (a JSONL timestamp, a CSV created_at or import time) must lie in
// [1970-01-01T00:00:00Z, 9999-12-31T23:59:59.999999Z]: engagement decay is
// computed from the Unix epoch, so earlier times overflow it (and a lead whose
// log holds one could not be folded), and later ones could not be written back
// as RFC 3339. Returns "" when `t` is in range, else why not.
std::string EventTimeRangeError(Micros t);

// Parses one JSON event (a line, or an element of an HTTP batch). On success
// fills `out` (messageId derived from the canonical content when absent).
// With `with_props` false, traits/properties are validated but not copied
// (the ingest path stores the raw line and needs only the envelope).
Status ParseEvent(std::string_view json, Event* out, bool with_props = true);
// The event as one JSON line in the Segment shape (for events made from CSV rows).
std::string EventToJson(const Event& e);

// Props <-> the JSON object text stored in the log.
std::string PropsToJson(const Props& props);
Status PropsFromJson(std::string_view json, Props* out);

// A stable hex digest of bytes (BLAKE2b-128 via libsodium).
std::string HashHex(std::string_view bytes);

}  // namespace leadgate
