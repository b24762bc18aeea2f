#include "model/forest.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>

namespace leadgate::model {
namespace {

// XGBoost writes NaN and Infinity as bare words (categorical splits have NaN
// split conditions); JSON has no such numbers: null instead, outside strings.
std::string Sanitize(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  bool str = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (str) {
      out += c;
      if (c == '\\' && i + 1 < in.size()) {
        out += in[++i];
      } else if (c == '"') {
        str = false;
      }
      continue;
    }
    if (c == '"') {
      str = true;
      out += c;
    } else if (in.substr(i, 3) == "NaN") {
      out += "null";
      i += 2;
    } else if (in.substr(i, 9) == "-Infinity") {
      out += "null";
      i += 8;
    } else if (in.substr(i, 8) == "Infinity") {
      out += "null";
      i += 7;
    } else {
      out += c;
    }
  }
  return out;
}

// A number that may be written as a string ("5E-1", XGBoost's parameters);
// null (NaN in the model) is NaN.
double Num(const nlohmann::json& v) {
  if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0') throw std::runtime_error("not a number: " + s);
    return d;
  }
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  return v.get<double>();
}

std::vector<double> Nums(const nlohmann::json& tree, const char* key) {
  std::vector<double> r;
  const auto it = tree.find(key);
  if (it == tree.end()) return r;
  if (!it->is_array()) throw std::runtime_error(std::string(key) + " is not an array");
  r.reserve(it->size());
  for (const auto& v : *it) r.push_back(Num(v));
  return r;
}

}  // namespace

