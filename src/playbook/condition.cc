// Condition evaluation and trait typing (the semantics of playbook.md
// "Conditions" and "Fine points").
#include <re2/re2.h>

#include <cstring>

#include "playbook/playbook.h"

namespace leadgate {

const char* FieldTypeName(FieldType t) {
  switch (t) {
    case FieldType::kText:
      return "text";
    case FieldType::kNumber:
      return "number";
    case FieldType::kBool:
      return "bool";
    case FieldType::kTime:
      return "time";
  }
  return "text";
}

FieldValue ReadAsField(const Value& raw, FieldType type) {
  FieldValue out;
  if (raw.is_null()) return out;
  out.state = FieldValue::State::kOk;
  switch (type) {
    case FieldType::kText:
      if (raw.kind == Value::Kind::kNested) {
        out.state = FieldValue::State::kBad;
      } else {
        out.value = Value::String(raw.ToText());
      }
      return out;
    case FieldType::kNumber: {
      double d;
      if (raw.kind == Value::Kind::kNumber) {
        out.value = raw;
      } else if (raw.kind == Value::Kind::kString && ParseNumber(raw.str, &d)) {
        out.value = Value::Number(d);
      } else if (raw.kind == Value::Kind::kString && TrimSpaces(raw.str).empty()) {
        out.state = FieldValue::State::kMissing;  // empty: absent, not wrong
      } else {
        out.state = FieldValue::State::kBad;
      }
      return out;
    }
    case FieldType::kBool: {
      if (raw.kind == Value::Kind::kBool) {
        out.value = raw;
      } else if (raw.kind == Value::Kind::kString) {
        std::string k = TextKey(raw.str);
        if (k == "true") {
          out.value = Value::Bool(true);
        } else if (k == "false") {
          out.value = Value::Bool(false);
        } else if (k.empty()) {
          out.state = FieldValue::State::kMissing;
        } else {
          out.state = FieldValue::State::kBad;
        }
      } else {
        out.state = FieldValue::State::kBad;
      }
      return out;
    }
    case FieldType::kTime: {
      if (raw.kind == Value::Kind::kString) {
        if (TrimSpaces(raw.str).empty()) {
          out.state = FieldValue::State::kMissing;
        } else if (auto t = ParseDateOrTime(TrimSpaces(raw.str))) {
          out.value = Value::Number(static_cast<double>(*t));
        } else {
          out.state = FieldValue::State::kBad;
        }
      } else {
        out.state = FieldValue::State::kBad;
      }
      return out;
    }
  }
  return out;
}

bool Condition::UsesProperties() const {
  if (op == Op::kAll || op == Op::kAny || op == Op::kNot) {
    for (const auto& c : children) {
      if (c.UsesProperties()) return true;
    }
    return false;
  }
  return on_property;
}

bool Condition::UsesFields() const {
  if (op == Op::kAll || op == Op::kAny || op == Op::kNot) {
    for (const auto& c : children) {
      if (c.UsesFields()) return true;
    }
    return false;
  }
  return !on_property;
}

namespace {

// A fast 64-bit string hash (multiply-xorshift over 8-byte words).
uint64_t HashText(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (s.size() * 0xC2B2AE3D27D4EB4FULL);
  const char* p = s.data();
  size_t n = s.size();
  auto mix = [&](uint64_t w) {
    h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
  };
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    mix(w);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    mix(w);
  }
  h ^= h >> 29;
  h *= 0x94D049BB133111EBULL;
  h ^= h >> 32;
  return h;
}

constexpr size_t kMinSlots = 64;
constexpr size_t kMaxEntries = 100000;  // bound memory on high-cardinality values

}  // namespace

void MatchCache::Grow(Group* g, size_t capacity) {
  std::vector<Slot> old = std::move(g->slots);
  g->slots.clear();
  g->slots.resize(capacity);
  const size_t mask = capacity - 1;
  for (Slot& s : old) {
    if (!s.used) continue;
    size_t i = s.hash & mask;
    while (g->slots[i].used) i = (i + 1) & mask;
    g->slots[i] = std::move(s);
  }
}

