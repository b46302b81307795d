#include "analytics/engine/unit_bounding.h"

#include <algorithm>
#include <atomic>
#include <cstring>
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
// Entries per block of a bucket's chain in the scatter (16 KiB of packed entries; on the 10M-row
// benchmark ~4% less CPU than 4 KiB blocks, as the bucket passes read longer runs; a bucket wastes
// less than one block per thread).
constexpr int64_t kBlockEntries = 1024;
// A bucket of at most this many entries is one sub-bucket.
constexpr size_t kSmallBucket = 64;
// A sub-bucket's units are taken out one at a time (stable, linear per unit) for up to this many
// units; the rest are sorted by unit.
constexpr int kMaxUnitRounds = 8;
// A unit's l0 groups, and a kept group's linf rows, are chosen by counting each candidate's rank
// (no data-dependent branches) up to this many candidates, else by std::nth_element.
constexpr uint32_t kRankMax = 32;

// (unit hash, group, row) in 16 bytes, for tables of < 2^32 rows and < 2^31 groups.
struct PackedEntry {
  uint64_t unit;
  uint64_t lo;  // gid << 32 | row
  static PackedEntry Make(uint64_t u, int32_t g, int64_t r) {
    return {u, (static_cast<uint64_t>(static_cast<uint32_t>(g)) << 32) | static_cast<uint64_t>(r)};
  }
  int32_t gid() const { return static_cast<int32_t>(lo >> 32); }
  int64_t row() const { return static_cast<int64_t>(lo & 0xffffffffu); }
  // (unit, group, row) order.
  bool operator<(const PackedEntry& o) const { return unit != o.unit ? unit < o.unit : lo < o.lo; }
};

struct WideEntry {
  uint64_t unit;
  int32_t g;
  int64_t r;
  static WideEntry Make(uint64_t u, int32_t g, int64_t r) { return {u, g, r}; }
  int32_t gid() const { return g; }
  int64_t row() const { return r; }
  bool operator<(const WideEntry& o) const {
    return unit != o.unit ? unit < o.unit : g != o.g ? g < o.g : r < o.r;
  }
};

// A run of consecutive entries [first, second).
template <typename E>
using Segment = std::pair<const E*, const E*>;

// Applies the rule to the units of one bucket at a time, setting kept rows in its own mask.
// One per thread.
template <typename E>
class Selector {
 public:
  Selector(const UnitBoundingInput& in, uint64_t* keep)
      : in_(in), keep_(keep), units_per_group_(in.num_gids, 0), stamps_(in.num_gids, 0) {}

  // One bucket: entries of whole units, in table order, sharing the top `used_bits` bits of
  // the hash, in consecutive segments.
  void Bucket(const std::vector<Segment<E>>& segs, int used_bits) {
    SelectBucket(segs, used_bits);
    SetMarkedBits();
  }

  const std::vector<int64_t>& units_per_group() const { return units_per_group_; }
  int64_t kept() const { return kept_; }

