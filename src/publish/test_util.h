// Test fixtures of the publish module: a small spec and random person files for it.
#ifndef DPKIT_SRC_PUBLISH_TEST_UTIL_H_
#define DPKIT_SRC_PUBLISH_TEST_UTIL_H_

#include <cstdint>
#include <string>

#include "dpkit/publish/spec.h"

namespace dpkit::publish::testing {

// Four levels (nation "US" > region: 1 char > district: 2 chars > tract: 4 chars) over 7 tract
// codes; variables SEX (string F/M), AGE (int64 bins 0-17, 18-64, 65-119), RACE (int64 1, 2,
// 3-4 grouped as "3+", other_category "unknown"); person tables total, sex_by_age,
// sex_by_race, race. With `households`: privacy unit column "hh" (max 3 rows per unit) and a
// unit table "households" by nothing. Budget rho.
std::string SmallSpecJson(double rho, bool households = false, int replicates = 50);
PublicationSpec SmallSpec(double rho, bool households = false, int replicates = 50);

// `rows` random persons for SmallSpec: columns tract, hh, SEX, AGE, RACE; about 1 in 20 cells
// of AGE is not a number and 1 in 20 RACE values is unlisted; households of 1 to 5 rows.
std::string RandomPersonsCsv(int rows, uint64_t seed);

}  // namespace dpkit::publish::testing

#endif  // DPKIT_SRC_PUBLISH_TEST_UTIL_H_
