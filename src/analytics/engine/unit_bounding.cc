#include "analytics/engine/unit_bounding.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstring>
#include <memory>
#include <numeric>
#include <utility>

#include "analytics/engine/parallel.h"
#include "analytics/engine/unit_bounding_avx512.h"
#include "dpkit/base/cpu.h"

namespace dpkit::analytics::engine {
namespace {

// Buckets of ~16k-32k entries (256-512 KiB of packed entries: L2-resident while processed;
// fewer, larger buckets measured faster than 4k-8k, as the scatter then writes fewer streams).
constexpr int64_t kBucketTarget = 16384;
// Entries per block of a bucket's chain in the scatter (16 KiB of packed entries; on the 10M-row
// benchmark ~4% less CPU than 4 KiB blocks, as the bucket passes read longer runs; a bucket wastes
// less than one block per thread).
constexpr int64_t kBlockEntries = 1024;
// A bucket of at most this many entries is one sub-bucket.
constexpr size_t kSmallBucket = 64;
// A unit's l0 groups, and a kept group's linf rows, are chosen by counting each candidate's rank
// (no data-dependent branches) up to this many candidates, else by std::nth_element.
constexpr uint32_t kRankMax = 32;

// Entry layouts. Accessors take the bucket's layout: gb, the group id's bits (ValueEntry), and
// top, the unit hash's top bits shared by the bucket's entries (ValueEntry). unit_key orders and
// separates the bucket's units (the hash's bits below the top gb at their places); hash is the
// full unit hash.

// (unit hash, group, row) in 16 bytes, for tables of < 2^32 rows and < 2^31 groups.
struct PackedEntry {
  static constexpr bool kValue = false;
  uint64_t unit;
  uint64_t lo;  // gid << 32 | row
  static PackedEntry Make(uint64_t u, int32_t g, int64_t r, int) {
    return {u, (static_cast<uint64_t>(static_cast<uint32_t>(g)) << 32) | static_cast<uint64_t>(r)};
  }
  uint64_t unit_key(int) const { return unit; }
  uint64_t hash(int, uint64_t) const { return unit; }
  int32_t gid(int) const { return static_cast<int32_t>(lo >> 32); }
  int64_t row() const { return static_cast<int64_t>(lo & 0xffffffffu); }
  double value() const { return 0; }
};

struct WideEntry {
  static constexpr bool kValue = false;
  uint64_t unit;
  int32_t g;
  int64_t r;
  static WideEntry Make(uint64_t u, int32_t g, int64_t r, int) { return {u, g, r}; }
  uint64_t unit_key(int) const { return unit; }
  uint64_t hash(int, uint64_t) const { return unit; }
  int32_t gid(int) const { return g; }
  int64_t row() const { return r; }
  double value() const { return 0; }
};

// For summing in buckets: (unit hash << gb) | group and the row's value, in 16 bytes. The hash's
// top gb bits are the bucket's (gb <= the bucket bits), so hash() restores them from top.
struct ValueEntry {
  static constexpr bool kValue = true;
  uint64_t key;
  double x;
  static ValueEntry Make(uint64_t u, int32_t g, double x, int gb) {
    return {(u << gb) | static_cast<uint32_t>(g), x};
  }
  uint64_t unit_key(int gb) const { return key >> gb; }
  uint64_t hash(int gb, uint64_t top) const { return top | (key >> gb); }
  int32_t gid(int gb) const { return static_cast<int32_t>(key & ((uint64_t{1} << gb) - 1)); }
  int64_t row() const { return 0; }
  double value() const { return x; }
};

// Bucket bits: buckets of ~kBucketTarget entries, at most 2^16 of them.
int SizeBits(int64_t candidates) {
  int bits = 0;
  while (bits < 16 && (candidates >> (bits + 1)) >= kBucketTarget) ++bits;
  return bits;
}

// Bits of the largest group id.
int GidBits(size_t num_gids) {
  return std::bit_width(static_cast<uint64_t>(num_gids > 0 ? num_gids - 1 : 0));
}

// A run of consecutive entries [first, second).
template <typename E>
using Segment = std::pair<const E*, const E*>;

// Applies the rule to the units of one bucket at a time, setting kept rows in its own mask
// (or, for ValueEntry, handing them to the sink). One per thread. A bucket is handled in flat
// passes over all its entries (or all its runs of one unit's rows of one group), not unit by unit:
// fewer short loops of data-dependent length.
template <typename E>
class Selector {
 public:
  Selector(const UnitBoundingInput& in, uint64_t* keep, int thread)
      : in_(in), keep_(keep), thread_(thread), units_per_group_(in.num_gids, 0) {
    gb_ = GidBits(in.num_gids);
    gid_digits_ = (gb_ + kDigitBits - 1) / kDigitBits;
  }