Result<Forest> Forest::FromXgboostJson(std::string_view json) {
  const nlohmann::json j = nlohmann::json::parse(Sanitize(json), nullptr, false);
  if (j.is_discarded()) return Status::Invalid("forest: XGBoost's model is not JSON");
  try {
    Forest f;
    const auto& learner = j.at("learner");
    const std::string objective = learner.at("objective").at("name").get<std::string>();
    if (objective != "binary:logistic" && objective != "reg:logistic")
      return Status::Invalid("forest: objective " + objective + " (binary:logistic expected)");
    const auto& param = learner.at("learner_model_param");
    if (param.contains("num_class") && Num(param.at("num_class")) > 1)
      return Status::Invalid("forest: a multi-class model");
    if (param.contains("num_target") && Num(param.at("num_target")) > 1)
      return Status::Invalid("forest: a multi-target model");
    const double base = Num(param.at("base_score"));
    if (!(base > 0 && base < 1)) return Status::Invalid("forest: base_score outside (0, 1)");
    f.base_margin_ = std::log(base / (1 - base));
    const double nf = Num(param.at("num_feature"));
    if (!(nf >= 0 && nf < kFeature)) return Status::Invalid("forest: num_feature");
    f.features_ = static_cast<size_t>(nf);
    const auto& gb = learner.at("gradient_booster");
    if (gb.at("name").get<std::string>() != "gbtree")
      return Status::Invalid("forest: booster " + gb.at("name").get<std::string>());
    const auto& model = gb.at("model");
    for (const auto& g : model.value("tree_info", nlohmann::json::array()))
      if (Num(g) != 0) return Status::Invalid("forest: trees of several groups");
    for (const auto& t : model.at("trees")) {
      const auto left = Nums(t, "left_children"), right = Nums(t, "right_children"),
                 cond = Nums(t, "split_conditions"), index = Nums(t, "split_indices"),
                 dleft = Nums(t, "default_left");
      auto type = Nums(t, "split_type");
      const size_t m = left.size();
      if (m == 0 || right.size() != m || cond.size() != m || index.size() != m || dleft.size() != m)
        return Status::Invalid("forest: a tree's arrays differ in length");
      if (type.empty()) type.assign(m, 0);
      if (type.size() != m) return Status::Invalid("forest: split_type length");
      if (t.contains("tree_param") && t.at("tree_param").contains("size_leaf_vector") &&
          Num(t.at("tree_param").at("size_leaf_vector")) > 1)
        return Status::Invalid("forest: vector leaves");
      const size_t off = f.nodes_.size();
      if (off + m >= kLeaf) return Status::Invalid("forest: too many nodes");
      f.roots_.push_back(static_cast<uint32_t>(off));
      f.cat_begin_.resize(off + m, 0);
      f.cat_words_.resize(off + m, 0);
      for (size_t i = 0; i < m; ++i) {
        Node nd;
        if (left[i] == -1) {
          if (!std::isfinite(cond[i])) return Status::Invalid("forest: a leaf without a value");
          nd.meta = kLeaf;
          nd.value = static_cast<float>(cond[i]);
        } else {
          // Children after their parent (XGBoost appends them): no cycles.
          if (!(left[i] > static_cast<double>(i) && left[i] < static_cast<double>(m) &&
                right[i] > static_cast<double>(i) && right[i] < static_cast<double>(m)))
            return Status::Invalid("forest: a child index out of order");
          if (!(index[i] >= 0 && index[i] < nf)) return Status::Invalid("forest: split feature");
          nd.left = static_cast<uint32_t>(off + static_cast<size_t>(left[i]));
          nd.right = static_cast<uint32_t>(off + static_cast<size_t>(right[i]));
          nd.meta = static_cast<uint32_t>(index[i]) | (dleft[i] != 0 ? kDefaultLeft : 0);
          if (type[i] == 1) {
            nd.meta |= kCategorical;
            ++f.categorical_nodes_;
          } else if (type[i] == 0) {
            if (std::isnan(cond[i])) return Status::Invalid("forest: a NaN numeric split");
            nd.value = static_cast<float>(cond[i]);
          } else {
            return Status::Invalid("forest: unknown split_type");
          }
        }
        f.nodes_.push_back(nd);
      }
      // The categories of categorical nodes: categories[segment .. + size].
      const auto cats = Nums(t, "categories"), cnodes = Nums(t, "categories_nodes"),
                 segs = Nums(t, "categories_segments"), sizes = Nums(t, "categories_sizes");
      if (cnodes.size() != segs.size() || cnodes.size() != sizes.size())
        return Status::Invalid("forest: categories arrays differ in length");
      std::vector<uint8_t> seen(m, 0);
      for (size_t k = 0; k < cnodes.size(); ++k) {
        const double nid = cnodes[k];
        if (!(nid >= 0 && nid < static_cast<double>(m)) || type[static_cast<size_t>(nid)] != 1)
          return Status::Invalid("forest: categories for a node that is not categorical");
        const size_t node = static_cast<size_t>(nid);
        if (!(segs[k] >= 0 && sizes[k] >= 0 &&
              segs[k] + sizes[k] <= static_cast<double>(cats.size())))
          return Status::Invalid("forest: categories segment out of range");
        double top = -1;
        const auto b = static_cast<size_t>(segs[k]), e = b + static_cast<size_t>(sizes[k]);
        for (size_t c = b; c < e; ++c) {
          if (!(cats[c] >= 0 && cats[c] < (1 << 24) && cats[c] == std::floor(cats[c])))
            return Status::Invalid("forest: a category that is not a small whole number");
          top = std::max(top, cats[c]);
        }
        const size_t words = top < 0 ? 0 : static_cast<size_t>(top) / 32 + 1;
        f.cat_begin_[off + node] = static_cast<uint32_t>(f.cat_bits_.size());
        f.cat_words_[off + node] = static_cast<uint32_t>(words);
        f.cat_bits_.resize(f.cat_bits_.size() + words, 0);
        uint32_t* bits = f.cat_bits_.data() + f.cat_begin_[off + node];
        for (size_t c = b; c < e; ++c) {
          const auto v = static_cast<uint32_t>(cats[c]);
          bits[v / 32] |= 1u << (v % 32);
        }
        seen[node] = 1;
      }
      for (size_t i = 0; i < m; ++i)
        if (type[i] == 1 && left[i] != -1 && !seen[i])
          return Status::Invalid("forest: a categorical node without its categories");
    }
    f.BuildHeap();
    return f;
  } catch (const std::exception& e) {
    return Status::Invalid(std::string("forest: unexpected XGBoost model: ") + e.what());
  }
}

