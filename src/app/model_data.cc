// Engine: the training table from the store's history, predictions at read
// time, the queue by probability (docs/predictive.md).
#include "app/model_data.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "app/model_store.h"
#include "app/projection.h"

namespace leadgate {
namespace {

constexpr const char* kFit = "fit score";
constexpr const char* kEngagement = "engagement score";
constexpr const char* kEvents = "events";
constexpr const char* kRecency = "days since last activity";

bool ZeroDefault(std::string_view name) {
  return name == kFit || name == kEngagement || name == kEvents || name.substr(0, 5) == "rule " ||
         name.substr(0, 6) == "event ";
}

bool BehaviourName(std::string_view name) { return ZeroDefault(name) || name == kRecency; }

std::string Lower(std::string_view s) {
  std::string o;
  for (char c : s) o += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

// Contact details and identifiers: unique per lead, nothing to learn, and
// personal data the model should not hold.
bool SkipTrait(const std::string& key) {
  static const std::unordered_set<std::string_view> kSkip = {
      "email",     "phone",    "first_name", "last_name", "name",
      "firstname", "lastname", "mobile",     "address",   "id"};
  auto skip = [&](std::string_view k) {
    return kSkip.count(k) > 0 || (k.size() > 3 && k.substr(k.size() - 3) == "_id") ||
           BehaviourName(k);
  };
  for (char c : key)
    if (c >= 'A' && c <= 'Z') return skip(Lower(key));
  return skip(key);
}

std::vector<const Event*> EventPtrs(const std::vector<const Event*>& v, Micros upto) {
  std::vector<const Event*> out;
  for (const Event* e : v)
    if (e->ts <= upto) out.push_back(e);
  return out;
}

std::vector<const Action*> ActionPtrs(const std::vector<Action>& v) {
  std::vector<const Action*> out;
  for (const Action& a : v) out.push_back(&a);
  return out;
}

std::string TraitText(const LeadState& s, std::initializer_list<const char*> keys) {
  for (const char* k : keys) {
    auto it = s.traits.find(k);
    if (it != s.traits.end() && !it->second.is_null() && it->second.kind != Value::Kind::kNested) {
      std::string v = it->second.ToText();
      while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
      size_t b = 0;
      while (b < v.size() && std::isspace(static_cast<unsigned char>(v[b]))) ++b;
      if (b < v.size()) return v.substr(b);
    }
  }
  return "";
}

std::vector<std::string> TitleWords(const std::string& title) {
  static const std::set<std::string> kStop = {"of", "and", "the", "for", "at", "in", "to", "a"};
  std::vector<std::string> out;
  std::string w;
  for (char c : title + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      if (w.size() >= 2 && !kStop.count(w)) out.push_back(w);
      w.clear();
    }
  }
  return out;
}

// The path of a page URL: no scheme, host, query or fragment.
std::string PagePath(const std::string& url) {
  std::string u = url;
  if (auto p = u.find("://"); p != std::string::npos) {
    auto slash = u.find('/', p + 3);
    u = slash == std::string::npos ? "/" : u.substr(slash);
  }
  if (auto q = u.find_first_of("?#"); q != std::string::npos) u = u.substr(0, q);
  if (u.empty()) u = "/";
  return u;
}

// The patterns `model suggest` counts (deduplicated per lead), as
// "kind\tkey\tvalue": the rules that counted, the source, the industry,
// the job-title words and the pages visited.
std::vector<std::string> Tokens(const LeadState& s, const std::vector<const Event*>& events) {
  std::set<std::string> t;
  for (const auto& l : s.explanation)
    if ((l.kind == "fit" || l.kind == "engagement") && !l.rule.empty())
      t.insert("rule\t\t" + l.rule);
  auto trait = [&](std::initializer_list<const char*> keys, const char* kind) {
    for (const char* k : keys) {
      const std::string v = TraitText(s, {k});
      if (!v.empty()) {
        t.insert(std::string(kind) + "\t" + k + "\t" + v);
        return;
      }
    }
  };
  trait({"lead_source", "source", "utm_source"}, "source");
  trait({"industry"}, "industry");
  for (const char* k : {"job_title", "title"}) {
    const std::string v = TraitText(s, {k});
    if (v.empty()) continue;
    for (const auto& w : TitleWords(v)) t.insert(std::string("title word\t") + k + "\t" + w);
    break;
  }
  for (const Event* e : events) {
    if (e->type != EventType::kPage) continue;
    for (const char* k : {"url", "path"}) {
      const Value* u = FindProp(e->props, k);
      if (u && u->kind == Value::Kind::kString && !u->str.empty()) {
        t.insert(std::string("page\t") + k + "\t" + PagePath(u->str));
        break;
      }
    }
  }
  return {t.begin(), t.end()};
}

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

}  // namespace

const char* TrainLabelName(TrainLabel l) { return l == TrainLabel::kSql ? "sql" : "won"; }

void LeadFeaturesInto(const LeadState& s, Micros t, std::vector<FeatureCell>* out) {
  // Reuses the cells (and their strings' capacity) already in *out.
  size_t used = 0;
  auto next = [&]() -> FeatureCell& {
    if (used == out->size()) out->emplace_back();
    FeatureCell& c = (*out)[used++];
    c.numeric = false;
    c.num = 0;
    c.zero_default = false;
    c.text.clear();
    return c;
  };
  for (const auto& [k, v] : s.traits) {
    if (v.is_null() || v.kind == Value::Kind::kNested || SkipTrait(k)) continue;
    if (v.kind == Value::Kind::kString) {
      size_t e = v.str.size();
      while (e > 0 && std::isspace(static_cast<unsigned char>(v.str[e - 1]))) --e;
      if (e == 0) continue;
      FeatureCell& c = next();
      c.name.assign(k);
      c.text.assign(v.str, 0, e);
      double x = 0;
      if (ParseNumber(c.text, &x) && std::isfinite(x)) {
        c.numeric = true;
        c.num = x;
      }
      continue;
    }
    FeatureCell& c = next();
    c.name.assign(k);
    if (v.kind == Value::Kind::kNumber) {
      c.numeric = std::isfinite(v.num);
      c.num = v.num;
      if (!c.numeric) c.text = v.ToText();  // else formatted only if a categorical column needs it
    } else {
      c.text.assign(v.b ? "true" : "false");
    }
  }
  auto num = [&](std::string_view prefix, std::string_view name, double x) {
    FeatureCell& c = next();
    c.name.assign(prefix);
    c.name.append(name);
    c.numeric = true;
    c.num = x;
    c.zero_default = ZeroDefault(c.name);
  };
  num("", kFit, s.fit);
  num("", kEngagement, s.engagement);
  num("", kEvents, static_cast<double>(s.events));
  for (const auto& l : s.explanation) {
    if (l.rule.empty()) continue;
    if (l.kind == "fit") num("rule ", l.rule, 1);
    if (l.kind == "engagement") num("rule ", l.rule, static_cast<double>(l.count));
  }
  for (const auto& [name, count] : s.event_counts) num("event ", name, static_cast<double>(count));
  num("", kRecency,
      s.last_activity_at ? std::max(0.0, static_cast<double>(t - *s.last_activity_at) / kDay)
                         : kNan);
  out->resize(used);
}

std::vector<FeatureCell> LeadFeatures(const LeadState& s, Micros t) {
  std::vector<FeatureCell> cells;
  LeadFeaturesInto(s, t, &cells);
  return cells;
}

model::Dataset BuildFeatureTable(const std::vector<std::vector<FeatureCell>>& rows,
                                 const std::vector<std::pair<std::string, bool>>* schema,
                                 size_t count) {
  model::Dataset d;
  std::unordered_map<std::string, size_t> col;
  if (schema) {
    for (const auto& [name, numeric] : *schema) {
      col.emplace(name, d.columns.size());
      model::Column c;
      c.name = name;
      c.numeric = numeric;
      d.columns.push_back(std::move(c));
    }
  } else {
    // Columns in order of first sight; numeric when every present cell is.
    std::vector<uint8_t> all_numeric;
    for (const auto& r : rows)
      for (const FeatureCell& c : r) {
        auto [it, fresh] = col.emplace(c.name, d.columns.size());
        if (fresh) {
          model::Column mc;
          mc.name = c.name;
          d.columns.push_back(std::move(mc));
          all_numeric.push_back(1);
        }
        if (!c.numeric) all_numeric[it->second] = 0;
      }
    for (size_t k = 0; k < d.columns.size(); ++k) d.columns[k].numeric = all_numeric[k] != 0;
    // Behaviour columns last, in a stable order (traits first, as seen).
    std::stable_partition(d.columns.begin(), d.columns.end(),
                          [](const model::Column& c) { return !BehaviourName(c.name); });
    col.clear();
    for (size_t k = 0; k < d.columns.size(); ++k) col.emplace(d.columns[k].name, k);
  }
  const size_t n = std::min(count, rows.size());
  std::vector<std::unordered_map<std::string, int32_t>> level_of(d.columns.size());
  for (size_t k = 0; k < d.columns.size(); ++k) {
    model::Column& c = d.columns[k];
    if (c.numeric)
      c.num.assign(n, ZeroDefault(c.name) ? 0.0 : kNan);
    else
      c.code.assign(n, -1);
  }
  for (size_t i = 0; i < n; ++i) {
    for (const FeatureCell& cell : rows[i]) {
      auto it = col.find(cell.name);
      if (it == col.end()) continue;
      model::Column& c = d.columns[it->second];
      if (c.numeric) {
        c.num[i] = cell.numeric ? cell.num : kNan;
      } else {
        auto& levels = level_of[it->second];
        std::string formatted;
        const std::string& text =
            cell.numeric && cell.text.empty() ? (formatted = FormatNumber(cell.num)) : cell.text;
        auto lv = levels.find(text);
        if (lv == levels.end()) {
          lv = levels.emplace(text, static_cast<int32_t>(c.levels.size())).first;
          c.levels.push_back(text);
        }
        c.code[i] = lv->second;
      }
    }
  }
  for (model::Column& c : d.columns) {
    if (c.numeric)
      for (double x : c.num) c.missing += std::isnan(x);
    else
      for (int32_t k : c.code) c.missing += k < 0;
  }
  d.y.assign(n, 0);
  d.line.resize(n);
  d.record.resize(n);
  for (size_t i = 0; i < n; ++i) d.line[i] = d.record[i] = static_cast<int64_t>(i);
  return d;
}

Result<TrainingTable> Engine::TrainingData(const TrainingOptions& opt) {
  if (Status r = ReloadVersionsIfChanged(); !r.ok()) return r;
  TrainingTable t;
  std::vector<std::vector<FeatureCell>> rows;
  std::vector<uint8_t> y;
  const FoldOptions full_opts = Options(opt.at);
  const bool sql = opt.label == TrainLabel::kSql;
  Status s =
      store_->ForEachLead(true, [&](const std::string& id, const std::vector<const Event*>& events,
                                    std::vector<Action>& actions) {
        const auto acts = ActionPtrs(actions);
        LeadState full = Fold(id, events, acts, versions_, full_opts);
        if (!full.exists) return Status::Ok();
        ++t.leads;
        std::optional<Micros> pos_at, neg_at;
        for (const HistoryEntry& h : full.history) {
          const bool reached =
              sql ? (h.to == Stage::kSql || h.to == Stage::kOpportunity || h.to == Stage::kWon)
                  : h.to == Stage::kWon;
          if (reached) {
            pos_at = h.at;
            break;
          }
        }
        if (!pos_at) {
          const bool ended = full.stage == Stage::kLost || full.stage == Stage::kDisq ||
                             (sql && full.stage == Stage::kNurture);
          if (ended)
            for (const HistoryEntry& h : full.history)
              if (h.to == full.stage) neg_at = h.at;  // the last entry into the final stage
        }
        if (!pos_at && !neg_at) {
          ++t.open_excluded;
          return Status::Ok();
        }
        const Micros label_at = pos_at ? *pos_at : *neg_at;
        const Micros cut = label_at - 1;  // just before the outcome: nothing after it leaks in
        const auto before_events = EventPtrs(events, cut);
        LeadState before = Fold(id, before_events, acts, versions_, Options(cut));
        if (!before.exists) {
          ++t.no_history;  // decided at its first event: nothing known before the outcome
          return Status::Ok();
        }
        rows.push_back(LeadFeatures(before, cut));
        t.tokens.push_back(Tokens(before, before_events));
        y.push_back(pos_at ? 1 : 0);
        t.lead.push_back(id);
        t.label_at.push_back(label_at);
        return Status::Ok();
      });
  if (!s.ok()) return s;
  int64_t pos = 0;
  for (uint8_t v : y) pos += v;
  const int64_t neg = static_cast<int64_t>(y.size()) - pos;
  const std::string what = sql ? "reached sql" : "won";
  const std::string other =
      sql ? "closed without reaching sql (lost, disqualified or nurture)" : "lost or disqualified";
  const std::string counts =
      std::to_string(t.leads) + " leads, " + std::to_string(t.open_excluded) + " still open" +
      (t.no_history ? ", " + std::to_string(t.no_history) + " decided at their first event" : "");
  if (y.empty())
    return Status::Invalid("no closed leads: need leads that " + what + " and leads that ended " +
                           other + " to learn from (this store has " + counts + ")");
  if (pos == 0)
    return Status::Invalid("no lead " + what + " among the " + std::to_string(neg) +
                           " closed ones: one class only, nothing to learn (" + counts + ")");
  if (neg == 0)
    return Status::Invalid("every one of the " + std::to_string(pos) + " closed leads " + what +
                           ": one class only, need some that ended " + other + " (" + counts + ")");
  t.data = BuildFeatureTable(rows, nullptr);
  t.data.y = std::move(y);
  t.data.label = sql ? "reached sql" : "won";
  t.data.positive = sql ? "sql" : "won";
  t.first_label = *std::min_element(t.label_at.begin(), t.label_at.end());
  t.last_label = *std::max_element(t.label_at.begin(), t.label_at.end());
  return t;
}

Result<std::shared_ptr<ActiveModel>> Engine::LoadActiveModel() {
  auto v = ActiveModelVersion(*store_);
  if (!v.ok()) return v.status();
  if (*v == 0) {
    model_.reset();
    return std::shared_ptr<ActiveModel>();
  }
  if (model_ && model_->version == *v) return model_;
  auto rec = GetModel(*store_, *v);
  if (!rec.ok()) return rec.status();
  if (!*rec) return std::shared_ptr<ActiveModel>();
  auto j = nlohmann::json::parse((*rec)->model, nullptr, false);
  if (j.is_discarded())
    return Status::Invalid("model version " + std::to_string(*v) +
                           ": the stored model is not JSON");
  auto m = model::StoredModel::FromJson(j);
  if (!m.ok()) return m.status();
  auto am = std::make_shared<ActiveModel>();
  am->version = *v;
  am->label = (*rec)->label;
  am->model = std::move(*m);
  model_ = am;
  return am;
}

Result<std::optional<Prediction>> Engine::Predict(const LeadState& s, Micros at) {
  auto am = LoadActiveModel();
  if (!am.ok()) return am.status();
  if (!*am) return std::optional<Prediction>();
  ActiveModel& m = **am;
  const model::Dataset d = BuildFeatureTable({LeadFeatures(s, at)}, &m.model->columns);
  auto p = m.model->Score(d);
  if (!p.ok()) return p.status();
  auto f = m.model->Explain(d, 0, 5);
  if (!f.ok()) return f.status();
  Prediction out;
  out.probability = (*p)[0];
  out.model_version = m.version;
  out.kind = m.model->kind;
  out.label = m.label;
  for (auto& x : *f) out.factors.push_back({std::move(x.feature), std::move(x.value), x.effect});
  return std::optional<Prediction>(std::move(out));
}

void Engine::AttachPrediction(ShowResult* r) {
  LeadState s = r->state;
  if (s.events == 0) s.events = r->event_count;
  if (s.first_at == 0 && !r->events.empty()) s.first_at = r->events.front().ts;
  auto p = Predict(s, r->as_of);
  if (p.ok())
    r->prediction = std::move(*p);
  else
    r->state.warnings.push_back("no prediction: " + p.status().message());
}

Result<std::vector<QueueRow>> Engine::QueueByProbability(Micros at, std::optional<Stage> stage,
                                                         int64_t limit, bool refold) {
  auto am = LoadActiveModel();
  if (!am.ok()) return am.status();
  if (!*am)
    return Status::Invalid(
        "no model to sort by: train one with 'leadgate model train' (docs/predictive.md)");
  ActiveModel& m = **am;
  if (limit <= 0) limit = INT64_MAX;
  auto better = [](const QueueRow& a, const QueueRow& b) {
    if (*a.probability != *b.probability) return *a.probability > *b.probability;
    return a.id < b.id;
  };
  std::vector<QueueRow> top, batch;
  std::vector<std::vector<FeatureCell>> cells;  // reused from batch to batch
  size_t used = 0;
  Status inner = Status::Ok();
  auto flush = [&]() {
    if (batch.empty()) return;
    const model::Dataset d = BuildFeatureTable(cells, &m.model->columns, used);
    auto p = m.model->Score(d);
    if (!p.ok()) {
      inner = p.status();
    } else {
      for (size_t i = 0; i < batch.size(); ++i) {
        batch[i].probability = (*p)[i];
        const bool full = static_cast<int64_t>(top.size()) >= limit;
        if (full && !better(batch[i], top.front())) continue;  // not in the top N
        top.push_back(std::move(batch[i]));
        std::push_heap(top.begin(), top.end(), better);
        if (static_cast<int64_t>(top.size()) > limit) {
          std::pop_heap(top.begin(), top.end(), better);
          top.pop_back();
        }
      }
    }
    batch.clear();
    used = 0;
  };
  auto add = [&](const LeadState& st) {
    if (!IsOpen(st.stage) || (stage && st.stage != *stage)) return;
    batch.push_back({st.id, st.stage, st.fit, st.engagement, st.total, st.owner, {}, std::nullopt});
    if (used == cells.size()) cells.emplace_back();
    LeadFeaturesInto(st, at, &cells[used++]);
    if (batch.size() >= 65536) flush();
  };
  auto current = ProjectionsCurrentAt(at);
  if (!current.ok()) return current.status();
  Status s = Status::Ok();
  if (*current && !refold) {
    const Playbook& pb = PlaybookAt(at);
    s = store_->ForEachProjection([&](Store::StoredLead& l) {
      if (!IsOpen(l.row.stage) || (stage && l.row.stage != *stage)) return Status::Ok();
      LeadState st;
      st.id = l.row.id;
      st.stage = l.row.stage;
      st.fit = l.row.fit;
      st.engagement_sum_at_ref = l.row.eng_sum;
      st.engagement_ref = l.row.eng_ref;
      st.owner = l.row.owner;
      st.first_at = l.row.first_at;
      st.playbook_version = l.playbook_version;
      int64_t n = 0;
      if (Status d = DecodeProjection(l.state, &st, &n, &PlaybookOf(st)); !d.ok()) return d;
      st.events = n;
      st.first_at = l.row.first_at;
      AdvanceTo(&st, at, pb);
      add(st);
      return inner;
    });
  } else {
    s = FoldAll(at, [&](const LeadState& st) {
      add(st);
      return inner;
    });
  }
  if (!s.ok()) return s;
  flush();
  if (!inner.ok()) return inner;
  std::sort(top.begin(), top.end(), better);
  for (QueueRow& row : top) {
    auto who = store_->LeadWho(row.id);
    if (who.ok()) row.who = std::move(*who);
    if (top.size() > 1000) break;
  }
  return top;
}

}  // namespace leadgate
