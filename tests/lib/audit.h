// Empirical privacy audits: a statistically valid LOWER bound on a mechanism's epsilon from
// samples on two neighbouring inputs (the `audit` test tier; any module's tests may use it).
//
// Method (as in Google's DP stochastic tester, Gilbert & McMillan 2018 / DP-Sniper, Bichsel
// et al. 2021, and Jagielski et al. 2020's Clopper-Pearson audits):
//   1. Selection phase: draw `selection_samples` outputs of M(D) and of M(D'), each output
//      mapped to an integer outcome key (a bin). Candidate events are every single key, every
//      lower tail {<= k} and upper tail {>= k}, in both directions (D vs D', D' vs D). The
//      `events` most promising (largest conservative log-ratio) are kept.
//   2. Test phase: FRESH samples (`test_samples` per side). For each kept event S,
//      p = P[M(D) in S], q = P[M(D') in S] are bounded with one-sided Clopper-Pearson bounds at
//      level alpha / (2 * events) each, and
//          epsilon_lb(S) = ln((p_lo - delta) / q_hi).
//      The result is the maximum over the kept events.
// Guarantee: if M is (epsilon, delta)-DP, then p <= e^epsilon q + delta for every S, so with
// probability >= 1 - alpha (union bound over the 2 * events bounds; the events were chosen on
// independent samples) epsilon_lb <= epsilon. An audit test asserts epsilon_lb <= claimed
// epsilon (+ a stated tolerance, normally 0): it fails a correct mechanism with probability
// <= alpha, and it fails a mechanism whose true epsilon is clearly larger (a broken one) with
// high probability when the samples suffice (each audit file includes such a broken mechanism
// to show the power).
#ifndef DPKIT_TESTS_LIB_AUDIT_H_
#define DPKIT_TESTS_LIB_AUDIT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "dpkit/random/bit_generator.h"

namespace dpkit::test {

struct AuditOptions {
  int64_t selection_samples = 100'000;  // per side
  int64_t test_samples = 1'000'000;     // per side
  double alpha = 1e-6;                  // probability that a correct mechanism fails
  double delta = 0;                     // the delta claimed by the mechanism
  int events = 4;                       // events carried from selection to test
  uint64_t seed = 1;                    // fixed seed (deterministic test)
};

struct AuditResult {
  double epsilon_lower_bound = 0;  // valid with confidence 1 - alpha
  std::string event;               // the event that gave it, e.g. "D vs D': outcome >= 3"
  int64_t hits = 0, hits_other = 0, samples = 0;
  std::string ToString() const;
};

// One run of the mechanism on a fixed input, mapped to an outcome key.
using OutcomeSampler = std::function<int64_t(random::BitGenerator&)>;

// Audits a mechanism on neighbouring inputs D (on_d) and D' (on_d_prime). Both samplers draw
// from one seeded generator per phase.
AuditResult AuditNeighbours(const OutcomeSampler& on_d, const OutcomeSampler& on_d_prime,
                            const AuditOptions& options);

// epsilon lower bound for ONE event chosen independently of these counts: hits_p of n_p samples
// of M(D) and hits_q of n_q of M(D') fell in the event; each of the two one-sided
// Clopper-Pearson bounds holds with probability >= 1 - beta. Returns 0 when there is no
// evidence (p_lo <= delta).
double EpsilonLowerBound(int64_t hits_p, int64_t n_p, int64_t hits_q, int64_t n_q, double delta,
                         double beta);

// floor(value / width) as an outcome key, for real-valued outputs (clamped to +-2^62).
int64_t BinOf(double value, double width);

}  // namespace dpkit::test

#endif  // DPKIT_TESTS_LIB_AUDIT_H_