void Forest::BuildHeap() {
  heap_.clear();
  leaves_.clear();
  heap_begin_.clear();
  leaf_begin_.clear();
  depth_.clear();
  // The zero word numeric nodes point at (and categorical ones beyond their set).
  cat_bits_.insert(cat_bits_.begin(), 0u);
  for (uint32_t& b : cat_begin_) ++b;
  for (const uint32_t root : roots_) {
    // The tree's depth (children come after their parent: one pass).
    int depth = 0;
    std::vector<std::pair<uint32_t, int>> stack = {{root, 0}};
    while (!stack.empty()) {
      auto [g, l] = stack.back();
      stack.pop_back();
      depth = std::max(depth, l);
      if (depth > kMaxHeapDepth) {
        heap_.clear();
        leaves_.clear();
        heap_begin_.clear();
        leaf_begin_.clear();
        depth_.clear();
        return;
      }
      if (!(nodes_[g].meta & kLeaf)) {
        stack.emplace_back(nodes_[g].left, l + 1);
        stack.emplace_back(nodes_[g].right, l + 1);
      }
    }
    const size_t inner = (size_t{1} << depth) - 1;
    const size_t hb = heap_.size(), lb = leaves_.size();
    heap_begin_.push_back(static_cast<uint32_t>(hb));
    leaf_begin_.push_back(static_cast<uint32_t>(lb));
    depth_.push_back(static_cast<uint8_t>(depth));
    heap_.resize(hb + inner);
    leaves_.resize(lb + inner + 1);
    // (node, heap position, level)
    std::vector<std::tuple<uint32_t, size_t, int>> todo = {{root, 0, 0}};
    while (!todo.empty()) {
      auto [g, k, l] = todo.back();
      todo.pop_back();
      const Node& nd = nodes_[g];
      if (l == depth) {
        leaves_[lb + k - inner] = nd.value;
        continue;
      }
      if (nd.meta & kLeaf) {  // both sides carry the leaf down
        todo.emplace_back(g, 2 * k + 1, l + 1);
        todo.emplace_back(g, 2 * k + 2, l + 1);
        continue;
      }
      HNode& h = heap_[hb + k];
      h.feature = nd.meta & kFeature;
      h.flags = (nd.meta & kDefaultLeft) ? 0 : 1;
      if (nd.meta & kCategorical) {
        h.flags |= 2;
        h.cat = cat_begin_[g];
        h.limit = static_cast<float>(cat_words_[g] * 32);
      } else {
        h.cond = nd.value;
      }
      todo.emplace_back(nd.left, 2 * k + 1, l + 1);
      todo.emplace_back(nd.right, 2 * k + 2, l + 1);
    }
  }
  fast_.assign(heap_.size(), FNode{});
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (size_t i = 0; i < heap_.size(); ++i) {
    const HNode& h = heap_[i];
    FNode& f = fast_[i];
    f.feature = h.feature;
    f.nan_right = h.flags & 1u;
    if (!(h.flags & 2)) {
      f.lo = h.cond;
      f.hi = nan;
      continue;
    }
    int count = 0;
    uint32_t level = 0;
    const auto words = static_cast<uint32_t>(h.limit) / 32;
    for (uint32_t w = 0; w < words; ++w) {
      const uint32_t word = cat_bits_[h.cat + w];
      if (word && count == 0) level = w * 32 + static_cast<uint32_t>(std::countr_zero(word));
      count += std::popcount(word);
    }
    if (count > 1) {  // a partition: the bitset walk
      fast_.clear();
      return;
    }
    f.lo = count == 0 ? nan : static_cast<float>(level);
    f.hi = count == 0 ? nan : static_cast<float>(level + 1);
  }
}

