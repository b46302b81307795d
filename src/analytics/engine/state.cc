#include "analytics/engine/state.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <type_traits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "analytics/engine/parallel.h"
#include "analytics/engine/unit_bounding.h"
#include "dpkit/base/status.h"

// Performance notes (measured by bench/analytics_bench.cc and bench/analytics_groupby_peer.sh;
// figures in docs/benchmarks.md):
//  - Keying: when every GROUP BY column is a string (dictionary codes) or an integer column with
//    a small value range, a row's key is a mixed-radix code looked up in a dense table instead
//    of a hash map of 8-word keys; one such column without nulls or filter has its own loop.
//  - Bounding: analytics/engine/unit_bounding.h (radix partitioning by unit hash, then flat
//    passes over each cache-sized bucket). BoundAndAccumulate sums the kept rows inside the
//    buckets when the query has at most one value column, without nulls or quantile tree (the
//    value travels in the bucket entry; no row mask, no second pass over the table); otherwise
//    kept rows are a bit mask over the table, and accumulation reads the value columns in table
//    order.
//  - Accumulation: flat per-thread arrays, one pass per value column specialised on its shape
//    (nulls, count only, quantile tree; a column without nulls also gives the row counts),
//    dense quantile-tree leaf counts, an exact inline replacement of std::llround.
//  - Scratch arrays (scratch.h) are uninitialised and recycled across queries.
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

}  // namespace

bool ResolvedQuery::all_keys_public() const {
  if (group_indices.empty()) return true;
  for (const auto& k : public_keys) {
    if (k.empty()) return false;
  }
  return true;
}

namespace {

// row_gid[r] = the dense id of key_of(r) (ids in order of first appearance; first_row per id),
// or -1 where key_of(r) < 0.
template <typename KeyOf>
void KeyDenseRows(int64_t n, KeyOf key_of, int32_t* lut, int32_t* row_gid,
                  std::vector<int64_t>* first_row) {
  for (int64_t r = 0; r < n; ++r) {
    const int64_t k = key_of(r);
    if (k < 0) {
      row_gid[r] = -1;
      continue;
    }
    int32_t& id = lut[k];
    if (id < 0) {
      id = static_cast<int32_t>(first_row->size());
      first_row->push_back(r);
    }
    row_gid[r] = id;
  }
}

}  // namespace

