// Scores against outcomes: ROC AUC, log loss, Brier score, conversion and
// lift per score decile, and a calibration table. Never NaN: empty inputs
// and empty bins give 0 (and are left out of the calibration table).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace leadgate::model {

struct Decile {
  int decile = 0;  // 1 = the highest-scored tenth
  int64_t leads = 0;
  double conversion_rate = 0, lift = 0;
};

struct CalibrationBin {
  double predicted = 0, observed = 0;  // mean score and conversion rate of the bin
  int64_t leads = 0;
};

struct Metrics {
  double auc = 0.5, log_loss = 0, brier = 0;
  std::vector<Decile> deciles;
  std::vector<CalibrationBin> calibration;  // 10 equal-width bins of the score, empty ones left out
};

Metrics ComputeMetrics(const std::vector<double>& p, const std::vector<uint8_t>& y);
double Auc(const std::vector<double>& p, const std::vector<uint8_t>& y);

// A percentile bootstrap interval of the AUC: `resamples` draws of the rows
// with replacement (splitmix64 seeded with `seed`, so deterministic), the
// 2.5 % and 97.5 % quantiles. With few positives it is wide: that width is
// how uncertain the model's ranking is.
struct Interval {
  double low = 0.5, high = 0.5;
};
Interval AucBootstrap(const std::vector<double>& p, const std::vector<uint8_t>& y, uint64_t seed,
                      int resamples = 200);

struct RocPoint {
  double fpr, tpr;
};
std::vector<RocPoint> RocCurve(const std::vector<double>& p, const std::vector<uint8_t>& y,
                               size_t max_points = 200);

}  // namespace leadgate::model
