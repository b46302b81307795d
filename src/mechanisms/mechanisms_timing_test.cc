// Timing side channels of the mechanisms (statistical tier; helpers and tolerance in
// tests/lib/timing.h): the running time of a release must not depend on the secret input
// beyond what the output itself says.
//
// Randomized response: the report and the true value are both about one respondent, so the
// time must depend on neither; in particular it must not tell "report == true value" from
// "report != true value". The rejection sampler this test was written against skipped its
// Bernoulli(exp(-eps)) trial when it proposed the true value, so the kept reports came back
// ~30-40% faster and a timer learned the respondent's value.
#include <cstdint>
#include <string>
#include <vector>

#include "dpkit/mechanisms/randomized_response.h"
#include "dpkit/random/samplers.h"
#include "dpkit/random/secure_rng.h"
#include "gtest/gtest.h"
#include "lib/timing.h"

namespace dpkit::mechanisms {
namespace {

constexpr int kCalls = 200'000;

// Inputs drawn uniformly from [0, k) up front, so the choice is outside the timed region.
std::vector<int64_t> Inputs(int64_t k, random::BitGenerator& gen) {
  std::vector<int64_t> v(kCalls);
  for (auto& x : v) x = random::UniformInt(gen, 0, k - 1);
  return v;
}

void ExpectReportTimeIndependentOfValue(double epsilon, int64_t k) {
  random::SecureRng rng;
  auto rr = RandomizedResponse::Create({.epsilon = epsilon, .categories = k});
  ASSERT_TRUE(rr.ok());
  const std::vector<int64_t> in = Inputs(k, rng);
  std::vector<int64_t> out(kCalls);
  const std::string name = "randomized response k=" + std::to_string(k) +
                           " eps=" + std::to_string(epsilon);
  auto r = test::CompareTimingOfClasses(
      name, "report == value", "report != value",
      [&](int i) { out[i] = *rr->Randomize(in[i], rng); },
      [&](int i) { return out[i] == in[i] ? 0 : 1; }, {.calls = kCalls});
  EXPECT_TRUE(r.independent) << r.report;
  // The true value itself (smallest vs largest category) must not show either.
  r = test::CompareTimingOfClasses(
      name, "value 0", "value k-1", [&](int i) { out[i] = *rr->Randomize(in[i], rng); },
      [&](int i) { return in[i] == 0 ? 0 : (in[i] == k - 1 ? 1 : -1); }, {.calls = kCalls});
  EXPECT_TRUE(r.independent) << r.report;
}

TEST(MechanismTimingTest, BinaryRandomizedResponse) { ExpectReportTimeIndependentOfValue(1.0, 2); }

TEST(MechanismTimingTest, KaryRandomizedResponse) { ExpectReportTimeIndependentOfValue(1.5, 8); }

}  // namespace
}  // namespace dpkit::mechanisms
