// The durable webhook outbox (docs/webhooks.md). Engine::Emit fans a
// notification out at emit time: one outbox row per subscription that wants
// its type, with the body (JSON or Slack text) fixed then, written in the
// caller's transaction, so a committed change always has its rows and a
// rolled-back one never does. The server's delivery loop (its own
// connection, DeliveryQueue) sends the rows and records the outcome.
#include "app/outbox.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "app/engine.h"
#include "app/routing.h"
#include "playbook/playbook.h"

namespace leadgate {

using Json = nlohmann::ordered_json;

namespace {

// Transitions older than this (by their own time, against the wall clock) are
// history being loaded, not news: they are not notified (docs/webhooks.md).
constexpr Micros kMaxNotifyAge = 24 * 3600 * kSecond;

template <typename F>
Status Guard(F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Status::Internal(std::string("storage error: ") + e.what());
  }
}

std::string Hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  return out;
}

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> b(bytes);
  randombytes_buf(b.data(), b.size());
  return Hex(b.data(), b.size());
}

std::string JoinEvents(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& e : v) {
    if (!out.empty()) out += ',';
    out += e;
  }
  return out;
}

std::vector<std::string> SplitEvents(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size() && !s.empty()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::optional<std::string> OptText(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

// "5 minutes", "1 hour", "90 seconds".
std::string Duration(Micros d) {
  const int64_t s = d / kSecond;
  auto unit = [](int64_t n, const char* one) {
    std::string out = std::to_string(n);
    out += ' ';
    out += one;
    if (n != 1) out += 's';
    return out;
  };
  if (s > 0 && s % 86400 == 0) return unit(s / 86400, "day");
  if (s > 0 && s % 3600 == 0) return unit(s / 3600, "hour");
  if (s > 0 && s % 60 == 0) return unit(s / 60, "minute");
  return unit(s, "second");
}

std::string Str(const Json& d, const char* k) {
  auto it = d.find(k);
  if (it == d.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::string StageLabel(const std::string& s) {
  if (s == "mql" || s == "sal" || s == "sql") {
    std::string u = s;
    for (char& c : u) c = static_cast<char>(c - 'a' + 'A');
    return u;
  }
  return s;
}

// The Slack-compatible body ({"text": ...}) of a notification.
std::string SlackBody(const Notification& n, const std::string& who_fallback) {
  Json d = Json::parse(n.data_json, nullptr, false);
  if (!d.is_object()) d = Json::object();
  std::string who = Str(d, "who");
  if (who.empty()) who = who_fallback;
  if (who.empty()) who = n.lead;
  std::string text;
  if (n.type == "lead.mql") {
    text = "New MQL: " + who;
    if (d.contains("sla_seconds") && d["sla_seconds"].is_number_integer()) {
      text += " \u2014 ";
      text += Duration(d["sla_seconds"].get<int64_t>() * kSecond);
      text += " to respond";
    }
  } else if (n.type == "lead.assigned") {
    const std::string owner = Str(d, "owner");
    text = "Lead assigned" + (owner.empty() ? std::string() : " to " + owner) + ": " + who;
  } else if (n.type == "sla.breached") {
    text = "SLA breached: " + who + " was not answered in time";
    const std::string owner = Str(d, "owner"), esc = Str(d, "escalated_to");
    if (!owner.empty()) text += " (owner " + owner + ")";
    if (!esc.empty()) text += " \u2014 escalated to " + esc;
  } else if (n.type == "lead.disqualified") {
    text = "Disqualified: " + who;
    const std::string reason = Str(d, "reason"), by = Str(d, "by");
    if (!reason.empty()) text += " \u2014 " + reason;
    if (!by.empty()) text += " (by " + by + ")";
  } else if (n.type == "lead.stage_changed") {
    text = who + " moved from " + StageLabel(Str(d, "from")) + " to " + StageLabel(Str(d, "to"));
    const std::string by = Str(d, "by"), reason = Str(d, "reason");
    if (!by.empty()) text += " (by " + by + ")";
    if (!reason.empty()) text += ": " + reason;
  } else {
    text = n.type + ": " + who;
  }
  return Json{{"text", text}}.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

const std::vector<std::string>& NotificationTypes() {
  static const std::vector<std::string> v = {"lead.mql", "lead.assigned", "lead.stage_changed",
                                             "sla.breached", "lead.disqualified"};
  return v;
}

std::string WebhookSignature(const std::string& secret, int64_t unix_seconds,
                             const std::string& body) {
  std::string msg = std::to_string(unix_seconds);
  msg += '.';
  msg += body;
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()),
                                msg.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  return Hex(mac, sizeof mac);
}

bool ParseWebhookUrl(const std::string& url, WebhookUrl* out, std::string* why) {
  if (url.rfind("https://", 0) == 0) {
    *why =
        "https:// URLs are not supported yet: give an http:// URL (a TLS-terminating relay "
        "can forward to https, see docs/webhooks.md)";
    return false;
  }
  if (url.rfind("http://", 0) != 0) {
    *why = "the URL must start with http:// (like http://127.0.0.1:9000/hook)";
    return false;
  }
  std::string rest = url.substr(7);
  size_t slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  out->target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (hostport.find('@') != std::string::npos) {
    *why = "credentials in the URL are not supported (the signature authenticates deliveries)";
    return false;
  }
  size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    out->host = hostport.substr(0, colon);
    out->port = hostport.substr(colon + 1);
    if (out->port.empty() || out->port.size() > 5 ||
        out->port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(out->port) > 65535 || std::stoi(out->port) == 0) {
      *why = "the port '" + out->port + "' is not a number from 1 to 65535";
      return false;
    }
  } else {
    out->host = hostport;
  }
  if (out->host.size() > 2 && out->host.front() == '[' && out->host.back() == ']')
    out->host = out->host.substr(1, out->host.size() - 2);
  if (out->host.empty()) {
    *why = "the URL has no host";
    return false;
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      *why = "the URL contains a space or control character";
      return false;
    }
  }
  return true;
}

// One per engine (its connection): the subscriptions in force and the rows
// this transaction emitted so far.
class Outbox {
 public:
  explicit Outbox(Store& s) : db_(s.db()) {}

  struct Sub {
    std::string id, format;
    std::vector<std::string> events;
    bool Wants(const std::string& type) const {
      return events.empty() || std::find(events.begin(), events.end(), type) != events.end();
    }
  };

  Status LoadSubs() {
    return Guard([&] {
      subs_.clear();
      SQLite::Statement q(db_,
                          "SELECT id, format, events FROM webhooks WHERE removed_at IS NULL "
                          "ORDER BY created_at, id");
      while (q.executeStep()) {
        subs_.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                         SplitEvents(q.getColumn(2).getString())});
      }
      subs_valid_ = true;
      return Status::Ok();
    });
  }
  void Invalidate() { subs_valid_ = false; }
  const std::vector<Sub>& subs() const { return subs_; }
  bool subs_valid() const { return subs_valid_; }

  Status Insert(const std::string& webhook, const std::string& event_id, const Notification& n,
                const std::string& body, Micros now) {
    return Guard([&] {
      if (!insert_) {
        insert_ = std::make_unique<SQLite::Statement>(
            db_,
            "INSERT INTO outbox(webhook_id, event_id, type, lead_id, at, body, created_at, state, "
            "attempts, next_at) VALUES(?,?,?,?,?,?,?,'pending',0,?)");
      }
      SQLite::Statement& q = *insert_;
      q.tryReset();  // not reset(): it rethrows the last step's error
      q.bind(1, webhook);
      q.bind(2, event_id);
      q.bind(3, n.type);
      q.bind(4, n.lead);
      q.bind(5, static_cast<int64_t>(n.at));
      q.bindNoCopy(6, body);
      q.bind(7, static_cast<int64_t>(now));
      q.bind(8, static_cast<int64_t>(now));
      q.exec();
      return Status::Ok();
    });
  }

  // The stored projection's history keys of a lead (before it is replaced).
  Status History(const std::string& lead, std::vector<HistoryEntry>* out) {
    return Guard([&] {
      if (!history_) {
        history_ = std::make_unique<SQLite::Statement>(
            db_, "SELECT at, from_stage, to_stage, by_user FROM history WHERE lead_id = ?");
      }
      SQLite::Statement& q = *history_;
      q.tryReset();
      q.bind(1, lead);
      while (q.executeStep()) {
        HistoryEntry e;
        e.at = q.getColumn(0).getInt64();
        e.from = ParseStage(q.getColumn(1).getString()).value_or(Stage::kLead);
        e.to = ParseStage(q.getColumn(2).getString()).value_or(Stage::kLead);
        e.by = q.getColumn(3).getString();
        out->push_back(std::move(e));
      }
      return Status::Ok();
    });
  }

  Result<std::string> Who(const std::string& lead) {
    std::string who;
    Status s = Guard([&] {
      SQLite::Statement q(db_, "SELECT who FROM leads WHERE id = ?");
      q.bind(1, lead);
      if (q.executeStep()) who = q.getColumn(0).getString();
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return who;
  }

  int64_t mqls = 0, queued = 0;  // this transaction's, until EmitCommitted
  std::function<void(int64_t, int64_t)> listener;

 private:
  SQLite::Database& db_;
  std::vector<Sub> subs_;
  bool subs_valid_ = false;
  std::unique_ptr<SQLite::Statement> insert_, history_;
};

namespace {
Outbox& Get(std::unique_ptr<Outbox>& p, Store& s) {
  if (!p) p = std::make_unique<Outbox>(s);
  return *p;
}
}  // namespace

Engine::Engine() = default;
Engine::~Engine() = default;

void Engine::SetEmitListener(std::function<void(int64_t, int64_t)> fn) {
  Get(outbox_, *store_).listener = std::move(fn);
}

bool Engine::BeginChanges(bool bulk) {
  Outbox& o = Get(outbox_, *store_);
  o.mqls = o.queued = 0;
  if (Status s = o.LoadSubs(); !s.ok()) return !bulk;
  // Without subscriptions a bulk refresh skips the diff (nothing to send);
  // a small one still diffs, for the MQL counter of the server's /metrics.
  return !o.subs().empty() || (!bulk && o.listener);
}

void Engine::EmitCommitted() {
  if (!outbox_) return;
  Outbox& o = *outbox_;
  const int64_t mqls = o.mqls, queued = o.queued;
  o.mqls = o.queued = 0;
  o.Invalidate();
  if ((mqls || queued) && o.listener) o.listener(mqls, queued);
}

Status Engine::Emit(const Notification& n) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  Outbox& o = Get(outbox_, *store_);
  if (!o.subs_valid()) {
    if (Status s = o.LoadSubs(); !s.ok()) return s;
  }
  if (n.type == "lead.mql") ++o.mqls;
  bool any = false;
  for (const auto& sub : o.subs()) any = any || sub.Wants(n.type);
  if (!any) return Status::Ok();
  const Micros now = NowMicros();
  const std::string event_id = "evt_" + RandomHex(12);
  std::string json, slack;
  for (const auto& sub : o.subs()) {
    if (!sub.Wants(n.type)) continue;
    const std::string* body;
    if (sub.format == "slack") {
      if (slack.empty()) {
        std::string who;
        if (n.data_json.find("\"who\"") == std::string::npos) {
          auto w = o.Who(n.lead);
          if (w.ok()) who = *w;
        }
        slack = SlackBody(n, who);
      }
      body = &slack;
    } else {
      if (json.empty()) {
        Json data = Json::parse(n.data_json, nullptr, false);
        if (!data.is_object()) data = Json::object();
        json = Json{
            {"id", event_id},
            {"type", n.type},
            {"lead", n.lead},
            {"at", FormatRfc3339(n.at)},
            {"data",
             data}}.dump(-1, ' ', false, Json::error_handler_t::replace);
      }
      body = &json;
    }
    if (Status s = o.Insert(sub.id, event_id, n, *body, now); !s.ok()) return s;
    ++o.queued;
  }
  // Outside a transaction each row committed as it was written: wake the
  // delivery loop now (inside one, the caller's commit does).
  if (sqlite3_get_autocommit(store_->db().getHandle()) != 0) EmitCommitted();
  return Status::Ok();
}

Status Engine::DirtyHistories(std::unordered_map<std::string, std::vector<HistoryEntry>>* out) {
  return Guard([&] {
    SQLite::Statement q(store_->db(),
                        "SELECT h.lead_id, h.at, h.from_stage, h.to_stage, h.by_user FROM dirty d "
                        "JOIN history h ON h.lead_id = d.lead_id");
    while (q.executeStep()) {
      HistoryEntry e;
      e.at = q.getColumn(1).getInt64();
      e.from = ParseStage(q.getColumn(2).getString()).value_or(Stage::kLead);
      e.to = ParseStage(q.getColumn(3).getString()).value_or(Stage::kLead);
      e.by = q.getColumn(4).getString();
      (*out)[q.getColumn(0).getString()].push_back(std::move(e));
    }
    return Status::Ok();
  });
}

Status Engine::NotifyChanges(const LeadState& st, const std::string& who,
                             const std::vector<HistoryEntry>* preloaded) {
  const Micros cutoff = NowMicros() - kMaxNotifyAge;
  bool recent = false;
  for (const HistoryEntry& h : st.history) recent = recent || h.at >= cutoff;
  if (!recent) return Status::Ok();
  std::vector<HistoryEntry> loaded;
  if (!preloaded) {
    if (Status s = Get(outbox_, *store_).History(st.id, &loaded); !s.ok()) return s;
  }
  const std::vector<HistoryEntry>& old = preloaded ? *preloaded : loaded;
  std::vector<bool> used(old.size(), false);
  const Playbook& pb = PlaybookOf(st);
  for (const HistoryEntry& h : st.history) {
    bool seen = false;
    for (size_t i = 0; i < old.size() && !seen; ++i) {
      if (!used[i] && old[i].at == h.at && old[i].from == h.from && old[i].to == h.to &&
          old[i].by == h.by) {
        used[i] = seen = true;
      }
    }
    if (seen || h.at < cutoff) continue;
    Json base{{"who", who},
              {"owner", st.owner ? Json(*st.owner) : Json(nullptr)},
              {"stage", StageName(st.stage)},
              {"fit", st.fit},
              {"engagement", st.engagement},
              {"total", st.total}};
    Json change = base;
    change["from"] = StageName(h.from);
    change["to"] = StageName(h.to);
    change["by"] = h.by;
    change["reason"] = h.reason ? Json(*h.reason) : Json(nullptr);
    change["rule"] = h.rule ? Json(*h.rule) : Json(nullptr);
    change["exception"] = h.exception;
    change["playbook_version"] = h.playbook_version;
    auto emit = [&](const char* type, const Json& data) {
      Notification n;
      n.type = type;
      n.lead = st.id;
      n.at = h.at;
      n.data_json = data.dump(-1, ' ', false, Json::error_handler_t::replace);
      return Emit(n);
    };
    if (Status s = emit("lead.stage_changed", change); !s.ok()) return s;
    if (h.to == Stage::kMql) {
      Json d = base;
      d["from"] = StageName(h.from);
      d["reason"] = h.reason ? Json(*h.reason) : Json(nullptr);
      d["rule"] = h.rule ? Json(*h.rule) : Json(nullptr);
      if (pb.first_response) {
        d["sla_seconds"] = *pb.first_response / kSecond;
        d["sla_due"] = FormatRfc3339(h.at + *pb.first_response);
      } else {
        d["sla_seconds"] = nullptr;
        d["sla_due"] = nullptr;
      }
      if (Status s = emit("lead.mql", d); !s.ok()) return s;
    } else if (h.to == Stage::kDisq) {
      Json d = base;
      d["from"] = StageName(h.from);
      d["by"] = h.by;
      d["reason"] = h.reason ? Json(*h.reason) : Json(nullptr);
      d["rule"] = h.rule ? Json(*h.rule) : Json(nullptr);
      if (Status s = emit("lead.disqualified", d); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

Result<WebhookRecord> Engine::AddWebhook(const std::string& url,
                                         const std::vector<std::string>& events,
                                         const std::string& format, Micros now) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  WebhookUrl parsed;
  std::string why;
  if (!ParseWebhookUrl(url, &parsed, &why))
    return Status::Invalid("webhook URL '" + url + "': " + why);
  if (format != "json" && format != "slack") {
    return Status::Usage("--format must be json or slack, not '" + format + "'");
  }
  WebhookRecord w;
  for (const auto& e : events) {
    const auto& all = NotificationTypes();
    if (std::find(all.begin(), all.end(), e) == all.end()) {
      return Status::Usage("unknown event type '" + e + "' (use " + JoinEvents(all) + ")");
    }
    if (std::find(w.events.begin(), w.events.end(), e) == w.events.end()) w.events.push_back(e);
  }
  w.id = "wh_" + RandomHex(6);
  w.url = url;
  w.format = format;
  w.secret = "whsec_" + RandomHex(32);
  w.created_at = now;
  if (Status s = store_->Begin(); !s.ok()) return s;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(),
                        "INSERT INTO webhooks(id, url, events, format, secret, created_at) "
                        "VALUES(?,?,?,?,?,?)");
    q.bind(1, w.id);
    q.bind(2, w.url);
    q.bind(3, JoinEvents(w.events));
    q.bind(4, w.format);
    q.bind(5, w.secret);
    q.bind(6, static_cast<int64_t>(now));
    q.exec();
    return Status::Ok();
  });
  if (s.ok()) s = store_->Commit();
  if (!s.ok()) {
    store_->Rollback();
    return s;
  }
  if (outbox_) outbox_->Invalidate();
  return w;
}

Result<std::vector<WebhookRecord>> Engine::Webhooks(bool with_removed) {
  std::vector<WebhookRecord> out;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(),
                        std::string("SELECT id, url, events, format, secret, created_at, "
                                    "removed_at FROM webhooks") +
                            (with_removed ? "" : " WHERE removed_at IS NULL") +
                            " ORDER BY created_at, id");
    while (q.executeStep()) {
      WebhookRecord w;
      w.id = q.getColumn(0).getString();
      w.url = q.getColumn(1).getString();
      w.events = SplitEvents(q.getColumn(2).getString());
      w.format = q.getColumn(3).getString();
      w.secret = q.getColumn(4).getString();
      w.created_at = q.getColumn(5).getInt64();
      if (!q.getColumn(6).isNull()) w.removed_at = q.getColumn(6).getInt64();
      out.push_back(std::move(w));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status Engine::RemoveWebhook(const std::string& id, Micros now) {
  if (Status s = store_->Begin(); !s.ok()) return s;
  int found = 0;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(),
                        "UPDATE webhooks SET removed_at = ? WHERE id = ? AND removed_at IS NULL");
    q.bind(1, static_cast<int64_t>(now));
    q.bind(2, id);
    found = q.exec();
    SQLite::Statement c(store_->db(),
                        "UPDATE outbox SET state = 'cancelled', done_at = ?, last_error = "
                        "'the webhook was removed' WHERE webhook_id = ? AND state = 'pending'");
    c.bind(1, static_cast<int64_t>(now));
    c.bind(2, id);
    c.exec();
    return Status::Ok();
  });
  if (s.ok() && found == 0)
    s = Status::NotFound("no webhook '" + id + "' (see 'leadgate webhook list')");
  if (s.ok()) s = store_->Commit();
  if (!s.ok()) {
    store_->Rollback();
    return s;
  }
  if (outbox_) outbox_->Invalidate();
  return Status::Ok();
}

