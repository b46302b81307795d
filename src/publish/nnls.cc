#include "publish/nnls.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace dpkit::publish {

absl::StatusOr<ConstrainedNnls> ConstrainedNnls::Create(Eigen::SparseMatrix<double> a,
                                                        Eigen::VectorXd weights) {
  if (weights.size() != a.cols() || (weights.array() <= 0).any() || !weights.allFinite()) {
    return absl::InvalidArgumentError("least squares: weights must be positive, one per unknown");
  }
  ConstrainedNnls s;
  s.a_ = std::move(a);
  s.a_.makeCompressed();
  s.weights_ = std::move(weights);
  // The penalty sets the ADMM step; the mean weight balances the fit and the clipping.
  s.penalty_ = s.weights_.mean();
  s.d_inverse_ = (s.weights_.array() + s.penalty_).inverse();
  if (s.a_.rows() > 0) {
    Eigen::SparseMatrix<double> gram = s.a_ * s.d_inverse_.asDiagonal() * s.a_.transpose();
    s.factorization_ = std::make_shared<Factorization>(gram);
    if (s.factorization_->info() != Eigen::Success) {
      return absl::InternalError("least squares: constraint matrix is rank deficient");
    }
  }
  return s;
}

Eigen::VectorXd ConstrainedNnls::Project(const Eigen::VectorXd& v, const Eigen::VectorXd& b) const {
  if (a_.rows() == 0) return v;
  const Eigen::VectorXd lambda = factorization_->solve(a_ * v - b);
  return v - d_inverse_.cwiseProduct(a_.transpose() * lambda);
}

Eigen::VectorXd ConstrainedNnls::Solve(const Eigen::VectorXd& y, const Eigen::VectorXd& b,
                                       double tolerance, int max_iterations) const {
  if (a_.rows() == 0) return y.cwiseMax(0.0);  // separable: clipping is optimal
  const Eigen::VectorXd weighted_y = weights_.cwiseProduct(y);
  Eigen::VectorXd z = y.cwiseMax(0.0);
  Eigen::VectorXd u = Eigen::VectorXd::Zero(y.size());
  for (int it = 0; it < max_iterations; ++it) {
    const Eigen::VectorXd x = Project(d_inverse_.cwiseProduct(weighted_y + penalty_ * (z - u)), b);
    const Eigen::VectorXd z_next = (x + u).cwiseMax(0.0);
    u += x - z_next;
    const double moved = (z_next - z).lpNorm<Eigen::Infinity>();
    const double gap = (x - z_next).lpNorm<Eigen::Infinity>();
    z = z_next;
    if (moved <= tolerance && gap <= tolerance) break;
  }
  return z;
}

}  // namespace dpkit::publish
