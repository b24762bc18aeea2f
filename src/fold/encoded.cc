#include "fold/encoded.h"

#include <cstring>

#include "fold/fold_core.h"

namespace leadgate {
namespace {

void AppendBytes(std::string* k, const void* p, size_t n) {
  k->append(static_cast<const char*>(p), n);
}
void AppendText(std::string* k, const std::string& s) {
  const uint64_t n = s.size();
  AppendBytes(k, &n, sizeof n);
  k->append(s);
}

}  // namespace

uint32_t EventEncoder::NameId(const std::string& name) {
  auto [it, fresh] = names_.try_emplace(name, static_cast<uint32_t>(out_->names.size()));
  if (fresh) out_->names.push_back(name);
  return it->second;
}

uint32_t EventEncoder::PropId(const Props& props) {
  // The key of a property set: every entry's name and value, exactly (the
  // value's kind, flag, number bits and text), in order.
  key_.clear();
  for (const auto& [k, v] : props) {
    AppendText(&key_, k);
    const uint8_t kind = static_cast<uint8_t>(v.kind), b = v.b ? 1 : 0;
    AppendBytes(&key_, &kind, 1);
    AppendBytes(&key_, &b, 1);
    AppendBytes(&key_, &v.num, sizeof v.num);
    AppendText(&key_, v.str);
  }
  auto [it, fresh] = props_.try_emplace(key_, static_cast<uint32_t>(out_->props.size()));
  if (fresh) {
    out_->props.push_back(props);
    out_->prop_key_begin.push_back(static_cast<uint32_t>(out_->prop_keys.size()));
    for (const auto& kv : props) {
      auto [kit, kfresh] = keys_.try_emplace(kv.first, static_cast<uint32_t>(out_->keys.size()));
      if (kfresh) out_->keys.push_back(kv.first);
      out_->prop_keys.push_back(kit->second);
    }
  }
  return it->second;
}

void EventEncoder::Add(const Event& e) {
  const uint32_t n = NameId(e.name), p = PropId(e.props);
  out_->ts.push_back(e.ts);
  out_->type.push_back(e.type);
  out_->name.push_back(n);
  out_->prop.push_back(p);
}

void EventEncoder::Append(const EncodedEvents& other) {
  std::vector<uint32_t> names(other.names.size()), props(other.props.size());
  for (size_t i = 0; i < names.size(); ++i) names[i] = NameId(other.names[i]);
  for (size_t i = 0; i < props.size(); ++i) props[i] = PropId(other.props[i]);
  out_->ts.insert(out_->ts.end(), other.ts.begin(), other.ts.end());
  out_->type.insert(out_->type.end(), other.type.begin(), other.type.end());
  for (uint32_t n : other.name) out_->name.push_back(names[n]);
  for (uint32_t p : other.prop) out_->prop.push_back(props[p]);
}

void ReplayClassifier::Prepare(const EncodedEvents& log,
                               const std::vector<PlaybookVersion>& versions, bool keep) {
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
    if (t.classified && t.eng_props_only.size() == p.engagement.size() &&
        t.disq_props_only.size() == p.disqualify.size()) {
      continue;
    }
    t.classified = true;
    t.eng_props_only.assign(p.engagement.size(), 0);
    for (size_t i = 0; i < p.engagement.size(); ++i) {
      const auto& w = p.engagement[i].when;
      t.eng_props_only[i] = w && !w->UsesFields();
    }
    t.disq_props_only.assign(p.disqualify.size(), 0);
    for (size_t i = 0; i < p.disqualify.size(); ++i) {
      const auto& w = p.disqualify[i].when;
      t.disq_props_only[i] = w && !w->UsesFields();
    }
    t.eng_class.assign(p.engagement.size(), {});
    t.disq_class.assign(p.disqualify.size(), {});
  }
}

// The encoded events of one lead as the Folder's source (fold_core.h).
class EncodedSource {
 public:
  EncodedSource(const EncodedEvents& log, size_t begin, size_t end, ReplayClassifier* c)
      : log_(log),
        ts_(log.ts.data() + begin),
        type_(log.type.data() + begin),
        name_(log.name.data() + begin),
        prop_(log.prop.data() + begin),
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
  const Playbook::EventRules* Rules(size_t i) const { return v_->rules[name_[i]]; }
  void Score(EngagementState& eng, size_t i, const Playbook::EventRules* rules,
             const FieldValue* fields, MatchCache* cache) {
    const uint32_t pid = prop_[i];
    eng.AddWith(rules, ts_[i], [&](int idx, const Condition& when) {
      const size_t r = static_cast<size_t>(idx);
      if (!v_->eng_props_only[r]) {
        return Evaluate(when, EvalContext{fields, &log_.props[pid], cache, nullptr, nullptr});
      }
      return Classified(&v_->eng_class[r], pid, when, cache);
    });
  }
  bool DisqualifyWhen(size_t i, int idx, const Condition& when, const EvalContext& ctx) {
    const size_t r = static_cast<size_t>(idx);
    if (!v_->disq_props_only[r]) return Evaluate(when, ctx);
    return Classified(&v_->disq_class[r], prop_[i], when, ctx.cache);
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

 private:
  // The property-only `when` on property set `pid`, evaluated on first use.
  bool Classified(std::vector<uint8_t>* table, uint32_t pid, const Condition& when,
                  MatchCache* cache) {
    if (table->empty()) table->assign(log_.props.size(), 0);
    uint8_t& c = (*table)[pid];
    if (c == 0) {
      c = Evaluate(when, EvalContext{nullptr, &log_.props[pid], cache, nullptr, nullptr}) ? 2 : 1;
    }
    return c == 2;
  }

  const EncodedEvents& log_;
  const Micros* ts_;
  const EventType* type_;
  const uint32_t* name_;
  const uint32_t* prop_;
  size_t n_;
  ReplayClassifier* c_;
  ReplayClassifier::Version* v_ = nullptr;
};

LeadState FoldEncoded(const std::string& lead_id, const EncodedEvents& log, size_t begin,
                      size_t end, const std::vector<const Action*>& actions,
                      const std::vector<PlaybookVersion>& versions, const FoldOptions& opts,
                      ReplayClassifier* classifier) {
  EncodedSource src(log, begin, end, classifier);
  fold_internal::Folder<EncodedSource> f(lead_id, versions, opts);
  return f.Run(src, actions);
}

}  // namespace leadgate
