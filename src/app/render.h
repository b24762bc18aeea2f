// The JSON contract of shared/spec/cli.md (show, queue, sla), shared by the
// command line and the HTTP API, and the human renderings for people.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "app/engine.h"

namespace leadgate {

nlohmann::ordered_json ShowJson(const ShowResult& r);
// ShowJson(r).dump() written without the DOM (render_text.cc; the server's
// lead read). Byte for byte the same; keep the two in step.
std::string ShowJsonText(const ShowResult& r);
nlohmann::ordered_json QueueJson(const std::vector<QueueRow>& rows);
nlohmann::ordered_json SlaJson(const SlaReport& r);
nlohmann::ordered_json FunnelJson(const FunnelReport& r);
nlohmann::ordered_json StalledJson(const std::vector<StalledRow>& rows);
nlohmann::ordered_json SlaComplianceJson(const SlaComplianceReport& r);
nlohmann::ordered_json ExceptionsJson(const ExceptionsReport& r);

// Human output. `color` adds ANSI colours (on a terminal).
std::string ShowText(const ShowResult& r, const Playbook& pb, bool color);
std::string QueueText(const std::vector<QueueRow>& rows, Micros at, bool color);
std::string SlaText(const SlaReport& r, Micros at, bool color);
std::string FunnelText(const FunnelReport& r);
std::string SlaComplianceText(const SlaComplianceReport& r);
std::string ExceptionsText(const ExceptionsReport& r);
std::string StalledText(const std::vector<StalledRow>& rows, Micros at, Micros older_than);

}  // namespace leadgate