  // Bucket k: entries of whole units, in table order, whose hashes' top `used_bits` bits are
  // k, in consecutive segments.
  void Bucket(const std::vector<Segment<E>>& segs, int used_bits, int64_t k) {
    size_t m = 0;
    for (const auto& [b, e] : segs) m += static_cast<size_t>(e - b);
    if (m == 0) return;  // an empty bucket (an empty table, or no row hashed here)
    top_ = used_bits == 0 ? 0 : static_cast<uint64_t>(k) << (64 - used_bits);
    const E* e = Sort(segs, used_bits, m);
    Runs(e, m);
    ChooseGroups(e);
    ChooseRows(e, m);
    if constexpr (E::kValue) {
      in_.sink->Add(thread_, kept_gid_.data(), kept_value_.data(), num_marks_);
    } else {
      SetMarkedBits();
    }
  }

  const std::vector<int64_t>& units_per_group() const { return units_per_group_; }
  int64_t kept() const { return kept_; }

 private:
  // Sorts the bucket's m entries stably by (unit, group), so that each unit's rows of a group
  // are one run, in table order: a least-significant-digit radix sort on the group id's digits,
  // then on the next `sbits` bits of the unit hash (sub-buckets of ~1-2 entries on average),
  // then, in the sub-buckets holding several units, a stable sort by unit. Returns the sorted
  // entries (in a_ or b_).
  const E* Sort(const std::vector<Segment<E>>& segs, int used_bits, size_t m) {
    int sbits = 0;
    while (m > kSmallBucket && sbits < 16 && (m >> (sbits + 1)) >= 1) ++sbits;
    const int shift = sbits == 0 ? 0 : 64 - used_bits - sbits;
    const uint64_t smask = (uint64_t{1} << sbits) - 1;
    const int gb = gb_;
    auto sub_key = [=](const E& x) {
      return static_cast<size_t>((x.unit_key(gb) >> shift) & smask);
    };
    const int digits = gid_digits_;
    auto digit = [gb](const E& x, int d) {
      return static_cast<size_t>((static_cast<uint32_t>(x.gid(gb)) >> (d * kDigitBits)) &
                                 (kDigits - 1));
    };
    // Every pass's histogram in one read (a pass permutes entries, so its counts are the same).
    // This is the bucket's first read, from memory: its 16 KiB blocks are prefetched 2 KiB ahead
    // (on the 10M-row benchmark 2-4% less CPU in all; the hardware prefetcher restarts at each
    // page).
    counts_.assign(static_cast<size_t>(digits) * kDigits + smask + 1, 0);
    uint32_t* sub_next = counts_.data() + static_cast<size_t>(digits) * kDigits;
    for (const auto& [b, e] : segs) {
      for (const E* p = b; p < e; ++p) {
        __builtin_prefetch(p + 128);
        for (int d = 0; d < digits; ++d) ++counts_[static_cast<size_t>(d) * kDigits + digit(*p, d)];
        ++sub_next[sub_key(*p)];
      }
    }
    for (int d = 0; d <= digits; ++d) {  // counts to starts
      uint32_t* c = counts_.data() + static_cast<size_t>(d) * kDigits;
      const size_t n = d < digits ? kDigits : smask + 1;
      uint32_t sum = 0;
      for (size_t k = 0; k < n; ++k) sum += std::exchange(c[k], sum);
    }
    if (a_.size() < m) {
      a_.resize(m);
      b_.resize(m);
    }
    E* dst = a_.data();
    E* other = b_.data();
    std::vector<Segment<E>> src = segs;
    for (int d = 0; d <= digits; ++d) {
      uint32_t* next = counts_.data() + static_cast<size_t>(d) * kDigits;
      for (const auto& [b, e] : src) {
        if (d < digits) {
          for (const E* p = b; p < e; ++p) dst[next[digit(*p, d)]++] = *p;
        } else {
          for (const E* p = b; p < e; ++p) dst[next[sub_key(*p)]++] = *p;
        }
      }
      src.assign(1, Segment<E>(dst, dst + m));
      std::swap(dst, other);
    }
    E* sorted = other;
    // sub_next[k] is now the end of sub-bucket k.
    size_t done = 0;  // sub-buckets before this entry are separated
    size_t i = 1;
#if defined(__x86_64__)
    if constexpr (E::kValue) {
      if (has_avx512_) {
        // Found: entry j starts another unit in the sub-bucket of j - 1. (Only `end` is
        // captured by reference: with the scalar loop's locals captured so, the whole query
        // took ~6% more CPU on CPUs without AVX-512.)
        size_t end = 0;
        i = avx512::SeveralUnitsAvx512(reinterpret_cast<const uint64_t*>(sorted), m, gb, shift,
                                       smask, [sorted, sub_next, gb, sub_key, &end](size_t j) {
                                         if (j >= end)
                                           end = SortSubBucket(sorted, sub_next, sub_key(sorted[j]),
                                                               gb);
                                       });
        done = end;
      }
    }
#endif
    for (; i < m; ++i) {
      const size_t k = sub_key(sorted[i]);
      const bool several =
          (sorted[i].unit_key(gb) != sorted[i - 1].unit_key(gb)) & (k == sub_key(sorted[i - 1]));
      if (!several || i < done) continue;  // without a branch per unit
      done = SortSubBucket(sorted, sub_next, k, gb);
    }
    return sorted;
  }

