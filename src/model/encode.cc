#include "model/encode.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>

namespace leadgate::model {
namespace {

std::set<std::string> Words(const std::string& s) {
  std::set<std::string> out;
  std::string w;
  for (char c : s + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      out.insert(w);
      w.clear();
    }
  }
  return out;
}

bool IsTitleColumn(const std::string& name) {
  std::string l;
  for (char c : name) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l.find("title") != std::string::npos;
}

}  // namespace

void Encoder::Fit(const Dataset& d, const std::vector<uint32_t>& rows, const EncoderOptions& opt) {
  opt_ = opt;
  features_.clear();
  names_.clear();
  owner_.clear();
  size_t current = 0;
  auto add = [&](std::string name) {
    names_.push_back(std::move(name));
    owner_.push_back(current);
    return static_cast<int>(names_.size() - 1);
  };
  for (size_t c = 0; c < d.columns.size(); ++c) {
    const Column& col = d.columns[c];
    Feature f;
    f.column = c;
    current = features_.size();
    f.name = col.name;
    f.numeric = col.numeric;
    if (col.numeric) {
      double sum = 0, sq = 0;
      int64_t n = 0, miss = 0;
      for (uint32_t r : rows) {
        const double x = col.num[r];
        if (std::isnan(x)) {
          ++miss;
          continue;
        }
        sum += x;
        ++n;
      }
      if (n == 0) continue;  // all missing in training: nothing to learn
      f.mean = sum / static_cast<double>(n);
      for (uint32_t r : rows) {
        const double x = col.num[r];
        if (!std::isnan(x)) sq += (x - f.mean) * (x - f.mean);
      }
      const double sd = std::sqrt(sq / static_cast<double>(n));
      if (sd == 0 && miss == 0) continue;  // constant
      f.scale = sd > 0 ? 1.0 / sd : 0.0;
      f.first = add(col.name);
      if (miss > 0 && !opt.for_trees) f.missing_slot = add(col.name + "=(missing)");
    } else {
      std::vector<int64_t> count(col.levels.size(), 0);
      int64_t miss = 0;
      for (uint32_t r : rows) {
        const int32_t k = col.code[r];
        if (k < 0)
          ++miss;
        else
          ++count[k];
      }
      std::vector<int32_t> order;
      for (size_t k = 0; k < count.size(); ++k)
        if (count[k] >= opt.min_level_count) order.push_back(static_cast<int32_t>(k));
      std::stable_sort(order.begin(), order.end(),
                       [&](int32_t a, int32_t b) { return count[a] > count[b]; });
      int64_t rare = 0;
      for (size_t k = 0; k < count.size(); ++k)
        if (count[k] < opt.min_level_count) rare += count[k];
      const int slots = static_cast<int>(order.size()) + (rare > 0) + (miss > 0);
      if (slots < 2 && !IsTitleColumn(col.name)) continue;  // one level everywhere: constant
      f.level_out.assign(col.levels.size(), -1);
      if (opt.for_trees && opt.native_categorical) {
        // One output; the kept levels are codes 0.., then other, then missing.
        f.code_out = add(col.name);
        int code = 0;
        for (int32_t k : order) {
          f.level_out[k] = code++;
          f.kept.emplace_back(col.levels[k], f.level_out[k]);
        }
        if (rare > 0) f.other_slot = code++;
        if (miss > 0) f.missing_slot = code++;
      } else {
        for (int32_t k : order) {
          f.level_out[k] = add(col.name + "=" + col.levels[k]);
          f.kept.emplace_back(col.levels[k], f.level_out[k]);
        }
        if (rare > 0) f.other_slot = add(col.name + "=(other)");
        if (miss > 0) f.missing_slot = add(col.name + "=(missing)");
      }
      if (IsTitleColumn(col.name)) {
        f.title = true;
        std::vector<std::set<std::string>> words(col.levels.size());
        std::map<std::string, int64_t> wc;
        for (size_t k = 0; k < col.levels.size(); ++k) {
          words[k] = Words(col.levels[k]);
          for (const auto& w : words[k]) wc[w] += count[k];
        }
        std::map<std::string, int> slot;
        for (const auto& [w, c] : wc)
          if (c >= opt.min_level_count) {
            slot[w] = add(col.name + " has word " + w);
            f.words.emplace_back(w, slot[w]);
          }
        f.level_words.resize(col.levels.size());
        for (size_t k = 0; k < col.levels.size(); ++k)
          for (const auto& w : words[k])
            if (auto it = slot.find(w); it != slot.end()) f.level_words[k].push_back(it->second);
      }
    }
    features_.push_back(std::move(f));
  }
}

