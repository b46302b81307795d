// Poisson sampling of a batch with exact Bernoulli(q) per row, 16 random bits per row.
//
// Exactness: q is a double, so s = q * 2^16 is exact (scaling by a power of two), and so are
// m = floor(s) in [0, 2^16] and r = s - m in [0, 1). With u a uniform 16-bit integer, a row
// joins when u < m, or when u == m and an exact Bernoulli(r) succeeds:
//   P(join) = m / 2^16 + (1 / 2^16) r = q.
// The 16-bit draws come from the generator in bulk; the comparison is branch-free (with AVX-512,
// 32 rows per compare and compressed stores of the joining rows' indices; the same rows), and
// the fallback (probability 2^-16 per row) uses random::BernoulliDouble. Rows are independent.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "dpkit/base/cpu.h"
#include "dpkit/random/samplers.h"
#include "dpkit/train/dp_sgd.h"

namespace dpkit::train {
namespace {

constexpr int kBits = 16;
constexpr int64_t kRowsPerFill = 4096;
// Writes first + j for every u[j] < m (j < len), in order, to out (room for len entries: a store
// of 8 lanes for rows [r, r + 8) starts at out[k], k <= r); returns how many; *tie |= some
// u[j] == m. No branch depends on u (the store position k, the count so far, does, as before).
int64_t SelectBelowScalar(const uint16_t* u, int64_t len, uint32_t m, int64_t first,
                          int64_t* out, bool* tie) {
  int64_t k = 0;
  bool t = false;
  for (int64_t j = 0; j < len; ++j) {
    out[k] = first + j;
    k += u[j] < m;
    t |= u[j] == m;
  }
  *tie |= t;
  return k;
}

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw,popcnt"))) int64_t SelectBelowAvx512(
    const uint16_t* u, int64_t len, uint32_t m, int64_t first, int64_t* out, bool* tie) {
  const __m512i threshold = _mm512_set1_epi16(static_cast<int16_t>(m));  // m < 2^16 (q < 1)
  const __m512i eight = _mm512_set1_epi64(8);
  __m512i index = _mm512_add_epi64(_mm512_set1_epi64(first), _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0));
  __mmask32 ties = 0;
  int64_t k = 0, j = 0;
  for (; j + 32 <= len; j += 32) {
    const __m512i v = _mm512_loadu_si512(u + j);
    const __mmask32 below = _mm512_cmplt_epu16_mask(v, threshold);
    ties |= _mm512_cmpeq_epu16_mask(v, threshold);
    for (int part = 0; part < 4; ++part) {
      const __mmask8 lanes = static_cast<__mmask8>(below >> (8 * part));
      _mm512_storeu_si512(out + k, _mm512_maskz_compress_epi64(lanes, index));
      k += _mm_popcnt_u32(lanes);
      index = _mm512_add_epi64(index, eight);
    }
  }
  *tie |= ties != 0;
  return k + SelectBelowScalar(u + j, len - j, m, first + j, out + k, tie);
}
#endif

using SelectFn = int64_t (*)(const uint16_t*, int64_t, uint32_t, int64_t, int64_t*, bool*);

SelectFn BestSelectBelow() {
#if defined(__x86_64__)
  if (cpu::UseAvx512()) return &SelectBelowAvx512;
#endif
  return &SelectBelowScalar;
}

}  // namespace

void AppendPoissonSample(random::BitGenerator& gen, int64_t begin, int64_t end, double q,
                         std::vector<int64_t>& out) {
  if (!(q > 0) || end <= begin) return;  // q <= 0 or NaN: nobody joins
  if (q >= 1) {
    for (int64_t i = begin; i < end; ++i) out.push_back(i);
    return;
  }
  const double s = std::ldexp(q, kBits);
  const double m_floor = std::floor(s);
  const uint32_t m = static_cast<uint32_t>(m_floor);
  const double r = s - m_floor;
  static const SelectFn select_below = BestSelectBelow();
  uint16_t u[kRowsPerFill];
  std::vector<int64_t> chunk(kRowsPerFill);
  for (int64_t start = begin; start < end; start += kRowsPerFill) {
    const int64_t len = std::min(kRowsPerFill, end - start);
    gen.Fill(u, sizeof(uint16_t) * static_cast<size_t>(len));
    bool tie = false;
    int64_t k = select_below(u, len, m, start, chunk.data(), &tie);
    if (tie) {  // rare: redo the chunk's selection in order, resolving ties exactly
      k = 0;
      for (int64_t j = 0; j < len; ++j) {
        if (u[j] < m || (u[j] == m && random::BernoulliDouble(gen, r))) chunk[k++] = start + j;
      }
    }
    out.insert(out.end(), chunk.begin(), chunk.begin() + k);
  }
}

std::vector<int64_t> PoissonSampleIndices(random::BitGenerator& gen, int64_t n, double q) {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(std::min<double>(n, n * q * 1.2 + 16)));
  AppendPoissonSample(gen, 0, n, q, out);
  return out;
}

}  // namespace dpkit::train
