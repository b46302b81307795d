#include "analytics/engine/state.h"

#include <algorithm>
#include <array>
#include <bit>
#include <atomic>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <thread>
#include <type_traits>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

// Performance notes (measured by bench/analytics_bench.cc; figures in docs/benchmarks.md):
//  - Keying: when every GROUP BY column is a string (dictionary codes) or an integer column with
//    a small value range, a row's key is a mixed-radix code looked up in a dense table instead
//    of a hash map of 8-word keys.
//  - Bounding: instead of one std::sort of all (unit, group, row) entries, the entries are
//    radix-partitioned by the top bits of the unit hash into cache-sized buckets (stable, in
//    both threads), and each bucket is sorted and bounded on its own. A unit never spans two
//    buckets, so the kept set is exactly the one a global sort gives. Kept rows are marked in a
//    per-row mask and listed in table order, so accumulation reads the value columns
//    sequentially.
//  - Accumulation: flat per-thread arrays, dense quantile-tree leaf counts, and an exact inline
//    replacement of std::llround.
// None of this changes which rows are kept or any accumulated integer.

namespace dpkit::analytics::engine {
namespace {

constexpr int kMaxGroupColumns = 8;
constexpr char kKeySeparator = '\x1f';

// A row's group key as raw per-column values (string code, int64, double bits) + null mask.
struct RawKey {
  std::array<uint64_t, kMaxGroupColumns> v{};
  uint32_t nulls = 0;
  bool operator==(const RawKey& o) const { return v == o.v && nulls == o.nulls; }
  template <typename H>
  friend H AbslHashValue(H h, const RawKey& k) {
    return H::combine(std::move(h), k.v, k.nulls);
  }
};

uint64_t RawValue(const io::Column& c, int64_t row) {
  switch (c.type()) {
    case io::DataType::kString:
      return static_cast<uint64_t>(static_cast<uint32_t>(c.codes()[row]));
    case io::DataType::kDouble: {
      double d = c.double_values()[row];
      if (d == 0) d = 0;  // -0.0 and 0.0 are one key
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof(bits));
      return bits;
    }
    default:
      return static_cast<uint64_t>(c.int64_values()[row]);
  }
}

std::string KeyText(const io::Column& c, int64_t row) {
  return c.IsNull(row) ? std::string("NULL") : c.FormatValue(row);
}

// Runs fn(t) for t = 0..threads-1, t >= 1 on new threads.
void ParallelFor(int threads, const std::function<void(int)>& fn) {
  if (threads <= 1) {
    fn(0);
    return;
  }
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(fn, t);
  fn(0);
  for (auto& th : pool) th.join();
}

// std::llround(y) (round half away from zero), exactly, without the library call: for
// |y| < 2^62 the truncation t is exact and y - t is exact (Sterbenz), so comparing the
// remainder with 1/2 decides the rounding exactly as llround does. Other inputs (including NaN)
// go to llround itself.
inline int64_t RoundHalfAway(double y) {
  if (!(std::fabs(y) < 0x1p62)) return std::llround(y);
  int64_t t = static_cast<int64_t>(y);
  const double rem = y - static_cast<double>(t);
  if (rem >= 0.5) ++t;
  if (rem <= -0.5) --t;
  return t;
}

// A large scratch array of trivially copyable T, uninitialised. On Linux it is mapped directly and
// marked for transparent huge pages, which cuts the page faults of first touch (costly on virtual
// machines) by up to 512x.
template <typename T>
class ScratchArray {
 public:
  explicit ScratchArray(size_t n) : n_(n) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (n == 0) return;
#if defined(__linux__)
    bytes_ = n * sizeof(T);
    if (bytes_ >= (size_t{8} << 20)) {
      void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED) {
        ::madvise(p, bytes_, MADV_HUGEPAGE);  // advice only: failure is harmless
        data_ = static_cast<T*>(p);
        mapped_ = true;
        return;
      }
    }
#endif
    data_ = new T[n];
  }
  ~ScratchArray() { Reset(); }
  ScratchArray(const ScratchArray&) = delete;
  ScratchArray& operator=(const ScratchArray&) = delete;
  void Reset() {
    if (data_ == nullptr) return;
#if defined(__linux__)
    if (mapped_) {
      ::munmap(data_, bytes_);
      data_ = nullptr;
      return;
    }
#endif
    delete[] data_;
    data_ = nullptr;
  }
  T* data() const { return data_; }
  T& operator[](size_t i) const { return data_[i]; }
  size_t size() const { return n_; }

 private:
  T* data_ = nullptr;
  size_t n_ = 0;
  size_t bytes_ = 0;
  bool mapped_ = false;
};

