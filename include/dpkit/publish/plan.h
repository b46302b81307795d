// The release plan of a publication, built from the PUBLIC spec only (step 1 of the release
// protocol, dpkit/release/release.h).
//
// WHAT IS MEASURED. For every geography level L and every table T, the vector of counts of T in
// every unit of L, with independent discrete Gaussian noise N_Z(0, sigma^2) on every cell
// (mechanisms::DiscreteGaussianMechanism through a mechanisms::NoiseFactory).
//
// PRIVACY CLAIM. Adding or removing one privacy unit changes the (L, T) vector by at most
// Delta in L2 norm: a person is one row, counted in one cell of one unit (Delta = 1); a unit of
// at most k retained rows changes a person table by a vector of non-negative entries summing to
// k (L2 norm <= k), and a unit table in one cell (Delta = 1). So the (L, T) measurement is
// rho_{L,T} = Delta^2 / (2 sigma^2)-zCDP (independent discrete Gaussian noise on every
// coordinate of a vector of L2 sensitivity Delta: Canonne, Kamath & Steinke 2020, "The Discrete
// Gaussian for Differential Privacy", NeurIPS, Section 4, Theorem 14 of arXiv:2004.00010 — the
// same rho as a scalar discrete Gaussian of sensitivity Delta), and the whole
// publication is sum_{L,T} rho_{L,T} <= rho-zCDP (composition: Bun & Steinke 2016, Lemma 2.3).
// Each measurement reports its PrivacyMap (kDiscreteGaussian, noise multiplier sigma/Delta); the
// plan charges those maps, not a claimed total. Post-processing (consistency, rounding, error
// bars) reads only the noisy measurements and public inputs, so it costs nothing (Bun & Steinke
// 2016, Lemma 1.8).
//
// BUDGET SPLIT. rho_{L,T} = rho * (1 - 1e-9) * share(L) / sum share * share(T) / sum share; the
// factor 1 - 1e-9 leaves room for floating-point rounding when the ledger adds the maps up. An
// (epsilon, delta) budget is converted to the largest rho whose zCDP -> (epsilon, delta)
// conversion (accounting::ZcdpEpsilon, CKS20 Corollary 13) is <= epsilon.
#ifndef DPKIT_PUBLISH_PLAN_H_
#define DPKIT_PUBLISH_PLAN_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/publish/geography.h"
#include "dpkit/publish/spec.h"
#include "dpkit/publish/table_layout.h"
#include "dpkit/release/release.h"

namespace dpkit::publish {

struct TablePlan {
  std::string name;
  TableLayout layout;
  std::vector<std::string> cell_labels;  // "SEX=1;AGE=0-17", or "total"
  CountedEntity count = CountedEntity::kPersons;
  int64_t sensitivity = 1;  // L2 sensitivity of the table at one level
  int family = 0;
};

// Tables that count the same entity, in the order post-processing makes them consistent: the
// table at position i > 0 agrees with the earlier table `source[i]` on the margin
// `separators[i]` (position 0 has the total as separator). See src/publish/table_order.h.
struct TableFamily {
  CountedEntity count = CountedEntity::kPersons;
  std::vector<int> order;               // table ids
  std::vector<int> source;              // table ids (-1 at position 0)
  std::vector<TableLayout> separators;  // margins (no variable = the total)
};

struct Measurement {
  int level = 0;
  int table = 0;
  double rho = 0;                                         // the planned share of the budget
  std::shared_ptr<const mechanisms::IntegerNoise> noise;  // sigma and privacy map
};

struct PublicationPlan {
  PublicationSpec spec;
  GeographyTree geography;
  std::vector<TablePlan> tables;
  std::vector<TableFamily> families;
  std::vector<Measurement> measurements;  // level-major: [level * tables.size() + table]
  double rho = 0;                         // the total budget, as zCDP rho
  release::ReleasePlan release;           // budget key, neighbouring relation, maps, steps

  const Measurement& measurement(int level, int table) const {
    return measurements[level * tables.size() + table];
  }
  // The plan for --dry-run: the release plan and one line per measurement.
  std::string ToText() const;
  // The same as JSON (written next to the published tables): public inputs only.
  std::string ToJson() const;
};

// Validates the spec and plans every measurement through `noise` (mechanisms::SecureNoise() to
// release; mechanisms::testing::ZeroNoise() in tests). `dataset` names the ledger budget.
absl::StatusOr<PublicationPlan> PlanPublication(const PublicationSpec& spec,
                                                const std::string& dataset,
                                                const mechanisms::NoiseFactory& noise);

}  // namespace dpkit::publish

#endif  // DPKIT_PUBLISH_PLAN_H_
