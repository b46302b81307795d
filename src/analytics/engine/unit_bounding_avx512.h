// Internal to unit_bounding.cc: the AVX-512 kernels of the unit bounding (unit_bounding.h, step
// 3). Each computes exactly the values and comparisons of the portable code it replaces in
// unit_bounding.cc, for up to kVectorRankMax (or 8) candidates or eight entries at a time;
// callers use them only where cpu::UseAvx512() (dpkit/base/cpu.h). No branch depends on the
// salt or on priorities; the timing notes are in unit_bounding.h.
#ifndef DPKIT_SRC_ANALYTICS_ENGINE_UNIT_BOUNDING_AVX512_H_
#define DPKIT_SRC_ANALYTICS_ENGINE_UNIT_BOUNDING_AVX512_H_

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "analytics/engine/unit_bounding.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace dpkit::analytics::engine::avx512 {

// Up to this many candidates, ranks are counted in AVX-512 vector compares where the CPU has
// them (KeepFirstAvx512).
constexpr uint32_t kVectorRankMax = 16;

#if defined(__x86_64__)
// AVX-512 F (compares), DQ (64-bit products), VL (masked 256-bit loads), BW (masked byte
// stores) and BMI2 (pdep).
#define DPKIT_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,bmi2,popcnt")))

// Mix64 of eight lanes.
DPKIT_AVX512 inline __m512i Mix64x8(__m512i x) {
  x = _mm512_add_epi64(x, _mm512_set1_epi64(static_cast<int64_t>(0x9E3779B97F4A7C15ull)));
  x = _mm512_mullo_epi64(_mm512_xor_si512(x, _mm512_maskz_srli_epi64(0xff, x, 30)),
                         _mm512_set1_epi64(static_cast<int64_t>(0xBF58476D1CE4E5B9ull)));
  x = _mm512_mullo_epi64(_mm512_xor_si512(x, _mm512_maskz_srli_epi64(0xff, x, 27)),
                         _mm512_set1_epi64(static_cast<int64_t>(0x94D049BB133111EBull)));
  return _mm512_xor_si512(x, _mm512_maskz_srli_epi64(0xff, x, 31));
}

// A run's row priorities pr[k] = Mix64(base + k * kRowPhi) for k < 16 (pr has room for 16).
DPKIT_AVX512 inline void RowPrioritiesAvx512(uint64_t base, uint64_t* pr) {
  const __m512i k0 = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i phi = _mm512_set1_epi64(static_cast<int64_t>(kRowPhi));
  const __m512i b0 =
      _mm512_add_epi64(_mm512_set1_epi64(static_cast<int64_t>(base)), _mm512_mullo_epi64(k0, phi));
  const __m512i b1 = _mm512_add_epi64(b0, _mm512_maskz_slli_epi64(0xff, phi, 3));  // + 8 * kRowPhi
  _mm512_storeu_si512(pr, Mix64x8(b0));
  _mm512_storeu_si512(pr + 8, Mix64x8(b1));
}

// A unit's group priorities pr[i] = Mix64(salt ^ Mix64(unit ^ group_hash[gid[i]])), i < n <= 16.
DPKIT_AVX512 inline void GroupPrioritiesAvx512(uint64_t unit, uint64_t salt,
                                               const uint64_t* group_hash, const int32_t* gid,
                                               uint32_t n, uint64_t* pr) {
  const uint32_t lanes = (uint32_t{1} << n) - 1;
  const __m512i u = _mm512_set1_epi64(static_cast<int64_t>(unit));
  const __m512i sl = _mm512_set1_epi64(static_cast<int64_t>(salt));
  for (int half = 0; half < 2; ++half) {
    const __mmask8 m = static_cast<__mmask8>(lanes >> (8 * half));
    const __m256i idx = _mm256_maskz_loadu_epi32(m, gid + 8 * half);
    const __m512i h = _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), m, idx, group_hash, 8);
    const __m512i x = Mix64x8(_mm512_xor_si512(sl, Mix64x8(_mm512_xor_si512(u, h))));
    _mm512_mask_storeu_epi64(pr + 8 * half, m, x);
  }
}

