#include "dpkit/accounting/pld.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdio>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "accounting/fft.h"
#include "accounting/numerics.h"
#include "dpkit/base/math.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"

namespace dpkit::accounting {

using internal::kInf;
using internal::kNegInf;
using internal::NormCdf;
using internal::NormSf;

// ---------------------------------------------------------------------------------------------
// Privacy loss random variables (one application of a mechanism, one neighbouring order).
// ---------------------------------------------------------------------------------------------
namespace {

struct Atom {
  double value;
  double mass;
};

class Prv {
 public:
  virtual ~Prv() = default;
  // Continuous part: total mass, CDF and survival function (each accurate in its own tail;
  // Cdf(y) + Sf(y) == continuous_mass()).
  virtual double continuous_mass() const { return 0; }
  virtual double Cdf(double y) const { return 0; }
  virtual double Sf(double y) const { return 0; }
  // [a, b] holding all but at most `tail` of the continuous mass.
  virtual void Truncation(double tail, double* a, double* b) const { *a = *b = 0; }
  std::vector<Atom> atoms;
  double inf_mass = 0;  // P(Y = +inf), the delta of an approx-DP map
};

// Gaussian mechanism, noise multiplier s: Y ~ N(1/(2 s^2), 1/s^2).
class GaussianPrv final : public Prv {
 public:
  explicit GaussianPrv(double s) : mean_(1 / (2 * s * s)), sd_(1 / s) {}
  double continuous_mass() const override { return 1; }
  double Cdf(double y) const override { return NormCdf((y - mean_) / sd_); }
  double Sf(double y) const override { return NormSf((y - mean_) / sd_); }
  void Truncation(double tail, double* a, double* b) const override {
    const double z = -NormalQuantile(tail / 2);
    *a = mean_ - z * sd_;
    *b = mean_ + z * sd_;
  }

 private:
  double mean_, sd_;
};

// Laplace mechanism with scale b (epsilon e = 1/b): atoms P(Y = e) = 1/2, P(Y = -e) = e^-e / 2,
// and on (-e, e) the continuous part with P(Y <= y) = e^{-(e-y)/2} / 2.
class LaplacePrv final : public Prv {
 public:
  explicit LaplacePrv(double b) : e_(1 / b) {
    atoms = {{e_, 0.5}, {-e_, 0.5 * std::exp(-e_)}};
  }
  double continuous_mass() const override { return -0.5 * std::expm1(-e_); }
  double Cdf(double y) const override {
    if (y <= -e_) return 0;
    if (y >= e_) return continuous_mass();
    return 0.5 * std::exp(-(e_ - y) / 2) * (-std::expm1(-(e_ + y) / 2));
  }
  double Sf(double y) const override {
    if (y <= -e_) return continuous_mass();
    if (y >= e_) return 0;
    return -0.5 * std::expm1(-(e_ - y) / 2);
  }
  void Truncation(double, double* a, double* b) const override {
    *a = -e_;
    *b = e_;
  }

 private:
  double e_;
};

// Randomized response with epsilon e, optionally with the KOV delta (+inf with prob. delta).
class RandomizedResponsePrv final : public Prv {
 public:
  RandomizedResponsePrv(double e, double delta) {
    const double p = 1 / (1 + std::exp(-e));
    atoms = {{e, (1 - delta) * p}, {-e, (1 - delta) * (1 - p)}};
    inf_mass = delta;
  }
};

// Poisson-subsampled Gaussian (rate q, noise multiplier s). With mix = (1-q)N(0,s^2)+qN(1,s^2),
// LA(x) = log(1 - q + q exp((2x - 1)/(2 s^2))) is increasing in x.
//   remove order: P = mix,     Q = N(0,s^2): Y = LA(x),  x ~ mix.
//   add order:    P = N(0,s^2), Q = mix:     Y = -LA(x), x ~ N(0, s^2).
class SubsampledGaussianPrv final : public Prv {
 public:
  SubsampledGaussianPrv(double q, double s, bool remove)
      : q_(q), s_(s), remove_(remove), log1mq_(std::log1p(-q)), logq_(std::log(q)) {}
  double continuous_mass() const override { return 1; }

  double Cdf(double y) const override {
    if (remove_) {
      if (y <= log1mq_) return 0;
      return MixCdf(XOfLoss(y));
    }
    if (-y <= log1mq_) return 1;
    return NormSf(XOfLoss(-y) / s_);
  }
  double Sf(double y) const override {
    if (remove_) {
      if (y <= log1mq_) return 1;
      return MixSf(XOfLoss(y));
    }
    if (-y <= log1mq_) return 0;
    return NormCdf(XOfLoss(-y) / s_);
  }
  void Truncation(double tail, double* a, double* b) const override {
    const double z = -NormalQuantile(tail / 2);  // > 0
    if (remove_) {
      // Mixture quantiles, bracketed by the component quantiles.
      const double x_lo = internal::BisectPredicate(
          [&](double x) { return MixCdf(x) >= tail / 2; }, -s_ * z, 1 - s_ * z, 1e-12, 1e-12);
      const double x_hi = internal::BisectPredicate(
          [&](double x) { return MixSf(x) <= tail / 2; }, s_ * z, 1 + s_ * z, 1e-12, 1e-12);
      *a = LossOfX(x_lo);
      *b = LossOfX(x_hi);
    } else {
      *a = -LossOfX(s_ * z);
      *b = -LossOfX(-s_ * z);
    }
  }

