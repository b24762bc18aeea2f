#include "fold/encoded.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>

#include "fold/fold_core.h"

namespace leadgate {
namespace {

uint64_t Mix(uint64_t h) {
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 32;
  return h;
}

// A value's hash, over exactly what ValueIs compares.
uint64_t ValueHash(const Value& v) {
  uint64_t num_bits;
  std::memcpy(&num_bits, &v.num, sizeof num_bits);
  return std::hash<std::string_view>{}(v.str) ^ (static_cast<uint64_t>(v.kind) << 32) ^
         (v.b ? 0x9e3779b9u : 0u) ^ (num_bits * 0x9E3779B97F4A7C15ull);
}

// Equal to the bit: kind, flag, number bits and text.
bool ValueIs(const Value& a, const Value& b) {
  return a.kind == b.kind && a.b == b.b && std::memcmp(&a.num, &b.num, sizeof a.num) == 0 &&
         a.str == b.str;
}

}  // namespace

uint32_t EventEncoder::NameId(const std::string& name) {
  auto [it, fresh] = names_.try_emplace(name, static_cast<uint32_t>(out_->names.size()));
  if (fresh) out_->names.push_back(name);
  return it->second;
}

uint32_t EventEncoder::PropId(const Props& props) {
  // A property set is every entry's name and value, exactly, in order.
  uint64_t h = props.size();
  for (const auto& [k, v] : props) {
    h = Mix(h ^ std::hash<std::string_view>{}(k));
    h = Mix(h ^ ValueHash(v));
  }
  const auto [id, fresh] =
      props_.Find(h, static_cast<uint32_t>(out_->props.size()), [&](uint32_t id) {
        const Props& q = out_->props[id];
        if (q.size() != props.size()) return false;
        for (size_t i = 0; i < q.size(); ++i) {
          if (q[i].first != props[i].first || !ValueIs(q[i].second, props[i].second)) return false;
        }
        return true;
      });
  if (fresh) {
    out_->props.push_back(props);
    out_->prop_key_begin.push_back(static_cast<uint32_t>(out_->prop_keys.size()));
    for (const auto& kv : props) {
      auto [kit, kfresh] = keys_.try_emplace(kv.first, static_cast<uint32_t>(out_->keys.size()));
      if (kfresh) out_->keys.push_back(kv.first);
      out_->prop_keys.push_back(kit->second);
      out_->prop_tvals.push_back(kNoId);  // set by the first identify (EnsureTvals)
    }
  }
  return id;
}

uint32_t EventEncoder::TvalId(uint32_t key, const Value& v) {
  // Checked against the stored value, bit for bit (no key strings).
  const uint64_t h = Mix(ValueHash(v) ^ (static_cast<uint64_t>(key) << 40));
  const auto [id, fresh] = tvals_.Find(
      h, static_cast<uint32_t>(out_->tval_key.size()),
      [&](uint32_t id) { return out_->tval_key[id] == key && ValueIs(out_->tval[id].value, v); });
  if (fresh) {
    out_->tval_key.push_back(key);
    out_->tval.push_back(FieldValue{FieldValue::State::kOk, v});
  }
  return id;
}

void EventEncoder::EnsureTvals(uint32_t prop) {
  const size_t b = out_->prop_key_begin[prop], n = out_->props[prop].size();
  if (n == 0 || out_->prop_tvals[b] != kNoId) return;
  for (size_t k = 0; k < n; ++k) {
    out_->prop_tvals[b + k] = TvalId(out_->prop_keys[b + k], out_->props[prop][k].second);
  }
}

uint32_t EventEncoder::ActId(uint32_t name, uint32_t prop) {
  // Most property sets come with one name: its activity is remembered by
  // property set; other names go through the map.
  if (prop_act_.size() <= prop) prop_act_.resize(prop + 1, kNoId);
  uint32_t& first = prop_act_[prop];
  if (first != kNoId && out_->act_name[first] == name) return first;
  const uint64_t k = (static_cast<uint64_t>(name) << 32) | prop;
  auto [it, fresh] = acts_.try_emplace(k, static_cast<uint32_t>(out_->act_name.size()));
  if (fresh) {
    out_->act_name.push_back(name);
    out_->act_prop.push_back(prop);
  }
  if (first == kNoId) first = it->second;
  return it->second;
}

void EventEncoder::Add(const Event& e) {
  const uint32_t n = NameId(e.name), p = PropId(e.props);
  out_->ts.push_back(e.ts);
  out_->type.push_back(e.type);
  out_->name.push_back(n);
  out_->prop.push_back(p);
  out_->act.push_back(ActId(n, p));
  if (e.type == EventType::kIdentify) EnsureTvals(p);
}

void EventEncoder::Append(const EncodedEvents& other) {
  std::vector<uint32_t> names(other.names.size()), props(other.props.size());
  for (size_t i = 0; i < names.size(); ++i) names[i] = NameId(other.names[i]);
  for (size_t i = 0; i < props.size(); ++i) props[i] = PropId(other.props[i]);
  out_->ts.insert(out_->ts.end(), other.ts.begin(), other.ts.end());
  out_->type.insert(out_->type.end(), other.type.begin(), other.type.end());
  for (uint32_t n : other.name) out_->name.push_back(names[n]);
  for (uint32_t p : other.prop) out_->prop.push_back(props[p]);
  std::vector<uint32_t> acts(other.act_name.size());
  for (size_t i = 0; i < acts.size(); ++i) {
    acts[i] = ActId(names[other.act_name[i]], props[other.act_prop[i]]);
  }
  for (uint32_t a : other.act) out_->act.push_back(acts[a]);
  // Trait value ids: `other` has them for its identify events' property
  // sets; each of its distinct values is mapped once (not once per entry).
  std::vector<uint32_t> key_map(other.keys.size(), kNoId), tv_map(other.tval_key.size(), kNoId);
  for (size_t op = 0; op < other.props.size(); ++op) {
    const size_t ob = other.prop_key_begin[op], n = other.props[op].size();
    if (n == 0 || other.prop_tvals[ob] == kNoId) continue;
    const uint32_t p = props[op];
    const size_t b = out_->prop_key_begin[p];
    if (out_->prop_tvals[b] != kNoId) continue;  // ours already
    for (size_t k = 0; k < n; ++k) {
      const uint32_t otv = other.prop_tvals[ob + k];
      if (tv_map[otv] == kNoId) {
        const uint32_t okey = other.tval_key[otv];
        if (key_map[okey] == kNoId) key_map[okey] = out_->prop_keys[b + k];
        tv_map[otv] = TvalId(key_map[okey], other.tval[otv].value);
      }
      out_->prop_tvals[b + k] = tv_map[otv];
    }
  }
}

namespace {

// Runs fn(t, begin, end) over [0, n) split in `threads` parts, on threads.
template <class Fn>
void Parallel(size_t n, int threads, Fn&& fn) {
  const size_t parts = n < 4096 ? 1 : static_cast<size_t>(std::max(1, threads));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < parts; ++t) pool.emplace_back(fn, t, n * t / parts, n * (t + 1) / parts);
  fn(size_t{0}, size_t{0}, n / parts);
  for (auto& th : pool) th.join();
}

// The leaves on fields of a condition tree.
void FieldLeaves(const Condition& c, std::vector<const Condition*>* out) {
  using Op = Condition::Op;
  if (c.op == Op::kAll || c.op == Op::kAny || c.op == Op::kNot) {
    for (const Condition& ch : c.children) FieldLeaves(ch, out);
    return;
  }
  if (!c.on_property) out->push_back(&c);
}

const FieldValue kMissingField{};

// Whether ReadAsField(v.value, kText) is v itself, bit for bit: a string
// with no flag and a zero number (what the fold's text typing also relies on).
bool TypesAsItself(const FieldValue& v) {
  return v.value.kind == Value::Kind::kString && !v.value.b && v.value.num == 0 &&
         !std::signbit(v.value.num);
}

// Whether these patterns were compiled with the same options (one RE2::Set).
bool SameOptions(const std::vector<const Condition*>& regex) {
  const RE2::Options& a = regex[0]->re->options();
  for (const Condition* c : regex) {
    const RE2::Options& b = c->re->options();
    if (a.encoding() != b.encoding() || a.posix_syntax() != b.posix_syntax() ||
        a.longest_match() != b.longest_match() || a.literal() != b.literal() ||
        a.never_nl() != b.never_nl() || a.dot_nl() != b.dot_nl() ||
        a.never_capture() != b.never_capture() || a.case_sensitive() != b.case_sensitive() ||
        a.perl_classes() != b.perl_classes() || a.word_boundary() != b.word_boundary() ||
        a.one_line() != b.one_line() || a.max_mem() != b.max_mem()) {
      return false;
    }
  }
  return true;
}

}  // namespace

