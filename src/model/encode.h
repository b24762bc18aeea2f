// Turns a Dataset's columns into a dense float matrix, fitted on training
// rows only (so evaluation never sees the test rows' statistics):
// - numeric: standardised with the training mean and deviation, clipped to
//   ±5 (heavy tails), missing -> 0 plus a missing indicator column; for trees
//   the raw value with NaN as missing (XGBoost learns the missing direction);
// - categorical: one-hot of the levels seen at least `min_level_count` times
//   in training, the rest (and values never seen) grouped into "other", and
//   missing as a level of its own;
// - a categorical column whose name contains "title" (job_title, "Job
//   Title") also gives one indicator per word ("vp", "finance", "head") seen
//   in at least `min_level_count` training rows, so "VP Finance" and "VP of
//   Finance EMEA" share what they have in common even when each exact title
//   is rare.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/dataset.h"

namespace leadgate::model {

struct EncoderOptions {
  int min_level_count = 10;  // rarer categorical values go to "other"
  bool for_trees = false;    // raw numeric values with NaN for missing, no indicators
};

class Encoder {
 public:
  void Fit(const Dataset& d, const std::vector<uint32_t>& rows, const EncoderOptions& opt);
  size_t width() const { return names_.size(); }
  const std::vector<std::string>& names() const { return names_; }
  // Writes rows.size() x width() floats; row-major when `row_major`, else
  // column-major (Eigen's default layout).
  std::vector<float> Encode(const Dataset& d, const std::vector<uint32_t>& rows,
                            bool row_major) const;
  // intercept + weights . Encode(row), straight from the columns without the
  // matrix (a table lookup per categorical, one multiply per numeric): the
  // fast path for scoring many leads with a linear model.
  std::vector<double> Linear(const Dataset& d, const std::vector<uint32_t>& rows, double intercept,
                             const double* weights) const;

 private:
  struct Feature {
    size_t column = 0;
    bool numeric = false;
    double mean = 0, scale = 1;
    int missing_slot = -1;           // numeric: indicator output; categorical: missing output
    std::vector<int32_t> level_out;  // categorical: code -> output, -1 = "other"
    int other_slot = -1;
    int first = 0;                              // numeric: output of the value
    std::vector<std::vector<int>> level_words;  // title columns: code -> word outputs
  };
  EncoderOptions opt_;
  std::vector<Feature> features_;
  std::vector<std::string> names_;
};

}  // namespace leadgate::model
