// YAML -> validated, compiled Playbook. Every error names file:line:column and
// says, in words a sales-ops person understands, what is wrong.
#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "playbook/playbook.h"

namespace leadgate {
namespace {

class LoadError : public std::exception {
 public:
  explicit LoadError(std::string m) : message(std::move(m)) {}
  std::string message;
};

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& what) const {
    auto m = at.Mark();
    std::ostringstream os;
    os << file_ << ":" << (m.line + 1) << ":" << (m.column + 1) << ": " << what;
    throw LoadError(os.str());
  }

  void CheckKeys(const YAML::Node& map, const std::set<std::string>& allowed,
                 const std::string& where) const {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string k = it->first.Scalar();
      if (!allowed.count(k)) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        Fail(it->first, "unknown key '" + k + "' in " + where + " (expected one of: " + list + ")");
      }
      if (!seen.insert(k).second) {
        Fail(it->first, "key '" + k + "' appears twice in " + where + ": keep one");
      }
      static const std::set<std::string> kMayBeEmpty = {"fields", "fit", "engagement", "disqualify",
                                                        "rules"};
      if (it->second.IsNull() && !kMayBeEmpty.count(k)) {
        Fail(it->first, "'" + k + "' in " + where + " has no value");
      }
    }
  }

  YAML::Node Need(const YAML::Node& map, const char* key, const std::string& where) const {
    YAML::Node n = map[key];
    if (!n) Fail(map, where + " needs '" + key + "'");
    return n;
  }

  void NeedMap(const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) Fail(n, what + " must be a map of key: value");
  }
  void NeedSeq(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) Fail(n, what + " must be a list");
  }

  std::string Text(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) Fail(n, what + " must be a text value");
    return n.Scalar();
  }

  double Number(const YAML::Node& n, const std::string& what) const {
    double d;
    if (!n.IsScalar() || !ParseNumber(n.Scalar(), &d)) {
      Fail(n,
           what + " must be a number, not '" + (n.IsScalar() ? n.Scalar() : "a list or map") + "'");
    }
    return d;
  }

  Micros Duration(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) Fail(n, what + " must be a duration like 30d, 12h, 5m");
    auto d = ParseDuration(n.Scalar());
    if (!d || *d <= 0) {
      Fail(n, what +
                  " must be a positive duration: a whole number followed by s, m, h, d or w "
                  "(like 30d or 5m), not '" +
                  n.Scalar() + "'");
    }
    return *d;
  }

  std::string RuleId(const YAML::Node& rule, const std::string& where) {
    YAML::Node n = Need(rule, "id", where);
    std::string id = Text(n, "a rule id");
    static const RE2 kId("[a-z0-9][a-z0-9_-]*");
    if (!RE2::FullMatch(id, kId)) {
      Fail(n, "rule id '" + id +
                  "' is not valid: use lower-case letters, digits, '-' and '_', starting with a "
                  "letter or digit");
    }
    if (!ids_.insert(id).second) Fail(n, "duplicate rule id '" + id + "': rule ids must be unique");
    return id;
  }

  // A YAML scalar as a property operand: plain scalars may be numbers/bools.
  Value PropertyOperand(const YAML::Node& n) const {
    if (!n.IsScalar()) Fail(n, "a condition value must be a single value, not a list or map");
    const std::string& s = n.Scalar();
    if (n.Tag() == "?") {
      if (s == "true" || s == "True" || s == "TRUE") return Value::Bool(true);
      if (s == "false" || s == "False" || s == "FALSE") return Value::Bool(false);
      double d;
      if (ParseNumber(s, &d)) return Value::Number(d);
    }
    return Value::String(TextKey(s));
  }

  Value FieldOperand(const YAML::Node& n, const FieldDef& f) const {
    if (!n.IsScalar()) Fail(n, "a condition value must be a single value, not a list or map");
    const std::string& s = n.Scalar();
    switch (f.type) {
      case FieldType::kText:
        return Value::String(TextKey(s));
      case FieldType::kNumber: {
        double d;
        if (!ParseNumber(s, &d)) {
          Fail(n,
               "field '" + f.name + "' is a number, so compare it with a number, not '" + s + "'");
        }
        return Value::Number(d);
      }
      case FieldType::kBool: {
        std::string k = TextKey(s);
        if (k != "true" && k != "false") {
          Fail(n, "field '" + f.name + "' is a bool, so compare it with true or false, not '" + s +
                      "'");
        }
        return Value::Bool(k == "true");
      }
      case FieldType::kTime: {
        auto t = ParseDateOrTime(s);
        if (!t) {
          Fail(n, "field '" + f.name + "' is a time, so compare it with an RFC 3339 time, not '" +
                      s + "'");
        }
        return Value::Number(static_cast<double>(*t));
      }
    }
    return Value::String(s);
  }

  double NumericOperand(const YAML::Node& n, const FieldDef* f) const {
    if (f && f->type == FieldType::kTime) {
      if (!n.IsScalar()) Fail(n, "expected an RFC 3339 time");
      auto t = ParseDateOrTime(n.Scalar());
      if (!t) Fail(n, "field '" + f->name + "' is a time: '" + n.Scalar() + "' is not RFC 3339");
      return static_cast<double>(*t);
    }
    return Number(n, "this comparison's value");
  }

  Condition ParseCondition(const YAML::Node& n, bool allow_property) {
    if (!n.IsMap()) Fail(n, "a condition must be a map like { field: industry, equals: software }");
    Condition c;
    static const std::set<std::string> kComb = {"all", "any", "not"};
    static const std::set<std::string> kOps = {"equals", "not_equals", "in", "matches", "gte",
                                               "gt",     "lte",        "lt", "between", "exists"};
    for (const char* comb : {"all", "any", "not"}) {
      if (!n[comb]) continue;
      if (n.size() != 1) {
        Fail(n, std::string("'") + comb + "' must be the only key of its condition");
      }
      YAML::Node body = n[comb];
      if (std::string(comb) == "not") {
        c.op = Condition::Op::kNot;
        c.children.push_back(ParseCondition(body, allow_property));
      } else {
        c.op = std::string(comb) == "all" ? Condition::Op::kAll : Condition::Op::kAny;
        NeedSeq(body, std::string("'") + comb + "'");
        if (body.size() == 0)
          Fail(body, std::string("'") + comb + "' needs at least one condition");
        for (const auto& ch : body) c.children.push_back(ParseCondition(ch, allow_property));
      }
      return c;
    }
    std::set<std::string> allowed = kOps;
    allowed.insert({"field", "property", "all", "any", "not"});
    CheckKeys(n, allowed, "condition");
    const FieldDef* field = nullptr;
    if (n["field"] && n["property"]) Fail(n, "a condition tests either a field or a property");
    if (n["field"]) {
      std::string name = Text(n["field"], "field");
      c.field = pb_->FieldIndex(name);
      if (c.field < 0) {
        Fail(n["field"], "field '" + name +
                             "' is not declared: add it under 'fields' with its type (text, "
                             "number, bool or time)");
      }
      field = &pb_->fields[static_cast<size_t>(c.field)];
      c.leaf = pb_->field_leaves++;
    } else if (n["property"]) {
      if (!allow_property) {
        Fail(n["property"],
             "'property' can only be used in engagement and disqualify rules that name an "
             "'event'; here there is no activity to read it from");
      }
      c.on_property = true;
      c.property = Text(n["property"], "property");
      c.prop_slot = PropSlot(c.property);
    } else {
      Fail(n, "a condition needs 'field: NAME' or 'property: NAME' (or all/any/not)");
    }
    int nops = 0;
    YAML::Node opnode;
    std::string op;
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      if (kOps.count(k)) {
        ++nops;
        op = k;
        opnode = it->second;
      }
    }
    if (nops != 1) {
      Fail(n, nops == 0 ? "a condition needs one operator (equals, not_equals, in, matches, gte, "
                          "gt, lte, lt, between, exists)"
                        : "a condition takes exactly one operator; split it with all: [...]");
    }
    auto operand = [&](const YAML::Node& v) {
      return field ? FieldOperand(v, *field) : PropertyOperand(v);
    };
    auto need_numeric = [&]() {
      if (field && field->type != FieldType::kNumber && field->type != FieldType::kTime) {
        Fail(opnode, "'" + op + "' compares numbers, but field '" + field->name + "' is " +
                         FieldTypeName(field->type));
      }
    };
    if (op == "equals" || op == "not_equals") {
      c.op = op == "equals" ? Condition::Op::kEquals : Condition::Op::kNotEquals;
      c.values.push_back(operand(opnode));
    } else if (op == "in") {
      c.op = Condition::Op::kIn;
      NeedSeq(opnode, "'in'");
      if (opnode.size() == 0) Fail(opnode, "'in' needs at least one value");
      for (const auto& v : opnode) c.values.push_back(operand(v));
    } else if (op == "matches") {
      c.op = Condition::Op::kMatches;
      if (field && field->type != FieldType::kText) {
        Fail(opnode, "'matches' needs a text field, but '" + field->name + "' is " +
                         FieldTypeName(field->type));
      }
      std::string pattern = Text(opnode, "'matches'");
      RE2::Options opts;
      opts.set_log_errors(false);
      auto re = std::make_shared<RE2>(pattern, opts);
      if (!re->ok()) {
        Fail(opnode, "bad regular expression '" + pattern + "': " + re->error() +
                         " (RE2 syntax: no look-arounds or back-references)");
      }
      c.re = std::move(re);
      if (c.on_property) c.memo_slot = pb_->memo_slots++;
      AssignMemo(&c);
    } else if (op == "between") {
      c.op = Condition::Op::kBetween;
      need_numeric();
      if (!opnode.IsSequence() || opnode.size() != 2) {
        Fail(opnode, "'between' needs two values: [low, high]");
      }
      c.lo = NumericOperand(opnode[0], field);
      c.hi = NumericOperand(opnode[1], field);
      if (c.lo > c.hi) Fail(opnode, "'between' needs low <= high");
    } else if (op == "exists") {
      c.op = Condition::Op::kExists;
      std::string s = Text(opnode, "'exists'");
      if (s != "true" && s != "false") Fail(opnode, "'exists' must be true or false");
      c.exists = s == "true";
    } else {
      need_numeric();
      c.op = op == "gte"   ? Condition::Op::kGte
             : op == "gt"  ? Condition::Op::kGt
             : op == "lte" ? Condition::Op::kLte
                           : Condition::Op::kLt;
      c.lo = NumericOperand(opnode, field);
    }
    return c;
  }

  std::shared_ptr<Playbook> Load(const std::string& yaml) {
    YAML::Node root;
    try {
      root = YAML::Load(yaml);
    } catch (const YAML::Exception& e) {
      std::ostringstream os;
      os << file_ << ":" << (e.mark.line + 1) << ":" << (e.mark.column + 1)
         << ": not valid YAML: " << e.msg;
      throw LoadError(os.str());
    }
    if (!root || root.IsNull()) throw LoadError(file_ + ":1:1: the playbook is empty");
    NeedMap(root, "the playbook");
    pb_ = std::make_shared<Playbook>();
    pb_->source = yaml;
    CheckKeys(root,
              {"version", "name", "description", "fields", "fit", "engagement", "disqualify", "mql",
               "bant", "sla", "routing"},
              "the playbook");
    if (root["version"]) {
      double v = Number(root["version"], "version");
      if (v != static_cast<double>(static_cast<int64_t>(v)) || v < 1) {
        Fail(root["version"], "version must be a whole number >= 1");
      }
      pb_->declared_version = static_cast<int64_t>(v);
    }
    if (root["name"]) pb_->name = Text(root["name"], "name");
    if (YAML::Node f = root["fields"]) {
      if (!f.IsNull()) {
        NeedMap(f, "'fields'");
        for (auto it = f.begin(); it != f.end(); ++it) {
          std::string name = it->first.Scalar();
          if (it->second.IsNull()) {
            Fail(it->first, "field '" + name + "' has no type (use text, number, bool or time)");
          }
          std::string t = Text(it->second, "a field type");
          FieldType ft;
          if (t == "text") {
            ft = FieldType::kText;
          } else if (t == "number") {
            ft = FieldType::kNumber;
          } else if (t == "bool") {
            ft = FieldType::kBool;
          } else if (t == "time") {
            ft = FieldType::kTime;
          } else {
            Fail(it->second, "field '" + name + "' has unknown type '" + t +
                                 "' (use text, number, bool or time)");
          }
          if (pb_->FieldIndex(name) >= 0) Fail(it->first, "field '" + name + "' declared twice");
          pb_->fields.push_back({name, ft});
        }
      }
    }
    if (YAML::Node fit = root["fit"]) {
      if (!fit.IsNull()) {
        NeedSeq(fit, "'fit'");
        for (const auto& r : fit) {
          NeedMap(r, "a fit rule");
          FitRule rule;
          rule.id = RuleId(r, "a fit rule");
          std::string where = "fit rule '" + rule.id + "'";
          CheckKeys(r, {"id", "label", "when", "points"}, where);
          if (r["label"]) rule.label = Text(r["label"], "label");
          rule.when = ParseCondition(Need(r, "when", where), false);
          rule.points = Number(Need(r, "points", where), "points");
          pb_->fit.push_back(std::move(rule));
        }
      }
    }
    if (YAML::Node eng = root["engagement"]) {
      if (!eng.IsNull()) {
        NeedMap(eng, "'engagement'");
        CheckKeys(eng, {"half_life", "cap", "rules"}, "engagement");
        if (eng["half_life"]) pb_->half_life = Duration(eng["half_life"], "half_life");
        if (eng["cap"]) pb_->cap = Number(eng["cap"], "cap");
        if (YAML::Node rules = eng["rules"]) {
          if (!rules.IsNull()) {
            NeedSeq(rules, "engagement 'rules'");
            for (const auto& r : rules) {
              NeedMap(r, "an engagement rule");
              EngagementRule rule;
              rule.id = RuleId(r, "an engagement rule");
              std::string where = "engagement rule '" + rule.id + "'";
              CheckKeys(r, {"id", "label", "event", "when", "points", "limit"}, where);
              if (r["label"]) rule.label = Text(r["label"], "label");
              rule.event = Text(Need(r, "event", where), "event");
              if (rule.event.empty()) Fail(r["event"], "event must not be empty");
              if (r["when"]) rule.when = ParseCondition(r["when"], true);
              rule.points = Number(Need(r, "points", where), "points");
              if (YAML::Node lim = r["limit"]) {
                NeedMap(lim, "limit");
                CheckKeys(lim, {"count", "per"}, "limit of " + where);
                double cnt = Number(Need(lim, "count", "limit of " + where), "limit count");
                if (cnt < 1 || cnt != static_cast<double>(static_cast<int64_t>(cnt))) {
                  Fail(lim["count"], "limit count must be a whole number >= 1");
                }
                rule.limit_count = static_cast<int64_t>(cnt);
                if (lim["per"]) rule.limit_per = Duration(lim["per"], "limit per");
              }
              pb_->rules_by_event[rule.event].push_back(static_cast<int>(pb_->engagement.size()));
              pb_->engagement.push_back(std::move(rule));
            }
          }
        }
      }
    }
    if (YAML::Node dq = root["disqualify"]) {
      if (!dq.IsNull()) {
        NeedSeq(dq, "'disqualify'");
        for (const auto& r : dq) {
          NeedMap(r, "a disqualify rule");
          DisqualifyRule rule;
          rule.id = RuleId(r, "a disqualify rule");
          std::string where = "disqualify rule '" + rule.id + "'";
          CheckKeys(r, {"id", "label", "event", "when", "reason"}, where);
          if (r["label"]) rule.label = Text(r["label"], "label");
          if (r["event"]) {
            rule.event = Text(r["event"], "event");
            if (rule.event->empty()) Fail(r["event"], "event must not be empty");
          }
          if (r["when"]) rule.when = ParseCondition(r["when"], rule.event.has_value());
          if (!rule.event && !rule.when) {
            Fail(r, where + " needs an 'event', a 'when' on fields, or both");
          }
          rule.reason = Text(Need(r, "reason", where), "reason");
          if (TrimSpaces(rule.reason).empty()) {
            Fail(r["reason"],
                 where + " needs a reason a person can read (it is shown in the history)");
          }
          if (rule.event) {
            pb_->disq_by_event[*rule.event].push_back(static_cast<int>(pb_->disqualify.size()));
          }
          pb_->disqualify.push_back(std::move(rule));
        }
      }
    }
    if (YAML::Node mql = root["mql"]) {
      NeedMap(mql, "'mql'");
      CheckKeys(mql, {"fit", "engagement", "total"}, "mql");
      pb_->mql.defined = true;
      if (mql["fit"]) pb_->mql.fit = Number(mql["fit"], "mql fit");
      if (mql["engagement"]) pb_->mql.engagement = Number(mql["engagement"], "mql engagement");
      if (mql["total"]) pb_->mql.total = Number(mql["total"], "mql total");
      if (!pb_->mql.fit && !pb_->mql.engagement && !pb_->mql.total) {
        Fail(mql, "'mql' needs at least one minimum: fit, engagement or total");
      }
      CheckReachable(mql);
    }
    if (YAML::Node b = root["bant"]) {
      NeedMap(b, "'bant'");
      CheckKeys(b, {"form_event", "authority", "max_timeline"}, "bant");
      if (b["form_event"]) pb_->bant.form_event = Text(b["form_event"], "form_event");
      if (YAML::Node a = b["authority"]) {
        NeedSeq(a, "bant authority");
        pb_->bant.authority.clear();
        for (const auto& v : a) {
          std::string s = Text(v, "an authority");
          if (s != "decision_maker" && s != "influencer" && s != "researcher" && s != "unknown") {
            Fail(v, "authority '" + s +
                        "' is not one of decision_maker, influencer, researcher, unknown");
          }
          pb_->bant.authority.push_back(s);
        }
      }
      if (b["max_timeline"]) pb_->bant.max_timeline = Duration(b["max_timeline"], "max_timeline");
    }
    if (YAML::Node s = root["sla"]) {
      NeedMap(s, "'sla'");
      CheckKeys(s, {"first_response", "business_hours"}, "sla");
      if (s["first_response"])
        pb_->first_response = Duration(s["first_response"], "first_response");
      if (s["business_hours"]) {
        pb_->business_hours = Hours(s["business_hours"], "sla business_hours");
      }
    }
    if (YAML::Node r = root["routing"]) LoadRouting(r);
    pb_->IndexEvents();
    return pb_;
  }

  std::string Where(const YAML::Node& n) const {
    auto m = n.Mark();
    return file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }

  int64_t Capacity(const YAML::Node& n, const std::string& what) const {
    double d = Number(n, what);
    if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d)) || d > 1e9) {
      Fail(n, what +
                  " must be a whole number >= 0 (the most open MQL and SAL leads a rep holds), "
                  "not '" +
                  n.Scalar() + "'");
    }
    return static_cast<int64_t>(d);
  }

  // "HH:MM" -> minutes after midnight (24:00 allowed as a closing time).
  int Clock(const YAML::Node& at, const std::string& s, const std::string& what) const {
    static const RE2 kClock("([0-9]{2}):([0-9]{2})");
    int h = 0, m = 0;
    if (!RE2::FullMatch(s, kClock, &h, &m) || h > 24 || m > 59 || (h == 24 && m != 0)) {
      Fail(at, what + " '" + s + "' is not a time of day like 09:00 or 17:30");
    }
    return h * 60 + m;
  }

  // Business hours: "mon-fri 09:00-17:00 Europe/Madrid", or a map with
  // days, hours and time_zone.
  BusinessHours Hours(const YAML::Node& n, const std::string& what) {
    std::string days, hours, zone;
    YAML::Node days_at = n, hours_at = n, zone_at = n;
    if (n.IsScalar()) {
      std::istringstream in(n.Scalar());
      std::string extra;
      in >> days >> hours >> zone;
      if (zone.empty() || (in >> extra)) {
        Fail(n, what +
                    " must be DAYS HOURS TIME_ZONE, like 'mon-fri 09:00-17:00 "
                    "Europe/Madrid', not '" +
                    n.Scalar() + "'");
      }
    } else {
      NeedMap(n, what);
      CheckKeys(n, {"days", "hours", "time_zone"}, what);
      // reset(), not '=': assigning a YAML::Node writes through to its target.
      days_at.reset(Need(n, "days", what));
      hours_at.reset(Need(n, "hours", what));
      zone_at.reset(Need(n, "time_zone", what));
      days = Text(days_at, "days");
      hours = Text(hours_at, "hours");
      zone = Text(zone_at, "time_zone");
    }
    BusinessHours bh;
    static const char* const kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    auto day_index = [&](const std::string& d) {
      for (int i = 0; i < 7; ++i) {
        if (TextKey(d) == kDays[i]) return i;
      }
      Fail(days_at, what + ": '" + d + "' is not a day (use mon, tue, wed, thu, fri, sat, sun)");
    };
    std::stringstream parts(days);
    std::string part;
    while (std::getline(parts, part, ',')) {
      auto dash = part.find('-');
      if (dash == std::string::npos) {
        bh.days |= static_cast<uint8_t>(1u << day_index(part));
        continue;
      }
      int a = day_index(part.substr(0, dash)), b = day_index(part.substr(dash + 1));
      for (int i = a;; i = (i + 1) % 7) {
        bh.days |= static_cast<uint8_t>(1u << i);
        if (i == b) break;
      }
    }
    if (bh.days == 0) Fail(days_at, what + " needs at least one day, like mon-fri");
    auto dash = hours.find('-');
    if (dash == std::string::npos) {
      Fail(hours_at, what + ": hours must be OPEN-CLOSE, like 09:00-17:00, not '" + hours + "'");
    }
    bh.open_min = Clock(hours_at, hours.substr(0, dash), what + " opening time");
    bh.close_min = Clock(hours_at, hours.substr(dash + 1), what + " closing time");
    if (bh.close_min <= bh.open_min) {
      Fail(hours_at, what + ": the closing time " + hours.substr(dash + 1) +
                         " must be after the opening time " + hours.substr(0, dash) +
                         " (windows across midnight are not supported)");
    }
    bh.tz = FindTimeZone(zone);
    if (bh.tz == nullptr) {
      Fail(zone_at, what + ": unknown time zone '" + zone +
                        "' (use an IANA name like Europe/Madrid or America/New_York)");
    }
    bh.zone = zone;
    bh.text = days + " " + hours + " " + zone;
    return bh;
  }

  void LoadRouting(const YAML::Node& r) {
    NeedMap(r, "'routing'");
    CheckKeys(r, {"capacity", "teams", "territories", "default_team"}, "routing");
    Routing rt;
    if (r["capacity"]) rt.capacity = Capacity(r["capacity"], "routing capacity");
    YAML::Node teams = Need(r, "teams", "routing");
    NeedSeq(teams, "routing 'teams'");
    if (teams.size() == 0) Fail(teams, "routing needs at least one team");
    static const RE2 kName("[a-z0-9][a-z0-9_-]*");
    for (const auto& t : teams) {
      NeedMap(t, "a team");
      RoutingTeam team;
      YAML::Node name = Need(t, "name", "a team");
      team.name = Text(name, "a team name");
      if (!RE2::FullMatch(team.name, kName)) {
        Fail(name, "team name '" + team.name +
                       "' is not valid: use lower-case letters, digits, '-' and '_'");
      }
      if (rt.FindTeam(team.name)) Fail(name, "team '" + team.name + "' is defined twice");
      std::string where = "team '" + team.name + "'";
      CheckKeys(t, {"name", "manager", "reps", "capacity", "business_hours"}, where);
      YAML::Node mgr = Need(t, "manager", where);
      team.manager = Text(mgr, "a manager");
      team.manager_where = Where(mgr);
      if (t["capacity"]) team.capacity = Capacity(t["capacity"], where + " capacity");
      YAML::Node reps = Need(t, "reps", where);
      NeedSeq(reps, where + " reps");
      if (reps.size() == 0) Fail(reps, where + " needs at least one rep");
      for (const auto& rep : reps) {
        RoutingRep rr;
        if (rep.IsMap()) {
          CheckKeys(rep, {"name", "capacity"}, "a rep of " + where);
          rr.name = Text(Need(rep, "name", "a rep of " + where), "a rep name");
          if (rep["capacity"]) rr.capacity = Capacity(rep["capacity"], "capacity of " + rr.name);
        } else {
          rr.name = Text(rep, "a rep name (or { name: NAME, capacity: N })");
        }
        if (TrimSpaces(rr.name).empty()) Fail(rep, "a rep needs a name");
        for (const auto& other : team.reps) {
          if (other.name == rr.name) Fail(rep, "rep '" + rr.name + "' is listed twice in " + where);
        }
        team.rep_where.push_back(Where(rep));
        team.reps.push_back(std::move(rr));
      }
      if (t["business_hours"]) {
        team.business_hours = Hours(t["business_hours"], where + " business_hours");
      }
      rt.teams.push_back(std::move(team));
    }
    auto team_ref = [&](const YAML::Node& n, const std::string& what) {
      std::string name = Text(n, what);
      if (!rt.FindTeam(name)) {
        std::string list;
        for (const auto& t : rt.teams) list += (list.empty() ? "" : ", ") + t.name;
        Fail(n, what + " names unknown team '" + name + "' (teams: " + list + ")");
      }
      return name;
    };
    if (YAML::Node terr = r["territories"]) {
      if (!terr.IsNull()) {
        NeedSeq(terr, "routing 'territories'");
        for (const auto& rule : terr) {
          NeedMap(rule, "a territory rule");
          TerritoryRule tr;
          tr.id = RuleId(rule, "a territory rule");
          std::string where = "territory rule '" + tr.id + "'";
          CheckKeys(rule, {"id", "team", "when"}, where);
          tr.team = team_ref(Need(rule, "team", where), where);
          if (rule["when"]) tr.when = ParseCondition(rule["when"], false);
          rt.rules.push_back(std::move(tr));
        }
      }
    }
    if (r["default_team"]) rt.default_team = team_ref(r["default_team"], "default_team");
    if (rt.rules.empty() && !rt.default_team) {
      if (rt.teams.size() == 1) {
        rt.default_team = rt.teams.front().name;  // one team takes every lead
      } else {
        Fail(r,
             "routing with several teams needs 'territories' or a 'default_team' to choose "
             "one");
      }
    }
    pb_->routing = std::move(rt);
  }

  void CheckReachable(const YAML::Node& mql) {
    const double inf = std::numeric_limits<double>::infinity();
    double max_fit = 0;
    for (const auto& r : pb_->fit) max_fit += r.points > 0 ? r.points : 0;
    double max_eng = 0;
    bool any_positive = false, unbounded = false;
    for (const auto& r : pb_->engagement) {
      if (r.points <= 0) continue;
      any_positive = true;
      const double n = static_cast<double>(r.limit_count);
      if (r.limit_count < 0) {
        unbounded = true;
      } else if (r.limit_per == 0) {
        max_eng += r.points * n;
      } else if (pb_->half_life) {
        // N per window, each window's worth decayed by one more window:
        // N*p * (1 + q + q^2 + ...) with q = 0.5^(per/half_life).
        const double q =
            std::exp2(-static_cast<double>(r.limit_per) / static_cast<double>(*pb_->half_life));
        max_eng += r.points * n / (1.0 - q);
      } else {
        unbounded = true;  // no decay: windows add up without end
      }
    }
    if (unbounded) max_eng = inf;
    if (pb_->cap && any_positive) max_eng = std::min(max_eng, *pb_->cap);
    auto fmt = [](double v) { return FormatNumber(v); };
    if (pb_->mql.fit && *pb_->mql.fit > max_fit) {
      Fail(mql["fit"], "the mql fit minimum " + fmt(*pb_->mql.fit) +
                           " can never be reached: all positive fit rules together give " +
                           fmt(max_fit));
    }
    if (pb_->mql.engagement && *pb_->mql.engagement > max_eng) {
      Fail(mql["engagement"], "the mql engagement minimum " + fmt(*pb_->mql.engagement) +
                                  " can never be reached: engagement can reach at most " +
                                  fmt(max_eng));
    }
    if (pb_->mql.total && *pb_->mql.total > max_fit + max_eng) {
      Fail(mql["total"], "the mql total minimum " + fmt(*pb_->mql.total) +
                             " can never be reached: fit and engagement together reach at most " +
                             fmt(max_fit + max_eng));
    }
  }

 private:
  int PropSlot(const std::string& name) {
    auto& names = pb_->property_names;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) return static_cast<int>(i);
    }
    names.push_back(name);
    return static_cast<int>(names.size() - 1);
  }

  // One MatchCache group per property name or field, 64 patterns each.
  void AssignMemo(Condition* c) {
    std::string key = c->on_property ? "p:" + c->property : "f:" + std::to_string(c->field);
    auto it = memo_targets_.find(key);
    if (it == memo_targets_.end() || it->second.second == 64) {
      pb_->memo_group_field.push_back(c->on_property ? -1 : c->field);
      if (!c->on_property && c->field >= 0) {
        auto& by_field = pb_->field_memo_groups;
        if (by_field.size() <= static_cast<size_t>(c->field))
          by_field.resize(static_cast<size_t>(c->field) + 1);
        by_field[static_cast<size_t>(c->field)].push_back(pb_->memo_groups);
      }
      it = memo_targets_.insert_or_assign(key, std::make_pair(pb_->memo_groups++, 0)).first;
    }
    c->memo_group = it->second.first;
    c->memo_bit = uint64_t{1} << it->second.second;
    ++it->second.second;
  }

  std::string file_;
  std::shared_ptr<Playbook> pb_;
  std::map<std::string, std::pair<int, int>> memo_targets_;  // key -> (group, bits used)
  std::set<std::string> ids_;
};

}  // namespace

