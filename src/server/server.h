// `leadgate serve`: the HTTP API over one store. The network runs on Asio
// (Boost.Beast) threads; each also owns a read-only Engine (its own SQLite
// connection, WAL lets it read while the writer commits) that parses and
// authorises ingest requests and answers GET /v1/leads/{id}. Every write runs
// on one engine thread; ingest requests waiting there are committed together
// (group commit: one transaction, one fsync) and each is answered after it.
#pragma once

#include <cstddef>
#include <string>

namespace leadgate::server {

struct ServerOptions {
  std::string db = "leadgate.db";
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 picks a free one
  size_t max_body_bytes = 8 << 20;        // request body as sent
  size_t max_inflated_bytes = 32 << 20;   // a gzip body after decompression
  size_t max_header_bytes = 16 << 10;
  int timeout_seconds = 30;  // to read a request / write a response
  int threads = 1;           // network threads (each with a read-only store connection)
  bool quiet = false;        // no request log lines
  // Webhook delivery (docs/webhooks.md): the first retry waits about
  // retry_base_ms (doubling, with jitter, at most an hour); a delivery is
  // failed after max_attempts; each request may take timeout_ms; the outbox
  // is polled every poll_ms for rows other processes wrote.
  int webhook_retry_base_ms = 5000;
  int webhook_max_attempts = 10;
  int webhook_timeout_ms = 10000;
  int webhook_poll_ms = 200;
};

// Serves until SIGTERM or SIGINT: then stops accepting, finishes the
// requests in flight and closes the store. Prints "listening on HOST:PORT"
// on stdout once bound. Returns the process exit status.
int Serve(const ServerOptions& opts);

}  // namespace leadgate::server
