#include "dpkit/mechanisms/randomized_response.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/math.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "mechanisms/grid.h"
#include "mechanisms/noise_core.h"
#include "random/bit_pool.h"
#include "random/ct.h"
#include "random/exp_fixed.h"
#include "random/timing_safe.h"

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
  // eps = num / 2^s exactly: integer part and 128-bit fraction for the fixed-point exponential.
  const int s = __builtin_ctzll(eps.den);
  const random::uint128 fraction =
      s == 0 ? 0 : static_cast<random::uint128>(eps.num & (eps.den - 1)) << (128 - s);
  return RandomizedResponse(options, eps, random::internal::ExpNegFixed(eps.num >> s, fraction));
}

absl::StatusOr<int64_t> RandomizedResponse::Randomize(int64_t value,
                                                      random::BitGenerator& gen) const {
  const int64_t k = options_.categories;
  if (value < 0 || value >= k) {
    return absl::InvalidArgumentError(
        absl::StrCat("value must be a category in [0, ", k, "), got ", value));
  }
  // Every attempt does the same work (header, "TIMING"): j uniform below k, and the
  // Bernoulli(exp(-eps)) trial drawn whether or not it is needed.
  const random::internal::UniformBelow uniform(static_cast<uint64_t>(k));
  random::internal::BitPool pool(gen);
  while (true) {
    const uint64_t j = uniform(pool);
    const bool other_accepted = random::internal::BernoulliBelow(
        pool, exp_neg_eps_, random::internal::kExpNegFixedErrorUlps, eps_.num, eps_.den);
    // j == 0 proposes the true value (always accepted); j >= 1 the j-th other value, accepted
    // with probability exp(-eps). The decision never looks at `value`.
    const uint64_t keep = random::ct::EqualMask(j, 0);
    if ((keep | (0 - static_cast<uint64_t>(other_accepted))) == 0) continue;
    // The j-th value other than `value`: j - 1, or j when j - 1 >= value (no branch).
    const uint64_t other = j - 1 + (random::ct::LessMask(j - 1, static_cast<uint64_t>(value)) + 1);
    return static_cast<int64_t>((keep & static_cast<uint64_t>(value)) | (~keep & other));
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
