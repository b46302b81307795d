// Unit tests of the mechanism registry and the uniform RunMechanism entry point.
#include "dpkit/mechanisms/registry.h"

#include <set>

#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::mechanisms {
namespace {

using ::testing::HasSubstr;

TEST(RegistryTest, ListsEveryMechanismWithClaimAndCitation) {
  std::set<std::string> names;
  for (const auto& m : ListMechanisms()) {
    names.insert(m.name);
    EXPECT_FALSE(m.privacy_claim.empty()) << m.name;
    EXPECT_FALSE(m.citation.empty()) << m.name;
    EXPECT_THAT(m.doc, HasSubstr("docs/mechanisms/")) << m.name;
  }
  for (const char* n :
       {"laplace", "gaussian", "discrete_laplace", "discrete_gaussian", "exponential",
        "report_noisy_max_gumbel", "report_noisy_max_exponential", "permute_and_flip",
        "sparse_vector", "randomized_response", "kary_randomized_response"}) {
    EXPECT_TRUE(names.count(n)) << n;
  }
  EXPECT_EQ(FindMechanism("geometric")->name, "discrete_laplace");
  EXPECT_EQ(FindMechanism("above_threshold")->name, "sparse_vector");
  auto unknown = FindMechanism("lapalce");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("unknown mechanism 'lapalce'"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("laplace, gaussian"));
}

TEST(RegistryTest, RunsEachFamily) {
  random::testing::SeededRng rng(1);
  NoiseRequest r;
  r.mechanism = "laplace";
  r.epsilon = 1;
  r.sensitivity = 1;
  r.value = 10;
  auto out = RunMechanism(r, rng);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->output_kind, "value");
  ASSERT_TRUE(out->interval.has_value());
  EXPECT_TRUE(out->interval->Contains(out->noisy_value));
  EXPECT_EQ(out->privacy_map.kind, PrivacyMapKind::kDiscreteLaplace);
  EXPECT_THAT(out->privacy_claim, HasSubstr("pure DP"));

  NoiseRequest g;
  g.mechanism = "gaussian";
  g.epsilon = 0.5;
  g.delta = 1e-6;
  g.sensitivity = 2;
  g.value = -3;
  g.calibration = GaussianCalibration::kClassic;
  out = RunMechanism(g, rng);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT(out->privacy_claim, HasSubstr("classic"));

  NoiseRequest s;
  s.mechanism = "report_noisy_max_gumbel";
  s.epsilon = 1;
  s.sensitivity = 1;
  s.scores = {1, 2, 300};
  out = RunMechanism(s, rng);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->output_kind, "index");
  EXPECT_EQ(*out->selected_index, 2);
  ASSERT_EQ(out->notes.size(), 1u);
  EXPECT_THAT(out->notes[0], HasSubstr("implemented as exponential"));

  NoiseRequest v;
  v.mechanism = "svt";
  v.epsilon = 1;
  v.sensitivity = 1;
  v.threshold = 100;
  v.queries = {0, 1000, 5};
  out = RunMechanism(v, rng);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->mechanism, "sparse_vector");
  EXPECT_EQ(out->above, (std::vector<bool>{false, true}));

  NoiseRequest k;
  k.mechanism = "kary_randomized_response";
  k.epsilon = 2;
  k.value = 3;
  k.categories = 5;
  out = RunMechanism(k, rng);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_GE(out->noisy_value, 0);
  EXPECT_LT(out->noisy_value, 5);

  NoiseRequest d;
  d.mechanism = "discrete_gaussian";
  d.rho = 0.5;
  d.sensitivity = 1;
  d.value = 42;
  out = RunMechanism(d, rng);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->privacy_map.kind, PrivacyMapKind::kDiscreteGaussian);
  EXPECT_THAT(out->privacy_claim, HasSubstr("zCDP"));
}

TEST(RegistryTest, RejectsMissingAndInapplicableParameters) {
  random::testing::SeededRng rng(2);
  NoiseRequest r;
  r.mechanism = "laplace";
  r.epsilon = 1;
  r.sensitivity = 1;
  EXPECT_EQ(RunMechanism(r, rng).status().message(),
            "laplace needs --value (see 'dpkit noise --help')");
  r.value = 1;
  r.delta = 1e-5;
  EXPECT_EQ(RunMechanism(r, rng).status().message(),
            "--delta does not apply to laplace; remove it");
  NoiseRequest g;
  g.mechanism = "gaussian";
  g.epsilon = 1;
  g.sensitivity = 1;
  g.value = 0;
  EXPECT_EQ(RunMechanism(g, rng).status().message(),
            "gaussian needs --delta (or --rho) (see 'dpkit noise --help')");
  NoiseRequest i;
  i.mechanism = "discrete_laplace";
  i.epsilon = 1;
  i.sensitivity = 1;
  i.value = 2.5;
  EXPECT_EQ(RunMechanism(i, rng).status().message(),
            "--value must be an integer for discrete_laplace, got 2.5");
  i.value = 2;
  i.sensitivity = 0.5;
  EXPECT_EQ(RunMechanism(i, rng).status().message(),
            "--sensitivity must be an integer for discrete_laplace, got 0.5");
  NoiseRequest e;
  e.mechanism = "exponential";
  e.epsilon = 1;
  e.sensitivity = 1;
  e.value = 3;
  EXPECT_EQ(RunMechanism(e, rng).status().message(),
            "--value does not apply to exponential; remove it");
  NoiseRequest rr;
  rr.mechanism = "randomized_response";
  rr.epsilon = 1;
  rr.value = 1;
  rr.categories = 3;
  EXPECT_EQ(RunMechanism(rr, rng).status().message(),
            "--categories does not apply to randomized_response; remove it");
}

}  // namespace
}  // namespace dpkit::mechanisms
