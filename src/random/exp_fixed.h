// Internal: e^-x in 128-bit fixed point, in constant time.
//
// ExpNegFixed(q, frac) approximates e^-(q + frac / 2^128) * 2^128 within kExpNegFixedErrorUlps
// units (2^-128) for any q >= 0 (q >= 128 gives 0: e^-128 < 2^-184). Method: x log2(e) is
// split into an integer part s and a fraction z; 2^-z = 2^-(j1/16) 2^-(j2/256) e^-(g ln 2) with
// the first two factors read from 16-entry tables by full scans and the last from a degree-11
// Taylor polynomial evaluated by Estrin's scheme (g ln 2 < 2^-8.5, so the truncation is < 2^-130); the product is shifted
// right by s. No branch and no memory address depends on x. Error budget (units of 2^-128):
// x log2(e) is computed <= 131 units low (log2 e truncated, times q <= 127, plus one
// truncated product), which makes the result <= 91 units high; every other step (three table
// entries, 16 truncated products) adds < 30 units either way. The test in timing_safe_test.cc
// checks the bound against the exact interval of exp_exact.h.
#ifndef DPKIT_SRC_RANDOM_EXP_FIXED_H_
#define DPKIT_SRC_RANDOM_EXP_FIXED_H_

#include <cstdint>

namespace dpkit::random::internal {

using uint128 = unsigned __int128;

inline constexpr uint64_t kExpNegFixedErrorUlps = 128;

uint128 ExpNegFixed(uint64_t q, uint128 frac);

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_EXP_FIXED_H_