// keep[k] = 1 for the `first` of pr[0 .. n) that are smallest (ties broken by the smaller
// tie[k] when kTie), 0 for the others, n <= kVectorRankMax: each one's rank is the popcount of
// its unsigned compares with all n (eight 64-bit lanes at a time; ties in 16 32-bit lanes).
// The same comparisons, so the same result, as the scalar rank count; masked loads read
// nothing past n.
template <bool kTie>
DPKIT_AVX512 inline void KeepFirstAvx512(const uint64_t* pr, const int32_t* tie, uint32_t n,
                                         int64_t first, uint8_t* keep) {
  const uint32_t lanes = (uint32_t{1} << n) - 1;  // n <= 16
  const __mmask8 m0 = static_cast<__mmask8>(lanes), m1 = static_cast<__mmask8>(lanes >> 8);
  const __m512i p0 = _mm512_maskz_loadu_epi64(m0, pr);
  const __m512i p1 = _mm512_maskz_loadu_epi64(m1, pr + 8);
  __m512i t = _mm512_setzero_si512();  // 16 lanes of 32 bits
  if constexpr (kTie) t = _mm512_maskz_loadu_epi32(static_cast<__mmask16>(lanes), tie);
  for (uint32_t k = 0; k < n; ++k) {
    const __m512i pk = _mm512_set1_epi64(static_cast<int64_t>(pr[k]));
    uint32_t before = _mm512_mask_cmplt_epu64_mask(m0, p0, pk) |
                      (uint32_t{_mm512_mask_cmplt_epu64_mask(m1, p1, pk)} << 8);
    if constexpr (kTie) {
      const uint32_t equal = _mm512_mask_cmpeq_epu64_mask(m0, p0, pk) |
                             (uint32_t{_mm512_mask_cmpeq_epu64_mask(m1, p1, pk)} << 8);
      before |= equal & _mm512_cmplt_epi32_mask(t, _mm512_set1_epi32(tie[k]));
    }
    const int64_t rank = std::popcount(before);
    keep[k] = rank < first ? 1 : 0;
  }
}

// KeepFirst8Lanes's count for rotation r: lane k's rank += 1 if lane (k + r) mod 8 (< n by m)
// comes before it.
template <bool kTie, int r>
DPKIT_AVX512 inline __m512i CountRotation(__m512i p, __m512i t, uint32_t m, __m512i rank) {
  const __m512i pr_r = _mm512_maskz_alignr_epi64(0xff, p, p, r);
  uint32_t before = _mm512_cmplt_epu64_mask(pr_r, p);
  if constexpr (kTie) {
    before |= _mm512_cmpeq_epu64_mask(pr_r, p) &
              _mm512_cmplt_epi64_mask(_mm512_maskz_alignr_epi64(0xff, t, t, r), t);
  }
  const uint32_t valid = ((m >> r) | (m << (8 - r))) & 0xff;
  return _mm512_mask_add_epi64(rank, static_cast<__mmask8>(before & valid), rank,
                               _mm512_set1_epi64(1));
}

// KeepFirstAvx512's result for n <= 8 priorities in p's lanes (ties by t's, 64-bit, when kTie),
// without a loop over the candidates: lane k's rank is counted against lane (k + r) mod 8 for the
// seven rotations r (lanes past n never count), the same comparisons; keep[0 .. n) written by one
// masked byte store.
template <bool kTie>
DPKIT_AVX512 inline void KeepFirst8Lanes(__m512i p, __m512i t, uint32_t n, int64_t first,
                                         uint8_t* keep) {
  const uint32_t m = (uint32_t{1} << n) - 1;  // n <= 8
  __m512i rank = _mm512_setzero_si512();
  rank = CountRotation<kTie, 1>(p, t, m, rank);
  rank = CountRotation<kTie, 2>(p, t, m, rank);
  rank = CountRotation<kTie, 3>(p, t, m, rank);
  rank = CountRotation<kTie, 4>(p, t, m, rank);
  rank = CountRotation<kTie, 5>(p, t, m, rank);
  rank = CountRotation<kTie, 6>(p, t, m, rank);
  rank = CountRotation<kTie, 7>(p, t, m, rank);
  const uint32_t kept = _mm512_cmplt_epi64_mask(rank, _mm512_set1_epi64(first));
  _mm_mask_storeu_epi8(
      keep, static_cast<__mmask16>(m),
      _mm_cvtsi64_si128(static_cast<int64_t>(_pdep_u64(kept, 0x0101010101010101ull))));
}