namespace {

// Where the bounding hands the kept rows when it sums them in its buckets (UnitBoundingInput).
struct SinkRequest {
  KeptValueSink* sink = nullptr;
  const double* values_double = nullptr;
  const int64_t* values_int = nullptr;
};

// BoundContributions, handing the kept rows to req's sink when req is set and the bounding can
// (then out.summed and out.keep is empty).
absl::StatusOr<BoundedRows> Bound(const io::Table& table, const QuerySpec& spec,
                                  const ResolvedQuery& rq, uint64_t salt, int threads,
                                  const SinkRequest* req) {
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

  // 1. Key every candidate row: dense group ids in order of first appearance (-1: not a
  // candidate).
  out.row_gid = ScratchArray<int32_t>(static_cast<size_t>(n));
  int32_t* row_gid = out.row_gid.data();
  std::vector<int64_t> first_row;  // per gid
  const uint8_t* filter = spec.row_filter.empty() ? nullptr : spec.row_filter.data();
  const io::Column* unit_col = rq.unit_index >= 0 ? &table.column(rq.unit_index) : nullptr;
  const uint8_t* unit_valid =
      unit_col && unit_col->has_nulls() ? unit_col->validity().data() : nullptr;
  std::vector<DenseDim> dims;
  const uint64_t domain = PlanDenseKeys(gcols, n, &dims);
  if (domain > 0) {
    std::vector<int32_t> lut(domain, -1);
    if (!filter && !unit_valid && dims.size() == 1 && !dims[0].valid) {  // the common case
      const DenseDim& d = dims[0];
      out.input_rows = n;
      if (d.codes) {
        KeyDenseRows(n, [&](int64_t r) { return static_cast<int64_t>(d.codes[r]) + 1; }, lut.data(),
                     row_gid, &first_row);
      } else {
        KeyDenseRows(n, [&](int64_t r) { return d.ints[r] - d.min + 1; }, lut.data(), row_gid,
                     &first_row);
      }
    } else {
      auto key_of = [&](int64_t r) -> int64_t {
        if (filter && !filter[r]) return -1;
        ++out.input_rows;
        if (unit_valid && !unit_valid[r]) {
          ++out.dropped_rows;  // a row without a privacy unit cannot be attributed: dropped
          return -1;
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
        return static_cast<int64_t>(k);
      };
      KeyDenseRows(n, key_of, lut.data(), row_gid, &first_row);
    }
  } else {
    absl::flat_hash_map<RawKey, int32_t> key_ids;
    for (int64_t r = 0; r < n; ++r) {
      row_gid[r] = -1;
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
  threads = std::max(1, threads);
  if (!unit_col) {
    // Rows are units: every candidate row of an allowed group is kept, once.
    out.units_per_group.assign(num_gids, 0);
    const size_t words = static_cast<size_t>((n + 63) / 64);
    out.keep = ScratchArray<uint64_t>(words);
    for (size_t w = 0; w < words; ++w) {
      uint64_t bits = 0;
      for (int64_t r = static_cast<int64_t>(w * 64); r < std::min<int64_t>(n, (w + 1) * 64); ++r) {
        const int32_t g = row_gid[r];
        if (g < 0) continue;
        if (!gid_allowed[g]) {
          ++out.dropped_rows;
          continue;
        }
        bits |= uint64_t{1} << (r & 63);
        ++out.units_per_group[g];
        ++out.kept;
      }
      out.keep[w] = bits;
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
  // 3. Bound: several threads only when the input is large enough to pay for them.
  UnitBoundingInput in;
  in.rows = n;
  in.row_gid = row_gid;
  in.gid_allowed = gid_allowed.data();
  in.group_hash = group_hash.data();
  in.num_gids = num_gids;
  in.unit_hash = uh;
  in.l0 = spec.max_groups_per_unit;
  in.linf = spec.max_rows_per_group;
  in.salt = salt;
  in.threads = (threads >= 2 && out.input_rows >= 50000) ? std::min(threads, 8) : 1;
  in.candidates = out.input_rows - out.dropped_rows;
  if (req != nullptr) {
    in.sink = req->sink;
    in.values_double = req->values_double;
    in.values_int = req->values_int;
  }
  UnitBoundingOutput bounded = BoundByUnit(in);
  out.summed = bounded.summed;
  out.keep = std::move(bounded.keep);
  out.units_per_group = std::move(bounded.units_per_group);
  out.kept = bounded.kept;
  out.dropped_rows += bounded.dropped;
  return out;
}

}  // namespace

absl::StatusOr<BoundedRows> BoundContributions(const io::Table& table, const QuerySpec& spec,
                                               const ResolvedQuery& rq, uint64_t salt,
                                               int threads) {
  return Bound(table, spec, rq, salt, threads, nullptr);
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

// How Accumulate reads one value column.
struct Reader {
  const uint8_t* valid = nullptr;  // nullptr: no nulls
  const double* d = nullptr;
  const int64_t* i = nullptr;
  bool count_only = false;
  int tree = -1;  // index among tree columns, or -1
  double mid, scale, raw_scale, lower, upper, leaf_scale;
};

// Adds one value to a group's exact sums (n and the three fixed-point sums); returns the value
// clamped to the column's bounds.
inline double AddValue(const Reader& rd, double value, FlatSums* va) {
  const double x = std::clamp(value, rd.lower, rd.upper);
  const int64_t q = RoundHalfAway((x - rd.mid) * rd.scale);
  ++va->n;
  va->sum += q;
  va->sum_sq += static_cast<int128>(q) * q;
  va->raw_sum += RoundHalfAway(x * rd.raw_scale);
  return x;
}

// Adds value column v's kept rows in mask words [w0, w1) to a thread's per-group sums (and
// quantile-tree leaves), specialised on the column's shape.
template <bool kNulls, bool kCountOnly, bool kTree, typename T>
void AddColumn(const BoundedRows& bounded, size_t w0, size_t w1, const Reader& rd,
               const T* values, size_t v, size_t nv, size_t n_tree, bool dense_leaves,
               ThreadAccumulator* a) {
  FlatSums* sums = a->sums.data();
  bounded.ForEachKept(w0, w1, [&](int64_t r, int32_t g) {
    if (kNulls && !rd.valid[r]) return;
    FlatSums& va = sums[static_cast<size_t>(g) * nv + v];
    if constexpr (kCountOnly) {
      ++va.n;
    } else {
      const double x = AddValue(rd, static_cast<double>(values[r]), &va);
      if constexpr (kTree) {
        int64_t leaf = static_cast<int64_t>((x - rd.lower) * rd.leaf_scale);
        leaf = std::clamp<int64_t>(leaf, 0, kTreeLeaves - 1);
        const size_t slot = static_cast<size_t>(g) * n_tree + static_cast<size_t>(rd.tree);
        if (dense_leaves) {
          ++a->leaves[slot * kTreeLeaves + static_cast<size_t>(leaf)];
        } else {
          ++a->leaf_maps[slot][static_cast<uint32_t>(leaf)];
        }
      }
    }
  });
}

template <bool kNulls, bool kCountOnly, bool kTree>
void AddColumnOfType(const BoundedRows& bounded, size_t w0, size_t w1, const Reader& rd, size_t v,
                     size_t nv, size_t n_tree, bool dense_leaves, ThreadAccumulator* a) {
  if (rd.d != nullptr || kCountOnly) {
    AddColumn<kNulls, kCountOnly, kTree>(bounded, w0, w1, rd, rd.d, v, nv, n_tree, dense_leaves, a);
  } else {
    AddColumn<kNulls, kCountOnly, kTree>(bounded, w0, w1, rd, rd.i, v, nv, n_tree, dense_leaves, a);
  }
}

void AddColumnTo(const BoundedRows& bounded, size_t w0, size_t w1, const Reader& rd, size_t v,
                 size_t nv, size_t n_tree, bool dense_leaves, ThreadAccumulator* a) {
  const bool nulls = rd.valid != nullptr;
  if (rd.count_only) {
    if (nulls) {
      AddColumnOfType<true, true, false>(bounded, w0, w1, rd, v, nv, n_tree, dense_leaves, a);
    } else {
      AddColumnOfType<false, true, false>(bounded, w0, w1, rd, v, nv, n_tree, dense_leaves, a);
    }
  } else if (rd.tree >= 0) {
    if (nulls) {
      AddColumnOfType<true, false, true>(bounded, w0, w1, rd, v, nv, n_tree, dense_leaves, a);
    } else {
      AddColumnOfType<false, false, true>(bounded, w0, w1, rd, v, nv, n_tree, dense_leaves, a);
    }
  } else if (nulls) {
    AddColumnOfType<true, false, false>(bounded, w0, w1, rd, v, nv, n_tree, dense_leaves, a);
  } else {
    AddColumnOfType<false, false, false>(bounded, w0, w1, rd, v, nv, n_tree, dense_leaves, a);
  }
}

// The readers of rq's value columns; n_tree: how many have a quantile tree.
std::vector<Reader> MakeReaders(const io::Table& table, const ResolvedQuery& rq, size_t* n_tree) {
  std::vector<Reader> readers;
  *n_tree = 0;
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
    if (!vc.count_only && vc.needs_tree) rd.tree = static_cast<int>((*n_tree)++);
    rd.mid = vc.mid();
    rd.scale = vc.scale();
    rd.raw_scale = vc.raw_scale();
    rd.lower = vc.lower;
    rd.upper = vc.upper;
    rd.leaf_scale = vc.upper > vc.lower ? kTreeLeaves / (vc.upper - vc.lower) : 0.0;
    readers.push_back(rd);
  }
  return readers;
}

// Adds the threads' per-group accumulators (rows, sums, leaves) and the bounding's per-group
// units into `state` (new groups, or merged into existing ones).
void Publish(const BoundedRows& bounded, const std::vector<Reader>& readers, size_t n_tree,
             bool dense_leaves, const std::vector<ThreadAccumulator>& acc,
             PartialAggregates::State* state) {
  const size_t num_gids = bounded.group_keys.size();
  const size_t nv = readers.size();
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

// Sums the kept rows inside the bounding's buckets (KeptValueSink) for a query with at most
// one value column, without nulls or quantile tree: per thread, per group rows and (a value
// column) its sums. A group's rows are its value column's n.
class BucketSums final : public KeptValueSink {
 public:
  explicit BucketSums(const Reader* rd) : rd_(rd) {}
  void Start(int threads, size_t num_gids) override {
    acc_.resize(static_cast<size_t>(threads));
    for (auto& a : acc_) {
      a.rows.assign(num_gids, 0);
      a.sums.assign(rd_ ? num_gids : 0, FlatSums{});
    }
  }
  void Add(int thread, const int32_t* gid, const double* value, size_t n) override {
    ThreadAccumulator& a = acc_[thread];
    if (rd_ == nullptr) {
      for (size_t j = 0; j < n; ++j) ++a.rows[gid[j]];
    } else if (rd_->count_only) {
      for (size_t j = 0; j < n; ++j) ++a.sums[gid[j]].n;
    } else {
      for (size_t j = 0; j < n; ++j) AddValue(*rd_, value[j], &a.sums[gid[j]]);
    }
  }
  // The accumulators, rows filled in.
  std::vector<ThreadAccumulator>& Finish() {
    for (auto& a : acc_) {
      for (size_t g = 0; rd_ && g < a.rows.size(); ++g) a.rows[g] = a.sums[g].n;
    }
    return acc_;
  }

 private:
  const Reader* rd_;
  std::vector<ThreadAccumulator> acc_;
};

// Whether BoundAndAccumulate can sum inside the buckets (see BucketSums; the bounding also
// needs SumsInBuckets).
bool CanSumInBuckets(const io::Table& table, const ResolvedQuery& rq) {
  if (rq.unit_index < 0 || rq.value_columns.size() > 1) return false;
  if (rq.value_columns.empty()) return true;
  const ValueColumn& vc = rq.value_columns[0];
  return !table.column(vc.table_index).has_nulls() && (vc.count_only || !vc.needs_tree);
}

}  // namespace

void Accumulate(const io::Table& table, const ResolvedQuery& rq, const BoundedRows& bounded,
                int threads, PartialAggregates::State* state) {
  const size_t num_gids = bounded.group_keys.size();
  const size_t nv = rq.value_columns.size();
  size_t n_tree = 0;
  const std::vector<Reader> readers = MakeReaders(table, rq, &n_tree);
  threads = std::max(1, std::min<int>(threads, 8));
  if (bounded.kept < 100000) threads = 1;
  const size_t words = bounded.words();
  const bool dense_leaves =
      n_tree > 0 && num_gids * n_tree * kTreeLeaves * static_cast<size_t>(threads) <= kMaxDenseLeafWords;
  // A value column without nulls counts every kept row (its n is the group's row count), so the
  // mask is not read once more just to count rows.
  int64_t counted_by = -1;
  for (size_t v = 0; v < nv && counted_by < 0; ++v) {
    if (readers[v].valid == nullptr) counted_by = static_cast<int64_t>(v);
  }
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
    const size_t w0 = words * t / threads, w1 = words * (t + 1) / threads;
    if (counted_by < 0) bounded.ForEachKept(w0, w1, [&](int64_t, int32_t g) { ++a.rows[g]; });
    for (size_t v = 0; v < nv; ++v) AddColumnTo(bounded, w0, w1, readers[v], v, nv, n_tree, dense_leaves, &a);
    if (counted_by >= 0) {
      for (size_t g = 0; g < num_gids; ++g) a.rows[g] = a.sums[g * nv + counted_by].n;
    }
  });
  Publish(bounded, readers, n_tree, dense_leaves, acc, state);
}

absl::Status BoundAndAccumulate(const io::Table& table, const QuerySpec& spec,
                                const ResolvedQuery& rq, uint64_t salt, int threads,
                                PartialAggregates::State* state) {
  if (!CanSumInBuckets(table, rq)) {
    DPKIT_ASSIGN_OR_RETURN(BoundedRows bounded, BoundContributions(table, spec, rq, salt, threads));
    Accumulate(table, rq, bounded, threads, state);
    return absl::OkStatus();
  }
  size_t n_tree = 0;
  const std::vector<Reader> readers = MakeReaders(table, rq, &n_tree);
  BucketSums sums(readers.empty() ? nullptr : &readers[0]);
  SinkRequest req;
  req.sink = &sums;
  if (!readers.empty()) {
    req.values_double = readers[0].d;
    req.values_int = readers[0].i;
  }
  DPKIT_ASSIGN_OR_RETURN(BoundedRows bounded, Bound(table, spec, rq, salt, threads, &req));
  if (!bounded.summed) {
    Accumulate(table, rq, bounded, threads, state);
    return absl::OkStatus();
  }
  Publish(bounded, readers, n_tree, false, sums.Finish(), state);
  return absl::OkStatus();
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