  // Sorts sub-bucket k of `sorted` (sub_next[k]: its end) by unit; returns its end.
  static size_t SortSubBucket(E* sorted, const uint32_t* sub_next, size_t k, int gb) {
    const size_t begin = k == 0 ? 0 : sub_next[k - 1];
    SortByUnit(sorted + begin, sub_next[k] - begin, gb);
    return sub_next[k];
  }

  // Stable sort of e[0..n) by unit: insertion sort when short (most sub-buckets of several units
  // hold two or three), else std::stable_sort.
  static void SortByUnit(E* e, size_t n, int gb) {
    if (n > 32) {
      std::stable_sort(e, e + n,
                       [gb](const E& x, const E& y) { return x.unit_key(gb) < y.unit_key(gb); });
      return;
    }
    for (size_t i = 1; i < n; ++i) {
      const E x = e[i];
      size_t j = i;
      for (; j > 0 && e[j - 1].unit_key(gb) > x.unit_key(gb); --j) e[j] = e[j - 1];
      e[j] = x;
    }
  }

  // Numbers the sorted entries' units and runs (one unit's rows of one group): run r is entries
  // [run_start_[r], run_start_[r + 1]) of group run_gid_[r], the bucket's unit u has runs
  // [unit_run_[u], unit_run_[u + 1]), entry i is in run run_of_[i]. No data-dependent branches.
  void Runs(const E* e, size_t m) {
    if (run_start_.size() < m + 8) {  // + 1 for the end, + 7 slack for RunsAvx512
      run_start_.resize(m + 8);
      unit_run_.resize(m + 8);
      run_of_.resize(m);
      run_gid_.resize(m + 8);
      run_keep_.resize(m);
      priorities_.resize(m);
      choose_.resize(m);
      flags_.resize(m);
      if constexpr (E::kValue) {
        kept_gid_.resize(m);
        kept_value_.resize(m);
      } else {
        marks_.resize(m);
      }
    }
    // Entry 0 starts unit 0 and run 0; each slot below is written by every later entry and keeps
    // the value of the first entry of a new unit / run, as the count moves past it right after.
    unit_run_[0] = 0;
    run_start_[0] = 0;
    const int gb = gb_;
    run_gid_[0] = e[0].gid(gb);
    run_of_[0] = 0;
    uint32_t runs = 1, units = 1;
    size_t i = 1;
#if defined(__x86_64__)
    if constexpr (E::kValue) {
      static_assert(sizeof(E) == 16 && offsetof(E, key) == 0);
      if (has_avx512_) {
        i = avx512::RunsAvx512(reinterpret_cast<const uint64_t*>(e), m, gb, run_start_.data(),
                               unit_run_.data(), run_gid_.data(), run_of_.data(), &runs, &units);
      }
    }
#endif
    for (; i < m; ++i) {
      const uint64_t unit_differs = e[i].unit_key(gb) ^ e[i - 1].unit_key(gb);
      const uint64_t differs =
          unit_differs | static_cast<uint32_t>(e[i].gid(gb) ^ e[i - 1].gid(gb));
      unit_run_[units] = runs;
      units += unit_differs != 0 ? 1 : 0;
      run_start_[runs] = static_cast<uint32_t>(i);
      run_gid_[runs] = e[i].gid(gb);
      runs += differs != 0 ? 1 : 0;
      run_of_[i] = runs - 1;
    }
    run_start_[runs] = static_cast<uint32_t>(m);
    unit_run_[units] = runs;
    num_runs_ = runs;
    num_units_ = units;
  }