std::vector<float> Encoder::Encode(const Dataset& d, const std::vector<uint32_t>& rows,
                                   bool row_major) const {
  const size_t n = rows.size(), p = names_.size();
  // For trees, a one-hot 0 is "absent" (NaN), as in XGBoost's sparse input:
  // each row then has one present cell per column instead of one per level,
  // and the sparsity-aware split learns the same 1-vs-rest rule ~5x faster.
  std::vector<float> out(n * p, opt_.for_trees ? std::numeric_limits<float>::quiet_NaN() : 0.0f);
  auto at = [&](size_t i, int j) -> float& {
    return row_major ? out[i * p + static_cast<size_t>(j)] : out[static_cast<size_t>(j) * n + i];
  };
  // Row-major: in blocks of rows, each block's part of the matrix stays in
  // cache while every feature writes its cells.
  const size_t block = row_major ? 4096 : std::max<size_t>(n, 1);
  const size_t nf = features_.size(), tasks = nf * ((n + block - 1) / block);
  for (size_t t = 0; t < tasks; ++t) {
    const Feature& f = features_[t % nf];
    const size_t b0 = t / nf * block;
    const Column& col = d.columns[f.column];
    for (size_t i = b0; i < std::min(n, b0 + block); ++i) {
      const uint32_t r = rows[i];
      if (f.numeric) {
        const double x = col.num[r];
        if (opt_.for_trees) {
          at(i, f.first) = static_cast<float>(x);  // NaN stays NaN
        } else if (std::isnan(x)) {
          if (f.missing_slot >= 0) at(i, f.missing_slot) = 1.0f;
        } else {
          at(i, f.first) = static_cast<float>(std::clamp((x - f.mean) * f.scale, -5.0, 5.0));
        }
      } else {
        const int32_t k = col.code[r];
        int j;
        if (k < 0)
          j = f.missing_slot >= 0 ? f.missing_slot : f.other_slot;
        else if (static_cast<size_t>(k) < f.level_out.size() && f.level_out[k] >= 0)
          j = f.level_out[k];
        else
          j = f.other_slot;
        if (f.code_out >= 0) {
          if (j >= 0) at(i, f.code_out) = static_cast<float>(j);  // j is the level's code
        } else if (j >= 0) {
          at(i, j) = 1.0f;
        }
        if (k >= 0 && static_cast<size_t>(k) < f.level_words.size())
          for (int wj : f.level_words[static_cast<size_t>(k)]) at(i, wj) = 1.0f;
      }
    }
  }
  return out;
}

std::vector<uint8_t> Encoder::CategoricalOutputs() const {
  std::vector<uint8_t> out(names_.size(), 0);
  for (size_t j = 0; j < out.size(); ++j) out[j] = IsCategorical(j) ? 1 : 0;
  return out;
}

SparseDesign Encoder::EncodeSparse(const Dataset& d, const std::vector<uint32_t>& rows) const {
  SparseDesign x;
  x.n = rows.size();
  x.p = names_.size();
  for (const Feature& f : features_)
    if (f.numeric) x.dense_out.push_back(f.first);
  const size_t k = x.dense_out.size();
  x.dense.assign(x.n * k, 0.0f);
  x.row_ptr.assign(x.n + 1, 0);
  x.ones.reserve(x.n * (features_.size() - k + 1));
  for (size_t i = 0; i < x.n; ++i) {
    const uint32_t r = rows[i];
    float* di = x.dense.data() + i * k;
    size_t c = 0;
    for (const Feature& f : features_) {
      const Column& col = d.columns[f.column];
      if (f.numeric) {
        const double v = col.num[r];
        if (std::isnan(v)) {
          if (f.missing_slot >= 0) x.ones.push_back(f.missing_slot);
        } else {
          di[c] = static_cast<float>(std::clamp((v - f.mean) * f.scale, -5.0, 5.0));
        }
        ++c;
        continue;
      }
      const int32_t kc = col.code[r];
      int j;
      if (kc < 0)
        j = f.missing_slot >= 0 ? f.missing_slot : f.other_slot;
      else if (static_cast<size_t>(kc) < f.level_out.size() && f.level_out[kc] >= 0)
        j = f.level_out[kc];
      else
        j = f.other_slot;
      if (j >= 0) x.ones.push_back(j);
      if (kc >= 0 && static_cast<size_t>(kc) < f.level_words.size())
        for (int wj : f.level_words[static_cast<size_t>(kc)]) x.ones.push_back(wj);
    }
    x.row_ptr[i + 1] = x.ones.size();
  }
  return x;
}

