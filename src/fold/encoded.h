// The backtest's compact log and its fold (docs/backtest.md, "What is
// replayed, and how"): events dictionary-encoded at load (activity names,
// whole property sets, activities = (name, property set), and the trait
// values of identify events to dense ids; per event its time, type and ids,
// as a struct of arrays, each lead's events adjacent and in timeline order),
// folded by the live fold's own core (fold_core.h, the Folder) through an
// event source that answers from a classification made per playbook
// version before the fold (ReplayClassifier, below) by the playbook's own
// Evaluate. One implementation of the rules: only the answering is memoized.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "fold/fold.h"

namespace leadgate {

constexpr uint32_t kNoId = UINT32_MAX;  // no id (yet)

struct EncodedEvents {
  std::vector<std::string> names;  // name id -> activity name (Event::name)
  std::vector<Props> props;        // property-set id -> the event's properties (Event::props)
  std::vector<std::string> keys;   // key id -> a property (trait) name
  // Property set id -> the key ids of its entries: prop_keys[prop_key_begin[id] + k].
  std::vector<uint32_t> prop_key_begin, prop_keys;
  // The trait value id of each entry, parallel to prop_keys: equal (key id,
  // value) pairs share one id, so an identify's traits are typed and their
  // conditions' field leaves classified once per distinct value. Set for the
  // property sets of identify events only (else kNoId).
  std::vector<uint32_t> prop_tvals;
  std::vector<uint32_t> tval_key;  // trait value id -> key id
  // Trait value id -> the value as given (`.value`), with state kOk: what
  // ReadAsField makes of a text given to a text field, so the
  // classification types those values by pointing here, without a copy.
  std::vector<FieldValue> tval;
  // Activity ids: distinct (name id, property-set id) pairs; an activity's
  // rules are classified once per activity id.
  std::vector<uint32_t> act_name, act_prop;
  // By event: all leads' events, each lead's adjacent, in timeline order.
  std::vector<Micros> ts;
  std::vector<EventType> type;
  std::vector<uint32_t> name;  // name id
  std::vector<uint32_t> prop;  // property-set id
  std::vector<uint32_t> act;   // activity id
  size_t size() const { return ts.size(); }
};

// Dense ids by 64-bit hash, open addressing; a candidate is confirmed by
// `is(id)` (the caller compares with what it stored under that id), so the
// table holds no keys of its own.
class IdTable {
 public:
  // The id of the entry with hash h for which is(id) holds, or `next`
  // (added) when there is none: (id, added).
  template <class Is>
  std::pair<uint32_t, bool> Find(uint64_t h, uint32_t next, Is&& is);

 private:
  std::vector<uint32_t> ids_;     // kNoId: an empty slot
  std::vector<uint64_t> hashes_;  // each slot's hash
  size_t used_ = 0;
};

template <class Is>
std::pair<uint32_t, bool> IdTable::Find(uint64_t h, uint32_t next, Is&& is) {
  if ((used_ + 1) * 2 > ids_.size()) {
    const size_t cap = std::max<size_t>(1024, ids_.size() * 2);
    std::vector<uint32_t> ids(cap, kNoId);
    std::vector<uint64_t> hashes(cap);
    for (size_t i = 0; i < ids_.size(); ++i) {
      if (ids_[i] == kNoId) continue;
      size_t j = hashes_[i] & (cap - 1);
      while (ids[j] != kNoId) j = (j + 1) & (cap - 1);
      ids[j] = ids_[i];
      hashes[j] = hashes_[i];
    }
    ids_.swap(ids);
    hashes_.swap(hashes);
  }
  const size_t mask = ids_.size() - 1;
  size_t i = h & mask;
  for (; ids_[i] != kNoId; i = (i + 1) & mask) {
    if (hashes_[i] == h && is(ids_[i])) return {ids_[i], false};
  }
  ids_[i] = next;
  hashes_[i] = h;
  ++used_;
  return {next, true};
}

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
  uint32_t TvalId(uint32_t key, const Value& v);
  void EnsureTvals(uint32_t prop);  // prop_tvals of property set `prop`
  uint32_t ActId(uint32_t name, uint32_t prop);
  EncodedEvents* out_;
  std::unordered_map<std::string, uint32_t> names_, keys_;
  IdTable props_, tvals_;
  std::unordered_map<uint64_t, uint32_t> acts_;
  std::vector<uint32_t> prop_act_;  // by property set: its first activity id
};

