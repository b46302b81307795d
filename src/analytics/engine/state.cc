#include "analytics/engine/state.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

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

// Numeric value accessor without per-call type dispatch.
struct NumericReader {
  const io::Column* col;
  const double* d = nullptr;
  const int64_t* i = nullptr;
  explicit NumericReader(const io::Column& c) : col(&c) {
    if (c.type() == io::DataType::kDouble) {
      d = c.double_values().data();
    } else if (c.type() != io::DataType::kString) {
      i = c.int64_values().data();
    }
  }
  bool IsNull(int64_t row) const { return col->IsNull(row); }
  double At(int64_t row) const { return d ? d[row] : static_cast<double>(i[row]); }
};

struct Entry {
  uint64_t unit;
  int32_t gid;
  int64_t row;
  bool operator<(const Entry& o) const {
    if (unit != o.unit) return unit < o.unit;
    if (gid != o.gid) return gid < o.gid;
    return row < o.row;
  }
};

// Processes sorted entries [begin, end) (whole units only): keeps <= l0 groups per unit and
// <= linf rows per (unit, group).
void BoundSorted(const Entry* begin, const Entry* end, const std::vector<uint64_t>& group_hash,
                 int64_t l0, int64_t linf, uint64_t salt, std::vector<int32_t>* out_gid,
                 std::vector<int64_t>* out_row, std::vector<int64_t>* units_per_group) {
  struct Run {
    int32_t gid;
    const Entry* b;
    const Entry* e;
    uint64_t priority;
  };
  std::vector<Run> runs;
  std::vector<std::pair<uint64_t, const Entry*>> rows;
  const Entry* p = begin;
  while (p < end) {
    const uint64_t unit = p->unit;
    runs.clear();
    while (p < end && p->unit == unit) {
      const Entry* q = p;
      while (q < end && q->unit == unit && q->gid == p->gid) ++q;
      runs.push_back({p->gid, p, q, 0});
      p = q;
    }
    if (static_cast<int64_t>(runs.size()) > l0) {
      for (auto& r : runs) r.priority = Mix64(salt ^ Mix64(unit ^ group_hash[r.gid]));
      std::nth_element(runs.begin(), runs.begin() + l0, runs.end(),
                       [](const Run& a, const Run& b) { return a.priority < b.priority; });
      runs.resize(static_cast<size_t>(l0));
    }
    for (const auto& r : runs) {
      (*units_per_group)[r.gid] += 1;
      const int64_t c = r.e - r.b;
      if (c <= linf) {
        for (const Entry* x = r.b; x < r.e; ++x) {
          out_gid->push_back(r.gid);
          out_row->push_back(x->row);
        }
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
      for (int64_t k = 0; k < linf; ++k) {
        out_gid->push_back(r.gid);
        out_row->push_back(rows[k].second->row);
      }
    }
  }
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
  // Per group column, per string code (or per distinct raw value), whether it is declared.
  std::vector<const io::Column*> gcols;
  for (int gi : rq.group_indices) gcols.push_back(&table.column(gi));

  // 1. Key every kept row.
  absl::flat_hash_map<RawKey, int32_t> key_ids;
  std::vector<int32_t> row_gid(static_cast<size_t>(n), -1);
  std::vector<int64_t> first_row;  // per gid
  for (int64_t r = 0; r < n; ++r) {
    if (!spec.row_filter.empty() && !spec.row_filter[r]) continue;
    ++out.input_rows;
    if (rq.unit_index >= 0 && table.column(rq.unit_index).IsNull(r)) {
      ++out.dropped_rows;  // a row without a privacy unit cannot be attributed: dropped
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
  if (rq.unit_index < 0) {
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
  const io::Column& ucol = table.column(rq.unit_index);
  std::vector<uint64_t> code_hash;
  if (ucol.type() == io::DataType::kString) {
    for (const auto& s : ucol.dictionary()) code_hash.push_back(HashBytes(s.data(), s.size(), 1));
  }
  auto unit_hash = [&](int64_t r) -> uint64_t {
    if (ucol.type() == io::DataType::kString) return code_hash[ucol.codes()[r]];
    return Mix64(RawValue(ucol, r) ^ 0x5bd1e995u);
  };
  // 3. Partition entries by the top bit of the unit hash (a unit never spans partitions), sort
  //    and bound each partition in its own thread.
  // Two partitions (one per thread) only when the input is large enough to pay for a thread.
  const int parts = (threads >= 2 && out.input_rows >= 50000) ? 2 : 1;
  std::vector<std::vector<Entry>> entries(parts);
  for (int64_t r = 0; r < n; ++r) {
    int32_t g = row_gid[r];
    if (g < 0) continue;
    if (!gid_allowed[g]) {
      ++out.dropped_rows;
      continue;
    }
    uint64_t u = unit_hash(r);
    entries[parts == 2 ? (u >> 63) : 0].push_back({u, g, r});
  }
  std::vector<std::vector<int32_t>> part_gid(parts);
  std::vector<std::vector<int64_t>> part_row(parts);
  std::vector<std::vector<int64_t>> part_units(parts, std::vector<int64_t>(num_gids, 0));
  auto work = [&](int p) {
    std::sort(entries[p].begin(), entries[p].end());
    BoundSorted(entries[p].data(), entries[p].data() + entries[p].size(), group_hash,
                spec.max_groups_per_unit, spec.max_rows_per_group, salt, &part_gid[p],
                &part_row[p], &part_units[p]);
  };
  if (parts == 2) {
    std::thread t(work, 1);
    work(0);
    t.join();
  } else {
    work(0);
  }
  for (int p = 0; p < parts; ++p) {
    out.gid.insert(out.gid.end(), part_gid[p].begin(), part_gid[p].end());
    out.row.insert(out.row.end(), part_row[p].begin(), part_row[p].end());
    for (size_t g = 0; g < num_gids; ++g) out.units_per_group[g] += part_units[p][g];
  }
  return out;
}

namespace {

struct ThreadAccumulator {
  std::vector<int64_t> rows;                            // per gid
  std::vector<std::vector<ValueAccumulator>> values;    // per gid, per value column
};

}  // namespace

void Accumulate(const io::Table& table, const ResolvedQuery& rq, const BoundedRows& bounded,
                int threads, PartialAggregates::State* state) {
  const size_t num_gids = bounded.group_keys.size();
  const size_t nv = rq.value_columns.size();
  std::vector<NumericReader> readers;
  std::vector<double> mids, scales, raw_scales, lowers, uppers, leaf_scale;
  for (const auto& vc : rq.value_columns) {
    readers.emplace_back(table.column(vc.table_index));
    mids.push_back(vc.mid());
    scales.push_back(vc.scale());
    raw_scales.push_back(vc.raw_scale());
    lowers.push_back(vc.lower);
    uppers.push_back(vc.upper);
    leaf_scale.push_back(vc.upper > vc.lower ? kTreeLeaves / (vc.upper - vc.lower) : 0.0);
  }
  threads = std::max(1, std::min<int>(threads, 8));
  const size_t total = bounded.row.size();
  if (total < 100000) threads = 1;
  std::vector<ThreadAccumulator> acc(static_cast<size_t>(threads));
  auto work = [&](int t) {
    ThreadAccumulator& a = acc[t];
    a.rows.assign(num_gids, 0);
    a.values.assign(num_gids, std::vector<ValueAccumulator>(nv));
    const size_t begin = total * t / threads, end = total * (t + 1) / threads;
    for (size_t i = begin; i < end; ++i) {
      const int32_t g = bounded.gid[i];
      const int64_t r = bounded.row[i];
      ++a.rows[g];
      for (size_t v = 0; v < nv; ++v) {
        const NumericReader& rd = readers[v];
        if (rd.IsNull(r)) continue;
        ValueAccumulator& va = a.values[g][v];
        ++va.n;
        if (rq.value_columns[v].count_only) continue;
        double x = std::clamp(rd.At(r), lowers[v], uppers[v]);
        int64_t q = std::llround((x - mids[v]) * scales[v]);
        va.sum += q;
        va.sum_sq += static_cast<int128>(q) * q;
        va.raw_sum += std::llround(x * raw_scales[v]);
        if (rq.value_columns[v].needs_tree) {
          int64_t leaf = static_cast<int64_t>((x - lowers[v]) * leaf_scale[v]);
          leaf = std::clamp<int64_t>(leaf, 0, kTreeLeaves - 1);
          ++va.leaves[static_cast<uint32_t>(leaf)];
        }
      }
    }
  };
  if (threads == 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (auto& th : pool) th.join();
  }
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
        const ValueAccumulator& src = a.values[g][v];
        ValueAccumulator& dst = gs.values[v];
        dst.n += src.n;
        dst.sum += src.sum;
        dst.sum_sq += src.sum_sq;
        dst.raw_sum += src.raw_sum;
        for (const auto& [leaf, c] : src.leaves) dst.leaves[leaf] += c;
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
