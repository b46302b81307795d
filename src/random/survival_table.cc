#include "random/survival_table.h"

#include "random/ct.h"
#include "random/fixed_words.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace dpkit::random::internal {
namespace {

constexpr size_t kPad = 8;  // entries per AVX-512 vector

// Portable scan: 128-bit comparisons by borrow and masks.
SurvivalTable::ScanResult ScanScalar(const uint64_t* hi, const uint64_t* lo, size_t n,
                                     uint64_t u_hi, uint64_t u_lo) {
  const uint128 u = ct::U128(u_hi, u_lo);
  uint64_t above = 0, tie = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint128 entry = ct::U128(hi[i], lo[i]);
    above += ct::Less(u, entry);
    tie |= ct::EqualMask(hi[i], u_hi) & ct::EqualMask(lo[i], u_lo);
  }
  return {above, tie};
}

#if defined(__x86_64__)
// Four entries per step. AVX2 compares signed 64-bit lanes: flipping the sign bits of both
// sides turns them into unsigned comparisons.
__attribute__((target("avx2"))) SurvivalTable::ScanResult ScanAvx2(const uint64_t* hi,
                                                                   const uint64_t* lo, size_t n,
                                                                   uint64_t u_hi, uint64_t u_lo) {
  const __m256i sign = _mm256_set1_epi64x(static_cast<int64_t>(uint64_t{1} << 63));
  const __m256i uh = _mm256_set1_epi64x(static_cast<int64_t>(u_hi ^ (uint64_t{1} << 63)));
  const __m256i ul = _mm256_set1_epi64x(static_cast<int64_t>(u_lo ^ (uint64_t{1} << 63)));
  __m256i above = _mm256_setzero_si256(), tie = _mm256_setzero_si256();
  for (size_t i = 0; i < n; i += 4) {
    const __m256i h =
        _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(hi + i)), sign);
    const __m256i l =
        _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(lo + i)), sign);
    const __m256i h_eq = _mm256_cmpeq_epi64(h, uh);
    const __m256i greater = _mm256_or_si256(_mm256_cmpgt_epi64(h, uh),
                                            _mm256_and_si256(h_eq, _mm256_cmpgt_epi64(l, ul)));
    above = _mm256_sub_epi64(above, greater);  // greater lanes are -1
    tie = _mm256_or_si256(tie, _mm256_and_si256(h_eq, _mm256_cmpeq_epi64(l, ul)));
  }
  alignas(32) uint64_t a[4], t[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(a), above);
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), tie);
  return {a[0] + a[1] + a[2] + a[3], t[0] | t[1] | t[2] | t[3]};
}

// Eight entries per step with unsigned mask compares; counts accumulate in a vector.
__attribute__((target("avx512f"))) SurvivalTable::ScanResult ScanAvx512(const uint64_t* hi,
                                                                        const uint64_t* lo,
                                                                        size_t n, uint64_t u_hi,
                                                                        uint64_t u_lo) {
  const __m512i uh = _mm512_set1_epi64(static_cast<int64_t>(u_hi));
  const __m512i ul = _mm512_set1_epi64(static_cast<int64_t>(u_lo));
  const __m512i one = _mm512_set1_epi64(1);
  __m512i above = _mm512_setzero_si512();
  __mmask8 tie = 0;
  for (size_t i = 0; i < n; i += 8) {
    const __m512i h = _mm512_loadu_si512(hi + i), l = _mm512_loadu_si512(lo + i);
    const __mmask8 h_eq = _mm512_cmpeq_epu64_mask(h, uh);
    const __mmask8 greater =
        _mm512_cmpgt_epu64_mask(h, uh) | (h_eq & _mm512_cmpgt_epu64_mask(l, ul));
    above = _mm512_mask_add_epi64(above, greater, above, one);
    tie |= h_eq & _mm512_cmpeq_epu64_mask(l, ul);
  }
  // A store and a scalar sum (GCC 12's _mm512_reduce_add_epi64 trips -Wuninitialized).
  alignas(64) uint64_t a[8];
  _mm512_store_si512(a, above);
  uint64_t sum = 0;
  for (uint64_t v : a) sum += v;
  return {sum, static_cast<uint64_t>(tie)};
}
#endif

}  // namespace

std::vector<SurvivalTable::ScanFn> SurvivalTable::AvailableScans() {
  std::vector<ScanFn> scans = {&ScanScalar};
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) scans.push_back(&ScanAvx2);
  if (__builtin_cpu_supports("avx512f")) scans.push_back(&ScanAvx512);
#endif
  return scans;
}

SurvivalTable::SurvivalTable(const std::vector<uint128>& floors, ExactBelow exact_below)
    : size_(floors.size()), exact_below_(std::move(exact_below)), scan_(AvailableScans().back()) {
  const size_t padded = (size_ + kPad - 1) / kPad * kPad;
  hi_.assign(padded, 0);
  lo_.assign(padded, 0);
  for (size_t i = 0; i < size_; ++i) {
    hi_[i] = ct::Hi(floors[i]);
    lo_[i] = ct::Lo(floors[i]) >> kSpareBits;
  }
}

size_t SurvivalTable::Count(BitPool& pool, uint64_t* spare) const {
  const uint64_t u_hi = pool.Next64(), word = pool.Next64();
  const uint64_t u_lo = word >> kSpareBits;
  if (spare != nullptr) *spare = word & ((uint64_t{1} << kSpareBits) - 1);
  const ScanResult r = scan_(hi_.data(), lo_.data(), hi_.size(), u_hi, u_lo);
  if (ct::Barrier(r.tie) == 0) [[likely]]
    return static_cast<size_t>(r.above);
  // u equals floor(g_j 2^120) for some j (zero padding stands for g = 0, which U never lies
  // below): every other entry is decided by u, those exactly, with U's next 8 bits fresh (the
  // spare ones went to the caller) and more as needed.
  LazyUniform u(pool, ct::U128(u_hi, (u_lo << kSpareBits) | pool.Bits(kSpareBits)));
  size_t count = static_cast<size_t>(r.above);
  for (size_t i = 0; i < size_; ++i) {
    if (hi_[i] == u_hi && lo_[i] == u_lo) count += exact_below_(u, i + 1) ? 1 : 0;
  }
  return count;
}

std::vector<uint128> TableFloors(const std::function<FixedInterval(size_t j, int words)>& entry,
                                 const std::function<bool(size_t j, uint128 floor)>& done) {
  for (int words = 4;; words *= 2) {
    std::vector<uint128> floors;
    for (size_t j = 1;; ++j) {
      // The enclosure decides floor(g_j 2^128) when both its ends have that floor.
      const FixedInterval g = entry(j, words);
      const uint128 f = FixedToFraction128(g.lo, false);
      if (FixedToFraction128(g.hi, false) != f || g.lo.back() != 0 || g.hi.back() != 0) break;
      floors.push_back(f);
      if (done(j, f)) return floors;
    }
  }
}

}  // namespace dpkit::random::internal
