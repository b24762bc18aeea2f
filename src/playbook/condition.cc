// Condition evaluation and trait typing (the semantics of playbook.md
// "Conditions" and "Fine points").
#include <re2/re2.h>

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

int MatchCache::Get(int slot, std::string_view value) const {
  const auto& m = slots_[static_cast<size_t>(slot)];
  auto it = m.find(value);
  return it == m.end() ? -1 : (it->second ? 1 : 0);
}

void MatchCache::Put(int slot, std::string_view value, bool result) {
  auto& m = slots_[static_cast<size_t>(slot)];
  if (m.size() > 100000) m.clear();  // bound memory on high-cardinality values
  m.emplace(std::string(value), result);
}

namespace {

bool ValuesEqual(const Value& v, const Value& operand) {
  if (v.kind != operand.kind) return false;
  switch (v.kind) {
    case Value::Kind::kString:
      return TextKey(v.str) == operand.str;  // operand holds its key already
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
    case Op::kMatches: {
      if (v->kind != Value::Kind::kString) return false;
      if (c.memo_slot >= 0 && ctx.cache != nullptr) {
        int hit = ctx.cache->Get(c.memo_slot, v->str);
        if (hit >= 0) return hit == 1;
        bool r = RE2::PartialMatch(v->str, *c.re);
        ctx.cache->Put(c.memo_slot, v->str, r);
        return r;
      }
      return RE2::PartialMatch(v->str, *c.re);
    }
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

}  // namespace

bool Evaluate(const Condition& c, const EvalContext& ctx) {
  using Op = Condition::Op;
  switch (c.op) {
    case Op::kAll:
      for (const auto& ch : c.children) {
        if (!Evaluate(ch, ctx)) return false;
      }
      return true;
    case Op::kAny:
      for (const auto& ch : c.children) {
        if (Evaluate(ch, ctx)) return true;
      }
      return false;
    case Op::kNot:
      return !Evaluate(c.children[0], ctx);
    default:
      break;
  }
  if (c.on_property) {
    const Value* v = ctx.props ? FindProp(*ctx.props, c.property) : nullptr;
    return EvalLeaf(c, v, ctx);
  }
  const FieldValue& fv = ctx.fields[c.field];
  if (fv.state == FieldValue::State::kBad) return false;
  if (fv.state == FieldValue::State::kMissing) return EvalLeaf(c, nullptr, ctx);
  return EvalLeaf(c, &fv.value, ctx);
}

}  // namespace leadgate