// A unit of n <= 8 groups (gid[0 .. n)): its group priorities (as GroupPrioritiesAvx512) and
// the `first` kept (as KeepFirstAvx512), in registers, without storing the priorities.
DPKIT_AVX512 inline void KeepGroups8Avx512(uint64_t unit, uint64_t salt, const uint64_t* group_hash,
                                           const int32_t* gid, uint32_t n, int64_t first,
                                           uint8_t* keep) {
  const __mmask8 m = static_cast<__mmask8>((uint32_t{1} << n) - 1);
  const __m256i idx = _mm256_maskz_loadu_epi32(m, gid);
  const __m512i h = _mm512_mask_i32gather_epi64(_mm512_setzero_si512(), m, idx, group_hash, 8);
  const __m512i p = Mix64x8(_mm512_xor_si512(
      _mm512_set1_epi64(static_cast<int64_t>(salt)),
      Mix64x8(_mm512_xor_si512(_mm512_set1_epi64(static_cast<int64_t>(unit)), h))));
  KeepFirst8Lanes<true>(p, _mm512_maskz_cvtepi32_epi64(0xff, idx), n, first, keep);
}

// A run of c <= 8 rows: its row priorities (as RowPrioritiesAvx512) and the `first` kept, in
// registers.
DPKIT_AVX512 inline void KeepRows8Avx512(uint64_t base, uint32_t c, int64_t first, uint8_t* keep) {
  const __m512i k0 = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i p = Mix64x8(
      _mm512_add_epi64(_mm512_set1_epi64(static_cast<int64_t>(base)),
                       _mm512_mullo_epi64(k0, _mm512_set1_epi64(static_cast<int64_t>(kRowPhi)))));
  KeepFirst8Lanes<false>(p, _mm512_setzero_si512(), c, first, keep);
}

// Exclusive prefix counts of an 8-bit mask: byte l of kPrefix8[mask] = popcount(mask & (2^l - 1)).
constexpr std::array<uint64_t, 256> MakePrefix8() {
  std::array<uint64_t, 256> t{};
  for (uint32_t mask = 0; mask < 256; ++mask) {
    for (uint32_t l = 0; l < 8; ++l) {
      t[mask] |= static_cast<uint64_t>(std::popcount(mask & ((1u << l) - 1))) << (8 * l);
    }
  }
  return t;
}
inline constexpr std::array<uint64_t, 256> kPrefix8 = MakePrefix8();

