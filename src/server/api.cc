#include "server/api.h"

#include <simdjson.h>
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
#include "server/lead_scope.h"

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

const char* DomType(simdjson::dom::element e) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::NULL_VALUE:
      return "null";
    case T::BOOL:
      return "a boolean";
    case T::STRING:
      return "a string";
    case T::ARRAY:
      return "an array";
    case T::OBJECT:
      return "an object";
    default:
      return "a number";
  }
}

// One event of an ingest request: valid ones go to job->events.
void AddIngestItem(simdjson::dom::element e, const std::string& kind, IngestJob* job) {
  IngestJob::Item& item = job->items.emplace_back();
  simdjson::dom::object obj;
  if (e.get_object().get(obj)) {
    item.reason = std::string("an event must be a JSON object, not ") + DomType(e);
  } else {
    std::string_view mid;
    if (!obj["messageId"].get_string().get(mid)) item.message_id = std::string(mid);
    std::string text = simdjson::minify(obj);
    if (kind != "batch") {
      simdjson::dom::element type;
      if (obj["type"].get(type)) {
        text.insert(1, "\"type\":\"" + kind + (obj.size() ? "\"," : "\""));
      } else if (std::string_view tv; type.get_string().get(tv) || tv != kind) {
        item.reason = "'type' must be \"" + kind + "\" on /v1/" + kind;
      }
    }
    if (item.reason.empty()) {
      Event ev;
      Status st = ParseEvent(text, &ev, true);
      if (st.ok()) {
        item.message_id = ev.message_id;
        job->events.push_back(std::move(ev));
      } else {
        item.reason = st.message();
      }
    }
  }
  if (!item.reason.empty()) ++job->rejected;
}

// Parses an ingest body (`kind`: batch, track, identify or page) into `job`.
// Body-level faults are thrown (4xx); per-event ones are recorded per item.
void ParseIngest(const std::string& body, const std::string& kind, IngestJob* job) {
  if (body.empty()) Fail(400, "bad_json", "the request needs a JSON body");
  CheckDepth(body);
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body).get(root)) {
    ParseJson(body);  // throws nlohmann's message, which says where
    Fail(400, "bad_json", "the body is not valid JSON");
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj))
    Fail(400, "bad_request", std::string("the body must be a JSON object, not ") + DomType(root));
  if (kind != "batch") return AddIngestItem(root, kind, job);
  for (auto field : obj) {
    const std::string_view k = field.key;
    if (k != "batch" && k != "context" && k != "integrations" && k != "sentAt" && k != "writeKey" &&
        k != "metadata")
      Fail(400, "unknown_field", "unknown field '" + std::string(k) + "'");
  }
  simdjson::dom::element batch;
  if (obj["batch"].get(batch)) Fail(400, "bad_request", "missing field 'batch'");
  simdjson::dom::array arr;
  if (batch.get_array().get(arr))
    Fail(400, "bad_type", std::string("'batch' must be an array, not ") + DomType(batch));
  if (arr.size() == 0) Fail(400, "bad_request", "'batch' holds no events");
  if (arr.size() > 100000) Fail(413, "too_large", "a batch holds at most 100,000 events");
  job->items.reserve(arr.size());
  job->events.reserve(arr.size());
  for (simdjson::dom::element e : arr) AddIngestItem(e, kind, job);
}

int StatusHttp(const Status& s) {
  switch (s.code()) {
    case StatusCode::kUsage:
      return 400;
    case StatusCode::kInvalidInput:
      return 422;
    case StatusCode::kRefused:
      return 409;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kForbidden:
      return 403;
    default:
      return 500;
  }
}

}  // namespace

ApiResponse ErrorResponse(int status, const std::string& code, const std::string& message) {
  return JsonResponse(status, Json{{"error", code}, {"message", message}});
}

bool Api::ForReader(const ApiRequest& req) {
  const std::string_view t(req.target);
  const std::string_view path = t.substr(0, t.find('?'));
  if (req.method == "GET") {
    constexpr std::string_view kLeads = "/v1/leads/";
    if (path.substr(0, kLeads.size()) != kLeads) return false;
    const std::string_view id = path.substr(kLeads.size());
    return !id.empty() && id.find('/') == std::string_view::npos;
  }
  return req.method == "POST" && (path == "/v1/batch" || path == "/v1/track" ||
                                  path == "/v1/identify" || path == "/v1/page");
}