namespace {

// One level for `L` rows at once (independent chains overlap in the CPU).
template <size_t L>
inline void Step(const void* heap, const uint32_t* bits, const float* x, size_t p, uint32_t* k) {
  struct H {
    uint32_t feature;
    float cond, limit;
    uint32_t cat, flags;
  };
  const H* h = static_cast<const H*>(heap);
  for (size_t j = 0; j < L; ++j) {
    const H& nd = h[k[j]];
    const float v = x[j * p + nd.feature];
    const uint32_t nan = v != v;
    const uint32_t ge = !(v < nd.cond);
    const bool range = v >= 0.0f && v < nd.limit;  // false for NaN and numeric nodes
    const auto c = static_cast<uint32_t>(range ? v : 0.0f);
    const uint32_t in = range & ((bits[nd.cat + c / 32] >> (c % 32)) & 1u);
    const uint32_t cat = (nd.flags >> 1) & 1u;
    const uint32_t right = (nan & nd.flags) | ((nan ^ 1u) & ((cat & in) | ((cat ^ 1u) & ge)));
    k[j] = 2 * k[j] + 1 + right;
  }
}

}  // namespace

// One level for `L` rows, interval nodes.
template <size_t L>
inline void FastStep(const void* fast, const float* x, size_t p, uint32_t* k) {
  struct F {
    uint32_t feature;
    float lo, hi;
    uint32_t nan_right;
  };
  const F* h = static_cast<const F*>(fast);
  for (size_t j = 0; j < L; ++j) {
    const F& nd = h[k[j]];
    const float v = x[j * p + nd.feature];
    const uint32_t right =
        ((v != v) & nd.nan_right) | (static_cast<uint32_t>(v >= nd.lo) & !(v >= nd.hi));
    k[j] = 2 * k[j] + 1 + right;
  }
}

namespace {

// Rows in blocks of 64, tree by tree (a tree's nodes stay in cache for the
// block), 8 rows walked together level by level. `step<L>(nodes, x, p, k)`
// moves L rows one level down their tree; both layouts share this loop.
template <class NodeT, class StepFn>
void CompleteTreeMargins(const std::vector<NodeT>& nodes, const std::vector<uint32_t>& begin,
                         const std::vector<float>& leaves, const std::vector<uint32_t>& leaf_begin,
                         const std::vector<uint8_t>& depths, double base, const float* x, size_t n,
                         size_t p, double* out, StepFn step) {
  constexpr size_t kBlock = 64, kLanes = 8;
  for (size_t b = 0; b < n; b += kBlock) {
    const size_t e = std::min(n, b + kBlock);
    double acc[kBlock] = {};
    for (size_t t = 0; t < depths.size(); ++t) {
      const NodeT* h = nodes.data() + begin[t];
      const float* leaf = leaves.data() + leaf_begin[t];
      const int depth = depths[t];
      const uint32_t inner = (1u << depth) - 1;
      size_t r0 = b;
      for (; r0 + kLanes <= e; r0 += kLanes) {
        uint32_t k[kLanes] = {};
        for (int l = 0; l < depth; ++l)
          step(std::integral_constant<size_t, kLanes>{}, h, x + r0 * p, p, k);
        for (size_t j = 0; j < kLanes; ++j) acc[r0 + j - b] += leaf[k[j] - inner];
      }
      for (; r0 < e; ++r0) {
        uint32_t k[1] = {};
        for (int l = 0; l < depth; ++l)
          step(std::integral_constant<size_t, 1>{}, h, x + r0 * p, p, k);
        acc[r0 - b] += leaf[k[0] - inner];
      }
    }
    for (size_t r = b; r < e; ++r) out[r] = base + acc[r - b];
  }
}

}  // namespace