void ReplayClassifier::Prepare(const EncodedEvents& log,
                               const std::vector<PlaybookVersion>& versions, bool keep,
                               int threads) {
  if (!keep || log_ != &log || versions_.size() != versions.size()) {
    versions_.clear();
    versions_.resize(versions.size());
  }
  log_ = &log;
  for (size_t v = 0; v < versions.size(); ++v) {
    Version& t = versions_[v];
    const Playbook& p = *versions[v].playbook;
    t.pb = &p;
    // Rules by name id: looked up again every time (pointers into this
    // playbook object), the rest kept when asked.
    t.rules.resize(log.names.size());
    for (size_t n = 0; n < log.names.size(); ++n) t.rules[n] = p.FindEvent(log.names[n]);
    t.key_field.resize(log.keys.size());
    for (size_t k = 0; k < log.keys.size(); ++k) t.key_field[k] = p.FieldIndex(log.keys[k]);
    if (t.classified && t.plans.size() == log.act_name.size() &&
        t.tv_field.size() == log.tval_key.size() &&
        t.leaf.size() == static_cast<size_t>(p.field_leaves)) {
      continue;
    }
    Classify(log, &t, threads);
  }
}

void ReplayClassifier::Seed(const EncodedEvents& log, size_t nversions, size_t v,
                            const ReplayClassifier& other, size_t u) {
  if (log_ != &log || versions_.size() != nversions) {
    versions_.clear();
    versions_.resize(nversions);
  }
  log_ = &log;
  const Version& from = other.versions_.at(u);
  if (other.log_ != &log || !from.classified) return;
  Version& to = versions_.at(v);
  to = from;
  // Typed values held by `from` itself: point at this copy's.
  const FieldValue* base = from.tv_owned.data();
  for (const FieldValue*& p : to.tv_typed) {
    if (p >= base && p < base + from.tv_owned.size()) p = to.tv_owned.data() + (p - base);
  }
}

