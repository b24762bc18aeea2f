// A trained model that can be stored and score other tables: the input
// columns it was trained on (name, type), the fitted encoder (by column name
// and level text) and the weights (logistic) or XGBoost's JSON model (trees).
// Scores and explains rows of any Dataset with the same column names.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/dataset.h"
#include "model/encode.h"
#include "model/evaluate.h"
#include "model/trees.h"

namespace leadgate::model {

// One factor of a prediction: the input column, the row's value of it (as
// text, "(missing)" when missing) and its effect on the log-odds (logistic:
// the column's weight x encoded value terms; trees: its SHAP contribution).
struct Factor {
  std::string feature, value;
  double effect = 0;
};

class StoredModel {
 public:
  std::string kind;                                   // "logistic" or "trees"
  std::vector<std::pair<std::string, bool>> columns;  // input columns: (name, numeric)
  Encoder encoder;
  double intercept = 0;
  std::vector<double> weights, se;  // logistic: per encoded output
  std::unique_ptr<Trees> trees;

  // Fits `kind` (logistic or trees; best is resolved by the caller) on every row.
  static Result<std::unique_ptr<StoredModel>> Fit(const Dataset& d, ModelKind kind,
                                                  const EvalOptions& opt);
  nlohmann::json ToJson() const;
  static Result<std::unique_ptr<StoredModel>> FromJson(const nlohmann::json& j);

  // P(positive) for every row of `d` (which must have the model's columns).
  // Never NaN. Not thread-safe (binds the encoder to `d`).
  Result<std::vector<double>> Score(const Dataset& d);
  // The `top` factors of one row with the largest |effect|, largest first.
  Result<std::vector<Factor>> Explain(const Dataset& d, uint32_t row, size_t top);
};

}  // namespace leadgate::model
