#include "cli/webhook_cmd.h"

#include <iostream>

#include "app/engine.h"

namespace leadgate {
namespace {

int Exit(const Status& s) {
  if (s.ok()) return 0;
  std::cerr << "leadgate: " << s.message() << "\n";
  return s.code() == StatusCode::kUsage ? 2 : 1;
}

std::string Join(const std::vector<std::string>& v, const char* empty) {
  if (v.empty()) return empty;
  std::string out;
  for (const auto& e : v) out += (out.empty() ? "" : ",") + e;
  return out;
}

}  // namespace

void AddWebhookServeOptions(CLI::App* serve, server::ServerOptions& opts) {
  serve
      ->add_option("--webhook-retry-base-ms", opts.webhook_retry_base_ms,
                   "the first webhook retry waits about this long (doubling, with jitter)")
      ->envname("LEADGATE_WEBHOOK_RETRY_BASE_MS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--webhook-max-attempts", opts.webhook_max_attempts,
                   "attempts before a webhook delivery is marked failed")
      ->envname("LEADGATE_WEBHOOK_MAX_ATTEMPTS")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  serve
      ->add_option("--webhook-timeout-ms", opts.webhook_timeout_ms,
                   "how long one webhook request may take")
      ->envname("LEADGATE_WEBHOOK_TIMEOUT_MS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  serve
      ->add_option("--webhook-poll-ms", opts.webhook_poll_ms,
                   "how often the outbox is checked for rows other processes wrote")
      ->envname("LEADGATE_WEBHOOK_POLL_MS")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

void AddWebhookCommands(CLI::App& app, std::string& db, int& rc) {
  auto* wh =
      app.add_subcommand("webhook", "webhook subscriptions and deliveries (docs/webhooks.md)");
  wh->require_subcommand(1);

  auto* add =
      wh->add_subcommand("add", "subscribe a URL; prints its signing secret once, alone on stdout");
  static std::string url, events, format = "json";
  add->add_option("URL", url, "where to POST (http://HOST[:PORT]/PATH)")->required();
  add->add_option("--events", events,
                  "comma-separated types (lead.mql, lead.assigned, lead.stage_changed, "
                  "sla.breached, lead.disqualified); default: all");
  add->add_option("--format", format, "json (signed event envelopes) or slack ({\"text\": ...})")
      ->capture_default_str();
  add->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = Exit(e.status()));
    std::vector<std::string> types;
    size_t i = 0;
    while (i < events.size()) {
      size_t j = events.find(',', i);
      if (j == std::string::npos) j = events.size();
      std::string t(TrimSpaces(std::string_view(events).substr(i, j - i)));
      if (!t.empty()) types.push_back(t);
      i = j + 1;
    }
    auto w = (*e)->AddWebhook(url, types, format, NowMicros());
    if (!w.ok()) return void(rc = Exit(w.status()));
    std::cout << w->secret << std::endl;
    std::cerr << "webhook " << w->id << " -> " << w->url << " (" << w->format << "; "
              << Join(w->events, "all events")
              << "): its signing secret is above; store it now, it is not shown again\n";
  });

  auto* list = wh->add_subcommand("list", "list subscriptions (never their secrets)");
  static bool all = false;
  list->add_flag("--all", all, "include removed subscriptions");
  list->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = Exit(e.status()));
    auto v = (*e)->Webhooks(all);
    if (!v.ok()) return void(rc = Exit(v.status()));
    for (const auto& w : *v) {
      std::cout << w.id << "  " << w.url << "  " << w.format << "  " << Join(w.events, "all")
                << "  created " << FormatRfc3339(w.created_at)
                << (w.removed_at ? "  removed " + FormatRfc3339(*w.removed_at) : std::string())
                << "\n";
    }
  });

  auto* rm =
      wh->add_subcommand("remove", "remove a subscription; its owed deliveries are cancelled");
  static std::string id;
  rm->add_option("ID", id, "the webhook's id (from webhook list)")->required();
  rm->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = Exit(e.status()));
    Status s = (*e)->RemoveWebhook(id, NowMicros());
    if (s.ok()) std::cout << "removed " << id << "\n";
    rc = Exit(s);
  });

  auto* dl = wh->add_subcommand("deliveries", "the outbox: owed, delivered and failed deliveries");
  static bool failed = false;
  static int64_t limit = 100;
  dl->add_flag("--failed", failed, "only deliveries that gave up");
  dl->add_option("--limit", limit, "the latest N (0: all)")->capture_default_str();
  dl->callback([&] {
    auto e = Engine::Open(db);
    if (!e.ok()) return void(rc = Exit(e.status()));
    auto v = (*e)->Deliveries(failed, limit);
    if (!v.ok()) return void(rc = Exit(v.status()));
    for (const auto& d : *v) {
      std::cout << d.id << "  " << d.state << "  " << d.type << "  " << d.lead << "  "
                << d.webhook_id << "  attempts " << d.attempts;
      if (d.last_status) std::cout << "  last " << *d.last_status;
      if (d.last_error) std::cout << "  error: " << *d.last_error;
      std::cout << "  created " << FormatRfc3339(d.created_at);
      if (d.state == "pending") std::cout << "  next " << FormatRfc3339(d.next_at);
      if (d.done_at) std::cout << "  done " << FormatRfc3339(*d.done_at);
      std::cout << "\n";
    }
  });
}

}  // namespace leadgate
