#include "accounting/numerics.h"

#include <cmath>

namespace dpkit::accounting::internal {

double LogErfc(double x) {
  if (x < 20.0) return std::log(std::erfc(x));
  // Asymptotic expansion erfc(x) = exp(-x^2)/(x sqrt(pi)) * sum_n (-1)^n (2n-1)!! / (2x^2)^n;
  // at x >= 20 eight terms give full double precision.
  const double inv2x2 = 1.0 / (2.0 * x * x);
  double term = 1.0;
  double sum = 1.0;
  for (int n = 1; n <= 8; ++n) {
    term *= -(2.0 * n - 1.0) * inv2x2;
    sum += term;
  }
  return -x * x - std::log(x) - 0.5 * std::log(M_PI) + std::log(sum);
}

double BisectPredicate(const std::function<bool(double)>& pred, double lo, double hi,
                       double abs_tol, double rel_tol, int max_iter) {
  for (int i = 0; i < max_iter; ++i) {
    if (hi - lo <= abs_tol + rel_tol * std::fabs(hi)) break;
    const double mid = lo + 0.5 * (hi - lo);
    if (mid <= lo || mid >= hi) break;
    if (pred(mid)) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return hi;
}

Minimum MinimizeScalar(const std::function<double(double)>& f, double lo, double hi, int grid,
                       int refine_iter) {
  Minimum best{lo, f(lo)};
  const double step = (hi - lo) / grid;
  int best_i = 0;
  for (int i = 1; i <= grid; ++i) {
    const double x = lo + step * i;
    const double v = f(x);
    if (v < best.value || std::isnan(best.value)) {
      best = {x, v};
      best_i = i;
    }
  }
  // Golden-section search on the bracket around the best grid point.
  double a = lo + step * std::max(0, best_i - 1);
  double b = lo + step * std::min(grid, best_i + 1);
  const double g = 0.6180339887498949;
  double c = b - g * (b - a);
  double d = a + g * (b - a);
  double fc = f(c);
  double fd = f(d);
  for (int i = 0; i < refine_iter && (b - a) > 1e-13 * (1 + std::fabs(a)); ++i) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  if (fc < best.value) best = {c, fc};
  if (fd < best.value) best = {d, fd};
  return best;
}

}  // namespace dpkit::accounting::internal
