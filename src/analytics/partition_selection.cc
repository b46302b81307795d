#include "dpkit/analytics/partition_selection.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "analytics/engine/noise.h"
#include "dpkit/accounting/zcdp.h"
#include "dpkit/base/math.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/random/samplers.h"

namespace dpkit::analytics {

const char* PartitionSelectionStrategyName(PartitionSelectionStrategy s) {
  switch (s) {
    case PartitionSelectionStrategy::kTruncatedGeometric:
      return "truncated_geometric";
    case PartitionSelectionStrategy::kLaplaceThreshold:
      return "laplace_threshold";
    case PartitionSelectionStrategy::kGaussianThreshold:
      return "gaussian_threshold";
  }
  return "unknown";
}

absl::StatusOr<PartitionSelector> PartitionSelector::Create(
    const PartitionSelectionOptions& o) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("partition selection epsilon", o.epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("partition selection delta", o.delta, /*allow_zero=*/false));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("max_partitions_contributed", o.max_partitions_contributed, 1));
  if (o.noise == nullptr) return absl::InvalidArgumentError("partition selection needs a NoiseFactory");
  PartitionSelector sel(o);
  const double l0 = static_cast<double>(o.max_partitions_contributed);
  switch (o.strategy) {
    case PartitionSelectionStrategy::kTruncatedGeometric: {
      // Shrink slightly so double rounding in the recursion can only help privacy.
      const double eps = o.epsilon / l0 * (1 - 1e-9);
      const double delta = o.delta / l0 * (1 - 1e-9);
      const double e = std::exp(eps), em = std::exp(-eps);
      double pi = 0;
      sel.pi_.push_back(0.0);
      while (pi < 1.0 && sel.pi_.size() < 100'000'000) {
        double a = e * pi + delta;
        double b = 1 - em * (1 - pi - delta);
        pi = std::min({a, b, 1.0});
        sel.pi_.push_back(pi);
      }
      if (pi < 1.0) {
        return absl::InvalidArgumentError(absl::StrCat(
            "partition selection epsilon/delta too small (epsilon=", FormatDouble(o.epsilon),
            ", delta=", FormatDouble(o.delta), "): groups would need > 10^8 units to appear"));
      }
      break;
    }
    case PartitionSelectionStrategy::kLaplaceThreshold: {
      // The discrete Laplace mechanism on the unit-count vector (L1 sensitivity L0) with scale
      // b >= L0/eps. A partition with a single unit passes n + Z >= T with probability
      // P(Z >= T-1) = e^{-(T-1)/b} / (1 + e^{-1/b}) <= delta / L0.
      DPKIT_ASSIGN_OR_RETURN(sel.noise_, o.noise->DiscreteLaplace(
                                             {.epsilon = o.epsilon,
                                              .l1_sensitivity = o.max_partitions_contributed}));
      const double b = sel.noise_->noise_scale();
      double t_minus_1 = b * std::log(l0 / (o.delta * (1 + std::exp(-1 / b))));
      sel.threshold_ = 1 + std::ceil(std::max(0.0, t_minus_1));
      break;
    }
    case PartitionSelectionStrategy::kGaussianThreshold: {
      // The discrete Gaussian mechanism per partition at rho/L0 zCDP: rho zCDP for the unit-count
      // vector (at most L0 coordinates change by 1; Canonne, Kamath, Steinke 2020, Thm 4), which
      // is (eps, delta/2)-DP by the CKS20 conversion. A partition that only one unit creates
      // passes n + Z >= T, n = 1, with probability P(Z >= T - 1) <= P(N(0, sigma^2) >= T - 2):
      // sum_{x>=m} e^{-x^2/2s^2} <= integral_{m-1}^inf e^{-t^2/2s^2} dt and the normaliser is
      // >= sqrt(2 pi) sigma (Poisson summation). With T = 2 + ceil(sigma z),
      // z = Phi^-1(1 - delta/(2 L0)), each of the <= L0 partitions one unit creates passes with
      // probability <= delta/(2 L0): total delta.
      DPKIT_ASSIGN_OR_RETURN(double rho, accounting::ZcdpRhoForEpsilon(o.epsilon, o.delta / 2));
      mechanisms::DiscreteGaussianOptions g;
      g.rho = rho / l0;
      g.l2_sensitivity = 1;
      DPKIT_ASSIGN_OR_RETURN(sel.noise_, o.noise->DiscreteGaussian(g));
      double z = NormalQuantile(1 - o.delta / (2 * l0));
      sel.threshold_ = 2 + std::ceil(sel.noise_->noise_scale() * z);
      break;
    }
  }
  return sel;
}

bool PartitionSelector::ShouldKeep(int64_t num_units, random::BitGenerator& gen) const {
  if (num_units <= 0) return false;  // an empty partition never reveals itself
  if (!options_.noise->adds_noise()) return KeepProbability(num_units) >= 0.5;
  if (options_.strategy == PartitionSelectionStrategy::kTruncatedGeometric) {
    if (num_units >= static_cast<int64_t>(pi_.size())) return true;
    return random::BernoulliDouble(gen, pi_[static_cast<size_t>(num_units)]);
  }
  return static_cast<double>(noise_->AddNoise(num_units, gen)) >= threshold_;
}

double PartitionSelector::KeepProbability(int64_t n) const {
  if (n <= 0) return 0;
  switch (options_.strategy) {
    case PartitionSelectionStrategy::kTruncatedGeometric:
      return n >= static_cast<int64_t>(pi_.size()) ? 1.0 : pi_[static_cast<size_t>(n)];
    case PartitionSelectionStrategy::kLaplaceThreshold: {
      // P(n + Z >= T) for discrete Laplace Z with scale b.
      double b = noise_->noise_scale(), k = threshold_ - static_cast<double>(n);
      double r = std::exp(-1 / b);
      if (k <= 0) return 1 - std::exp(-(std::fabs(k) + 1) / b) / (1 + r);
      return std::exp(-k / b) / (1 + r);
    }
    case PartitionSelectionStrategy::kGaussianThreshold:
      return 1 - NormalCdf((threshold_ - 0.5 - static_cast<double>(n)) / noise_->noise_scale());
  }
  return 0;
}

int64_t PartitionSelector::MedianThreshold() const {
  int64_t lo = 1, hi = 1;
  while (KeepProbability(hi) < 0.5) hi *= 2;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (KeepProbability(mid) >= 0.5) hi = mid; else lo = mid + 1;
  }
  return lo;
}

PrivacyMap PartitionSelector::privacy_map() const {
  return PrivacyMap::ApproxDp(options_.epsilon, options_.delta,
                              absl::StrCat("partition_selection/",
                                           PartitionSelectionStrategyName(options_.strategy)));
}

std::string PartitionSelector::Describe() const {
  return absl::StrCat(PartitionSelectionStrategyName(options_.strategy),
                      "(epsilon=", FormatDouble(options_.epsilon),
                      ", delta=", FormatDouble(options_.delta),
                      ", max_groups=", options_.max_partitions_contributed,
                      "; a group needs ~", MedianThreshold(), " units to appear with prob 1/2)");
}

}  // namespace dpkit::analytics
