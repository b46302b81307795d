#include "random/discrete_kernels.h"

#include <limits>

#include "random/ct.h"
#include "random/exp_fixed.h"

namespace dpkit::random::internal {

LaplaceKernel::LaplaceKernel(uint64_t t, uint64_t s)
    : t_(t), uniform_(t), fraction_(t), divide_(s) {
  if (t <= kMaxTabulated) {
    for (uint64_t u = 0; u < t; ++u) exp_table_.push_back(ExpNegFixed(0, fraction_(u)));
  }
}

uint128 LaplaceKernel::ExpNegUOverT(uint64_t u) const {
  if (exp_table_.empty()) return ExpNegFixed(0, fraction_(u));  // public branch: t is public
  return ct::Lookup(exp_table_.data(), static_cast<int>(exp_table_.size()), u);
}

// Y = sign floor((u + t V) / s) for a fresh V and sign; false for "-0" (rejected).
bool LaplaceKernel::Finish(BitPool& pool, uint64_t u, int64_t* out) const {
  const uint64_t v = GeometricExpNegOne(pool);
  const uint128 y = divide_(static_cast<uint128>(u) + static_cast<uint128>(t_) * v);
  const uint64_t negative = pool.Bit();
  if ((negative & static_cast<uint64_t>(y == 0)) != 0) return false;  // reject "-0"
  // |Y| >= 2^63 is clamped (probability < exp(-2^63 / scale), < 2^-1000 for scales <= 2^50).
  constexpr uint128 kMax = std::numeric_limits<int64_t>::max();
  const uint64_t magnitude = ct::Lo(ct::Select(ct::LessMask(y, kMax), y, kMax));
  const uint64_t mask = ct::Barrier(0 - negative);
  *out = static_cast<int64_t>((magnitude ^ mask) - mask);
  return true;
}

bool LaplaceKernel::Propose(BitPool& pool, int64_t* out, uint64_t* u) const {
  *u = uniform_(pool);
  return Finish(pool, *u, out);
}

bool LaplaceKernel::Attempt(BitPool& pool, int64_t* out) const {
  const uint64_t u = uniform_(pool);
  // exp(-u/t): tabulated, or the fraction u/t computed within 2 units of 2^-128.
  if (!BernoulliBelow(pool, ExpNegUOverT(u), kExpNegFixedErrorUlps + 2, u, t_)) return false;
  return Finish(pool, u, out);
}

int64_t LaplaceKernel::Sample(BitPool& pool) const {
  int64_t y;
  while (!Attempt(pool, &y)) {
  }
  return y;
}

GaussianKernel::GaussianKernel(uint64_t n, uint64_t d, uint64_t t)
    : laplace_(t, 1),
      n_(n),
      dt_(static_cast<uint128>(d) * t),
      two_n_dt_(2 * static_cast<uint128>(n) * d * t),
      denominator_(two_n_dt_ * t),
      max_abs_y_(static_cast<uint64_t>(std::numeric_limits<uint64_t>::max() / dt_)),
      quotient_(denominator_) {}

int64_t GaussianKernel::Sample(BitPool& pool) const {
  // Accept Y with probability exp(-(|Y| d t - n)^2 / (2 n d t^2)). For a large t the discrete
  // Laplace's own test exp(-U/t) is folded into this one: the proposal (U, Y) is accepted with
  // exp(-(U 2ndt + (|Y| d t - n)^2) / (2ndt^2)), one exponential per attempt instead of two. For
  // t <= LaplaceKernel::kMaxTabulated that test is a table scan, cheaper than redrawing V.
  const bool fold = !laplace_.tabulated();
  while (true) {
    int64_t y;
    uint64_t u = 0;
    if (fold ? !laplace_.Propose(pool, &y, &u) : !laplace_.Attempt(pool, &y)) continue;
    const uint64_t sign = ct::Barrier(static_cast<uint64_t>(y >> 63));
    const uint64_t abs_y = (static_cast<uint64_t>(y) ^ sign) - sign;
    // Beyond these bounds the acceptance probability is < exp(-2^27): rejected (samplers.h).
    if (abs_y > max_abs_y_) continue;
    const uint128 ydt = static_cast<uint128>(abs_y) * dt_;
    const uint64_t below = ct::LessMask(ydt, n_);
    const uint128 diff = ct::Select(below, n_ - ydt, ydt - n_);
    const uint128 square = diff * diff;
    const uint128 numerator = square + u * two_n_dt_;  // u == 0 unless folded
    if (numerator < square) continue;  // overflow: the exponent exceeds 2^27
    uint64_t q;
    uint128 frac;
    quotient_(numerator, &q, &frac);
    if (BernoulliExpNeg(pool, q, frac, kQuotientErrorUlps, numerator, denominator_)) return y;
  }
}

}  // namespace dpkit::random::internal
