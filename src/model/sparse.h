// A design matrix for linear models kept in its natural sparse form: the
// numeric features as a dense row-major block, and the one-hot outputs
// (categorical levels, "(other)", missing indicators, title words) as the
// list of output indices that are 1 in each row (CSR without values). A
// categorical column gives one non-zero per row instead of one dense column
// per level, so a pass over the rows costs O(non-zeros), and the exact
// Hessian X^T W X costs n * (d + s)^2 for d dense and s one-hot non-zeros
// per row instead of n * p^2 for p outputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace leadgate::model {

struct SparseDesign {
  size_t n = 0;                    // rows
  size_t p = 0;                    // outputs (the encoder's width)
  std::vector<int32_t> dense_out;  // the output index of each dense column
  std::vector<float> dense;        // n x dense_out.size(), row-major
  std::vector<size_t> row_ptr;     // n + 1 offsets into `ones`
  std::vector<int32_t> ones;       // output indices equal to 1, row by row

  // Every column of an n x p column-major matrix as a dense column (tests,
  // and callers that only have the matrix).
  static SparseDesign FromDense(const float* x, size_t n, size_t p);
};

}  // namespace leadgate::model
