#include "random/bucket_kernel.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "random/ct.h"
#include "random/exp_exact.h"
#include "random/fixed_words.h"

namespace dpkit::random::internal {
namespace {

constexpr uint64_t kBuckets = 120;  // N

// N - 1 buckets reach where the survival function is 2^-100.
uint64_t BucketWidth(const BucketLaw& law) {
  return static_cast<uint64_t>(std::ceil(law.reach / (kBuckets - 1)));
}

// The tail envelope's ratio e^-(r_num / den): r_num = 2 a N b + c.
uint128 TailRatioNumerator(const BucketLaw& law, uint64_t b) {
  return 2 * static_cast<uint128>(law.a) * kBuckets * b + law.c;
}

// S_j = b sum_{j <= i < N} w(ib) + w(Nb) / (1 - r) for j in [0, N] (S_0: the total), enclosed
// at `words`: w((i+1)b) = w(ib) q^(2i+1) p, q = e^-(a b^2 / den), p = e^-(c b / den).
std::vector<FixedInterval> BucketSuffixes(const BucketLaw& law, uint64_t b, int words) {
  const FixedInterval q = ExpNegBounds(static_cast<uint128>(law.a) * b * b, law.den, words);
  const FixedInterval p = ExpNegBounds(static_cast<uint128>(law.c) * b, law.den, words);
  const FixedInterval q2 = IntervalProduct(q, q);
  std::vector<FixedInterval> w(kBuckets + 1);
  w[0] = IntervalConstant(words, 1);
  FixedInterval step = IntervalProduct(q, p);  // q^(2i+1) p for i = 0
  for (uint64_t i = 0; i < kBuckets; ++i) {
    w[i + 1] = IntervalProduct(w[i], step);
    step = IntervalProduct(step, q2);
  }
  const FixedInterval r = ExpNegBounds(TailRatioNumerator(law, b), law.den, words);
  std::vector<FixedInterval> suffix(kBuckets + 1);
  suffix[kBuckets] = IntervalProduct(
      w[kBuckets], IntervalReciprocal(IntervalDifference(IntervalConstant(words, 1), r)));
  for (uint64_t j = kBuckets; j-- > 0;) {
    suffix[j] = IntervalSum(suffix[j + 1], IntervalTimes(w[j], b));
  }
  return suffix;
}

}  // namespace

BucketLaw DiscreteGaussianLaw(uint64_t n, uint64_t d) {
  const double sigma = std::sqrt(static_cast<double>(n) / static_cast<double>(d));
  return {.a = d,
          .c = 0,
          .den = 2 * static_cast<uint128>(n),
          .reach = sigma * std::sqrt(2.0 * kTailBits * std::log(2.0))};
}

BucketLaw DiscreteLaplaceLaw(uint64_t t, uint64_t s) {
  const double scale = static_cast<double>(t) / static_cast<double>(s);
  return {.a = 0, .c = s, .den = t, .reach = scale * kTailBits * std::log(2.0)};
}

BucketKernel::BucketKernel(const BucketLaw& law)
    : law_(law), b_(BucketWidth(law)), offset_(b_), quotient_(law.den) {}

const SurvivalTable& BucketKernel::table() const {
  return table_.Get([this] {
    int words_now = 0;
    std::vector<FixedInterval> suffix;
    FixedInterval inverse;
    auto entry = [&](size_t j, int words) {
      if (words != words_now) {
        suffix = BucketSuffixes(law_, b_, words);
        inverse = IntervalReciprocal(suffix[0]);
        words_now = words;
      }
      return IntervalProduct(suffix[j], inverse);
    };
    const BucketLaw law = law_;
    const uint64_t b = b_;
    return std::make_unique<SurvivalTable>(
        TableFloors(entry, [](size_t j, uint128) { return j == kBuckets; }),
        [law, b](LazyUniform& u, size_t j) {
          return UniformBelowRatio(u, [&](int words, FixedInterval* num, FixedInterval* den) {
            const std::vector<FixedInterval> s = BucketSuffixes(law, b, words);
            *num = s[j];
            *den = s[0];
          });
        });
  });
}

int64_t BucketKernel::Sample(BitPool& pool) const {
  const SurvivalTable& table = this->table();
  while (true) {
    uint64_t sign;
    const uint64_t j = table.Count(pool, &sign);
    uint64_t x;
    bool accept;
    if (j == kBuckets) [[unlikely]] {
      // The tail envelope (probability < 2^-100): N b + a geometric with ratio r.
      uint64_t g = 0;
      while (ExactBernoulliExp(pool, TailRatioNumerator(law_, b_), law_.den)) ++g;
      // |Y| >= 2^63 is clamped (probability < e^-(2^13) at the largest scale).
      x = std::min<uint64_t>(kBuckets * b_ + g, std::numeric_limits<int64_t>::max());
      accept = ExactBernoulliExp(pool, static_cast<uint128>(law_.a) * g * g, law_.den);
    } else {
      // Without the quadratic term (a = 0, public) R's acceptance does not involve J: R alone
      // is redrawn until accepted, which leaves R's law and J's unchanged.
      do {
        const uint64_t r = offset_(pool);
        x = j * b_ + r;
        const uint128 numerator =
            static_cast<uint128>(r) * (static_cast<uint128>(law_.a) * (2 * j * b_ + r) + law_.c);
        uint64_t q;
        uint128 frac;
        quotient_(numerator, &q, &frac);
        accept = BernoulliExpNeg(pool, q, frac, kQuotientErrorUlps, numerator, law_.den);
      } while (law_.a == 0 && !accept);
    }
    // Reject "-0" (a sign for 0 would count it twice); rejection never depends on the value
    // finally returned.
    const uint64_t negative_zero = sign & ct::EqualMask(x, 0) & 1;
    if ((static_cast<uint64_t>(accept) & ~negative_zero) != 0) return ct::WithSign(sign, x);
  }
}

}  // namespace dpkit::random::internal
