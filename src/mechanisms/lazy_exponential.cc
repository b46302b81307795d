#include "dpkit/mechanisms/lazy_exponential.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/random/samplers.h"
#include "random/bit_pool.h"
#include "random/timing_safe.h"

namespace dpkit::mechanisms {
namespace {

constexpr double kExponentGrid = 1099511627776.0;        // 2^40
constexpr double kEpsilonSlack = 1.0 / 274877906944.0;   // 2^-38
constexpr size_t kBatch = 8;

constexpr int kExponentGridBits = 40;

// Numerator of x rounded UP to the 2^-40 grid (x clamped to [0, 1e12]; exp(-1e12) is 0 in any
// sense).
random::uint128 GridNumerator(double x) {
  x = std::min(std::max(x, 0.0), 1e12);
  return static_cast<random::uint128>(std::ceil(x * kExponentGrid));
}

// Exact Bernoulli(exp(-x)) in time independent of x: x = num / 2^40 exactly as an integer part
// and a 128-bit fraction, then the samplers' fixed-point test (random/timing_safe.h).
bool AcceptWithExp(random::internal::BitPool& pool, double x) {
  const random::uint128 num = GridNumerator(x);
  const uint64_t whole = static_cast<uint64_t>(num >> kExponentGridBits);
  const random::uint128 fraction = num << (128 - kExponentGridBits);
  return random::internal::BernoulliExpNeg(pool, whole, fraction, 0, num,
                                           random::uint128{1} << kExponentGridBits);
}

}  // namespace

absl::StatusOr<LazyExponentialMechanism> LazyExponentialMechanism::Create(
    const LazyExponentialOptions& options) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", options.epsilon));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("sensitivity", options.sensitivity));
  return LazyExponentialMechanism(options);
}

double LazyExponentialMechanism::epsilon() const {
  return std::max(options_.epsilon - kEpsilonSlack, options_.epsilon * 0.5);
}

PrivacyMap LazyExponentialMechanism::privacy_map() const {
  return PrivacyMap::PureDp(epsilon(), "exponential");
}

absl::StatusOr<int> LazyExponentialMechanism::Select(const std::vector<double>& upper,
                                                     const ScoreFn& score,
                                                     const PrefetchFn& prefetch,
                                                     random::BitGenerator& gen) const {
  const int n = static_cast<int>(upper.size());
  if (n == 0) return absl::InvalidArgumentError("exponential mechanism: no candidates");
  const auto exceeded = [] {
    return absl::InternalError("exponential mechanism: a score exceeded its upper bound");
  };
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return upper[a] > upper[b]; });
  std::vector<double> exact(n, std::numeric_limits<double>::quiet_NaN());
  double best = -std::numeric_limits<double>::infinity();
  int best_index = order[0];
  // The exact maximum: visit by decreasing bound until no remaining bound can beat it (all of
  // them under ZeroNoise, which then returns the argmax).
  for (size_t pos = 0; pos < order.size() && (upper[order[pos]] > best || deterministic_);) {
    std::vector<int> batch(order.begin() + pos,
                           order.begin() + std::min(order.size(), pos + kBatch));
    DPKIT_RETURN_IF_ERROR(prefetch(batch));
    for (int i : batch) {
      DPKIT_ASSIGN_OR_RETURN(exact[i], score(i));
      if (!std::isfinite(exact[i])) {
        return absl::InvalidArgumentError("exponential mechanism: scores must be finite");
      }
      if (exact[i] > upper[i]) return exceeded();
      if (exact[i] > best || (exact[i] == best && i < best_index)) {
        best = exact[i];
        best_index = i;
      }
    }
    pos += batch.size();
  }
  if (deterministic_) return best_index;
  const double c = epsilon() / (2.0 * options_.sensitivity);
  const random::internal::UniformBelow propose(static_cast<uint64_t>(n));
  random::internal::BitPool pool(gen);
  while (true) {
    const int i = static_cast<int>(propose(pool));
    // Unvisited candidates have upper[i] <= best; visited ones use best as their bound.
    const double b = std::isnan(exact[i]) ? std::min(upper[i], best) : best;
    if (!AcceptWithExp(pool, c * (best - b))) continue;
    if (std::isnan(exact[i])) {
      DPKIT_ASSIGN_OR_RETURN(exact[i], score(i));
      if (exact[i] > b) return exceeded();
    }
    if (AcceptWithExp(pool, c * (b - exact[i]))) return i;
  }
}

absl::StatusOr<int> LazyExponentialMechanism::Select(const std::vector<double>& scores,
                                                     random::BitGenerator& gen) const {
  for (double s : scores) {
    if (!std::isfinite(s)) {
      return absl::InvalidArgumentError("exponential mechanism: scores must be finite");
    }
  }
  return Select(
      scores, [&](int i) -> absl::StatusOr<double> { return scores[i]; },
      [](const std::vector<int>&) { return absl::OkStatus(); }, gen);
}

}  // namespace dpkit::mechanisms
