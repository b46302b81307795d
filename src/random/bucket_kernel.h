// Internal: the kernel of the discrete Laplace and discrete Gaussian samplers at scales too
// large for one or two tables (cdt_kernels.h): a table proposal over buckets and one
// fixed-point exponential per attempt.
//
// It draws x >= 0 with P(x) proportional to w(x) = e^-((a x^2 + c x) / den) -- the discrete
// Gaussian's |Y| for sigma^2 = n/d is a = d, c = 0, den = 2n; the discrete Laplace's for scale
// t/s is a = 0, c = s, den = t -- by rejection:
//   1. a bucket J in [0, N] from a SurvivalTable (constant-time scan, survival_table.h) with
//      weights b w(jb) for j < N -- w's maximum over [jb, (j+1)b) times the width b -- and, for
//      J = N, w(Nb) / (1 - r) with r = e^-((2 a N b + c) / den), the mass of a geometric
//      envelope of the tail (w(Nb + g) = w(Nb) r^g e^-(a g^2 / den));
//   2. for J < N: x = Jb + R with R uniform in [0, b) (Lemire, threshold fixed by b), accepted
//      with w(x) / w(Jb) = e^-(R (a (2 J b + R) + c) / den): the numerator by integer
//      multiplications, the quotient by a reciprocal of den, e^-x in 128-bit fixed point and
//      96 random bits (timing_safe.h);
//      for J = N (probability < 2^-100): x = N b + G, G geometric with ratio r, accepted with
//      e^-(a G^2 / den), exactly, in variable time;
//   3. a random sign; (negative, 0) is rejected so that 0 gets its one share.
// An accepted x has probability w(x) / (sum of the weights), so the sample is exact. When a = 0
// (Laplace) the acceptance of R does not involve J, so only R is redrawn on rejection. N = 120
// buckets reach where the survival function is 2^-100 (11.8 sigma, 69.3 scale); about 1.05
// attempts per Gaussian sample, 1.35 draws of R per Laplace sample.
// Timing: every attempt with J < N does the same work, and whether an attempt is rejected is
// independent of the value finally returned; only J = N, a tie in the table (2^-120 per
// entry) and a 96-bit comparison within the fixed-point error (< 2^-95) take variable time:
// eta < 2^-94 per attempt.
#ifndef DPKIT_SRC_RANDOM_BUCKET_KERNEL_H_
#define DPKIT_SRC_RANDOM_BUCKET_KERNEL_H_

#include <cstdint>

#include "random/bit_pool.h"
#include "random/cdt_kernels.h"
#include "random/integer_sampler.h"
#include "random/survival_table.h"
#include "random/timing_safe.h"

namespace dpkit::random::internal {

// w(x) = e^-((a x^2 + c x) / den); `reach` is where P(X >= reach) is about 2^-100.
struct BucketLaw {
  uint64_t a = 0, c = 0;
  uint128 den = 1;
  double reach = 1;
};
BucketLaw DiscreteGaussianLaw(uint64_t n, uint64_t d);  // sigma^2 = n / d
BucketLaw DiscreteLaplaceLaw(uint64_t t, uint64_t s);   // scale t / s

class BucketKernel : public IntegerSampler {
 public:
  explicit BucketKernel(const BucketLaw& law);
  int64_t Sample(BitPool& pool) const override;
  int words_per_sample() const override { return 4; }
  // The table of P(J >= j), j in [1, N] (built on first use).
  const SurvivalTable& table() const;
  uint64_t bucket_width() const { return b_; }

 private:
  BucketLaw law_;
  uint64_t b_;  // bucket width
  UniformBelow offset_;
  QuotientOf quotient_;  // of den
  BuiltOnce<SurvivalTable> table_;
};

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_BUCKET_KERNEL_H_
