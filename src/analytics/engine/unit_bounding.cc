#include "analytics/engine/unit_bounding.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <utility>

#include "analytics/engine/parallel.h"

namespace dpkit::analytics::engine {
namespace {

constexpr uint64_t kPhi = 0x9E3779B97F4A7C15ull;
// Buckets of ~16k-32k entries (256-512 KiB of packed entries: L2-resident while processed;
// fewer, larger buckets measured faster than 4k-8k, as the scatter then writes fewer streams).
constexpr int64_t kBucketTarget = 16384;
// Entries per block of a bucket's chain in the scatter (4 KiB of packed entries).
constexpr int64_t kBlockEntries = 256;
// One unit's keys are sorted by rank counting up to this many, by insertion up to
// kInsertionSortMax (as are sub-buckets of several units), else by std::sort.
constexpr size_t kRankSortMax = 24;
constexpr size_t kInsertionSortMax = 64;

// (unit hash, group, row) in 16 bytes, for tables of < 2^32 rows and < 2^31 groups.
struct PackedEntry {
  uint64_t unit;
  uint64_t lo;  // gid << 32 | row
  static PackedEntry Make(uint64_t u, int32_t g, int64_t r) {
    return {u, (static_cast<uint64_t>(static_cast<uint32_t>(g)) << 32) | static_cast<uint64_t>(r)};
  }
  int32_t gid() const { return static_cast<int32_t>(lo >> 32); }
  int64_t row() const { return static_cast<int64_t>(lo & 0xffffffffu); }
  bool operator<(const PackedEntry& o) const { return unit != o.unit ? unit < o.unit : lo < o.lo; }
  // (group, row) within a unit, ordered by group then row.
  using Key = uint64_t;
  Key key() const { return lo; }
  static int32_t KeyGid(Key k) { return static_cast<int32_t>(k >> 32); }
  static int64_t KeyRow(Key k) { return static_cast<int64_t>(k & 0xffffffffu); }
};

struct WideEntry {
  uint64_t unit;
  int32_t g;
  int64_t r;
  static WideEntry Make(uint64_t u, int32_t g, int64_t r) { return {u, g, r}; }
  int32_t gid() const { return g; }
  int64_t row() const { return r; }
  struct Key {
    int32_t g;
    int64_t r;
    bool operator<(const Key& o) const { return g != o.g ? g < o.g : r < o.r; }
  };
  Key key() const { return {g, r}; }
  static int32_t KeyGid(const Key& k) { return k.g; }
  static int64_t KeyRow(const Key& k) { return k.r; }
  bool operator<(const WideEntry& o) const { return unit != o.unit ? unit < o.unit : key() < o.key(); }
};

// A run of consecutive entries [first, second).
template <typename E>
using Segment = std::pair<const E*, const E*>;

// Sorts distinct keys [b, b + m) into out by counting each one's rank: no data-dependent
// branches, for short runs.
template <typename T>
void RankSort(const T* b, size_t m, T* out) {
  for (size_t i = 0; i < m; ++i) {
    size_t rank = 0;
    for (size_t j = 0; j < m; ++j) rank += b[j] < b[i] ? 1 : 0;
    out[rank] = b[i];
  }
}

template <typename T>
void InsertionSort(T* b, T* e) {
  for (T* i = b + 1; i < e; ++i) {
    const T x = *i;
    T* j = i;
    for (; j > b && x < *(j - 1); --j) *j = *(j - 1);
    *j = x;
  }
}

// Applies the rule to the units of one bucket at a time, setting kept rows in its own mask.
// One per thread.
template <typename E>
class Selector {
 public:
  Selector(const UnitBoundingInput& in, uint64_t* keep)
      : in_(in), keep_(keep), units_per_group_(in.num_gids, 0) {}

  // One bucket: entries of whole units, in table order, sharing the top `used_bits` bits of
  // the hash, in consecutive segments.
  void Bucket(const std::vector<Segment<E>>& segs, int used_bits) {
    SelectBucket(segs, used_bits);
    SetMarkedBits();
  }

  const std::vector<int64_t>& units_per_group() const { return units_per_group_; }
  int64_t kept() const { return kept_; }

