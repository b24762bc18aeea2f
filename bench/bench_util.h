// Shared helpers for the micro-benchmarks: demo-generator data parsed once
// into events, and the default playbook.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "demo/generator.h"
#include "fold/timeline.h"
#include "playbook/playbook.h"

namespace leadgate::bench {

// Generates JSONL with the demo generator and parses every line with the
// ingest parser (as `leadgate ingest` does). Aborts on a parse error.
std::vector<Event> GenerateParsedEvents(const demo::GenOptions& opt);

// playbooks/default.yaml from the source tree. Aborts when it does not load.
std::shared_ptr<const Playbook> DefaultPlaybook();

// Events grouped by lead (leads in first-seen order, each lead's events in
// input order, which is timestamp order for generated data).
std::vector<std::vector<const Event*>> GroupByLead(const std::vector<Event>& events);

}  // namespace leadgate::bench