// ---- keying ----

// Dense keys: every group column is a string (dictionary code) or an integer-stored column
// (int64, date, bool) whose values span a small range. Code 0 is null, 1.. the values.
struct DenseDim {
  const int32_t* codes = nullptr;  // string columns
  const int64_t* ints = nullptr;   // integer columns
  const uint8_t* valid = nullptr;  // nullptr: no nulls
  int64_t min = 0;
  uint64_t card = 0;  // number of codes including null
};

// Fills dims and returns the key domain size, or 0 if the dense path does not apply.
uint64_t PlanDenseKeys(const std::vector<const io::Column*>& gcols, int64_t n,
                       std::vector<DenseDim>* dims) {
  // A dense lookup table larger than this (or than a few entries per row) is not worth it.
  const uint64_t max_domain = std::min<uint64_t>(uint64_t{1} << 22,
                                                 std::max<uint64_t>(4096, 4 * static_cast<uint64_t>(n)));
  uint64_t domain = 1;
  for (const io::Column* c : gcols) {
    DenseDim d;
    d.valid = c->has_nulls() ? c->validity().data() : nullptr;
    if (c->type() == io::DataType::kString) {
      d.codes = c->codes().data();
      d.card = static_cast<uint64_t>(c->dictionary().size()) + 1;
    } else if (c->type() == io::DataType::kDouble) {
      return 0;
    } else {
      d.ints = c->int64_values().data();
      int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
      for (int64_t r = 0; r < n; ++r) {
        if (d.valid && !d.valid[r]) continue;
        lo = std::min(lo, d.ints[r]);
        hi = std::max(hi, d.ints[r]);
      }
      if (lo > hi) lo = hi = 0;  // all null
      const unsigned __int128 span = static_cast<unsigned __int128>(static_cast<__int128>(hi) -
                                                                    static_cast<__int128>(lo));
      if (span >= max_domain) return 0;
      d.min = lo;
      d.card = static_cast<uint64_t>(span) + 2;
    }
    if (d.card > max_domain || domain > max_domain / d.card) return 0;
    domain *= d.card;
    dims->push_back(d);
  }
  return domain;
}

// ---- unit hashing ----

// The per-row unit hash, identical to hashing RawValue (per string code once).
struct UnitHasher {
  const uint64_t* code_hash = nullptr;
  const int32_t* codes = nullptr;
  const int64_t* ints = nullptr;
  const double* doubles = nullptr;
  uint64_t operator()(int64_t r) const {
    if (code_hash) return code_hash[codes[r]];
    uint64_t bits;
    if (ints) {
      bits = static_cast<uint64_t>(ints[r]);
    } else {
      double d = doubles[r];
      if (d == 0) d = 0;
      std::memcpy(&bits, &d, sizeof(bits));
    }
    return Mix64(bits ^ 0x5bd1e995u);
  }
};

// ---- bounding ----

// (unit hash, group id, row) sorted by all three. Packed into 16 bytes when rows < 2^32.
struct PackedEntry {
  uint64_t unit;
  uint64_t lo;  // gid << 32 | row
  static PackedEntry Make(uint64_t u, int32_t g, int64_t r) {
    return {u, (static_cast<uint64_t>(static_cast<uint32_t>(g)) << 32) | static_cast<uint64_t>(r)};
  }
  int32_t gid() const { return static_cast<int32_t>(lo >> 32); }
  int64_t row() const { return static_cast<int64_t>(lo & 0xffffffffu); }
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
    if (unit != o.unit) return unit < o.unit;
    if (g != o.g) return g < o.g;
    return r < o.r;
  }
};