MatchCache::Entry* MatchCache::Find(int group, std::string_view value) {
  size_t gi = static_cast<size_t>(group);
  if (gi >= groups_.size()) groups_.resize(gi + 1);
  Group& g = groups_[gi];
  if (g.slots.empty()) g.slots.resize(kMinSlots);
  const uint64_t h = HashText(value);
  size_t mask = g.slots.size() - 1;
  size_t i = h & mask;
  while (g.slots[i].used) {
    Slot& s = g.slots[i];
    if (s.hash == h && s.key.size() == value.size() &&
        std::memcmp(s.key.data(), value.data(), value.size()) == 0) {
      return &s.entry;
    }
    i = (i + 1) & mask;
  }
  // Not there: insert (after dropping everything when the group is full, or
  // growing when it is half full).
  if (g.size >= kMaxEntries) {
    g.slots.clear();
    g.slots.resize(kMinSlots);
    g.size = 0;
  } else if ((g.size + 1) * 2 > g.slots.size()) {
    Grow(&g, g.slots.size() * 2);
  } else {
    Slot& s = g.slots[i];
    s.used = true;
    s.hash = h;
    s.key.assign(value.data(), value.size());
    s.entry = Entry{};
    ++g.size;
    return &s.entry;
  }
  mask = g.slots.size() - 1;
  i = h & mask;
  while (g.slots[i].used) i = (i + 1) & mask;
  Slot& s = g.slots[i];
  s.used = true;
  s.hash = h;
  s.key.assign(value.data(), value.size());
  s.entry = Entry{};
  ++g.size;
  return &s.entry;
}

void EvalScratch::Prepare(int prop_slots, int memo_groups) {
  if (props.size() == static_cast<size_t>(prop_slots) &&
      entries.size() == static_cast<size_t>(memo_groups)) {
    Next();  // the same shape: a new stamp makes every slot stale
    return;
  }
  props.assign(static_cast<size_t>(prop_slots), {0, nullptr});
  entries.assign(static_cast<size_t>(memo_groups), {0, nullptr});
  stamp = 1;
}

void EvalScratch::Next() {
  if (++stamp == 0) {
    for (auto& p : props) p.first = 0;
    for (auto& e : entries) e.first = 0;
    stamp = 1;
  }
}

