// BoundContributions keeps exactly the rows the rule of unit_bounding.h names, checked against a
// direct implementation of the rule (per unit: sort its groups by priority, keep l0; per kept
// group: sort its rows' priorities, keep linf) on tables that reach every path of the fast one:
// string / int64 / double units, null units, filters, undeclared public keys, units with more
// than 64 rows in a group and more than 64 groups, one and several threads.
#include "analytics/engine/unit_bounding.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "analytics/engine/int_unit_table.h"
#include "analytics/engine/scratch.h"
#include "analytics/engine/state.h"
#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"

namespace dpkit::analytics::engine {
namespace {

constexpr uint64_t kPhi = 0x9E3779B97F4A7C15ull;

// The rule's unit hash (unit_bounding.h, UnitHasher).
uint64_t UnitHash(const io::Column& c, int64_t r) {
  if (c.type() == io::DataType::kString) {
    const std::string& s = c.dictionary()[c.codes()[r]];
    return HashBytes(s.data(), s.size(), 1);
  }
  uint64_t bits;
  if (c.type() == io::DataType::kDouble) {
    double d = c.double_values()[r];
    if (d == 0) d = 0;
    std::memcpy(&bits, &d, sizeof(bits));
  } else {
    bits = static_cast<uint64_t>(c.int64_values()[r]);
  }
  return Mix64(bits ^ 0x5bd1e995u);
}

struct Expected {
  std::vector<uint8_t> kept;             // per row
  std::vector<int64_t> units_per_group;  // per gid
};

// The rule, applied directly to the candidate rows of `bounded` (row_gid, group_keys).
Expected ApplyRule(const io::Table& t, const BoundedRows& bounded, const std::vector<bool>& allowed,
                   int unit_index, int64_t l0, int64_t linf, uint64_t salt) {
  const size_t num_gids = bounded.group_keys.size();
  std::vector<uint64_t> group_hash(num_gids);
  for (size_t g = 0; g < num_gids; ++g) {
    const std::string joined = absl::StrJoin(bounded.group_keys[g], "\x1f");
    group_hash[g] = HashBytes(joined.data(), joined.size());
  }
  std::map<uint64_t, std::map<int32_t, std::vector<int64_t>>> units;  // unit -> gid -> rows
  for (int64_t r = 0; r < t.num_rows(); ++r) {
    const int32_t g = bounded.row_gid[r];
    if (g >= 0 && allowed[g]) units[UnitHash(t.column(unit_index), r)][g].push_back(r);
  }
  Expected out{std::vector<uint8_t>(t.num_rows(), 0), std::vector<int64_t>(num_gids, 0)};
  for (auto& [u, groups] : units) {
    std::vector<std::pair<uint64_t, int32_t>> order;  // (group priority, gid)
    for (auto& [g, rows] : groups) order.push_back({Mix64(salt ^ Mix64(u ^ group_hash[g])), g});
    std::sort(order.begin(), order.end());
    if (static_cast<int64_t>(order.size()) > l0) order.resize(l0);
    for (auto& [priority, g] : order) {
      ++out.units_per_group[g];
      const std::vector<int64_t>& rows = groups[g];
      const uint64_t base = Mix64(u ^ Mix64(group_hash[g] ^ salt));
      std::vector<std::pair<uint64_t, int64_t>> ranked;  // (row priority, row)
      for (size_t k = 0; k < rows.size(); ++k) ranked.push_back({Mix64(base + k * kPhi), rows[k]});
      std::sort(ranked.begin(), ranked.end());
      for (size_t k = 0; k < ranked.size() && static_cast<int64_t>(k) < linf; ++k) {
        out.kept[ranked[k].second] = 1;
      }
    }
  }
  return out;
}

enum class UnitType { kString, kInt64, kDouble };

struct Case {
  int64_t rows;
  int64_t units;
  int groups;
  UnitType unit_type;
  int64_t l0, linf;
  int threads;
  bool nulls_and_filter;
  bool huge_unit;  // one unit with ~5% of the rows, over all groups
};

io::Table MakeTable(const Case& c, random::BitGenerator& rng) {
  std::vector<int64_t> uid(c.rows);
  std::vector<int32_t> ucode(c.rows), gcode(c.rows);
  std::vector<double> udouble(c.rows);
  std::vector<uint8_t> uvalid(c.rows, 1);
  for (int64_t r = 0; r < c.rows; ++r) {
    int64_t u = static_cast<int64_t>(random::UniformUint64(rng, c.units));
    if (c.huge_unit && random::UniformUint64(rng, 20) == 0) u = 3;
    uid[r] = 17 * u - 1000;
    ucode[r] = static_cast<int32_t>(u);
    udouble[r] = 0.5 * static_cast<double>(u) - 10;
    gcode[r] = static_cast<int32_t>(random::UniformUint64(rng, c.groups));
    if (c.nulls_and_filter && random::UniformUint64(rng, 40) == 0) uvalid[r] = 0;
  }
  std::vector<std::string> unames, gnames;
  for (int64_t u = 0; u < c.units; ++u) unames.push_back(absl::StrCat("user", u));
  for (int g = 0; g < c.groups; ++g) gnames.push_back(absl::StrCat("g", g));
  std::vector<uint8_t> valid = c.nulls_and_filter ? uvalid : std::vector<uint8_t>{};
  std::vector<io::Column> cols;
  switch (c.unit_type) {
    case UnitType::kString:
      cols.push_back(*io::Column::StringFromCodes("uid", ucode, unames, valid));
      break;
    case UnitType::kInt64:
      cols.push_back(io::Column::Int64("uid", uid, valid));
      break;
    case UnitType::kDouble:
      cols.push_back(io::Column::Double("uid", udouble, valid));
      break;
  }
  cols.push_back(*io::Column::StringFromCodes("grp", gcode, gnames));
  return *io::Table::Make(std::move(cols));
}

// The case's query: grp grouped by privacy unit uid, its bounds, and with nulls_and_filter a row
// filter and declared keys that leave out the last group.
void MakeQuery(const Case& c, QuerySpec* spec, ResolvedQuery* rq) {
  spec->max_groups_per_unit = c.l0;
  spec->max_rows_per_group = c.linf;
  rq->group_indices = {1};
  rq->unit_index = 0;
  rq->public_keys = {{}};
  if (c.nulls_and_filter) {
    spec->row_filter.assign(c.rows, 1);
    for (int64_t r = 0; r < c.rows; r += 7) spec->row_filter[r] = 0;
    for (int g = 0; g + 1 < c.groups; ++g) rq->public_keys[0].push_back(absl::StrCat("g", g));
  }
}

// A case's table (from `seed`), query, salt (the generator's next draw) and bounding.
struct CaseRun {
  io::Table table;
  QuerySpec spec;
  ResolvedQuery rq;
  uint64_t salt = 0;
  BoundedRows bounded;
};

void RunCase(const Case& c, uint64_t seed, CaseRun* run) {
  random::testing::SeededRng rng(seed);
  run->table = MakeTable(c, rng);
  MakeQuery(c, &run->spec, &run->rq);
  run->salt = rng.NextU64();
  auto bounded = BoundContributions(run->table, run->spec, run->rq, run->salt, c.threads);
  ASSERT_TRUE(bounded.ok()) << bounded.status();
  run->bounded = *std::move(bounded);
}

bool Kept(const BoundedRows& bounded, int64_t r) {
  return (bounded.keep[r >> 6] >> (r & 63)) & 1;
}

// The rule applied to `bounded`'s groups of the case (with nulls_and_filter, its last group is
// not declared: dropped).
Expected CaseRule(const Case& c, const io::Table& t, const BoundedRows& bounded, uint64_t salt) {
  std::vector<bool> allowed;
  for (const auto& keys : bounded.group_keys) {
    allowed.push_back(!c.nulls_and_filter || keys[0] != absl::StrCat("g", c.groups - 1));
  }
  return ApplyRule(t, bounded, allowed, 0, c.l0, c.linf, salt);
}

void CheckCase(const Case& c, uint64_t seed) {
  CaseRun run;
  ASSERT_NO_FATAL_FAILURE(RunCase(c, seed, &run));
  const BoundedRows& bounded = run.bounded;
  const Expected want = CaseRule(c, run.table, bounded, run.salt);
  int64_t kept = 0, mismatches = 0;
  for (int64_t r = 0; r < c.rows; ++r) {
    const bool got = Kept(bounded, r);
    kept += got;
    mismatches += got != (want.kept[r] != 0);
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(kept, bounded.kept);
  EXPECT_EQ(bounded.units_per_group, want.units_per_group);
  EXPECT_GT(kept, 0);
  EXPECT_LT(kept, c.rows);
}

TEST(UnitBoundingTest, KeepsExactlyTheRulesRows) {
  const std::vector<Case> cases = {
      {3000, 300, 5, UnitType::kInt64, 2, 3, 1, false, false},
      {3000, 40, 90, UnitType::kString, 70, 2, 1, false, true},  // > 64 groups in a unit
      {20000, 50, 3, UnitType::kDouble, 1, 100, 1, true, true},  // > 64 rows in a group
      {60000, 20000, 30, UnitType::kInt64, 3, 5, 2, false, false},
      {60000, 8000, 12, UnitType::kString, 2, 4, 2, true, true},
      {60000, 60000, 200, UnitType::kDouble, 1, 1, 2, true, false},
      {50, 40, 4, UnitType::kInt64, 1, 1, 1, false, false},  // one small bucket of many units
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    CheckCase(cases[i], 11 + i);
  }
}

// The caps are exact: every unit keeps min(its groups, l0) groups and, in each kept group,
// min(its rows there, linf) rows; units_per_group and kept agree with the mask. Tables whose
// units have 1 to ~100 rows over up to 40 groups, buckets of one and of many units per
// sub-bucket, 1 and 2 threads.
TEST(UnitBoundingTest, CapsAreExact) {
  const std::vector<Case> cases = {
      {50, 40, 4, UnitType::kInt64, 1, 1, 1, false, false},
      {4000, 400, 6, UnitType::kInt64, 2, 3, 1, false, false},
      {4000, 40, 40, UnitType::kInt64, 3, 5, 2, false, false},
      {60000, 30000, 10, UnitType::kInt64, 2, 1, 2, false, false},
      {60000, 600, 8, UnitType::kInt64, 1, 50, 2, false, true},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE("case " + std::to_string(i));
    CaseRun run;
    ASSERT_NO_FATAL_FAILURE(RunCase(c, 40 + i, &run));
    const io::Table& t = run.table;
    const BoundedRows& bounded = run.bounded;
    // unit -> gid -> (rows, kept rows)
    std::map<int64_t, std::map<int32_t, std::pair<int64_t, int64_t>>> units;
    int64_t kept = 0;
    for (int64_t r = 0; r < c.rows; ++r) {
      const bool got = Kept(bounded, r);
      auto& cell = units[t.column(0).int64_values()[r]][bounded.row_gid[r]];
      ++cell.first;
      cell.second += got;
      kept += got;
    }
    EXPECT_EQ(kept, bounded.kept);
    std::vector<int64_t> units_per_group(bounded.group_keys.size(), 0);
    int64_t bad = 0;
    for (const auto& [u, groups] : units) {
      int64_t kept_groups = 0;
      for (const auto& [g, cell] : groups) {
        if (cell.second == 0) continue;
        ++kept_groups;
        ++units_per_group[g];
        bad += cell.second != std::min(cell.first, c.linf);
      }
      bad += kept_groups != std::min<int64_t>(static_cast<int64_t>(groups.size()), c.l0);
    }
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(units_per_group, bounded.units_per_group);
  }
}

// How one slice of a table bounds: its rows kept differently from the whole table's bounding at
// their positions there, and differently from the rule applied to the slice alone.
struct SliceMismatches {
  int64_t whole = 0, rule = 0, kept = 0;
};

// Bounds rows `take` of the whole table (in table order) as a table of their own, with its salt.
SliceMismatches BoundSlice(const Case& c, const CaseRun& whole, const std::vector<int64_t>& take) {
  const io::Table part = *whole.table.TakeRows(take);
  QuerySpec spec = whole.spec;
  if (!spec.row_filter.empty()) {
    spec.row_filter.clear();
    for (int64_t r : take) spec.row_filter.push_back(whole.spec.row_filter[r]);
  }
  auto bounded = BoundContributions(part, spec, whole.rq, whole.salt, c.threads);
  EXPECT_TRUE(bounded.ok()) << bounded.status();
  if (!bounded.ok()) return {1, 1, 0};
  const Expected want = CaseRule(c, part, *bounded, whole.salt);
  SliceMismatches out;
  for (size_t j = 0; j < take.size(); ++j) {
    const bool got = Kept(*bounded, static_cast<int64_t>(j));
    out.kept += got;
    out.whole += got != Kept(whole.bounded, take[j]);
    out.rule += got != (want.kept[j] != 0);
  }
  return out;
}

// Slices of a table split by unit (each unit's rows in table order, as dpkit.spark's slices)
// keep exactly the rows the whole table keeps with the same salt, and what the rule names on the
// slice: a unit's kept rows depend only on its own rows and the salt, whatever the table's size
// (1 to 16 buckets, sub-buckets of one or several units, slices of one small bucket). Tables of
// many units with several groups each and several rows per group, filters, 1 and 2 threads.
TEST(UnitBoundingTest, SlicesByUnitKeepWhatTheWholeTableKeeps) {
  const std::vector<Case> cases = {
      {600, 60, 4, UnitType::kInt64, 2, 2, 1, false, false},
      {3000, 200, 6, UnitType::kInt64, 2, 2, 1, true, false},
      {20000, 1500, 8, UnitType::kString, 2, 3, 1, false, true},
      {70000, 4000, 10, UnitType::kInt64, 3, 2, 2, true, false},
      {140000, 6000, 300, UnitType::kDouble, 2, 2, 2, false, false},  // 8 buckets, 2 digits
      {300000, 30000, 12, UnitType::kInt64, 2, 2, 2, false, false},   // 16 buckets
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    CaseRun whole;
    ASSERT_NO_FATAL_FAILURE(RunCase(c, 70 + i, &whole));
    for (int slices : {2, 9, 400}) {
      SCOPED_TRACE(absl::StrCat("case ", i, ", ", slices, " slices"));
      const uint64_t split = Mix64(i * 1000 + slices);
      std::vector<std::vector<int64_t>> rows(slices);  // per slice: its rows, in table order
      for (int64_t r = 0; r < c.rows; ++r) {
        rows[Mix64(UnitHash(whole.table.column(0), r) ^ split) % slices].push_back(r);
      }
      SliceMismatches sum;
      for (const std::vector<int64_t>& take : rows) {
        if (take.empty()) continue;
        const SliceMismatches m = BoundSlice(c, whole, take);
        sum.whole += m.whole;
        sum.rule += m.rule;
        sum.kept += m.kept;
      }
      EXPECT_EQ(sum.whole, 0);
      EXPECT_EQ(sum.rule, 0);
      EXPECT_EQ(sum.kept, whole.bounded.kept);
    }
  }
}

// BoundAndAccumulate (kept rows summed inside the bounding's buckets where it can) gives exactly
// the state of BoundContributions then Accumulate (the mask path): per group its units, rows and
// every exact sum. Value columns: none, double (some values outside the bounds), int64,
// count-only, and double with nulls (the mask path on both sides); tables of 1 to 16 buckets,
// up to 90 groups in a tiny table (more buckets than rows) and 300 groups (gid bits above the
// buckets': the mask path), filters and undeclared keys, 1 and 2 threads.
TEST(UnitBoundingTest, SummingInBucketsGivesTheMaskPathsState) {
  const std::vector<Case> cases = {
      {50, 40, 4, UnitType::kInt64, 1, 1, 1, false, false},
      {3000, 40, 90, UnitType::kString, 70, 2, 1, false, true},
      {20000, 50, 3, UnitType::kDouble, 1, 100, 1, true, true},
      {60000, 8000, 12, UnitType::kString, 2, 4, 2, true, true},
      {140000, 6000, 300, UnitType::kDouble, 2, 2, 2, false, false},
      {300000, 30000, 12, UnitType::kInt64, 3, 5, 2, false, false},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    random::testing::SeededRng rng(90 + i);
    const io::Table base = MakeTable(c, rng);
    std::vector<double> x(c.rows);
    std::vector<int64_t> ix(c.rows);
    std::vector<uint8_t> valid(c.rows);
    for (int64_t r = 0; r < c.rows; ++r) {
      x[r] = static_cast<double>(random::UniformUint64(rng, 1'000'001)) / 1000.0 - 100.0;
      ix[r] = static_cast<int64_t>(random::UniformUint64(rng, 2001)) - 1000;
      valid[r] = random::UniformUint64(rng, 10) != 0;
    }
    std::vector<io::Column> cols = {base.column(0), base.column(1), io::Column::Double("x", x),
                                    io::Column::Int64("ix", ix), io::Column::Double("xn", x, valid)};
    const io::Table t = *io::Table::Make(std::move(cols));
    for (int shape = 0; shape < 5; ++shape) {
      SCOPED_TRACE(absl::StrCat("case ", i, ", value shape ", shape));
      QuerySpec spec;
      ResolvedQuery rq;
      MakeQuery(c, &spec, &rq);
      if (shape > 0) {
        ValueColumn vc;
        vc.table_index = shape == 2 ? 3 : shape == 4 ? 4 : 2;
        vc.name = t.column(vc.table_index).name();
        vc.lower = shape == 2 ? -500 : 0;
        vc.upper = shape == 2 ? 700 : 800;
        vc.count_only = shape == 3;
        rq.value_columns = {vc};
      }
      const uint64_t salt = rng.NextU64();
      PartialAggregates::State want, got;
      auto bounded = BoundContributions(t, spec, rq, salt, c.threads);
      ASSERT_TRUE(bounded.ok()) << bounded.status();
      Accumulate(t, rq, *bounded, c.threads, &want);
      ASSERT_TRUE(BoundAndAccumulate(t, spec, rq, salt, c.threads, &got).ok());
      EXPECT_EQ(got.input_rows, want.input_rows);
      EXPECT_EQ(got.dropped_rows, want.dropped_rows);
      ASSERT_EQ(got.groups.size(), want.groups.size());
      int64_t differ = 0;
      for (const auto& [key, w] : want.groups) {
        auto it = got.groups.find(key);
        ASSERT_TRUE(it != got.groups.end()) << key;
        const GroupState& g = it->second;
        differ += g.units != w.units || g.rows != w.rows || g.values.size() != w.values.size();
        for (size_t v = 0; v < std::min(g.values.size(), w.values.size()); ++v) {
          differ += g.values[v].n != w.values[v].n || g.values[v].sum != w.values[v].sum ||
                    g.values[v].sum_sq != w.values[v].sum_sq ||
                    g.values[v].raw_sum != w.values[v].raw_sum;
        }
      }
      EXPECT_EQ(differ, 0);
    }
  }
}

TEST(UnitBoundingTest, EmptyAndTinyTablesKeepWhatTheRuleSays) {
  for (int64_t rows : {0, 1, 2, 5}) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE(absl::StrCat(rows, " rows, ", threads, " threads"));
      const Case c = {rows, 3, 2, UnitType::kInt64, 1, 1, threads, false, false};
      CaseRun run;
      ASSERT_NO_FATAL_FAILURE(RunCase(c, rows * 10 + threads, &run));
      const BoundedRows& bounded = run.bounded;
      EXPECT_LE(bounded.kept, std::min<int64_t>(rows, 3));
      EXPECT_EQ(bounded.kept > 0, rows > 0);
    }
  }
}

// Group hashes that collide (here: all equal) make a unit's group priorities tie; the rule then
// keeps the groups of smallest id. Reached with at most 8, 16 and 32 groups per unit and above
// (the vector, rank-count and nth_element paths), 1 and 2 threads.
TEST(UnitBoundingTest, GroupHashCollisionsAreBrokenByGroupId) {
  constexpr uint64_t kSameHash = 0x1234;
  for (int groups : {6, 14, 40}) {
    for (int threads : {1, 2}) {
      SCOPED_TRACE(absl::StrCat(groups, " groups, ", threads, " threads"));
      random::testing::SeededRng rng(groups * 10 + threads);
      testing::IntUnitTable table;
      for (int64_t u = 0; u < 3000; ++u) {
        for (int g = 0; g < groups; ++g) {
          const int rows = static_cast<int>(rng.NextU64() % 4);  // 0-3 rows in group g
          for (int k = 0; k < rows; ++k) {
            table.unit.push_back(u);
            table.row_gid.push_back(g);
          }
        }
      }
      table.group_hash.assign(groups, kSameHash);
      UnitBoundingInput in = table.Input(/*l0=*/3, /*linf=*/2);
      in.salt = rng.NextU64();
      in.threads = threads;
      const std::vector<int64_t>& unit = table.unit;
      const std::vector<int32_t>& row_gid = table.row_gid;
      const int64_t n = in.rows;
      const UnitBoundingOutput out = BoundByUnit(in);
      // The rule: the l0 smallest gids the unit has; in each, the linf rows of smallest
      // Mix64(base + k * phi), k = the row's index in its (unit, group) run.
      int64_t kept = 0;
      for (int64_t r = 0, run = 0; r < n; r += run) {
        run = 1;
        while (r + run < n && unit[r + run] == unit[r] && row_gid[r + run] == row_gid[r]) ++run;
        int groups_before = 0;  // the unit's groups of smaller id
        for (int64_t b = r - 1; b >= 0 && unit[b] == unit[r]; --b) {
          groups_before += row_gid[b] != row_gid[b + 1];
        }
        const uint64_t u = Mix64(static_cast<uint64_t>(unit[r]) ^ 0x5bd1e995u);
        const uint64_t base = Mix64(u ^ Mix64(kSameHash ^ in.salt));
        for (int64_t k = 0; k < run; ++k) {
          int rank = 0;
          for (int64_t j = 0; j < run; ++j) {
            rank += Mix64(base + j * kPhi) < Mix64(base + k * kPhi);
          }
          const bool want = groups_before < in.l0 && rank < in.linf;
          const bool got = (out.keep[(r + k) / 64] >> ((r + k) % 64)) & 1;
          ASSERT_EQ(got, want) << "row " << r + k << " (unit " << unit[r] << ", group "
                               << row_gid[r] << ")";
          kept += want;
        }
      }
      EXPECT_EQ(out.kept, kept);
    }
  }
}

TEST(ScratchArrayTest, ReusesReleasedMappings) {
  const size_t n = size_t{3} << 20;  // 24 MiB of uint64_t: mapped
  uint64_t* first;
  {
    ScratchArray<uint64_t> a(n);
    first = a.data();
    a[n - 1] = 7;
  }
  ScratchArray<uint64_t> b(n);
  EXPECT_EQ(b.data(), first);
  b[0] = 1;  // writable again
  ScratchArray<uint64_t> small(10);  // heap
  small[9] = 3;
  EXPECT_EQ(small[9], 3u);
}

}  // namespace
}  // namespace dpkit::analytics::engine