void ReplayClassifier::Classify(const EncodedEvents& log, Version* t, int threads) {
  ++classifications_;
  const Playbook& p = *t->pb;
  // Activities: the rules of each (name, property set).
  const size_t nact = log.act_name.size();
  t->plans.assign(nact, Plan{});
  const size_t parts = nact < 4096 ? 1 : static_cast<size_t>(std::max(1, threads));
  std::vector<std::vector<int32_t>> lists(parts);
  std::vector<size_t> first(parts + 1, nact);
  Parallel(nact, threads, [&](size_t part, size_t b, size_t e) {
    first[part] = b;
    std::vector<int32_t>& list = lists[part];
    for (size_t a = b; a < e; ++a) {
      Plan& plan = t->plans[a];
      const Playbook::EventRules* ev = t->rules[log.act_name[a]];
      if (ev == nullptr) continue;
      const EvalContext ctx{nullptr, &log.props[log.act_prop[a]], nullptr, nullptr, nullptr};
      // The rules `idxs` whose `when` holds (none: always), unless one reads
      // a field: then they are evaluated per event.
      auto matching = [&](const std::vector<int>& idxs, auto when_of, uint32_t* begin, uint32_t* n,
                          bool* per_event) {
        *begin = static_cast<uint32_t>(list.size());
        for (int idx : idxs) {
          const auto& w = when_of(static_cast<size_t>(idx));
          if (w && w->UsesFields()) {
            *per_event = true;
          } else if (!w || Evaluate(*w, ctx)) {
            list.push_back(idx);
          }
        }
        *n = static_cast<uint32_t>(list.size()) - *begin;
      };
      matching(
          ev->engagement, [&](size_t r) -> const auto& { return p.engagement[r].when; },
          &plan.eng_begin, &plan.eng_n, &plan.eng_per_event);
      matching(
          ev->disqualify, [&](size_t r) -> const auto& { return p.disqualify[r].when; },
          &plan.dq_begin, &plan.dq_n, &plan.dq_per_event);
    }
  });
  t->plan_rules.clear();
  for (size_t part = 0; part < parts; ++part) {
    const uint32_t shift = static_cast<uint32_t>(t->plan_rules.size());
    t->plan_rules.insert(t->plan_rules.end(), lists[part].begin(), lists[part].end());
    const size_t e = part + 1 < parts ? first[part + 1] : nact;
    for (size_t a = first[part]; a < e; ++a) {
      t->plans[a].eng_begin += shift;
      t->plans[a].dq_begin += shift;
    }
  }
  // Trait values: their field and typed value. A text given to a text field
  // types as itself (ReadAsField: kOk, Value::String of the text): those
  // point into the log; the others are typed into tv_owned.
  const size_t ntv = log.tval_key.size();
  t->tv_field.assign(ntv, -1);
  t->tv_typed.assign(ntv + 1, &kMissingField);  // [ntv]: a missing field
  std::vector<std::vector<uint32_t>> by_field(p.fields.size());
  std::vector<uint32_t> retyped;  // values typed into tv_owned, in order
  for (size_t v = 0; v < ntv; ++v) {
    const int32_t f = t->key_field[log.tval_key[v]];
    t->tv_field[v] = f;
    if (f < 0) continue;
    by_field[static_cast<size_t>(f)].push_back(static_cast<uint32_t>(v));
    if (p.fields[static_cast<size_t>(f)].type == FieldType::kText && TypesAsItself(log.tval[v])) {
      t->tv_typed[v] = &log.tval[v];
    } else {
      retyped.push_back(static_cast<uint32_t>(v));
    }
  }
  t->tv_owned.assign(retyped.size(), FieldValue{});
  Parallel(retyped.size(), threads, [&](size_t, size_t b, size_t e) {
    for (size_t k = b; k < e; ++k) {
      const uint32_t v = retyped[k];
      const FieldType type = p.fields[static_cast<size_t>(t->tv_field[v])].type;
      t->tv_owned[k] = ReadAsField(log.tval[v].value, type);
    }
  });
  for (size_t k = 0; k < retyped.size(); ++k) t->tv_typed[retyped[k]] = &t->tv_owned[k];
  // Fit and trait disqualify rules: each field leaf is classified on every
  // value of its field (and on a missing one); the `matches` leaves of one
  // field with one RE2::Set pass per value, the same answers as one
  // PartialMatch each. A rule that reads one field is then classified
  // whole, from its leaves; one that reads several is combined per change.
  std::vector<FieldValue> none(p.fields.size());
  const EvalContext none_ctx{none.data(), nullptr, nullptr, nullptr, nullptr};
  t->leaf.assign(static_cast<size_t>(p.field_leaves), {});
  std::vector<std::vector<const Condition*>> leaves_by_field(p.fields.size());
  auto collect = [&](const Condition& when) {
    std::vector<const Condition*> leaves;
    FieldLeaves(when, &leaves);
    for (const Condition* c : leaves) {
      if (c->leaf < 0 || c->leaf >= p.field_leaves) continue;  // evaluated per change
      auto& table = t->leaf[static_cast<size_t>(c->leaf)];
      if (!table.empty()) continue;
      table.assign(ntv + 1, 0);
      table[ntv] = Evaluate(*c, none_ctx) ? 1 : 0;
      leaves_by_field[static_cast<size_t>(c->field)].push_back(c);
    }
  };
  for (const FitRule& r : p.fit) collect(r.when);
  for (const DisqualifyRule& r : p.disqualify) {
    if (!r.event && r.when) collect(*r.when);
  }
  for (size_t f = 0; f < p.fields.size(); ++f) {
    const auto& leaves = leaves_by_field[f];
    if (leaves.empty()) continue;
    std::vector<const Condition*> regex, other;
    for (const Condition* c : leaves) {
      (c->op == Condition::Op::kMatches && c->re ? regex : other).push_back(c);
    }
    // One RE2::Set per thread: threads sharing one contend for its DFA
    // cache. Every part compiles the same patterns, so each answers alike;
    // a part whose copy fails to compile evaluates the leaves one by one.
    auto make_set = [&]() -> std::unique_ptr<RE2::Set> {
      auto set = std::make_unique<RE2::Set>(regex[0]->re->options(), RE2::UNANCHORED);
      for (const Condition* c : regex) {
        if (set->Add(c->re->pattern(), nullptr) < 0) return nullptr;
      }
      return set->Compile() ? std::move(set) : nullptr;
    };
    std::unique_ptr<RE2::Set> set;
    if (regex.size() >= 2 && SameOptions(regex)) set = make_set();
    if (!set) {
      other.insert(other.end(), regex.begin(), regex.end());
      regex.clear();
    }
    const std::vector<uint32_t>& vals = by_field[f];
    Parallel(vals.size(), threads, [&](size_t part, size_t b, size_t e) {
      std::unique_ptr<RE2::Set> own = part > 0 && set ? make_set() : nullptr;
      RE2::Set* part_set = part == 0 ? set.get() : own.get();
      std::vector<FieldValue> fields(p.fields.size());
      const EvalContext ctx{fields.data(), nullptr, nullptr, nullptr, nullptr};
      std::vector<int> hits;
      for (size_t k = b; k < e; ++k) {
        const uint32_t tv = vals[k];
        const FieldValue& typed = *t->tv_typed[tv];
        // The context's copy of the value only when a leaf is evaluated on it.
        bool copied = false;
        auto in_context = [&] {
          if (!copied) fields[f] = typed;
          copied = true;
        };
        for (const Condition* c : other) {
          in_context();
          t->leaf[static_cast<size_t>(c->leaf)][tv] = Evaluate(*c, ctx) ? 1 : 0;
        }
        if (regex.empty()) continue;
        const std::string* text = MatchText(typed);
        bool done = false;
        if (text != nullptr && part_set != nullptr) {
          // Most values match none of the patterns: asked first whether any
          // matches (no list of hits: no allocation), then which.
          RE2::Set::ErrorInfo err{RE2::Set::kNoError};
          if (!part_set->Match(*text, nullptr, &err) && err.kind == RE2::Set::kNoError) continue;
          hits.clear();
          err.kind = RE2::Set::kNoError;
          const bool any = part_set->Match(*text, &hits, &err);
          if (any || err.kind == RE2::Set::kNoError) {
            for (int h : hits)
              t->leaf[static_cast<size_t>(regex[static_cast<size_t>(h)]->leaf)][tv] = 1;
            done = true;
          }
        }
        if (!done) {
          in_context();
          for (const Condition* c : regex) {
            t->leaf[static_cast<size_t>(c->leaf)][tv] = Evaluate(*c, ctx) ? 1 : 0;
          }
        }
      }
    });
  }
  // Whole rules on one field, from the leaf tables.
  auto one_field = [&](const Condition& when) {
    std::vector<const Condition*> leaves;
    FieldLeaves(when, &leaves);
    if (leaves.empty() || when.UsesProperties()) return -1;
    for (const Condition* l : leaves) {
      if (l->field != leaves[0]->field || l->leaf < 0 || l->leaf >= p.field_leaves) return -1;
    }
    return leaves[0]->field;
  };
  auto whole = [&](const Condition& when, int32_t* field, std::vector<uint8_t>* table) {
    *field = one_field(when);
    if (*field < 0) return;
    table->assign(ntv + 1, 0);
    auto classify = [&](uint32_t tv) {
      (*table)[tv] = EvaluateTree(when,
                                  [&](const Condition& l) {
                                    return t->leaf[static_cast<size_t>(l.leaf)][tv] != 0;
                                  })
                         ? 1
                         : 0;
    };
    for (uint32_t tv : by_field[static_cast<size_t>(*field)]) classify(tv);
    classify(static_cast<uint32_t>(ntv));
  };
  t->fit_field.assign(p.fit.size(), -1);
  t->fit_class.assign(p.fit.size(), {});
  for (size_t i = 0; i < p.fit.size(); ++i)
    whole(p.fit[i].when, &t->fit_field[i], &t->fit_class[i]);
  t->dq_field.assign(p.disqualify.size(), -1);
  t->dq_class.assign(p.disqualify.size(), {});
  for (size_t i = 0; i < p.disqualify.size(); ++i) {
    const DisqualifyRule& r = p.disqualify[i];
    if (!r.event && r.when) whole(*r.when, &t->dq_field[i], &t->dq_class[i]);
  }
  // What ComputeFitHeld gives on no traits (the start of every lead).
  t->none_held.assign(p.fit.size(), 0);
  t->none_fit = 0;
  for (size_t i = 0; i < p.fit.size(); ++i) {
    if (!Evaluate(p.fit[i].when, none_ctx)) continue;
    t->none_fit += p.fit[i].points;
    t->none_held[i] = 1;
  }
  t->classified = true;
}

