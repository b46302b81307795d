// NoiseFactory: the single noise layer every workload draws from.
//
// Workloads (analytics, synth, train, publish, pipeline) never call the samplers in
// dpkit/random directly and never compute a noise scale of their own: they ask a NoiseFactory
// for a mechanism built through the mechanism's own Create() (which validates the options,
// calibrates the noise and reports the PrivacyMap), then release through it. So every noisy
// number dpkit releases comes from a mechanism of this module, with that mechanism's privacy
// claim (laplace.h, gaussian.h, selection.h), and every PrivacyMap a workload charges is the one
// the mechanism reports.
//
// Two factories exist:
//   SecureNoise()        production: the mechanisms as documented in their headers.
//   testing::ZeroNoise() tests only: the SAME mechanisms (same validation, calibration, privacy
//                        maps, noise scales and intervals) that add no noise — AddNoise returns
//                        the input unchanged and selection returns the best score (lowest
//                        index on ties). It lets tests check the exact
//                        pre-noise values of a whole workflow and replaces every per-workload
//                        `zero_noise` flag. Nothing private may ever be built on it.
//
// Thread safety: factories and the mechanisms they return are immutable and thread-safe given a
// thread-safe generator.
#ifndef DPKIT_MECHANISMS_NOISE_FACTORY_H_
#define DPKIT_MECHANISMS_NOISE_FACTORY_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/gaussian.h"
#include "dpkit/mechanisms/interval.h"
#include "dpkit/mechanisms/laplace.h"
#include "dpkit/mechanisms/lazy_exponential.h"
#include "dpkit/mechanisms/selection.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::mechanisms {

// Additive noise on integers: counts, histogram cells, fixed-point sums (discrete Laplace or
// discrete Gaussian mechanism).
class IntegerNoise {
 public:
  virtual ~IntegerNoise() = default;
  // value + noise, saturating at the int64 range.
  virtual int64_t AddNoise(int64_t value, random::BitGenerator& gen) const = 0;
  // Adds independent noise to every element in place.
  virtual void AddNoise(absl::Span<int64_t> values, random::BitGenerator& gen) const = 0;
  // Exact interval around a released value (see the mechanism's header).
  virtual absl::StatusOr<Interval> ConfidenceInterval(int64_t noisy_value, double level) const = 0;
  virtual PrivacyMap privacy_map() const = 0;
  // Laplace scale t or Gaussian sigma actually used, and the noise's standard deviation.
  virtual double noise_scale() const = 0;
  virtual double noise_stddev() const = 0;
};

// Additive noise on real values, exactly on a power-of-two grid (Laplace or Gaussian mechanism).
class RealNoise {
 public:
  virtual ~RealNoise() = default;
  // InvalidArgument for NaN or infinite values (naming no value).
  virtual absl::StatusOr<double> AddNoise(double value, random::BitGenerator& gen) const = 0;
  virtual absl::StatusOr<Interval> ConfidenceInterval(double noisy_value, double level) const = 0;
  virtual PrivacyMap privacy_map() const = 0;
  virtual double noise_scale() const = 0;  // Laplace b or Gaussian sigma, value units
  virtual double noise_stddev() const = 0;
  virtual double granularity() const = 0;  // output grid spacing
};

// Private selection of one candidate by score (exponential mechanism, permute-and-flip,
// report-noisy-max).
class Selector {
 public:
  virtual ~Selector() = default;
  virtual absl::StatusOr<size_t> Select(absl::Span<const double> scores,
                                        random::BitGenerator& gen) const = 0;
  virtual PrivacyMap privacy_map() const = 0;
  virtual double epsilon() const = 0;  // actually achieved (<= requested)
};

class NoiseFactory;
const NoiseFactory& SecureNoise();
namespace testing {
const NoiseFactory& ZeroNoise();
}  // namespace testing

// Builds mechanisms through their Create(); obtained only from SecureNoise() or
// testing::ZeroNoise().
class NoiseFactory {
 public:
  absl::StatusOr<std::unique_ptr<IntegerNoise>> DiscreteLaplace(
      const DiscreteLaplaceOptions& options) const;
  absl::StatusOr<std::unique_ptr<IntegerNoise>> DiscreteGaussian(
      const DiscreteGaussianOptions& options) const;
  absl::StatusOr<std::unique_ptr<RealNoise>> Laplace(const LaplaceOptions& options) const;
  absl::StatusOr<std::unique_ptr<RealNoise>> Gaussian(const GaussianOptions& options) const;
  absl::StatusOr<std::unique_ptr<Selector>> Selection(const SelectionOptions& options) const;
  absl::StatusOr<LazyExponentialMechanism> LazyExponential(
      const LazyExponentialOptions& options) const;

  // False only for testing::ZeroNoise().
  bool adds_noise() const { return adds_noise_; }

 private:
  friend const NoiseFactory& SecureNoise();
  friend const NoiseFactory& testing::ZeroNoise();
  explicit NoiseFactory(bool adds_noise) : adds_noise_(adds_noise) {}
  bool adds_noise_;
};

}  // namespace dpkit::mechanisms

#endif  // DPKIT_MECHANISMS_NOISE_FACTORY_H_
