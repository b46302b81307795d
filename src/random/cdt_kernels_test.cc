// Unit tests of the table-driven kernels (cdt_kernels.h, survival_table.h): the tables' shape,
// and ties between the drawn bits and a table entry, driven with scripted random words and
// decided exactly by the bits that follow.
#include "random/cdt_kernels.h"

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"
#include "random/bit_pool.h"
#include "random/scripted_generator.h"
#include "random/survival_table.h"

namespace dpkit::random::internal {
namespace {

void ExpectShape(const SurvivalTable& table) {
  ASSERT_GE(table.size(), 1u);
  for (size_t j = 2; j <= table.size(); ++j) EXPECT_LT(table.floor(j), table.floor(j - 1)) << j;
  // The last entry is the first below 2^-100: the variable-time tail is that rare.
  EXPECT_LT(table.floor(table.size()), uint128{1} << 28);
  if (table.size() > 1) {
    EXPECT_GE(table.floor(table.size() - 1), uint128{1} << 28);
  }
}

// U = floor(g_j 2^128) 2^-128 + (later bits): with later bits all zero U is below g_j (g_j is
// irrational, so above its floor), with later bits all one it is not (g_j is not within 2^-320
// below the next multiple of 2^-128 for the tables tested): the count is j or j - 1.
void ExpectTiesDecidedByLaterBits(const SurvivalTable& table) {
  for (size_t j : {size_t{1}, table.size() / 2, table.size() - 1}) {
    if (j == 0) continue;
    const uint128 f = table.floor(j);
    for (uint64_t rest : {uint64_t{0}, ~uint64_t{0}}) {
      ScriptedGenerator gen({static_cast<uint64_t>(f >> 64), static_cast<uint64_t>(f)}, rest);
      BitPool pool(gen);
      EXPECT_EQ(table.Count(pool), rest == 0 ? j : j - 1) << "entry " << j;
    }
  }
}

// Every scan this CPU runs (scalar, AVX2, AVX-512) gives the scalar one's count and tie flag,
// on u equal to an entry, between entries, above all and below all of them.
TEST(SurvivalTableTest, ScansAgree) {
  testing::SeededRng rng(3);
  const size_t n = 48;
  std::vector<uint64_t> hi(n), lo(n);
  for (size_t i = 0; i < n; ++i) {
    // Decreasing; pairs of entries share the high word so the low words decide.
    hi[i] = (uint64_t{1} << 63) - (i / 2) * (uint64_t{1} << 56);
    lo[i] = (rng.NextU64() >> 8) / 2 + (i % 2 == 0 ? (uint64_t{1} << 55) : 0);
  }
  const auto scans = SurvivalTable::AvailableScans();
  for (int trial = 0; trial < 2000; ++trial) {
    const size_t k = rng.NextU64() % n;
    uint64_t u_hi = hi[k], u_lo = lo[k];
    switch (trial % 4) {
      case 1:
        u_lo = rng.NextU64() >> 8;
        break;
      case 2:
        u_hi = rng.NextU64();
        u_lo = rng.NextU64() >> 8;
        break;
      case 3:
        u_hi = ~uint64_t{0} * (trial % 8 == 3);
        u_lo = u_hi >> 8;
        break;
    }
    const auto want = scans[0](hi.data(), lo.data(), n, u_hi, u_lo);
    for (size_t s = 1; s < scans.size(); ++s) {
      const auto got = scans[s](hi.data(), lo.data(), n, u_hi, u_lo);
      ASSERT_EQ(got.above, want.above) << "scan " << s << " trial " << trial;
      ASSERT_EQ(got.tie != 0, want.tie != 0) << "scan " << s << " trial " << trial;
    }
  }
  RecordProperty("scans", static_cast<int>(scans.size()));
}

TEST(CdtKernelTest, GaussianTable) {
  for (auto [n, d] : {std::pair<uint64_t, uint64_t>{100, 1}, {1, 1}, {106, 1}, {9, 100}}) {
    ASSERT_TRUE(GaussianCdt::Fits(n, d));
    GaussianCdt cdt(n, d);
    ExpectShape(cdt.table());
    ExpectTiesDecidedByLaterBits(cdt.table());
  }
  EXPECT_FALSE(GaussianCdt::Fits(10000, 1));  // sigma = 100: rejection kernel
}

TEST(CdtKernelTest, LaplaceTables) {
  // scale 1 and 7/3: one table of |Y|; scale 10 and 100: |Y| = A + m H.
  for (auto [t, s] : {std::pair<uint64_t, uint64_t>{1, 1}, {7, 3}, {10, 1}, {100, 1}}) {
    ASSERT_TRUE(LaplaceCdt::Fits(t, s));
    LaplaceCdt cdt(t, s);
    if (cdt.split() == 0) {
      ExpectShape(cdt.first_table());
    } else {
      EXPECT_EQ(cdt.first_table().size(), cdt.split());
    }
    ExpectTiesDecidedByLaterBits(cdt.first_table());
  }
  EXPECT_EQ(LaplaceCdt(1, 1).split(), 0u);
  EXPECT_GT(LaplaceCdt(10, 1).split(), 0u);
  EXPECT_FALSE(LaplaceCdt::Fits(1000, 1));  // rejection kernel
}

TEST(CdtKernelTest, TailsAreReached) {
  // A first draw of all-zero bits puts U below every entry: |Y| >= K, then drawn from the exact
  // tail law with further (seeded) bits.
  testing::SeededRng seeded(7);
  GaussianCdt gaussian(100, 1);
  LaplaceCdt laplace(1, 1);
  for (int i = 0; i < 20; ++i) {
    ScriptedGenerator g1({0, 0}, 0, &seeded), g2({0, 0}, 0, &seeded);
    BitPool p1(g1), p2(g2);
    EXPECT_GE(std::abs(gaussian.Sample(p1)), static_cast<int64_t>(gaussian.table().size()));
    EXPECT_GE(std::abs(laplace.Sample(p2)), static_cast<int64_t>(laplace.first_table().size()));
  }
}

}  // namespace
}  // namespace dpkit::random::internal
