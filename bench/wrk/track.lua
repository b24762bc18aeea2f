-- wrk script: one Segment track event per POST /v1/track, a unique messageId
-- per request (thread id + counter), userIds over LEADS leads.
-- Env: KEY (ingest key, required), LEADS (default 20000).
local key = os.getenv("KEY")
local leads = tonumber(os.getenv("LEADS") or "20000")
local tid = 0

function setup(thread)
  tid = tid + 1
  thread:set("tid", tid)
end

function init(args)
  n = 0
  ts = os.date("!%Y-%m-%dT%H:%M:%SZ")
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. key
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local body = string.format(
    '{"userId":"L-%d","event":"page_view","timestamp":"%s","messageId":"t%d-%d","properties":{"url":"/pricing"}}',
    (n * 7919 + tid) % leads, ts, tid, n)
  return wrk.format(nil, "/v1/track", nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx responses: %d, socket errors: %d\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
