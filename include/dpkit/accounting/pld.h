// Numerical composition of privacy loss distributions (PLD / PRV accounting) with a rigorous
// error bound.
//
// Method. For a dominating pair (P, Q) of a mechanism, the privacy loss random variable (PRV)
// is Y = log(dP/dQ)(o), o ~ P, and delta(eps) = E[(1 - e^{eps - Y})_+] + P(Y = +inf). Under
// composition the PRVs of independent mechanisms add, so the composed delta(eps) is the same
// expectation over the sum (Dwork & Rothblum 2016; Koskela, Jalko & Honkela, "Computing Tight
// Differential Privacy Guarantees Using FFT", AISTATS 2020; Gopi, Lee & Wutschitz, "Numerical
// Composition of Differential Privacy", NeurIPS 2021; Google's dp_accounting PLD library and
// Doroshenko et al., "Connect the Dots", PETS 2022, for the framing). dpkit implements the PRV
// accountant of Gopi, Lee & Wutschitz:
//   1. Truncate each PRV to [a, b] holding all but `truncation_mass / k_total` of its mass
//      (total variation error <= truncation_mass over the whole composition).
//   2. Discretise on the grid {j h}: mass of the bin [jh - h/2, jh + h/2) goes to jh, then the
//      whole discrete PRV is shifted by the constant s that restores the exact mean (the
//      within-bin mean offsets are integrated with Simpson's rule on the CDF). The rounding
//      errors Z_i = Yhat_i - Y_i are then independent, mean zero, of range h and of computed
//      variance v_i; Bernstein's inequality bounds |sum Z_i| <= eps_err except with probability
//      eta (per side), or, when smaller (few compositions), sum_i max|Z_i| bounds it surely. The
//      step h is solved from those bounds for the requested epsilon_error and refined from the
//      error reached.
//   3. Compose by FFT: the discrete PMFs are embedded in one cyclic grid of N = 2^m points,
//      transformed once per distinct mechanism, raised to the repetition count by repeated
//      squaring per frequency (self-composition of k steps costs O(N log N + N log k)), multiplied
//      and transformed back. N is chosen so that the composed mass outside the window is below
//      `aliasing_mass` by a Chernoff bound computed from the discrete PMFs' moment generating
//      functions.
//   4. Bounds: with err = eta + truncation + aliasing + floating-point slack,
//        delta_hat(eps + eps_err) - err <= delta_true(eps) <= delta_hat(eps - eps_err) + err,
//      and Epsilon/Delta report estimate, lower and upper; accountants use `upper`.
// Mechanisms (PrivacyMap kinds) and their dominating pairs, sensitivity 1 in noise units:
//   gaussian            N(0, s^2) vs N(1, s^2): Y ~ N(1/(2s^2), 1/s^2) (exact)
//   laplace             Lap(0, b) vs Lap(1, b): atoms at +-1/b and a continuous part (exact)
//   pure_dp, discrete_laplace (eps = 1/nm)   randomized response (exact for RR and for the
//                       discrete Laplace with Delta_1 = 1; dominates every eps-DP mechanism)
//   approx_dp           Kairouz-Oh-Viswanath pair: +inf with probability delta, else RR(eps)
//   subsampled_gaussian Poisson sampling rate q, add/remove neighbours: both orders
//                       (1-q)N(0,s^2)+qN(1,s^2) vs N(0,s^2) and the reverse are composed
//                       separately and the larger delta is reported (as in dp_accounting).
// zcdp, discrete_gaussian (whose exact PLD needs the integer sensitivity, not carried by the
// map) and rdp_curve have no PLD here; the PLD accountant composes those by RDP and adds the
// two parts by basic composition (stated in Notes()).
// Deterministic; thread-compatible.
#ifndef DPKIT_ACCOUNTING_PLD_H_
#define DPKIT_ACCOUNTING_PLD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"

namespace dpkit::accounting {

struct PldOptions {
  // Target for the discretisation error in epsilon (the grid step follows from it).
  double epsilon_error = 0.01;
  // Probability budget of the Bernstein bound (per side); adds to the delta error.
  double bernstein_failure = 1e-13;
  // Total PRV mass dropped by truncation over the whole composition; adds to the delta error.
  double truncation_mass = 1e-15;
  // Mass allowed to wrap around the cyclic FFT window; adds to the delta error.
  double aliasing_mass = 1e-15;
  // Largest FFT size (points). Above it the grid is coarsened and epsilon_error grows.
  int64_t max_grid_points = int64_t{1} << 21;
};

// A two-sided bound on a privacy parameter: lower <= true value <= upper.
struct PldBound {
  double lower = 0;
  double estimate = 0;
  double upper = 0;
};

// The composed PLD of a list of PrivacyMaps (with their repetitions).
class PldComposition {
 public:
  // Fails with InvalidArgument for maps without a PLD here (zcdp, discrete_gaussian, rdp_curve)
  // and with OutOfRange if no grid within max_grid_points gives a finite error bound. When the
  // requested epsilon_error cannot be met (the grid cap, or finer grids failing), the result
  // carries the error it reached (epsilon_error()) and a note saying why.
  static absl::StatusOr<PldComposition> Create(const std::vector<PrivacyMap>& maps,
                                               const PldOptions& options = PldOptions());

  // delta(epsilon) for epsilon >= 0 (max over both neighbouring orders).
  PldBound Delta(double epsilon) const;
  // epsilon(delta) for delta in (0, 1); the upper bound is +inf when delta is at or below the
  // delta error plus the approx-DP deltas.
  PldBound Epsilon(double delta) const;

  double epsilon_error() const { return epsilon_error_; }
  double delta_error() const { return delta_error_; }
  double grid_step() const { return grid_step_; }
  int64_t grid_points() const { return grid_points_; }
  std::vector<std::string> Notes() const { return notes_; }

  // One neighbouring order's composed distribution on the grid (public for the accountant's
  // internals; opaque to callers).
  struct Composed;

 private:
  std::vector<std::shared_ptr<const Composed>> directions_;
  double epsilon_error_ = 0;
  double delta_error_ = 0;
  double grid_step_ = 0;
  int64_t grid_points_ = 0;
  std::vector<std::string> notes_;
};

// True for the PrivacyMap kinds PldComposition accepts.
bool HasPld(const PrivacyMap& map);

}  // namespace dpkit::accounting

#endif  // DPKIT_ACCOUNTING_PLD_H_
