// Weighted non-negative least squares under linear equality constraints:
//
//   minimise  sum_i w_i (x_i - y_i)^2   subject to  A x = b,  x >= 0,
//
// the estimation step of TopDown (Abowd et al., "The 2020 Census Disclosure Avoidance System
// TopDown Algorithm", Harvard Data Science Review 2022, Section 7: a weighted least-squares fit
// to the noisy measurements, non-negative, under the constraints). Solved by ADMM on the split
// x = z (Boyd et al., "Distributed Optimization and Statistical Learning via the Alternating
// Direction Method of Multipliers", 2011, Section 5.2): the x-step is the D-weighted projection
// of an unconstrained minimiser onto {A x = b} (one sparse Cholesky factorisation of
// A D^-1 A^T, computed once in Create and reused by every Solve), the z-step clips at zero.
// A must have full row rank. Solve returns z (exactly non-negative, A z = b up to the stopping
// tolerance): the rounding step that follows restores the equalities exactly.
//
// Thread safety: Solve is const and thread-safe.
#ifndef DPKIT_SRC_PUBLISH_NNLS_H_
#define DPKIT_SRC_PUBLISH_NNLS_H_

#include <memory>
#include <vector>

#include "Eigen/SparseCholesky"
#include "Eigen/SparseCore"
#include "absl/status/statusor.h"

namespace dpkit::publish {

class ConstrainedNnls {
 public:
  // `a` (m x n, m may be 0) and positive `weights` (n).
  static absl::StatusOr<ConstrainedNnls> Create(Eigen::SparseMatrix<double> a,
                                                Eigen::VectorXd weights);

  // Stops when no coordinate moves by more than `tolerance` (value units) between iterations and
  // x and z agree to `tolerance`, or after `max_iterations`.
  Eigen::VectorXd Solve(const Eigen::VectorXd& y, const Eigen::VectorXd& b, double tolerance = 1e-3,
                        int max_iterations = 5000) const;

 private:
  using Factorization = Eigen::SimplicialLLT<Eigen::SparseMatrix<double>>;
  ConstrainedNnls() = default;
  Eigen::VectorXd Project(const Eigen::VectorXd& v, const Eigen::VectorXd& b) const;

  Eigen::SparseMatrix<double> a_;
  Eigen::VectorXd weights_;
  Eigen::VectorXd d_inverse_;  // 1 / (weights + penalty)
  double penalty_ = 1;
  std::shared_ptr<Factorization> factorization_;
};

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_NNLS_H_