template <typename E>
void InsertionSort(E* b, E* e) {
  for (E* i = b + 1; i < e; ++i) {
    E x = *i;
    E* j = i;
    while (j > b && x < *(j - 1)) {
      *j = *(j - 1);
      --j;
    }
    *j = x;
  }
}

// Sorts bucket [b, e) into `out` (same size). All units of a bucket share the top `used_bits`
// bits of their hash; a counting sort on the next bits makes sub-buckets of ~8-16 entries (about
// one unit each), which insertion sort finishes (std::sort for a large one, e.g. one unit with
// many rows). Keys (unit, gid, row) are unique, so the order is exactly std::sort's.
template <typename E>
void SortBucket(const E* b, const E* e, int used_bits, E* out, std::vector<uint32_t>* counts) {
  const size_t m = static_cast<size_t>(e - b);
  if (m <= 32) {
    std::copy(b, e, out);
    InsertionSort(out, out + m);
    return;
  }
  int sbits = 0;
  while (sbits < 16 && (m >> (sbits + 1)) >= 8) ++sbits;
  const int shift = 64 - used_bits - sbits;
  const uint64_t mask = (uint64_t{1} << sbits) - 1;
  std::vector<uint32_t>& c = *counts;
  c.assign((size_t{1} << sbits) + 1, 0);
  for (const E* p = b; p < e; ++p) ++c[((p->unit >> shift) & mask) + 1];
  for (size_t k = 1; k < c.size(); ++k) c[k] += c[k - 1];
  for (const E* p = b; p < e; ++p) out[c[(p->unit >> shift) & mask]++] = *p;
  // Now c[k] is the end of sub-bucket k (and the start of k + 1).
  uint32_t start = 0;
  for (size_t k = 0; k + 1 < c.size(); ++k) {
    const uint32_t end = c[k];
    if (end - start > 48) {
      std::sort(out + start, out + end);
    } else if (end - start > 1) {
      InsertionSort(out + start, out + end);
    }
    start = end;
  }
}

// Per-thread output of bounding.
struct BoundOutput {
  std::vector<int64_t> units_per_group;
  int64_t kept = 0;
};

// Processes sorted entries [begin, end) (whole units only): keeps <= l0 groups per unit and
// <= linf rows per (unit, group), marking kept rows in `keep`.
// Marks `row` kept in a bit mask shared by the bounding threads.
inline void MarkKept(uint64_t* keep, int64_t row, bool shared) {
  const uint64_t bit = uint64_t{1} << (row & 63);
  if (shared) {
    std::atomic_ref<uint64_t>(keep[row >> 6]).fetch_or(bit, std::memory_order_relaxed);
  } else {
    keep[row >> 6] |= bit;
  }
}

template <typename E>
void BoundSorted(const E* begin, const E* end, const std::vector<uint64_t>& group_hash, int64_t l0,
                 int64_t linf, uint64_t salt, uint64_t* keep, bool shared, BoundOutput* out) {
  struct Run {
    int32_t gid;
    const E* b;
    const E* e;
    uint64_t priority;
  };
  std::vector<Run> runs;
  std::vector<std::pair<uint64_t, const E*>> rows;
  int64_t* units_per_group = out->units_per_group.data();
  const E* p = begin;
  while (p < end) {
    const uint64_t unit = p->unit;
    runs.clear();
    while (p < end && p->unit == unit) {
      const E* q = p;
      const int32_t g = p->gid();
      while (q < end && q->unit == unit && q->gid() == g) ++q;
      runs.push_back({g, p, q, 0});
      p = q;
    }
    if (static_cast<int64_t>(runs.size()) > l0) {
      for (auto& r : runs) r.priority = Mix64(salt ^ Mix64(unit ^ group_hash[r.gid]));
      std::nth_element(runs.begin(), runs.begin() + l0, runs.end(),
                       [](const Run& a, const Run& b) { return a.priority < b.priority; });
      runs.resize(static_cast<size_t>(l0));
    }
    for (const auto& r : runs) {
      units_per_group[r.gid] += 1;
      const int64_t c = r.e - r.b;
      if (c <= linf) {
        for (const E* x = r.b; x < r.e; ++x) MarkKept(keep, x->row(), shared);
        out->kept += c;
        continue;
      }
      // Keep the linf occurrences with the smallest priority; an occurrence is identified by its
      // rank k among this unit's rows in this group (table order), which other units' rows
      // cannot change.
      rows.clear();
      const uint64_t base = Mix64(unit ^ Mix64(group_hash[r.gid] ^ salt));
      for (int64_t k = 0; k < c; ++k) {
        rows.push_back({Mix64(base + static_cast<uint64_t>(k) * 0x9E3779B97F4A7C15ull), r.b + k});
      }
      std::nth_element(rows.begin(), rows.begin() + linf, rows.end());
      for (int64_t k = 0; k < linf; ++k) MarkKept(keep, rows[k].second->row(), shared);
      out->kept += linf;
    }
  }
}

