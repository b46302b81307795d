// Poisson sampling of a batch with exact Bernoulli(q) per row, 16 random bits per row.
//
// Exactness: q is a double, so s = q * 2^16 is exact (scaling by a power of two), and so are
// m = floor(s) in [0, 2^16] and r = s - m in [0, 1). With u a uniform 16-bit integer, a row
// joins when u < m, or when u == m and an exact Bernoulli(r) succeeds:
//   P(join) = m / 2^16 + (1 / 2^16) r = q.
// The 16-bit draws come from the generator in bulk; the comparison is branch-free, and the
// fallback (probability 2^-16 per row) uses random::BernoulliDouble. Rows are independent.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "dpkit/random/samplers.h"
#include "dpkit/train/dp_sgd.h"

namespace dpkit::train {
namespace {

constexpr int kBits = 16;
constexpr int64_t kRowsPerFill = 4096;

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
  uint16_t u[kRowsPerFill];
  std::vector<int64_t> chunk(kRowsPerFill);
  for (int64_t start = begin; start < end; start += kRowsPerFill) {
    const int64_t len = std::min(kRowsPerFill, end - start);
    gen.Fill(u, sizeof(uint16_t) * static_cast<size_t>(len));
    int64_t k = 0;
    bool tie = false;
    for (int64_t j = 0; j < len; ++j) {
      chunk[k] = start + j;
      k += u[j] < m;
      tie |= u[j] == m;
    }
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
