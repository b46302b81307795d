// Internal: the constant-time discrete Laplace and discrete Gaussian kernels behind
// DiscreteLaplaceSampler and DiscreteGaussianSampler (samplers.h explains the timing claim).
//
// Both are the exact rejection samplers of Canonne, Kamath, Steinke (NeurIPS 2020),
// Algorithms 2 and 3, with every step replaced by one of fixed work (timing_safe.h):
//   discrete Laplace, scale t/s: U uniform in [0, t); accept with Bernoulli(exp(-U/t));
//     V geometric with P(V >= k) = e^-k; X = U + t V; Y = floor(X / s); a random sign;
//     reject (negative, 0).
//   discrete Gaussian, sigma^2 = n/d: Y from the discrete Laplace with scale t = floor(sigma)+1;
//     accept with Bernoulli(exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2))). For large t the Laplace
//     step's own test Bernoulli(exp(-U/t)) is folded into this one (the acceptance factors
//     multiply), so an attempt evaluates one exponential, not two.
// Rejected attempts restart; an attempt that is accepted always does the same work.
#ifndef DPKIT_SRC_RANDOM_DISCRETE_KERNELS_H_
#define DPKIT_SRC_RANDOM_DISCRETE_KERNELS_H_

#include <cstdint>
#include <vector>

#include "random/bit_pool.h"
#include "random/timing_safe.h"

namespace dpkit::random::internal {

class LaplaceKernel {
 public:
  // Scale t / s; t in [1, 2^62], s >= 1.
  LaplaceKernel(uint64_t t, uint64_t s);
  // One attempt: false if rejected, else the sample in *out.
  bool Attempt(BitPool& pool, int64_t* out) const;
  int64_t Sample(BitPool& pool) const;

  // The proposal of one attempt without the exp(-U/t) test: U uniform in [0, t), V, a sign;
  // returns false if rejected ("-0"), else Y = sign floor((U + t V) / s) and U.
  bool Propose(BitPool& pool, int64_t* y, uint64_t* u) const;
  // Whether exp(-U/t) is read from a table (t <= kMaxTabulated).
  bool tabulated() const { return !exp_table_.empty(); }

 private:
  // floor-ish e^-(u/t) 2^128 (error <= kExpNegFixedErrorUlps + 2) for u < t, when t is at
  // most kMaxTabulated: read by a full scan instead of being computed per attempt.
  static constexpr uint64_t kMaxTabulated = 64;
  uint128 ExpNegUOverT(uint64_t u) const;
  bool Finish(BitPool& pool, uint64_t u, int64_t* out) const;

  uint64_t t_;
  UniformBelow uniform_;
  FractionOf fraction_;
  Divider divide_;
  std::vector<uint128> exp_table_;
};

class GaussianKernel {
 public:
  // sigma^2 = n / d, proposal scale t (an integer > sigma); 2 n d t^2 must be < 2^127.
  GaussianKernel(uint64_t n, uint64_t d, uint64_t t);
  int64_t Sample(BitPool& pool) const;

 private:
  LaplaceKernel laplace_;
  uint64_t n_;
  uint128 dt_;
  uint128 two_n_dt_;     // 2 n d t: U / t = U 2 n d t / denominator_
  uint128 denominator_;  // 2 n d t^2
  uint64_t max_abs_y_;   // |Y| d t < 2^64 keeps the squared numerator in 128 bits
  QuotientOf quotient_;
};

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_DISCRETE_KERNELS_H_