void Playbook::IndexEvents() {
  events.clear();
  auto entry = [&](const std::string& name) -> EventRules& {
    for (auto& e : events) {
      if (e.name == name) return e;
    }
    events.push_back(EventRules{name, {}, {}, false});
    return events.back();
  };
  for (size_t i = 0; i < engagement.size(); ++i) {
    entry(engagement[i].event).engagement.push_back(static_cast<int>(i));
  }
  for (size_t i = 0; i < disqualify.size(); ++i) {
    if (disqualify[i].event) entry(*disqualify[i].event).disqualify.push_back(static_cast<int>(i));
  }
  if (!bant.form_event.empty()) entry(bant.form_event).bant_form = true;
  events_by_size.clear();
  for (size_t i = 0; i < events.size(); ++i) {
    size_t n = events[i].name.size();
    if (events_by_size.size() <= n) events_by_size.resize(n + 1);
    events_by_size[n].push_back(static_cast<int>(i));
  }
}

const Playbook::EventRules* Playbook::FindEvent(std::string_view name) const {
  if (name.size() >= events_by_size.size()) return nullptr;
  for (int i : events_by_size[name.size()]) {
    const EventRules& e = events[static_cast<size_t>(i)];
    if (std::memcmp(e.name.data(), name.data(), name.size()) == 0) return &e;
  }
  return nullptr;
}

