#include "server/metrics.h"

#include <cstdio>

namespace leadgate::server {
namespace {

const std::vector<double> kLatencyBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                            0.1,    0.25,  0.5,    1,     2.5,  5,     10};

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::Write(std::string* out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cum = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cum += counts_[i];
    *out += name + "_bucket{" + labels + sep + "le=\"" + Num(bounds_[i]) + "\"} " +
            std::to_string(cum) + "\n";
  }
  *out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(count_) + "\n";
  const std::string l = labels.empty() ? "" : "{" + labels + "}";
  *out += name + "_sum" + l + " " + Num(sum_) + "\n";
  *out += name + "_count" + l + " " + std::to_string(count_) + "\n";
}

Metrics::Metrics() : scoring_(kLatencyBounds), webhook_(kLatencyBounds) {}

void Metrics::Webhook(bool delivered, bool gave_up, double seconds) {
  std::lock_guard lock(mu_);
  if (delivered) {
    ++wh_delivered_;
  } else if (gave_up) {
    ++wh_failed_;
  } else {
    ++wh_retried_;
  }
  webhook_.Observe(seconds);
}

void Metrics::MqlsEntered(int64_t n) {
  std::lock_guard lock(mu_);
  mqls_entered_ += static_cast<uint64_t>(n);
}

void Metrics::Request(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
  auto it = latency_.find(route);
  if (it == latency_.end()) it = latency_.emplace(route, Histogram(kLatencyBounds)).first;
  it->second.Observe(seconds);
}

void Metrics::Ingested(int64_t stored, int64_t duplicates, int64_t rejected) {
  std::lock_guard lock(mu_);
  stored_ += static_cast<uint64_t>(stored);
  duplicates_ += static_cast<uint64_t>(duplicates);
  rejected_ += static_cast<uint64_t>(rejected);
}

void Metrics::Scoring(double seconds) {
  std::lock_guard lock(mu_);
  scoring_.Observe(seconds);
}

std::string Metrics::Text(int64_t mqls) const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP leadgate_events_ingested_total Events stored by the ingest endpoints.\n";
  out += "# TYPE leadgate_events_ingested_total counter\n";
  out += "leadgate_events_ingested_total " + std::to_string(stored_) + "\n";
  out += "# HELP leadgate_events_duplicate_total Events skipped as already stored (messageId).\n";
  out += "# TYPE leadgate_events_duplicate_total counter\n";
  out += "leadgate_events_duplicate_total " + std::to_string(duplicates_) + "\n";
  out += "# HELP leadgate_events_rejected_total Events rejected by the ingest endpoints.\n";
  out += "# TYPE leadgate_events_rejected_total counter\n";
  out += "leadgate_events_rejected_total " + std::to_string(rejected_) + "\n";
  out += "# HELP leadgate_mql_leads Leads in stage mql now.\n";
  out += "# TYPE leadgate_mql_leads gauge\n";
  out += "leadgate_mql_leads " + std::to_string(mqls) + "\n";
  out += "# HELP leadgate_mqls_total Leads that entered mql while this server ran.\n";
  out += "# TYPE leadgate_mqls_total counter\n";
  out += "leadgate_mqls_total " + std::to_string(mqls_entered_) + "\n";
  out +=
      "# HELP leadgate_webhook_deliveries_total Webhook attempts by outcome (delivered: 2xx; "
      "retry: failed, tried again later; failed: failed, attempts exhausted).\n";
  out += "# TYPE leadgate_webhook_deliveries_total counter\n";
  out += "leadgate_webhook_deliveries_total{result=\"delivered\"} " +
         std::to_string(wh_delivered_) + "\n";
  out +=
      "leadgate_webhook_deliveries_total{result=\"retry\"} " + std::to_string(wh_retried_) + "\n";
  out +=
      "leadgate_webhook_deliveries_total{result=\"failed\"} " + std::to_string(wh_failed_) + "\n";
  out +=
      "# HELP leadgate_webhook_failures_total Webhook deliveries given up after the last "
      "attempt.\n";
  out += "# TYPE leadgate_webhook_failures_total counter\n";
  out += "leadgate_webhook_failures_total " + std::to_string(wh_failed_) + "\n";
  out += "# HELP leadgate_webhook_request_seconds Time of one webhook attempt.\n";
  out += "# TYPE leadgate_webhook_request_seconds histogram\n";
  webhook_.Write(&out, "leadgate_webhook_request_seconds", "");
  out += "# HELP leadgate_scoring_seconds Time to store an ingest batch and rescore its leads.\n";
  out += "# TYPE leadgate_scoring_seconds histogram\n";
  scoring_.Write(&out, "leadgate_scoring_seconds", "");
  out += "# HELP leadgate_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE leadgate_http_requests_total counter\n";
  for (const auto& [k, n] : requests_) {
    out += "leadgate_http_requests_total{route=\"" + k.first + "\",code=\"" +
           std::to_string(k.second) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP leadgate_http_request_seconds HTTP request latency by route.\n";
  out += "# TYPE leadgate_http_request_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    h.Write(&out, "leadgate_http_request_seconds", "route=\"" + route + "\"");
  }
  return out;
}

}  // namespace leadgate::server