Result<std::vector<DeliveryRecord>> Engine::Deliveries(bool failed_only, int64_t limit) {
  std::vector<DeliveryRecord> out;
  if (limit <= 0) limit = INT64_MAX;
  Status s = Guard([&] {
    SQLite::Statement q(
        store_->db(),
        std::string("SELECT o.id, o.webhook_id, coalesce(w.url, ''), o.event_id, o.type, "
                    "o.lead_id, o.body, o.at, o.created_at, o.next_at, o.state, o.attempts, "
                    "o.last_status, o.last_error, o.done_at FROM outbox o LEFT JOIN webhooks w "
                    "ON w.id = o.webhook_id") +
            (failed_only ? " WHERE o.state = 'failed'" : "") + " ORDER BY o.id DESC LIMIT ?");
    q.bind(1, limit);
    while (q.executeStep()) {
      DeliveryRecord d;
      d.id = q.getColumn(0).getInt64();
      d.webhook_id = q.getColumn(1).getString();
      d.url = q.getColumn(2).getString();
      d.event_id = q.getColumn(3).getString();
      d.type = q.getColumn(4).getString();
      d.lead = q.getColumn(5).getString();
      d.body = q.getColumn(6).getString();
      d.at = q.getColumn(7).getInt64();
      d.created_at = q.getColumn(8).getInt64();
      d.next_at = q.getColumn(9).getInt64();
      d.state = q.getColumn(10).getString();
      d.attempts = q.getColumn(11).getInt64();
      if (!q.getColumn(12).isNull()) d.last_status = q.getColumn(12).getInt64();
      d.last_error = OptText(q.getColumn(13));
      if (!q.getColumn(14).isNull()) d.done_at = q.getColumn(14).getInt64();
      out.push_back(std::move(d));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  std::reverse(out.begin(), out.end());  // oldest first
  return out;
}

// --- the delivery loop's side ---

Result<std::unique_ptr<DeliveryQueue>> DeliveryQueue::Open(const std::string& db_path) {
  auto s = Store::Open(db_path, false);
  if (!s.ok()) return s.status();
  (*s)->SetBusyTimeoutMs(10000);
  (*s)->SetCacheKiB(4096);
  std::unique_ptr<DeliveryQueue> q(new DeliveryQueue());
  q->store_ = std::move(*s);
  return q;
}

Result<std::vector<DeliveryQueue::Owed>> DeliveryQueue::Due(Micros now, int limit) {
  std::vector<Owed> out;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(),
                        "SELECT o.id, o.webhook_id, w.url, w.secret, o.type, o.event_id, o.body, "
                        "o.attempts FROM outbox o JOIN webhooks w ON w.id = o.webhook_id "
                        "WHERE o.state = 'pending' AND o.next_at <= ? ORDER BY o.id "
                        "LIMIT ?");
    q.bind(1, static_cast<int64_t>(now));
    q.bind(2, limit);
    while (q.executeStep()) {
      Owed o;
      o.id = q.getColumn(0).getInt64();
      o.webhook_id = q.getColumn(1).getString();
      o.url = q.getColumn(2).getString();
      o.secret = q.getColumn(3).getString();
      o.type = q.getColumn(4).getString();
      o.event_id = q.getColumn(5).getString();
      o.body = q.getColumn(6).getString();
      o.attempts = q.getColumn(7).getInt64();
      out.push_back(std::move(o));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<bool> DeliveryQueue::StillOwed(int64_t id) {
  bool owed = false;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(), "SELECT state = 'pending' FROM outbox WHERE id = ?");
    q.bind(1, id);
    owed = q.executeStep() && q.getColumn(0).getInt() == 1;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return owed;
}

Result<std::optional<Micros>> DeliveryQueue::NextDue() {
  std::optional<Micros> out;
  Status s = Guard([&] {
    SQLite::Statement q(store_->db(), "SELECT min(next_at) FROM outbox WHERE state = 'pending'");
    if (q.executeStep() && !q.getColumn(0).isNull()) out = q.getColumn(0).getInt64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status DeliveryQueue::Delivered(int64_t id, int64_t attempts, int status, Micros now) {
  return Guard([&] {
    SQLite::Statement q(store_->db(),
                        "UPDATE outbox SET state = 'delivered', attempts = ?, last_status = ?, "
                        "last_error = NULL, done_at = ? WHERE id = ? AND state = 'pending'");
    q.bind(1, attempts);
    q.bind(2, status);
    q.bind(3, static_cast<int64_t>(now));
    q.bind(4, id);
    q.exec();
    return Status::Ok();
  });
}

Status DeliveryQueue::Attempted(int64_t id, int64_t attempts, std::optional<int> status,
                                const std::string& error, std::optional<Micros> next_at,
                                Micros now) {
  return Guard([&] {
    SQLite::Statement q(store_->db(),
                        "UPDATE outbox SET state = ?, attempts = ?, last_status = ?, "
                        "last_error = ?, next_at = ?, done_at = ? WHERE id = ? AND "
                        "state = 'pending'");
    q.bind(1, next_at ? "pending" : "failed");
    q.bind(2, attempts);
    if (status) {
      q.bind(3, *status);
    } else {
      q.bind(3);
    }
    q.bind(4, error);
    q.bind(5, static_cast<int64_t>(next_at.value_or(now)));
    if (next_at) {
      q.bind(6);
    } else {
      q.bind(6, static_cast<int64_t>(now));
    }
    q.bind(7, id);
    q.exec();
    return Status::Ok();
  });
}

}  // namespace leadgate
