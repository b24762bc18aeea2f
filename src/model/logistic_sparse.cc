// Newton's method for the L2-penalised logistic regression on a SparseDesign
// (see logistic.h). Internal variable order: the intercept, the dense
// columns, then every other output (the one-hot ones); the result is mapped
// back to the encoder's output order.
#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

#include "model/logistic.h"

namespace leadgate::model {
namespace {

using RowMat = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

double Sigmoid(double z) {
  return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
}

double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

struct Problem {
  size_t n = 0, k = 0, s = 0, q = 0;  // rows, dense columns, other variables, 1 + k + s
  const float* dense = nullptr;       // n x k row-major
  const size_t* row_ptr = nullptr;
  std::vector<int32_t> idx;     // internal index (>= 1 + k) of every non-zero one
  std::vector<size_t> ext;      // internal index -> 0 (intercept) or 1 + output
  std::vector<size_t> own_ptr;  // row offsets when entries had to be dropped
};

// Penalised-loss pieces of rows [r0, r1) at the linear predictor eta.
struct Partial {
  Eigen::VectorXd g;    // q
  Eigen::MatrixXd hdd;  // (1 + k)^2, lower triangle
  RowMat hsd;           // s x (1 + k)
  Eigen::MatrixXd hss;  // s x s, lower triangle
};

void Curvature(const Problem& P, const double* eta, const uint8_t* y, size_t r0, size_t r1,
               Partial* out) {
  const size_t k1 = P.k + 1;
  const auto K1 = static_cast<Eigen::Index>(k1), S = static_cast<Eigen::Index>(P.s);
  out->g.setZero(static_cast<Eigen::Index>(P.q));
  out->hdd.setZero(K1, K1);
  out->hsd.setZero(S, K1);
  out->hss.setZero(S, S);
  constexpr size_t kB = 256;
  RowMat D(static_cast<Eigen::Index>(kB), K1), B(static_cast<Eigen::Index>(kB), K1);
  Eigen::VectorXd r(static_cast<Eigen::Index>(kB)), sw(static_cast<Eigen::Index>(kB));
  for (size_t b0 = r0; b0 < r1; b0 += kB) {
    const size_t m = std::min(kB, r1 - b0);
    for (size_t t = 0; t < m; ++t) {
      const size_t i = b0 + t;
      const auto T = static_cast<Eigen::Index>(t);
      const double pr = Sigmoid(eta[i]);
      const double res = pr - (y[i] ? 1.0 : 0.0);
      const double w = std::max(pr * (1 - pr), 1e-12);
      D(T, 0) = 1.0;
      const float* di = P.dense + i * P.k;
      for (size_t c = 0; c < P.k; ++c) D(T, static_cast<Eigen::Index>(c + 1)) = di[c];
      r(T) = res;
      sw(T) = std::sqrt(w);
      const int32_t* a = P.idx.data() + P.row_ptr[i];
      const size_t na = P.row_ptr[i + 1] - P.row_ptr[i];
      for (size_t u = 0; u < na; ++u) {
        const auto ju = static_cast<Eigen::Index>(a[u]) - K1;
        out->g(a[u]) += res;
        out->hsd.row(ju) += w * D.row(T);
        out->hss(ju, ju) += w;
        for (size_t v = 0; v < u; ++v) {
          const auto jv = static_cast<Eigen::Index>(a[v]) - K1;
          out->hss(std::max(ju, jv), std::min(ju, jv)) += w;
        }
      }
    }
    const auto M = static_cast<Eigen::Index>(m);
    out->g.head(K1).noalias() += D.topRows(M).transpose() * r.head(M);
    B.topRows(M) = sw.head(M).asDiagonal() * D.topRows(M);
    out->hdd.selfadjointView<Eigen::Lower>().rankUpdate(B.topRows(M).transpose());
  }
}

// Fixed row ranges: 1 below 100,000 rows, else 2 halves (one thread each).
std::vector<std::pair<size_t, size_t>> Chunks(size_t n) {
  if (n < 100000) return {{0, n}};
  return {{0, n / 2}, {n / 2, n}};
}

template <class F>
void ForChunks(const std::vector<std::pair<size_t, size_t>>& ch, F f) {
  if (ch.size() == 1) {
    f(0, ch[0].first, ch[0].second);
    return;
  }
  std::vector<std::thread> th;
  for (size_t c = 1; c < ch.size(); ++c)
    th.emplace_back([&, c] { f(c, ch[c].first, ch[c].second); });
  f(0, ch[0].first, ch[0].second);
  for (auto& t : th) t.join();
}

}  // namespace

SparseDesign SparseDesign::FromDense(const float* x, size_t n, size_t p) {
  SparseDesign d;
  d.n = n;
  d.p = p;
  for (size_t j = 0; j < p; ++j) d.dense_out.push_back(static_cast<int32_t>(j));
  d.dense.resize(n * p);
  for (size_t j = 0; j < p; ++j)
    for (size_t i = 0; i < n; ++i) d.dense[i * p + j] = x[j * n + i];
  d.row_ptr.assign(n + 1, 0);
  return d;
}

LogisticModel FitLogistic(const SparseDesign& x, const std::vector<uint8_t>& y,
                          const LogisticOptions& opt) {
  Problem P;
  P.n = x.n;
  P.k = x.dense_out.size();
  P.dense = x.dense.data();
  P.row_ptr = x.row_ptr.data();
  const size_t k1 = P.k + 1;
  std::vector<int32_t> internal(x.p, -1);
  P.ext.push_back(0);
  for (size_t c = 0; c < P.k; ++c) {
    internal[static_cast<size_t>(x.dense_out[c])] = static_cast<int32_t>(1 + c);
    P.ext.push_back(1 + static_cast<size_t>(x.dense_out[c]));
  }
  for (size_t j = 0; j < x.p; ++j)
    if (internal[j] < 0) {
      internal[j] = static_cast<int32_t>(P.ext.size());
      P.ext.push_back(1 + j);
    }
  P.q = P.ext.size();
  P.s = P.q - k1;
  // Non-zeros on a dense output cannot come from the encoder; a malformed
  // design would corrupt the sparse blocks, so they are rejected up front.
  P.idx.resize(x.ones.size());
  for (size_t t = 0; t < x.ones.size(); ++t) {
    const int32_t o = x.ones[t];
    P.idx[t] = o >= 0 && static_cast<size_t>(o) < x.p &&
                       internal[static_cast<size_t>(o)] >= static_cast<int32_t>(k1)
                   ? internal[static_cast<size_t>(o)]
                   : -1;
  }
  {
    // Drop rejected entries (keeps row_ptr consistent by rebuilding it).
    bool bad = false;
    for (int32_t v : P.idx) bad = bad || v < 0;
    if (bad) {
      std::vector<size_t>& rp = P.own_ptr;
      rp.assign(P.n + 1, 0);
      std::vector<int32_t> kept;
      for (size_t i = 0; i < P.n; ++i) {
        for (size_t t = x.row_ptr[i]; t < x.row_ptr[i + 1]; ++t)
          if (P.idx[t] >= 0) kept.push_back(P.idx[t]);
        rp[i + 1] = kept.size();
      }
      P.idx = std::move(kept);
      P.row_ptr = rp.data();
    }
  }
  const auto Q = static_cast<Eigen::Index>(P.q), K1 = static_cast<Eigen::Index>(k1),
             S = static_cast<Eigen::Index>(P.s);
  const auto chunks = Chunks(P.n);

  Eigen::VectorXd th = Eigen::VectorXd::Zero(Q);
  double pos = 0;
  for (uint8_t v : y) pos += v;
  const double rate =
      std::clamp(pos / static_cast<double>(std::max<size_t>(P.n, 1)), 1e-6, 1 - 1e-6);
  th(0) = std::log(rate / (1 - rate));
  std::vector<double> eta(P.n, th(0)), xs(P.n), cand(P.n);

  auto data_loss = [&](const std::vector<double>& e) {
    std::vector<double> part(chunks.size(), 0.0);
    ForChunks(chunks, [&](size_t c, size_t r0, size_t r1) {
      double l = 0;
      for (size_t i = r0; i < r1; ++i) l += Softplus(e[i]) - (y[i] ? e[i] : 0.0);
      part[c] = l;
    });
    double l = 0;
    for (double v : part) l += v;
    return l;
  };
  std::vector<Partial> parts(chunks.size());
  Eigen::MatrixXd H(Q, Q);
  Eigen::VectorXd g(Q);
  auto curvature = [&] {
    ForChunks(chunks, [&](size_t c, size_t r0, size_t r1) {
      Curvature(P, eta.data(), y.data(), r0, r1, &parts[c]);
    });
    for (size_t c = 1; c < parts.size(); ++c) {
      parts[0].g += parts[c].g;
      parts[0].hdd += parts[c].hdd;
      parts[0].hsd += parts[c].hsd;
      parts[0].hss += parts[c].hss;
    }
    const Partial& t = parts[0];
    g = t.g;
    H.setZero();
    H.topLeftCorner(K1, K1) = t.hdd.selfadjointView<Eigen::Lower>();
    H.bottomLeftCorner(S, K1) = t.hsd;
    H.topRightCorner(K1, S) = t.hsd.transpose();
    H.bottomRightCorner(S, S) = t.hss.selfadjointView<Eigen::Lower>();
    for (Eigen::Index j = 1; j < Q; ++j) H(j, j) += opt.l2;
    H(0, 0) += 1e-9;
  };
  auto x_times = [&](const Eigen::VectorXd& v, std::vector<double>* out) {
    ForChunks(chunks, [&](size_t, size_t r0, size_t r1) {
      for (size_t i = r0; i < r1; ++i) {
        double z = v(0);
        const float* di = P.dense + i * P.k;
        for (size_t c = 0; c < P.k; ++c)
          z += static_cast<double>(di[c]) * v(static_cast<Eigen::Index>(c + 1));
        for (size_t t = P.row_ptr[i]; t < P.row_ptr[i + 1]; ++t) z += v(P.idx[t]);
        (*out)[i] = z;
      }
    });
  };

  double loss = data_loss(eta);
  LogisticModel m;
  for (int it = 0; it < opt.max_iter; ++it) {
    curvature();
    g.tail(Q - 1) += opt.l2 * th.tail(Q - 1);
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(H);
    const Eigen::VectorXd step = ldlt.solve(g);
    x_times(step, &xs);
    // Step halving keeps every iteration a descent (separable data, far starts).
    double t = 1.0, next = loss;
    bool descent = false;
    for (int h = 0; h < 30; ++h, t *= 0.5) {
      for (size_t i = 0; i < P.n; ++i) cand[i] = eta[i] - t * xs[i];
      next = data_loss(cand) + 0.5 * opt.l2 * (th.tail(Q - 1) - t * step.tail(Q - 1)).squaredNorm();
      if (std::isfinite(next) && next <= loss + 1e-12 * std::abs(loss)) {
        descent = true;
        break;
      }
    }
    m.iterations = it + 1;
    if (!descent) break;  // no descent left
    const double change = loss - next;
    th -= t * step;
    eta.swap(cand);
    loss = next;
    if (change <= opt.tol * std::max(1.0, std::abs(loss))) break;
  }
  if (opt.covariance) {
    curvature();
    const Eigen::MatrixXd ci = H.ldlt().solve(Eigen::MatrixXd::Identity(Q, Q));
    m.cov.resize(Q, Q);
    for (Eigen::Index a = 0; a < Q; ++a)
      for (Eigen::Index b = 0; b < Q; ++b)
        m.cov(static_cast<Eigen::Index>(P.ext[static_cast<size_t>(a)]),
              static_cast<Eigen::Index>(P.ext[static_cast<size_t>(b)])) = ci(a, b);
  }
  m.intercept = th(0);
  m.beta.resize(static_cast<Eigen::Index>(x.p));
  for (Eigen::Index a = 1; a < Q; ++a)
    m.beta(static_cast<Eigen::Index>(P.ext[static_cast<size_t>(a)] - 1)) = th(a);
  return m;
}

}  // namespace leadgate::model
