// Private numerical helpers for the accounting module: log-space arithmetic, Gaussian tails,
// monotone root finding and 1-D minimisation. Deterministic, no allocation, thread-safe.
#ifndef DPKIT_SRC_ACCOUNTING_NUMERICS_H_
#define DPKIT_SRC_ACCOUNTING_NUMERICS_H_

#include <cmath>
#include <functional>
#include <limits>

namespace dpkit::accounting::internal {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// log(exp(a) + exp(b)).
inline double LogAddExp(double a, double b) {
  if (a == kNegInf) return b;
  if (b == kNegInf) return a;
  const double m = a > b ? a : b;
  return m + std::log1p(std::exp(-std::fabs(a - b)));
}

// log(exp(a) - exp(b)) for a >= b; -inf when a == b.
inline double LogSubExp(double a, double b) {
  if (b == kNegInf) return a;
  if (b >= a) return kNegInf;
  const double d = b - a;  // < 0
  // log(1 - e^d), accurate for d near 0 and for d very negative.
  return a + (d > -0.6931471805599453 ? std::log(-std::expm1(d)) : std::log1p(-std::exp(d)));
}

// log(1 - e^x) for x < 0.
inline double Log1mExp(double x) {
  if (x >= 0) return kNegInf;
  return x > -0.6931471805599453 ? std::log(-std::expm1(x)) : std::log1p(-std::exp(x));
}

// log(erfc(x)), accurate for large positive x where erfc underflows.
double LogErfc(double x);
// log Phi(x) for the standard normal CDF.
inline double LogNormalCdf(double x) { return std::log(0.5) + LogErfc(-x / std::sqrt(2.0)); }
// Phi(x) and 1 - Phi(x), each accurate in its own tail.
inline double NormCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
inline double NormSf(double x) { return 0.5 * std::erfc(x / std::sqrt(2.0)); }

// log C(n, k) for real n >= k >= 0 (via lgamma).
inline double LogBinomial(double n, double k) {
  return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1);
}

// Finds x in [lo, hi] where a monotone predicate flips: returns the smallest x (within
// tolerance) with pred(x) true, assuming pred(lo) false and pred(hi) true.
// Terminates after at most `max_iter` halvings.
double BisectPredicate(const std::function<bool(double)>& pred, double lo, double hi,
                       double abs_tol, double rel_tol, int max_iter = 200);

// Minimises f over [lo, hi] by a scan of `grid` points followed by golden-section refinement
// around the best grid point. Robust for unimodal f, returns the best point seen otherwise.
// Returns (argmin, min).
struct Minimum {
  double x;
  double value;
};
Minimum MinimizeScalar(const std::function<double(double)>& f, double lo, double hi,
                       int grid = 200, int refine_iter = 100);

}  // namespace dpkit::accounting::internal

#endif  // DPKIT_SRC_ACCOUNTING_NUMERICS_H_
