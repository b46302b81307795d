#include "publish/test_util.h"

#include "absl/strings/str_cat.h"
#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"

namespace dpkit::publish::testing {

namespace {
constexpr const char* kTracts[] = {"AA01", "AA02", "AB01", "BA01", "BA02", "BA03", "CC07"};
}  // namespace

std::string SmallSpecJson(double rho, bool households, int replicates) {
  return absl::StrCat(R"({
    "title": "small test publication",
    "dataset": "small",
    "null_tokens": [""],
    "privacy_unit": )",
                      households ? R"({"column": "hh", "max_rows_per_unit": 3})" : R"("person")",
                      R"(,
    "geography": {"column": "tract",
                  "codes": ["AA01", "AA02", "AB01", "BA01", "BA02", "BA03", "CC07"],
                  "levels": [{"name": "nation", "prefix": 0, "code": "US"},
                             {"name": "region", "prefix": 1},
                             {"name": "district", "prefix": 2},
                             {"name": "tract", "prefix": 4}]},
    "variables": [
      {"name": "SEX", "type": "string", "categories": ["F", "M"]},
      {"name": "AGE", "type": "int64", "bins": [0, 18, 65, 120]},
      {"name": "RACE", "type": "int64",
       "categories": ["1", "2", {"label": "3+", "values": [3, 4]}], "other_category": "unknown"}
    ],
    "tables": [
      {"name": "total", "variables": []},
      {"name": "sex_by_age", "variables": ["SEX", "AGE"], "share": 2},
      {"name": "sex_by_race", "variables": ["SEX", "RACE"]},
      {"name": "race", "variables": ["RACE"]})",
                      households ? R"(,
      {"name": "households", "variables": [], "count": "units"})"
                                 : "",
                      R"(
    ],
    "budget": {"rho": )",
                      rho, R"(, "level_shares": {"tract": 2}},
    "error_bars": {"level": 0.9, "replicates": )",
                      replicates, R"(}
  })");
}

PublicationSpec SmallSpec(double rho, bool households, int replicates) {
  return *PublicationSpec::FromJson(SmallSpecJson(rho, households, replicates), "small spec", "");
}

std::string RandomPersonsCsv(int rows, uint64_t seed) {
  random::testing::SeededRng rng(seed);
  std::string csv = "tract,hh,SEX,AGE,RACE\n";
  int household = 0, left = 0;
  for (int r = 0; r < rows; ++r) {
    if (left == 0) {
      ++household;
      left = static_cast<int>(random::UniformInt(rng, 1, 5));
    }
    --left;
    const std::string age = random::UniformInt(rng, 0, 19) == 0
                                ? "unknown"
                                : absl::StrCat(random::UniformInt(rng, 0, 99));
    absl::StrAppend(&csv, kTracts[random::UniformInt(rng, 0, 6)], ",h", household, ",",
                    random::UniformInt(rng, 0, 1) ? "F" : "M", ",", age, ",",
                    random::UniformInt(rng, 1, 5), "\n");
  }
  return csv;
}

}  // namespace dpkit::publish::testing