// Bounds the rows with row_gid >= 0 and an allowed group: radix-partitions (unit hash, group,
// row) entries by the top bits of the unit hash into buckets of a few thousand entries (stable
// scatter, parallel), sorts and bounds each bucket (parallel), and lists the kept rows in table
// order.
template <typename E>
void BoundByUnit(int64_t n, const std::vector<int32_t>& row_gid,
                 const std::vector<uint8_t>& gid_allowed, const UnitHasher& unit_hash,
                 const std::vector<uint64_t>& group_hash, int64_t l0, int64_t linf,
                 uint64_t salt, int threads, int64_t candidates, BoundedRows* out) {
  const size_t num_gids = group_hash.size();
  // Buckets of ~4k-8k entries (64-128 KiB of packed entries: L2-resident while sorted).
  constexpr int64_t kBucketTarget = 4096;
  int bits = 0;
  while (bits < 16 && (candidates >> (bits + 1)) >= kBucketTarget) ++bits;
  const int64_t nb = int64_t{1} << bits;
  auto bucket_of = [bits](uint64_t u) -> int64_t {
    return bits == 0 ? 0 : static_cast<int64_t>(u >> (64 - bits));
  };
  auto range = [&](int t) {
    return std::pair<int64_t, int64_t>(n * t / threads, n * (t + 1) / threads);
  };
  // Pass 1: per-thread bucket histograms (and dropped rows of undeclared public keys).
  std::vector<std::vector<int64_t>> hist(threads, std::vector<int64_t>(nb, 0));
  std::vector<int64_t> dropped(threads, 0);
  ParallelFor(threads, [&](int t) {
    auto [b, e] = range(t);
    int64_t* h = hist[t].data();
    for (int64_t r = b; r < e; ++r) {
      const int32_t g = row_gid[r];
      if (g < 0) continue;
      if (!gid_allowed[g]) {
        ++dropped[t];
        continue;
      }
      ++h[bucket_of(unit_hash(r))];
    }
  });
  for (int64_t d : dropped) out->dropped_rows += d;
  // Offsets: bucket-major, then thread (earlier rows first: the scatter is stable).
  std::vector<int64_t> bucket_begin(nb + 1, 0);
  std::vector<std::vector<int64_t>> pos(threads, std::vector<int64_t>(nb, 0));
  int64_t total = 0;
  for (int64_t k = 0; k < nb; ++k) {
    bucket_begin[k] = total;
    for (int t = 0; t < threads; ++t) {
      pos[t][k] = total;
      total += hist[t][k];
    }
  }
  bucket_begin[nb] = total;
  ScratchArray<E> entries(static_cast<size_t>(total));
  // Pass 2: scatter.
  ParallelFor(threads, [&](int t) {
    auto [b, e] = range(t);
    int64_t* ps = pos[t].data();
    E* dst = entries.data();
    for (int64_t r = b; r < e; ++r) {
      const int32_t g = row_gid[r];
      if (g < 0 || !gid_allowed[g]) continue;
      const uint64_t u = unit_hash(r);
      dst[ps[bucket_of(u)]++] = E::Make(u, g, r);
    }
  });
  // Pass 3: sort and bound each bucket; threads take chunks of buckets as they finish.
  const size_t words = static_cast<size_t>((n + 63) / 64);
  ScratchArray<uint64_t> keep(words);
  std::fill(keep.data(), keep.data() + words, uint64_t{0});
  std::vector<BoundOutput> res(threads);
  std::atomic<int64_t> next{0};
  const int64_t chunk = std::max<int64_t>(1, nb / (16 * threads));
  const bool shared = threads > 1;
  ParallelFor(threads, [&](int t) {
    res[t].units_per_group.assign(num_gids, 0);
    std::vector<E> sorted;
    std::vector<uint32_t> counts;
    for (;;) {
      const int64_t k0 = next.fetch_add(chunk);
      if (k0 >= nb) break;
      const int64_t k1 = std::min(nb, k0 + chunk);
      for (int64_t k = k0; k < k1; ++k) {
        const E* b = entries.data() + bucket_begin[k];
        const E* e = entries.data() + bucket_begin[k + 1];
        sorted.resize(static_cast<size_t>(e - b));
        SortBucket(b, e, bits, sorted.data(), &counts);
        BoundSorted(sorted.data(), sorted.data() + sorted.size(), group_hash, l0, linf, salt,
                    keep.data(), shared, &res[t]);
      }
    }
  });
  entries.Reset();
  int64_t kept = 0;
  for (const auto& r : res) {
    kept += r.kept;
    for (size_t g = 0; g < num_gids; ++g) out->units_per_group[g] += r.units_per_group[g];
  }
  // Pass 4: kept rows in table order.
  out->gid.resize(static_cast<size_t>(kept));
  out->row.resize(static_cast<size_t>(kept));
  // Threads split the mask at word boundaries.
  auto word_range = [&](int t) {
    return std::pair<size_t, size_t>(words * t / threads, words * (t + 1) / threads);
  };
  std::vector<int64_t> first(threads + 1, 0);
  ParallelFor(threads, [&](int t) {
    auto [b, e] = word_range(t);
    int64_t c = 0;
    for (size_t w = b; w < e; ++w) c += std::popcount(keep[w]);
    first[t + 1] = c;
  });
  for (int t = 0; t < threads; ++t) first[t + 1] += first[t];
  ParallelFor(threads, [&](int t) {
    auto [b, e] = word_range(t);
    int64_t o = first[t];
    int32_t* gid = out->gid.data();
    int64_t* row = out->row.data();
    for (size_t w = b; w < e; ++w) {
      for (uint64_t bitsw = keep[w]; bitsw != 0; bitsw &= bitsw - 1) {
        const int64_t r = static_cast<int64_t>(w * 64) + std::countr_zero(bitsw);
        gid[o] = row_gid[r];
        row[o] = r;
        ++o;
      }
    }
  });
}

}  // namespace

