#include "model/naive_bayes.h"

#include <algorithm>
#include <cmath>

namespace leadgate::model {

int NaiveBayes::Slot(const Dataset& d, const Field& f, uint32_t row) const {
  const Column& c = d.columns[f.column];
  if (c.numeric) {
    const double x = c.num[row];
    if (std::isnan(x)) return 0;
    return 1 + static_cast<int>(std::upper_bound(f.cuts.begin(), f.cuts.end(), x) - f.cuts.begin());
  }
  return c.code[row] + 1;  // missing (-1) -> 0
}

void NaiveBayes::Fit(const Dataset& d, const std::vector<uint32_t>& rows) {
  fields_.clear();
  double n1 = 0, n0 = 0;
  for (uint32_t r : rows) (d.y[r] ? n1 : n0) += 1;
  prior_logit_ = std::log((n1 + alpha_) / (n0 + alpha_));
  for (size_t c = 0; c < d.columns.size(); ++c) {
    const Column& col = d.columns[c];
    Field f;
    f.column = c;
    size_t slots;
    if (col.numeric) {
      std::vector<double> v;
      for (uint32_t r : rows)
        if (!std::isnan(col.num[r])) v.push_back(col.num[r]);
      std::sort(v.begin(), v.end());
      for (int k = 1; k < 10 && !v.empty(); ++k) {
        const double q = v[v.size() * static_cast<size_t>(k) / 10];
        if (f.cuts.empty() || q > f.cuts.back()) f.cuts.push_back(q);
      }
      slots = f.cuts.size() + 2;
    } else {
      slots = col.levels.size() + 1;
    }
    std::vector<double> won(slots, 0), lost(slots, 0);
    for (uint32_t r : rows) {
      const int s = Slot(d, f, r);
      (d.y[r] ? won : lost)[static_cast<size_t>(s)] += 1;
    }
    const double k = static_cast<double>(slots);
    f.log_ratio.resize(slots);
    for (size_t s = 0; s < slots; ++s)
      f.log_ratio[s] = std::log((won[s] + alpha_) / (n1 + alpha_ * k)) -
                       std::log((lost[s] + alpha_) / (n0 + alpha_ * k));
    fields_.push_back(std::move(f));
  }
}

std::vector<double> NaiveBayes::Predict(const Dataset& d, const std::vector<uint32_t>& rows) const {
  std::vector<double> out;
  out.reserve(rows.size());
  for (uint32_t r : rows) {
    double z = prior_logit_;
    for (const Field& f : fields_) z += f.log_ratio[static_cast<size_t>(Slot(d, f, r))];
    out.push_back(z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)));
  }
  return out;
}

}  // namespace leadgate::model
