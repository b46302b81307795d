#include "dpkit/mechanisms/sparse_vector.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "mechanisms/grid.h"
#include "mechanisms/noise_core.h"
#include "random/ct.h"

namespace dpkit::mechanisms {
namespace {

constexpr int kGridBits = 20;
constexpr double kInf = std::numeric_limits<double>::infinity();

int64_t QueryNoiseSensitivity(const SparseVectorOptions& o, int64_t d_g) {
  return (o.monotonic ? 1 : 2) * o.max_above * d_g;
}

}  // namespace

absl::StatusOr<SparseVector> SparseVector::Create(const SparseVectorOptions& options) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", options.epsilon));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("sensitivity", options.sensitivity));
  DPKIT_RETURN_IF_ERROR(ValidateFinite("threshold", options.threshold));
  if (options.max_above < 1 || options.max_above > (int64_t{1} << 20)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_above must be in [1, 2^20], got ", options.max_above));
  }
  if (options.threshold_epsilon_fraction != 0) {
    DPKIT_RETURN_IF_ERROR(
        ValidateOpenUnitInterval("threshold_epsilon_fraction", options.threshold_epsilon_fraction));
  }
  if (options.sensitivity < internal::kMinScale || options.sensitivity > internal::kMaxScale) {
    return absl::InvalidArgumentError(absl::StrCat("sensitivity must be in [2^-900, 2^900], got ",
                                                   FormatDouble(options.sensitivity)));
  }
  double fraction = options.threshold_epsilon_fraction;
  if (fraction == 0) {
    const double c = static_cast<double>(options.max_above) * (options.monotonic ? 1 : 2);
    fraction = 1 / (1 + std::cbrt(c * c));
  }
  const double eps1 = std::nextafter(options.epsilon * fraction, 0.0);
  const double eps2 = std::nextafter(options.epsilon - eps1, 0.0);
  if (!(eps1 > 0) || !(eps2 > 0)) {
    return absl::InvalidArgumentError(
        "epsilon is too small to split between threshold and queries");
  }
  const int e = internal::GranularityExponent(options.sensitivity, kGridBits);
  DPKIT_ASSIGN_OR_RETURN(int64_t d_g, internal::CeilToGrid(options.sensitivity, e, "sensitivity"));
  DPKIT_ASSIGN_OR_RETURN(auto threshold_core, internal::DiscreteLaplaceCore::Create(eps1, d_g));
  DPKIT_ASSIGN_OR_RETURN(auto query_core, internal::DiscreteLaplaceCore::Create(
                                              eps2, QueryNoiseSensitivity(options, d_g)));
  return SparseVector(options, e, d_g, threshold_core.sampler(), query_core.sampler());
}

absl::StatusOr<bool> SparseVector::Next(double query_value, random::BitGenerator& gen) {
  if (exhausted()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sparse vector exhausted: ", above_count_, " above-threshold answers given (max_above=",
        options_.max_above, "); start a new session with fresh budget"));
  }
  DPKIT_RETURN_IF_ERROR(ValidateFinite("query value", query_value));
  if (!noisy_threshold_) {
    noisy_threshold_ = internal::AddClamped(internal::ToGrid(options_.threshold, exponent_),
                                            threshold_noise_.Sample(gen));
  }
  const internal::int128 q =
      internal::AddClamped(internal::ToGrid(query_value, exponent_), query_noise_.Sample(gen));
  // q >= T in the unsigned order of (value + 2^127), by the branch-free comparison of ct.h.
  constexpr random::uint128 kBias = random::uint128{1} << 127;
  const uint64_t below = random::ct::LessMask(static_cast<random::uint128>(q) + kBias,
                                              static_cast<random::uint128>(*noisy_threshold_) + kBias);
  const bool above = (~below & 1) != 0;
  above_count_ += static_cast<int64_t>(~below & 1);
  ++answered_;
  return above;
}

absl::StatusOr<std::vector<bool>> SparseVector::Run(absl::Span<const double> queries,
                                                    random::BitGenerator& gen) {
  for (size_t i = 0; i < queries.size(); ++i) {
    if (!std::isfinite(queries[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("query ", i, " must be finite, got ", FormatDouble(queries[i])));
    }
  }
  std::vector<bool> out;
  for (double q : queries) {
    if (exhausted()) break;
    DPKIT_ASSIGN_OR_RETURN(bool above, Next(q, gen));
    out.push_back(above);
  }
  return out;
}

double SparseVector::threshold_epsilon() const {
  return internal::DiscreteLaplaceCore(threshold_noise_, grid_sensitivity_).epsilon();
}

double SparseVector::query_epsilon() const {
  return internal::DiscreteLaplaceCore(query_noise_,
                                       QueryNoiseSensitivity(options_, grid_sensitivity_))
      .epsilon();
}

double SparseVector::epsilon() const {
  return std::nextafter(threshold_epsilon() + query_epsilon(), kInf);
}

PrivacyMap SparseVector::privacy_map() const {
  return PrivacyMap::PureDp(epsilon(), "sparse_vector");
}

double SparseVector::threshold_noise_scale() const {
  return std::ldexp(threshold_noise_.scale(), exponent_);
}

double SparseVector::query_noise_scale() const {
  return std::ldexp(query_noise_.scale(), exponent_);
}

}  // namespace dpkit::mechanisms
