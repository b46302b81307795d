#include "random/exp_fixed.h"

#include "random/ct.h"

namespace dpkit::random::internal {
namespace {
using ct::U128;
#include "random/sampler_tables.inc"

constexpr uint128 kAllOnes = ~uint128{0};
constexpr uint128 kLow120 = (uint128{1} << 120) - 1;

// e^-h * 2^128 for h < 2^-8.5 (in units of 2^-128): 1 - h + h^2 (1/2! - h (1/3! - ...)),
// Horner's rule down to degree 11 (the next term is < 2^-130). The innermost steps (k >= 8),
// whose errors are scaled by h^8 < 2^-68 in the result, run in 64-bit arithmetic.
uint128 ExpNegSmall(uint128 h) {
  const uint64_t h64 = ct::Hi(h);
  uint64_t inner64 = ct::Hi(kInverseFactorial[11]);
  for (int k = 10; k >= 8; --k) {
    inner64 = ct::Hi(kInverseFactorial[k]) - ct::Hi(static_cast<uint128>(h64) * inner64);
  }
  uint128 inner = static_cast<uint128>(inner64) << 64;
  for (int k = 7; k >= 2; --k) inner = kInverseFactorial[k] - ct::MulHi(h, inner);
  return kAllOnes - h + ct::MulHi(ct::MulHi(h, h), inner);
}

}  // namespace

uint128 ExpNegFixed(uint64_t q, uint128 frac) {
  const uint64_t huge = ct::Barrier(static_cast<uint64_t>(0) - static_cast<uint64_t>(q >= 128));
  q &= 127;
  // z = x log2(e) = x + x (log2(e) - 1), as a 64-bit integer part and a 128-bit fraction.
  const uint128 q_part_lo = static_cast<uint128>(q) * ct::Lo(kLog2EFraction);
  const uint128 q_part_hi = static_cast<uint128>(q) * ct::Hi(kLog2EFraction);
  // q * fraction(log2 e) = q_part_hi * 2^64 + q_part_lo: integer part and fraction.
  const uint128 q_frac_mid = q_part_hi + (q_part_lo >> 64);
  const uint128 q_frac = (q_frac_mid << 64) | ct::Lo(q_part_lo);
  const uint64_t q_int = static_cast<uint64_t>(q_frac_mid >> 64);
  const uint128 f_part = ct::MulHi(frac, kLog2EFraction);
  uint128 z_frac = frac + q_frac;
  uint64_t z_int = q + q_int + static_cast<uint64_t>(z_frac < frac);
  const uint128 z_frac2 = z_frac + f_part;
  z_int += static_cast<uint64_t>(z_frac2 < z_frac);
  z_frac = z_frac2;
  // 2^-z_frac = 2^-(j1/16) * 2^-(j2/256) * 2^-(g / 2^128), g < 2^120.
  const uint64_t j1 = ct::Hi(z_frac) >> 60;
  const uint64_t j2 = (ct::Hi(z_frac) >> 56) & 15;
  const uint128 h = ct::MulHi(z_frac & kLow120, kLn2);
  uint128 e = ct::MulHi(ct::Lookup(kExp2NegSixteenths, j1),
                        ct::Lookup(kExp2NegTwoHundredFiftySixths, j2));
  e = ct::MulHi(e, ExpNegSmall(h));
  e = ct::ShiftRight(e, z_int);
  return ct::Select(huge, 0, e);
}

}  // namespace dpkit::random::internal
