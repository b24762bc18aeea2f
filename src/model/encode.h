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
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/dataset.h"
#include "model/sparse.h"

namespace leadgate::model {

struct EncoderOptions {
  int min_level_count = 10;  // rarer categorical values go to "other"
  bool for_trees = false;    // raw numeric values with NaN for missing, no indicators
  // With for_trees: each categorical column is one output holding its level's
  // code (0, 1, ... for the kept levels, then "other", then missing) for
  // XGBoost's native categorical splits, instead of one output per level.
  bool native_categorical = false;
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
  // The same rows as Encode(d, rows, false) in sparse form: the numeric
  // values as dense columns, every 1 of a one-hot output (levels, "(other)",
  // missing indicators, title words) as an index. For linear models.
  SparseDesign EncodeSparse(const Dataset& d, const std::vector<uint32_t>& rows) const;
  // intercept + weights . Encode(row), straight from the columns without the
  // matrix (a table lookup per categorical, one multiply per numeric): the
  // fast path for scoring many leads with a linear model.
  std::vector<double> Linear(const Dataset& d, const std::vector<uint32_t>& rows, double intercept,
                             const double* weights) const;
  // One row's logit split by input column: (column index in `d`, the summed
  // weight * encoded value of that column's outputs), for each fitted column.
  std::vector<std::pair<size_t, double>> Terms(const Dataset& d, uint32_t row,
                                               const double* weights) const;
  // The input column (its index in the table last fitted or bound) of output j.
  size_t OutputColumn(size_t j) const { return features_[owner_[j]].column; }
  // Whether output j holds a level code (native_categorical), not a number.
  bool IsCategorical(size_t j) const {
    return features_[owner_[j]].code_out == static_cast<int>(j);
  }
  // IsCategorical for every output.
  std::vector<uint8_t> CategoricalOutputs() const;

  // The fitted state (by column name and level text, not by code), so a
  // stored model can score another table with the same column names.
  nlohmann::json ToJson() const;
  static Result<Encoder> FromJson(const nlohmann::json& j);
  // Re-points the encoder at `d` (columns found by name, levels by text);
  // a column `d` lacks is an error, a level it has never seen is "other".
  Status Bind(const Dataset& d);

 private:
  struct Feature {
    size_t column = 0;
    bool numeric = false;
    double mean = 0, scale = 1;
    int missing_slot = -1;           // numeric: indicator output; categorical: missing output
    std::vector<int32_t> level_out;  // categorical: code -> output, -1 = "other"
    int other_slot = -1;
    int first = 0;                                   // numeric: output of the value
    std::vector<std::vector<int>> level_words;       // title columns: code -> word outputs
    std::string name;                                // the input column's name
    std::vector<std::pair<std::string, int>> kept;   // categorical: level text -> output
    std::vector<std::pair<std::string, int>> words;  // title columns: word -> output
    bool title = false;
    // native_categorical: the output holding the code; level_out, other_slot
    // and missing_slot (and kept's ints) are then codes, not outputs.
    int code_out = -1;
  };
  EncoderOptions opt_;
  std::vector<Feature> features_;
  std::vector<std::string> names_;
  std::vector<size_t> owner_;  // output -> index in features_
};

}  // namespace leadgate::model
