#include "server/api.h"

#include <sodium.h>
#include <zlib.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "app/render.h"
#include "ingest/jsonl.h"
#include "playbook/playbook.h"

namespace leadgate::server {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// A failure with its HTTP status, thrown inside Dispatch and turned into a
// JSON error response (never escapes Handle).
struct HttpError {
  int status;
  std::string code, message;
};

[[noreturn]] void Fail(int status, const std::string& code, const std::string& message) {
  throw HttpError{status, code, message};
}

[[noreturn]] void FailStatus(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUsage:
      Fail(400, "bad_request", s.message());
    case StatusCode::kInvalidInput:
      Fail(422, "invalid", s.message());
    case StatusCode::kRefused:
      Fail(409, "refused", s.message());
    case StatusCode::kNotFound:
      Fail(404, "not_found", s.message());
    case StatusCode::kForbidden:
      Fail(403, "forbidden", s.message());
    default:
      Fail(500, "internal", s.message());
  }
}

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) FailStatus(r.status());
  return std::move(r).value();
}
void Must(const Status& s) {
  if (!s.ok()) FailStatus(s);
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

int Hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s, bool plus_is_space, const char* what) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      int h = i + 2 < s.size() ? Hexval(s[i + 1]) : -1;
      int l = i + 2 < s.size() ? Hexval(s[i + 2]) : -1;
      if (h < 0 || l < 0)
        Fail(400, "bad_request", std::string("bad percent-encoding in the ") + what);
      out += static_cast<char>(h * 16 + l);
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Target {
  std::vector<std::string> segments;  // decoded path segments
  std::map<std::string, std::string> query;
};

Target ParseTarget(const std::string& target) {
  Target t;
  if (target.empty() || target[0] != '/')
    Fail(400, "bad_request", "the request target must be a path");
  size_t q = target.find('?');
  std::string_view path(target.data(), q == std::string::npos ? target.size() : q);
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string seg = PercentDecode(path.substr(start, slash - start), false, "path");
    if (!seg.empty() || slash < path.size()) t.segments.push_back(seg);
    start = slash + 1;
  }
  if (q != std::string::npos) {
    std::string_view qs(target.data() + q + 1, target.size() - q - 1);
    size_t p = 0;
    while (p <= qs.size() && !qs.empty()) {
      size_t amp = qs.find('&', p);
      if (amp == std::string_view::npos) amp = qs.size();
      std::string_view pair = qs.substr(p, amp - p);
      if (!pair.empty()) {
        size_t eq = pair.find('=');
        std::string k = PercentDecode(pair.substr(0, eq), true, "query");
        std::string v =
            eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true, "query");
        if (!t.query.emplace(k, v).second) {
          Fail(400, "bad_request", "query parameter '" + k + "' given twice");
        }
      }
      p = amp + 1;
    }
  }
  return t;
}

void AllowQuery(const Target& t, std::initializer_list<const char*> allowed) {
  for (const auto& [k, v] : t.query) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || k == a;
    if (!ok) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      Fail(400, "bad_request",
           "unknown query parameter '" + k + "'" +
               (list.empty() ? std::string(": this endpoint takes none")
                             : " (this endpoint takes " + list + ")"));
    }
  }
}

std::optional<Micros> AtParam(const Target& t) {
  auto it = t.query.find("at");
  if (it == t.query.end()) return std::nullopt;
  auto v = ParseDateOrTime(it->second);
  if (!v)
    Fail(400, "bad_request",
         "?at='" + it->second + "' is not an RFC 3339 time (like 2026-03-01T10:00:00Z)");
  return *v;
}

std::string Inflate(const std::string& in, size_t limit) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 32) != Z_OK) Fail(500, "internal", "zlib failed to initialise");
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[65536];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      std::string why = zs.msg ? zs.msg : (rc == Z_BUF_ERROR ? "truncated data" : "corrupt data");
      inflateEnd(&zs);
      Fail(400, "bad_gzip", "the gzip body cannot be decompressed: " + why);
    }
    out.append(buf, sizeof buf - zs.avail_out);
    if (out.size() > limit) {
      inflateEnd(&zs);
      Fail(413, "too_large", "the gzip body expands beyond " + std::to_string(limit) + " bytes");
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      Fail(400, "bad_gzip", "the gzip body is truncated");
    }
  }
  bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (trailing) Fail(400, "bad_gzip", "data after the end of the gzip stream");
  return out;
}

