#!/usr/bin/env python3
"""Event in -> lead.mql webhook out, end to end (docs/benchmarks.md).

Starts a receiver (127.0.0.1, random port), a fresh store with a lead.mql
webhook to it, and `leadgate serve`; then N times: POST /v1/batch with the
identify + demo request that make a new lead an MQL, and wait for its
lead.mql webhook. The latency is from just before the request is sent to
the moment the receiver has read the webhook (one process, one clock).
Prints p50/p90/p99/max in ms.

    python3 bench/webhook_latency.py [--n 1000] [--build build] [--json]
"""
import argparse
import http.client
import http.server
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    lg = os.path.join(args.build, "leadgate")
    tmp = tempfile.mkdtemp(prefix="lg-whlat-")
    db = os.path.join(tmp, "store.db")

    def run(*a):
        return subprocess.run([lg, "--db", db, *a], check=True, capture_output=True,
                              text=True).stdout.strip()

    arrived = {}
    cond = threading.Condition()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            t = time.perf_counter()
            lead = json.loads(body)["lead"]
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with cond:
                arrived.setdefault(lead, t)
                cond.notify_all()

        def log_message(self, *a):
            pass

    rx = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=rx.serve_forever, daemon=True).start()

    run("init", "--playbook", os.path.join(ROOT, "playbooks", "default.yaml"))
    run("user", "add", "mark", "--role", "marketing")
    key = run("key", "create", "mark", "--ingest-only")
    run("webhook", "add", f"http://127.0.0.1:{rx.server_address[1]}/hook", "--events", "lead.mql")
    srv = subprocess.Popen([lg, "--db", db, "serve", "--listen", "127.0.0.1:0", "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        line = srv.stdout.readline()
        port = int(line.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port)
        hdr = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
        lat, resp = [], []
        for i in range(args.n):
            lead = f"B-{i}"
            ts = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            body = json.dumps({"batch": [
                {"type": "identify", "userId": lead, "timestamp": ts,
                 "traits": {"first_name": "Ana", "last_name": "Ruiz", "job_title": "VP Finance",
                            "company": "Acme", "industry": "healthcare",
                            "email": f"{lead}@acme.test"}},
                {"type": "track", "userId": lead, "event": "form_submitted", "timestamp": ts,
                 "properties": {"form": "demo"}}]})
            t0 = time.perf_counter()
            conn.request("POST", "/v1/batch", body, hdr)
            r = conn.getresponse()
            r.read()
            resp.append((time.perf_counter() - t0) * 1000)
            if r.status != 200:
                sys.exit(f"ingest answered {r.status}")
            with cond:
                if not cond.wait_for(lambda: lead in arrived, timeout=10):
                    sys.exit(f"no lead.mql webhook for {lead} within 10 s")
                lat.append((arrived[lead] - t0) * 1000)
        lat.sort()
        resp.sort()

        def pct(p, v=lat):
            return v[min(len(v) - 1, int(p / 100 * len(v)))]

        res = {"n": len(lat), "p50_ms": round(pct(50), 2), "p90_ms": round(pct(90), 2),
               "p99_ms": round(pct(99), 2), "max_ms": round(lat[-1], 2),
               "ingest_p50_ms": round(pct(50, resp), 2), "ingest_p99_ms": round(pct(99, resp), 2)}
        if args.json:
            print(json.dumps(res))
        else:
            print(f"event in -> lead.mql webhook out, {res['n']} leads: p50 {res['p50_ms']} ms, "
                  f"p90 {res['p90_ms']} ms, p99 {res['p99_ms']} ms, max {res['max_ms']} ms "
                  f"(the ingest response itself: p50 {res['ingest_p50_ms']} ms, "
                  f"p99 {res['ingest_p99_ms']} ms)")
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait(timeout=20)
        rx.shutdown()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
