#include "model/logistic.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace leadgate::model {
namespace {

constexpr size_t kBlock = 16384;

double Sigmoid(double z) {
  return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
}

// log(1 + exp(z)), stable.
double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

using MapX = Eigen::Map<const Eigen::MatrixXf>;

// Penalised negative log-likelihood at theta = [b0, beta].
double Loss(const MapX& X, const std::vector<uint8_t>& y, const Eigen::VectorXd& th, double l2) {
  const size_t n = static_cast<size_t>(X.rows());
  const Eigen::VectorXf bf = th.tail(th.size() - 1).cast<float>();
  double loss = 0;
  for (size_t r0 = 0; r0 < n; r0 += kBlock) {
    const size_t m = std::min(kBlock, n - r0);
    const Eigen::VectorXd eta =
        (X.middleRows(static_cast<Eigen::Index>(r0), static_cast<Eigen::Index>(m)) * bf)
            .cast<double>()
            .array() +
        th(0);
    for (size_t i = 0; i < m; ++i) loss += Softplus(eta(i)) - (y[r0 + i] ? eta(i) : 0.0);
  }
  return loss + 0.5 * l2 * th.tail(th.size() - 1).squaredNorm();
}

}  // namespace

LogisticModel FitLogistic(const float* x, size_t n, size_t p, const std::vector<uint8_t>& y,
                          const LogisticOptions& opt) {
  const MapX X(x, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(p));
  const Eigen::Index q = static_cast<Eigen::Index>(p) + 1;
  Eigen::VectorXd th = Eigen::VectorXd::Zero(q);
  double pos = 0;
  for (uint8_t v : y) pos += v;
  const double rate = std::clamp(pos / static_cast<double>(std::max<size_t>(n, 1)), 1e-6, 1 - 1e-6);
  th(0) = std::log(rate / (1 - rate));
  double loss = Loss(X, y, th, opt.l2);
  Eigen::MatrixXd H(q, q);
  Eigen::VectorXd g(q);
  Eigen::MatrixXd B;  // a block of rows in double, with the column of ones first
  LogisticModel m;
  // The Hessian costs n * q^2; above a budget it is estimated on an evenly
  // spaced subsample of rows (rescaled, with the exact diagonal from every
  // row), while the gradient and the line search always use every row: the
  // steps stay descents on the exact loss, only their length is approximate.
  const double budget = 2e9;
  const size_t stride = std::max<size_t>(
      1,
      static_cast<size_t>(std::ceil(static_cast<double>(n) * static_cast<double>(q * q) / budget)));
  // The penalised Hessian (and the gradient) at th.
  auto curvature = [&] {
    H.setZero();
    g.setZero();
    Eigen::VectorXd diag = Eigen::VectorXd::Zero(q);
    size_t sampled = 0;
    for (size_t r0 = 0; r0 < n; r0 += kBlock) {
      const Eigen::Index len = static_cast<Eigen::Index>(std::min(kBlock, n - r0));
      const auto Xb = X.middleRows(static_cast<Eigen::Index>(r0), len);
      B.resize(len, q);
      B.col(0).setOnes();
      B.rightCols(static_cast<Eigen::Index>(p)) = Xb.cast<double>();
      const Eigen::VectorXd eta = B * th;
      Eigen::VectorXd resid(len), w(len);
      for (Eigen::Index i = 0; i < len; ++i) {
        const double pr = Sigmoid(eta(i));
        resid(i) = pr - (y[r0 + static_cast<size_t>(i)] ? 1.0 : 0.0);
        w(i) = std::max(pr * (1 - pr), 1e-12);
      }
      g.noalias() += B.transpose() * resid;
      if (stride == 1) {
        B = w.cwiseSqrt().asDiagonal() * B;
        H.selfadjointView<Eigen::Lower>().rankUpdate(B.transpose());
        continue;
      }
      diag.noalias() += B.cwiseAbs2().transpose() * w;
      // Rows r0 + i with (r0 + i) % stride == 0.
      std::vector<Eigen::Index> pick;
      for (size_t i = (stride - r0 % stride) % stride; i < static_cast<size_t>(len); i += stride)
        pick.push_back(static_cast<Eigen::Index>(i));
      if (pick.empty()) continue;
      Eigen::MatrixXd S(static_cast<Eigen::Index>(pick.size()), q);
      for (size_t k = 0; k < pick.size(); ++k)
        S.row(static_cast<Eigen::Index>(k)) = std::sqrt(w(pick[k])) * B.row(pick[k]);
      H.selfadjointView<Eigen::Lower>().rankUpdate(S.transpose());
      sampled += pick.size();
    }
    H = H.selfadjointView<Eigen::Lower>();
    if (stride > 1 && sampled > 0) {
      H *= static_cast<double>(n) / static_cast<double>(sampled);
      H.diagonal() = diag;
    }
    for (Eigen::Index j = 1; j < q; ++j) H(j, j) += opt.l2;
    H(0, 0) += 1e-9;
  };
  for (int it = 0; it < opt.max_iter; ++it) {
    curvature();
    g.tail(p) += opt.l2 * th.tail(p);
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(H);
    Eigen::VectorXd step = ldlt.solve(g);
    // Step halving keeps every iteration a descent (separable data, far starts).
    double t = 1.0, next = loss;
    Eigen::VectorXd cand;
    for (int h = 0; h < 30; ++h, t *= 0.5) {
      cand = th - t * step;
      next = Loss(X, y, cand, opt.l2);
      if (std::isfinite(next) && next <= loss + 1e-12 * std::abs(loss)) break;
    }
    m.iterations = it + 1;
    const double change = loss - next;
    if (!(next <= loss + 1e-12 * std::abs(loss))) break;  // no descent left
    th = cand;
    loss = next;
    if (change <= opt.tol * std::max(1.0, std::abs(loss))) break;
  }
  // Covariance at the optimum (Laplace approximation).
  if (opt.covariance) {
    curvature();
    m.cov = H.ldlt().solve(Eigen::MatrixXd::Identity(q, q));
  }
  m.intercept = th(0);
  m.beta = th.tail(p);
  return m;
}

std::vector<double> LogisticModel::Predict(const float* x, size_t n) const {
  const Eigen::Index p = beta.size();
  const MapX X(x, static_cast<Eigen::Index>(n), p);
  const Eigen::VectorXf bf = beta.cast<float>();
  std::vector<double> out(n);
  Eigen::Map<Eigen::VectorXd> o(out.data(), static_cast<Eigen::Index>(n));
  if (p > 0)
    o = (X * bf).cast<double>();
  else
    o.setZero();
  for (double& v : out) v = Sigmoid(v + intercept);
  return out;
}

double LogisticModel::LogitSd(const float* row) const {
  const Eigen::Index p = beta.size();
  if (cov.rows() != p + 1) return 0.0;  // fitted without the covariance
  Eigen::VectorXd v(p + 1);
  v(0) = 1;
  for (Eigen::Index j = 0; j < p; ++j) v(j + 1) = row[j];
  return std::sqrt(std::max(0.0, v.dot(cov * v)));
}

}  // namespace leadgate::model
