#include "random/exp_fixed.h"

#include "random/ct.h"

namespace dpkit::random::internal {
namespace {
using ct::U128;
#include "random/sampler_tables.inc"

constexpr uint128 kAllOnes = ~uint128{0};
constexpr uint128 kLow120 = (uint128{1} << 120) - 1;

// e^-h * 2^128 for h < 2^-8.5 (in units of 2^-128): 1 - h + h^2 P(h) with
// P(h) = sum_{k=2..11} (-h)^(k-2) / k! (the next term is < 2^-130), by Estrin's scheme:
// P = a1 + h^2 (a2 + h^2 (a3 + h^2 (a4 + h^2 a5))), a_j = 1/(2j)! - h/(2j+1)! (all positive),
// so the five a_j are computed side by side and the dependent chain is five products long.
uint128 ExpNegSmall(uint128 h) {
  const uint128 h2 = ct::MulHi(h, h);
  uint128 a[6];
  for (int j = 1; j <= 5; ++j) {
    a[j] = kInverseFactorial[2 * j] - ct::MulHi(h, kInverseFactorial[2 * j + 1]);
  }
  uint128 p = a[5];
  for (int j = 4; j >= 1; --j) p = a[j] + ct::MulHi(h2, p);
  return kAllOnes - h + ct::MulHi(h2, p);
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
