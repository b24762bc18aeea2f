// The playbook: the company's qualification criteria, loaded from YAML,
// validated (every error with file:line:column) and compiled into typed rules
// with RE2 patterns. See docs/playbook.md and shared/spec/playbook.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "common/value.h"

namespace re2 {
class RE2;
}

namespace leadgate {

enum class FieldType : uint8_t { kText, kNumber, kBool, kTime };
const char* FieldTypeName(FieldType t);

struct FieldDef {
  std::string name;
  FieldType type;
};

// A trait read as its field's type. kBad: present but not parseable as the
// type (every condition on it is false, and the lead gets a data warning).
struct FieldValue {
  enum class State : uint8_t { kMissing, kOk, kBad };
  State state = State::kMissing;
  Value value;  // text -> kString, number/time -> kNumber (time in micros), bool -> kBool
};

// Converts a raw trait value to the field's type.
FieldValue ReadAsField(const Value& raw, FieldType type);

struct Condition {
  enum class Op : uint8_t {
    kAll,
    kAny,
    kNot,
    kEquals,
    kNotEquals,
    kIn,
    kMatches,
    kGte,
    kGt,
    kLte,
    kLt,
    kBetween,
    kExists
  };
  Op op = Op::kAll;
  bool on_property = false;
  int field = -1;             // index into Playbook::fields when !on_property
  std::string property;       // property name when on_property
  std::vector<Value> values;  // equals/not_equals/in operands; text ones hold their TextKey
  double lo = 0, hi = 0;      // numeric operands (gte.. use lo; between lo..hi)
  bool exists = true;
  std::shared_ptr<const re2::RE2> re;
  int memo_slot = -1;  // for matches on properties: index of its value cache
  std::vector<Condition> children;

  bool UsesProperties() const;
  bool UsesFields() const;
};

// Per-thread cache of regex results on property values (each distinct value
// is classified once, not on every event).
class MatchCache {
 public:
  explicit MatchCache(int slots = 0) : slots_(static_cast<size_t>(slots)) {}
  // Returns -1 when unknown, else 0/1.
  int Get(int slot, std::string_view value) const;
  void Put(int slot, std::string_view value, bool result);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::unordered_map<std::string, bool, Hash, std::equal_to<>>> slots_;
};

struct EvalContext {
  const FieldValue* fields = nullptr;  // by field index
  const Props* props = nullptr;        // the activity's properties, if any
  MatchCache* cache = nullptr;
};

bool Evaluate(const Condition& c, const EvalContext& ctx);

struct FitRule {
  std::string id, label;
  Condition when;
  double points = 0;
};

struct EngagementRule {
  std::string id, label;
  std::string event;
  std::optional<Condition> when;
  double points = 0;
  int64_t limit_count = -1;  // -1: no limit
  Micros limit_per = 0;      // 0: "ever"
};

struct DisqualifyRule {
  std::string id, label;
  std::optional<std::string> event;  // event-triggered; else trait-triggered (edge)
  std::optional<Condition> when;
  std::string reason;
};

struct MqlMinimums {
  std::optional<double> fit, engagement, total;
  bool defined = false;
};

struct BantConfig {
  std::string form_event;  // empty: no self-qualification form
  std::vector<std::string> authority{"decision_maker"};
  Micros max_timeline = 90 * kDay;
};

struct Playbook {
  int64_t declared_version = 1;
  std::string name;
  std::vector<FieldDef> fields;
  std::vector<FitRule> fit;
  std::optional<Micros> half_life;
  std::optional<double> cap;
  std::vector<EngagementRule> engagement;
  std::vector<DisqualifyRule> disqualify;
  MqlMinimums mql;
  BantConfig bant;
  std::optional<Micros> first_response;
  int memo_slots = 0;
  std::string source;  // the YAML text

  // Index of engagement rules by event name.
  std::unordered_map<std::string, std::vector<int>> rules_by_event;
  std::unordered_map<std::string, std::vector<int>> disq_by_event;

  int FieldIndex(std::string_view name) const;
  std::string RuleLabel(std::string_view id) const;
};

// Loads and validates a playbook from YAML text. `file` names it in errors.
Result<std::shared_ptr<const Playbook>> LoadPlaybook(const std::string& yaml,
                                                     const std::string& file);
Result<std::shared_ptr<const Playbook>> LoadPlaybookFile(const std::string& path);

}  // namespace leadgate
