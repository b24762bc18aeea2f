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
  // Whether the trees are laid out complete (depth <= 12: the fast walk).
  bool complete_layout() const { return !depth_.empty() || roots_.empty(); }
  // Whether they are intervals too (no categorical node with several levels).
  bool interval_layout() const { return !fast_.empty(); }
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
  // The evaluation layout: each tree padded to a complete binary tree of its
  // depth (a leaf above the bottom repeats its value below), heap order
  // (children of k: 2k + 1, 2k + 2), so a row takes exactly `depth` branch-free
  // steps and several rows walk a tree at once. Empty when a tree is deeper
  // than kMaxHeapDepth (then the node arrays are walked).
  static constexpr int kMaxHeapDepth = 12;
  struct HNode {
    uint32_t feature = 0;
    float cond = 0;      // numeric: x < cond goes left
    float limit = 0;     // categorical: codes below it have a bit; numeric: 0
    uint32_t cat = 0;    // first word of the node's bitset (0: a zero word)
    uint32_t flags = 0;  // 1: missing goes right; 2: categorical
  };
  std::vector<HNode> heap_;
  // The same nodes as intervals when no categorical node has more than one
  // level (one against the rest, leadgate's default): v in [lo, hi) goes
  // right; numeric lo = cond, hi = NaN; one level c: [c, c + 1).
  struct FNode {
    uint32_t feature = 0;
    float lo = 0, hi = 0;
    uint32_t nan_right = 0;
  };
  std::vector<FNode> fast_;
  std::vector<float> leaves_;
  std::vector<uint32_t> heap_begin_, leaf_begin_;
  std::vector<uint8_t> depth_;
  void BuildHeap();
  void HeapMargins(const float* x, size_t n, size_t p, double* out) const;
  void FastMargins(const float* x, size_t n, size_t p, double* out) const;
  std::vector<Node> nodes_;
  std::vector<uint32_t> roots_;
  // Categorical nodes: the categories that go right, a bitset of cat_words_
  // words at cat_begin_ in cat_bits_ (indexed by node; zero for others).
  std::vector<uint32_t> cat_begin_, cat_words_, cat_bits_;
  size_t features_ = 0, categorical_nodes_ = 0;
  double base_margin_ = 0;
};

}  // namespace leadgate::model
