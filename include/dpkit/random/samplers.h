// Exact samplers: no floating-point shortcuts, no modulo bias.
//
// Every sampler here draws exactly from its stated distribution using only integer arithmetic
// on uniformly random bits. Bernoulli(exp(-x)) follows Canonne, Kamath, Steinke, "The Discrete
// Gaussian for Differential Privacy" (NeurIPS 2020, arXiv:2004.00010), Algorithm 1; the discrete
// Laplace and discrete Gaussian samplers draw the same distributions as its Algorithms 2 and 3
// (two-sided geometric; P(k) proportional to exp(-k^2 / 2 sigma^2)) by other exact methods:
//  - small scales (Gaussian sigma up to ~16, Laplace scale up to ~130): inversion of one
//    uniform against a cumulative distribution table (CDT) of |Y| (the Laplace beyond scale
//    ~2.7 as |Y| = A + m H, two tables), random sign -- src/random/cdt_kernels.h;
//  - larger scales: rejection from a table proposal over 120 buckets of |Y|, one fixed-point
//    exponential per attempt -- src/random/bucket_kernel.h.
// Tables hold floor(g 2^128) of the exact probabilities g, computed once per sampler by
// interval arithmetic; a draw whose bits cannot be told from an entry (or from the fixed-point
// exponential) is finished exactly with more random bits, and the tails beyond the tables
// (probability < 2^-100) are drawn exactly. So the output law is the exact one: the statistical
// distance is 0, not a bound. Real-valued parameters (a Laplace scale, a Gaussian sigma) are
// first converted to an exact rational that is >= the requested value ("rounded towards more
// noise"); the value actually used is reported by the sampler so privacy maps are computed from
// it. One caveat: |Y| >= 2^63 is clamped to 2^63 - 1 (probability < exp(-2^13) at the largest
// scale).
//
// Running time (DiscreteLaplaceSampler::Sample, DiscreteGaussianSampler::Sample, both
// overloads): independent of the value returned, except on an event of probability
// eta <= 2^-90 per sample. How (docs/samplers.md has the full argument):
//  - A table lookup compares 120 random bits with EVERY entry of the table (SIMD or masked
//    scalar compares, no early exit, no secret-dependent address); the count of entries above
//    the bits is the value. Sign and the A + m H recombination are branch-free.
//  - The bucket kernel is a rejection sampler: the number of rejected attempts is independent
//    of the value finally accepted, and every attempt does the same work (one table scan, one
//    uniform below the public bucket width by Lemire's method with a precomputed threshold, one
//    Bernoulli(exp(-x)) for the secret x as a branch-free 128-bit fixed-point exponential,
//    division by public constants through precomputed reciprocals).
//  - eta: the random bits tie with a table entry (2^-120 per entry, <= 192 entries), a 96-bit
//    comparison falls within the fixed-point error (< 2^-95 per comparison), or the tail beyond
//    a table is reached (< 2^-100); then the sample finishes exactly in variable time.
//  - For privacy: a release of n samples whose values are eps-DP is, counting the running time
//    as part of the output, (eps, n eta (1 + e^eps))-DP.
//  - The claim covers the sampler's arithmetic on x86-64/AArch64 (constant-time integer
//    multiply; no data-dependent instruction timing on the paths used); it is tested in
//    samplers_timing_test.cc (statistical tier: cycle counts of small and large outputs).
//    Tables are built on first use (~0.1 ms, a function of the public scale only) and shared
//    by all samplers of the same scale or sigma in the process.
// The other functions here (Uniform*, Bernoulli*) take variable time: UniformUint64 and
// BernoulliExp depend on their arguments; use BernoulliExpFixedWork where the exponent is secret.
//
// Thread safety: all functions and sampler objects are thread-safe given a thread-safe
// BitGenerator (SecureRng is); sampler objects are immutable after Create.
#ifndef DPKIT_RANDOM_SAMPLERS_H_
#define DPKIT_RANDOM_SAMPLERS_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::random {

using uint128 = unsigned __int128;

namespace internal {
class IntegerSampler;
}  // namespace internal

// Uniform integer in [0, n), n >= 1 (n == 0 is treated as 2^64). Lemire's multiply-and-reject
// (ACM TOMACS 2019): exactly uniform, no modulo bias.
uint64_t UniformUint64(BitGenerator& gen, uint64_t n);
// Uniform integer in [0, n), n >= 1, by masked rejection (< 2 expected draws of 128 bits).
uint128 UniformUint128(BitGenerator& gen, uint128 n);
// Uniform integer in [lo, hi] (inclusive), lo <= hi.
int64_t UniformInt(BitGenerator& gen, int64_t lo, int64_t hi);
// Uniform double in [0, 1) with 53 random bits. NOT for noise: for shuffles, synthetic-data
// sampling from a released model, and other post-processing only.
double UniformDouble01(BitGenerator& gen);

