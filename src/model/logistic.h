// L2-regularised logistic regression by Newton's method (IRLS) with Eigen.
// The penalty l2 * |beta|^2 / 2 on the summed log-likelihood is a Gaussian
// prior of variance 1/l2 on each standardised coefficient (the intercept is
// not penalised): with few leads the prior keeps the model near the base
// rate, with many it fades. The inverse Hessian at the optimum (Laplace
// approximation) gives each coefficient's standard error and each score's
// uncertainty.
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <vector>

#include "model/sparse.h"

namespace leadgate::model {

struct LogisticOptions {
  double l2 = 1.0;
  int max_iter = 50;
  double tol = 1e-8;       // on the relative change of the penalised loss
  bool covariance = true;  // compute `cov` (evaluation does not need it)
};

struct LogisticModel {
  double intercept = 0;
  Eigen::VectorXd beta;
  Eigen::MatrixXd cov;  // (1 + p) x (1 + p), intercept first
  int iterations = 0;

  // X: n x p, column-major floats. Returns P(positive).
  std::vector<double> Predict(const float* x, size_t n) const;
  // Standard deviation of the logit of one row (row-major floats, length p);
  // 0 when fitted without the covariance.
  double LogitSd(const float* row) const;
};

// X: n x p, column-major floats; y: 0/1. Newton over the dense matrix (the
// Hessian subsampled above 2e9 multiply-adds per step); kept as the
// reference the sparse solver is tested against.
LogisticModel FitLogistic(const float* x, size_t n, size_t p, const std::vector<uint8_t>& y,
                          const LogisticOptions& opt);

// The same penalised problem on a sparse design (Encoder::EncodeSparse):
// Newton with the exact Hessian built from the non-zeros (dense x dense by a
// rank update, dense x one-hot and one-hot x one-hot by scatter-adds), the
// Newton decrement as the stopping rule, and a line search on the cached
// linear predictor (X * step is computed once per step). From 100,000 rows
// up the row passes run on 2 threads over 2 fixed halves, summed in order:
// the result depends on the data only, never on timing.
LogisticModel FitLogistic(const SparseDesign& x, const std::vector<uint8_t>& y,
                          const LogisticOptions& opt);

}  // namespace leadgate::model
