#include "random/cdt_kernels.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "random/ct.h"
#include "random/exp_exact.h"
#include "random/fixed_words.h"

namespace dpkit::random::internal {
namespace {

// ---------------------------------------------------------------------------------------------
// Discrete Gaussian: w_i = e^-(i^2 d / 2n).

double Sigma2(uint64_t n, uint64_t d) { return static_cast<double>(n) / static_cast<double>(d); }

// Table entries for sigma^2 = n/d: first j with P(|Y| >= j) < 2^-100, with a margin.
size_t GaussianEntries(uint64_t n, uint64_t d) {
  return static_cast<size_t>(std::ceil(std::sqrt(2 * Sigma2(n, d) * kTailBits * std::log(2.0)))) +
         2;
}

// 2 sum_{i >= j} w_i for j in [1, max_j] and Z = 1 + 2 sum_{i >= 1} w_i, enclosed at `words`.
// Terms up to J with (J + 1)^2 >= 2 sigma^2 (64 words + 2) ln 2 and (J + 1) >= sigma^2 ln 2:
// then sum_{i > J} w_i <= w_(J+1) / (1 - e^-((J+1)/sigma^2)) <= 2 w_(J+1) <= 2^-(64 words + 1),
// so the neglected part of a doubled sum is below one unit in the last place.
struct GaussianSums {
  std::vector<FixedInterval> tail;  // tail[j] = 2 sum_{i >= j} w_i (index 0 unused)
  FixedInterval z;
};

GaussianSums EncloseGaussian(uint64_t n, uint64_t d, int words, size_t max_j) {
  const double s2 = Sigma2(n, d), ln2 = std::log(2.0);
  const double need = std::max(std::sqrt(2 * s2 * (64.0 * words + 2) * ln2), s2 * ln2);
  const size_t terms = std::max(static_cast<size_t>(std::ceil(need * (1 + 1e-9))) + 1, max_j);
  // w_(i+1) = w_i a^(2i + 1), a = e^-(d / 2n).
  const FixedInterval a = ExpNegBounds(d, 2 * static_cast<uint128>(n), words);
  const FixedInterval a2 = IntervalProduct(a, a);
  std::vector<FixedInterval> w(terms + 1);
  w[0] = IntervalConstant(words, 1);
  FixedInterval step = a;
  for (size_t i = 1; i <= terms; ++i) {
    w[i] = IntervalProduct(w[i - 1], step);
    step = IntervalProduct(step, a2);
  }
  GaussianSums s;
  s.tail.resize(max_j + 1);
  FixedInterval suffix = IntervalConstant(words, 0);
  for (size_t i = terms; i >= 1; --i) {
    suffix = IntervalSum(suffix, w[i]);
    if (i <= max_j) {
      s.tail[i] = IntervalTimes(suffix, 2);
      FixedAddInPlace(s.tail[i].hi, FixedUlp(words));  // the neglected terms
    }
  }
  s.z = IntervalSum(IntervalConstant(words, 1), s.tail[1]);
  return s;
}

// |Y| given |Y| >= k: k + G, G proposed geometric with ratio e^-(k d / n), accepted with
// e^-(G^2 d / 2n) (w_(k+g) = w_k e^-(k g / sigma^2) e^-(g^2 / 2 sigma^2)). Variable time.
uint64_t GaussianTail(BitPool& pool, uint64_t k, uint64_t n, uint64_t d) {
  while (true) {
    uint64_t g = 0;
    while (ExactBernoulliExp(pool, static_cast<uint128>(k) * d, n)) ++g;
    if (ExactBernoulliExp(pool, static_cast<uint128>(g) * g * d, 2 * static_cast<uint128>(n))) {
      return k + g;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Discrete Laplace: rho = e^-(s/t).

double Scale(uint64_t t, uint64_t s) { return static_cast<double>(t) / static_cast<double>(s); }

// Entries of the one-table form: P(|Y| >= j) = 2 rho^j / (1 + rho) < 2^-100 from j ~ 69.3 scale.
size_t LaplaceEntries(uint64_t t, uint64_t s) {
  return static_cast<size_t>(std::ceil(Scale(t, s) * kTailBits * std::log(2.0))) + 2;
}

// The two-table form |Y| = A + m H: m ~ sqrt(69.3 scale) balances the two tables.
uint64_t SplitFor(uint64_t t, uint64_t s) {
  return static_cast<uint64_t>(std::ceil(std::sqrt(Scale(t, s) * kTailBits * std::log(2.0))));
}
size_t SecondEntries(uint64_t t, uint64_t s, uint64_t m) {
  return static_cast<size_t>(
             std::ceil(Scale(t, s) * kTailBits * std::log(2.0) / static_cast<double>(m))) +
         2;
}

FixedInterval RhoPower(uint64_t t, uint64_t s, uint128 k, int words) {
  return ExpNegBounds(k * s, t, words);
}

// base^0, base^1, ... enclosed at one precision by repeated multiplication (for the tables;
// the exact path encloses each power directly).
class Powers {
 public:
  explicit Powers(FixedInterval base) : base_(std::move(base)) {}
  const FixedInterval& operator[](size_t k) {
    if (p_.empty()) p_.push_back(IntervalConstant(static_cast<int>(base_.lo.size()) - 1, 1));
    while (p_.size() <= k) p_.push_back(IntervalProduct(p_.back(), base_));
    return p_[k];
  }

 private:
  FixedInterval base_;
  std::vector<FixedInterval> p_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------

GaussianCdt::GaussianCdt(uint64_t n, uint64_t d) : n_(n), d_(d) {}

bool GaussianCdt::Fits(uint64_t n, uint64_t d) { return GaussianEntries(n, d) <= kMaxCdtEntries; }

const SurvivalTable& GaussianCdt::table() const {
  return table_.Get([this] {
    const size_t max_j = GaussianEntries(n_, d_) + 8;
    int sums_words = 0;
    GaussianSums sums;
    FixedInterval inverse;
    auto entry = [&](size_t j, int words) {
      if (words != sums_words) {
        sums = EncloseGaussian(n_, d_, words, max_j);
        inverse = IntervalReciprocal(sums.z);
        sums_words = words;
      }
      return IntervalProduct(sums.tail[j], inverse);
    };
    const std::vector<uint128> floors =
        TableFloors(entry, [&](size_t j, uint128 f) { return f < kTailFloor || j == max_j; });
    const uint64_t n = n_, d = d_;
    return std::make_unique<SurvivalTable>(floors, [n, d](LazyUniform& u, size_t j) {
      return UniformBelowRatio(u, [&](int words, FixedInterval* num, FixedInterval* den) {
        GaussianSums s = EncloseGaussian(n, d, words, j);
        *num = s.tail[j];
        *den = s.z;
      });
    });
  });
}

int64_t GaussianCdt::Sample(BitPool& pool) const {
  const SurvivalTable& table = this->table();
  uint64_t sign;
  uint64_t magnitude = table.Count(pool, &sign);
  if (magnitude == table.size()) [[unlikely]] {
    magnitude = GaussianTail(pool, magnitude, n_, d_);  // |Y| >= K: probability < 2^-100
  }
  return ct::WithSign(sign, magnitude);
}

// ---------------------------------------------------------------------------------------------

LaplaceCdt::LaplaceCdt(uint64_t t, uint64_t s)
    : t_(t), s_(s), m_(LaplaceEntries(t, s) <= kMaxCdtEntries ? 0 : SplitFor(t, s)) {}

bool LaplaceCdt::Fits(uint64_t t, uint64_t s) {
  if (LaplaceEntries(t, s) <= kMaxCdtEntries) return true;
  const uint64_t m = SplitFor(t, s);
  return m + SecondEntries(t, s, m) <= kMaxCdtEntries;
}

std::unique_ptr<LaplaceCdt::Tables> LaplaceCdt::Build() const {
  const uint64_t t = t_, s = s_, m = m_;
  // Per precision: the powers of rho and the reciprocal of the common denominator.
  int words_now = 0;
  std::optional<Powers> rho;
  FixedInterval inverse;
  auto at = [&](int words, auto denominator) -> Powers& {
    if (words != words_now) {
      rho.emplace(ExpNegBounds(s, t, words));
      inverse = IntervalReciprocal(denominator(*rho, words));
      words_now = words;
    }
    return *rho;
  };
  if (m == 0) {
    // P(|Y| >= j) = 2 rho^j / (1 + rho).
    auto den = [](Powers& p, int words) { return IntervalSum(IntervalConstant(words, 1), p[1]); };
    auto entry = [&](size_t j, int words) {
      const FixedInterval& pj = at(words, den)[j];
      return IntervalProduct(IntervalTimes(pj, 2), inverse);
    };
    const size_t max_j = LaplaceEntries(t, s) + 8;
    auto exact = [t, s](LazyUniform& u, size_t j) {
      return UniformBelowRatio(u, [&](int words, FixedInterval* num, FixedInterval* den) {
        const FixedInterval pj = RhoPower(t, s, j, words);
        *num = IntervalTimes(pj, 2);
        *den = IntervalSum(IntervalConstant(words, 1), RhoPower(t, s, 1, words));
      });
    };
    return std::make_unique<Tables>(Tables{
        SurvivalTable(
            TableFloors(entry, [&](size_t j, uint128 f) { return f < kTailFloor || j == max_j; }),
            exact),
        std::nullopt});
  }
  // P(A >= a) = 2 (rho^a - rho^(m+1)) / ((1 + rho)(1 - rho^m)), a in [1, m]: no tail.
  auto den_a = [m](Powers& p, int words) {
    return IntervalProduct(IntervalSum(IntervalConstant(words, 1), p[1]),
                           IntervalDifference(IntervalConstant(words, 1), p[m]));
  };
  auto entry_a = [&](size_t a, int words) {
    Powers& p = at(words, den_a);
    const FixedInterval d = IntervalDifference(p[a], p[m + 1]);
    return IntervalProduct(IntervalTimes(d, 2), inverse);
  };
  auto exact_a = [t, s, m](LazyUniform& u, size_t a) {
    return UniformBelowRatio(u, [&](int words, FixedInterval* num, FixedInterval* den) {
      const FixedInterval d =
          IntervalDifference(RhoPower(t, s, a, words), RhoPower(t, s, m + 1, words));
      *num = IntervalTimes(d, 2);
      *den =
          IntervalProduct(IntervalSum(IntervalConstant(words, 1), RhoPower(t, s, 1, words)),
                          IntervalDifference(IntervalConstant(words, 1), RhoPower(t, s, m, words)));
    });
  };
  SurvivalTable first(TableFloors(entry_a, [m](size_t a, uint128) { return a == m; }), exact_a);
  // P(H >= h) = rho^(m h).
  const size_t max_h = SecondEntries(t, s, m) + 8;
  int h_words = 0;
  std::optional<Powers> rho_m;
  auto entry_h = [&](size_t h, int words) {
    if (words != h_words) {
      rho_m.emplace(RhoPower(t, s, m, words));
      h_words = words;
    }
    return (*rho_m)[h];
  };
  auto exact_h = [t, s, m](LazyUniform& u, size_t h) {
    return UniformBelowExpNeg(u, static_cast<uint128>(m) * h * s, t);
  };
  return std::make_unique<Tables>(Tables{
      std::move(first),
      SurvivalTable(
          TableFloors(entry_h, [&](size_t h, uint128 f) { return f < kTailFloor || h == max_h; }),
          exact_h)});
}

const SurvivalTable& LaplaceCdt::first_table() const { return tables().first; }

const LaplaceCdt::Tables& LaplaceCdt::tables() const {
  return tables_.Get([this] { return Build(); });
}

int64_t LaplaceCdt::Sample(BitPool& pool) const {
  const Tables& tables = this->tables();
  uint64_t sign;
  uint64_t magnitude = tables.first.Count(pool, &sign);
  if (m_ == 0) {
    if (magnitude == tables.first.size()) [[unlikely]] {
      // |Y| >= K (probability < 2^-100): K + a geometric with ratio rho.
      while (ExactBernoulliExp(pool, s_, t_)) ++magnitude;
    }
    return ct::WithSign(sign, magnitude);
  }
  // |Y| = A + m H unless A = 0; H is drawn either way. H >= K_H (probability < 2^-100):
  // memoryless, K_H + a fresh H.
  const SurvivalTable& second = *tables.second;
  uint64_t h = second.Count(pool);
  if (h == second.size()) [[unlikely]] {
    uint64_t more;
    do {
      more = second.Count(pool);
      h += more;
    } while (more == second.size());
  }
  const uint64_t nonzero = ~ct::EqualMask(magnitude, 0);
  return ct::WithSign(sign, magnitude + (nonzero & (m_ * h)));
}

}  // namespace dpkit::random::internal