 private:
  double MixCdf(double x) const {
    return (1 - q_) * NormCdf(x / s_) + q_ * NormCdf((x - 1) / s_);
  }
  double MixSf(double x) const { return (1 - q_) * NormSf(x / s_) + q_ * NormSf((x - 1) / s_); }
  // LA(x).
  double LossOfX(double x) const {
    return internal::LogAddExp(log1mq_, logq_ + (2 * x - 1) / (2 * s_ * s_));
  }
  // Inverse of LA for u > log(1-q): x = s^2 (log(1-q) + log(expm1(u - log(1-q))) - log q) + 1/2.
  double XOfLoss(double u) const {
    const double d = u - log1mq_;
    const double log_expm1 = d > 30 ? d + std::log1p(-std::exp(-d)) : std::log(std::expm1(d));
    return s_ * s_ * (log1mq_ + log_expm1 - logq_) + 0.5;
  }

  double q_, s_;
  bool remove_;
  double log1mq_, logq_;
};

// ---------------------------------------------------------------------------------------------
// Discretisation (PRV accountant, Gopi-Lee-Wutschitz 2021, with an exact mean correction).
// ---------------------------------------------------------------------------------------------

struct DiscretePrv {
  int64_t j_lo = 0;          // grid index of p[0]; values are (j_lo + i) h + shift
  std::vector<double> p;     // normalised PMF of the finite, untruncated part
  double shift = 0;          // mean-restoring shift s
  double z_var = 0;          // variance of the rounding error Yhat - Y
  double z_bound = 0;        // |Yhat - Y| <= z_bound
  double dropped = 0;        // truncated mass, relative to the finite part
  double inf_mass = 0;       // P(Y = +inf)
  double mean = 0;           // of Yhat
  double var = 0;            // of Yhat
};

// int_l^r G(y) dy and int_l^r 2 (y - c) G(y) dy.
struct SimpsonIntegrals {
  double i1 = 0;
  double i2 = 0;
  int budget = 200000;    // evaluations left (bounds the work on any input)
  bool converged = true;  // false if the budget or the depth limit was hit
};

// Adaptive Simpson quadrature of both integrals (Lyness' error estimate with Richardson
// correction), at most 48 levels. G is monotone, so a feature cannot hide between samples
// without changing them: the first-level comparison (5 points) is a sound refinement trigger.
template <typename G>
void AdaptiveSimpson(const G& g, double c, double l, double r, double gl, double gm, double gr,
                     double tol, double tol2_per_width, int depth, SimpsonIntegrals* out) {
  const double m = 0.5 * (l + r);
  const double lm = 0.5 * (l + m), rm = 0.5 * (m + r);
  const double glm = g(lm), grm = g(rm);
  out->budget -= 2;
  auto s1 = [](double a, double b, double fa, double fm, double fb) {
    return (b - a) / 6 * (fa + 4 * fm + fb);
  };
  auto s2 = [c](double a, double b, double fa, double fm, double fb) {
    const double mid = 0.5 * (a + b);
    return (b - a) / 6 * (2 * (a - c) * fa + 8 * (mid - c) * fm + 2 * (b - c) * fb);
  };
  const double whole1 = s1(l, r, gl, gm, gr), whole2 = s2(l, r, gl, gm, gr);
  const double left1 = s1(l, m, gl, glm, gm), right1 = s1(m, r, gm, grm, gr);
  const double left2 = s2(l, m, gl, glm, gm), right2 = s2(m, r, gm, grm, gr);
  const double d1 = left1 + right1 - whole1, d2 = left2 + right2 - whole2;
  const double width = r - l;
  // Below the rounding noise of the G values nothing more can be gained.
  const double gmax = std::max({std::fabs(gl), std::fabs(gm), std::fabs(gr), 1e-300});
  const double tol1 = std::max(tol, 1e-15 * width * gmax);
  const double tol2 = std::max(tol2_per_width * width, 1e-15 * width * width * gmax);
  // For monotone G both integrals over [l, r] lie within width * |G(r) - G(l)| (times the
  // (y - c) factor) of any estimate between the endpoint values: a rigorous stop for steps.
  const double spread = width * std::fabs(gr - gl);
  const bool tiny = spread <= tol1 &&
                    spread * 2 * std::max(std::fabs(l - c), std::fabs(r - c)) <= tol2;
  const bool smooth = std::fabs(d1) <= 15 * tol1 && std::fabs(d2) <= 15 * tol2;
  if (!smooth && !tiny && (depth >= 60 || out->budget <= 0)) out->converged = false;
  if (smooth || tiny || depth >= 60 || out->budget <= 0) {
    out->i1 += left1 + right1 + d1 / 15;
    out->i2 += left2 + right2 + d2 / 15;
    return;
  }
  AdaptiveSimpson(g, c, l, m, gl, glm, gm, tol / 2, tol2_per_width, depth + 1, out);
  AdaptiveSimpson(g, c, m, r, gm, grm, gr, tol / 2, tol2_per_width, depth + 1, out);
}

// mean_tol: absolute accuracy required of the discrete PRV's mean.
absl::StatusOr<DiscretePrv> Discretize(const Prv& prv, double h, double tail, double mean_tol,
                                       int64_t max_points) {
  DiscretePrv d;
  d.inf_mass = prv.inf_mass;
  const double cont = prv.continuous_mass();
  double a = kInf, b = kNegInf;
  if (cont > 0) {
    prv.Truncation(tail, &a, &b);
    d.dropped = std::max(0.0, prv.Cdf(a)) + std::max(0.0, prv.Sf(b));
  }
  double lo_val = a, hi_val = b;
  for (const Atom& at : prv.atoms) {
    lo_val = std::min(lo_val, at.value);
    hi_val = std::max(hi_val, at.value);
  }
  if (!std::isfinite(lo_val) || !std::isfinite(hi_val)) {
    return absl::InternalError("PLD: non-finite privacy-loss support");
  }
  const double j_lo_d = std::floor(lo_val / h + 0.5);
  const double j_hi_d = std::floor(hi_val / h + 0.5);
  if (j_hi_d - j_lo_d + 1 > static_cast<double>(max_points)) {
    return absl::OutOfRangeError(absl::StrCat("PLD: privacy-loss support [", lo_val, ", ",
                                                     hi_val, "] needs more than ", max_points,
                                                     " grid points at step ", h));
  }
  d.j_lo = static_cast<int64_t>(j_lo_d);
  const int64_t n = static_cast<int64_t>(j_hi_d) - d.j_lo + 1;
  d.p.assign(n, 0.0);
  double m1 = 0;  // sum over bins of integral (y - c) dF
  double m2 = 0;  // sum over bins of integral (y - c)^2 dF
  if (cont > 0) {
    const int64_t ja = static_cast<int64_t>(std::floor(a / h + 0.5));
    const int64_t jb = static_cast<int64_t>(std::floor(b / h + 0.5));
    // G = Cdf below the median, -Sf above it (G differs from the CDF by a constant per region,
    // which the per-bin formulas below are invariant to).
    bool prev_valid = false, prev_lower = false;
    double prev_x = 0, prev_g = 0;
    for (int64_t j = ja; j <= jb; ++j) {
      const double c = j * h;
      const double lo = std::max(a, c - h / 2);
      const double hi = std::min(b, c + h / 2);
      if (!(hi > lo)) continue;
      const double mid = 0.5 * (lo + hi);
      const double cdf_mid = prv.Cdf(mid);
      const bool lower = cdf_mid < 0.5 * cont;
      auto g = [&](double y) { return lower ? prv.Cdf(y) : -prv.Sf(y); };
      const double g_mid = lower ? cdf_mid : -prv.Sf(mid);
      const double g_lo = (prev_valid && prev_lower == lower && prev_x == lo) ? prev_g : g(lo);
      const double g_hi = g(hi);
      prev_valid = true;
      prev_lower = lower;
      prev_x = hi;
      prev_g = g_hi;
      const double mass = std::max(0.0, g_hi - g_lo);
      // Integration by parts: int (y-c) dG = [(y-c) G] - int G dy and
      // int (y-c)^2 dG = [(y-c)^2 G] - int 2 (y-c) G dy, with the integrals of G by adaptive
      // Simpson (the CDF may be nearly a step inside a bin, e.g. for tiny sampling rates).
      // Tolerances: the shift (mean) must be accurate to mean_tol in total, the rounding
      // variance to 1e-3 h^2; both are spread over the support in proportion to bin width.
      SimpsonIntegrals ints;
      const double share = (hi - lo) / std::max(b - a, h);
      const double tol1 = mean_tol * share;
      const double tol2 = 1e-3 * h * h / std::max(b - a, h);
      const double spread = (hi - lo) * std::fabs(g_hi - g_lo);
      if (spread <= tol1 && spread * h <= tol2 * (hi - lo)) {
        // Negligible mass (tails): any estimate between the endpoint values is accurate enough.
        ints.i1 = (hi - lo) * 0.5 * (g_lo + g_hi);
        ints.i2 = (hi - lo) * ((lo - c) * g_lo + (hi - c) * g_hi);
      } else {
        AdaptiveSimpson(g, c, lo, hi, g_lo, g_mid, g_hi, tol1, tol2, 0, &ints);
      }
      if (!ints.converged) {
        return absl::InternalError(absl::StrCat(
            "PLD: quadrature of the privacy loss CDF did not converge near ", c));
      }
      const double b1 = (hi - c) * g_hi - (lo - c) * g_lo - ints.i1;
      const double b2 = (hi - c) * (hi - c) * g_hi - (lo - c) * (lo - c) * g_lo - ints.i2;
      d.p[j - d.j_lo] += mass;
      m1 += b1;
      m2 += b2;
    }
  }
  for (const Atom& at : prv.atoms) {
    const int64_t j = static_cast<int64_t>(std::floor(at.value / h + 0.5));
    const double off = at.value - j * h;
    d.p[j - d.j_lo] += at.mass;
    m1 += at.mass * off;
    m2 += at.mass * off * off;
  }
  double total = 0;
  for (double x : d.p) total += x;
  if (!(total > 0) || !std::isfinite(total) || !std::isfinite(m1) || !std::isfinite(m2)) {
    return absl::InternalError("PLD: discretisation produced no finite mass");
  }
  for (double& x : d.p) x /= total;
  m1 /= total;
  m2 /= total;
  d.dropped /= std::max(1e-300, 1 - d.inf_mass);
  d.shift = m1;  // E[Y - c]: shifting by it restores the exact mean
  d.z_bound = h / 2 + std::fabs(d.shift);
  // Var(Z) = E[(c - Y)^2] - s^2, with a 5% safety margin on the quadrature; never above the
  // range bound.
  const double z_var = std::max(0.0, m2 - d.shift * d.shift);
  d.z_var = std::min(1.05 * z_var + 1e-6 * h * h, d.z_bound * d.z_bound);
  double mean = 0;
  for (int64_t i = 0; i < n; ++i) mean += d.p[i] * ((d.j_lo + i) * h);
  double var = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = (d.j_lo + i) * h - mean;
    var += d.p[i] * v * v;
  }
  d.mean = mean + d.shift;
  // The mean of a privacy loss variable is a KL divergence (>= 0); a discrete mean clearly
  // below zero -- beyond the accuracy mean_tol asked of the quadrature -- means it failed, and
  // nothing built on it can be trusted. (A KL divergence below mean_tol, e.g. 5e-9 for q = 1e-3
  // and sigma = 10, legitimately comes out slightly negative.)
  if (d.inf_mass == 0 && d.mean < -2 * mean_tol - 1e-9 * h - 1e-15) {
    return absl::InternalError(absl::StrCat("PLD: discretised privacy loss has negative mean ",
                                            d.mean, " at grid step ", h));
  }
  d.var = var;
  return d;
}

// A compressed view of a discrete PRV for Chernoff bounds: blocks of consecutive grid points
// with their mass, mean value and end values. By convexity of e^{lambda v}, the block's
// contribution sum_i p_i e^{lambda v_i} is at most m [a e^{lambda v_lo} + (1-a) e^{lambda v_hi}]
// with a = (v_hi - mean) / (v_hi - v_lo) (the chord), so bounds built from it stay valid; the
// relative slack is about (lambda w)^2 / 8 for a block of width w.
struct MgfBlocks {
  std::vector<double> log_mass, lo_value, hi_value, log_a, log_1ma;
};

MgfBlocks MakeMgfBlocks(const DiscretePrv& d, double h) {
  MgfBlocks b;
  const int64_t n = d.p.size();
  // Blocks narrower than a quarter of the PRV's standard deviation, and at most 2^16 of them.
  int64_t block = std::max<int64_t>(1, static_cast<int64_t>(std::sqrt(d.var) / (4 * h)));
  block = std::max<int64_t>(block, n / 65536 + 1);
  for (int64_t i0 = 0; i0 < n; i0 += block) {
    const int64_t i1 = std::min<int64_t>(n, i0 + block);
    double mass = 0, first = 0;
    for (int64_t i = i0; i < i1; ++i) {
      mass += d.p[i];
      first += d.p[i] * static_cast<double>(i - i0);
    }
    if (mass <= 0) continue;
    const double lo = (d.j_lo + i0) * h + d.shift;
    const double w = static_cast<double>(i1 - 1 - i0) * h;
    const double mean_off = first / mass * h;  // mean - lo, in [0, w]
    const double a = w > 0 ? std::clamp((w - mean_off) / w, 0.0, 1.0) : 1.0;
    b.log_mass.push_back(std::log(mass));
    b.lo_value.push_back(lo);
    b.hi_value.push_back(lo + w);
    b.log_a.push_back(a > 0 ? std::log(a) : kNegInf);
    b.log_1ma.push_back(a < 1 ? std::log1p(-a) : kNegInf);
  }
  return b;
}

// Upper bound on log E[exp(lambda Yhat)].
double LogMgfUpper(const MgfBlocks& b, double lambda) {
  const size_t n = b.log_mass.size();
  std::vector<double> t(n);
  double m = kNegInf;
  for (size_t i = 0; i < n; ++i) {
    t[i] = b.log_mass[i] + internal::LogAddExp(b.log_a[i] + lambda * b.lo_value[i],
                                                b.log_1ma[i] + lambda * b.hi_value[i]);
    m = std::max(m, t[i]);
  }
  if (m == kNegInf) return kNegInf;
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += std::exp(t[i] - m);
  return m + std::log(s);
}

struct Group {
  const DiscretePrv* prv;
  int64_t count;
};

// Chernoff bounds on P(S < lo) + P(S > hi) for S = the sum of count_g copies of each group:
// log E e^{lambda S} = sum_g count_g log E e^{lambda Yhat_g} is tabulated once on a geometric
// grid of lambdas (scaled by the composed standard deviation), then any window is cheap.
class ChernoffTable {
 public:
  ChernoffTable(const std::vector<Group>& groups, const std::vector<MgfBlocks>& blocks,
                double sd) {
    const double scale = 1 / std::max(sd, 1e-12);
    for (int i = -24; i <= 16; ++i) {
      const double lambda = scale * std::pow(2.0, i / 2.0);
      double up = 0, dn = 0;
      for (size_t g = 0; g < groups.size(); ++g) {
        const double k = static_cast<double>(groups[g].count);
        up += k * LogMgfUpper(blocks[g], lambda);
        dn += k * LogMgfUpper(blocks[g], -lambda);
      }
      lambda_.push_back(lambda);
      up_.push_back(up);
      dn_.push_back(dn);
    }
  }
  double OutsideMass(double lo, double hi) const {
    double upper = 1, lower = 1;
    for (size_t i = 0; i < lambda_.size(); ++i) {
      upper = std::min(upper, std::exp(up_[i] - lambda_[i] * hi));
      lower = std::min(lower, std::exp(dn_[i] + lambda_[i] * lo));
    }
    return std::min(1.0, upper + lower);
  }

