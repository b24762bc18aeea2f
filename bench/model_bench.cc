// Predictive-scoring speed (docs/benchmarks.md, "Predictive scoring"):
//   model_bench [--rows N]            time encode, logistic fit, trees fit, scoring, in memory
//   model_bench --write FILE [--rows N]   write the same table as CSV (for bench/model_compare.sh)
// The table: 40 numeric columns (5 % missing) and 10 categorical ones (3 to
// 40 levels), the label drawn from a known logistic model, fixed seed.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>

#include "common/splitmix.h"
#include "model/dataset.h"
#include "model/encode.h"
#include "model/logistic.h"
#include "model/trees.h"

namespace lm = leadgate::model;

namespace {

using Rng = leadgate::SplitMix64;

constexpr int kNum = 40, kCat = 10;

lm::Dataset Make(size_t n, uint64_t seed = 12345) {
  Rng g{seed};
  lm::Dataset d;
  d.columns.resize(kNum + kCat);
  for (int c = 0; c < kNum; ++c) {
    d.columns[c].name = std::string(1, 'x').append(std::to_string(c));
    d.columns[c].numeric = true;
    d.columns[c].num.resize(n);
  }
  for (int c = 0; c < kCat; ++c) {
    auto& col = d.columns[kNum + c];
    col.name = std::string(1, 'c').append(std::to_string(c));
    const int levels = 3 + c * 4;
    for (int k = 0; k < levels; ++k)
      col.levels.push_back(std::string(1, 'v').append(std::to_string(k)));
    col.code.resize(n);
  }
  d.y.resize(n);
  for (size_t i = 0; i < n; ++i) {
    double z = -1.0;
    for (int c = 0; c < kNum; ++c) {
      const double x = g.Normal();
      const bool miss = g.Uniform() < 0.05;
      d.columns[c].num[i] = miss ? NAN : x;
      if (!miss && c < 10) z += (c % 2 ? 0.5 : -0.4) * x;
      if (c == 10 && !miss) z += 0.8 * (x > 1);  // a step: trees see it, lines less so
    }
    for (int c = 0; c < kCat; ++c) {
      auto& col = d.columns[kNum + c];
      const int k = static_cast<int>(g.Uniform() * static_cast<double>(col.levels.size()));
      col.code[i] = k;
      if (c < 3) z += 0.3 * ((k % 3) - 1);
    }
    d.y[i] = g.Uniform() < 1 / (1 + std::exp(-z)) ? 1 : 0;
  }
  return d;
}

double Secs(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  // LG_SETENV_PASSIVE=1: setenv OMP_WAIT_POLICY=passive here, after libgomp
  // has read its environment (checks whether that still works).
  if (std::getenv("LG_SETENV_PASSIVE")) setenv("OMP_WAIT_POLICY", "passive", 1);
  size_t rows = 1000000;
  std::string write;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows")) rows = std::stoul(argv[i + 1]);
    if (!std::strcmp(argv[i], "--write")) write = argv[i + 1];
  }
  const lm::Dataset d = Make(rows);
  if (!write.empty()) {
    std::ofstream f(write, std::ios::binary);
    for (const auto& c : d.columns) f << c.name << ',';
    f << "won\n";
    char buf[32];
    for (size_t i = 0; i < rows; ++i) {
      for (const auto& c : d.columns) {
        if (c.numeric) {
          if (!std::isnan(c.num[i])) {
            std::snprintf(buf, sizeof buf, "%.4f", c.num[i]);
            f << buf;
          }
        } else {
          f << c.levels[static_cast<size_t>(c.code[i])];
        }
        f << ',';
      }
      f << int{d.y[i]} << '\n';
    }
    std::printf("wrote %zu rows x %d features to %s\n", rows, kNum + kCat, write.c_str());
    return f ? 0 : 1;
  }
  std::vector<uint32_t> all(rows);
  for (uint32_t i = 0; i < rows; ++i) all[i] = i;