// Bernoulli(num/den), den >= 1; num >= den returns true.
bool BernoulliRational(BitGenerator& gen, uint128 num, uint128 den);
// Exact Bernoulli(p) for any double p in [0, 1] (a double is a dyadic rational m / 2^k; random
// bits are compared lazily with the binary expansion of p, one 64-bit word at a time).
// p outside [0,1] or NaN is clamped: p <= 0 (or NaN) -> false, p >= 1 -> true.
bool BernoulliDouble(BitGenerator& gen, double p);
// Exact Bernoulli(exp(-num/den)), den >= 1 (CKS20 Algorithm 1, with the integer part handled
// by repeated Bernoulli(exp(-1))). Running time is random and depends on num/den.
bool BernoulliExp(BitGenerator& gen, uint128 num, uint128 den);
// As BernoulliExp, but in time independent of `num` (a secret; `den` < 2^127 is public): x =
// num/den is computed in 128-bit fixed point by multiplication with a reciprocal of den, e^-x by
// the branch-free fixed-point exponential, and 96 random bits are compared with it; only when
// they fall within its error (probability < 2^-95) is the comparison finished exactly with more
// bits, in variable time. Exponents above max_integer_part + 1 are clamped to it (which only
// makes acceptance more likely than exp(-num/den); callers pass a bound that holds). Costs
// about one exponential (~20 ns) plus a reciprocal of den (~0.5 us) per call.
bool BernoulliExpFixedWork(BitGenerator& gen, uint128 num, uint128 den, uint32_t max_integer_part);

// An exact non-negative rational num/den.
struct Rational {
  uint64_t num = 0;
  uint64_t den = 1;
  double ToDouble() const { return static_cast<double>(num) / static_cast<double>(den); }
};

// The smallest rational num / 2^k >= x with num < 2^(precision_bits+1), k in [0, 62].
// Fails (InvalidArgument naming `name`) if x is not finite and > 0 or is out of range.
absl::StatusOr<Rational> RationalAtLeast(double x, int precision_bits, const char* name);

// Discrete Laplace (two-sided geometric): P(k) proportional to exp(-|k| / scale), k in Z, in
// time independent of k (see "Running time"). `scale` must be in [2^-23, 2^50]; it is rounded
// up to a rational with 40 significant bits.
class DiscreteLaplaceSampler {
 public:
  static absl::StatusOr<DiscreteLaplaceSampler> Create(double scale);
  // Exact rational scale num/den (num, den >= 1).
  static absl::StatusOr<DiscreteLaplaceSampler> CreateRational(uint64_t num, uint64_t den);

  int64_t Sample(BitGenerator& gen) const;
  // n independent samples into out[0..n): the same distribution and timing guarantee per
  // sample, with random words fetched in bulk (faster than n calls of Sample).
  void Sample(BitGenerator& gen, int64_t* out, size_t n) const;
  // The scale actually used (>= the requested one).
  double scale() const { return scale_.ToDouble(); }
  Rational scale_rational() const { return scale_; }

 private:
  explicit DiscreteLaplaceSampler(Rational scale);
  Rational scale_;
  std::shared_ptr<const internal::IntegerSampler> kernel_;  // immutable, shared by copies
};

// Discrete Gaussian: P(k) proportional to exp(-k^2 / (2 sigma^2)), k in Z, in time independent
// of k (see "Running time"). sigma must be in [2^-10, 2^24]; sigma^2 is rounded up to a
// rational with 40 significant bits.
class DiscreteGaussianSampler {
 public:
  static absl::StatusOr<DiscreteGaussianSampler> Create(double sigma);

  int64_t Sample(BitGenerator& gen) const;
  // n independent samples into out[0..n) (see DiscreteLaplaceSampler::Sample).
  void Sample(BitGenerator& gen, int64_t* out, size_t n) const;
  // The sigma actually used (>= the requested one): sqrt(sigma_squared()).
  double sigma() const;
  Rational sigma_squared_rational() const { return sigma2_; }

 private:
  explicit DiscreteGaussianSampler(Rational sigma2);
  Rational sigma2_;  // sigma^2 = num / den
  std::shared_ptr<const internal::IntegerSampler> kernel_;  // immutable, shared by copies
};

}  // namespace dpkit::random

#endif  // DPKIT_RANDOM_SAMPLERS_H_
