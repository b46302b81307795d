#include "lib/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace dpkit::test {
namespace {

// Series for P(a, x), valid for x < a + 1.
double GammaPSeries(double a, double x) {
  double sum = 1.0 / a, term = sum;
  for (int n = 1; n < 100000; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * 1e-16) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Continued fraction for Q(a, x), valid for x >= a + 1 (Lentz's method).
double GammaQContinuedFraction(double a, double x) {
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-16) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

// Regularized incomplete beta I_x(a, b) by continued fraction (Numerical Recipes form).
double BetaContinuedFraction(double a, double b, double x) {
  const double tiny = 1e-300;
  double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m < 100000; ++m) {
    int m2 = 2 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-15) break;
  }
  return h;
}

double RegularizedBeta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  double bt = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                       b * std::log1p(-x));
  if (x < (a + 1) / (a + b + 2)) return bt * BetaContinuedFraction(a, b, x) / a;
  return 1 - bt * BetaContinuedFraction(b, a, 1 - x) / b;
}

// Smallest/largest p with RegularizedBeta(...) crossing `target`, by bisection.
double BetaQuantile(double a, double b, double target) {
  double lo = 0, hi = 1;
  for (int i = 0; i < 200; ++i) {
    double mid = 0.5 * (lo + hi);
    if (RegularizedBeta(a, b, mid) < target) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

double RegularizedGammaQ(double a, double x) {
  if (x <= 0) return 1.0;
  if (x < a + 1) return 1.0 - GammaPSeries(a, x);
  return GammaQContinuedFraction(a, x);
}

double ChiSquareSurvival(double x, double dof) { return RegularizedGammaQ(dof / 2, x / 2); }

std::string ChiSquareResult::ToString() const {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "chi2=%.3f dof=%d bins=%d p=%.3g", statistic, dof, bins, p_value);
  return buf;
}

ChiSquareResult ChiSquareIntegers(const std::vector<int64_t>& samples,
                                  const std::function<double(int64_t)>& pmf,
                                  double min_expected) {
  const double n = static_cast<double>(samples.size());
  std::map<int64_t, int64_t> observed;
  for (int64_t s : samples) ++observed[s];
  // Central region: contiguous k around the mode where n*pmf(k) >= min_expected. Find the mode
  // by scanning around the sample median.
  std::vector<int64_t> sorted = samples;
  std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
  int64_t center = sorted[sorted.size() / 2];
  int64_t lo = center, hi = center;
  while (n * pmf(lo - 1) >= min_expected) --lo;
  while (n * pmf(hi + 1) >= min_expected) ++hi;
  double p_central = 0;
  ChiSquareResult r;
  int64_t obs_below = 0, obs_above = 0;
  for (auto& [k, c] : observed) {
    if (k < lo) obs_below += c;
    if (k > hi) obs_above += c;
  }
  for (int64_t k = lo; k <= hi; ++k) {
    double e = n * pmf(k);
    p_central += pmf(k);
    auto it = observed.find(k);
    double o = it == observed.end() ? 0.0 : static_cast<double>(it->second);
    r.statistic += (o - e) * (o - e) / e;
    ++r.bins;
  }
  // Tails: probability mass below lo and above hi (computed by summing outward).
  double p_below = 0, p_above = 0;
  for (int64_t k = lo - 1; k > lo - 100000; --k) {
    double p = pmf(k);
    p_below += p;
    if (p < 1e-18 && k < lo - 10) break;
  }
  for (int64_t k = hi + 1; k < hi + 100000; ++k) {
    double p = pmf(k);
    p_above += p;
    if (p < 1e-18 && k > hi + 10) break;
  }
  (void)p_central;
  for (auto [p, o] : {std::pair<double, int64_t>{p_below, obs_below}, {p_above, obs_above}}) {
    double e = n * p;
    if (e >= 1.0) {
      r.statistic += (o - e) * (o - e) / e;
      ++r.bins;
    } else if (o > 5) {
      // Far more observations in a tail than the distribution allows: make the test fail.
      r.statistic += o * o / std::max(e, 1e-9);
      ++r.bins;
    }
  }
  r.dof = r.bins - 1;
  r.p_value = ChiSquareSurvival(r.statistic, r.dof);
  return r;
}

ChiSquareResult ChiSquareCounts(const std::vector<int64_t>& counts,
                                const std::vector<double>& probabilities) {
  double n = 0;
  for (int64_t c : counts) n += static_cast<double>(c);
  ChiSquareResult r;
  for (size_t i = 0; i < counts.size(); ++i) {
    double e = n * probabilities[i];
    if (e <= 0) {
      if (counts[i] > 0) r.statistic = std::numeric_limits<double>::infinity();
      continue;
    }
    r.statistic += (counts[i] - e) * (counts[i] - e) / e;
    ++r.bins;
  }
  r.dof = r.bins - 1;
  r.p_value = std::isinf(r.statistic) ? 0.0 : ChiSquareSurvival(r.statistic, r.dof);
  return r;
}

KsResult KolmogorovSmirnov(std::vector<double> samples,
                           const std::function<double(double)>& cdf) {
  std::sort(samples.begin(), samples.end());
  const double n = static_cast<double>(samples.size());
  double d = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    double f = cdf(samples[i]);
    d = std::max(d, std::max(f - i / n, (i + 1) / n - f));
  }
  // Stephens (1970): lambda = (sqrt(n) + 0.12 + 0.11/sqrt(n)) * D.
  double sn = std::sqrt(n);
  double lambda = (sn + 0.12 + 0.11 / sn) * d;
  double p = 0;
  for (int k = 1; k < 200; ++k) {
    double term = 2 * ((k & 1) ? 1 : -1) * std::exp(-2 * k * k * lambda * lambda);
    p += term;
    if (std::fabs(term) < 1e-16) break;
  }
  p = std::clamp(p, 0.0, 1.0);
  if (lambda < 0.2) p = 1.0;
  return {d, p};
}

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double NormalQuantile(double p) {
  // Bisection on erfc (tests only; accuracy ~1e-12).
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    double mid = 0.5 * (lo + hi);
    if (NormalCdf(mid) < p) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

double BinomialTwoSidedPValue(int64_t successes, int64_t n, double p) {
  double mean = n * p;
  double sd = std::sqrt(n * p * (1 - p));
  double dev = std::fabs(successes - mean) - 0.5;
  if (dev < 0) dev = 0;
  return 2 * NormalCdf(-dev / sd);
}

double ClopperPearsonLower(int64_t successes, int64_t n, double alpha) {
  if (successes == 0) return 0.0;
  return BetaQuantile(successes, n - successes + 1, alpha / 2);
}

double ClopperPearsonUpper(int64_t successes, int64_t n, double alpha) {
  if (successes == n) return 1.0;
  return BetaQuantile(successes + 1, n - successes, 1 - alpha / 2);
}

}  // namespace dpkit::test