 private:
  std::vector<double> lambda_, up_, dn_;
};

// Plain complex product (std::complex operator* adds C99 inf/nan recovery that is slow here).
inline std::complex<double> Mul(std::complex<double> a, std::complex<double> b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

// z^k by repeated squaring.
std::complex<double> Power(std::complex<double> z, int64_t k) {
  std::complex<double> result(1, 0);
  bool first = true;
  while (k > 0) {
    if (k & 1) {
      result = first ? z : Mul(result, z);
      first = false;
    }
    k >>= 1;
    if (k > 0) z = Mul(z, z);
  }
  return result;
}

int64_t Mod(int64_t a, int64_t n) {
  const int64_t r = a % n;
  return r < 0 ? r + n : r;
}

// (a * b) mod n without overflow.
int64_t MulMod(int64_t a, int64_t b, int64_t n) {
  return static_cast<int64_t>((static_cast<__int128>(Mod(a, n)) * Mod(b, n)) % n);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Composed distribution of one neighbouring order.
// ---------------------------------------------------------------------------------------------
struct PldComposition::Composed {
  double v0 = 0;             // value of pmf[0]
  double h = 0;
  std::vector<double> pmf;   // finite part, values v0 + i h
  double inf_mass = 0;       // P(sum = +inf) = 1 - prod (1 - delta_g)^{k_g}
  double negative_mass = 0;  // floating-point noise clipped from the FFT output

  // delta of the finite part at eps (any real eps).
  double DeltaFinite(double eps) const {
    const int64_t n = pmf.size();
    int64_t i0 = static_cast<int64_t>(std::floor((eps - v0) / h)) + 1;
    i0 = std::clamp<int64_t>(i0, 0, n);
    double s = 0;
    for (int64_t i = i0; i < n; ++i) {
      const double v = v0 + i * h;
      if (v <= eps) continue;
      s += pmf[i] * -std::expm1(eps - v);
    }
    return s;
  }

  // Smallest eps (any real; -inf if none needed) with DeltaFinite(eps) <= target.
  double EpsilonFinite(double target) const {
    const int64_t n = pmf.size();
    if (target <= 0) {
      // Need all mass at or below eps.
      for (int64_t i = n - 1; i >= 0; --i) {
        if (pmf[i] > 0) return v0 + i * h;
      }
      return kNegInf;
    }
    // Walk down: A = mass strictly above v_i, B = sum_{j > i} p_j e^{v_i - v_j}.
    double a = 0, b = 0;
    const double eh = std::exp(-h);
    for (int64_t i = n - 1; i >= 0; --i) {
      // Here A, B are for index i (mass above v_i).
      const double delta_at = a - b;
      if (delta_at > target) {
        // eps in (v_i, v_{i+1}]: delta(eps) = A - e^{eps - v_i} B.
        return v0 + i * h + std::log((a - target) / b);
      }
      // Move to i - 1: include p_i.
      b = eh * (b + pmf[i]);
      a += pmf[i];
    }
    // eps below v0 - h (all mass above): delta(eps) = A - e^{eps - v_{-1}} B.
    if (a - target <= 0) return kNegInf;
    return v0 - h + std::log((a - target) / b);
  }
};

bool HasPld(const PrivacyMap& map) {
  switch (map.kind) {
    case PrivacyMapKind::kPureDp:
    case PrivacyMapKind::kApproxDp:
    case PrivacyMapKind::kLaplace:
    case PrivacyMapKind::kDiscreteLaplace:
    case PrivacyMapKind::kGaussian:
    case PrivacyMapKind::kSubsampledGaussian:
      return true;
    default:
      return false;
  }
}

namespace {

// Distinct mechanism (one PRV per neighbouring order) with its total repetitions.
struct Mechanism {
  std::unique_ptr<Prv> remove;  // P = M(D with the unit), Q = M(D without)
  std::unique_ptr<Prv> add;     // reversed order; null when symmetric (same PRV)
  int64_t count = 0;
  std::string label;
};

std::string Key(const PrivacyMap& m) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%d|%a|%a|%a|%a", static_cast<int>(m.kind), m.epsilon, m.delta,
                m.noise_multiplier, m.sampling_rate);
  return buf;
}

absl::StatusOr<Mechanism> MakeMechanism(const PrivacyMap& m) {
  Mechanism mech;
  mech.label = m.ToString();
  switch (m.kind) {
    case PrivacyMapKind::kPureDp:
      mech.remove = std::make_unique<RandomizedResponsePrv>(m.epsilon, 0.0);
      break;
    case PrivacyMapKind::kApproxDp:
      mech.remove = std::make_unique<RandomizedResponsePrv>(m.epsilon, m.delta);
      break;
    case PrivacyMapKind::kDiscreteLaplace:
      mech.remove = std::make_unique<RandomizedResponsePrv>(1 / m.noise_multiplier, 0.0);
      break;
    case PrivacyMapKind::kLaplace:
      mech.remove = std::make_unique<LaplacePrv>(m.noise_multiplier);
      break;
    case PrivacyMapKind::kGaussian:
      mech.remove = std::make_unique<GaussianPrv>(m.noise_multiplier);
      break;
    case PrivacyMapKind::kSubsampledGaussian:
      if (m.sampling_rate >= 1) {
        mech.remove = std::make_unique<GaussianPrv>(m.noise_multiplier);
      } else {
        mech.remove =
            std::make_unique<SubsampledGaussianPrv>(m.sampling_rate, m.noise_multiplier, true);
        mech.add =
            std::make_unique<SubsampledGaussianPrv>(m.sampling_rate, m.noise_multiplier, false);
      }
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "the PLD accountant has no privacy loss distribution for ", m.ToString(),
          " (zcdp, discrete_gaussian and rdp_curve are composed by RDP)"));
  }
  return mech;
}