bool ResolvedQuery::all_keys_public() const {
  if (group_indices.empty()) return true;
  for (const auto& k : public_keys) {
    if (k.empty()) return false;
  }
  return true;
}

uint64_t Mix64(uint64_t x) {  // SplitMix64 finaliser (Steele, Lea, Flood 2014)
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t HashBytes(const void* data, size_t n, uint64_t seed) {  // FNV-1a 64 + final mix
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return Mix64(h);
}

absl::StatusOr<BoundedRows> BoundContributions(const io::Table& table, const QuerySpec& spec,
                                               const ResolvedQuery& rq, uint64_t salt,
                                               int threads) {
  BoundedRows out;
  const int64_t n = table.num_rows();
  if (!spec.row_filter.empty() && static_cast<int64_t>(spec.row_filter.size()) != n) {
    return absl::InternalError("row filter length does not match the table");
  }
  if (rq.group_indices.size() > kMaxGroupColumns) {
    return absl::InvalidArgumentError(
        absl::StrCat("at most ", kMaxGroupColumns, " GROUP BY columns are supported"));
  }
  const bool all_public = rq.all_keys_public() && !rq.group_indices.empty();

  // Public keys: map each declared key text to its position, per group column.
  std::vector<absl::flat_hash_map<std::string, int>> declared(rq.group_indices.size());
  if (all_public) {
    for (size_t c = 0; c < rq.group_indices.size(); ++c) {
      for (size_t k = 0; k < rq.public_keys[c].size(); ++k) declared[c][rq.public_keys[c][k]] = k;
    }
  }
  std::vector<const io::Column*> gcols;
  for (int gi : rq.group_indices) gcols.push_back(&table.column(gi));

  // 1. Key every kept row: dense group ids in order of first appearance.
  std::vector<int32_t> row_gid(static_cast<size_t>(n), -1);
  std::vector<int64_t> first_row;  // per gid
  const uint8_t* filter = spec.row_filter.empty() ? nullptr : spec.row_filter.data();
  const io::Column* unit_col = rq.unit_index >= 0 ? &table.column(rq.unit_index) : nullptr;
  const uint8_t* unit_valid =
      unit_col && unit_col->has_nulls() ? unit_col->validity().data() : nullptr;
  std::vector<DenseDim> dims;
  const uint64_t domain = PlanDenseKeys(gcols, n, &dims);
  if (domain > 0) {
    std::vector<int32_t> lut(domain, -1);
    for (int64_t r = 0; r < n; ++r) {
      if (filter && !filter[r]) continue;
      ++out.input_rows;
      if (unit_valid && !unit_valid[r]) {
        ++out.dropped_rows;  // a row without a privacy unit cannot be attributed: dropped
        continue;
      }
      uint64_t k = 0;
      for (const DenseDim& d : dims) {
        uint64_t code = 0;
        if (!d.valid || d.valid[r]) {
          code = d.codes ? static_cast<uint64_t>(d.codes[r]) + 1
                         : static_cast<uint64_t>(d.ints[r] - d.min) + 1;
        }
        k = k * d.card + code;
      }
      int32_t& id = lut[k];
      if (id < 0) {
        id = static_cast<int32_t>(first_row.size());
        first_row.push_back(r);
      }
      row_gid[r] = id;
    }
  } else {
    absl::flat_hash_map<RawKey, int32_t> key_ids;
    for (int64_t r = 0; r < n; ++r) {
      if (filter && !filter[r]) continue;
      ++out.input_rows;
      if (unit_valid && !unit_valid[r]) {
        ++out.dropped_rows;
        continue;
      }
      RawKey key;
      for (size_t c = 0; c < gcols.size(); ++c) {
        if (gcols[c]->IsNull(r)) {
          key.nulls |= 1u << c;
        } else {
          key.v[c] = RawValue(*gcols[c], r);
        }
      }
      auto [it, inserted] = key_ids.try_emplace(key, static_cast<int32_t>(first_row.size()));
      if (inserted) first_row.push_back(r);
      row_gid[r] = it->second;
    }
  }
  // Key texts, public-key filtering and stable group hashes.
  const size_t num_gids = first_row.size();
  std::vector<uint8_t> gid_allowed(num_gids, 1);
  std::vector<uint64_t> group_hash(num_gids);
  out.group_keys.resize(num_gids);
  for (size_t g = 0; g < num_gids; ++g) {
    std::vector<std::string> keys;
    for (size_t c = 0; c < gcols.size(); ++c) {
      keys.push_back(KeyText(*gcols[c], first_row[g]));
      if (all_public && !declared[c].contains(keys.back())) gid_allowed[g] = 0;
    }
    std::string joined = absl::StrJoin(keys, std::string(1, kKeySeparator));
    group_hash[g] = HashBytes(joined.data(), joined.size());
    out.group_keys[g] = std::move(keys);
  }
  out.units_per_group.assign(num_gids, 0);

  threads = std::max(1, threads);
  if (!unit_col) {
    // Rows are units: every row counts once, in its own group.
    out.gid.reserve(static_cast<size_t>(out.input_rows));
    out.row.reserve(static_cast<size_t>(out.input_rows));
    for (int64_t r = 0; r < n; ++r) {
      int32_t g = row_gid[r];
      if (g < 0) continue;
      if (!gid_allowed[g]) {
        ++out.dropped_rows;
        continue;
      }
      out.gid.push_back(g);
      out.row.push_back(r);
      ++out.units_per_group[g];
    }
    return out;
  }

  // 2. Unit hashes: per string code once, else per value.
  std::vector<uint64_t> code_hash;
  UnitHasher uh;
  if (unit_col->type() == io::DataType::kString) {
    for (const auto& s : unit_col->dictionary()) {
      code_hash.push_back(HashBytes(s.data(), s.size(), 1));
    }
    uh.code_hash = code_hash.data();
    uh.codes = unit_col->codes().data();
  } else if (unit_col->type() == io::DataType::kDouble) {
    uh.doubles = unit_col->double_values().data();
  } else {
    uh.ints = unit_col->int64_values().data();
  }
  // 3. Bound: both threads only when the input is large enough to pay for them.
  const int parts = (threads >= 2 && out.input_rows >= 50000) ? std::min(threads, 8) : 1;
  const int64_t candidates = out.input_rows - out.dropped_rows;
  if (n <= int64_t{0xffffffff} && num_gids <= size_t{0x7fffffff}) {
    BoundByUnit<PackedEntry>(n, row_gid, gid_allowed, uh, group_hash, spec.max_groups_per_unit,
                             spec.max_rows_per_group, salt, parts, candidates, &out);
  } else {
    BoundByUnit<WideEntry>(n, row_gid, gid_allowed, uh, group_hash, spec.max_groups_per_unit,
                           spec.max_rows_per_group, salt, parts, candidates, &out);
  }
  return out;
}

namespace {

// Exact sums of one value column in one group (a ValueAccumulator without the tree).
struct FlatSums {
  int64_t n = 0;
  int128 sum = 0;
  int128 sum_sq = 0;
  int128 raw_sum = 0;
};

// Dense leaf counts cost kTreeLeaves words per (group, tree column) per thread; above this many
// words in total, leaves go to per-group maps instead.
constexpr size_t kMaxDenseLeafWords = size_t{1} << 22;

struct ThreadAccumulator {
  std::vector<int64_t> rows;      // per gid
  std::vector<FlatSums> sums;     // per gid * nv + v
  std::vector<int64_t> leaves;    // dense: per (gid * n_tree + tree index) * kTreeLeaves + leaf
  std::vector<std::map<uint32_t, int64_t>> leaf_maps;  // sparse: per gid * n_tree + tree index
};

}  // namespace

void Accumulate(const io::Table& table, const ResolvedQuery& rq, const BoundedRows& bounded,
                int threads, PartialAggregates::State* state) {
  const size_t num_gids = bounded.group_keys.size();
  const size_t nv = rq.value_columns.size();
  struct Reader {
    const uint8_t* valid = nullptr;  // nullptr: no nulls
    const double* d = nullptr;
    const int64_t* i = nullptr;
    bool count_only = false;
    int tree = -1;  // index among tree columns, or -1
    double mid, scale, raw_scale, lower, upper, leaf_scale;
  };
  std::vector<Reader> readers;
  size_t n_tree = 0;
  for (const auto& vc : rq.value_columns) {
    const io::Column& c = table.column(vc.table_index);
    Reader rd;
    rd.valid = c.has_nulls() ? c.validity().data() : nullptr;
    if (c.type() == io::DataType::kDouble) {
      rd.d = c.double_values().data();
    } else if (c.type() != io::DataType::kString) {
      rd.i = c.int64_values().data();
    }
    rd.count_only = vc.count_only;
    if (!vc.count_only && vc.needs_tree) rd.tree = static_cast<int>(n_tree++);
    rd.mid = vc.mid();
    rd.scale = vc.scale();
    rd.raw_scale = vc.raw_scale();
    rd.lower = vc.lower;
    rd.upper = vc.upper;
    rd.leaf_scale = vc.upper > vc.lower ? kTreeLeaves / (vc.upper - vc.lower) : 0.0;
    readers.push_back(rd);
  }
  threads = std::max(1, std::min<int>(threads, 8));
  const size_t total = bounded.row.size();
  if (total < 100000) threads = 1;
  const bool dense_leaves =
      n_tree > 0 && num_gids * n_tree * kTreeLeaves * static_cast<size_t>(threads) <= kMaxDenseLeafWords;
  std::vector<ThreadAccumulator> acc(static_cast<size_t>(threads));
  ParallelFor(threads, [&](int t) {
    ThreadAccumulator& a = acc[t];
    a.rows.assign(num_gids, 0);
    a.sums.assign(num_gids * nv, FlatSums{});
    if (dense_leaves) {
      a.leaves.assign(num_gids * n_tree * kTreeLeaves, 0);
    } else if (n_tree > 0) {
      a.leaf_maps.resize(num_gids * n_tree);
    }
    const size_t begin = total * t / threads, end = total * (t + 1) / threads;
    const int32_t* gids = bounded.gid.data();
    const int64_t* rows = bounded.row.data();
    for (size_t i = begin; i < end; ++i) {
      const int32_t g = gids[i];
      const int64_t r = rows[i];
      ++a.rows[g];
      FlatSums* sums = a.sums.data() + static_cast<size_t>(g) * nv;
      for (size_t v = 0; v < nv; ++v) {
        const Reader& rd = readers[v];
        if (rd.valid && !rd.valid[r]) continue;
        FlatSums& va = sums[v];
        ++va.n;
        if (rd.count_only) continue;
        const double x = std::clamp(rd.d ? rd.d[r] : static_cast<double>(rd.i[r]), rd.lower, rd.upper);
        const int64_t q = RoundHalfAway((x - rd.mid) * rd.scale);
        va.sum += q;
        va.sum_sq += static_cast<int128>(q) * q;
        va.raw_sum += RoundHalfAway(x * rd.raw_scale);
        if (rd.tree >= 0) {
          int64_t leaf = static_cast<int64_t>((x - rd.lower) * rd.leaf_scale);
          leaf = std::clamp<int64_t>(leaf, 0, kTreeLeaves - 1);
          const size_t slot = static_cast<size_t>(g) * n_tree + static_cast<size_t>(rd.tree);
          if (dense_leaves) {
            ++a.leaves[slot * kTreeLeaves + static_cast<size_t>(leaf)];
          } else {
            ++a.leaf_maps[slot][static_cast<uint32_t>(leaf)];
          }
        }
      }
    }
  });
  state->input_rows += bounded.input_rows;
  state->dropped_rows += bounded.dropped_rows;
  for (size_t g = 0; g < num_gids; ++g) {
    GroupState gs;
    gs.keys = bounded.group_keys[g];
    gs.units = bounded.units_per_group[g];
    gs.values.resize(nv);
    for (const auto& a : acc) {
      gs.rows += a.rows[g];
      for (size_t v = 0; v < nv; ++v) {
        const FlatSums& src = a.sums[g * nv + v];
        ValueAccumulator& dst = gs.values[v];
        dst.n += src.n;
        dst.sum += src.sum;
        dst.sum_sq += src.sum_sq;
        dst.raw_sum += src.raw_sum;
        const int tree = readers[v].tree;
        if (tree < 0) continue;
        const size_t slot = g * n_tree + static_cast<size_t>(tree);
        if (dense_leaves) {
          const int64_t* leaves = a.leaves.data() + slot * kTreeLeaves;
          for (int leaf = 0; leaf < kTreeLeaves; ++leaf) {
            if (leaves[leaf] != 0) dst.leaves[static_cast<uint32_t>(leaf)] += leaves[leaf];
          }
        } else {
          for (const auto& [leaf, c] : a.leaf_maps[slot]) dst.leaves[leaf] += c;
        }
      }
    }
    if (gs.rows == 0 && gs.units == 0) continue;
    std::string key = absl::StrJoin(gs.keys, std::string(1, kKeySeparator));
    auto it = state->groups.find(key);
    if (it == state->groups.end()) {
      state->groups.emplace(std::move(key), std::move(gs));
    } else {
      MergeGroup(gs, &it->second);
    }
  }
}

void MergeGroup(const GroupState& from, GroupState* into) {
  into->units += from.units;
  into->rows += from.rows;
  if (into->values.size() < from.values.size()) into->values.resize(from.values.size());
  for (size_t v = 0; v < from.values.size(); ++v) {
    into->values[v].n += from.values[v].n;
    into->values[v].sum += from.values[v].sum;
    into->values[v].sum_sq += from.values[v].sum_sq;
    into->values[v].raw_sum += from.values[v].raw_sum;
    for (const auto& [leaf, c] : from.values[v].leaves) into->values[v].leaves[leaf] += c;
  }
}

}  // namespace dpkit::analytics::engine
