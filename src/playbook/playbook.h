// The playbook: the company's qualification criteria, loaded from YAML,
// validated (every error with file:line:column) and compiled into typed rules
// with RE2 patterns. See docs/playbook.md and shared/spec/playbook.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "common/value.h"

namespace re2 {
class RE2;
}
namespace date {
class time_zone;
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
  // For matches (on properties and fields): its MatchCache group (one per
  // property name or field, split every 64 patterns) and its bit there.
  int memo_group = -1;
  uint64_t memo_bit = 0;
  int prop_slot = -1;  // on_property: index into Playbook::property_names
  // A leaf on a field: its index among the playbook's field leaves
  // (Playbook::field_leaves), set by the loader; -1 otherwise. The backtest
  // classifies such leaves once per distinct value (src/fold/encoded.h).
  int leaf = -1;
  std::vector<Condition> children;

  bool UsesProperties() const;
  bool UsesFields() const;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Per-thread cache of regex results on text values (each distinct value is
// classified once, not on every event). Keyed by memo group (one property
// name or field) and value; an entry holds one bit per pattern of the group,
// so one probe answers every pattern on that value.
class MatchCache {
 public:
  struct Entry {
    uint64_t known = 0;   // bits whose result is computed
    uint64_t result = 0;  // their results
  };
  // `groups` is a size hint (Playbook::memo_groups); groups grow on demand.
  explicit MatchCache(int groups = 0) : groups_(static_cast<size_t>(groups > 0 ? groups : 0)) {}
  // The entry of `value` in `group`, created empty when new. Valid until the
  // next Find on the same group (which may drop the group's entries to bound
  // memory).
  Entry* Find(int group, std::string_view value);

 private:
  // Open addressing, linear probing, power-of-two capacity, load <= 1/2.
  struct Slot {
    uint64_t hash = 0;
    bool used = false;
    std::string key;
    Entry entry;
  };
  struct Group {
    std::vector<Slot> slots;
    size_t size = 0;
  };
  static void Grow(Group* g, size_t capacity);
  std::vector<Group> groups_;
};

// Per-activity memo of resolved properties and cache entries (by stamp: call
// Next() before each activity). Optional.
struct EvalScratch {
  uint32_t stamp = 1;
  std::vector<std::pair<uint32_t, const Value*>> props;          // by Condition::prop_slot
  std::vector<std::pair<uint32_t, MatchCache::Entry*>> entries;  // by Condition::memo_group
  void Prepare(int prop_slots, int memo_groups);
  void Next();
};

struct EvalContext {
  const FieldValue* fields = nullptr;  // by field index
  const Props* props = nullptr;        // the activity's properties, if any
  MatchCache* cache = nullptr;
  EvalScratch* scratch = nullptr;  // per-activity memo, optional
  // Results of matches on the current field values, by memo group (owned by
  // the caller, who clears a field's groups when the field changes), optional.
  MatchCache::Entry* field_memo = nullptr;
};

bool Evaluate(const Condition& c, const EvalContext& ctx);

// For a `matches` leaf on a field with value fv: the text Evaluate runs the
// pattern on (then its result is RE2::PartialMatch(text, *c.re)), or null
// when Evaluate gives false without running it (missing, bad, empty, not text).
const std::string* MatchText(const FieldValue& fv);

// Evaluate's combinators over leaves answered by `leaf(const Condition&)`:
// all (every child, in order, stopping at the first false), any (stopping at
// the first true), not. Evaluate is this with the leaf read from its context;
// the backtest answers field leaves from its classification.
template <class Leaf>
bool EvaluateTree(const Condition& c, Leaf&& leaf) {
  using Op = Condition::Op;
  switch (c.op) {
    case Op::kAll:
      for (const auto& ch : c.children) {
        if (!EvaluateTree(ch, leaf)) return false;
      }
      return true;
    case Op::kAny:
      for (const auto& ch : c.children) {
        if (EvaluateTree(ch, leaf)) return true;
      }
      return false;
    case Op::kNot:
      return !EvaluateTree(c.children[0], leaf);
    default:
      return leaf(c);
  }
}

// The result of pattern c on text `text` when the cache entry lacks it
// (runs the regex and records the bit).
bool MatchMiss(const Condition& c, const std::string& text, MatchCache::Entry* e);

// Evaluate with the hot case inlined: a pattern on a property, with a cache
// and a scratch (one property lookup and one cache probe per activity).
inline bool EvaluateFast(const Condition& c, const EvalContext& ctx) {
  if (c.op != Condition::Op::kMatches || !c.on_property || ctx.scratch == nullptr ||
      ctx.cache == nullptr || ctx.props == nullptr || c.prop_slot < 0 || c.memo_group < 0) {
    return Evaluate(c, ctx);
  }
  EvalScratch& sc = *ctx.scratch;
  auto& ps = sc.props[static_cast<size_t>(c.prop_slot)];
  if (ps.first != sc.stamp) ps = {sc.stamp, FindProp(*ctx.props, c.property)};
  const Value* v = ps.second;
  // Absent, nested, non-text and empty values match nothing.
  if (v == nullptr || v->kind != Value::Kind::kString || v->str.empty()) return false;
  auto& es = sc.entries[static_cast<size_t>(c.memo_group)];
  if (es.first != sc.stamp) es = {sc.stamp, ctx.cache->Find(c.memo_group, v->str)};
  MatchCache::Entry* e = es.second;
  if (e->known & c.memo_bit) return (e->result & c.memo_bit) != 0;
  return MatchMiss(c, v->str, e);
}

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

// Business hours in a time zone (docs/routing.md): the days of the week and
// one daily window [open, close) in local time.
struct BusinessHours {
  uint8_t days = 0;                 // bit 0 = Monday ... bit 6 = Sunday
  int open_min = 0, close_min = 0;  // minutes after local midnight; close <= 24:00
  std::string zone;                 // IANA name, e.g. Europe/Madrid
  const date::time_zone* tz = nullptr;
  std::string text;  // "mon-fri 09:00-17:00 Europe/Madrid"
};

// The instant at which `work` of business time has passed since `start`
// (counting only the windows of `bh`; DST and weekends included). Pure.
Micros AddBusinessTime(const BusinessHours& bh, Micros start, Micros work);
// Looks up an IANA time zone (nullptr when unknown).
const date::time_zone* FindTimeZone(const std::string& name);

struct RoutingRep {
  std::string name;
  std::optional<int64_t> capacity;  // override of the team's
};
struct RoutingTeam {
  std::string name, manager;
  std::vector<RoutingRep> reps;  // round-robin order
  std::optional<int64_t> capacity;
  std::optional<BusinessHours> business_hours;
  // "file:line:column" of the manager and of each rep, for errors about users.
  std::string manager_where;
  std::vector<std::string> rep_where;
  int64_t CapacityOf(size_t rep, int64_t routing_default) const;
};
struct TerritoryRule {
  std::string id, team;
  std::optional<Condition> when;  // none: every lead
};
struct Routing {
  std::optional<int64_t> capacity;  // default max open MQL+SAL per rep (none: unlimited)
  std::vector<RoutingTeam> teams;
  std::vector<TerritoryRule> rules;  // first match wins
  std::optional<std::string> default_team;
  const RoutingTeam* FindTeam(std::string_view name) const;
  // The team of the first territory rule whose condition holds, and why.
  const RoutingTeam* Match(const FieldValue* fields, std::string* rule) const;
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
  std::optional<BusinessHours> business_hours;  // sla.business_hours
  std::optional<Routing> routing;
  // The due time of a speed-to-lead clock started at `mql_at` for a lead in
  // `team` (its business hours, else sla.business_hours, else wall clock).
  Micros SlaDue(Micros mql_at, const std::optional<std::string>& team) const;
  int memo_slots = 0;
  // MatchCache groups: one per property name or field tested by `matches`,
  // split every 64 patterns; per group, its field index or -1 (a property).
  int memo_groups = 0;
  std::vector<int> memo_group_field;
  // By field index: its groups (the same relation by field; shorter than
  // fields when the last fields have none).
  std::vector<std::vector<int>> field_memo_groups;
  int field_leaves = 0;                     // conditions' leaves on fields (Condition::leaf)
  std::vector<std::string> property_names;  // by Condition::prop_slot
  std::string source;                       // the YAML text

  // Index of engagement rules by event name (find(string_view) allocates nothing).
  std::unordered_map<std::string, std::vector<int>, StringHash, std::equal_to<>> rules_by_event;
  std::unordered_map<std::string, std::vector<int>, StringHash, std::equal_to<>> disq_by_event;

  // The same per event name, plus whether it is the BANT form, as a small
  // vector (a scan over a few names is cheaper than hashing the name).
  struct EventRules {
    std::string name;
    std::vector<int> engagement;  // indexes into `engagement`
    std::vector<int> disqualify;  // event-triggered rules, indexes into `disqualify`
    bool bant_form = false;
  };
  std::vector<EventRules> events;
  std::vector<std::vector<int>> events_by_size;  // name length -> indexes into `events`
  // The entry of an activity name, or null when no rule names it.
  const EventRules* FindEvent(std::string_view name) const;
  void IndexEvents();  // builds `events` from the rules (the loader calls it)

  int FieldIndex(std::string_view name) const;
  std::string RuleLabel(std::string_view id) const;
};

// The playbook's YAML (`source`) without its top-level mql, sla, routing,
// name and version blocks (cut line by line, comments and all): equal for
// two playbooks whose other sections (fields, fit, engagement, disqualify,
// bant) are written alike. Nullopt without source text, or when a cut block
// defines a YAML anchor. `source` must be what the rules were loaded from:
// a copy whose rules are changed in memory must not keep it (the capacity
// search's copies change only their MQL minimums).
std::optional<std::string> RulesText(const Playbook& p);

// Loads and validates a playbook from YAML text. `file` names it in errors.
Result<std::shared_ptr<const Playbook>> LoadPlaybook(const std::string& yaml,
                                                     const std::string& file);
Result<std::shared_ptr<const Playbook>> LoadPlaybookFile(const std::string& path);

}  // namespace leadgate
