// Interval: a confidence interval returned next to every released number.
#ifndef DPKIT_MECHANISMS_INTERVAL_H_
#define DPKIT_MECHANISMS_INTERVAL_H_

#include <string>

namespace dpkit::mechanisms {

// [lower, upper] contains the true (pre-noise) value with probability >= level over the
// mechanism's noise. `exact` is true when the coverage is computed from the exact noise
// distribution (it is then >= level, and as small as the lattice allows); false for normal
// approximations (estimators built from many noisy reports).
struct Interval {
  double lower = 0;
  double upper = 0;
  double level = 0;
  bool exact = true;
  bool Contains(double x) const { return lower <= x && x <= upper; }
  double HalfWidth() const { return (upper - lower) / 2; }
};

}  // namespace dpkit::mechanisms

#endif  // DPKIT_MECHANISMS_INTERVAL_H_
