// The sparse vector technique (AboveThreshold and its c-above-threshold generalisation).
//
// PRIVACY CLAIM. For a stream of queries q_1, q_2, ... each with sensitivity Delta (chosen
// adaptively is fine), answering "above / below the threshold T" until `max_above` (= c) "above"
// answers have been given is epsilon-DP (pure) for epsilon = epsilon_threshold + epsilon_queries
// (both reported, each <= requested share). Below-threshold answers cost nothing extra: that is
// the point of SVT. This is Algorithm 1 of Lyu, Su, Li, "Understanding the Sparse Vector
// Technique for Differential Privacy", PVLDB 2017 (Theorem 2), which is also Dwork & Roth 2014
// AboveThreshold (Alg. 1) for c = 1:
//   rho ~ Lap(Delta / eps1), once;  for each query: nu_i ~ Lap(2 c Delta / eps2)
//   (c Delta / eps2 when the queries are monotonic); answer "above" iff q_i + nu_i >= T + rho;
//   stop after c "above" answers.
// Default split (Lyu et al. Sec. 4.2, optimal for the comparison variance):
//   eps1 : eps2 = 1 : (2c)^(2/3)   ( 1 : c^(2/3) when monotonic ).
//
// EXACTNESS. Queries and the (public) threshold are rounded to the grid gamma = 2^(floor(log2
// Delta) - 20); in grid units the sensitivity is D_g = ceil(Delta/gamma) exactly. The noises are
// discrete Laplace on that grid (random::DiscreteLaplaceSampler, exact) with scales
// D_g / eps1 and 2 c D_g / eps2 (rounded up). Lyu et al.'s proof only uses, for the noise
// densities, P[rho = z] <= e^eps1 P[rho = z + D] and the monotonicity of the query-noise CDF
// under integer shifts, both of which hold for the discrete Laplace on the integer lattice, so
// the claim holds exactly. Comparisons are exact integer comparisons (no floating point).
// Queries beyond +-2^120 gamma are clamped (1-Lipschitz).
//
// TIMING. A call's running time depends only on public parameters and on its answer (which is
// released): the noise samplers run in time independent of the noise (samplers.h, up to their
// eta <= 2^-90 per sample), the query value is put on the grid by integer shifts and masks
// (no branch on its magnitude, sign or zero-ness; grid.h), and the noisy comparison and the
// saturation at +-2^126 are branch-free 128-bit comparisons (random/ct.h). The threshold noise
// is drawn on the first call (a public event). Which queries are answered, and when the stream
// stops, is the output itself. Counting time as an output, a session is
// (eps, m eta (1 + e^eps))-DP for m noise samples drawn.
//
// PRIVACY MAP: PrivacyMap::PureDp(epsilon()).
// Thread safety: a SparseVector is a stateful session: thread-compatible (one thread at a time).
#ifndef DPKIT_MECHANISMS_SPARSE_VECTOR_H_
#define DPKIT_MECHANISMS_SPARSE_VECTOR_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/random/samplers.h"

namespace dpkit::mechanisms {

struct SparseVectorOptions {
  double epsilon = 0;      // total epsilon, > 0
  double sensitivity = 0;  // of every query, > 0
  double threshold = 0;    // public threshold T, finite
  int64_t max_above = 1;   // c >= 1: stop after c "above" answers
  bool monotonic = false;  // queries all move in the same direction between neighbours
  // Share of epsilon spent on the threshold noise, in (0, 1); 0 = Lyu et al.'s optimum.
  double threshold_epsilon_fraction = 0;
};

class SparseVector {
 public:
  static absl::StatusOr<SparseVector> Create(const SparseVectorOptions& options);

  // Answers the next query: true = above the threshold. The threshold noise is drawn on the
  // first call. After max_above "above" answers the session is exhausted and further calls
  // return FailedPrecondition. InvalidArgument for NaN/inf query values (the session is not
  // advanced).
  absl::StatusOr<bool> Next(double query_value, random::BitGenerator& gen);
  // Answers queries in order until exhausted; the result may be shorter than `queries`.
  absl::StatusOr<std::vector<bool>> Run(absl::Span<const double> queries,
                                        random::BitGenerator& gen);

  bool exhausted() const { return above_count_ >= options_.max_above; }
  int64_t above_count() const { return above_count_; }
  int64_t answered() const { return answered_; }

  PrivacyMap privacy_map() const;
  double epsilon() const;  // eps1 + eps2 actually used (<= requested)
  double threshold_epsilon() const;
  double query_epsilon() const;
  // Laplace scales (value units) of the threshold noise and of each query's noise.
  double threshold_noise_scale() const;
  double query_noise_scale() const;
  const SparseVectorOptions& options() const { return options_; }

 private:
  SparseVector(SparseVectorOptions options, int exponent, int64_t grid_sensitivity,
               random::DiscreteLaplaceSampler threshold_noise,
               random::DiscreteLaplaceSampler query_noise)
      : options_(options),
        exponent_(exponent),
        grid_sensitivity_(grid_sensitivity),
        threshold_noise_(threshold_noise),
        query_noise_(query_noise) {}
  SparseVectorOptions options_;
  int exponent_;
  int64_t grid_sensitivity_;
  random::DiscreteLaplaceSampler threshold_noise_;
  random::DiscreteLaplaceSampler query_noise_;
  std::optional<__int128> noisy_threshold_;  // grid units, drawn on first use
  int64_t above_count_ = 0;
  int64_t answered_ = 0;
};

}  // namespace dpkit::mechanisms

#endif  // DPKIT_MECHANISMS_SPARSE_VECTOR_H_
