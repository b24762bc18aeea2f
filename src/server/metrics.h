// Prometheus counters and histograms of the server (text format 0.0.4).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace leadgate::server {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds)
      : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}
  void Observe(double v);
  // Appends the _bucket/_sum/_count lines; `labels` like `route="x"` or "".
  void Write(std::string* out, const std::string& name, const std::string& labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();
  void Request(const std::string& route, int status, double seconds);
  void Ingested(int64_t stored, int64_t duplicates, int64_t rejected);
  void Scoring(double seconds);
  // A webhook attempt: delivered (2xx) or not; gave_up: it was the last.
  void Webhook(bool delivered, bool gave_up, double seconds);
  void MqlsEntered(int64_t n);  // leads that entered mql (the engine's emit listener)
  // The exposition; `mqls` is the number of leads in stage mql now.
  std::string Text(int64_t mqls) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  Histogram scoring_;
  uint64_t stored_ = 0, duplicates_ = 0, rejected_ = 0;
  uint64_t wh_delivered_ = 0, wh_retried_ = 0, wh_failed_ = 0, mqls_entered_ = 0;
  Histogram webhook_;
};

}  // namespace leadgate::server