void Api::RefreshIngested() {
  try {
    (void)engine_.RefreshIngested();
  } catch (const std::exception&) {
  }
}

void Api::CommitIngest(const std::vector<IngestJob*>& jobs, const std::function<void()>& durable,
                       bool refresh) {
  std::vector<Event> all;
  size_t n = 0;
  for (IngestJob* j : jobs) n += j->events.size();
  all.reserve(n);
  for (IngestJob* j : jobs) {
    for (Event& e : j->events) all.push_back(std::move(e));
  }
  IngestReport rep;
  std::vector<char> dup;
  bool answered = false;
  // Sets every job's outcome; then the answers may go out.
  auto settle = [&](const Status& st) {
    size_t at = 0;
    for (IngestJob* j : jobs) {
      j->status = st;
      const size_t k = j->events.size();
      if (st.ok() && dup.size() >= at + k)
        j->duplicate.assign(dup.begin() + static_cast<std::ptrdiff_t>(at),
                            dup.begin() + static_cast<std::ptrdiff_t>(at + k));
      else
        j->duplicate.assign(k, 0);
      std::set<std::string_view> leads;  // the leads this request stored events for
      for (size_t i = 0; i < k; ++i) {
        if (!j->duplicate[i]) leads.insert(all[at + i].lead_id);
      }
      j->leads_updated = static_cast<int64_t>(leads.size());
      at += k;
    }
    answered = true;
    if (durable) durable();
  };
  const auto t0 = std::chrono::steady_clock::now();
  Status st = Status::Ok();
  try {
    st = engine_.IngestEvents(
        all, &rep, &dup, [&] { settle(Status::Ok()); }, refresh);
  } catch (const std::exception& e) {
    st = Status::Internal(std::string("internal error: ") + e.what());
  }
  if (!answered) return settle(st);
  // Stored and answered; a failed refold leaves the leads dirty for the next.
  if (st.ok())
    metrics_.Scoring(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

ApiResponse Api::IngestResponse(IngestJob& job, ApiResponse res) {
  if (!job.status.ok()) {
    ApiResponse out = ErrorResponse(StatusHttp(job.status),
                                    StatusHttp(job.status) >= 500 ? "internal" : "invalid",
                                    job.status.message() + " (nothing of this request was stored)");
    out.route = res.route;
    out.user = res.user;
    out.key_id = res.key_id;
    return out;
  }
  int64_t stored = 0, duplicates = 0;
  Json results = Json::array();
  size_t v = 0;
  for (size_t i = 0; i < job.items.size(); ++i) {
    const IngestJob::Item& it = job.items[i];
    Json r{{"index", i}};
    if (!it.message_id.empty() || it.reason.empty()) r["messageId"] = it.message_id;
    if (it.reason.empty()) {
      const bool dup = v < job.duplicate.size() && job.duplicate[v];
      ++v;
      r["status"] = dup ? "duplicate" : "stored";
      ++(dup ? duplicates : stored);
    } else {
      r["status"] = "rejected";
      r["reason"] = it.reason;
    }
    results.push_back(std::move(r));
  }
  if (stored == 0) job.leads_updated = 0;
  metrics_.Ingested(stored, duplicates, job.rejected);
  Json out{{"stored", stored},
           {"duplicates", duplicates},
           {"rejected", job.rejected},
           {"leads_updated", job.leads_updated},
           {"events", std::move(results)}};
  ApiResponse r =
      JsonResponse(job.rejected == static_cast<int64_t>(job.items.size()) ? 422 : 200, out);
  r.route = res.route;
  r.user = res.user;
  r.key_id = res.key_id;
  return r;
}

ApiResponse Api::Handle(const ApiRequest& req, IngestJob* job) {
  ApiResponse res;
  try {
    ApiResponse out = Dispatch(req, res, job);
    out.route = res.route;
    out.user = res.user;
    out.key_id = res.key_id;
    return out;
  } catch (const HttpError& e) {
    ApiResponse out = ErrorResponse(e.status, e.code, e.message);
    if (e.status == 401)
      out.headers.emplace_back("WWW-Authenticate", "Bearer, Basic realm=\"leadgate\"");
    out.route = res.route;
    out.user = res.user;
    out.key_id = res.key_id;
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

ApiResponse Api::Dispatch(const ApiRequest& req, ApiResponse& res, IngestJob* job) {
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

  // A lead read: the key check and every query of the read in one read
  // transaction (one consistent view; one WAL read lock, not one per query).
  std::optional<Store::ReadSnapshot> snapshot;
  if (m == "GET" && s.size() == 3 && s[0] == "v1" && s[1] == "leads")
    snapshot.emplace(engine_.store());
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
  res.key_id = p.key_id;

  std::string body_cache;
  const std::string* body_ptr = nullptr;  // the body as sent, or body_cache (inflated)
  auto body = [&]() -> const std::string& {
    if (!body_ptr) {
      const std::string enc = Lower(Trim(req.content_encoding));
      if (enc.empty() || enc == "identity") {
        body_ptr = &req.body;
      } else if (enc == "gzip" || enc == "x-gzip") {
        body_cache = Inflate(req.body, limits_.max_inflated_bytes);
        body_ptr = &body_cache;
      } else {
        Fail(415, "unsupported_encoding",
             "Content-Encoding '" + req.content_encoding + "' is not supported (use gzip)");
      }
    }
    return *body_ptr;
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
    IngestJob local;
    IngestJob& jb = job ? *job : local;
    ParseIngest(body(), s[1], &jb);
    if (jb.events.empty()) return IngestResponse(jb, res);
    if (job) {
      ApiResponse pending;
      pending.status = 0;  // the server commits it with others (group commit)
      return pending;
    }
    CommitIngest({&jb});
    return IngestResponse(jb, res);
  }

  // --- leads ---
  if (is({"v1", "leads", "*"})) {
    res.route = "/v1/leads/{id}";
    methods({"GET"});
    NeedFull(p);
    AllowQuery(t, {"at"});
    Micros at = AtParam(t).value_or(now);
    ShowResult r = Must(engine_.Show(s[2], at));
    const LeadScope scope = ScopeOf(p, engine_.PlaybookAt(now));
    if (!scope.Sees(r.state.owner, r.state.team)) {
      Fail(403, "forbidden", scope.Refusal(s[2], r.state.owner, r.state.team, "sees"));
    }
    ApiResponse out;
    out.body = ShowJsonText(r);  // = ShowJson(r), without building the DOM
    return out;
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
                      "current_solution", "to"});
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
      a.to = OptString(j, "to");  // assign (docs/routing.md)
    }
    if (const LeadScope scope = ScopeOf(p, engine_.PlaybookAt(now));
        scope.kind != LeadScope::Kind::kAll) {
      ShowResult r = Must(engine_.Show(a.lead, std::max(now, a.at)));
      if (!scope.Sees(r.state.owner, r.state.team)) {
        Fail(403, "forbidden", scope.Refusal(a.lead, r.state.owner, r.state.team, "works"));
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
    AllowQuery(t, {"at", "stage", "limit", "owner", "team", "sort"});
    const LeadScope scope = ScopeOf(p, engine_.PlaybookAt(now));
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
             "a rep sees their own leads and unassigned ones (and their team's queue), not " +
                 *owner + "'s");
      }
    }
    std::optional<std::string> team;  // ?team=NAME: leads whose team is NAME (docs/api.md)
    if (auto it = t.query.find("team"); it != t.query.end()) {
      team = it->second;
      const Playbook& pb = engine_.PlaybookAt(now);
      if (!pb.routing) {
        Fail(400, "bad_request",
             "?team= needs teams, and the playbook in force has no routing block");
      }
      if (!pb.routing->FindTeam(*team)) {
        std::string list;
        for (const auto& tm : pb.routing->teams) list += (list.empty() ? "" : ", ") + tm.name;
        Fail(400, "bad_request", "?team='" + *team + "' is not a team (teams: " + list + ")");
      }
      if (scope.kind == LeadScope::Kind::kTeams && !scope.teams.count(*team)) {
        Fail(403, "forbidden",
             "a manager sees the leads of the teams they manage; " + p.user +
                 " does not manage team " + *team);
      }
    }
    const bool filter = owner || team || scope.kind != LeadScope::Kind::kAll;
    bool by_probability = false;  // ?sort=probability: the active model's (docs/predictive.md)
    if (auto it = t.query.find("sort"); it != t.query.end()) {
      if (it->second != "total" && it->second != "probability")
        Fail(400, "bad_request", "?sort='" + it->second + "' must be total or probability");
      by_probability = it->second == "probability";
    }
    auto rows = Must(by_probability ? engine_.QueueByProbability(at, stage, filter ? 0 : limit)
                                    : engine_.Queue(at, stage, filter ? 0 : limit));
    if (filter) {
      std::map<std::string, std::string> teams;
      if (scope.NeedsTeams() || team) teams = Must(LeadTeamsAt(engine_, at));
      auto team_of = [&](const std::string& id) -> std::optional<std::string> {
        auto it = teams.find(id);
        if (it == teams.end()) return std::nullopt;
        return it->second;
      };
      std::vector<QueueRow> kept;
      for (auto& r : rows) {
        const std::optional<std::string> tm =
            scope.NeedsTeams() || team ? team_of(r.id) : std::nullopt;
        bool ok = scope.Sees(r.owner, tm);
        if (owner) ok = ok && (owner->empty() ? !r.owner : r.owner && *r.owner == *owner);
        if (team) ok = ok && tm == *team;
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
    if (const LeadScope scope = ScopeOf(p, engine_.PlaybookAt(now));
        scope.kind != LeadScope::Kind::kAll) {
      auto rows = Must(engine_.Queue(at, std::nullopt, 0));
      std::map<std::string, std::string> teams;
      if (scope.NeedsTeams()) teams = Must(LeadTeamsAt(engine_, at));
      std::set<std::string> hidden;
      for (const auto& q : rows) {
        auto it = teams.find(q.id);
        std::optional<std::string> tm;
        if (it != teams.end()) tm = it->second;
        if (!scope.Sees(q.owner, tm)) hidden.insert(q.id);
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

  // --- webhooks (admins; docs/webhooks.md) ---
  if (is({"v1", "webhooks"})) {
    res.route = "/v1/webhooks";
    methods({"GET", "POST"});
    NeedRole(p, {Role::kAdmin}, "managing webhooks takes an admin");
    AllowQuery(t, {});
    auto to_json = [](const WebhookRecord& w) {
      return Json{{"id", w.id},
                  {"url", w.url},
                  {"events", w.events.empty() ? NotificationTypes() : w.events},
                  {"format", w.format},
                  {"created_at", FormatRfc3339(w.created_at)}};
    };
    if (m == "GET") {
      Json arr = Json::array();
      for (const auto& w : Must(engine_.Webhooks())) arr.push_back(to_json(w));
      return JsonResponse(200, arr);
    }
    Json j = ParseJson(body());
    CheckFields(j, {"url", "events", "format"}, {"url"});
    auto url = OptString(j, "url");
    if (!url) Fail(400, "bad_type", "'url' must be a string");
    std::vector<std::string> events;
    if (j.contains("events")) {
      if (!j["events"].is_array())
        Fail(400, "bad_type",
             std::string("'events' must be an array of strings, not ") + JsonType(j["events"]));
      for (const auto& e : j["events"]) {
        if (!e.is_string())
          Fail(400, "bad_type", std::string("'events' items must be strings, not ") + JsonType(e));
        events.push_back(e.get<std::string>());
      }
    }
    std::string format = "json";
    if (j.contains("format")) {
      auto f = OptString(j, "format");
      if (!f) Fail(400, "bad_type", "'format' must be a string (json or slack)");
      format = *f;
    }
    WebhookRecord w = Must(engine_.AddWebhook(*url, events, format, now));
    Json out = to_json(w);
    out["secret"] = w.secret;
    return JsonResponse(201, out);
  }
  if (is({"v1", "webhooks", "*"})) {
    res.route = "/v1/webhooks/{id}";
    methods({"DELETE"});
    NeedRole(p, {Role::kAdmin}, "managing webhooks takes an admin");
    AllowQuery(t, {});
    Must(engine_.RemoveWebhook(s[2], now));
    return JsonResponse(200, Json{{"id", s[2]}, {"removed_at", FormatRfc3339(now)}});
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
    SlaReport sla = Must(engine_.Sla(now));
    r.body +=
        "# HELP leadgate_sla_breaches Speed-to-lead clocks that ran out (so far, all leads).\n";
    r.body += "# TYPE leadgate_sla_breaches gauge\n";
    r.body += "leadgate_sla_breaches ";
    r.body += std::to_string(sla.breaches);
    r.body += "\n# HELP leadgate_sla_open Speed-to-lead clocks running now.\n";
    r.body += "# TYPE leadgate_sla_open gauge\nleadgate_sla_open ";
    r.body += std::to_string(sla.open.size());
    r.body += "\n";
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
