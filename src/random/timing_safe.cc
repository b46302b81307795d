#include "random/timing_safe.h"

#include "random/ct.h"
#include "random/exp_exact.h"
#include "random/exp_fixed.h"

namespace dpkit::random::internal {
namespace {
constexpr uint128 kLow32 = 0xFFFFFFFFu;
constexpr uint64_t kMax32 = 0xFFFFFFFFu;

int BitLength(uint128 x) {
  int n = 0;
  for (; x != 0; x >>= 1) ++n;
  return n;
}

// floor((2^e - 1) / den) for den >= 1 when the quotient is below 2^128 (long division by bits).
uint128 PowerOfTwoMinusOneOver(int e, uint128 den) {
  uint128 quotient = 0, rem = 0;
  for (int bit = e - 1; bit >= 0; --bit) {
    rem = (rem << 1) | 1;
    quotient <<= 1;
    if (rem >= den) {
      rem -= den;
      quotient |= 1;
    }
  }
  return quotient;
}

}  // namespace

UniformBelow::UniformBelow(uint64_t n_in)
    : n(n_in),
      threshold(n_in <= kMax32 ? (kMax32 + 1 - n_in) % n_in : (0 - n_in) % n_in) {}

uint64_t UniformBelow::operator()(BitPool& pool) const {
  if (n <= kMax32) {  // public branch: 32 random bits suffice
    while (true) {
      const uint64_t m = static_cast<uint64_t>(pool.Bits(32)) * n;
      if ((m & kMax32) >= threshold) return m >> 32;
    }
  }
  while (true) {
    const uint128 m = static_cast<uint128>(pool.Next64()) * n;
    // Rejection (probability threshold / 2^64 < n / 2^64) is independent of the result.
    if (ct::Lo(m) >= threshold) return ct::Hi(m);
  }
}

bool BernoulliExpNeg(BitPool& pool, uint64_t q, uint128 frac, uint128 input_error_ulps,
                     uint128 num, uint128 den, int64_t* exact_count) {
  return BernoulliBelow(pool, ExpNegFixed(q, frac), kExpNegFixedErrorUlps + input_error_ulps,
                        num, den, exact_count);
}

bool BernoulliBelow(BitPool& pool, uint128 e, uint128 tolerance, uint128 num, uint128 den,
                    int64_t* exact_count) {
  // The uniform U lies in [r, r + 2^32) 2^-128 (96 random bits), e^-x 2^128 in
  // [e - tolerance, e + tolerance]. U is certainly below if r + 2^32 <= e - tolerance,
  // certainly not if r >= e + tolerance; otherwise (probability < 2^-95) the exact comparison
  // draws U's next 32 bits and as many more as it needs.
  const uint128 r = pool.Next96();
  const uint64_t low_ok = ~ct::LessMask(e, tolerance);  // e >= tolerance
  const uint128 low = ct::Select(low_ok, e - tolerance, 0);
  const uint64_t below = ct::LessMask(r | kLow32, low);
  const uint128 high = e + tolerance;
  const uint64_t high_fits = ~ct::LessMask(high, e);  // no overflow past 2^128
  const uint64_t above = high_fits & ~ct::LessMask(r, high);
  if ((below | above) == 0) [[unlikely]] {
    if (exact_count != nullptr) ++*exact_count;
    return UniformBelowExpNeg(pool, r | pool.Bits(32), num, den);
  }
  return (below & 1) != 0;
}

QuotientOf::QuotientOf(uint128 den) {
  const int bits = BitLength(den);
  reciprocal = PowerOfTwoMinusOneOver(127 + bits, den);
  shift = bits - 1;
}

void QuotientOf::operator()(uint128 num, uint64_t* q, uint128* frac) const {
  uint128 high, low;
  ct::Mul256(num, reciprocal, &high, &low);
  // num / den * 2^128 = (high 2^128 + low) >> shift.
  if (shift == 0) {
    *frac = low;
  } else {
    *frac = (low >> shift) | (high << (128 - shift));
  }
  const uint128 whole = high >> shift;
  *q = static_cast<uint64_t>(ct::Select(ct::LessMask(whole, 128), whole, 128));
}

}  // namespace dpkit::random::internal
