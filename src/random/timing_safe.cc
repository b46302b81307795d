#include "random/timing_safe.h"

#include "random/ct.h"
#include "random/exp_exact.h"
#include "random/exp_fixed.h"

namespace dpkit::random::internal {
namespace {
using ct::U128;
#include "random/sampler_tables.inc"

constexpr uint128 kLow32 = 0xFFFFFFFFu;
constexpr uint64_t kMax32 = 0xFFFFFFFFu;
constexpr uint64_t kMaxGeometricTable = sizeof(kExpNegInteger) / sizeof(kExpNegInteger[0]) - 1;

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

Divider::Divider(uint64_t d_in) : d(d_in), shift(-1), reciprocal(0) {
  if ((d & (d - 1)) == 0) {
    shift = __builtin_ctzll(d);
  } else {
    reciprocal = ~uint128{0} / d;
  }
}

uint128 Divider::operator()(uint128 x) const {
  if (shift >= 0) return x >> shift;  // public branch: d is a power of two
  // The estimate is at most 5 below the quotient (reciprocal and MulHi both round down).
  uint128 q = ct::MulHi(x, reciprocal);
  uint128 r = x - q * d;
  for (int i = 0; i < 5; ++i) {
    const uint64_t ge = ~ct::LessMask(r, d);
    q += ge & 1;
    r -= ge & d;
  }
  return q;
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

namespace {

// #{i in 1..count : U < e^-(stride i)} for the uniform U in [r, r + 2^32) 2^-128 (96 random
// bits), by comparing r with every table entry floor(e^-(stride i) 2^128) (e^-k 2^128 is
// irrational, so an entry outside [r, r + 2^32) decides; an entry inside, probability
// count 2^-96, goes to the exact comparison with U's further bits).
uint64_t CountBelowExpNeg(BitPool& pool, uint128 r, uint64_t stride, uint64_t count) {
  uint64_t below = 0, tie = 0;
  for (uint64_t i = 1; i <= count; ++i) {
    const uint128 entry = kExpNegInteger[stride * i];
    below += static_cast<uint64_t>((r | kLow32) < entry);
    tie |= static_cast<uint64_t>((r >> 32) == (entry >> 32));
  }
  if (ct::Barrier(tie) != 0) [[unlikely]] {
    // Entries from index below + 1 on may lie in [r, r + 2^32) (several only for the tiny
    // ones); the comparisons are monotone in i, so they are decided in order on one U.
    LazyUniform u(pool, r | pool.Bits(32));
    while (below < count && UniformBelowExpNeg(u, stride * (below + 1), 1)) ++below;
  }
  return below;
}

constexpr uint64_t kLowSpan = 8;                           // V mod 8 from e^-1 .. e^-8
constexpr uint64_t kHighCount = kMaxGeometricTable / kLowSpan;  // floor(V / 8) from e^-8 .. e^-88

}  // namespace

uint64_t GeometricExpNegOne(BitPool& pool) {
  // V mod 8 and floor(V / 8) are independent (P(V = 8a + b) factorises). V mod 8 is V
  // conditioned on V < 8: inversion against e^-1..e^-7, rejecting U < e^-8 (probability
  // e^-8; the number of rejections is independent of the result).
  uint64_t low;
  do {
    low = CountBelowExpNeg(pool, pool.Next96(), 1, kLowSpan);
  } while (low == kLowSpan);
  // floor(V / 8) is geometric with P(>= a) = e^-8a; U < e^-88 (probability < 2^-126) means
  // floor(V / 8) >= 11, and by memorylessness the excess is a fresh draw.
  uint64_t high = CountBelowExpNeg(pool, pool.Next96(), kLowSpan, kHighCount);
  if (high == kHighCount) [[unlikely]] {
    high += GeometricExpNegOne(pool) / kLowSpan;
  }
  return kLowSpan * high + low;
}

FractionOf::FractionOf(uint64_t t) : scaled_hi(0), scaled_lo(0) {
  if (t <= 1) return;  // u < t means u == 0
  // 2^128 = a t + rem, then 2^192 / t = a 2^64 + rem 2^64 / t.
  uint128 a = ~uint128{0} / t;
  uint128 rem = ~uint128{0} % t + 1;
  if (rem == t) {
    ++a;
    rem = 0;
  }
  scaled_hi = a;
  scaled_lo = static_cast<uint64_t>((rem << 64) / t);
}

uint128 FractionOf::operator()(uint64_t u) const {
  return static_cast<uint128>(u) * scaled_hi +
         ((static_cast<uint128>(u) * scaled_lo) >> 64);
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
