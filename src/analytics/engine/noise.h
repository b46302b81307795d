// Internal: the noise of one family of analytics statistics, built through the single noise
// layer (dpkit/mechanisms/noise_factory.h).
//
// Every statistic analytics releases is an exact integer — a count, or a sum in fixed-point
// units (see state.h), optionally right-shifted so the noise scale fits the samplers' range.
// A family is the statistic of every group (or every node of a quantile tree) released under
// one budget share; one privacy unit changes at most `blocks` of its blocks (L0 groups, or
// L0 groups x tree levels), each by at most `sensitivity` (an integer) in L1 and L2 norm.
//   Laplace:  the discrete Laplace mechanism (mechanisms/laplace.h) with L1 sensitivity
//             blocks * sensitivity at the family's epsilon; its PrivacyMap is charged as is.
//   Gaussian: the discrete Gaussian mechanism (mechanisms/gaussian.h) per block, calibrated to
//             rho / blocks zCDP; its PrivacyMap is charged with `blocks` repetitions (zCDP of
//             independent blocks adds: Bun & Steinke 2016 Lemma 2.3; CKS20 Thm 4). rho is the
//             largest zCDP whose conversion to (epsilon, delta) — the CKS20 conversion the
//             ledger's accountants apply to discrete Gaussian maps (accounting/zcdp.h) — is at
//             most the family's (epsilon, delta), shrunk by a relative 1e-9 so that rounding in
//             the mechanism's sigma and map never takes the charge above the share.
// The noise itself comes from a NoiseFactory: SecureNoise() in production, ZeroNoise() in tests
// (same calibration, same maps, no noise).
#ifndef DPKIT_SRC_ANALYTICS_ENGINE_NOISE_H_
#define DPKIT_SRC_ANALYTICS_ENGINE_NOISE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "dpkit/analytics/query.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::analytics::engine {

struct NoiseSpec {
  NoiseKind kind = NoiseKind::kLaplace;
  double epsilon = 0;       // the family's share
  double delta = 0;         // the family's share (Gaussian only)
  int64_t sensitivity = 1;  // per block, >= 1
  int64_t blocks = 1;       // blocks one unit can change, >= 1
};

class StatisticNoise {
 public:
  static absl::StatusOr<StatisticNoise> Create(const mechanisms::NoiseFactory& factory,
                                               const NoiseSpec& spec);

  int64_t Add(int64_t value, random::BitGenerator& gen) const { return noise_->AddNoise(value, gen); }
  void Add(absl::Span<int64_t> values, random::BitGenerator& gen) const {
    noise_->AddNoise(values, gen);
  }
  // Discrete Laplace scale t or discrete Gaussian sigma, in integer units.
  double scale() const { return noise_->noise_scale(); }
  double stddev() const { return noise_->noise_stddev(); }
  // Smallest integer h with P(|noise| > h) <= alpha (the mechanism's exact interval).
  double HalfWidth(double alpha) const;
  // h with P(|sum of k independent noises| > h) <= alpha.
  double SumHalfWidth(int k, double alpha) const;
  // What the family costs: the mechanism's map (with `blocks` repetitions for Gaussian).
  PrivacyMap privacy_map() const;
  const char* mechanism() const;

 private:
  StatisticNoise(NoiseKind kind, int64_t repetitions,
                 std::shared_ptr<const mechanisms::IntegerNoise> noise)
      : kind_(kind), repetitions_(repetitions), noise_(std::move(noise)),
        half_widths_(std::make_shared<HalfWidthCache>()) {}
  double ComputeSumHalfWidth(int k, double alpha) const;

  struct HalfWidthCache {
    std::mutex mu;
    std::map<double, double> by_alpha;
  };
  NoiseKind kind_;
  int64_t repetitions_;
  std::shared_ptr<const mechanisms::IntegerNoise> noise_;
  std::shared_ptr<HalfWidthCache> half_widths_;
};

// Noise (scale or sigma) per unit of block sensitivity for a family: what StatisticNoise
// calibrates to before the samplers round it up. Used to choose fixed-point shifts.
absl::StatusOr<double> NoisePerSensitivity(NoiseKind kind, double epsilon, double delta,
                                           int64_t blocks);

}  // namespace dpkit::analytics::engine

#endif  // DPKIT_SRC_ANALYTICS_ENGINE_NOISE_H_
