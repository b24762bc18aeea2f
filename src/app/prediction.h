// A lead's predicted conversion probability from the active stored model,
// with its top factors (docs/predictive.md). Plain values: engine.h includes it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace leadgate {

struct PredictionFactor {
  std::string feature, value;
  double effect = 0;  // on the log-odds; > 0 raises the probability
};

struct Prediction {
  double probability = 0;
  int64_t model_version = 0;
  std::string kind;   // "logistic" or "trees"
  std::string label;  // what it predicts: "won" or "sql"
  std::vector<PredictionFactor> factors;
};

}  // namespace leadgate
