// A compiled forest: XGBoost's trees (binary:logistic, gbtree) read from its
// JSON model into flat arrays and evaluated without XGBoost, for scoring
// (docs/predictive.md, "Scoring speed"). Trees keeps XGBoost for training and
// for contributions (SHAP); a model this cannot read scores through XGBoost.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace leadgate::model {

class Forest {
 public:
  // XGBoost's JSON model (XGBoosterSaveModelToBuffer, {"format": "json"};
  // bare NaN / Infinity numbers allowed). An error for anything it does not
  // know how to evaluate exactly as XGBoost does.
  static Result<Forest> FromXgboostJson(std::string_view json);

  size_t trees() const { return roots_.size(); }
  size_t nodes() const { return nodes_.size(); }
  size_t features() const { return features_; }  // the model's num_feature
  size_t categorical_nodes() const { return categorical_nodes_; }
  double base_margin() const { return base_margin_; }

  // Probabilities for n rows of p = features() row-major floats (NaN =
  // missing), as XGBoost's predict gives them: sigmoid(base margin + the sum
  // of one leaf per tree). Rows split in `threads` contiguous blocks.
  void Predict(const float* x, size_t n, size_t p, double* out, int threads = 1) const;
  // Margins (logits) instead of probabilities.
  void Margins(const float* x, size_t n, size_t p, double* out) const;

 private:
  static constexpr uint32_t kLeaf = 1u << 31, kDefaultLeft = 1u << 30, kCategorical = 1u << 29,
                            kFeature = (1u << 29) - 1;
  struct Node {
    uint32_t left = 0, right = 0;  // global node indices
    float value = 0;               // split condition, or the leaf value
    uint32_t meta = 0;             // feature | flags
  };
  std::vector<Node> nodes_;
  std::vector<uint32_t> roots_;
  // Categorical nodes: the categories that go right, a bitset of cat_words_
  // words at cat_begin_ in cat_bits_ (indexed by node; zero for others).
  std::vector<uint32_t> cat_begin_, cat_words_, cat_bits_;
  size_t features_ = 0, categorical_nodes_ = 0;
  double base_margin_ = 0;
};

}  // namespace leadgate::model