  // run_keep_[r]: run r's group is among its unit's l0 groups of smallest group priority (ties,
  // i.e. group hash collisions, by group id), found by counting each run's rank among its unit's
  // runs (std::nth_element for units of more than kRankMax groups). Priorities are computed only
  // for units of more than l0 groups (listed without data-dependent branches).
  void ChooseGroups(const E* e) {
    uint64_t* pr = priorities_.data();
    const int32_t* gid = run_gid_.data();
    std::fill(run_keep_.begin(), run_keep_.begin() + num_runs_, uint8_t{1});
    size_t n = 0;
    for (uint32_t u = 0; u < num_units_; ++u) {
      choose_[n] = u;
      n += unit_run_[u + 1] - unit_run_[u] > in_.l0 ? 1 : 0;
    }
    auto before = [&](uint32_t a, uint32_t b) {  // without branches
      return (pr[a] < pr[b]) | ((pr[a] == pr[b]) & (gid[a] < gid[b]));
    };
    for (size_t j = 0; j < n; ++j) {
      const uint32_t b = unit_run_[choose_[j]], end = unit_run_[choose_[j] + 1];
      const uint64_t unit = e[run_start_[b]].hash(gb_, top_);
#if defined(__x86_64__)
      if (end - b <= 8 && has_avx512_) {
        avx512::KeepGroups8Avx512(unit, in_.salt, in_.group_hash, gid + b, end - b, in_.l0,
                                  run_keep_.data() + b);
        continue;
      }
      if (end - b <= avx512::kVectorRankMax && has_avx512_) {
        avx512::GroupPrioritiesAvx512(unit, in_.salt, in_.group_hash, gid + b, end - b, pr + b);
      } else
#endif
      {
        for (uint32_t r = b; r < end; ++r)
          pr[r] = Mix64(in_.salt ^ Mix64(unit ^ in_.group_hash[gid[r]]));
      }
      KeepFirst(b, end, in_.l0, before, run_keep_.data(), pr, gid);
    }
  }

