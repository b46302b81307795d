#include "dpkit/mechanisms/randomized_response.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/math.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "mechanisms/grid.h"
#include "mechanisms/noise_core.h"

namespace dpkit::mechanisms {

absl::StatusOr<RandomizedResponse> RandomizedResponse::Create(
    const RandomizedResponseOptions& options) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", options.epsilon));
  if (options.categories < 2 || options.categories > (int64_t{1} << 40)) {
    return absl::InvalidArgumentError(
        absl::StrCat("categories must be in [2, 2^40], got ", options.categories));
  }
  DPKIT_ASSIGN_OR_RETURN(random::Rational eps,
                         internal::RationalAtMost(options.epsilon, "epsilon"));
  return RandomizedResponse(options, eps);
}

absl::StatusOr<int64_t> RandomizedResponse::Randomize(int64_t value,
                                                      random::BitGenerator& gen) const {
  const int64_t k = options_.categories;
  if (value < 0 || value >= k) {
    return absl::InvalidArgumentError(
        absl::StrCat("value must be a category in [0, ", k, "), got ", value));
  }
  while (true) {
    const uint64_t j = random::UniformUint64(gen, static_cast<uint64_t>(k));
    // j == 0: propose the true value (always accepted); j >= 1: propose the j-th other value,
    // accepted with probability exp(-eps). The accept/reject decision never looks at `value`.
    const bool keep = j == 0;
    const bool accept = keep || random::BernoulliExp(gen, eps_.num, eps_.den);
    if (!accept) continue;
    const int64_t other = static_cast<int64_t>(j) - 1;
    const int64_t other_value = other < value ? other : other + 1;
    return keep ? value : other_value;
  }
}

bool RandomizedResponse::RandomizeBit(bool value, random::BitGenerator& gen) const {
  auto r = Randomize(value ? 1 : 0, gen);
  return r.ok() && *r == 1;
}

double RandomizedResponse::epsilon() const {
  return internal::ToDoubleUp(static_cast<long double>(eps_.num) / eps_.den);  // exact
}

double RandomizedResponse::keep_probability() const {
  // 1 / (1 + (k - 1) e^-eps)
  const long double e = std::exp(-static_cast<long double>(eps_.num) / eps_.den);
  return static_cast<double>(1 / (1 + (options_.categories - 1) * e));
}

double RandomizedResponse::other_probability() const {
  const long double e = std::exp(-static_cast<long double>(eps_.num) / eps_.den);
  return static_cast<double>(e / (1 + (options_.categories - 1) * e));
}

absl::StatusOr<std::vector<FrequencyEstimate>> RandomizedResponse::EstimateFrequencies(
    absl::Span<const int64_t> observed_counts, double level) const {
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("confidence level", level));
  if (static_cast<int64_t>(observed_counts.size()) != options_.categories) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected ", options_.categories, " observed counts, got ", observed_counts.size()));
  }
  int64_t n = 0;
  for (size_t i = 0; i < observed_counts.size(); ++i) {
    if (observed_counts[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("observed count ", i, " must be >= 0, got ", observed_counts[i]));
    }
    n += observed_counts[i];
  }
  if (n == 0) return absl::InvalidArgumentError("no reports: observed counts sum to 0");
  const double p = keep_probability(), q = other_probability();
  const double z = NormalQuantile(0.5 + level / 2);
  const double nd = static_cast<double>(n);
  std::vector<FrequencyEstimate> out;
  for (int64_t c : observed_counts) {
    FrequencyEstimate f;
    f.count = (static_cast<double>(c) - nd * q) / (p - q);
    f.fraction = f.count / nd;
    const double nv = std::min(std::max(f.count, 0.0), nd);
    f.stddev = std::sqrt(nv * p * (1 - p) + (nd - nv) * q * (1 - q)) / (p - q);
    f.interval.lower = f.count - z * f.stddev;
    f.interval.upper = f.count + z * f.stddev;
    f.interval.level = level;
    f.interval.exact = false;
    out.push_back(f);
  }
  return out;
}

PrivacyMap RandomizedResponse::privacy_map() const {
  return PrivacyMap::PureDp(
      epsilon(), options_.categories == 2 ? "randomized_response" : "kary_randomized_response");
}

}  // namespace dpkit::mechanisms
