// The HTTP API as a function from a request to a response: routing, keys and
// roles, JSON in and out, over the Engine (every operation is the Engine's;
// nothing here decides a lead's fate). Not thread-safe: the server calls it
// from its one engine thread. The network layer is in server.cc.
#pragma once

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
};

struct ApiLimits {
  size_t max_inflated_bytes = 32 << 20;  // a gzip body may expand to this much
};

class Api {
 public:
  Api(Engine& engine, Metrics& metrics, ApiLimits limits)
      : engine_(engine), metrics_(metrics), limits_(limits) {}
  // Never throws; a bad request is a 4xx with a JSON error saying what was wrong.
  ApiResponse Handle(const ApiRequest& req);

 private:
  ApiResponse Dispatch(const ApiRequest& req, ApiResponse& res);
  Engine& engine_;
  Metrics& metrics_;
  ApiLimits limits_;
};

// The OpenAPI 3 document served at /openapi.json.
const std::string& OpenApiJson();

// A JSON error response: {"error": code, "message": message}.
ApiResponse ErrorResponse(int status, const std::string& code, const std::string& message);

}  // namespace leadgate::server
