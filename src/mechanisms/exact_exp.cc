#include "mechanisms/exact_exp.h"

#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>

namespace dpkit::mechanisms::internal {
namespace {

using u128 = unsigned __int128;

// ---- limb arithmetic, generic over std::vector<uint64_t> and std::array<uint64_t, N> ----
// Every loop runs over all limbs; there are no data-dependent branches.

inline uint64_t Mask(uint64_t bit) { return uint64_t{0} - bit; }  // 0 or all ones

template <class T>
T ZeroLike(const T& a) {
  T r = a;
  for (auto& w : r) w = 0;
  return r;
}

template <class T>
void AddSmall(T& r, uint64_t small) {
  uint64_t carry = small;
  for (auto& w : r) {
    u128 s = static_cast<u128>(w) + carry;
    w = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
}

template <class T>
T Add(const T& a, const T& b) {
  T r = a;
  uint64_t carry = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    u128 s = static_cast<u128>(a[i]) + b[i] + carry;
    r[i] = static_cast<uint64_t>(s);
    carry = static_cast<uint64_t>(s >> 64);
  }
  return r;
}

// max(a - b, 0).
template <class T>
T SubSat(const T& a, const T& b) {
  T r = a;
  uint64_t borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    u128 d = static_cast<u128>(a[i]) - b[i] - borrow;
    r[i] = static_cast<uint64_t>(d);
    borrow = static_cast<uint64_t>(d >> 64) & 1;
  }
  const uint64_t keep = ~Mask(borrow);
  for (auto& w : r) w &= keep;
  return r;
}

// 1 if a <= b else 0.
template <class T>
uint64_t LessEq(const T& a, const T& b) {
  uint64_t borrow = 0;  // computes b - a
  for (size_t i = 0; i < a.size(); ++i) {
    u128 d = static_cast<u128>(b[i]) - a[i] - borrow;
    borrow = static_cast<uint64_t>(d >> 64) & 1;
  }
  return borrow ^ 1;
}

// a (bit = 1) or b (bit = 0).
template <class T>
T Select(uint64_t bit, const T& a, const T& b) {
  const uint64_t m = Mask(bit);
  T r = a;
  for (size_t i = 0; i < a.size(); ++i) r[i] = (a[i] & m) | (b[i] & ~m);
  return r;
}

// floor / ceil of a * f / 2^64.
template <class T>
T MulFrac64(const T& a, uint64_t f, bool round_up) {
  const size_t n = a.size();
  T r = a;
  u128 acc = static_cast<u128>(a[0]) * f;
  const uint64_t dropped = static_cast<uint64_t>(acc);
  acc >>= 64;
  for (size_t i = 1; i < n; ++i) {
    acc += static_cast<u128>(a[i]) * f;
    r[i - 1] = static_cast<uint64_t>(acc);
    acc >>= 64;
  }
  r[n - 1] = static_cast<uint64_t>(acc);
  if (round_up) AddSmall(r, static_cast<uint64_t>(dropped != 0));
  return r;
}

// Scratch space of 2n limbs for products.
template <class T>
struct Wide {
  std::vector<uint64_t> v;
  uint64_t* data(size_t n) {
    v.assign(2 * n, 0);
    return v.data();
  }
};
template <size_t N>
struct Wide<std::array<uint64_t, N>> {
  uint64_t buf[2 * N];
  uint64_t* data(size_t) {
    for (auto& w : buf) w = 0;
    return buf;
  }
};

// floor / ceil of a * b in fixed point (product shifted right by 64 (limbs - 1) bits).
template <class T>
T Mul(const T& a, const T& b, bool round_up) {
  const size_t n = a.size();
  Wide<T> wide;
  uint64_t* t = wide.data(n);
  for (size_t i = 0; i < n; ++i) {
    u128 carry = 0;
    for (size_t j = 0; j < n; ++j) {
      u128 cur = static_cast<u128>(a[i]) * b[j] + t[i + j] + carry;
      t[i + j] = static_cast<uint64_t>(cur);
      carry = cur >> 64;
    }
    t[i + n] = static_cast<uint64_t>(carry);  // t[i + n] is still zero here
  }
  T r = a;
  uint64_t dropped = 0;
  for (size_t i = 0; i + 1 < n; ++i) dropped |= t[i];
  for (size_t i = 0; i < n; ++i) r[i] = t[i + n - 1];
  if (round_up) AddSmall(r, static_cast<uint64_t>(dropped != 0));
  return r;
}

// floor / ceil of a / d (d public).
Fixed DivSmall(const Fixed& a, uint64_t d, bool round_up) {
  Fixed r(a.size());
  uint64_t rem = 0;
  for (size_t i = a.size(); i-- > 0;) {
    u128 cur = (static_cast<u128>(rem) << 64) | a[i];
    r[i] = static_cast<uint64_t>(cur / d);
    rem = static_cast<uint64_t>(cur % d);
  }
  if (round_up) AddSmall(r, static_cast<uint64_t>(rem != 0));
  return r;
}

Fixed One(int limbs) {
  Fixed r(limbs, 0);
  r[limbs - 1] = 1;
  return r;
}

template <class T>
struct Encl {
  T lo, hi;
};

// ---- constants per precision -------------------------------------------------------------

template <class T>
struct ConstantsT {
  int limbs = 0;
  int terms = 0;                   // J: Horner uses 1/j! for j = 0..J
  std::vector<T> inv_fact;         // floor(2^P / j!) (error < 1 ulp)
  std::vector<T> exp_pow2;         // lower bounds of exp(-2^b), b = 0..bits-1
  std::vector<uint64_t> pow2_err;  // exp(-2^b) - exp_pow2[b] <= pow2_err[b] ulps
  uint64_t kmax = 0;               // exp(-k) < 2^-(P+2) for k > kmax
  int bits = 0;                    // bit length of kmax
  uint64_t total_err = 0;          // |approximation - exp(-x)| <= total_err ulps (see below)
  T one, zero, ulp;
};
using Constants = ConstantsT<Fixed>;

// Horner evaluation of exp(-f) = sum_j (-f)^j / j!, f = frac / 2^64, as a single chain
// A_j = max(0, c_j - floor(f A_{j+1})), A_{J+1} = 0. With r_j the exact partial sums (which
// lie in [0, 1/j!] because the series alternates with decreasing terms) and c_j = floor(2^P /
// j!) / 2^P: |A_j - r_j| <= |A_{j+1} - r_{j+1}| + 2 ulps (one for c_j, one for the floor; the
// clamp at 0 only moves A_j towards r_j >= 0), and |A_{J+1} - r_{J+1}| <= 1/(J+1)! < 1 ulp.
// Hence |A_0 - exp(-f)| <= 2 (J + 1) + 1 ulps.
template <class T>
T HornerExpNeg(const ConstantsT<T>& c, uint64_t f) {
  T a = c.zero;
  for (int j = c.terms; j >= 0; --j) a = SubSat(c.inv_fact[j], MulFrac64(a, f, false));
  return a;
}

std::unique_ptr<Constants> MakeConstants(int limbs) {
  auto c = std::make_unique<Constants>();
  c->limbs = limbs;
  c->one = One(limbs);
  c->zero = Fixed(limbs, 0);
  c->ulp = Fixed(limbs, 0);
  c->ulp[0] = 1;
  const double p = 64.0 * (limbs - 1);
  // J: smallest with log2((J+1)!) >= P + 4, so the tail 1/(J+1)! is below 2^-(P+4).
  double log2_fact = 0;
  int j = 0;
  while (true) {
    log2_fact += std::log2(static_cast<double>(j + 1));
    if (log2_fact >= p + 4) break;
    ++j;
  }
  c->terms = j;
  Fixed f = One(limbs);
  c->inv_fact.push_back(f);
  for (int i = 1; i <= c->terms; ++i) {
    f = DivSmall(f, static_cast<uint64_t>(i), false);  // floor(floor(a/b)/c) = floor(a/(bc))
    c->inv_fact.push_back(f);
  }
  const uint64_t horner_err = 2 * static_cast<uint64_t>(c->terms + 1) + 1;
  c->kmax = static_cast<uint64_t>(std::ceil((p + 2) * std::log(2.0)));
  c->bits = 64 - __builtin_clzll(c->kmax);
  // exp(-1) = exp(-1/2)^2 and exp(-2^(b+1)) = exp(-2^b)^2, as lower bounds with error bounds:
  // if m = true - lo with 0 <= m <= e ulps and true <= 1, then
  // true^2 - floor(lo^2) <= 2 e + 1 ulps (lo^2 >= true^2 - 2 m true, floor loses < 1 ulp).
  Fixed lo = HornerExpNeg(*c, uint64_t{1} << 63);
  // The Horner error is two-sided; shift down to a lower bound with one-sided error.
  uint64_t err = 2 * horner_err;
  for (uint64_t i = 0; i < horner_err; ++i) lo = SubSat(lo, c->ulp);
  lo = Mul(lo, lo, false);
  err = 2 * err + 1;
  for (int b = 0; b < c->bits; ++b) {
    c->exp_pow2.push_back(lo);
    c->pow2_err.push_back(err);
    lo = Mul(lo, lo, false);
    err = 2 * err + 1;
  }
  // exp(-k) as prod over bits of k of exp_pow2[b] (or 1): with P_b the running product (a lower
  // bound of the exact product p_b <= 1) and e_b its error, P_{b+1} = floor(P_b M) with M the
  // factor's lower bound (error <= pow2_err[b]) gives e_{b+1} <= e_b + pow2_err[b] + 1. The final
  // product with A_0 (two-sided error horner_err, A_0 <= 1 + horner_err ulps) adds <= e_k +
  // horner_err + 2 ulps in total. Everything is a public constant.
  uint64_t power_err = 0;
  for (int b = 0; b < c->bits; ++b) power_err += c->pow2_err[b] + 1;
  c->total_err = power_err + horner_err + 2;
  return c;
}

const Constants& ConstantsFor(int limbs) {
  static std::mutex mu;
  static auto* cache = new std::map<int, std::unique_ptr<Constants>>();
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = (*cache)[limbs];
  if (!slot) slot = MakeConstants(limbs);
  return *slot;
}

// The default precision (kFastLimbs limbs) as fixed-size arrays: no allocation on the hot path.
constexpr int kFastLimbs = 3;
using F4 = std::array<uint64_t, kFastLimbs>;
F4 ToF4(const Fixed& f) {
  F4 r{};
  for (size_t i = 0; i < kFastLimbs; ++i) r[i] = f[i];
  return r;
}
const ConstantsT<F4>& Constants4() {
  static const ConstantsT<F4>* c4 = [] {
    const Constants& c = ConstantsFor(kFastLimbs);
    auto* r = new ConstantsT<F4>();
    r->limbs = kFastLimbs;
    r->terms = c.terms;
    for (const auto& e : c.inv_fact) r->inv_fact.push_back(ToF4(e));
    for (const auto& e : c.exp_pow2) r->exp_pow2.push_back(ToF4(e));
    r->pow2_err = c.pow2_err;
    r->total_err = c.total_err;
    r->kmax = c.kmax;
    r->bits = c.bits;
    r->one = ToF4(c.one);
    r->zero = ToF4(c.zero);
    r->ulp = ToF4(c.ulp);
    return r;
  }();
  return *c4;
}

template <class T>
Encl<T> ExpNegWith(const ConstantsT<T>& c, const ExpArg& x) {
  const T ef = HornerExpNeg(c, x.frac);
  const uint64_t big = static_cast<uint64_t>(x.k > c.kmax);
  const uint64_t kk = x.k < c.kmax ? x.k : c.kmax;  // compiled to a conditional move
  T pk = c.one;
  for (int b = 0; b < c.bits; ++b) {
    const uint64_t bit = (kk >> b) & 1;
    pk = Mul(pk, Select(bit, c.exp_pow2[b], c.one), false);
  }
  const T w = Mul(pk, ef, false);
  // [w - total_err, w + total_err] encloses exp(-x) (see MakeConstants); for k > kmax,
  // exp(-x) is in [0, 2^-P].
  T err = c.zero;
  err[0] = c.total_err;
  T lo = SubSat(w, err);
  T hi = Add(w, err);
  lo = Select(big, c.zero, lo);
  hi = Select(big, c.ulp, hi);
  return {lo, hi};
}

// A uniform U in [0,1) known through its first `bits` bits (random words, most significant
// first): U in [lo, hi) as fixed-point numbers (64 (limbs - 1) >= bits).
struct LazyUniform {
  std::vector<uint64_t> words;
  int bits = 0;