  // keep[i] = 1 for the `first` of i in [b, end) that come first in `before` (a strict total
  // order on them), 0 for the others: by counting ranks for up to kRankMax (in vector compares
  // up to avx512::kVectorRankMax: `before` must then be pr[a] < pr[b], ties by tie[a] < tie[b] if
  // tie is set), else with std::nth_element.
  template <typename Before>
  void KeepFirst(uint32_t b, uint32_t end, int64_t first, Before before, uint8_t* keep,
                 const uint64_t* pr, const int32_t* tie) {
    const uint32_t n = end - b;
#if defined(__x86_64__)
    if (n <= avx512::kVectorRankMax && has_avx512_) {
      if (tie != nullptr) {
        avx512::KeepFirstAvx512<true>(pr + b, tie + b, n, first, keep + b);
      } else {
        avx512::KeepFirstAvx512<false>(pr + b, nullptr, n, first, keep + b);
      }
      return;
    }
#endif
    if (n <= kRankMax) {
      for (uint32_t k = b; k < end; ++k) {
        int64_t rank = 0;
        for (uint32_t i = b; i < end; ++i) rank += before(i, k) ? 1 : 0;
        keep[k] = rank < first ? 1 : 0;
      }
      return;
    }
    const bool all = static_cast<int64_t>(n) <= first;
    for (uint32_t i = b; i < end; ++i) keep[i] = all ? 1 : 0;
    if (all) return;
    order_.resize(n);
    std::iota(order_.begin(), order_.end(), b);
    std::nth_element(order_.begin(), order_.begin() + first, order_.end(), before);
    for (int64_t i = 0; i < first; ++i) keep[order_[i]] = 1;
  }

  // Entry i is kept if its run's group is kept and, in a run of c > linf rows, it is among the
  // linf of smallest row priority Mix64(base + k * phi) (k: its index in the run, base =
  // Mix64(unit ^ Mix64(group_hash ^ salt)); distinct, as Mix64 is one-to-one): then flags_[i].
  // Counts the kept units and rows, and appends the kept rows to marks_ (ValueEntry: their
  // groups and values to kept_gid_ and kept_value_) without data-dependent branches.
  void ChooseRows(const E* e, size_t m) {
    const int64_t linf = in_.linf;
    int64_t kept = 0;
    size_t n = 0;  // runs to choose rows in, listed without data-dependent branches
    uint8_t* mode = run_keep_.data();  // from here on: 0 none kept, 1 all, 2 those flagged
    for (uint32_t r = 0; r < num_runs_; ++r) {
      const uint32_t c = run_start_[r + 1] - run_start_[r];
      const uint8_t keep = mode[r];
      const uint8_t choose = keep & (c > linf ? 1 : 0);
      units_per_group_[run_gid_[r]] += keep;
      kept += keep * std::min<int64_t>(c, linf);
      choose_[n] = r;
      n += choose;
      mode[r] = keep << choose;
    }
    kept_ += kept;
    for (size_t j = 0; j < n; ++j) ChooseRowsOfRun(e, choose_[j]);
    // flags_ is set only in the runs just chosen from, and read only there.
    size_t w = 0;
    for (size_t i = 0; i < m; ++i) {
      const uint32_t r = run_of_[i];
      const uint8_t how = mode[r];
      if constexpr (E::kValue) {
        kept_gid_[w] = run_gid_[r];
        kept_value_[w] = e[i].value();
      } else {
        marks_[w] = e[i].row();
      }
      w += (how & 1) | ((how >> 1) & flags_[i]);
    }
    num_marks_ = w;
  }

