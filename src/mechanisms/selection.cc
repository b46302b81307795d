#include "dpkit/mechanisms/selection.h"

#include <cmath>
#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/random/samplers.h"
#include "mechanisms/grid.h"
#include "mechanisms/noise_core.h"
#include "random/bit_pool.h"
#include "random/ct.h"
#include "random/exp_weights.h"

namespace dpkit::mechanisms {
namespace {

using random::uint128;

constexpr int kScoreGridBits = 20;
constexpr int kCoefBits = 40;
constexpr uint64_t kMaxExponent = uint64_t{1} << 20;

struct KindName {
  SelectionKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {
    {SelectionKind::kExponential, "exponential"},
    {SelectionKind::kPermuteAndFlip, "permute_and_flip"},
    {SelectionKind::kReportNoisyMaxGumbel, "report_noisy_max_gumbel"},
    {SelectionKind::kReportNoisyMaxExponential, "report_noisy_max_exponential"},
};

}  // namespace

const char* SelectionKindName(SelectionKind kind) {
  for (const auto& kn : kKindNames) {
    if (kn.kind == kind) return kn.name;
  }
  return "unknown";
}

absl::StatusOr<SelectionKind> ParseSelectionKind(const std::string& name) {
  for (const auto& kn : kKindNames) {
    if (name == kn.name) return kn.kind;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown selection mechanism '", name,
                   "'; expected exponential, permute_and_flip, report_noisy_max_gumbel or "
                   "report_noisy_max_exponential"));
}

absl::StatusOr<SelectionMechanism> SelectionMechanism::Create(const SelectionOptions& options) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", options.epsilon));
  if (!(options.epsilon >= 0x1.0p-40 && options.epsilon <= 0x1.0p40)) {
    return absl::InvalidArgumentError(
        absl::StrCat("epsilon must be in [2^-40, 2^40], got ", FormatDouble(options.epsilon)));
  }
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("sensitivity", options.sensitivity));
  if (options.sensitivity < internal::kMinScale || options.sensitivity > internal::kMaxScale) {
    return absl::InvalidArgumentError(absl::StrCat("sensitivity must be in [2^-900, 2^900], got ",
                                                   FormatDouble(options.sensitivity)));
  }
  const int e = internal::GranularityExponent(options.sensitivity, kScoreGridBits);
  DPKIT_ASSIGN_OR_RETURN(int64_t d_g, internal::CeilToGrid(options.sensitivity, e, "sensitivity"));
  // c = eps / (2 D_g) (eps / D_g if monotonic), rounded down to num / 2^k.
  const long double divisor = static_cast<long double>(d_g) * (options.monotonic ? 1 : 2);
  const double c = internal::RatioDown(options.epsilon, divisor);
  int ce;
  std::frexp(c, &ce);
  int k = kCoefBits - ce;
  if (k > 62) k = 62;
  if (k < 0) k = 0;
  uint64_t num = static_cast<uint64_t>(std::floor(std::ldexp(c, k)));
  uint64_t den = uint64_t{1} << k;
  if (num == 0) {
    return absl::InvalidArgumentError(absl::StrCat("epsilon=", FormatDouble(options.epsilon),
                                                   " is too small for this sensitivity"));
  }
  while (den > 1 && (num & 1) == 0) {
    num >>= 1;
    den >>= 1;
  }
  return SelectionMechanism(options, e, d_g, num, den);
}

double SelectionMechanism::epsilon() const {
  const long double divisor =
      static_cast<long double>(grid_sensitivity_) * (options_.monotonic ? 1 : 2);
  // num * divisor < 2^64 and den = 2^k: exact in long double.
  return internal::ToDoubleUp(std::ldexp(static_cast<long double>(coef_num_) * divisor,
                                         -(63 - __builtin_clzll(coef_den_))));
}

PrivacyMap SelectionMechanism::privacy_map() const {
  return PrivacyMap::PureDp(epsilon(), SelectionKindName(options_.kind));
}

SelectionKind SelectionMechanism::implementation() const {
  switch (options_.kind) {
    case SelectionKind::kExponential:
    case SelectionKind::kReportNoisyMaxGumbel:
      return SelectionKind::kExponential;
    case SelectionKind::kPermuteAndFlip:
    case SelectionKind::kReportNoisyMaxExponential:
      return SelectionKind::kPermuteAndFlip;
  }
  return SelectionKind::kExponential;
}

absl::StatusOr<size_t> SelectionMechanism::Select(absl::Span<const double> scores,
                                                  random::BitGenerator& gen) const {
  const size_t n = scores.size();
  if (n == 0) return absl::InvalidArgumentError("scores must not be empty");
  if (n > (size_t{1} << 40)) {
    return absl::InvalidArgumentError(absl::StrCat("too many candidates: ", n));
  }
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(scores[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("score ", i, " must be finite, got ", FormatDouble(scores[i])));
    }
  }
  // coef_den_ = 2^k.
  const int k = 63 - __builtin_clzll(coef_den_);
  // Largest gap (grid units) with exponent coef * gap <= 2^20 (the documented cap).
  const uint128 max_gap = (static_cast<uint128>(kMaxExponent) << k) / coef_num_;
  // Grid indices as unsigned numbers in the same order (sign bit flipped), so that the maximum
  // and the capped gaps are computed with the branch-free comparisons of random/ct.h.
  constexpr uint128 kSignBit = uint128{1} << 127;
  std::vector<uint128> idx(n);
  uint128 best = 0;
  for (size_t i = 0; i < n; ++i) {
    idx[i] = static_cast<uint128>(internal::ToGrid(scores[i], grid_exponent_)) ^ kSignBit;
    best = random::ct::Select(random::ct::LessMask(best, idx[i]), idx[i], best);
  }
  std::vector<random::internal::ExpArg> args(n);
  for (size_t i = 0; i < n; ++i) {
    const uint128 gap = best - idx[i];  // in [0, 2^121]
    const uint128 g = random::ct::Select(random::ct::LessMask(max_gap, gap), max_gap, gap);
    const uint128 prod = static_cast<uint128>(coef_num_) * g;  // x * 2^k <= 2^(20 + k)
    args[i].k = static_cast<uint64_t>(prod >> k);
    const uint64_t frac = static_cast<uint64_t>(prod) & (coef_den_ - 1);
    args[i].frac = k == 0 ? 0 : frac << (64 - k);
  }
  random::internal::BitPool pool(gen);
  if (implementation() == SelectionKind::kPermuteAndFlip) {
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    for (size_t i = n - 1; i > 0; --i) {
      size_t j = static_cast<size_t>(random::UniformUint64(gen, i + 1));
      std::swap(order[i], order[j]);
    }
    std::vector<random::internal::ExpArg> permuted(n);
    for (size_t r = 0; r < n; ++r) permuted[r] = args[order[r]];
    // The best candidate has weight exactly 1 and always succeeds, so first < n.
    const size_t first = random::internal::FirstBernoulliExpSuccess(permuted, pool);
    return order[first];
  }
  return random::internal::SampleExpWeights(args, pool);
}

}  // namespace dpkit::mechanisms