std::vector<double> Encoder::Linear(const Dataset& d, const std::vector<uint32_t>& rows,
                                    double intercept, const double* w) const {
  std::vector<double> z(rows.size(), intercept);
  std::vector<double> table;
  for (const Feature& f : features_) {
    const Column& col = d.columns[f.column];
    if (f.numeric) {
      const double wv = w[f.first], wm = f.missing_slot >= 0 ? w[f.missing_slot] : 0.0;
      for (size_t i = 0; i < rows.size(); ++i) {
        const double x = col.num[rows[i]];
        z[i] += std::isnan(x) ? wm : wv * std::clamp((x - f.mean) * f.scale, -5.0, 5.0);
      }
      continue;
    }
    // Weight per code, with the missing/other fallbacks resolved once.
    const double other = f.other_slot >= 0 ? w[f.other_slot] : 0.0;
    const double miss = f.missing_slot >= 0 ? w[f.missing_slot] : other;
    table.assign(col.levels.size(), other);
    for (size_t k = 0; k < f.level_out.size() && k < table.size(); ++k)
      if (f.level_out[k] >= 0) table[k] = w[f.level_out[k]];
    for (size_t i = 0; i < rows.size(); ++i) {
      const int32_t k = col.code[rows[i]];
      z[i] += k < 0 ? miss : table[static_cast<size_t>(k)];
    }
    if (!f.level_words.empty()) {
      // Fold each level's word weights into its table entry.
      std::vector<double> words(col.levels.size(), 0.0);
      for (size_t k = 0; k < f.level_words.size(); ++k)
        for (int wj : f.level_words[k]) words[k] += w[wj];
      for (size_t i = 0; i < rows.size(); ++i) {
        const int32_t k = col.code[rows[i]];
        if (k >= 0 && static_cast<size_t>(k) < words.size()) z[i] += words[static_cast<size_t>(k)];
      }
    }
  }
  return z;
}

std::vector<std::pair<size_t, double>> Encoder::Terms(const Dataset& d, uint32_t row,
                                                      const double* w) const {
  std::vector<std::pair<size_t, double>> out;
  for (const Feature& f : features_) {
    const Column& col = d.columns[f.column];
    double t = 0;
    if (f.numeric) {
      const double x = col.num[row];
      if (std::isnan(x))
        t = f.missing_slot >= 0 ? w[f.missing_slot] : 0.0;
      else
        t = w[f.first] * std::clamp((x - f.mean) * f.scale, -5.0, 5.0);
    } else {
      const int32_t k = col.code[row];
      int j;
      if (k < 0)
        j = f.missing_slot >= 0 ? f.missing_slot : f.other_slot;
      else if (static_cast<size_t>(k) < f.level_out.size() && f.level_out[k] >= 0)
        j = f.level_out[k];
      else
        j = f.other_slot;
      if (j >= 0) t += w[j];
      if (k >= 0 && static_cast<size_t>(k) < f.level_words.size())
        for (int wj : f.level_words[static_cast<size_t>(k)]) t += w[wj];
    }
    out.emplace_back(f.column, t);
  }
  return out;
}

