// Small numerical helpers shared by modules (no randomness here).
#ifndef DPKIT_BASE_MATH_H_
#define DPKIT_BASE_MATH_H_

namespace dpkit {

// Standard normal CDF Phi(x), accurate in both tails (via erfc).
double NormalCdf(double x);
// Phi^-1(p) for p in (0, 1): Acklam's rational approximation refined by two Halley steps on
// erfc; relative error ~1e-15. Returns -inf / +inf for p <= 0 / p >= 1, NaN for NaN.
double NormalQuantile(double p);

}  // namespace dpkit

#endif  // DPKIT_BASE_MATH_H_
