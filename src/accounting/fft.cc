#include "accounting/fft.h"

#include <cmath>
#include <utility>

namespace dpkit::accounting::internal {

Fft::Fft(size_t n) : n_(n), twiddle_(n > 1 ? n - 1 : 1), bitrev_(n) {
  // Largest stage (half = n/2): exp(-2 pi i k / n), computed directly for full accuracy; the
  // smaller stages are strided copies of it (exp(-2 pi i k / len) = W_n^{k n / len}).
  const size_t top = n / 2;
  for (size_t k = 0; k < top; ++k) {
    const double angle = -2.0 * M_PI * static_cast<double>(k) / static_cast<double>(n);
    twiddle_[top - 1 + k] = {std::cos(angle), std::sin(angle)};
  }
  for (size_t half = top / 2; half >= 1; half /= 2) {
    const size_t stride = top / half;
    for (size_t k = 0; k < half; ++k) twiddle_[half - 1 + k] = twiddle_[top - 1 + k * stride];
  }
  // Bit reversal, built incrementally: rev(i) = rev(i >> 1) >> 1 | (i & 1) << (bits - 1).
  int bits = 0;
  while ((size_t{1} << bits) < n) ++bits;
  bitrev_[0] = 0;
  for (size_t i = 1; i < n; ++i) {
    bitrev_[i] = (bitrev_[i >> 1] >> 1) | static_cast<uint32_t>((i & 1) << (bits - 1));
  }
}

void Fft::Forward(std::vector<std::complex<double>>& data) const { Transform(data); }

void Fft::Inverse(std::vector<std::complex<double>>& data) const {
  // ifft(x) = conj(fft(conj(x))) / n.
  for (auto& x : data) x = std::conj(x);
  Transform(data);
  const double scale = 1.0 / static_cast<double>(n_);
  for (auto& x : data) x = std::conj(x) * scale;
}

void Fft::Transform(std::vector<std::complex<double>>& data) const {
  const size_t n = n_;
  double* a = reinterpret_cast<double*>(data.data());
  for (size_t i = 0; i < n; ++i) {
    const size_t j = bitrev_[i];
    if (i < j) std::swap(data[i], data[j]);
  }
  // Stage half = 1: butterflies without multiplications.
  for (size_t i = 0; i < n; i += 2) {
    const double ur = a[2 * i], ui = a[2 * i + 1];
    const double vr = a[2 * i + 2], vi = a[2 * i + 3];
    a[2 * i] = ur + vr;
    a[2 * i + 1] = ui + vi;
    a[2 * i + 2] = ur - vr;
    a[2 * i + 3] = ui - vi;
  }
  const double* tw = reinterpret_cast<const double*>(twiddle_.data());
  for (size_t half = 2; half < n; half <<= 1) {
    const double* w = tw + 2 * (half - 1);
    for (size_t start = 0; start < n; start += 2 * half) {
      double* lo = a + 2 * start;
      double* hi = lo + 2 * half;
      for (size_t k = 0; k < half; ++k) {
        const double wr = w[2 * k], wi = w[2 * k + 1];
        const double br = hi[2 * k], bi = hi[2 * k + 1];
        const double tr = wr * br - wi * bi;
        const double ti = wr * bi + wi * br;
        const double ur = lo[2 * k], ui = lo[2 * k + 1];
        lo[2 * k] = ur + tr;
        lo[2 * k + 1] = ui + ti;
        hi[2 * k] = ur - tr;
        hi[2 * k + 1] = ui - ti;
      }
    }
  }
}

}  // namespace dpkit::accounting::internal