  // Run r of c > linf rows: flags_ of its linf rows of smallest row priority.
  void ChooseRowsOfRun(const E* e, uint32_t r) {
    const uint32_t s = run_start_[r], c = run_start_[r + 1] - s;
    const uint64_t base =
        Mix64(e[s].hash(gb_, top_) ^ Mix64(in_.group_hash[run_gid_[r]] ^ in_.salt));
#if defined(__x86_64__)
    if (c <= 8 && has_avx512_) {
      avx512::KeepRows8Avx512(base, c, in_.linf, flags_.data() + s);
      return;
    }
#endif
    if (row_pr_.size() < std::max(c, avx512::kVectorRankMax))
      row_pr_.resize(std::max(c, avx512::kVectorRankMax));
    uint64_t* pr = row_pr_.data();
#if defined(__x86_64__)
    if (c <= avx512::kVectorRankMax && has_avx512_) {
      avx512::RowPrioritiesAvx512(base, pr);
    } else
#endif
    {
      for (uint32_t k = 0; k < c; ++k) pr[k] = Mix64(base + static_cast<uint64_t>(k) * kRowPhi);
    }
    KeepFirst(
        0, c, in_.linf, [pr](uint32_t a, uint32_t b) { return pr[a] < pr[b]; }, flags_.data() + s,
        pr, nullptr);
  }

  // Sets the mask bits of the rows a bucket kept. The rows are scattered over the table, so
  // each write is likely a cache miss: a separate tight loop with prefetching lets the misses
  // overlap (on the 10M-row benchmark the selection step took ~7% fewer cycles than with each
  // bit set when its row is chosen).
  void SetMarkedBits() {
    constexpr size_t kAhead = 16;
    const int64_t* rows = marks_.data();
    const size_t n = num_marks_;
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) __builtin_prefetch(&keep_[rows[i + kAhead] >> 6], 1);
      keep_[rows[i] >> 6] |= uint64_t{1} << (rows[i] & 63);
    }
  }

  // Radix digits of the group id: 8 bits (one pass for up to 256 groups).
  static constexpr int kDigitBits = 8;
  static constexpr size_t kDigits = size_t{1} << kDigitBits;

  const UnitBoundingInput& in_;
  uint64_t* keep_;  // nullptr for ValueEntry
  const int thread_;
#if defined(__x86_64__)
  const bool has_avx512_ = cpu::UseAvx512();
#endif
  int gb_ = 0;        // bits of the largest group id
  uint64_t top_ = 0;  // the current bucket's top hash bits, at their places
  std::vector<int64_t> units_per_group_;
  int64_t kept_ = 0;
  int gid_digits_ = 0;
  std::vector<uint32_t> counts_;     // radix histograms, then next positions
  std::vector<E> a_, b_;             // the radix sort's buffers
  std::vector<uint32_t> run_start_;  // per run, plus the end
  std::vector<uint32_t> unit_run_;   // per unit: its first run, plus the end
  std::vector<uint32_t> run_of_;     // per entry
  uint32_t num_runs_ = 0;
  uint32_t num_units_ = 0;
  std::vector<uint64_t> priorities_;  // per run: group priority
  std::vector<int32_t> run_gid_;      // per run
  std::vector<uint8_t> run_keep_;     // per run
  std::vector<uint64_t> row_pr_;      // per row of one run
  std::vector<uint32_t> choose_;      // units to choose groups in, then runs to choose rows in
  std::vector<uint32_t> order_;
  std::vector<uint8_t> flags_;      // per entry: kept
  std::vector<int64_t> marks_;      // rows kept in the current bucket: the first num_marks_
  std::vector<int32_t> kept_gid_;   // ValueEntry: their groups
  std::vector<double> kept_value_;  // ValueEntry: their values
  size_t num_marks_ = 0;
};

// The unit hash of UnitHasher, specialised per unit column type.
struct IntUnits {
  const int64_t* v;
  uint64_t operator()(int64_t r) const { return Mix64(static_cast<uint64_t>(v[r]) ^ 0x5bd1e995u); }
};
struct DoubleUnits {
  const double* v;
  uint64_t operator()(int64_t r) const {
    double d = v[r];
    if (d == 0) d = 0;  // -0.0 and 0.0 are one unit
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof(bits));
    return Mix64(bits ^ 0x5bd1e995u);
  }
};
struct StringUnits {
  const uint64_t* code_hash;
  const int32_t* codes;
  uint64_t operator()(int64_t r) const { return code_hash[codes[r]]; }
};