// Rejects nesting deeper than 1,024 levels before the (recursive) JSON tree
// is built and printed.
void CheckDepth(const std::string& s) {
  int depth = 0;
  bool in_str = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_str) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_str = false;
    } else if (c == '"') {
      in_str = true;
    } else if (c == '[' || c == '{') {
      if (++depth > 1024) Fail(400, "bad_json", "the JSON nests deeper than 1,024 levels");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

Json ParseJson(const std::string& body) {
  if (body.empty()) Fail(400, "bad_json", "the request needs a JSON body");
  CheckDepth(body);
  try {
    return Json::parse(body);
  } catch (const Json::exception& e) {
    std::string m = e.what();
    if (auto p = m.find("] "); p != std::string::npos) m = m.substr(p + 2);
    Fail(400, "bad_json", "the body is not valid JSON: " + m);
  }
}

const char* JsonType(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "a number";
  }
}

// Checks an object body's keys: every key known, required ones present.
void CheckFields(const Json& j, std::initializer_list<const char*> known,
                 std::initializer_list<const char*> required = {}) {
  if (!j.is_object())
    Fail(400, "bad_request", std::string("the body must be a JSON object, not ") + JsonType(j));
  for (const auto& [k, v] : j.items()) {
    bool ok = false;
    for (const char* n : known) ok = ok || k == n;
    if (!ok) Fail(400, "unknown_field", "unknown field '" + k + "'");
  }
  for (const char* r : required) {
    if (!j.contains(r)) Fail(400, "bad_request", std::string("missing field '") + r + "'");
  }
}

std::optional<std::string> OptString(const Json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  if (!j[key].is_string())
    Fail(400, "bad_type", std::string("'") + key + "' must be a string, not " + JsonType(j[key]));
  return j[key].get<std::string>();
}

std::string Base64Decode(const std::string& s) {
  std::string out(s.size(), '\0');
  size_t len = 0;
  for (int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING}) {
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), s.data(),
                          s.size(), nullptr, &len, nullptr, variant) == 0) {
      out.resize(len);
      return out;
    }
  }
  Fail(401, "unauthorized", "the Basic credentials are not valid base64");
}

std::string KeyFromHeader(const std::string& header) {
  const std::string h = Trim(header);
  if (h.empty()) {
    Fail(401, "unauthorized",
         "no API key: send 'Authorization: Bearer KEY' or HTTP Basic with the key as the username");
  }
  size_t sp = h.find(' ');
  std::string scheme = Lower(h.substr(0, sp));
  std::string cred = sp == std::string::npos ? "" : Trim(h.substr(sp + 1));
  if (scheme == "bearer") {
    if (cred.empty()) Fail(401, "unauthorized", "the Bearer credentials are empty");
    return cred;
  }
  if (scheme == "basic") {
    if (cred.empty()) Fail(401, "unauthorized", "the Basic credentials are empty");
    std::string plain = Base64Decode(cred);
    size_t colon = plain.find(':');
    std::string user = plain.substr(0, colon);
    if (user.empty() && colon != std::string::npos) user = plain.substr(colon + 1);
    if (user.empty()) Fail(401, "unauthorized", "the Basic credentials hold no key");
    return user;
  }
  Fail(401, "unauthorized", "unsupported authorization scheme: use Bearer or Basic");
}

bool SeesLead(const Principal& p, const std::optional<std::string>& owner) {
  return p.role != Role::kRep || !owner || *owner == p.user;
}

void NeedFull(const Principal& p) {
  if (p.ingest_only) Fail(403, "forbidden", "this key is ingest-only: it may only send events");
}
void NeedRole(const Principal& p, std::initializer_list<Role> roles, const char* what) {
  NeedFull(p);
  for (Role r : roles) {
    if (p.role == r) return;
  }
  Fail(403, "forbidden", std::string(what) + "; " + p.user + " is " + RoleName(p.role));
}

Json NullableTime(const std::optional<Micros>& t) {
  return t ? Json(FormatRfc3339(*t)) : Json(nullptr);
}

Json VersionsJson(const Engine& e) {
  Json arr = Json::array();
  for (const auto& v : e.versions()) {
    arr.push_back({{"version", v.version},
                   {"applied_at",
                    v.applied_at == INT64_MIN ? Json(nullptr) : Json(FormatRfc3339(v.applied_at))},
                   {"name", v.playbook->name}});
  }
  return arr;
}

