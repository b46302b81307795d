// Statistical: the contribution bounding of unit_bounding.h chooses uniformly. For one unit with
// 5 groups of 8 rows each (rows of the groups interleaved in table order), over fresh salts:
//  - the l0 = 2 groups it keeps are a uniformly random 2-subset of the 5 (10 subsets), and
//  - in group 0, when kept, the linf = 3 rows it keeps are a uniformly random 3-subset of the 8
//    (56 subsets).
// Pearson chi-square goodness of fit against the uniform distribution, alpha = 1e-6 per test
// (two tests: family-wise < 2e-6). Fixed seed, so the suite is deterministic; alpha bounds how
// often another seed would fail a correct implementation. A rule that favoured, say, the groups
// or rows that come first in table order fails both (that bias is what the tests guard against).
#include <bit>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "analytics/engine/int_unit_table.h"
#include "analytics/engine/unit_bounding.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"
#include "lib/stats.h"

namespace dpkit::analytics::engine {
namespace {

constexpr int kGroups = 5;
constexpr int kRowsPerGroup = 8;
constexpr int kRows = kGroups * kRowsPerGroup;
constexpr int64_t kL0 = 2;
constexpr int64_t kLinf = 3;
constexpr int kTrials = 20000;
constexpr double kAlpha = 1e-6;

// Category index of each bit set with `ones` of `bits` bits set, in increasing order of the set.
std::map<uint32_t, size_t> Subsets(int bits, int ones) {
  std::map<uint32_t, size_t> index;
  for (uint32_t s = 0; s < (1u << bits); ++s) {
    if (std::popcount(s) == ones) index.emplace(s, index.size());
  }
  return index;
}

TEST(UnitBoundingStatisticalTest, GroupAndRowChoicesAreUniform) {
  testing::IntUnitTable table;
  table.unit.assign(kRows, 424242);
  table.row_gid.resize(kRows);
  for (int r = 0; r < kRows; ++r) table.row_gid[r] = r % kGroups;  // group g: rows g, g + 5, ...
  for (int g = 0; g < kGroups; ++g) {
    const std::string key = "g" + std::to_string(g);
    table.group_hash.push_back(HashBytes(key.data(), key.size()));
  }
  UnitBoundingInput in = table.Input(kL0, kLinf);
  const std::vector<int32_t>& row_gid = table.row_gid;

  const std::map<uint32_t, size_t> group_sets = Subsets(kGroups, kL0);
  const std::map<uint32_t, size_t> row_sets = Subsets(kRowsPerGroup, kLinf);
  std::vector<int64_t> group_counts(group_sets.size(), 0), row_counts(row_sets.size(), 0);
  random::testing::SeededRng rng(77);
  for (int trial = 0; trial < kTrials; ++trial) {
    in.salt = rng.NextU64();
    const UnitBoundingOutput out = BoundByUnit(in);
    uint32_t groups = 0, rows0 = 0;
    for (int r = 0; r < kRows; ++r) {
      if (((out.keep[0] >> r) & 1) == 0) continue;
      groups |= 1u << row_gid[r];
      if (row_gid[r] == 0) rows0 |= 1u << (r / kGroups);
    }
    ASSERT_TRUE(group_sets.contains(groups)) << "kept groups " << groups;
    ++group_counts[group_sets.at(groups)];
    if ((groups & 1) == 0) continue;
    ASSERT_TRUE(row_sets.contains(rows0)) << "kept rows of group 0 " << rows0;
    ++row_counts[row_sets.at(rows0)];
  }
  const auto g = test::ChiSquareCounts(
      group_counts, std::vector<double>(group_counts.size(), 1.0 / group_counts.size()));
  EXPECT_GT(g.p_value, kAlpha) << "groups: " << g.ToString();
  const auto r = test::ChiSquareCounts(
      row_counts, std::vector<double>(row_counts.size(), 1.0 / row_counts.size()));
  EXPECT_GT(r.p_value, kAlpha) << "rows: " << r.ToString();
  // Group 0 is kept in about l0 / 5 of the trials (8000 expected; the chi-square above needs
  // ~140 per row subset).
  int64_t group0 = 0;
  for (int64_t c : row_counts) group0 += c;
  EXPECT_GT(group0, kTrials / 4);
}

}  // namespace
}  // namespace dpkit::analytics::engine