int Playbook::FieldIndex(std::string_view n) const {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == n) return static_cast<int>(i);
  }
  return -1;
}

std::string Playbook::RuleLabel(std::string_view id) const {
  for (const auto& r : fit) {
    if (r.id == id) return r.label.empty() ? r.id : r.label;
  }
  for (const auto& r : engagement) {
    if (r.id == id) return r.label.empty() ? r.id : r.label;
  }
  for (const auto& r : disqualify) {
    if (r.id == id) return r.label.empty() ? r.id : r.label;
  }
  return std::string(id);
}

Result<std::shared_ptr<const Playbook>> LoadPlaybook(const std::string& yaml,
                                                     const std::string& file) {
  try {
    Loader loader(file);
    return std::shared_ptr<const Playbook>(loader.Load(yaml));
  } catch (const LoadError& e) {
    return Status::Invalid(e.message);
  } catch (const YAML::Exception& e) {
    std::ostringstream os;
    os << file << ":" << (e.mark.line + 1) << ":" << (e.mark.column + 1) << ": " << e.msg;
    return Status::Invalid(os.str());
  }
}

Result<std::shared_ptr<const Playbook>> LoadPlaybookFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Invalid(path + ": cannot open the playbook file");
  std::stringstream ss;
  ss << in.rdbuf();
  return LoadPlaybook(ss.str(), path);
}

