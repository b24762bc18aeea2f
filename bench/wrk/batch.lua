-- wrk script: POST /v1/batch with PER events each (default 500), unique
-- messageIds (thread id + request counter + index), userIds over LEADS leads.
-- Env: KEY (required), PER, LEADS (default 100000).
local key = os.getenv("KEY")
local per = tonumber(os.getenv("PER") or "500")
local leads = tonumber(os.getenv("LEADS") or "100000")
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
  local parts = {}
  for i = 1, per do
    parts[i] = string.format(
      '{"type":"track","userId":"L-%d","event":"page_view","timestamp":"%s","messageId":"b%d-%d-%d","properties":{"url":"/pricing"}}',
      ((n * per + i) * 7919 + tid) % leads, ts, tid, n, i)
  end
  return wrk.format(nil, "/v1/batch", nil, '{"batch":[' .. table.concat(parts, ",") .. ']}')
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx responses: %d, socket errors: %d\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("events/s: %.0f\n", summary.requests * per / (summary.duration / 1e6)))
end
