#include "bench_util.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <unordered_map>

#include "ingest/jsonl.h"

namespace leadgate::bench {

std::vector<Event> GenerateParsedEvents(const demo::GenOptions& opt) {
  std::ostringstream out;
  demo::GenerateEvents(opt, out);
  const std::string data = out.str();
  std::vector<Event> events;
  size_t pos = 0;
  int64_t line = 0;
  while (pos < data.size()) {
    size_t nl = data.find('\n', pos);
    if (nl == std::string::npos) nl = data.size();
    ++line;
    std::string_view text(data.data() + pos, nl - pos);
    pos = nl + 1;
    if (text.empty()) continue;
    Event e;
    Status s = ParseEvent(text, &e);
    if (!s.ok()) {
      std::fprintf(stderr, "generated line %lld does not parse: %s\n", static_cast<long long>(line),
                   s.message().c_str());
      std::abort();
    }
    events.push_back(std::move(e));
  }
  return events;
}

std::shared_ptr<const Playbook> DefaultPlaybook() {
  auto pb = LoadPlaybookFile(std::string(LEADGATE_SOURCE_DIR) + "/playbooks/default.yaml");
  if (!pb.ok()) {
    std::fprintf(stderr, "default playbook: %s\n", pb.status().message().c_str());
    std::abort();
  }
  return *pb;
}

std::vector<std::vector<const Event*>> GroupByLead(const std::vector<Event>& events) {
  std::unordered_map<std::string, size_t> index;
  std::vector<std::vector<const Event*>> out;
  for (const Event& e : events) {
    auto [it, fresh] = index.emplace(e.lead_id, out.size());
    if (fresh) out.emplace_back();
    out[it->second].push_back(&e);
  }
  return out;
}

}  // namespace leadgate::bench