std::optional<std::string> RulesText(const Playbook& p) {
  if (p.source.empty()) return std::nullopt;
  // Line by line: a block starts at a line in column 0 naming one of the
  // keys (`mql:`) and runs to the next non-blank line in column 0. An
  // anchor (&) in a cut block could be aliased from a kept one: then no text.
  static const char* const kCut[] = {"mql", "sla", "routing", "name", "version"};
  std::string out;
  out.reserve(p.source.size());
  bool cutting = false;
  size_t at = 0;
  while (at < p.source.size()) {
    size_t end = p.source.find('\n', at);
    if (end == std::string::npos) end = p.source.size();
    const std::string_view line(p.source.data() + at, end - at);
    at = end + 1;
    const bool col0 = !line.empty() && line[0] != ' ' && line[0] != '\t' && line[0] != '\r';
    if (col0) {
      cutting = false;
      for (const char* k : kCut) {
        const size_t n = std::strlen(k);
        if (line.size() > n && line.compare(0, n, k) == 0) {
          size_t i = n;
          while (i < line.size() && line[i] == ' ') ++i;
          if (i < line.size() && line[i] == ':') cutting = true;
        }
      }
    }
    if (cutting) {
      if (line.find('&') != std::string_view::npos) return std::nullopt;
      continue;
    }
    out.append(line);
    out.push_back('\n');
  }
  return out;
}

}  // namespace leadgate
