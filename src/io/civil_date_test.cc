#include "dpkit/io/civil_date.h"

#include <cstdint>

#include "dpkit/io/table.h"
#include "gtest/gtest.h"

namespace dpkit::io {
namespace {

int64_t Day(const char* ymd) {
  int64_t d = 0;
  EXPECT_TRUE(ParseDate(ymd, &d)) << ymd;
  return d;
}

TEST(CivilDateTest, RoundTripsEveryDayOfFourCenturies) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  for (int64_t d = DaysFromCivil(1800, 1, 1); d <= DaysFromCivil(2200, 12, 31); ++d) {
    const CivilDate c = CivilFromDays(d);
    ASSERT_EQ(DaysFromCivil(c.year, c.month, c.day), d);
  }
  EXPECT_EQ(CivilFromDays(-1).year, 1969);
  EXPECT_TRUE(IsLeapYear(2000));
  EXPECT_FALSE(IsLeapYear(1900));
  EXPECT_TRUE(IsLeapYear(2024));
}

TEST(CivilDateTest, WholeYearsCountLikeAges) {
  const int64_t born = Day("1990-06-30");
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kYears, born, Day("2025-06-29")), 34);
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kYears, born, Day("2025-06-30")), 35);
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kYears, born, born), 0);
  // A 29 February birthday completes a year on 1 March in other years.
  const int64_t leap = Day("2000-02-29");
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kYears, leap, Day("2001-02-28")), 0);
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kYears, leap, Day("2001-03-01")), 1);
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kYears, leap, Day("2004-02-29")), 4);
  // Backwards: the same count, negated.
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kYears, Day("2025-06-29"), born), -34);
}

TEST(CivilDateTest, WholeMonthsAndDays) {
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kMonths, Day("2025-01-31"), Day("2025-02-28")), 0);
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kMonths, Day("2025-01-31"), Day("2025-03-01")), 1);
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kMonths, Day("2015-01-01"), Day("2025-06-30")), 125);
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kMonths, Day("2024-12-15"), Day("2025-01-15")), 1);
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kMonths, Day("2024-12-16"), Day("2025-01-15")), 0);
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kMonths, Day("2025-03-01"), Day("2025-01-31")), -1);
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kDays, Day("2024-02-28"), Day("2024-03-01")), 2);
  EXPECT_EQ(WholeUnitsBetween(TimeUnit::kDays, Day("2024-03-01"), Day("2024-02-28")), -2);
}

}  // namespace
}  // namespace dpkit::io
