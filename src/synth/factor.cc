#include "synth/factor.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace dpkit::synth::internal {

int64_t TableSize(const std::vector<int>& domain, const Attrs& attrs) {
  constexpr int64_t kCap = std::numeric_limits<int64_t>::max() / 2;
  int64_t n = 1;
  for (int a : attrs) {
    const int64_t d = domain[a];
    if (d != 0 && n > kCap / d) return kCap;
    n *= d;
  }
  return n;
}

bool IsSubset(const Attrs& small, const Attrs& big) {
  return std::includes(big.begin(), big.end(), small.begin(), small.end());
}

Attrs Union(const Attrs& a, const Attrs& b) {
  Attrs out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Attrs Intersection(const Attrs& a, const Attrs& b) {
  Attrs out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Attrs Difference(const Attrs& a, const Attrs& b) {
  Attrs out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<uint32_t> IndexMap(const std::vector<int>& domain, const Attrs& big,
                               const Attrs& small) {
  const int k = static_cast<int>(big.size());
  // Stride in the small table of each attribute of big (0 if not in small).
  std::vector<int64_t> small_stride(k, 0);
  {
    int64_t s = 1;
    for (int j = static_cast<int>(small.size()) - 1; j >= 0; --j) {
      const int pos = static_cast<int>(std::lower_bound(big.begin(), big.end(), small[j]) -
                                       big.begin());
      small_stride[pos] = s;
      s *= domain[small[j]];
    }
  }
  const int64_t n = TableSize(domain, big);
  std::vector<uint32_t> map(n);
  if (k == 0) {
    if (n > 0) map[0] = 0;
    return map;
  }
  // Odometer over big, last attribute fastest. The innermost dimension is handled in a tight
  // loop.
  std::vector<int> digit(k, 0);
  const int last = k - 1;
  const int last_size = domain[big[last]];
  const int64_t last_stride = small_stride[last];
  int64_t base = 0;
  for (int64_t i = 0; i < n; i += last_size) {
    for (int v = 0; v < last_size; ++v) {
      map[i + v] = static_cast<uint32_t>(base + v * last_stride);
    }
    // Increment the odometer from the second-to-last digit.
    for (int j = last - 1; j >= 0; --j) {
      base += small_stride[j];
      if (++digit[j] < domain[big[j]]) break;
      base -= small_stride[j] * domain[big[j]];
      digit[j] = 0;
    }
  }
  return map;
}

void SumInto(const std::vector<double>& in, const std::vector<uint32_t>& map, int64_t out_size,
             std::vector<double>* out) {
  out->assign(out_size, 0.0);
  double* o = out->data();
  const size_t n = in.size();
  for (size_t i = 0; i < n; ++i) o[map[i]] += in[i];
}

void ExpShifted(const double* in, double shift, double* out, size_t n) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 0.6931471803691238;      // high bits of ln 2 (exact products)
  constexpr double kLn2Lo = 1.9082149292705877e-10;  // ln 2 - kLn2Hi
  constexpr double kRound = 0x1.8p52;                // adding it rounds to an integer
  constexpr double kMin = -708.0;                    // exp(-708) is the smallest normal range
  const int64_t round_bits = std::bit_cast<int64_t>(kRound);
  for (size_t i = 0; i < n; ++i) {
    const double x = in[i] - shift;
    const double keep = static_cast<double>(x >= kMin);  // 0 below range (and for -inf)
    const double xc = std::max(x, kMin);
    const double k = xc * kLog2e + kRound;
    const double kd = k - kRound;  // nearest integer to x / ln 2
    const double r = (xc - kd * kLn2Hi) - kd * kLn2Lo;
    double p = 1.0 / 479001600.0;  // 1/12!
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    const int64_t e = std::bit_cast<int64_t>(k) - round_bits;  // the integer, exactly
    const double scale = std::bit_cast<double>((e + 1023) << 52);
    out[i] = keep * (p * scale);
  }
}

void AddBroadcast(const std::vector<double>& small, const std::vector<uint32_t>& map,
                  double scale, std::vector<double>* big) {
  double* b = big->data();
  const size_t n = big->size();
  if (scale == 1.0) {
    for (size_t i = 0; i < n; ++i) b[i] += small[map[i]];
  } else {
    for (size_t i = 0; i < n; ++i) b[i] += scale * small[map[i]];
  }
}

Factor Multiply(const std::vector<int>& domain, const Factor& a, const Factor& b) {
  Factor out;
  out.attrs = Union(a.attrs, b.attrs);
  const auto ma = IndexMap(domain, out.attrs, a.attrs);
  const auto mb = IndexMap(domain, out.attrs, b.attrs);
  out.values.resize(ma.size());
  for (size_t i = 0; i < ma.size(); ++i) out.values[i] = a.values[ma[i]] * b.values[mb[i]];
  return out;
}

Factor SumOnto(const std::vector<int>& domain, const Factor& f, const Attrs& keep) {
  Factor out;
  out.attrs = keep;
  if (keep == f.attrs) {
    out.values = f.values;
    return out;
  }
  const auto m = IndexMap(domain, f.attrs, keep);
  SumInto(f.values, m, TableSize(domain, keep), &out.values);
  return out;
}

Factor Expand(const std::vector<int>& domain, const Factor& f, const Attrs& target) {
  Factor out;
  out.attrs = target;
  const auto m = IndexMap(domain, target, f.attrs);
  out.values.resize(m.size());
  for (size_t i = 0; i < m.size(); ++i) out.values[i] = f.values[m[i]];
  return out;
}

}  // namespace dpkit::synth::internal