namespace {

bool ValuesEqual(const Value& v, const Value& operand) {
  if (v.kind != operand.kind) return false;
  switch (v.kind) {
    case Value::Kind::kString:
      return TextKeyEquals(v.str, operand.str);  // operand holds its key already
    case Value::Kind::kNumber:
      return v.num == operand.num;
    case Value::Kind::kBool:
      return v.b == operand.b;
    default:
      return false;
  }
}

bool Present(const Value& v) {
  if (v.is_null()) return false;
  if (v.kind == Value::Kind::kString && v.str.empty()) return false;
  return true;
}

bool AsNumber(const Value& v, double* out) {
  if (v.kind == Value::Kind::kNumber) {
    *out = v.num;
    return true;
  }
  if (v.kind == Value::Kind::kString) return ParseNumber(v.str, out);
  return false;
}

// The cache entry of the condition's group for this text, once per activity
// when there is a scratch.
MatchCache::Entry* CacheEntry(const Condition& c, const std::string& text, const EvalContext& ctx) {
  if (ctx.scratch != nullptr) {
    auto& slot = ctx.scratch->entries[static_cast<size_t>(c.memo_group)];
    if (slot.first != ctx.scratch->stamp) {
      slot = {ctx.scratch->stamp, ctx.cache->Find(c.memo_group, text)};
    }
    return slot.second;
  }
  return ctx.cache->Find(c.memo_group, text);
}

bool Match(const Condition& c, const std::string& text, const EvalContext& ctx) {
  if (c.memo_group < 0) return RE2::PartialMatch(text, *c.re);
  MatchCache::Entry* memo = nullptr;
  if (!c.on_property && ctx.field_memo != nullptr) {
    memo = &ctx.field_memo[c.memo_group];
    if (memo->known & c.memo_bit) return (memo->result & c.memo_bit) != 0;
  }
  bool r;
  if (ctx.cache != nullptr) {
    MatchCache::Entry* e = CacheEntry(c, text, ctx);
    if (e->known & c.memo_bit) {
      r = (e->result & c.memo_bit) != 0;
    } else {
      r = RE2::PartialMatch(text, *c.re);
      e->known |= c.memo_bit;
      if (r) e->result |= c.memo_bit;
    }
  } else {
    r = RE2::PartialMatch(text, *c.re);
  }
  if (memo != nullptr) {
    memo->known |= c.memo_bit;
    if (r) memo->result |= c.memo_bit;
  }
  return r;
}

bool EvalLeaf(const Condition& c, const Value* v, const EvalContext& ctx) {
  using Op = Condition::Op;
  if (c.op == Op::kExists) {
    bool present = v != nullptr && Present(*v);
    return present == c.exists;
  }
  if (v == nullptr || !Present(*v)) return false;
  switch (c.op) {
    case Op::kEquals:
      return ValuesEqual(*v, c.values[0]);
    case Op::kNotEquals:
      return !ValuesEqual(*v, c.values[0]);
    case Op::kIn:
      for (const auto& o : c.values) {
        if (ValuesEqual(*v, o)) return true;
      }
      return false;
    case Op::kMatches:
      if (v->kind != Value::Kind::kString) return false;
      return Match(c, v->str, ctx);
    default:
      break;
  }
  double d;
  if (!AsNumber(*v, &d)) return false;
  switch (c.op) {
    case Op::kGte:
      return d >= c.lo;
    case Op::kGt:
      return d > c.lo;
    case Op::kLte:
      return d <= c.lo;
    case Op::kLt:
      return d < c.lo;
    case Op::kBetween:
      return d >= c.lo && d <= c.hi;
    default:
      return false;
  }
}

// The activity's property, or null when absent. A nested value (JSON object
// or array) is stored but not usable in conditions: it reads as absent.
const Value* Property(const Condition& c, const EvalContext& ctx) {
  if (ctx.props == nullptr) return nullptr;
  const Value* v;
  if (ctx.scratch != nullptr && c.prop_slot >= 0) {
    auto& slot = ctx.scratch->props[static_cast<size_t>(c.prop_slot)];
    if (slot.first != ctx.scratch->stamp) {
      slot = {ctx.scratch->stamp, FindProp(*ctx.props, c.property)};
    }
    v = slot.second;
  } else {
    v = FindProp(*ctx.props, c.property);
  }
  if (v != nullptr && v->kind == Value::Kind::kNested) return nullptr;
  return v;
}

}  // namespace

const std::string* MatchText(const FieldValue& fv) {
  if (fv.state != FieldValue::State::kOk) return nullptr;
  const Value& v = fv.value;
  if (!Present(v) || v.kind != Value::Kind::kString) return nullptr;
  return &v.str;
}

bool MatchMiss(const Condition& c, const std::string& text, MatchCache::Entry* e) {
  bool r = RE2::PartialMatch(text, *c.re);
  e->known |= c.memo_bit;
  if (r) e->result |= c.memo_bit;
  return r;
}

bool Evaluate(const Condition& c, const EvalContext& ctx) {
  return EvaluateTree(c, [&](const Condition& l) {
    const Value* v;
    if (l.on_property) {
      v = Property(l, ctx);
    } else {
      const FieldValue& fv = ctx.fields[l.field];
      if (fv.state == FieldValue::State::kBad) return false;
      v = fv.state == FieldValue::State::kMissing ? nullptr : &fv.value;
    }
    return EvalLeaf(l, v, ctx);  // the only call: inlined
  });
}

}  // namespace leadgate
