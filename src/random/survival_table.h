// Internal: exact inversion of a uniform against a public table of survival probabilities, in
// constant time -- the cumulative distribution table (CDT) behind the small-scale discrete
// Laplace and discrete Gaussian samplers.
//
// For public reals 1 > g_1 > g_2 > ... > g_K > 0 (g_j = P(X >= j) of some X >= 0) and a uniform
// U in [0, 1), Count() returns #{j in [1, K] : U < g_j}, which is X whenever X < K (the caller
// treats K as "X >= K"). The table holds floor(g_j 2^120), and the scan compares 120 random bits
// u (two words: U in [u, u + 1) 2^-120; the other 8 bits are handed back for the caller's sign)
// with EVERY entry -- no early exit, no secret-dependent address or branch; SIMD (AVX-512 or
// AVX2, chosen from the CPU's features, which are public) or scalar masks. An entry with
// floor(g_j 2^120) == u cannot be decided from u alone (probability 2^-120 per entry): then,
// and only then, the comparison with that entry is finished exactly by `exact_below` with
// further random bits of the same U, in variable time.
#ifndef DPKIT_SRC_RANDOM_SURVIVAL_TABLE_H_
#define DPKIT_SRC_RANDOM_SURVIVAL_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "random/bit_pool.h"
#include "random/exp_exact.h"
#include "random/fixed_words.h"

namespace dpkit::random::internal {

using uint128 = unsigned __int128;

class SurvivalTable {
 public:
  // Exactly whether U < g_j, for j in [1, K] (U known through `u`'s words).
  using ExactBelow = std::function<bool(LazyUniform& u, size_t j)>;

  // floors[j - 1] = floor(g_j 2^128), non-increasing; `exact_below` decides ties.
  SurvivalTable(const std::vector<uint128>& floors, ExactBelow exact_below);

  // #{j in [1, K] : U < g_j} for a fresh uniform U drawn from `pool` (two 64-bit words, more
  // on a tie). `spare`, if given, receives 8 further random bits independent of the count.
  size_t Count(BitPool& pool, uint64_t* spare = nullptr) const;
  size_t size() const { return size_; }
  // floor(g_j 2^128) with its last 8 bits cleared, j in [1, K].
  uint128 floor(size_t j) const { return (uint128{hi_[j - 1]} << 64) | (lo_[j - 1] << kSpareBits); }

  static constexpr int kSpareBits = 8;

  // The scan over a 128-bit u: number of entries > u, and whether an entry equals u.
  struct ScanResult {
    uint64_t above = 0;
    uint64_t tie = 0;  // non-zero if some entry == u
  };
  using ScanFn = ScanResult (*)(const uint64_t* hi, const uint64_t* lo, size_t n, uint64_t u_hi,
                                uint64_t u_lo);
  // The scans this CPU can run (the portable one first); the table uses the last.
  static std::vector<ScanFn> AvailableScans();

 private:
  size_t size_;
  // floor(g_j 2^120) as 64 high and 56 low bits, zero-padded to a multiple of 8 entries.
  std::vector<uint64_t> hi_, lo_;
  ExactBelow exact_below_;
  ScanFn scan_;
};

// Tables end at the first survival probability below 2^-kTailBits, so the variable-time draw
// beyond the table happens with at most that probability.
inline constexpr int kTailBits = 100;
inline constexpr uint128 kTailFloor = uint128{1} << (128 - kTailBits);

// floor(g_j 2^128) for j = 1, 2, ... from enclosures entry(j, words) of g_j, until
// done(j, floor); with 256-bit enclosures, or 512, ... while some floor is undecided.
std::vector<uint128> TableFloors(const std::function<FixedInterval(size_t j, int words)>& entry,
                                 const std::function<bool(size_t j, uint128 floor)>& done);

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_SURVIVAL_TABLE_H_
