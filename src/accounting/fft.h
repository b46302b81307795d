// Private: in-place iterative radix-2 complex FFT (Cooley-Tukey, decimation in time), used by
// the PLD accountant.
#ifndef DPKIT_SRC_ACCOUNTING_FFT_H_
#define DPKIT_SRC_ACCOUNTING_FFT_H_

#include <complex>
#include <cstdint>
#include <vector>

namespace dpkit::accounting::internal {

// Precomputed twiddles (contiguous per stage) and bit reversal for one power-of-two size.
// Thread-compatible.
class Fft {
 public:
  // n must be a power of two >= 2.
  explicit Fft(size_t n);
  size_t size() const { return n_; }
  // Forward transform X[k] = sum_j x[j] exp(-2 pi i jk/n), in place.
  void Forward(std::vector<std::complex<double>>& data) const;
  // Inverse transform including the 1/n factor, in place.
  void Inverse(std::vector<std::complex<double>>& data) const;

 private:
  void Transform(std::vector<std::complex<double>>& data) const;
  size_t n_;
  std::vector<std::complex<double>> twiddle_;  // stage with half-size m at [m - 1, 2m - 1)
  std::vector<uint32_t> bitrev_;
};

}  // namespace dpkit::accounting::internal

#endif  // DPKIT_SRC_ACCOUNTING_FFT_H_