  void Extend(random::BitGenerator& gen, int new_bits) {
    while (static_cast<int>(words.size()) * 64 < new_bits) words.push_back(gen.NextU64());
    bits = new_bits;
  }
  template <class T>
  void ToFixed(T* lo, T* hi) const {
    const int limbs = static_cast<int>(lo->size());
    for (auto& w : *lo) w = 0;
    // Fraction limb limbs-2 holds bits 2^-1..2^-64 = words[0], and so on.
    const int full = bits / 64, rest = bits % 64;
    for (int j = 0; j < full; ++j) (*lo)[limbs - 2 - j] = words[j];
    if (rest > 0) {
      (*lo)[limbs - 2 - full] = words[full] & ~((uint64_t{1} << (64 - rest)) - 1);
    }
    // hi = lo + 2^-bits
    T ulp = ZeroLike(*lo);
    ulp[limbs - 2 - (bits - 1) / 64] = uint64_t{1} << ((64 - bits % 64) % 64);
    *hi = Add(*lo, ulp);
  }
};

// First attempt of SampleExpWeights at a given precision: returns true and sets *selected if
// decided.
template <class T>
bool TrySampleExpWeights(const ConstantsT<T>& c, const std::vector<ExpArg>& args,
                         const LazyUniform& u, size_t* selected_out) {
  const size_t n = args.size();
  std::vector<T> s_lo(n + 1, c.zero), s_hi(n + 1, c.zero);
  for (size_t i = 0; i < n; ++i) {
    Encl<T> w = ExpNegWith(c, args[i]);
    s_lo[i + 1] = Add(s_lo[i], w.lo);
    s_hi[i + 1] = Add(s_hi[i], w.hi);
  }
  T u_lo = c.zero, u_hi = c.zero;
  u.ToFixed(&u_lo, &u_hi);
  // T = U * W lies in [t_lo, t_hi); candidate i is chosen iff S_{i-1} <= T < S_i.
  const T t_lo = Mul(u_lo, s_lo[n], false);
  const T t_hi = Mul(u_hi, s_hi[n], true);
  uint64_t found = 0, selected = 0;
  for (size_t i = 1; i <= n; ++i) {
    const uint64_t cond = LessEq(s_hi[i - 1], t_lo) & LessEq(t_hi, s_lo[i]);
    selected |= Mask(cond) & static_cast<uint64_t>(i - 1);
    found |= cond;
  }
  *selected_out = static_cast<size_t>(selected);
  return found != 0;
}

}  // namespace