 private:
  using Key = typename E::Key;

  void SelectBucket(const std::vector<Segment<E>>& segs, int used_bits) {
    size_t m = 0;
    for (const auto& [b, e] : segs) m += static_cast<size_t>(e - b);
    sub_.resize(m);
    if (m <= kInsertionSortMax) {
      E* out = sub_.data();
      for (const auto& [b, e] : segs) out = std::copy(b, e, out);
      Select(sub_.data(), m);
      return;
    }
    // Stable counting sort on the next sbits bits: sub-buckets of ~2-4 entries on average, so
    // most non-empty ones hold one unit.
    int sbits = 0;
    while (sbits < 16 && (m >> (sbits + 1)) >= 2) ++sbits;
    const int shift = 64 - used_bits - sbits;
    const uint64_t mask = (uint64_t{1} << sbits) - 1;
    counts_.assign((size_t{1} << sbits) + 1, 0);
    for (const auto& [b, e] : segs) {
      for (const E* p = b; p < e; ++p) ++counts_[((p->unit >> shift) & mask) + 1];
    }
    for (size_t k = 1; k < counts_.size(); ++k) counts_[k] += counts_[k - 1];
    for (const auto& [b, e] : segs) {
      for (const E* p = b; p < e; ++p) sub_[counts_[(p->unit >> shift) & mask]++] = *p;
    }
    // counts_[k] is now the end of sub-bucket k.
    uint32_t start = 0;
    for (size_t k = 0; k + 1 < counts_.size(); ++k) {
      const uint32_t end = counts_[k];
      if (end > start) Select(sub_.data() + start, end - start);
      start = end;
    }
  }

  // Sets the mask bits of the rows a bucket kept. The rows are scattered over the table, so
  // each write is likely a cache miss: a separate tight loop with prefetching lets the misses
  // overlap (on the 10M-row benchmark the selection step took ~7% fewer cycles than with each
  // bit set when its row is chosen).
  void SetMarkedBits() {
    constexpr size_t kAhead = 16;
    const int64_t* rows = marks_.data();
    const size_t n = marks_.size();
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) __builtin_prefetch(&keep_[rows[i + kAhead] >> 6], 1);
      keep_[rows[i] >> 6] |= uint64_t{1} << (rows[i] & 63);
    }
    marks_.clear();
  }

  // A unit's rows in one group: entries [begin, begin + count) of the unit, in table order.
  struct Run {
    int32_t gid;
    uint32_t begin;
    uint32_t count;
    uint64_t priority;  // group priority
  };

  // Entries e[0..m): whole units. Sorts them by (unit, group, row), then bounds unit by unit.
  void Select(E* e, size_t m) {
    if (m == 0) return;  // an empty bucket (an empty table, or no row hashed here)
    uint64_t differ = 0;
    for (size_t i = 1; i < m; ++i) differ |= e[i].unit ^ e[0].unit;
    if (keys_.size() < 2 * m) keys_.resize(2 * m);
    Key* keys = keys_.data();
    if (differ == 0) {  // one unit: sort its keys
      for (size_t i = 0; i < m; ++i) keys[i] = e[i].key();
      if (m <= kRankSortMax) {
        RankSort(keys, m, keys + m);
        keys += m;
      } else if (m <= kInsertionSortMax) {
        InsertionSort(keys, keys + m);
      } else {
        std::sort(keys, keys + m);
      }
      Unit(e[0].unit, keys, m);
      return;
    }
    if (m > kInsertionSortMax) {
      std::sort(e, e + m);
    } else {
      InsertionSort(e, e + m);
    }
    for (size_t b = 0; b < m;) {
      size_t end = b + 1;
      while (end < m && e[end].unit == e[b].unit) ++end;
      for (size_t i = b; i < end; ++i) keys[i - b] = e[i].key();
      Unit(e[b].unit, keys, end - b);
      b = end;
    }
  }

