#include "dpkit/random/samplers.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "dpkit/base/validation.h"
#include "random/bit_pool.h"
#include "random/bucket_kernel.h"
#include "random/cdt_kernels.h"
#include "random/integer_sampler.h"
#include "random/timing_safe.h"

namespace dpkit::random {
namespace {

constexpr uint128 kU64Max = std::numeric_limits<uint64_t>::max();

inline int BitLength128(uint128 x) {
  uint64_t hi = static_cast<uint64_t>(x >> 64);
  if (hi != 0) return 128 - __builtin_clzll(hi);
  uint64_t lo = static_cast<uint64_t>(x);
  return lo == 0 ? 0 : 64 - __builtin_clzll(lo);
}

using internal::BitPool;

// Lemire's multiply-and-reject: uniform in [0, n), 1 <= n < 2^64, from 64-bit words next().
// Variable time (the rejection threshold is computed on demand).
template <typename NextWord>
uint64_t Lemire64(uint64_t n, NextWord next) {
  uint128 m = static_cast<uint128>(next()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (low < threshold) {
      m = static_cast<uint128>(next()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

// Uniform in [0, n) for n > 2^64 by masked rejection on 128-bit words next128().
template <typename Next128>
uint128 MaskedBelow128(uint128 n, Next128 next128) {
  const int bits = BitLength128(n - 1);
  const uint128 mask = bits >= 128 ? ~uint128{0} : ((uint128{1} << bits) - 1);
  while (true) {
    const uint128 r = next128() & mask;
    if (r < n) return r;
  }
}

// Uniform in [0, n) from a pool: Lemire's method on 32-bit draws for n < 2^32, 64-bit otherwise.
// Variable time: for the legacy BernoulliExp.
uint64_t PoolUniform(BitPool& pool, uint64_t n) {
  if (n <= 0xFFFFFFFFu) {
    const uint32_t n32 = static_cast<uint32_t>(n);
    uint64_t m = static_cast<uint64_t>(pool.Bits(32)) * n32;
    uint32_t low = static_cast<uint32_t>(m);
    if (low < n32) {
      uint32_t threshold = (0u - n32) % n32;
      while (low < threshold) {
        m = static_cast<uint64_t>(pool.Bits(32)) * n32;
        low = static_cast<uint32_t>(m);
      }
    }
    return m >> 32;
  }
  return Lemire64(n, [&] { return pool.Next64(); });
}

uint128 PoolUniform128(BitPool& pool, uint128 n) {
  if (n <= kU64Max) return PoolUniform(pool, static_cast<uint64_t>(n));
  return MaskedBelow128(n, [&] { return pool.Next128(); });
}

bool PoolRational(BitPool& pool, uint128 num, uint128 den) {
  if (num >= den) return true;
  if (num == 0) return false;
  return PoolUniform128(pool, den) < num;
}

// Bernoulli(exp(-a/b)) for a <= b (CKS20 Algorithm 1): K <- 1; while Bernoulli(gamma/K): K++;
// return K odd. Bernoulli(gamma/K) is drawn as Bernoulli(a/b) AND Bernoulli(1/K).
bool BernoulliExpUnit(BitPool& pool, uint128 a, uint128 b) {
  if (a == 0) return true;
  uint64_t k = 1;
  if (b <= (kU64Max >> 8)) {
    // Bernoulli(a / (b k)) with a single uniform draw below b*k while that fits in 64 bits.
    const uint64_t a64 = static_cast<uint64_t>(a), b64 = static_cast<uint64_t>(b);
    while (true) {
      uint128 bk = static_cast<uint128>(b64) * k;
      bool success;
      if (bk <= kU64Max) {
        success = a64 >= bk || PoolUniform(pool, static_cast<uint64_t>(bk)) < a64;
      } else {
        success = PoolRational(pool, a64, b64) && PoolUniform(pool, k) == 0;
      }
      if (!success) break;
      ++k;
    }
    return (k & 1) == 1;
  }
  while (PoolRational(pool, a, b) && (k == 1 || PoolUniform(pool, k) == 0)) ++k;
  return (k & 1) == 1;
}

// Bernoulli(exp(-num/den)) on a pool.
bool BernoulliExpPool(BitPool& pool, uint128 num, uint128 den) {
  if (num == 0) return true;
  if (num <= den) return BernoulliExpUnit(pool, num, den);
  uint128 whole, frac;
  if (num <= kU64Max) {  // 64-bit division is much cheaper than 128-bit
    uint64_t n64 = static_cast<uint64_t>(num), d64 = static_cast<uint64_t>(den);
    whole = n64 / d64;
    frac = n64 % d64;
  } else {
    whole = num / den;
    frac = num % den;
  }
  for (uint128 i = 0; i < whole; ++i) {
    if (!BernoulliExpUnit(pool, 1, 1)) return false;
  }
  return BernoulliExpUnit(pool, frac, den);
}

// Smallest num / 2^k >= x with num of about `precision_bits` bits and k <= max_k.
absl::StatusOr<Rational> RationalAtLeastImpl(double x, int precision_bits, int max_k,
                                             const char* name) {
  if (!std::isfinite(x) || !(x > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be finite and > 0, got ", FormatDouble(x)));
  }
  int e;
  std::frexp(x, &e);  // x = m * 2^e, m in [0.5, 1)
  int k = precision_bits - e;
  if (k > max_k) k = max_k;
  if (k < 0) k = 0;
  double scaled = std::ceil(std::ldexp(x, k));  // exact: scaling by a power of two, then ceil
  if (!(scaled < 9.2e18)) {
    return absl::InvalidArgumentError(absl::StrCat(name, " is too large, got ", FormatDouble(x)));
  }
  uint64_t num = static_cast<uint64_t>(scaled);
  uint64_t den = uint64_t{1} << k;
  // Reduce common factors of two.
  while (den > 1 && (num & 1) == 0) {
    num >>= 1;
    den >>= 1;
  }
  return Rational{num, den};
}

}  // namespace

uint64_t UniformUint64(BitGenerator& gen, uint64_t n) {
  if (n == 0) return gen.NextU64();  // n == 2^64
  return Lemire64(n, [&] { return gen.NextU64(); });
}

uint128 UniformUint128(BitGenerator& gen, uint128 n) {
  if (n <= kU64Max) return UniformUint64(gen, static_cast<uint64_t>(n));
  return MaskedBelow128(n, [&] {
    const uint128 hi = gen.NextU64();
    return (hi << 64) | gen.NextU64();
  });
}

int64_t UniformInt(BitGenerator& gen, int64_t lo, int64_t hi) {
  uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;  // 0 means 2^64
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + UniformUint64(gen, span));
}

double UniformDouble01(BitGenerator& gen) {
  return static_cast<double>(gen.NextU64() >> 11) * 0x1.0p-53;
}

bool BernoulliRational(BitGenerator& gen, uint128 num, uint128 den) {
  if (num >= den) return true;
  if (num == 0) return false;
  return UniformUint128(gen, den) < num;
}

bool BernoulliDouble(BitGenerator& gen, double p) {
  if (!(p > 0)) return false;
  if (p >= 1) return true;
  int e;
  double f = std::frexp(p, &e);                              // p = f * 2^e, f in [0.5, 1)
  uint64_t mant = static_cast<uint64_t>(std::ldexp(f, 53));  // p = mant * 2^(e-53), exact
  // Compare a uniform U in [0,1) with p word by word: word j of a number y is
  // floor(y * 2^(64(j+1))) mod 2^64.
  for (int j = 0;; ++j) {
    int shift = e - 53 + 64 * (j + 1);
    // shift >= 64: every bit of p lies in earlier words, all of which U matched, so U >= p.
    if (shift >= 64) return false;
    uint64_t pw;
    if (shift >= 0) {
      pw = mant << shift;
    } else if (shift > -64) {
      pw = mant >> (-shift);
    } else {
      pw = 0;
    }
    // Bits of p above this word were already matched; for shift in (0,64) the high bits of
    // mant << shift belong to earlier words and are dropped by the 64-bit shift.
    uint64_t r = gen.NextU64();
    if (r < pw) return true;
    if (r > pw) return false;
  }
}

bool BernoulliExp(BitGenerator& gen, uint128 num, uint128 den) {
  BitPool pool(gen);
  return BernoulliExpPool(pool, num, den);
}

bool BernoulliExpFixedWork(BitGenerator& gen, uint128 num, uint128 den, uint32_t max_integer_part) {
  if (num / den > max_integer_part) {  // clamp: exp(-(max + 1)) >= the true probability
    num = (static_cast<uint128>(max_integer_part) + 1) * den;
  }
  // x = num / den in 128-bit fixed point (work fixed by den), then 96 random bits against the
  // fixed-point e^-x (timing_safe.h).
  uint64_t q;
  uint128 frac;
  const internal::QuotientOf quotient(den);
  quotient(num, &q, &frac);
  BitPool pool(gen);
  return internal::BernoulliExpNeg(pool, q, frac, internal::kQuotientErrorUlps, num, den);
}

absl::StatusOr<Rational> RationalAtLeast(double x, int precision_bits, const char* name) {
  return RationalAtLeastImpl(x, precision_bits, 62, name);
}

// ---------------------------------------------------------------------------------------------
// Discrete Laplace

namespace {

using Kernel = std::shared_ptr<const internal::IntegerSampler>;

// Kernels are immutable and their tables take ~0.1 ms to build (on first use), so samplers of
// one public law share one kernel: code that creates a mechanism per release or per audit trial
// pays the build once. At most kMaxCachedKernels laws are kept (then the cache starts afresh;
// samplers keep the kernels they hold).
constexpr size_t kMaxCachedKernels = 1024;

Kernel SharedKernel(char law, Rational r, const std::function<Kernel()>& make) {
  static std::mutex mu;
  static auto* cache = new std::map<std::tuple<char, uint64_t, uint64_t>, Kernel>();
  std::lock_guard<std::mutex> lock(mu);
  if (cache->size() >= kMaxCachedKernels) cache->clear();
  Kernel& slot = (*cache)[{law, r.num, r.den}];
  if (slot == nullptr) slot = make();
  return slot;
}

// Table-driven inversion (`Cdt`, cdt_kernels.h) where its tables are small, bucket-table
// rejection (bucket_kernel.h) beyond; `law` names the distribution ('L' or 'G') in the cache.
template <typename Cdt>
Kernel KernelFor(char law, Rational r, internal::BucketLaw (*bucket_law)(uint64_t, uint64_t)) {
  return SharedKernel(law, r, [r, bucket_law]() -> Kernel {
    if (Cdt::Fits(r.num, r.den)) return std::make_shared<Cdt>(r.num, r.den);
    return std::make_shared<internal::BucketKernel>(bucket_law(r.num, r.den));
  });
}

}  // namespace

DiscreteLaplaceSampler::DiscreteLaplaceSampler(Rational scale)
    : scale_(scale),
      kernel_(KernelFor<internal::LaplaceCdt>('L', scale, &internal::DiscreteLaplaceLaw)) {}

absl::StatusOr<DiscreteLaplaceSampler> DiscreteLaplaceSampler::Create(double scale) {
  if (!std::isfinite(scale) || !(scale > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("scale must be finite and > 0, got ", FormatDouble(scale)));
  }
  if (scale < 0x1.0p-23 || scale > 0x1.0p50) {
    return absl::InvalidArgumentError(
        absl::StrCat("scale must be in [2^-23, 2^50], got ", FormatDouble(scale)));
  }
  auto r = RationalAtLeastImpl(scale, 40, 62, "scale");
  if (!r.ok()) return r.status();
  return DiscreteLaplaceSampler(*r);
}

absl::StatusOr<DiscreteLaplaceSampler> DiscreteLaplaceSampler::CreateRational(uint64_t num,
                                                                              uint64_t den) {
  if (num == 0 || den == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("scale must be a positive rational, got ", num, "/", den));
  }
  if (num > (uint64_t{1} << 62)) {
    return absl::InvalidArgumentError(absl::StrCat("scale numerator too large: ", num));
  }
  return DiscreteLaplaceSampler(Rational{num, den});
}

int64_t DiscreteLaplaceSampler::Sample(BitGenerator& gen) const {
  BitPool pool(gen, kernel_->words_per_sample());
  return kernel_->Sample(pool);
}

void DiscreteLaplaceSampler::Sample(BitGenerator& gen, int64_t* out, size_t n) const {
  BitPool pool(gen, BitPool::kMaxWords);
  for (size_t i = 0; i < n; ++i) out[i] = kernel_->Sample(pool);
}

// ---------------------------------------------------------------------------------------------
// Discrete Gaussian

absl::StatusOr<DiscreteGaussianSampler> DiscreteGaussianSampler::Create(double sigma) {
  if (!std::isfinite(sigma) || !(sigma > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sigma must be finite and > 0, got ", FormatDouble(sigma)));
  }
  if (sigma < 0x1.0p-10 || sigma > 0x1.0p24) {
    return absl::InvalidArgumentError(
        absl::StrCat("sigma must be in [2^-10, 2^24], got ", FormatDouble(sigma)));
  }
  // sigma^2 rounded up: sigma*sigma in double may round down, detected exactly with fma.
  double s2 = sigma * sigma;
  if (std::fma(sigma, sigma, -s2) > 0)
    s2 = std::nextafter(s2, std::numeric_limits<double>::infinity());
  // sigma^2 rounded up to 40 significant bits.
  auto r = RationalAtLeastImpl(s2, 40, 40, "sigma^2");
  if (!r.ok()) return r.status();
  return DiscreteGaussianSampler(*r);
}

DiscreteGaussianSampler::DiscreteGaussianSampler(Rational sigma2)
    : sigma2_(sigma2),
      kernel_(KernelFor<internal::GaussianCdt>('G', sigma2, &internal::DiscreteGaussianLaw)) {}

double DiscreteGaussianSampler::sigma() const { return std::sqrt(sigma2_.ToDouble()); }

int64_t DiscreteGaussianSampler::Sample(BitGenerator& gen) const {
  BitPool pool(gen, kernel_->words_per_sample());
  return kernel_->Sample(pool);
}

void DiscreteGaussianSampler::Sample(BitGenerator& gen, int64_t* out, size_t n) const {
  BitPool pool(gen, BitPool::kMaxWords);
  for (size_t i = 0; i < n; ++i) out[i] = kernel_->Sample(pool);
}

}  // namespace dpkit::random
