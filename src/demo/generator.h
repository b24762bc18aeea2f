// Deterministic demo and benchmark data: synthetic B2B leads and their
// activity, in the input formats of inputs.md (Segment-shaped JSONL events and
// a CRM CSV export), matching the rules of playbooks/default.yaml.
//
// The output depends only on GenOptions: no clock, no std::random_device and
// no standard-library distributions (whose results differ between standard
// libraries), and no floating point in anything that reaches the output, so
// the same options give byte-identical files on every platform and compiler.
//
// Leads are derived from (seed, lead number) alone, so GenerateLeadsCsv and
// GenerateEvents describe the same people for the same seed, whatever the
// event count. A lead's activity volume is skewed: most leads do little, a
// few do a lot.
#pragma once

#include <cstdint>
#include <ostream>

namespace leadgate::demo {

struct GenOptions {
  int64_t leads = 200;
  int64_t events = 3000;  // total track/page events (identify events are extra: 1-2
                          // per lead)
  uint64_t seed = 42;
  int64_t start_unix = 1772323200;  // 2026-03-01T00:00:00Z; events spread over `days`
  int days = 60;
  bool with_message_ids = true;
};

// Writes JSONL events, one per line: `identify` with traits, `track` with
// event and properties, `page` with name and properties.url. Every lead gets
// one identify at its creation time (and some a second one later, e.g. a new
// phone number or job title), then its activities. Lines are in timestamp
// order overall (ties in lead order), so each lead's events are in timestamp
// order and leads are interleaved. Timestamps are RFC 3339 UTC with `Z`;
// lead ids look like "L-000001". With `with_message_ids`, every event has a
// unique messageId that depends on the seed, so files generated with
// different seeds can be ingested into one store.
void GenerateEvents(const GenOptions& opt, std::ostream& out);

// Writes a CRM CSV export (RFC 4180) of the same leads with the header
// id,First Name,Last Name,Email,Company,Job Title,Industry,Company Size,
// Country,Lead Source,created_at; fields containing commas are quoted.
// `created_at` equals the timestamp of the lead's first identify event.
void GenerateLeadsCsv(const GenOptions& opt, std::ostream& out);

}  // namespace leadgate::demo