  // One unit's keys, sorted by (group, row).
  void Unit(uint64_t unit, const Key* e, size_t m) {
    runs_.clear();
    if (m <= 64) {  // run starts as a bit set, without data-dependent branches
      uint64_t starts = 1;
      for (size_t i = 1; i < m; ++i) {
        starts |= static_cast<uint64_t>(E::KeyGid(e[i]) != E::KeyGid(e[i - 1])) << i;
      }
      for (; starts != 0; starts &= starts - 1) {
        const uint32_t i = static_cast<uint32_t>(std::countr_zero(starts));
        const uint64_t rest = starts & (starts - 1);
        const uint32_t j = rest != 0 ? static_cast<uint32_t>(std::countr_zero(rest)) : static_cast<uint32_t>(m);
        runs_.push_back({E::KeyGid(e[i]), i, j - i, 0});
      }
    } else {
      for (size_t i = 0; i < m;) {
        const int32_t g = E::KeyGid(e[i]);
        size_t j = i + 1;
        while (j < m && E::KeyGid(e[j]) == g) ++j;
        runs_.push_back({g, static_cast<uint32_t>(i), static_cast<uint32_t>(j - i), 0});
        i = j;
      }
    }
    const size_t nr = runs_.size();
    Run* runs = runs_.data();
    size_t kept_runs = nr;
    if (static_cast<int64_t>(nr) > in_.l0) {
      // Keep the l0 groups of smallest priority (ties, i.e. group hash collisions, by group id).
      for (size_t i = 0; i < nr; ++i) {
        runs[i].priority = Mix64(in_.salt ^ Mix64(unit ^ in_.group_hash[runs[i].gid]));
      }
      auto before = [](const Run& x, const Run& y) {
        return x.priority != y.priority ? x.priority < y.priority : x.gid < y.gid;
      };
      if (nr <= 64) {
        const uint64_t kept = KeepSmallest(~uint64_t{0} >> (64 - nr), in_.l0,
                                           [&](int a, int b) { return before(runs[a], runs[b]); });
        size_t w = 0;  // compact the kept runs
        for (size_t i = 0; i < nr; ++i) {
          if ((kept >> i) & 1) runs[w++] = runs[i];
        }
      } else {
        std::nth_element(runs, runs + in_.l0, runs + nr, before);
      }
      kept_runs = static_cast<size_t>(in_.l0);
    }
    for (size_t i = 0; i < kept_runs; ++i) KeepRows(unit, runs[i], e + runs[i].begin);
  }

  // In a kept group: all rows when count <= linf, else the linf of smallest row priority
  // (distinct: Mix64 is one-to-one).
  void KeepRows(uint64_t unit, const Run& run, const Key* e) {
    ++units_per_group_[run.gid];
    const int64_t c = run.count, linf = in_.linf;
    if (c <= linf) {
      for (int64_t k = 0; k < c; ++k) Mark(E::KeyRow(e[k]));
      kept_ += c;
      return;
    }
    kept_ += linf;
    const uint64_t base = Mix64(unit ^ Mix64(in_.group_hash[run.gid] ^ in_.salt));
    priorities_.resize(static_cast<size_t>(c));
    uint64_t* pr = priorities_.data();
    for (int64_t k = 0; k < c; ++k) pr[k] = Mix64(base + static_cast<uint64_t>(k) * kPhi);
    if (c <= 64) {
      uint64_t keep = KeepSmallest(~uint64_t{0} >> (64 - c), linf,
                                   [pr](int a, int b) { return pr[a] < pr[b]; });
      for (; keep != 0; keep &= keep - 1) Mark(E::KeyRow(e[std::countr_zero(keep)]));
      return;
    }
    std::nth_element(pr, pr + (linf - 1), pr + c);
    const uint64_t threshold = pr[linf - 1];
    for (int64_t k = 0; k < c; ++k) {
      if (Mix64(base + static_cast<uint64_t>(k) * kPhi) <= threshold) Mark(E::KeyRow(e[k]));
    }
  }

  void Mark(int64_t row) { marks_.push_back(row); }

