// Internal: branch-free ("constant-time") arithmetic on 128-bit fixed-point numbers.
//
// Everything here runs in time independent of its operands on x86-64 and AArch64: only
// additions, subtractions, 64x64->128 multiplications, shifts by amounts that are not secret or
// that compile to shifts plus conditional moves, and masks. Comparisons produce all-ones/zero
// masks through arithmetic (no data-dependent branch); Barrier() stops the compiler from turning
// a mask back into a branch or a secret-indexed load.
#ifndef DPKIT_SRC_RANDOM_CT_H_
#define DPKIT_SRC_RANDOM_CT_H_

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dpkit::random::ct {

using uint128 = unsigned __int128;

constexpr uint128 U128(uint64_t hi, uint64_t lo) { return (uint128{hi} << 64) | lo; }
inline uint64_t Hi(uint128 x) { return static_cast<uint64_t>(x >> 64); }
inline uint64_t Lo(uint128 x) { return static_cast<uint64_t>(x); }

// Hides a value from the optimiser so that masks built from it stay arithmetic.
template <typename T>
inline T Barrier(T x) {
  asm volatile("" : "+r"(x));
  return x;
}
inline uint128 Barrier(uint128 x) {
  uint64_t hi = Barrier(Hi(x)), lo = Barrier(Lo(x));
  return U128(hi, lo);
}

// All-ones if a < b, else zero (borrow of a - b).
inline uint64_t LessMask(uint128 a, uint128 b) {
  const uint64_t a_hi = Hi(a), a_lo = Lo(a), b_hi = Hi(b), b_lo = Lo(b);
  const uint64_t borrow_lo = static_cast<uint64_t>(a_lo < b_lo);
  // (a_hi - b_hi - borrow_lo) borrows iff a < b; computed without branches.
  const uint128 diff = static_cast<uint128>(a_hi) - b_hi - borrow_lo;
  return Barrier(static_cast<uint64_t>(0) - static_cast<uint64_t>(diff >> 127));
}
inline uint64_t Less(uint128 a, uint128 b) { return LessMask(a, b) & 1; }
// All-ones if a == b (64-bit), else zero.
inline uint64_t EqualMask(uint64_t a, uint64_t b) {
  const uint64_t x = a ^ b;
  // (x | -x) has its top bit set iff x != 0.
  return Barrier(((x | (0 - x)) >> 63) - 1);
}
inline uint128 Select(uint64_t mask, uint128 if_set, uint128 if_clear) {
  const uint128 m = U128(mask, mask);
  return (if_set & m) | (if_clear & ~m);
}

// Reads table[index] (index < n < 2^31) by touching every entry (no secret-dependent address): each entry is
// ANDed with an all-ones/zero mask and ORed in. With SSE2 (every x86-64) one 128-bit compare
// makes the mask of a whole entry.
inline uint128 Lookup(const uint128* table, int n, uint64_t index) {
  index = Barrier(index);
#if defined(__SSE2__)
  const __m128i key = _mm_set1_epi32(static_cast<int>(index));
  __m128i acc = _mm_setzero_si128();
  for (int i = 0; i < n; ++i) {
    const __m128i mask = _mm_cmpeq_epi32(key, _mm_set1_epi32(i));
    __m128i entry;
    std::memcpy(&entry, &table[i], sizeof(entry));
    acc = _mm_or_si128(acc, _mm_and_si128(entry, mask));
  }
  uint128 out;
  std::memcpy(&out, &acc, sizeof(out));
  return out;
#else
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t mask = 0 - static_cast<uint64_t>(static_cast<uint64_t>(i) == index);
    hi |= Hi(table[i]) & mask;
    lo |= Lo(table[i]) & mask;
  }
  return U128(hi, lo);
#endif
}
template <int N>
inline uint128 Lookup(const uint128 (&table)[N], uint64_t index) {
  return Lookup(table, N, index);
}

// floor(a * b / 2^128) - e, 0 <= e < 3 (the low*low product and two carries are dropped).
inline uint128 MulHi(uint128 a, uint128 b) {
  const uint128 hh = static_cast<uint128>(Hi(a)) * Hi(b);
  const uint128 hl = static_cast<uint128>(Hi(a)) * Lo(b);
  const uint128 lh = static_cast<uint128>(Lo(a)) * Hi(b);
  return hh + (hl >> 64) + (lh >> 64);
}

// The full 256-bit product a * b as (high, low).
inline void Mul256(uint128 a, uint128 b, uint128* high, uint128* low) {
  const uint128 ll = static_cast<uint128>(Lo(a)) * Lo(b);
  const uint128 hl = static_cast<uint128>(Hi(a)) * Lo(b);
  const uint128 lh = static_cast<uint128>(Lo(a)) * Hi(b);
  const uint128 hh = static_cast<uint128>(Hi(a)) * Hi(b);
  const uint128 mid = (ll >> 64) + Lo(hl) + Lo(lh);  // < 3 * 2^64
  *low = (mid << 64) | Lo(ll);
  *high = hh + (hl >> 64) + (lh >> 64) + (mid >> 64);
}

// x >> s for s in [0, 255] (zero for s >= 128), without a branch on s.
inline uint128 ShiftRight(uint128 x, uint64_t s) {
  const uint64_t in_range = Barrier(static_cast<uint64_t>(0) - static_cast<uint64_t>(s < 128));
  const uint64_t s7 = s & 127;
  // Shift in two steps so no single shift count reaches 128 (undefined behaviour).
  const uint128 shifted = (x >> (s7 >> 1)) >> (s7 - (s7 >> 1));
  return Select(in_range, shifted, 0);
}

// magnitude with the sign given by bit 0 of `sign_bit` (1: negative), without a branch.
inline int64_t WithSign(uint64_t sign_bit, uint64_t magnitude) {
  const uint64_t negative = Barrier(0 - (sign_bit & 1));
  return static_cast<int64_t>((magnitude ^ negative) - negative);
}

// x << s for s in [0, 127], without a branch on s.
inline uint128 ShiftLeft(uint128 x, uint64_t s) {
  const uint64_t s7 = Barrier(s & 127);
  return (x << (s7 >> 1)) << (s7 - (s7 >> 1));
}

}  // namespace dpkit::random::ct

#endif  // DPKIT_SRC_RANDOM_CT_H_