// The classifications of one replay, per playbook version, computed before
// the fold by Prepare (on `threads` threads) and only read while the
// workers fold (so one is shared by all of them):
//  - per name id: its rules (Playbook::FindEvent);
//  - per activity id: the engagement and event-triggered disqualify rules
//    whose `when` holds on its property set (Evaluate on that set), unless a
//    rule's `when` also reads a field: then that activity is evaluated per
//    event, as live;
//  - per trait value id: its field and its typed value (ReadAsField), and per
//    field leaf of a condition (Condition::leaf) its result on that value
//    (Evaluate on that leaf), so fit and trait disqualify rules are combined
//    from classified leaves (EvaluateTree) instead of re-evaluated.
// Kept across replays whose versions have the same rules (the capacity
// search's variants differ only in their MQL minimums): Prepare(..., keep=true).
class ReplayClassifier {
 public:
  void Prepare(const EncodedEvents& log, const std::vector<PlaybookVersion>& versions, bool keep,
               int threads = 1);
  // Before a Prepare(log, versions, keep=true) with `nversions` versions:
  // version v takes version u's classification from `other` (prepared on
  // the same log), when the caller knows their playbooks classify alike
  // (the same object, or the same RulesText). Only the rules by name and the
  // fields by key are looked up again, by that Prepare.
  void Seed(const EncodedEvents& log, size_t nversions, size_t v, const ReplayClassifier& other,
            size_t u);
  // How many times a version's classification was computed (by Prepare).
  int64_t classifications() const { return classifications_; }

 private:
  friend class EncodedSource;
  struct Plan {
    uint32_t eng_begin = 0, eng_n = 0;  // matching engagement rules: plan_rules[eng_begin, +n)
    uint32_t dq_begin = 0, dq_n = 0;    // matching event-triggered disqualify rules
    // A `when` of an engagement / disqualify rule of the activity reads a
    // field: those rules are evaluated per event, as live.
    bool eng_per_event = false, dq_per_event = false;
  };
  struct Version {
    const Playbook* pb = nullptr;
    std::vector<const Playbook::EventRules*> rules;  // by name id
    std::vector<int32_t> key_field;                  // by key id: Playbook::FieldIndex
    std::vector<Plan> plans;                         // by activity id
    std::vector<int32_t> plan_rules;
    std::vector<int32_t> tv_field;  // by trait value id: its field, or -1
    // By trait value id: typed as its field (at index tv_field.size(), a
    // missing field).
    // Points into the log (EncodedEvents::tval) when that is the typed value
    // (a text given to a text field), else into tv_owned.
    std::vector<const FieldValue*> tv_typed;
    std::vector<FieldValue> tv_owned;
    // By Condition::leaf (a leaf on a field) of a rule that reads several
    // fields: by trait value id of that field, its result (1 true); at index
    // tv_field.size(), on a missing field.
    std::vector<std::vector<uint8_t>> leaf;
    // By fit rule and by (trait) disqualify rule: the one field its `when`
    // reads, or -1 (several fields, or a property); then its result by
    // trait value id of that field, as for leaves.
    std::vector<int32_t> fit_field, dq_field;
    std::vector<std::vector<uint8_t>> fit_class, dq_class;
    // The fit rules that hold, and their sum, on a lead with no traits.
    std::vector<uint8_t> none_held;
    double none_fit = 0;
    bool classified = false;  // plans, tv_* and leaf are set
  };
  void Classify(const EncodedEvents& log, Version* t, int threads);
  const EncodedEvents* log_ = nullptr;
  std::vector<Version> versions_;
  int64_t classifications_ = 0;
};

// Folds one lead whose events are log[begin, end) (in timeline order), as
// Fold does with the same events as Event objects: the same LeadState.
LeadState FoldEncoded(const std::string& lead_id, const EncodedEvents& log, size_t begin,
                      size_t end, const std::vector<const Action*>& actions,
                      const std::vector<PlaybookVersion>& versions, const FoldOptions& opts,
                      const ReplayClassifier* classifier);

}  // namespace leadgate