struct DirectionResult {
  std::shared_ptr<PldComposition::Composed> composed;
  double bernstein_var = 0;  // sum k_g Var(Z_g)
  double z_bound = 0;        // max_g |Z_g|
  double z_sum = 0;          // sum_g k_g max|Z_g|: |sum Z| never exceeds it
  double dropped = 0;        // sum k_g dropped_g
  double aliasing = 0;       // Chernoff bound on the wrapped mass
  int64_t n = 0;
  double needed_step = 0;    // > 0: the window needs more than max_grid_points at this step
  double window_half_width = 0;
};

// Composes each neighbouring order's groups on one cyclic grid of n points. Distinct discrete
// PRVs are transformed two at a time (real and imaginary parts of one complex FFT), and the two
// orders' products are inverted together the same way. If the window needs more than
// max_grid_points, returns results with needed_step > 0 (the grid step that would fit).
absl::StatusOr<std::vector<DirectionResult>> ComposeDirections(
    const std::vector<std::vector<Group>>& dirs, double h, const PldOptions& options,
    bool plan_only = false) {
  const size_t num_dirs = dirs.size();
  std::vector<DirectionResult> results(num_dirs);
  std::vector<double> mean(num_dirs, 0), shift_total(num_dirs, 0), log_keep(num_dirs, 0);
  double w_max = 0;
  for (size_t d = 0; d < num_dirs; ++d) {
    DirectionResult& r = results[d];
    double var = 0;
    for (const Group& g : dirs[d]) {
      const double k = static_cast<double>(g.count);
      mean[d] += k * g.prv->mean;
      var += k * g.prv->var;
      shift_total[d] += k * g.prv->shift;
      log_keep[d] += k * std::log1p(-g.prv->inf_mass);
      r.bernstein_var += k * g.prv->z_var;
      r.z_bound = std::max(r.z_bound, g.prv->z_bound);
      r.z_sum += k * g.prv->z_bound;
      r.dropped += k * g.prv->dropped;
    }
    const double sd = std::sqrt(var);
    std::vector<MgfBlocks> blocks;
    for (const Group& g : dirs[d]) {
      blocks.push_back(MakeMgfBlocks(*g.prv, h));
    }
    // Window half-width W (loss units): from +-8 sd, grow until the Chernoff bound on the mass
    // outside [mean - W, mean + W] is below aliasing_mass.
    const ChernoffTable chernoff(dirs[d], blocks, sd);
    double w = std::max(8 * sd, 32 * h);
    double bound = 1;
    for (int i = 0; i < 200; ++i) {
      bound = chernoff.OutsideMass(mean[d] - w, mean[d] + w);
      if (bound <= options.aliasing_mass) break;
      w *= 1.25;
    }
    if (bound > options.aliasing_mass) {
      return absl::InternalError("PLD: no window bounds the composed tails");
    }
    r.aliasing = bound;
    w_max = std::max(w_max, w);
  }
  results[0].window_half_width = w_max;
  if (plan_only) return results;
  // The cyclic grid covers [mean - n h / 2 + h, mean + n h / 2 - 2h] (see the index map below).
  int64_t n = 64;
  while (static_cast<double>(n) * h / 2 - 2 * h < w_max) {
    if (n >= options.max_grid_points) {
      results[0].needed_step = (2 * w_max) / (static_cast<double>(options.max_grid_points) - 8);
      return results;
    }
    n *= 2;
  }
  for (auto& r : results) r.n = n;

  // Distinct discrete PRVs and where they are used.
  struct Use {
    size_t dir;
    int64_t count;
  };
  std::vector<const DiscretePrv*> prvs;
  std::vector<std::vector<Use>> uses;
  std::vector<int64_t> offset_mod(num_dirs, 0);
  for (size_t d = 0; d < num_dirs; ++d) {
    for (const Group& g : dirs[d]) {
      size_t u = 0;
      while (u < prvs.size() && prvs[u] != g.prv) ++u;
      if (u == prvs.size()) {
        prvs.push_back(g.prv);
        uses.emplace_back();
      }
      uses[u].push_back({d, g.count});
      offset_mod[d] = Mod(offset_mod[d] + MulMod(g.count, g.prv->j_lo, n), n);
    }
  }
  internal::Fft fft(static_cast<size_t>(n));
  std::vector<std::vector<std::complex<double>>> totals(
      num_dirs, std::vector<std::complex<double>>(n, {1.0, 0.0}));
  std::vector<std::complex<double>> buf(n);
  for (size_t u = 0; u < prvs.size(); u += 2) {
    const bool pair = u + 1 < prvs.size();
    std::fill(buf.begin(), buf.end(), std::complex<double>(0, 0));
    for (size_t i = 0; i < prvs[u]->p.size(); ++i) buf[i % n] += prvs[u]->p[i];
    if (pair) {
      for (size_t i = 0; i < prvs[u + 1]->p.size(); ++i) {
        buf[i % n] += std::complex<double>(0, prvs[u + 1]->p[i]);
      }
    }
    fft.Forward(buf);
    for (int64_t f = 0; f < n; ++f) {
      std::complex<double> x = buf[f], y;
      if (pair) {
        const std::complex<double> a = buf[f];
        const std::complex<double> b = std::conj(buf[(n - f) & (n - 1)]);
        x = 0.5 * (a + b);
        const std::complex<double> dd = a - b;
        y = {0.5 * dd.imag(), -0.5 * dd.real()};
      }
      for (const Use& use : uses[u]) {
        totals[use.dir][f] = Mul(totals[use.dir][f], Power(x, use.count));
      }
      if (pair) {
        for (const Use& use : uses[u + 1]) {
          totals[use.dir][f] = Mul(totals[use.dir][f], Power(y, use.count));
        }
      }
    }
  }
  std::vector<std::vector<double>> real_out(num_dirs, std::vector<double>(n));
  if (num_dirs == 2) {
    // Both results are real: invert x + i y in one transform.
    for (int64_t f = 0; f < n; ++f) {
      buf[f] = totals[0][f] + std::complex<double>(-totals[1][f].imag(), totals[1][f].real());
    }
    totals.clear();
    fft.Inverse(buf);
    for (int64_t i = 0; i < n; ++i) {
      real_out[0][i] = buf[i].real();
      real_out[1][i] = buf[i].imag();
    }
  } else {
    fft.Inverse(totals[0]);
    for (int64_t i = 0; i < n; ++i) real_out[0][i] = totals[0][i].real();
  }
  for (size_t d = 0; d < num_dirs; ++d) {
    // Window of grid indices J in [J0, J0 + n) around the mean; value = shift_total + J h.
    const int64_t j0 = static_cast<int64_t>(std::llround((mean[d] - shift_total[d]) / h)) - n / 2;
    auto composed = std::make_shared<PldComposition::Composed>();
    composed->h = h;
    composed->v0 = shift_total[d] + static_cast<double>(j0) * h;
    composed->pmf.assign(n, 0.0);
    composed->inf_mass = -std::expm1(log_keep[d]);
    const int64_t j0_mod = Mod(j0, n);
    const int64_t shift_idx = Mod(offset_mod[d] - j0_mod, n);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t idx = (i + shift_idx) & (n - 1);
      const double v = real_out[d][i];
      if (v < 0) {
        composed->negative_mass -= v;
      } else {
        composed->pmf[idx] = v;
      }
    }
    results[d].composed = std::move(composed);
  }
  return results;
}