// E: entry layout; H: unit hash; kAllAllowed: every group is allowed; make(u, g, r, gb) makes
// row r's entry.
template <typename E, typename H, bool kAllAllowed, typename Make>
void Run(const UnitBoundingInput& in, const H& unit_hash, const Make& make, int threads,
         UnitBoundingOutput* out) {
  const int64_t n = in.rows;
  const int gb = GidBits(in.num_gids);
  // ValueEntry: at least as many buckets as groups' id bits (SumsInBuckets checked they are few).
  const int bits = E::kValue ? std::max(SizeBits(in.candidates), gb) : SizeBits(in.candidates);
  const int64_t nb = int64_t{1} << bits;
  // Blocks of kBlockEntries, smaller when the buckets are (tables of few rows per bucket).
  const int64_t block = std::clamp<int64_t>(in.candidates >> bits, 16, kBlockEntries);
  const int shift = 63 - bits;  // bucket = (u >> 1) >> shift: the top `bits` bits (0 if none)
  auto range = [&](int t) {
    return std::pair<int64_t, int64_t>(n * t / threads, n * (t + 1) / threads);
  };
  const int32_t* row_gid = in.row_gid;
  const uint8_t* allowed = in.gid_allowed;
  // Pass 1: each thread scatters its rows into per-bucket chains of blocks in its own arena
  // (a bucket wastes less than one block per thread).
  struct Cursor {
    E* cur = nullptr;
    E* end = nullptr;
  };
  std::vector<ScratchArray<E>> arenas(threads);
  std::vector<std::vector<Cursor>> cursors(threads, std::vector<Cursor>(nb));
  std::vector<std::vector<std::vector<E*>>> blocks(threads, std::vector<std::vector<E*>>(nb));
  std::vector<int64_t> dropped(threads, 0);
  ParallelFor(threads, [&](int t) {
    auto [b, e] = range(t);
    arenas[t] = ScratchArray<E>(static_cast<size_t>(e - b + nb * block));
    E* next_block = arenas[t].data();
    Cursor* cursor = cursors[t].data();
    std::vector<std::vector<E*>>& chain = blocks[t];
    int64_t d = 0;
    for (int64_t r = b; r < e; ++r) {
      const int32_t g = row_gid[r];
      if (g < 0) continue;
      if (!kAllAllowed && !allowed[g]) {
        ++d;
        continue;
      }
      const uint64_t u = unit_hash(r);
      const int64_t k = static_cast<int64_t>((u >> 1) >> shift);
      Cursor& c = cursor[k];
      if (c.cur == c.end) {  // a new block for bucket k
        chain[k].push_back(next_block);
        c.cur = next_block;
        c.end = next_block + block;
        next_block += block;
      }
      *c.cur++ = make(u, g, r, gb);
    }
    dropped[t] = d;
  });
  for (int64_t d : dropped) out->dropped += d;
  // Bucket k's entries, in table order: thread 0's blocks, then thread 1's, ...
  auto segments = [&](int64_t k, std::vector<Segment<E>>* segs) {
    segs->clear();
    for (int t = 0; t < threads; ++t) {
      const std::vector<E*>& chain = blocks[t][k];
      for (size_t i = 0; i < chain.size(); ++i) {
        const E* end = i + 1 < chain.size() ? chain[i] + block : cursors[t][k].cur;
        segs->push_back({chain[i], end});
      }
    }
  };
  // Pass 3: select per bucket into per-thread masks (or the sink); threads take chunks of
  // buckets.
  const size_t words = E::kValue ? 0 : static_cast<size_t>((n + 63) / 64);
  out->summed = E::kValue;
  if (E::kValue) in.sink->Start(threads, in.num_gids);
  out->keep = ScratchArray<uint64_t>(words);
  std::vector<ScratchArray<uint64_t>> masks(threads > 1 && !E::kValue ? threads - 1 : 0);
  for (auto& m : masks) m = ScratchArray<uint64_t>(words);
  auto mask_of = [&](int t) { return t == 0 ? out->keep.data() : masks[t - 1].data(); };
  std::vector<std::unique_ptr<Selector<E>>> selectors(threads);
  std::atomic<int64_t> next{0};
  const int64_t chunk = std::max<int64_t>(1, nb / (16 * threads));
  ParallelFor(threads, [&](int t) {
    uint64_t* mask = E::kValue ? nullptr : mask_of(t);
    std::fill(mask, mask + words, uint64_t{0});
    selectors[t] = std::make_unique<Selector<E>>(in, mask, t);
    std::vector<Segment<E>> segs;
    for (;;) {
      const int64_t k0 = next.fetch_add(chunk);
      if (k0 >= nb) break;
      for (int64_t k = k0; k < std::min(nb, k0 + chunk); ++k) {
        segments(k, &segs);
        selectors[t]->Bucket(segs, bits, k);
      }
    }
  });
  arenas.clear();
  out->units_per_group.assign(in.num_gids, 0);
  for (const auto& s : selectors) {
    out->kept += s->kept();
    for (size_t g = 0; g < in.num_gids; ++g) out->units_per_group[g] += s->units_per_group()[g];
  }
  if (masks.empty()) return;
  ParallelFor(threads, [&](int t) {
    uint64_t* keep = out->keep.data();
    for (size_t w = words * t / threads; w < words * (t + 1) / threads; ++w) {
      for (const auto& m : masks) keep[w] |= m[w];
    }
  });
}

}  // namespace

