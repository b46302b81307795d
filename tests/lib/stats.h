// Statistical test helpers for the `statistical` and `audit` tiers.
//
// Every statistical test states its false-positive rate alpha and derives its threshold from
// it: a test fails when the p-value computed here is below alpha. With fixed seeds the suite is
// deterministic; alpha bounds how often a *new* seed (or a code change that reorders draws)
// would fail a correct implementation.
#ifndef DPKIT_TESTS_LIB_STATS_H_
#define DPKIT_TESTS_LIB_STATS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace dpkit::test {

// Regularized upper incomplete gamma Q(a, x) = Gamma(a, x) / Gamma(a).
double RegularizedGammaQ(double a, double x);
// P(X >= x) for X ~ chi^2 with `dof` degrees of freedom.
double ChiSquareSurvival(double x, double dof);

struct ChiSquareResult {
  double statistic = 0;
  int dof = 0;
  double p_value = 1;
  int bins = 0;
  std::string ToString() const;
};

// Pearson chi^2 goodness of fit of integer samples against `pmf` (which must sum to 1 over Z).
// Bins with expected count < min_expected are merged into the two tail bins (everything
// below / above the central bins), so the chi^2 approximation holds.
ChiSquareResult ChiSquareIntegers(const std::vector<int64_t>& samples,
                                  const std::function<double(int64_t)>& pmf,
                                  double min_expected = 20.0);

// Chi^2 goodness of fit of category counts against probabilities (same length).
ChiSquareResult ChiSquareCounts(const std::vector<int64_t>& counts,
                                const std::vector<double>& probabilities);

// One-sample Kolmogorov-Smirnov test of `samples` against the continuous CDF `cdf`.
// Returns the p-value (asymptotic Kolmogorov distribution with the Stephens correction).
struct KsResult {
  double statistic = 0;
  double p_value = 1;
};
KsResult KolmogorovSmirnov(std::vector<double> samples, const std::function<double(double)>& cdf);

// Two-sided p-value that `successes` out of `n` Bernoulli(p) trials is consistent with p
// (normal approximation with continuity correction; use n*p*(1-p) >= 100).
double BinomialTwoSidedPValue(int64_t successes, int64_t n, double p);

// Standard normal CDF and quantile.
double NormalCdf(double x);
double NormalQuantile(double p);

// Clopper-Pearson (exact) confidence bounds for a binomial proportion, two-sided level 1-alpha.
double ClopperPearsonLower(int64_t successes, int64_t n, double alpha);
double ClopperPearsonUpper(int64_t successes, int64_t n, double alpha);

}  // namespace dpkit::test

#endif  // DPKIT_TESTS_LIB_STATS_H_