Enclosure ExpNeg(const ExpArg& x, int limbs) {
  Encl<Fixed> e = ExpNegWith(ConstantsFor(limbs), x);
  return {e.lo, e.hi};
}

void EnclosureToDoubles(const Enclosure& e, double* lo, double* hi) {
  auto to_double = [](const Fixed& f, bool up) {
    long double v = 0;
    for (size_t i = f.size(); i-- > 0;) v = v * 0x1.0p64L + static_cast<long double>(f[i]);
    // value = v / 2^(64 (n-1)); long double keeps 64 bits, enough for a double after rounding
    // outward by one ulp.
    double d = static_cast<double>(std::ldexp(v, -64 * static_cast<int>(f.size() - 1)));
    return up ? std::nextafter(d, 2.0) : std::nextafter(d, -1.0);
  };
  *lo = std::max(0.0, to_double(e.lo, false));
  *hi = to_double(e.hi, true);
}

size_t SampleExpWeights(const std::vector<ExpArg>& args, random::BitGenerator& gen,
                        const ExactSamplingPrecision& precision, int64_t* refinements) {
  int limbs = precision.limbs;
  LazyUniform u;
  u.Extend(gen, precision.u_bits);
  size_t selected = 0;
  if (limbs == kFastLimbs && TrySampleExpWeights(Constants4(), args, u, &selected)) {
    return selected;
  }
  if (limbs != kFastLimbs && TrySampleExpWeights(ConstantsFor(limbs), args, u, &selected)) {
    return selected;
  }
  // Undecided (U within the enclosure width of a boundary): refine exactly.
  while (true) {
    if (refinements) ++*refinements;
    limbs += 2;
    u.Extend(gen, u.bits + 64);
    if (TrySampleExpWeights(ConstantsFor(limbs), args, u, &selected)) return selected;
  }
}