// The encoded events of one lead as the Folder's source (fold_core.h).
class EncodedSource {
 public:
  EncodedSource(const EncodedEvents& log, size_t begin, size_t end, const ReplayClassifier* c)
      : log_(log),
        ts_(log.ts.data() + begin),
        type_(log.type.data() + begin),
        prop_(log.prop.data() + begin),
        act_(log.act.data() + begin),
        n_(end - begin),
        c_(c) {}
  size_t CountUpTo(Micros as_of) const {
    if (as_of == INT64_MAX) return n_;
    size_t k = 0;
    while (k < n_ && ts_[k] <= as_of) ++k;  // in timeline order
    return k;
  }
  void PrefetchAhead(size_t) const {}
  Micros ts(size_t i) const { return ts_[i]; }
  EventType type(size_t i) const { return type_[i]; }
  const Props& props(size_t i) const { return log_.props[prop_[i]]; }
  void SetVersion(size_t v, const Playbook&) { v_ = &c_->versions_[v]; }
  const Playbook::EventRules* Rules(size_t i) const { return v_->rules[log_.act_name[act_[i]]]; }
  [[gnu::always_inline]] void Score(EngagementState& eng, size_t i,
                                    const Playbook::EventRules* rules, const FieldValue* fields,
                                    MatchCache* cache) {
    const ReplayClassifier::Plan& plan = v_->plans[act_[i]];
    if (!plan.eng_per_event) {
      eng.AddMatched(v_->plan_rules.data() + plan.eng_begin, plan.eng_n, ts_[i]);
      return;
    }
    const Props* props = &log_.props[prop_[i]];
    eng.AddWith(rules, ts_[i], [&](int, const Condition& when) {
      return Evaluate(when, EvalContext{fields, props, cache, nullptr, nullptr});
    });
  }
  bool DisqualifyWhen(size_t i, int idx, const Condition& when, const EvalContext& ctx) {
    const ReplayClassifier::Plan& plan = v_->plans[act_[i]];
    if (plan.dq_per_event) return Evaluate(when, ctx);
    const int32_t* r = v_->plan_rules.data() + plan.dq_begin;
    return std::find(r, r + plan.dq_n, idx) != r + plan.dq_n;
  }
  template <class Fn>
  void ForEachTrait(size_t i, Fn&& fn) {
    const uint32_t pid = prop_[i];
    const Props& props = log_.props[pid];
    const uint32_t* keys = log_.prop_keys.data() + log_.prop_key_begin[pid];
    for (size_t k = 0; k < props.size(); ++k) {
      fn(v_->key_field[keys[k]], props[k].first, props[k].second);
    }
  }
  // The classified traits (fold_core.h, Folder's classified path): every
  // identify's traits with their trait value id, the typed value of an id,
  // and a field leaf's classified result on an id.
  static constexpr bool kClassifiedTraits = true;
  template <class Fn>
  void ForEachTraitValue(size_t i, Fn&& fn) {
    const uint32_t pid = prop_[i];
    const Props& props = log_.props[pid];
    const uint32_t* tvs = log_.prop_tvals.data() + log_.prop_key_begin[pid];
    for (size_t k = 0; k < props.size(); ++k) {
      fn(v_->tv_field[tvs[k]], tvs[k], props[k].first, props[k].second);
    }
  }
  uint32_t MissingValue() const { return static_cast<uint32_t>(log_.tval_key.size()); }
  bool NeedsFields(size_t i) const {
    const ReplayClassifier::Plan& plan = v_->plans[act_[i]];
    return plan.eng_per_event || plan.dq_per_event;
  }
  const FieldValue& Typed(uint32_t tv) const { return *v_->tv_typed[tv]; }
  // Fit rule / trait disqualify rule i on the fields' value ids: its result
  // (0/1), or -1 when it is not classified whole (several fields).
  int FitHolds(size_t i, const uint32_t* field_tv) const {
    const int32_t f = v_->fit_field[i];
    return f < 0 ? -1 : v_->fit_class[i][field_tv[f]];
  }
  int DisqualifyHolds(size_t i, const uint32_t* field_tv) const {
    const int32_t f = v_->dq_field[i];
    return f < 0 ? -1 : v_->dq_class[i][field_tv[f]];
  }
  // ComputeFitHeld on no traits.
  double NoTraitsFit(std::vector<uint8_t>* held) const {
    held->assign(v_->none_held.begin(), v_->none_held.end());
    return v_->none_fit;
  }
  // Field leaf c on value tv: its result (0/1), or -1 when not classified.
  int Leaf(const Condition& c, uint32_t tv) const {
    if (c.leaf < 0 || static_cast<size_t>(c.leaf) >= v_->leaf.size()) return -1;
    const auto& table = v_->leaf[static_cast<size_t>(c.leaf)];
    if (table.empty()) return -1;
    return table[tv];
  }

 private:
  const EncodedEvents& log_;
  const Micros* ts_;
  const EventType* type_;
  const uint32_t* prop_;
  const uint32_t* act_;
  size_t n_;
  const ReplayClassifier* c_;
  const ReplayClassifier::Version* v_ = nullptr;
};

LeadState FoldEncoded(const std::string& lead_id, const EncodedEvents& log, size_t begin,
                      size_t end, const std::vector<const Action*>& actions,
                      const std::vector<PlaybookVersion>& versions, const FoldOptions& opts,
                      const ReplayClassifier* classifier) {
  EncodedSource src(log, begin, end, classifier);
  fold_internal::Folder<EncodedSource> f(lead_id, versions, opts);
  return f.Run(src, actions);
}

}  // namespace leadgate