 private:
  void SelectBucket(const std::vector<Segment<E>>& segs, int used_bits) {
    size_t m = 0;
    for (const auto& [b, e] : segs) m += static_cast<size_t>(e - b);
    sub_.resize(m);
    if (marks_.size() < m) marks_.resize(m);
    num_marks_ = 0;
    if (m <= kSmallBucket) {
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
    const size_t n = num_marks_;
    for (size_t i = 0; i < n; ++i) {
      if (i + kAhead < n) __builtin_prefetch(&keep_[rows[i + kAhead] >> 6], 1);
      keep_[rows[i] >> 6] |= uint64_t{1} << (rows[i] & 63);
    }
  }

  // Entries e[0..m): whole units, in table order. Bounds them unit by unit.
  void Select(E* e, size_t m) {
    if (m == 0) return;  // an empty bucket (an empty table, or no row hashed here)
    uint64_t differ = 0;
    for (size_t i = 1; i < m; ++i) differ |= e[i].unit ^ e[0].unit;
    if (differ == 0) {
      Unit(e[0].unit, e, m);
      return;
    }
    // Several units: one at a time, in order of first appearance, each unit's entries moved
    // out in table order (stable), the others kept in order for the next round.
    if (others_.size() < m) others_.resize(m);
    E* unit = others_.data();
    size_t left = m;
    for (int round = 0; left > 0 && round < kMaxUnitRounds; ++round) {
      const uint64_t u = e[0].unit;
      size_t a = 0, b = 0;
      for (size_t i = 0; i < left; ++i) {  // without data-dependent branches
        const bool mine = e[i].unit == u;
        unit[a] = e[i];
        e[b] = e[i];
        a += mine ? 1 : 0;
        b += mine ? 0 : 1;
      }
      Unit(u, unit, a);
      left = b;
    }
    // Many units: (unit, group, row) order keeps each unit's rows of a group in table order.
    std::sort(e, e + left);
    for (size_t b = 0; b < left;) {
      size_t end = b + 1;
      while (end < left && e[end].unit == e[b].unit) ++end;
      Unit(e[b].unit, e + b, end - b);
      b = end;
    }
  }

  // One unit's entries e[0..m), in table order within each group (groups may interleave).
  void Unit(uint64_t unit, const E* e, size_t m) {
    if (slots_.size() < m) {
      slots_.resize(m);
      gids_.resize(m);
      counts_of_.resize(m + 1);
      flags_.resize(m);
      keep_group_.resize(m);
      priorities_.resize(m);
    }
    const uint32_t d = Slot(e, m);
    const bool all_groups = !ChooseGroups(unit, d);
    // Per slot j, how its rows are kept (keep_group_[j]: 0 none, 1 all, 2 those flagged in
    // flags_[offset of j + k] for the unit's k-th row in the group).
    uint8_t* mode = keep_group_.data();
    const int64_t linf = in_.linf;
    uint32_t offset = 0;
    for (uint32_t j = 0; j < d; ++j) {
      const uint32_t c = counts_of_[j];
      counts_of_[j] = offset;  // from here on: the slot's offset into flags_
      uint8_t how = all_groups ? 1 : mode[j];
      if (how != 0) {
        ++units_per_group_[gids_[j]];
        kept_ += std::min<int64_t>(c, linf);
        if (c > linf) {
          ChooseRows(unit, gids_[j], c, flags_.data() + offset);
          how = 2;
        }
      }
      mode[j] = how;
      offset += c;
    }
    // The kept rows, appended without data-dependent branches.
    int64_t* out = marks_.data() + num_marks_;
    const uint8_t* flags = flags_.data();
    size_t w = 0;
    for (size_t i = 0; i < m; ++i) {
      const EntrySlot s = slots_[i];
      out[w] = e[i].row();
      w += (mode[s.slot] & 1) | ((mode[s.slot] >> 1) & flags[counts_of_[s.slot] + s.k]);
    }
    num_marks_ += w;
  }

  // Numbers the unit's distinct groups 0..d-1 in order of first appearance (gids_), counts
  // their rows (counts_of_) and gives each entry its slot and its index k among the unit's rows
  // of that group. Returns d. A group's slot is found through stamps_[gid] = epoch << 32 | slot,
  // valid only for the current unit's epoch, so nothing is cleared between units.
  uint32_t Slot(const E* e, size_t m) {
    if (++epoch_ == 0) {  // wrapped: old stamps could look current
      std::fill(stamps_.begin(), stamps_.end(), uint64_t{0});
      epoch_ = 1;
    }
    const uint64_t tag = static_cast<uint64_t>(epoch_) << 32;
    uint32_t d = 0;
    uint64_t* stamps = stamps_.data();
    int32_t* gids = gids_.data();
    uint32_t* counts = counts_of_.data();
    for (size_t i = 0; i < m; ++i) {  // without data-dependent branches (selects only)
      const int32_t g = e[i].gid();
      const uint64_t stamp = stamps[static_cast<size_t>(g)];
      const bool is_new = (stamp & ~uint64_t{0xffffffff}) != tag;
      const uint32_t j = is_new ? d : static_cast<uint32_t>(stamp);
      const uint32_t k = is_new ? 0 : counts[j];
      stamps[static_cast<size_t>(g)] = tag | j;
      gids[j] = g;
      counts[j] = k + 1;
      slots_[i] = {j, k};
      d += is_new ? 1 : 0;
    }
    return d;
  }

  // Whether the unit has more than l0 groups; if so keep_group_[j] = 1 for the l0 of smallest
  // group priority among its d groups (ties, i.e. group hash collisions, by group id), else 0.
  bool ChooseGroups(uint64_t unit, uint32_t d) {
    if (static_cast<int64_t>(d) <= in_.l0) return false;
    uint64_t* pr = priorities_.data();
    for (uint32_t j = 0; j < d; ++j) pr[j] = Mix64(in_.salt ^ Mix64(unit ^ in_.group_hash[gids_[j]]));
    auto before = [&](uint32_t a, uint32_t b) {
      return pr[a] != pr[b] ? pr[a] < pr[b] : gids_[a] < gids_[b];
    };
    uint8_t* keep = keep_group_.data();
    if (d <= kRankMax) {
      for (uint32_t j = 0; j < d; ++j) {
        int64_t rank = 0;
        for (uint32_t i = 0; i < d; ++i) rank += before(i, j) ? 1 : 0;
        keep[j] = rank < in_.l0 ? 1 : 0;
      }
      return true;
    }
    order_.resize(d);
    std::iota(order_.begin(), order_.end(), uint32_t{0});
    std::nth_element(order_.begin(), order_.begin() + in_.l0, order_.end(), before);
    for (uint32_t j = 0; j < d; ++j) keep[j] = 0;
    for (int64_t i = 0; i < in_.l0; ++i) keep[order_[i]] = 1;
    return true;
  }

  // In a kept group with c > linf rows: flags[k] = 1 for the linf of its rows of smallest row
  // priority (distinct: Mix64 is one-to-one), 0 for the others.
  void ChooseRows(uint64_t unit, int32_t gid, uint32_t c, uint8_t* flags) {
    const int64_t linf = in_.linf;
    const uint64_t base = Mix64(unit ^ Mix64(in_.group_hash[gid] ^ in_.salt));
    uint64_t* pr = priorities_.data();
    for (uint32_t k = 0; k < c; ++k) pr[k] = Mix64(base + static_cast<uint64_t>(k) * kPhi);
    if (c <= kRankMax) {
      for (uint32_t k = 0; k < c; ++k) {
        int64_t rank = 0;
        for (uint32_t i = 0; i < c; ++i) rank += pr[i] < pr[k] ? 1 : 0;
        flags[k] = rank < linf ? 1 : 0;
      }
      return;
    }
    threshold_.assign(pr, pr + c);
    std::nth_element(threshold_.begin(), threshold_.begin() + (linf - 1), threshold_.end());
    const uint64_t threshold = threshold_[linf - 1];
    for (uint32_t k = 0; k < c; ++k) flags[k] = pr[k] <= threshold ? 1 : 0;
  }

  const UnitBoundingInput& in_;
  uint64_t* keep_;
  std::vector<int64_t> units_per_group_;
  int64_t kept_ = 0;
  struct EntrySlot {
    uint32_t slot;  // the entry's group among the unit's
    uint32_t k;     // the entry's index among the unit's rows of that group
  };
  std::vector<uint64_t> stamps_;  // per gid
  uint32_t epoch_ = 0;
  std::vector<EntrySlot> slots_;         // per entry of the unit
  std::vector<int32_t> gids_;       // per slot
  std::vector<uint32_t> counts_of_;  // per slot: rows, then offsets into flags_
  std::vector<uint8_t> keep_group_;  // per slot
  std::vector<uint8_t> flags_;       // per (slot, k): row kept
  std::vector<uint64_t> priorities_;
  std::vector<uint64_t> threshold_;
  std::vector<uint32_t> order_;
  std::vector<uint32_t> counts_;
  std::vector<E> sub_;
  std::vector<E> others_;  // one unit's entries, taken out of a sub-bucket of several
  std::vector<int64_t> marks_;  // rows kept in the current bucket: the first num_marks_
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