uint64_t HashBytes(const void* data, size_t n, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return Mix64(h);
}

template <typename E, typename H>
void RunFor(const UnitBoundingInput& in, const H& unit_hash, int threads, UnitBoundingOutput* out) {
  const bool all_allowed =
      std::all_of(in.gid_allowed, in.gid_allowed + in.num_gids, [](uint8_t a) { return a != 0; });
  auto run = [&](const auto& make) {
    if (all_allowed) {
      Run<E, H, true>(in, unit_hash, make, threads, out);
    } else {
      Run<E, H, false>(in, unit_hash, make, threads, out);
    }
  };
  if constexpr (E::kValue) {
    const double* d = in.values_double;
    const int64_t* i = in.values_int;
    run([d, i](uint64_t u, int32_t g, int64_t r, int gb) {
      return E::Make(u, g, d ? d[r] : i ? static_cast<double>(i[r]) : 0.0, gb);
    });
  } else {
    run([](uint64_t u, int32_t g, int64_t r, int gb) { return E::Make(u, g, r, gb); });
  }
}

template <typename E>
void RunFor(const UnitBoundingInput& in, int threads, UnitBoundingOutput* out) {
  const UnitHasher& h = in.unit_hash;
  if (h.code_hash) {
    RunFor<E>(in, StringUnits{h.code_hash, h.codes}, threads, out);
  } else if (h.ints) {
    RunFor<E>(in, IntUnits{h.ints}, threads, out);
  } else {
    RunFor<E>(in, DoubleUnits{h.doubles}, threads, out);
  }
}

bool SumsInBuckets(int64_t candidates, size_t num_gids) {
  return GidBits(num_gids) <= std::max(SizeBits(candidates), 8);
}

UnitBoundingOutput BoundByUnit(const UnitBoundingInput& in) {
  UnitBoundingOutput out;
  const int threads = std::max(1, in.threads);
  if (in.sink != nullptr && SumsInBuckets(in.candidates, in.num_gids)) {
    RunFor<ValueEntry>(in, threads, &out);
  } else if (in.rows <= int64_t{0xffffffff} && in.num_gids <= size_t{0x7fffffff}) {
    RunFor<PackedEntry>(in, threads, &out);
  } else {
    RunFor<WideEntry>(in, threads, &out);
  }
  return out;
}

}  // namespace dpkit::analytics::engine
