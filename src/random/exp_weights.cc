#include "random/exp_weights.h"

#include "random/ct.h"
#include "random/exp_exact.h"
#include "random/exp_fixed.h"
#include "random/fixed_words.h"
#include "random/timing_safe.h"

namespace dpkit::random::internal {
namespace {

// top 2^128 + low, in units of 2^-128 (sums of up to 2^40 weights <= 1).
struct Fixed192 {
  uint128 low = 0;
  uint64_t top = 0;
};

Fixed192 Add(const Fixed192& a, const Fixed192& b) {
  const uint128 low = a.low + b.low;
  return {low, a.top + b.top + ct::Less(low, a.low)};
}

// All-ones if a <= b, else zero.
uint64_t LessEqualMask(const Fixed192& a, const Fixed192& b) {
  const uint64_t b_less = ct::LessMask(b.top, a.top) |
                          (ct::EqualMask(a.top, b.top) & ct::LessMask(b.low, a.low));
  return ~b_less;
}

// floor(u x / 2^128) - e, 0 <= e < 3, for a 128-bit u (the uniform's bits).
Fixed192 MulUniform(uint128 u, const Fixed192& x) {
  const uint128 lo = static_cast<uint128>(ct::Lo(u)) * x.top;
  const uint128 hi = static_cast<uint128>(ct::Hi(u)) * x.top;
  // u x.top = hi 2^64 + lo, as a 192-bit number.
  const Fixed192 whole = Add({lo, 0}, {hi << 64, ct::Hi(hi)});
  return Add(whole, {ct::MulHi(u, x.low), 0});
}

uint128 Numerator(const ExpArg& a) { return (static_cast<uint128>(a.k) << 64) | a.frac; }
constexpr uint128 kDenominator = uint128{1} << 64;

// The exact path of SampleExpWeights: enclosures of 256, 512, ... bits and more bits of U
// until the inversion is decided.
size_t SampleExpWeightsExactly(const std::vector<ExpArg>& args, LazyUniform& u) {
  const size_t n = args.size();
  for (int words = 4;; words *= 2) {
    std::vector<FixedWords> s_lo(n + 1, FixedConstant(words, 0, 0)), s_hi = s_lo;
    for (size_t i = 0; i < n; ++i) {
      const ExpNegInterval w = ExpNegBounds(Numerator(args[i]), kDenominator, words);
      s_lo[i + 1] = s_lo[i];
      FixedAddInPlace(s_lo[i + 1], w.lo);
      s_hi[i + 1] = s_hi[i];
      FixedAddInPlace(s_hi[i + 1], w.hi);
    }
    const FixedWords u_lo = u.Fixed(words);
    FixedWords u_hi = u_lo;
    FixedAddInPlace(u_hi, FixedUlp(words));
    const FixedWords t_lo = FixedMultiply(u_lo, s_lo[n], false);
    const FixedWords t_hi = FixedMultiply(u_hi, s_hi[n], true);
    for (size_t i = 0; i < n; ++i) {
      // Candidate i iff S_i <= U W < S_(i+1), W = S_n.
      if (!FixedLess(t_lo, s_hi[i]) && !FixedLess(s_lo[i + 1], t_hi)) return i;
    }
  }
}

}  // namespace

size_t SampleExpWeights(const std::vector<ExpArg>& args, BitPool& pool,
                        const ExactPathProbe& probe) {
  const size_t n = args.size();
  const uint128 tolerance = kExpNegFixedErrorUlps + probe.extra_error_ulps;
  // Cumulative enclosures S_lo[i] <= w_0 + ... + w_(i-1) <= S_hi[i].
  std::vector<Fixed192> s_lo(n + 1), s_hi(n + 1);
  for (size_t i = 0; i < n; ++i) {
    const uint128 e = ExpNegFixed(args[i].k, static_cast<uint128>(args[i].frac) << 64);
    const uint128 lo = ct::Select(ct::LessMask(e, tolerance), 0, e - tolerance);
    const uint128 hi = e + tolerance;
    s_lo[i + 1] = Add(s_lo[i], {lo, 0});
    s_hi[i + 1] = Add(s_hi[i], {hi, ct::Less(hi, e)});
  }
  // U in [u, u + 1) 2^-128, so T = U W lies in [t_lo, t_hi): t_hi adds to u S_hi / 2^128 the
  // rounding of MulUniform (< 3 units) and S_hi / 2^128 (< top + 1 units) for U's last unit.
  const uint128 u = pool.Next128();
  const Fixed192 t_lo = MulUniform(u, s_lo[n]);
  const Fixed192 t_hi = Add(MulUniform(u, s_hi[n]), {uint128{4} + s_hi[n].top, 0});
  uint64_t found = 0, selected = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t here = LessEqualMask(s_hi[i], t_lo) & LessEqualMask(t_hi, s_lo[i + 1]);
    selected |= here & static_cast<uint64_t>(i);
    found |= here;
  }
  if (ct::Barrier(found) != 0) [[likely]] return static_cast<size_t>(selected);
  if (probe.exact_decisions != nullptr) ++*probe.exact_decisions;
  LazyUniform exact_u(pool, u);
  return SampleExpWeightsExactly(args, exact_u);
}

size_t FirstBernoulliExpSuccess(const std::vector<ExpArg>& args, BitPool& pool,
                                const ExactPathProbe& probe) {
  const size_t n = args.size();
  uint64_t first = n, none_yet = ~uint64_t{0};
  for (size_t i = 0; i < n; ++i) {
    const bool success =
        BernoulliExpNeg(pool, args[i].k, static_cast<uint128>(args[i].frac) << 64,
                        probe.extra_error_ulps, Numerator(args[i]), kDenominator,
                        probe.exact_decisions);
    const uint64_t take = none_yet & (0 - static_cast<uint64_t>(success));
    first = (take & i) | (~take & first);
    none_yet &= ~take;
  }
  return static_cast<size_t>(first);
}

}  // namespace dpkit::random::internal