int64_t InForce(const Engine& e, Micros now) {
  int64_t v = 1;
  for (const auto& pv : e.versions()) {
    if (pv.applied_at <= now) v = pv.version;
  }
  return v;
}

ApiResponse JsonResponse(int status, const Json& j) {
  ApiResponse r;
  r.status = status;
  r.body = Dump(j);
  return r;
}

}  // namespace

ApiResponse ErrorResponse(int status, const std::string& code, const std::string& message) {
  return JsonResponse(status, Json{{"error", code}, {"message", message}});
}

ApiResponse Api::Handle(const ApiRequest& req) {
  ApiResponse res;
  try {
    ApiResponse out = Dispatch(req, res);
    out.route = res.route;
    out.user = res.user;
    return out;
  } catch (const HttpError& e) {
    ApiResponse out = ErrorResponse(e.status, e.code, e.message);
    if (e.status == 401)
      out.headers.emplace_back("WWW-Authenticate", "Bearer, Basic realm=\"leadgate\"");
    out.route = res.route;
    out.user = res.user;
    return out;
  } catch (const nlohmann::json::exception& e) {
    ApiResponse out = ErrorResponse(400, "bad_request", std::string("bad JSON value: ") + e.what());
    out.route = res.route;
    return out;
  } catch (const std::exception& e) {
    ApiResponse out = ErrorResponse(500, "internal", std::string("internal error: ") + e.what());
    out.route = res.route;
    return out;
  }
}

