// The Gaussian mechanism on a real vector with L2 sensitivity, sampled exactly on a power-of-two
// grid: the noise of DP-SGD (the sum of clipped per-example gradients), or of any vector sum.
//
// A release of a vector S in R^d whose L2 sensitivity is C is
//
//   release = gamma * ( round(S / gamma) + Z ),   Z_k ~ N_Z(0, sigma_g^2) i.i.d.,
//
// with gamma a power of two (so S / gamma is exact in floating point), N_Z the discrete
// Gaussian sampled exactly by random::DiscreteGaussianSampler (Canonne, Kamath, Steinke 2020,
// "The Discrete Gaussian for Differential Privacy", NeurIPS, Algorithm 3) and no floating-point
// noise shortcut (../shared/DESIGN.md: noise exactly on a grid).
//
// PRIVACY CLAIM. Rounding moves each coordinate by <= gamma/2, so the rounded vectors of
// neighbouring inputs differ by an integer vector (in grid units) of L2 norm at most
// Delta_g = C / gamma + sqrt(d). For integer shifts the discrete Gaussian's Renyi divergence of
// every order is at most the continuous Gaussian's (CKS20, Prop. 5 and Thm. 15, independent
// coordinates), so one release is at least as private as the Gaussian mechanism with
//
//   effective_noise_multiplier = sigma_g / Delta_g   (>= the requested one; rounded down),
//
// reported by privacy_map() as kDiscreteGaussian. For Poisson-subsampled releases (DP-SGD) the
// subsampled RDP of a step is a non-negative combination of those divergences (Mironov, Talwar,
// Zhang 2019, "Renyi Differential Privacy of the Sampled Gaussian Mechanism", Sec. 3.3), so
// SubsampledPrivacyMap(q, k) — the subsampled Gaussian at effective_noise_multiplier, k times —
// bounds k such releases (the remove direction; for add, as every DP-SGD library does, we rely
// on the same subsampled-Gaussian analysis; see docs/train.md). Neighbouring relation: whatever
// the caller's sensitivity C is stated for (DP-SGD: add/remove one example).
//
// THE GRID. gamma is the largest power of two <= max_sensitivity_inflation * C / sqrt(d), so
// Delta_g * gamma <= C (1 + max_sensitivity_inflation), and sigma_g = noise_multiplier *
// Delta_g keeps the requested multiplier: at most 0.1% more noise by default. If sigma_g would
// exceed the sampler's range (2^23) the grid is coarsened and the inflation grows (reported by
// sensitivity_inflation(); an error above 50%).
//
// USE. SampleNoise draws Z (data-independent: it may run ahead, e.g. on a prefetch thread);
// AddNoise applies one draw to the vector, which may be passed in parts (e.g. one per parameter
// tensor) as long as every coordinate of one release gets its own coordinate of one draw.
//
// ZERO NOISE. A mechanism obtained from VectorGaussian(testing::ZeroNoise(), ...) has the same
// grid, calibration and privacy maps, draws zeros and leaves the values unchanged (tests only).
//
// Thread safety: immutable after creation; SampleNoise is thread-safe with a thread-safe
// generator.
#ifndef DPKIT_MECHANISMS_VECTOR_GAUSSIAN_H_
#define DPKIT_MECHANISMS_VECTOR_GAUSSIAN_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/random/samplers.h"

namespace dpkit::mechanisms {

struct VectorGaussianOptions {
  double noise_multiplier = 1.0;            // requested sigma / C, > 0
  double l2_sensitivity = 1.0;              // C, > 0, value units
  int64_t dimension = 1;                    // d, >= 1
  double max_sensitivity_inflation = 1e-3;  // gamma sqrt(d) / C, in (0, 0.5)
};

class VectorGaussianMechanism {
 public:
  // Draws the integer noise Z of one release into z (z.size() == dimension()), or a part of it
  // (any subspan: coordinates are i.i.d.), through the sampler's batch path.
  void SampleNoise(random::BitGenerator& gen, absl::Span<int64_t> z) const;
  // values[i] <- gamma (round(values[i] / gamma) + z[i]) for every i (z.size() == values.size()).
  // Non-finite values are a caller bug: they are released as 0 + noise.
  absl::Status AddNoise(absl::Span<float> values, absl::Span<const int64_t> z) const;
  absl::Status AddNoise(absl::Span<double> values, absl::Span<const int64_t> z) const;

  // One release (kDiscreteGaussian at the effective noise multiplier).
  PrivacyMap privacy_map() const;
  // `releases` releases, each on a Poisson subsample at `sampling_rate` (kSubsampledGaussian).
  PrivacyMap SubsampledPrivacyMap(double sampling_rate, int64_t releases,
                                  std::string mechanism = "dp-sgd") const;

  double effective_noise_multiplier() const { return effective_noise_multiplier_; }
  double granularity() const { return gamma_; }              // gamma, value units
  double noise_scale() const { return sigma_g_ * gamma_; }   // sigma actually used, value units
  double grid_sigma() const { return sigma_g_; }             // sigma_g, grid units
  double sensitivity_inflation() const { return inflation_; }
  int64_t dimension() const { return dimension_; }
  double l2_sensitivity() const { return l2_sensitivity_; }
  bool adds_noise() const { return adds_noise_; }

 private:
  friend absl::StatusOr<VectorGaussianMechanism> VectorGaussian(const NoiseFactory&,
                                                                const VectorGaussianOptions&);
  explicit VectorGaussianMechanism(random::DiscreteGaussianSampler sampler) : sampler_(sampler) {}
  template <typename T>
  absl::Status Apply(absl::Span<T> values, absl::Span<const int64_t> z) const;

  random::DiscreteGaussianSampler sampler_;
  bool adds_noise_ = true;
  int exponent_ = 0;  // gamma = 2^exponent_
  double gamma_ = 0;
  double sigma_g_ = 0;
  double effective_noise_multiplier_ = 0;
  double inflation_ = 0;
  double l2_sensitivity_ = 0;
  int64_t dimension_ = 0;
};

// The mechanism through the noise layer: SecureNoise() for releases, testing::ZeroNoise() in
// tests. Validates every option (errors name the option and the bad value).
absl::StatusOr<VectorGaussianMechanism> VectorGaussian(const NoiseFactory& factory,
                                                       const VectorGaussianOptions& options);

}  // namespace dpkit::mechanisms

#endif  // DPKIT_MECHANISMS_VECTOR_GAUSSIAN_H_
