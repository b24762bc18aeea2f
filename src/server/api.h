// The HTTP API as a function from a request to a response: routing, keys and
// roles, JSON in and out, over the Engine (every operation is the Engine's;
// nothing here decides a lead's fate). Not thread-safe: the server calls it
// from its one engine thread. The network layer is in server.cc.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "app/engine.h"
#include "server/metrics.h"

namespace leadgate::server {

struct ApiRequest {
  std::string method, target;  // target: path and query, as sent
  std::string authorization, content_encoding;
  std::string body;
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string route = "unmatched";  // for metrics and logs: "/v1/leads/{id}"
  std::string user;                 // who asked (logs), "" when unknown
  std::string key_id;               // the key's public id (logs; never the secret)
};

// An ingest request parsed and authorised, waiting for its commit: the
// server stores the events of every request waiting at once in one
// transaction (group commit) and answers each after that commit.
struct IngestJob {
  struct Item {
    std::string message_id;  // "" when the event had none readable
    std::string reason;      // "" = valid (in `events`), else why rejected
  };
  std::vector<Item> items;    // one per event of the request, in order
  std::vector<Event> events;  // the valid ones, in order
  int64_t rejected = 0;
  // Set by CommitIngest:
  Status status = Status::Ok();
  std::vector<char> duplicate;  // per valid event
  int64_t leads_updated = 0;
};

struct ApiLimits {
  size_t max_inflated_bytes = 32 << 20;  // a gzip body may expand to this much
};

class Api {
 public:
  Api(Engine& engine, Metrics& metrics, ApiLimits limits)
      : engine_(engine), metrics_(metrics), limits_(limits) {}
  // Never throws; a bad request is a 4xx with a JSON error saying what was wrong.
  // With `job`, a valid ingest request is not committed here: its events go
  // to `*job` and the response has status 0 (commit it with CommitIngest,
  // then answer with IngestResponse).
  ApiResponse Handle(const ApiRequest& req, IngestJob* job = nullptr);
  // Stores the valid events of all `jobs` in one transaction and sets each
  // job's outcome; `durable` is called when they are on disk (before the
  // refold; on failure, after setting the failure), once.
  // refresh=false: their leads are refolded by a later RefreshIngested (the
  // server refolds the leads of several groups at once under load).
  void CommitIngest(const std::vector<IngestJob*>& jobs,
                    const std::function<void()>& durable = nullptr, bool refresh = true);
  // Refolds the leads of earlier CommitIngest(refresh=false) calls (a
  // failure leaves them dirty: reads fold them, the next refresh retries).
  void RefreshIngested();
  // The per-event answer to a committed job (`res` from Handle: route, user).
  ApiResponse IngestResponse(IngestJob& job, ApiResponse res);
  // Whether the request is one a read-only Api (its own store connection,
  // not the engine thread) answers: GET /v1/leads/{id}, ingest parsing.
  static bool ForReader(const ApiRequest& req);

 private:
  ApiResponse Dispatch(const ApiRequest& req, ApiResponse& res, IngestJob* job);
  Engine& engine_;
  Metrics& metrics_;
  ApiLimits limits_;
};

// The OpenAPI 3 document served at /openapi.json.
const std::string& OpenApiJson();

// A JSON error response: {"error": code, "message": message}.
ApiResponse ErrorResponse(int status, const std::string& code, const std::string& message);

}  // namespace leadgate::server