void Forest::HeapMargins(const float* x, size_t n, size_t p, double* out) const {
  if (!fast_.empty() || heap_.empty()) {
    FastMargins(x, n, p, out);
    return;
  }
  static_assert(sizeof(HNode) == 20);
  const uint32_t* bits = cat_bits_.data();
  CompleteTreeMargins(heap_, heap_begin_, leaves_, leaf_begin_, depth_, base_margin_, x, n, p, out,
                      [bits](auto lanes, const HNode* h, const float* xr, size_t pp, uint32_t* k) {
                        Step<decltype(lanes)::value>(h, bits, xr, pp, k);
                      });
}

void Forest::FastMargins(const float* x, size_t n, size_t p, double* out) const {
  static_assert(sizeof(FNode) == 16);
  CompleteTreeMargins(fast_, heap_begin_, leaves_, leaf_begin_, depth_, base_margin_, x, n, p, out,
                      [](auto lanes, const FNode* h, const float* xr, size_t pp, uint32_t* k) {
                        FastStep<decltype(lanes)::value>(h, xr, pp, k);
                      });
}

void Forest::Margins(const float* x, size_t n, size_t p, double* out) const {
  if (!depth_.empty() || roots_.empty()) {
    HeapMargins(x, n, p, out);
    return;
  }
  // Rows in blocks, tree by tree: a tree's nodes stay in cache for the block.
  constexpr size_t kBlock = 64;
  const Node* nodes = nodes_.data();
  for (size_t b = 0; b < n; b += kBlock) {
    const size_t e = std::min(n, b + kBlock);
    double acc[kBlock];
    for (size_t r = b; r < e; ++r) acc[r - b] = 0;
    for (const uint32_t root : roots_) {
      for (size_t r = b; r < e; ++r) {
        const float* row = x + r * p;
        const Node* nd = nodes + root;
        while (!(nd->meta & kLeaf)) {
          const float v = row[nd->meta & kFeature];
          uint32_t next;
          if (std::isnan(v)) {
            next = (nd->meta & kDefaultLeft) ? nd->left : nd->right;
          } else if (!(nd->meta & kCategorical)) {
            next = v < nd->value ? nd->left : nd->right;
          } else {
            // XGBoost 1.7 (common::Decision): the node's categories go right;
            // any other value, negative or too large included, goes left.
            const size_t i = static_cast<size_t>(nd - nodes);
            bool in = false;
            if (v >= 0 && v < static_cast<float>(1 << 24)) {
              const auto c = static_cast<uint32_t>(v);
              in = c / 32 < cat_words_[i] && ((cat_bits_[cat_begin_[i] + c / 32] >> (c % 32)) & 1);
            }
            next = in ? nd->right : nd->left;
          }
          nd = nodes + next;
        }
        acc[r - b] += nd->value;
      }
    }
    for (size_t r = b; r < e; ++r) out[r] = base_margin_ + acc[r - b];
  }
}

void Forest::Predict(const float* x, size_t n, size_t p, double* out, int threads) const {
  auto run = [&](size_t b, size_t e) {
    Margins(x + b * p, e - b, p, out + b);
    for (size_t i = b; i < e; ++i) out[i] = 1.0 / (1.0 + std::exp(-out[i]));
  };
  const size_t t = threads > 1 && n >= 4096 ? static_cast<size_t>(threads) : 1;
  if (t == 1) {
    run(0, n);
    return;
  }
  std::vector<std::thread> pool;
  const size_t per = (n + t - 1) / t;
  for (size_t k = 1; k < t; ++k) {
    const size_t b = std::min(n, k * per), e = std::min(n, b + per);
    pool.emplace_back(run, b, e);
  }
  run(0, std::min(n, per));
  for (auto& th : pool) th.join();
}

}  // namespace leadgate::model