nlohmann::json Encoder::ToJson() const {
  nlohmann::json j;
  j["min_level_count"] = opt_.min_level_count;
  j["for_trees"] = opt_.for_trees;
  if (opt_.native_categorical) j["native_categorical"] = true;
  j["outputs"] = names_;
  nlohmann::json fs = nlohmann::json::array();
  for (const Feature& f : features_) {
    nlohmann::json o = {
        {"column", f.name},           {"numeric", f.numeric}, {"mean", f.mean},
        {"scale", f.scale},           {"first", f.first},     {"missing_slot", f.missing_slot},
        {"other_slot", f.other_slot}, {"title", f.title}};
    nlohmann::json kept = nlohmann::json::array(), words = nlohmann::json::array();
    for (const auto& [v, k] : f.kept) kept.push_back({v, k});
    for (const auto& [v, k] : f.words) words.push_back({v, k});
    o["levels"] = kept;
    o["words"] = words;
    if (f.code_out >= 0) o["code_out"] = f.code_out;
    fs.push_back(std::move(o));
  }
  j["features"] = fs;
  return j;
}

Result<Encoder> Encoder::FromJson(const nlohmann::json& j) {
  try {
    Encoder e;
    e.opt_.min_level_count = j.at("min_level_count").get<int>();
    e.opt_.for_trees = j.at("for_trees").get<bool>();
    e.opt_.native_categorical = j.value("native_categorical", false);
    e.names_ = j.at("outputs").get<std::vector<std::string>>();
    e.owner_.assign(e.names_.size(), 0);
    for (const auto& o : j.at("features")) {
      Feature f;
      f.column = e.features_.size();
      f.name = o.at("column").get<std::string>();
      f.numeric = o.at("numeric").get<bool>();
      f.mean = o.at("mean").get<double>();
      f.scale = o.at("scale").get<double>();
      f.first = o.at("first").get<int>();
      f.missing_slot = o.at("missing_slot").get<int>();
      f.other_slot = o.at("other_slot").get<int>();
      f.title = o.at("title").get<bool>();
      for (const auto& p : o.at("levels"))
        f.kept.emplace_back(p.at(0).get<std::string>(), p.at(1).get<int>());
      for (const auto& p : o.at("words"))
        f.words.emplace_back(p.at(0).get<std::string>(), p.at(1).get<int>());
      auto own = [&](int slot) {
        if (slot < 0) return true;
        if (static_cast<size_t>(slot) >= e.names_.size()) return false;
        e.owner_[static_cast<size_t>(slot)] = f.column;
        return true;
      };
      f.code_out = o.value("code_out", -1);
      bool ok = (!f.numeric || own(f.first)) && own(f.code_out);
      if (f.code_out < 0) {
        ok = ok && own(f.missing_slot) && own(f.other_slot);
        for (const auto& kv : f.kept) ok = ok && own(kv.second);
      } else {  // codes, not outputs
        ok = ok && !f.numeric && f.missing_slot < 1 << 24 && f.other_slot < 1 << 24;
        for (const auto& kv : f.kept) ok = ok && kv.second >= 0 && kv.second < 1 << 24;
      }
      for (const auto& kv : f.words) ok = ok && own(kv.second);
      if (!ok) return Status::Invalid("stored model: an encoder output index is out of range");
      e.features_.push_back(std::move(f));
    }
    return e;
  } catch (const std::exception& ex) {
    return Status::Invalid(std::string("stored model: unreadable encoder: ") + ex.what());
  }
}

Status Encoder::Bind(const Dataset& d) {
  for (Feature& f : features_) {
    size_t c = d.columns.size();
    for (size_t i = 0; i < d.columns.size(); ++i)
      if (d.columns[i].name == f.name) c = i;
    if (c == d.columns.size()) return Status::Invalid("the table has no column '" + f.name + "'");
    const Column& col = d.columns[c];
    if (col.numeric != f.numeric)
      return Status::Invalid("column '" + f.name + "' is " +
                             (col.numeric ? "numeric" : "categorical") + ", the model's is not");
    f.column = c;
    if (f.numeric) continue;
    std::map<std::string, int, std::less<>> kept(f.kept.begin(), f.kept.end());
    std::map<std::string, int, std::less<>> words(f.words.begin(), f.words.end());
    f.level_out.assign(col.levels.size(), -1);
    f.level_words.clear();
    if (f.title) f.level_words.resize(col.levels.size());
    for (size_t k = 0; k < col.levels.size(); ++k) {
      if (auto it = kept.find(col.levels[k]); it != kept.end()) f.level_out[k] = it->second;
      if (f.title)
        for (const auto& w : Words(col.levels[k]))
          if (auto it = words.find(w); it != words.end()) f.level_words[k].push_back(it->second);
    }
  }
  return Status::Ok();
}

}  // namespace leadgate::model