  auto t0 = std::chrono::steady_clock::now();
  // LG_TREES_ONLY=1: skip the logistic part (trees settings compared faster).
  if (!std::getenv("LG_TREES_ONLY")) {
    lm::Encoder enc;
    enc.Fit(d, all, {});
    const lm::SparseDesign xs = enc.EncodeSparse(d, all);
    const double t_enc = Secs(t0);
    t0 = std::chrono::steady_clock::now();
    const lm::LogisticModel m = lm::FitLogistic(xs, d.y, {});
    const double t_fit = Secs(t0);
    const auto x = enc.Encode(d, all, false);  // the dense matrix, for the check below
    std::printf("rows %zu, columns %d, encoded width %zu\n", rows, kNum + kCat, enc.width());
    std::printf(
        "logistic: encode %.2f s, fit %.2f s (%d Newton steps, sparse design, exact Hessian), "
        "total %.2f s\n",
        t_enc, t_fit, m.iterations, t_enc + t_fit);

    // Scoring straight from the columns (Encoder::Linear), then the sigmoid.
    t0 = std::chrono::steady_clock::now();
    auto z = enc.Linear(d, all, m.intercept, m.beta.data());
    double sum = 0;
    for (double& v : z) sum += v = 1 / (1 + std::exp(-v));
    const double t_score = Secs(t0);
    // Check: the same scores as the encoded matrix gives.
    const auto p = m.Predict(x.data(), rows);
    double diff = 0;
    for (size_t i = 0; i < rows; ++i) diff = std::max(diff, std::abs(p[i] - z[i]));
    std::printf(
        "logistic scoring: %.3f s for %zu leads = %.2f M leads/s (mean score %.4f, max "
        "difference to the matrix path %.1e)\n",
        t_score, rows, static_cast<double>(rows) / t_score / 1e6, sum / static_cast<double>(rows),
        diff);
  }
  lm::TreesOptions topt;
  if (const char* v = std::getenv("LG_ROUNDS")) topt.rounds = std::atoi(v);
  if (const char* v = std::getenv("LG_DEPTH")) topt.max_depth = std::atoi(v);
  if (const char* v = std::getenv("LG_MAX_BIN")) topt.max_bin = std::atoi(v);
  if (const char* v = std::getenv("LG_SUBSAMPLE")) topt.subsample = std::atof(v);
  if (const char* v = std::getenv("LG_ETA")) topt.eta = std::atof(v);
  if (const char* v = std::getenv("LG_EARLY")) topt.early_stopping = std::atoi(v);
  if (const char* v = std::getenv("LG_NTHREAD")) topt.nthread = std::atoi(v);
  if (const char* v = std::getenv("LG_MAX_ROWS")) topt.max_rows = std::atol(v);
  if (const char* v = std::getenv("LG_MAX_CAT_TO_ONEHOT")) topt.max_cat_to_onehot = std::atoi(v);
  if (const char* v = std::getenv("LG_NATIVE")) topt.native_categorical = std::atoi(v) != 0;
  lm::EncoderOptions to;
  to.for_trees = true;
  to.native_categorical = topt.native_categorical;
  t0 = std::chrono::steady_clock::now();
  lm::Encoder tenc;
  tenc.Fit(d, all, to);
  const auto xt = tenc.Encode(d, all, true);
  const double t_tenc = Secs(t0);
  t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();  // CPU seconds of every thread: the work, whatever the load
  lm::Trees trees;
  if (auto s = trees.Fit(xt.data(), rows, tenc.width(), d.y, topt, tenc.CategoricalOutputs());
      !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  const double t_tfit = Secs(t0);
  const double c_tfit = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  const auto& info = trees.fit_info();
  std::printf(
      "trees: encode %.2f s (width %zu, native categorical %d), fit %.2f s, CPU %.2f s (rounds %d "
      "kept of %d "
      "built, %zu rows trained, %zu held out, depth %d, max_bin %d, subsample %.2f, eta %.2f, "
      "early stopping %d)\n",
      t_tenc, tenc.width(), topt.native_categorical ? 1 : 0, t_tfit, c_tfit, info.rounds,
      info.rounds_trained, info.rows_trained, info.rows_holdout, topt.max_depth, topt.max_bin,
      topt.subsample, topt.eta, topt.early_stopping);
  t0 = std::chrono::steady_clock::now();
  const std::clock_t c1 = std::clock();
  auto pt = trees.Predict(xt.data(), rows, tenc.width());
  const double t_tscore = Secs(t0);
  const double c_tscore = static_cast<double>(std::clock() - c1) / CLOCKS_PER_SEC;
  std::printf("trees scoring: %.2f s (CPU %.2f s) = %.2f M leads/s\n", t_tscore, c_tscore,
              static_cast<double>(rows) / t_tscore / 1e6);
  if (!pt.ok()) return 1;
  // AUC on 200,000 fresh rows of the same generator (another seed): the model's
  // quality at each setting, not its fit to the training rows.
  const size_t nt = 200000;
  const lm::Dataset dt = Make(nt, 777);
  std::vector<uint32_t> tall(nt);
  for (uint32_t i = 0; i < nt; ++i) tall[i] = i;
  const auto xtt = tenc.Encode(dt, tall, true);
  auto ptt = trees.Predict(xtt.data(), nt, tenc.width());
  if (!ptt.ok()) return 1;
  const auto& ps = *ptt;
  std::vector<uint32_t> idx(tall);
  std::sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t b) { return ps[a] < ps[b]; });
  double rank_sum = 0, npos = 0;
  for (size_t k = 0; k < nt; ++k)
    if (dt.y[idx[k]]) rank_sum += static_cast<double>(k + 1), ++npos;
  const double nneg = static_cast<double>(nt) - npos;
  std::printf("trees AUC on 200,000 fresh rows %.4f (logistic in-sample reference above)\n",
              (rank_sum - npos * (npos + 1) / 2) / (npos * nneg));
  return 0;
}
