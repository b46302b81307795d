// GridGaussianNoise: the Gaussian noise of DP-SGD, sampled exactly on a grid.
//
// DP-SGD adds N(0, sigma^2 I) with sigma = noise_multiplier * C to the sum of clipped
// per-example gradients (Abadi et al. 2016). dpkit never draws that noise with floating-point
// shortcuts or torch's RNG. Instead (the "scaled discrete Gaussian", DESIGN.md: noise exactly
// on a grid):
//
//   release = gamma * ( round(S / gamma) + Z ),   Z_k ~ N_Z(0, (sigma / gamma)^2) i.i.d.,
//
// where S is the clipped gradient sum, gamma the grid granularity and N_Z the discrete
// Gaussian, sampled exactly with dpkit::random::DiscreteGaussianSampler (Canonne, Kamath,
// Steinke 2020, Alg. 3) from the secure generator.
//
// Privacy: rounding S to the grid moves each coordinate by <= gamma/2, so the rounded sums of
// neighbouring batches differ by at most Delta' = C + gamma * sqrt(d) in L2 (d = #parameters),
// and the difference is a vector of integers times gamma. For integer shifts the discrete
// Gaussian's Renyi divergence of every order is at most the continuous Gaussian's
// (CKS20, Prop. 5 and Thm. 15 for independent coordinates), so each step is at least as private
// as the continuous Gaussian mechanism with noise multiplier
//
//   effective_noise_multiplier = sigma_actual / Delta'   (>= the requested one),
//
// where sigma_actual is the sampler's sigma (rounded up to an exact rational) times gamma. The
// Poisson-subsampled RDP of a step is a non-negative combination of those divergences
// (Mironov, Talwar, Zhang 2019, Sec. 3.3, the binomial expansion of A_alpha), so the RDP
// accountant's subsampled-Gaussian curve at effective_noise_multiplier bounds it. (That
// expansion is the remove direction; for the add direction we rely, as every DP-SGD library
// does, on the subsampled-Gaussian analysis; see docs/train.md.)
//
// The grid: gamma = max_sensitivity_inflation * C / sqrt(d), so Delta' <= C (1 + 1e-3) by
// default, and sigma is raised by the same factor to keep the requested noise multiplier: 0.1%
// more noise, nothing else changes. If sigma/gamma would exceed the sampler's range (2^23) the
// grid is coarsened and the inflation grows accordingly (reported; an error above 50%).
//
// Thread safety: immutable after Create; Sample() is thread-safe with a thread-safe generator.
#ifndef DPKIT_TRAIN_NOISE_H_
#define DPKIT_TRAIN_NOISE_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/random/samplers.h"

namespace dpkit::train {

struct GridGaussianNoiseOptions {
  double noise_multiplier = 1.0;  // requested sigma / C, > 0
  double sensitivity = 1.0;       // C: L2 sensitivity of the sum before rounding, > 0
  int64_t dimension = 1;          // d: number of coordinates, >= 1
  double max_sensitivity_inflation = 1e-3;  // gamma * sqrt(d) / C, in (0, 0.5)
};

class GridGaussianNoise {
 public:
  static absl::StatusOr<GridGaussianNoise> Create(const GridGaussianNoiseOptions& options);

  // Draws n integer noise values Z ~ N_Z(0, (sigma/gamma)^2) into out[0..n).
  void Sample(random::BitGenerator& gen, int64_t* out, int64_t n) const;
  // In place, for every element s of the float/double tensors in order:
  // s <- gamma * (round(s / gamma) + z[k]), k running over all elements (must total dimension()).
  // Non-finite sums are a caller bug (the clipper never produces them): they become 0 + noise.
  absl::Status Apply(const std::vector<torch::Tensor>& sums, const int64_t* z) const;

  double granularity() const { return gamma_; }
  double sigma() const { return sigma_; }  // actual standard deviation (>= requested)
  double grid_sigma() const { return sampler_.sigma(); }
  double effective_sensitivity() const { return effective_sensitivity_; }
  double sensitivity_inflation() const { return inflation_; }
  double effective_noise_multiplier() const { return sigma_ / effective_sensitivity_; }
  int64_t dimension() const { return dimension_; }

 private:
  GridGaussianNoise(random::DiscreteGaussianSampler sampler) : sampler_(sampler) {}
  random::DiscreteGaussianSampler sampler_;
  double gamma_ = 0;
  double sigma_ = 0;
  double effective_sensitivity_ = 0;
  double inflation_ = 0;
  int64_t dimension_ = 0;
};

}  // namespace dpkit::train

#endif  // DPKIT_TRAIN_NOISE_H_
