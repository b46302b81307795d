#include "dpkit/io/civil_date.h"

namespace dpkit::io {

int64_t DaysFromCivil(int64_t year, int month, int day) {
  const int64_t y = year - (month <= 2 ? 1 : 0);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilDate c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  return c;
}

bool IsLeapYear(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int64_t WholeUnitsBetween(TimeUnit unit, int64_t from, int64_t to) {
  if (to < from) return -WholeUnitsBetween(unit, to, from);
  if (unit == TimeUnit::kDays) return to - from;
  const CivilDate f = CivilFromDays(from), t = CivilFromDays(to);
  if (unit == TimeUnit::kMonths) {
    return (t.year - f.year) * 12 + (t.month - f.month) - (t.day < f.day ? 1 : 0);
  }
  const bool before_anniversary = t.month < f.month || (t.month == f.month && t.day < f.day);
  return t.year - f.year - (before_anniversary ? 1 : 0);
}

}  // namespace dpkit::io
