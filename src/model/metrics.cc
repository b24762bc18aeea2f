#include "model/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/splitmix.h"

namespace leadgate::model {
namespace {

std::vector<uint32_t> ByScoreDesc(const std::vector<double>& p) {
  std::vector<uint32_t> idx(p.size());
  std::iota(idx.begin(), idx.end(), 0u);
  std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return p[a] > p[b]; });
  return idx;
}

}  // namespace

double Auc(const std::vector<double>& p, const std::vector<uint8_t>& y) {
  // Mann-Whitney U with mid-ranks for ties.
  const size_t n = p.size();
  std::vector<uint32_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0u);
  std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return p[a] < p[b]; });
  double rank_sum = 0, npos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && p[idx[j]] == p[idx[i]]) ++j;
    const double mid = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2.0;
    for (size_t k = i; k < j; ++k)
      if (y[idx[k]]) rank_sum += mid, npos += 1;
    i = j;
  }
  const double nneg = static_cast<double>(n) - npos;
  if (npos == 0 || nneg == 0) return 0.5;
  return (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg);
}

Metrics ComputeMetrics(const std::vector<double>& p, const std::vector<uint8_t>& y) {
  Metrics m;
  const size_t n = p.size();
  if (n == 0) return m;
  m.auc = Auc(p, y);
  double ll = 0, br = 0, pos = 0;
  for (size_t i = 0; i < n; ++i) {
    const double q = std::clamp(p[i], 1e-15, 1 - 1e-15);
    ll -= y[i] ? std::log(q) : std::log(1 - q);
    br += (p[i] - y[i]) * (p[i] - y[i]);
    pos += y[i];
  }
  m.log_loss = ll / static_cast<double>(n);
  m.brier = br / static_cast<double>(n);
  const double base = pos / static_cast<double>(n);
  const auto idx = ByScoreDesc(p);
  for (int d = 0; d < 10; ++d) {
    const size_t a = n * static_cast<size_t>(d) / 10, b = n * static_cast<size_t>(d + 1) / 10;
    Decile dec;
    dec.decile = d + 1;
    dec.leads = static_cast<int64_t>(b - a);
    double w = 0;
    for (size_t k = a; k < b; ++k) w += y[idx[k]];
    if (b > a) dec.conversion_rate = w / static_cast<double>(b - a);
    if (base > 0) dec.lift = dec.conversion_rate / base;
    m.deciles.push_back(dec);
  }
  double sp[10] = {}, sy[10] = {};
  int64_t cnt[10] = {};
  for (size_t i = 0; i < n; ++i) {
    const int bin = std::clamp(static_cast<int>(p[i] * 10), 0, 9);
    sp[bin] += p[i];
    sy[bin] += y[i];
    ++cnt[bin];
  }
  for (int b = 0; b < 10; ++b) {
    if (cnt[b] == 0) continue;
    const double c = static_cast<double>(cnt[b]);
    m.calibration.push_back({sp[b] / c, sy[b] / c, cnt[b]});
  }
  return m;
}

std::vector<RocPoint> RocCurve(const std::vector<double>& p, const std::vector<uint8_t>& y,
                               size_t max_points) {
  const auto idx = ByScoreDesc(p);
  double npos = 0;
  for (uint8_t v : y) npos += v;
  const double nneg = static_cast<double>(y.size()) - npos;
  std::vector<RocPoint> all{{0, 0}};
  double tp = 0, fp = 0;
  for (size_t i = 0; i < idx.size(); ++i) {
    (y[idx[i]] ? tp : fp) += 1;
    if (i + 1 < idx.size() && p[idx[i + 1]] == p[idx[i]]) continue;
    all.push_back({nneg > 0 ? fp / nneg : 0, npos > 0 ? tp / npos : 0});
  }
  if (all.size() <= max_points) return all;
  std::vector<RocPoint> out;
  for (size_t k = 0; k < max_points; ++k)
    out.push_back(all[k * (all.size() - 1) / (max_points - 1)]);
  return out;
}

Interval AucBootstrap(const std::vector<double>& p, const std::vector<uint8_t>& y, uint64_t seed,
                      int resamples) {
  Interval iv;
  const size_t n = p.size();
  if (n == 0 || resamples < 2) return iv;
  SplitMix64 rng{seed * kSplitMixGamma + 0x632BE59BD9B4E019ull};
  auto next = [&rng] { return rng.Next(); };
  std::vector<double> aucs, bp(n);
  std::vector<uint8_t> by(n);
  for (int b = 0; b < resamples; ++b) {
    for (size_t i = 0; i < n; ++i) {
      const size_t k = static_cast<size_t>(next() % n);
      bp[i] = p[k];
      by[i] = y[k];
    }
    aucs.push_back(Auc(bp, by));
  }
  std::sort(aucs.begin(), aucs.end());
  auto q = [&](double f) {
    const size_t i =
        std::min(aucs.size() - 1, static_cast<size_t>(f * static_cast<double>(aucs.size())));
    return aucs[i];
  };
  iv.low = q(0.025);
  iv.high = q(0.975);
  return iv;
}

}  // namespace leadgate::model