  // The `keep` smallest of the items in the bit set `items` (of c items) under the strict total
  // order `less`, as a bit set: picking the keep smallest or dropping the others, whichever is
  // fewer.
  template <typename Less>
  static uint64_t KeepSmallest(uint64_t items, int64_t keep, Less less) {
    const int64_t c = 64 - std::countl_zero(items);  // items are the low c bits
    if (keep >= c) return items;
    if (keep <= c - keep) return Extremes(items, keep, less);
    return items & ~Extremes(items, c - keep, [&](int a, int b) { return less(b, a); });
  }

  // The `want` first items of `items` under `less`, by repeated minimum.
  template <typename Less>
  static uint64_t Extremes(uint64_t items, int64_t want, Less less) {
    uint64_t chosen = 0;
    for (int64_t round = 0; round < want; ++round) {
      const uint64_t left = items & ~chosen;
      int best = std::countr_zero(left);
      for (uint64_t b = left & (left - 1); b != 0; b &= b - 1) {
        const int k = std::countr_zero(b);
        best = less(k, best) ? k : best;
      }
      chosen |= uint64_t{1} << best;
    }
    return chosen;
  }

  const UnitBoundingInput& in_;
  uint64_t* keep_;
  std::vector<int64_t> units_per_group_;
  int64_t kept_ = 0;
  std::vector<Key> keys_;
  std::vector<Run> runs_;
  std::vector<uint64_t> priorities_;
  std::vector<uint32_t> counts_;
  std::vector<E> sub_;
  std::vector<int64_t> marks_;  // rows kept in the current bucket
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

// E: entry layout; H: unit hash; kAllAllowed: every group is allowed.
template <typename E, typename H, bool kAllAllowed>
void Run(const UnitBoundingInput& in, const H& unit_hash, int threads, UnitBoundingOutput* out) {
  const int64_t n = in.rows;
  int bits = 0;
  while (bits < 16 && (in.candidates >> (bits + 1)) >= kBucketTarget) ++bits;
  const int64_t nb = int64_t{1} << bits;
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
    arenas[t] = ScratchArray<E>(static_cast<size_t>(e - b + nb * kBlockEntries));
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
        c.end = next_block + kBlockEntries;
        next_block += kBlockEntries;
      }
      *c.cur++ = E::Make(u, g, r);
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
        const E* end = i + 1 < chain.size() ? chain[i] + kBlockEntries : cursors[t][k].cur;
        segs->push_back({chain[i], end});
      }
    }
  };
  // Pass 3: select per bucket into per-thread masks; threads take chunks of buckets.
  const size_t words = static_cast<size_t>((n + 63) / 64);
  out->keep = ScratchArray<uint64_t>(words);
  std::vector<ScratchArray<uint64_t>> masks(threads > 1 ? threads - 1 : 0);
  for (auto& m : masks) m = ScratchArray<uint64_t>(words);
  auto mask_of = [&](int t) { return t == 0 ? out->keep.data() : masks[t - 1].data(); };
  std::vector<std::unique_ptr<Selector<E>>> selectors(threads);
  std::atomic<int64_t> next{0};
  const int64_t chunk = std::max<int64_t>(1, nb / (16 * threads));
  ParallelFor(threads, [&](int t) {
    std::fill(mask_of(t), mask_of(t) + words, uint64_t{0});
    selectors[t] = std::make_unique<Selector<E>>(in, mask_of(t));
    std::vector<Segment<E>> segs;
    for (;;) {
      const int64_t k0 = next.fetch_add(chunk);
      if (k0 >= nb) break;
      for (int64_t k = k0; k < std::min(nb, k0 + chunk); ++k) {
        segments(k, &segs);
        selectors[t]->Bucket(segs, bits);
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
  if (all_allowed) {
    Run<E, H, true>(in, unit_hash, threads, out);
  } else {
    Run<E, H, false>(in, unit_hash, threads, out);
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

UnitBoundingOutput BoundByUnit(const UnitBoundingInput& in) {
  UnitBoundingOutput out;
  const int threads = std::max(1, in.threads);
  if (in.rows <= int64_t{0xffffffff} && in.num_gids <= size_t{0x7fffffff}) {
    RunFor<PackedEntry>(in, threads, &out);
  } else {
    RunFor<WideEntry>(in, threads, &out);
  }
  return out;
}

}  // namespace dpkit::analytics::engine