// Bernstein: P(sum Z >= t) <= exp(-t^2 / (2 (V + b t / 3))) = eta  =>  t below.
double BernsteinDeviation(double var_sum, double b, double eta) {
  const double l = std::log(1 / eta);
  const double c = b * l / 3;
  return c + std::sqrt(c * c + 2 * var_sum * l);
}

// The composition's error bounds over both neighbouring orders.
struct ErrorBounds {
  double epsilon = 0;  // |sum of rounding errors| bound (+ the mean quadrature's share)
  double delta = 0;    // Bernstein failure + truncation + aliasing + floating-point slack
  int64_t grid_points = 0;
};

ErrorBounds BoundErrors(const std::vector<DirectionResult>& results, double eta,
                        double mean_error) {
  ErrorBounds b;
  for (const DirectionResult& dr : results) {
    const double deviation =
        std::min(BernsteinDeviation(dr.bernstein_var, dr.z_bound, eta), dr.z_sum);
    b.epsilon = std::max(b.epsilon, deviation + mean_error);
    b.delta = std::max(b.delta, eta + dr.dropped + dr.aliasing +
                                    2 * dr.composed->negative_mass + 1e-15);
    b.grid_points = std::max(b.grid_points, dr.n);
  }
  return b;
}

// Why the requested epsilon error was not met, said plainly.
std::string MissedErrorNote(double reached, const PldOptions& options, bool at_grid_cap,
                            const absl::Status& last_error) {
  const std::string head = absl::StrCat("PLD epsilon error ", FormatDouble(reached),
                                        " exceeds the requested ",
                                        FormatDouble(options.epsilon_error), ": ");
  if (at_grid_cap) {
    return absl::StrCat(head, "a finer grid would need more than max_grid_points = ",
                        options.max_grid_points, " FFT points");
  }
  if (!last_error.ok()) {
    return absl::StrCat(head, "finer grids failed (", last_error.message(), ")");
  }
  return absl::StrCat(head, "refining the grid did not converge");
}

}  // namespace