namespace {

// Decides U < w for one trial at a precision; returns 1 (yes), 0 (no) or 2 (undecided).
template <class T>
int DecideBernoulli(const Encl<T>& w, const LazyUniform& u, const T& zero) {
  T u_lo = zero, u_hi = zero;
  u.ToFixed(&u_lo, &u_hi);
  const uint64_t yes = LessEq(u_hi, w.lo);  // U < u_hi <= w
  const uint64_t no = LessEq(w.hi, u_lo);   // w <= u_lo <= U
  return static_cast<int>(yes | ((1 - (yes | no)) << 1));
}

}  // namespace

size_t FirstBernoulliExpSuccess(const std::vector<ExpArg>& args, random::BitGenerator& gen,
                                const ExactSamplingPrecision& precision, int64_t* refinements) {
  const size_t n = args.size();
  std::vector<int> decision(n);
  std::vector<LazyUniform> u(n);
  for (size_t i = 0; i < n; ++i) u[i].Extend(gen, precision.u_bits);
  if (precision.limbs == kFastLimbs) {
    const auto& c = Constants4();
    for (size_t i = 0; i < n; ++i)
      decision[i] = DecideBernoulli(ExpNegWith(c, args[i]), u[i], c.zero);
  } else {
    const auto& c = ConstantsFor(precision.limbs);
    for (size_t i = 0; i < n; ++i)
      decision[i] = DecideBernoulli(ExpNegWith(c, args[i]), u[i], c.zero);
  }
  uint64_t first = n;
  uint64_t none_yet = 1;
  for (size_t i = 0; i < n; ++i) {
    int limbs = precision.limbs;
    while (decision[i] == 2) {  // undecided: refine this trial exactly (probability ~ 2^-120)
      if (refinements) ++*refinements;
      limbs += 2;
      u[i].Extend(gen, u[i].bits + 64);
      const auto& c = ConstantsFor(limbs);
      decision[i] = DecideBernoulli(ExpNegWith(c, args[i]), u[i], c.zero);
    }
    const uint64_t yes = static_cast<uint64_t>(decision[i]);
    const uint64_t take = yes & none_yet;
    first = (Mask(take) & i) | (~Mask(take) & first);
    none_yet &= ~yes & 1;
  }
  return static_cast<size_t>(first);
}

}  // namespace dpkit::mechanisms::internal