// Selector::Runs's loop for ValueEntry (keys at every other word from `keys`) on entries
// [i, i + 8) at a time from i = 1 while i + 8 <= m: the same slots get the same values (the
// scalar loop writes each slot again until a new unit / run moves past it; here only the final
// value, with up to 7 more slots written past the count, which later ones overwrite: the arrays
// need 8 slots of slack). Returns the first entry not done.
DPKIT_AVX512 inline size_t RunsAvx512(const uint64_t* keys, size_t m, int gb, uint32_t* run_start,
                                      uint32_t* unit_run, int32_t* run_gid, uint32_t* run_of,
                                      uint32_t* runs_io, uint32_t* units_io) {
  const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i shift = _mm512_set1_epi64(gb);
  const __m512i gid_mask = _mm512_set1_epi64(static_cast<int64_t>((uint64_t{1} << gb) - 1));
  const __m256i lane = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
  const __m256i one = _mm256_set1_epi32(1);
  uint32_t runs = *runs_io, units = *units_io;
  size_t i = 1;
  for (; i + 8 <= m; i += 8) {
    const uint64_t* at = keys + 2 * i;
    const __m512i k =
        _mm512_permutex2var_epi64(_mm512_loadu_si512(at), even, _mm512_loadu_si512(at + 8));
    const __m512i p =
        _mm512_permutex2var_epi64(_mm512_loadu_si512(at - 2), even, _mm512_loadu_si512(at + 6));
    const __mmask8 differs = _mm512_cmpneq_epu64_mask(k, p);
    const __mmask8 new_unit = _mm512_cmpneq_epu64_mask(_mm512_maskz_srlv_epi64(0xff, k, shift),
                                                       _mm512_maskz_srlv_epi64(0xff, p, shift));
    const __m256i before =
        _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<int64_t>(kPrefix8[differs])));
    const __m256i runs_before = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(runs)), before);
    const __m256i index = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(i)), lane);
    const __m256i gid = _mm512_maskz_cvtepi64_epi32(0xff, _mm512_and_si512(k, gid_mask));
    _mm256_storeu_si256(
        reinterpret_cast<__m256i*>(run_of + i),
        _mm256_sub_epi32(_mm256_mask_add_epi32(runs_before, differs, runs_before, one), one));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(run_start + runs),
                        _mm256_maskz_compress_epi32(differs, index));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(run_gid + runs),
                        _mm256_maskz_compress_epi32(differs, gid));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(unit_run + units),
                        _mm256_maskz_compress_epi32(new_unit, runs_before));
    runs += static_cast<uint32_t>(std::popcount(static_cast<uint32_t>(differs)));
    units += static_cast<uint32_t>(std::popcount(static_cast<uint32_t>(new_unit)));
  }
  *runs_io = runs;
  *units_io = units;
  return i;
}

// Selector::Sort's search for sub-buckets of several units, for ValueEntry keys at every other
// word from `keys`: the same compares as its scalar loop (entry i starts another unit than entry
// i - 1 in the same sub-bucket), eight entries at a time from i = 1 while i + 8 <= m; calls
// found(i) for each such i, in order. Returns the first entry not examined.
template <typename Found>
DPKIT_AVX512 inline size_t SeveralUnitsAvx512(const uint64_t* keys, size_t m, int gb, int shift,
                                              uint64_t smask, Found&& found) {
  const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i gbv = _mm512_set1_epi64(gb), shiftv = _mm512_set1_epi64(shift);
  const __m512i maskv = _mm512_set1_epi64(static_cast<int64_t>(smask));
  size_t i = 1;
  for (; i + 8 <= m; i += 8) {
    const uint64_t* at = keys + 2 * i;
    const __m512i k = _mm512_maskz_srlv_epi64(
        0xff, _mm512_permutex2var_epi64(_mm512_loadu_si512(at), even, _mm512_loadu_si512(at + 8)),
        gbv);
    const __m512i p = _mm512_maskz_srlv_epi64(
        0xff,
        _mm512_permutex2var_epi64(_mm512_loadu_si512(at - 2), even, _mm512_loadu_si512(at + 6)),
        gbv);
    const __m512i ks = _mm512_and_si512(_mm512_maskz_srlv_epi64(0xff, k, shiftv), maskv);
    const __m512i ps = _mm512_and_si512(_mm512_maskz_srlv_epi64(0xff, p, shiftv), maskv);
    uint32_t several = _mm512_cmpneq_epu64_mask(k, p) & _mm512_cmpeq_epu64_mask(ks, ps);
    for (; several != 0; several &= several - 1) found(i + std::countr_zero(several));
  }
  return i;
}
#endif

}  // namespace dpkit::analytics::engine::avx512

#endif  // DPKIT_SRC_ANALYTICS_ENGINE_UNIT_BOUNDING_AVX512_H_