absl::StatusOr<PldComposition> PldComposition::Create(const std::vector<PrivacyMap>& maps,
                                                      const PldOptions& options) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon_error", options.epsilon_error));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("bernstein_failure", options.bernstein_failure));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("truncation_mass", options.truncation_mass));
  DPKIT_RETURN_IF_ERROR(ValidateOpenUnitInterval("aliasing_mass", options.aliasing_mass));
  if (options.max_grid_points < 64) {
    return absl::InvalidArgumentError(absl::StrCat("max_grid_points must be >= 64, got ",
                                                   options.max_grid_points));
  }
  // Group identical mechanisms and sum their repetitions.
  std::map<std::string, Mechanism> mechanisms;
  double total_count = 0;
  for (const PrivacyMap& m : maps) {
    DPKIT_RETURN_IF_ERROR(m.Validate());
    const std::string key = Key(m);
    auto it = mechanisms.find(key);
    if (it == mechanisms.end()) {
      DPKIT_ASSIGN_OR_RETURN(Mechanism mech, MakeMechanism(m));
      it = mechanisms.emplace(key, std::move(mech)).first;
    }
    it->second.count += m.repetitions;
    total_count += static_cast<double>(m.repetitions);
  }
  PldComposition out;
  if (mechanisms.empty()) {
    auto empty = std::make_shared<Composed>();
    empty->h = 1;
    empty->pmf = {1.0};
    out.directions_.push_back(empty);
    out.grid_step_ = 1;
    out.grid_points_ = 1;
    return out;
  }
  bool asymmetric = false;
  for (const auto& [key, mech] : mechanisms) asymmetric = asymmetric || mech.add != nullptr;
  const double eta = options.bernstein_failure;
  const double tail_per_step = options.truncation_mass / total_count;
  // Quadrature accuracy of each step's mean: k_total * mean_tol <= 1e-3 epsilon_error, which
  // is added to the reported epsilon error.
  const double mean_tol = 1e-3 * options.epsilon_error / std::max(1.0, total_count);
  // Grid step. For smooth PRVs Var(Z) ~ h^2/12 and |Z| <= h/2 per step, so Bernstein gives
  // t = h (l/6 + sqrt(l^2/36 + K l/6)), l = log(1/eta); and |sum Z| <= K h/2 always (the better
  // bound for a few steps: a single step needs h ~ 2 epsilon_error, not ~ epsilon_error/10).
  // Both are linear in h: solve for the target, 5% below it (the computed Var(Z) carries a
  // safety margin) so that one composition usually suffices. Atoms can make Var(Z) larger; the
  // loop below refines h from the error actually obtained.
  const double target = options.epsilon_error - total_count * mean_tol;
  const double log_eta = std::log(1 / eta);
  const double per_h = std::min(
      log_eta / 6 + std::sqrt(log_eta * log_eta / 36 + total_count * log_eta / 6), total_count);
  double h = 0.95 * target / per_h;
  // Discretises every mechanism (both orders) at step h.
  std::vector<std::unique_ptr<DiscretePrv>> storage;
  std::vector<Group> remove_groups, add_groups;
  auto discretize_all = [&](double step) -> absl::Status {
    storage.clear();
    remove_groups.clear();
    add_groups.clear();
    for (const auto& [key, mech] : mechanisms) {
      DPKIT_ASSIGN_OR_RETURN(DiscretePrv d,
                             Discretize(*mech.remove, step, tail_per_step, mean_tol,
                                        options.max_grid_points));
      storage.push_back(std::make_unique<DiscretePrv>(std::move(d)));
      remove_groups.push_back({storage.back().get(), mech.count});
      if (mech.add) {
        DPKIT_ASSIGN_OR_RETURN(DiscretePrv da,
                               Discretize(*mech.add, step, tail_per_step, mean_tol,
                                          options.max_grid_points));
        storage.push_back(std::make_unique<DiscretePrv>(std::move(da)));
        add_groups.push_back({storage.back().get(), mech.count});
      } else {
        add_groups.push_back(remove_groups.back());
      }
    }
    return absl::OkStatus();
  };
  double h_min = 0;  // the finest step whose composed window fits max_grid_points (pilot)
  // Pilot: when the fine grid would be large, size the composed window on a coarse grid first
  // (cheap) and take the finest step whose window fits max_grid_points.
  {
    double width = 0;
    for (const auto& [key, mech] : mechanisms) {
      for (const Prv* prv : {mech.remove.get(), mech.add.get()}) {
        if (prv == nullptr) continue;
        double a = 0, b = 0;
        if (prv->continuous_mass() > 0) prv->Truncation(tail_per_step, &a, &b);
        for (const Atom& at : prv->atoms) {
          a = std::min(a, at.value);
          b = std::max(b, at.value);
        }
        width = std::max(width, b - a);
      }
    }
    const double h_pilot = width / 4096;
    if (h_pilot > h && discretize_all(h_pilot).ok()) {
      std::vector<std::vector<Group>> dirs = {remove_groups};
      if (asymmetric) dirs.push_back(add_groups);
      auto plan = ComposeDirections(dirs, h_pilot, options, /*plan_only=*/true);
      if (plan.ok()) {
        const double w = (*plan)[0].window_half_width;
        h_min = 1.1 * 2 * w / (static_cast<double>(options.max_grid_points) - 8);
        h = std::max(h, h_min);
      }
    }
  }
  absl::Status last_error;  // of this attempt
  absl::Status failure;     // the latest attempt that failed (said in the notes)
  int refinements = 0;
  bool coarsened = false;
  for (int attempt = 0; attempt < 40; ++attempt) {
    // On failure (support too large, quadrature trouble) coarsen the grid and retry.
    if (attempt > 0 && !last_error.ok() && !coarsened) h *= 2;
    coarsened = false;
    last_error = discretize_all(h);
    if (!last_error.ok()) {
      failure = last_error;
      continue;
    }
    std::vector<std::vector<Group>> dirs = {remove_groups};
    if (asymmetric) dirs.push_back(add_groups);
    auto composed = ComposeDirections(dirs, h, options);
    if (!composed.ok()) {
      last_error = failure = composed.status();
      continue;
    }
    std::vector<DirectionResult> results = std::move(*composed);
    const double needed_step = results[0].needed_step;
    if (needed_step > 0) {
      // Coarsen straight to the step at which the window fits the grid cap.
      h = std::max(h * 1.01, needed_step * 1.02);
      h_min = std::max(h_min, h);
      last_error = absl::OutOfRangeError(
          absl::StrCat("the composed distribution needs grid step ", needed_step));
      coarsened = true;
      continue;
    }
    const ErrorBounds bounds = BoundErrors(results, eta, total_count * mean_tol);
    // Refine from the error obtained (atoms, asymmetric shifts), as far as the grid cap allows.
    const double refined_h = h * 0.97 * options.epsilon_error / bounds.epsilon;
    if (bounds.epsilon > options.epsilon_error && refinements < 4 && refined_h > h_min) {
      h = refined_h;
      ++refinements;
      continue;
    }
    out.epsilon_error_ = bounds.epsilon;
    out.delta_error_ = bounds.delta;
    out.grid_step_ = h;
    out.grid_points_ = bounds.grid_points;
    for (DirectionResult& dr : results) out.directions_.push_back(std::move(dr.composed));
    out.notes_.push_back(absl::StrCat(
        "PLD (PRV accountant, Gopi-Lee-Wutschitz 2021): ", mechanisms.size(),
        " distinct mechanism(s), ", static_cast<int64_t>(total_count), " composition(s), ",
        asymmetric ? "both neighbouring orders (add/remove), " : "", "grid step ",
        FormatDouble(h), ", FFT size ", bounds.grid_points, "; error bounds: epsilon +- ",
        FormatDouble(bounds.epsilon), ", delta +- ", FormatDouble(bounds.delta)));
    if (bounds.epsilon > options.epsilon_error) {
      out.notes_.push_back(MissedErrorNote(bounds.epsilon, options, refined_h <= h_min,
                                           failure));
    }
    return out;
  }
  return absl::OutOfRangeError(absl::StrCat("PLD composition failed: ", last_error.message()));
}

