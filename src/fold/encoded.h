// The backtest's compact log and its fold (docs/backtest.md, "What is
// replayed, and how"): events dictionary-encoded at load (activity names and
// whole property sets to dense ids; per event its time, type, name id and
// property-set id, as a struct of arrays, each lead's events adjacent and in
// timeline order), folded by the live fold's own core (fold_core.h, the
// Folder) through an event source that answers, per playbook version,
//  - per name id: its rules (Playbook::FindEvent), looked up once;
//  - per (rule, property-set id): the result of a `when` that reads only
//    properties, computed once by the playbook's own Evaluate on that
//    property set (a `when` that also reads fields stays per event);
//  - per (identify) property-set id: the field index of each trait.
// One implementation of the rules: only the answering is memoized.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "fold/fold.h"

namespace leadgate {

struct EncodedEvents {
  std::vector<std::string> names;  // name id -> activity name (Event::name)
  std::vector<Props> props;        // property-set id -> the event's properties (Event::props)
  std::vector<std::string> keys;   // key id -> a property (trait) name
  // Property set id -> the key ids of its entries: prop_keys[prop_key_begin[id] + k].
  std::vector<uint32_t> prop_key_begin, prop_keys;
  // By event: all leads' events, each lead's adjacent, in timeline order.
  std::vector<Micros> ts;
  std::vector<EventType> type;
  std::vector<uint32_t> name;  // name id
  std::vector<uint32_t> prop;  // property-set id
  size_t size() const { return ts.size(); }
};

// Appends events to an EncodedEvents, giving equal names and equal property
// sets (same keys, in the same order, with the same values) the same id.
class EventEncoder {
 public:
  explicit EventEncoder(EncodedEvents* out) : out_(out) {}
  void Add(const Event& e);
  // Appends every event of `other` (encoded apart), its ids mapped to ours.
  void Append(const EncodedEvents& other);

 private:
  uint32_t NameId(const std::string& name);
  uint32_t PropId(const Props& props);
  EncodedEvents* out_;
  std::unordered_map<std::string, uint32_t> names_, props_, keys_;
  std::string key_;
};

// One worker's classifications, per playbook version (not thread-safe: one
// per worker). Computed on first use, kept across folds, and across replays
// whose versions have the same rules (the capacity search's variants differ
// only in their MQL minimums): Prepare(..., keep=true).
class ReplayClassifier {
 public:
  void Prepare(const EncodedEvents& log, const std::vector<PlaybookVersion>& versions, bool keep);

 private:
  friend class EncodedSource;
  struct Version {
    const Playbook* pb = nullptr;
    std::vector<const Playbook::EventRules*> rules;  // by name id
    // By engagement / disqualify rule index: whether its `when` reads
    // properties only (then classified per property set, below).
    std::vector<uint8_t> eng_props_only, disq_props_only;
    // By rule index, by property-set id: 0 not yet known, 1 false, 2 true.
    std::vector<std::vector<uint8_t>> eng_class, disq_class;
    std::vector<int32_t> key_field;  // by key id: Playbook::FieldIndex
    bool classified = false;         // the members above are set
  };
  const EncodedEvents* log_ = nullptr;
  std::vector<Version> versions_;
};

// Folds one lead whose events are log[begin, end) (in timeline order), as
// Fold does with the same events as Event objects: the same LeadState.
LeadState FoldEncoded(const std::string& lead_id, const EncodedEvents& log, size_t begin,
                      size_t end, const std::vector<const Action*>& actions,
                      const std::vector<PlaybookVersion>& versions, const FoldOptions& opts,
                      ReplayClassifier* classifier);

}  // namespace leadgate
