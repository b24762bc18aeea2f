// The baseline: naive Bayes on won/lost frequencies, as Odoo CRM's
// predictive lead scoring does it: for every column, how often each value
// occurred among won and among lost leads, with additive (Laplace) smoothing,
// multiplied together with the base rate. Numeric columns are cut at their
// training deciles; missing is a value of its own.
#pragma once

#include <cstdint>
#include <vector>

#include "model/dataset.h"

namespace leadgate::model {

class NaiveBayes {
 public:
  explicit NaiveBayes(double alpha = 1.0) : alpha_(alpha) {}
  void Fit(const Dataset& d, const std::vector<uint32_t>& rows);
  std::vector<double> Predict(const Dataset& d, const std::vector<uint32_t>& rows) const;

 private:
  struct Field {
    size_t column = 0;
    std::vector<double> cuts;       // numeric: bin edges
    std::vector<double> log_ratio;  // per slot: log P(v|won) - log P(v|lost)
  };
  int Slot(const Dataset& d, const Field& f, uint32_t row) const;
  double alpha_;
  double prior_logit_ = 0;
  std::vector<Field> fields_;
};

}  // namespace leadgate::model
