// Calendar arithmetic on dates stored as days since 1970-01-01 (the proleptic Gregorian
// calendar of io::DataType::kDate): conversion to and from (year, month, day) by H. Hinnant's
// days_from_civil / civil_from_days ("chrono-Compatible Low-Level Date Algorithms",
// howardhinnant.github.io/date_algorithms.html), and whole elapsed years, months or days.
#ifndef DPKIT_IO_CIVIL_DATE_H_
#define DPKIT_IO_CIVIL_DATE_H_

#include <cstdint>

namespace dpkit::io {

struct CivilDate {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// Days since 1970-01-01 of a valid date (month 1..12, day within the month).
int64_t DaysFromCivil(int64_t year, int month, int day);
CivilDate CivilFromDays(int64_t days);
bool IsLeapYear(int64_t year);

enum class TimeUnit { kYears, kMonths, kDays };

// Whole units elapsed from `from` to `to` (days since 1970-01-01), counted as ages and tenures
// are: a year is complete on the same month and day as `from`, a month on the same day of the
// month, and a unit whose anniversary day does not exist completes on the day after it (born
// 29 Feb 2000: 0 years on 28 Feb 2001, 1 on 1 Mar; 31 Jan -> 28 Feb is 0 months, -> 1 Mar is 1).
// When `to` is before `from`, the count from `to` to `from`, negated.
int64_t WholeUnitsBetween(TimeUnit unit, int64_t from, int64_t to);

}  // namespace dpkit::io

#endif  // DPKIT_IO_CIVIL_DATE_H_