ApiResponse Api::Dispatch(const ApiRequest& req, ApiResponse& res) {
  const Target t = ParseTarget(req.target);
  const auto& s = t.segments;
  const std::string& m = req.method;
  auto is = [&](std::initializer_list<const char*> want) {
    if (s.size() != want.size()) return false;
    size_t i = 0;
    for (const char* w : want) {
      if (std::string_view(w) != "*" && s[i] != w) return false;
      ++i;
    }
    return true;
  };
  auto methods = [&](std::initializer_list<const char*> allowed) {
    for (const char* a : allowed) {
      if (m == a) return;
    }
    std::string list;
    for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
    Fail(405, "method_not_allowed", m + " is not allowed on " + res.route + " (use " + list + ")");
  };

  if (is({"healthz"})) {
    res.route = "/healthz";
    methods({"GET"});
    AllowQuery(t, {});
    return JsonResponse(200, Json{{"status", "ok"}});
  }

  const Principal p = [&] {
    auto a = engine_.Authenticate(KeyFromHeader(req.authorization));
    if (!a.ok()) {
      if (a.status().code() == StatusCode::kNotFound)
        Fail(401, "unauthorized", a.status().message());
      FailStatus(a.status());
    }
    return *a;
  }();
  res.user = p.user;

  std::string body_cache;
  bool body_done = false;
  auto body = [&]() -> const std::string& {
    if (!body_done) {
      const std::string enc = Lower(Trim(req.content_encoding));
      if (enc.empty() || enc == "identity") {
        body_cache = req.body;
      } else if (enc == "gzip" || enc == "x-gzip") {
        body_cache = Inflate(req.body, limits_.max_inflated_bytes);
      } else {
        Fail(415, "unsupported_encoding",
             "Content-Encoding '" + req.content_encoding + "' is not supported (use gzip)");
      }
      body_done = true;
    }
    return body_cache;
  };
  const Micros now = NowMicros();

  // --- ingest (Segment tracking API) ---
  if (s.size() == 2 && s[0] == "v1" &&
      (s[1] == "batch" || s[1] == "identify" || s[1] == "track" || s[1] == "page")) {
    res.route = "/v1/" + s[1];
    methods({"POST"});
    AllowQuery(t, {});
    if (!p.ingest_only && p.role != Role::kMarketing && p.role != Role::kAdmin) {
      Fail(403, "forbidden",
           "sending events takes an ingest-only key or a marketing or admin user's key; " + p.user +
               " is " + RoleName(p.role));
    }
    Json j = ParseJson(body());
    std::vector<Json> items;
    if (s[1] == "batch") {
      CheckFields(j, {"batch", "context", "integrations", "sentAt", "writeKey", "metadata"},
                  {"batch"});
      if (!j["batch"].is_array())
        Fail(400, "bad_type", std::string("'batch' must be an array, not ") + JsonType(j["batch"]));
      if (j["batch"].empty()) Fail(400, "bad_request", "'batch' holds no events");
      if (j["batch"].size() > 100000)
        Fail(413, "too_large", "a batch holds at most 100,000 events");
      for (auto& e : j["batch"]) items.push_back(std::move(e));
    } else {
      if (!j.is_object())
        Fail(400, "bad_request", std::string("the body must be a JSON object, not ") + JsonType(j));
      if (!j.contains("type")) j["type"] = s[1];
      items.push_back(std::move(j));
    }
    std::vector<Event> events;
    Json results = Json::array();
    std::vector<size_t> accepted;
    int64_t rejected = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      Json& e = items[i];
      Json r{{"index", i}};
      std::string why;
      if (!e.is_object()) {
        why = std::string("an event must be a JSON object, not ") + JsonType(e);
      } else if (s[1] != "batch" && e["type"] != s[1]) {
        why = "'type' must be \"" + s[1] + "\" on /v1/" + s[1];
      } else {
        Event ev;
        Status st = ParseEvent(Dump(e), &ev, true);
        if (st.ok()) {
          r["messageId"] = ev.message_id;
          r["status"] = "accepted";
          events.push_back(std::move(ev));
        } else {
          why = st.message();
        }
      }
      if (!why.empty()) {
        if (e.is_object() && e.contains("messageId") && e["messageId"].is_string())
          r["messageId"] = e["messageId"];
        r["status"] = "rejected";
        r["reason"] = why;
        ++rejected;
      }
      results.push_back(std::move(r));
    }
    IngestReport rep;
    if (!events.empty()) {
      auto t0 = std::chrono::steady_clock::now();
      Must(engine_.IngestEvents(events, &rep));
      metrics_.Scoring(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    metrics_.Ingested(rep.stored, rep.duplicates, rejected);
    Json out{{"stored", rep.stored},
             {"duplicates", rep.duplicates},
             {"rejected", rejected},
             {"leads_updated", rep.leads_touched},
             {"events", std::move(results)}};
    return JsonResponse(events.empty() ? 422 : 200, out);
  }

  // --- leads ---
  if (is({"v1", "leads", "*"})) {
    res.route = "/v1/leads/{id}";
    methods({"GET"});
    NeedFull(p);
    AllowQuery(t, {"at"});
    Micros at = AtParam(t).value_or(now);
    ShowResult r = Must(engine_.Show(s[2], at));
    if (!SeesLead(p, r.state.owner)) {
      Fail(403, "forbidden",
           "lead " + s[2] + " is assigned to " + *r.state.owner +
               "; a rep sees their own leads and unassigned ones");
    }
    return JsonResponse(200, ShowJson(r));
  }
  if (is({"v1", "leads", "*", "actions", "*"})) {
    res.route = "/v1/leads/{id}/actions/{action}";
    methods({"POST"});
    NeedFull(p);
    AllowQuery(t, {});
    ActRequest a;
    a.lead = s[2];
    a.action = s[4];
    a.by = p.user;
    a.at = now;
    const std::string& b = body();
    if (!Trim(b).empty()) {
      Json j = ParseJson(b);
      CheckFields(j, {"at", "reason", "channel", "budget", "authority", "need", "timeline",
                      "current_solution"});
      if (auto at = OptString(j, "at")) {
        auto v = ParseDateOrTime(*at);
        if (!v) Fail(400, "bad_request", "'at' \"" + *at + "\" is not an RFC 3339 time");
        a.at = *v;
      }
      a.reason = OptString(j, "reason");
      a.channel = OptString(j, "channel");
      a.budget = OptString(j, "budget");
      a.authority = OptString(j, "authority");
      a.need = OptString(j, "need");
      a.timeline = OptString(j, "timeline");
      a.current_solution = OptString(j, "current_solution");
    }
    if (p.role == Role::kRep) {
      ShowResult r = Must(engine_.Show(a.lead, std::max(now, a.at)));
      if (!SeesLead(p, r.state.owner)) {
        Fail(403, "forbidden",
             "lead " + a.lead + " is assigned to " + *r.state.owner +
                 "; a rep works their own leads and unassigned ones");
      }
    }
    LeadState st = Must(engine_.Act(a));
    return JsonResponse(200, Json{{"id", a.lead},
                                  {"action", a.action},
                                  {"by", a.by},
                                  {"at", FormatRfc3339(a.at)},
                                  {"stage", StageName(st.stage)},
                                  {"owner", st.owner ? Json(*st.owner) : Json(nullptr)}});
  }
  if (is({"v1", "queue"})) {
    res.route = "/v1/queue";
    methods({"GET"});
    NeedFull(p);
    AllowQuery(t, {"at", "stage", "limit", "owner", "sort"});
    Micros at = AtParam(t).value_or(now);
    std::optional<Stage> stage;
    if (auto it = t.query.find("stage"); it != t.query.end()) {
      stage = ParseStage(it->second);
      if (!stage)
        Fail(400, "bad_request",
             "?stage='" + it->second +
                 "' is not a stage (lead, mql, sal, sql, opportunity, nurture)");
    }
    int64_t limit = 0;
    if (auto it = t.query.find("limit"); it != t.query.end()) {
      const std::string& v = it->second;
      if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) {
        Fail(400, "bad_request", "?limit='" + v + "' must be a whole number from 0 to 999999999");
      }
      limit = std::stoll(v);
    }
    std::optional<std::string> owner;  // "" = unassigned
    if (auto it = t.query.find("owner"); it != t.query.end()) {
      const std::string& v = it->second;
      if (v.empty()) Fail(400, "bad_request", "?owner= needs me, none or a user name");
      owner = v == "me" ? p.user : v == "none" ? std::string() : v;
      if (p.role == Role::kRep && !owner->empty() && *owner != p.user) {
        Fail(403, "forbidden",
             "a rep sees their own leads and unassigned ones, not " + *owner + "'s");
      }
    }
    const bool filter = owner.has_value() || p.role == Role::kRep;
    bool by_probability = false;  // ?sort=probability: the active model's (docs/predictive.md)
    if (auto it = t.query.find("sort"); it != t.query.end()) {
      if (it->second != "total" && it->second != "probability")
        Fail(400, "bad_request", "?sort='" + it->second + "' must be total or probability");
      by_probability = it->second == "probability";
    }
    auto rows = Must(by_probability ? engine_.QueueByProbability(at, stage, filter ? 0 : limit)
                                    : engine_.Queue(at, stage, filter ? 0 : limit));
    if (filter) {
      std::vector<QueueRow> kept;
      for (auto& r : rows) {
        bool ok = SeesLead(p, r.owner);
        if (owner) ok = ok && (owner->empty() ? !r.owner : r.owner && *r.owner == *owner);
        if (ok) kept.push_back(std::move(r));
        if (limit > 0 && static_cast<int64_t>(kept.size()) >= limit) break;
      }
      rows = std::move(kept);
    }
    return JsonResponse(200, QueueJson(rows));
  }
  if (is({"v1", "sla"})) {
    res.route = "/v1/sla";
    methods({"GET"});
    NeedFull(p);
    AllowQuery(t, {"at"});
    Micros at = AtParam(t).value_or(now);
    SlaReport r = Must(engine_.Sla(at));
    if (p.role == Role::kRep) {
      auto rows = Must(engine_.Queue(at, std::nullopt, 0));
      std::set<std::string> hidden;
      for (const auto& q : rows) {
        if (!SeesLead(p, q.owner)) hidden.insert(q.id);
      }
      std::erase_if(r.open, [&](const SlaOpen& o) { return hidden.count(o.id) > 0; });
    }
    return JsonResponse(200, SlaJson(r));
  }

  // --- playbook ---
  if (is({"v1", "playbook"})) {
    res.route = "/v1/playbook";
    methods({"GET", "PUT"});
    if (m == "GET") {
      NeedFull(p);
      AllowQuery(t, {});
      int64_t v = InForce(engine_, now);
      std::string src = Must(engine_.store().PlaybookSource(v));
      return JsonResponse(200, Json{{"in_force", v},
                                    {"name", engine_.PlaybookAt(now).name},
                                    {"source", src},
                                    {"versions", VersionsJson(engine_)}});
    }
    NeedRole(p, {Role::kAdmin}, "applying a playbook takes an admin");
    AllowQuery(t, {"at"});
    Micros at = AtParam(t).value_or(now);
    const std::string& yaml = body();
    if (Trim(yaml).empty()) Fail(400, "bad_request", "the body must be the playbook YAML");
    int64_t version = 0;
    Must(engine_.ApplyPlaybookText(yaml, "api:" + p.user, at, &version));
    return JsonResponse(200, Json{{"version", version},
                                  {"applied_at", FormatRfc3339(at)},
                                  {"versions", VersionsJson(engine_)}});
  }
  if (is({"v1", "playbook", "check"})) {
    res.route = "/v1/playbook/check";
    methods({"POST"});
    NeedFull(p);
    AllowQuery(t, {});
    const std::string& yaml = body();
    if (Trim(yaml).empty()) Fail(400, "bad_request", "the body must be the playbook YAML");
    auto pb = LoadPlaybook(yaml, "playbook");
    if (!pb.ok()) Fail(422, "invalid_playbook", pb.status().message());
    return JsonResponse(200, Json{{"valid", true},
                                  {"name", (*pb)->name},
                                  {"fit", (*pb)->fit.size()},
                                  {"engagement", (*pb)->engagement.size()},
                                  {"disqualify", (*pb)->disqualify.size()}});
  }

  // --- users and keys (admins) ---
  if (is({"v1", "users"})) {
    res.route = "/v1/users";
    methods({"GET", "POST"});
    NeedRole(p, {Role::kAdmin}, "managing users takes an admin");
    AllowQuery(t, {});
    if (m == "GET") {
      Json arr = Json::array();
      for (const auto& u : Must(engine_.store().Users()))
        arr.push_back({{"name", u.name}, {"role", RoleName(u.role)}});
      return JsonResponse(200, arr);
    }
    Json j = ParseJson(body());
    CheckFields(j, {"name", "role"}, {"name", "role"});
    auto name = OptString(j, "name"), role = OptString(j, "role");
    if (!name || !role) Fail(400, "bad_type", "'name' and 'role' must be strings");
    Status st = engine_.AddUser(*name, *role);
    if (!st.ok() && st.code() == StatusCode::kInvalidInput &&
        st.message().find("already exists") != std::string::npos) {
      Fail(409, "exists", st.message());
    }
    Must(st);
    return JsonResponse(201, Json{{"name", *name}, {"role", *role}});
  }
  if (is({"v1", "keys"})) {
    res.route = "/v1/keys";
    methods({"GET", "POST"});
    NeedRole(p, {Role::kAdmin}, "managing keys takes an admin");
    AllowQuery(t, {});
    if (m == "GET") {
      Json arr = Json::array();
      for (const auto& k : Must(engine_.Keys())) {
        arr.push_back({{"id", k.id},
                       {"user", k.user},
                       {"ingest_only", k.ingest_only},
                       {"created_at", FormatRfc3339(k.created_at)},
                       {"revoked_at", NullableTime(k.revoked_at)}});
      }
      return JsonResponse(200, arr);
    }
    Json j = ParseJson(body());
    CheckFields(j, {"user", "ingest_only"}, {"user"});
    auto user = OptString(j, "user");
    if (!user) Fail(400, "bad_type", "'user' must be a string");
    bool ingest_only = false;
    if (j.contains("ingest_only")) {
      if (!j["ingest_only"].is_boolean())
        Fail(400, "bad_type",
             std::string("'ingest_only' must be a boolean, not ") + JsonType(j["ingest_only"]));
      ingest_only = j["ingest_only"].get<bool>();
    }
    NewKey k = Must(engine_.CreateKey(*user, ingest_only, now));
    return JsonResponse(
        201, Json{{"id", k.id}, {"key", k.key}, {"user", k.user}, {"ingest_only", k.ingest_only}});
  }
  if (is({"v1", "keys", "*"})) {
    res.route = "/v1/keys/{id}";
    methods({"DELETE"});
    NeedRole(p, {Role::kAdmin}, "managing keys takes an admin");
    AllowQuery(t, {});
    Must(engine_.RevokeKey(s[2], now));
    return JsonResponse(200, Json{{"id", s[2]}, {"revoked_at", FormatRfc3339(now)}});
  }

  // --- operations ---
  if (is({"metrics"})) {
    res.route = "/metrics";
    methods({"GET"});
    NeedFull(p);
    AllowQuery(t, {});
    auto mqls = Must(engine_.Queue(now, Stage::kMql, 0));
    ApiResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics_.Text(static_cast<int64_t>(mqls.size()));
    return r;
  }
  if (is({"openapi.json"})) {
    res.route = "/openapi.json";
    methods({"GET"});
    AllowQuery(t, {});
    ApiResponse r;
    r.body = OpenApiJson();
    return r;
  }
  Fail(404, "not_found",
       "no endpoint " + m + " " + req.target.substr(0, req.target.find('?')) +
           " (see /openapi.json)");
}

}  // namespace leadgate::server