PldBound PldComposition::Delta(double epsilon) const {
  PldBound out{0, 0, 0};
  const double t = epsilon_error_;
  const double err = delta_error_;
  for (const auto& d : directions_) {
    const double inf = d->inf_mass;
    auto lift = [&](double x) { return inf + (1 - inf) * std::clamp(x, 0.0, 1.0); };
    out.estimate = std::max(out.estimate, lift(d->DeltaFinite(epsilon)));
    out.upper = std::max(out.upper, lift(d->DeltaFinite(epsilon - t) + err));
    out.lower = std::max(out.lower, lift(d->DeltaFinite(epsilon + t) - err));
  }
  return out;
}

PldBound PldComposition::Epsilon(double delta) const {
  PldBound out{0, 0, 0};
  const double t = epsilon_error_;
  const double err = delta_error_;
  for (const auto& d : directions_) {
    const double inf = d->inf_mass;
    const double target = (delta - inf) / (1 - inf);
    auto eps_at = [&](double tgt, double shift) {
      if (!(tgt > 0)) return kInf;
      const double e = d->EpsilonFinite(tgt);
      return e == kNegInf ? 0.0 : std::max(0.0, e + shift);
    };
    out.estimate = std::max(out.estimate, eps_at(target, 0));
    out.upper = std::max(out.upper, eps_at(target - err, t));
    out.lower = std::max(out.lower, eps_at(target + err, -t));
  }
  return out;
}

}  // namespace dpkit::accounting
