// Internal: table-driven (CDT) kernels of the discrete Laplace and discrete Gaussian samplers
// for small scales -- exact inversion instead of rejection.
//
// Both sample |Y| by inverting one uniform against the survival function of |Y| (a
// SurvivalTable: 120 random bits compared with every entry, SIMD, no early exit), and a random
// sign (|Y| = 0 keeps 0, so the two-sided law needs no rejection):
//   discrete Gaussian, sigma^2 = n/d: P(|Y| >= j) = 2 sum_{i>=j} w_i / Z, w_i = e^-(i^2 d / 2n),
//     Z = 1 + 2 sum_{i>=1} w_i, for j = 1..K with K the first index where it drops below
//     2^-100; |Y| >= K (probability < 2^-100) is then drawn exactly from its conditional law
//     (K + a geometric proposal, accepted with e^-(g^2 d / 2n)).
//   discrete Laplace, scale t/s, rho = e^-(s/t): P(|Y| >= j) = 2 rho^j / (1 + rho). Up to
//     about 70 scale entries one table holds it (the tail beyond K: K + a geometric); beyond,
//     |Y| = 0 or A + m H with A in [1, m] and H >= 0 independent (rho's powers factor), each
//     from its own table: P(A >= a) = 2 (rho^a - rho^(m+1)) / ((1 + rho)(1 - rho^m)) and
//     P(H >= h) = rho^(m h); both are always drawn.
// Table entries are floor(g_j 2^128) from enclosures in 256-bit (or wider) fixed point
// (fixed_words.h, exp_exact.h); an entry equal to the drawn bits, and the tails, are decided
// exactly in variable time. Timing: independent of the sample except on those events,
// probability < 2^-100 + K 2^-120 per table per sample. Tables are built on first use (~0.1
// ms, a function of the public scale only).
#ifndef DPKIT_SRC_RANDOM_CDT_KERNELS_H_
#define DPKIT_SRC_RANDOM_CDT_KERNELS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "random/bit_pool.h"
#include "random/integer_sampler.h"
#include "random/survival_table.h"

namespace dpkit::random::internal {

// Entries a CDT kernel may scan per sample; larger scales use the rejection kernels.
inline constexpr size_t kMaxCdtEntries = 192;

// A value built on first use (thread-safe); afterwards one load-acquire per access.
template <typename T>
class BuiltOnce {
 public:
  template <typename Build>
  const T& Get(Build build) const {
    if (const T* ready = ready_.load(std::memory_order_acquire)) [[likely]]
      return *ready;
    std::lock_guard<std::mutex> lock(mu_);
    if (value_ == nullptr) {
      value_ = build();
      ready_.store(value_.get(), std::memory_order_release);
    }
    return *value_;
  }

 private:
  mutable std::atomic<const T*> ready_{nullptr};
  mutable std::mutex mu_;
  mutable std::unique_ptr<T> value_;
};

class GaussianCdt : public IntegerSampler {
 public:
  // sigma^2 = n / d.
  GaussianCdt(uint64_t n, uint64_t d);
  // Whether sigma^2 = n / d is small enough for a table of at most kMaxCdtEntries.
  static bool Fits(uint64_t n, uint64_t d);
  int64_t Sample(BitPool& pool) const override;
  int words_per_sample() const override { return 2; }
  // The table of P(|Y| >= j) (built on first use).
  const SurvivalTable& table() const;

 private:
  uint64_t n_, d_;
  BuiltOnce<SurvivalTable> table_;
};

class LaplaceCdt : public IntegerSampler {
 public:
  // Scale t / s.
  LaplaceCdt(uint64_t t, uint64_t s);
  static bool Fits(uint64_t t, uint64_t s);
  int64_t Sample(BitPool& pool) const override;
  int words_per_sample() const override { return m_ == 0 ? 2 : 4; }
  // The table of P(|Y| >= j), or of P(A >= a) in the two-table form (built on first use).
  const SurvivalTable& first_table() const;
  // 0 for the one-table form, else m in |Y| = A + m H.
  uint64_t split() const { return m_; }

 private:
  struct Tables {
    SurvivalTable first;                  // |Y|, or A
    std::optional<SurvivalTable> second;  // H
  };
  const Tables& tables() const;
  std::unique_ptr<Tables> Build() const;
  uint64_t t_, s_;
  uint64_t m_;  // 0: one table of |Y|; else |Y| = A + m H
  BuiltOnce<Tables> tables_;
};

}  // namespace dpkit::random::internal

#endif  // DPKIT_SRC_RANDOM_CDT_KERNELS_H_
