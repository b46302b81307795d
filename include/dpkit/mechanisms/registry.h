// The mechanism registry: every mechanism dpkit offers, with its privacy claim and citation
// (what `dpkit mechanisms` lists), and a uniform request/response entry point (what `dpkit
// noise` and future front ends call) so that front ends stay thin.
#ifndef DPKIT_MECHANISMS_REGISTRY_H_
#define DPKIT_MECHANISMS_REGISTRY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/calibration.h"
#include "dpkit/mechanisms/interval.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::mechanisms {

struct MechanismInfo {
  std::string name;            // e.g. "laplace"
  std::string input;           // "real value", "integer value", "scores", "query stream", ...
  std::string privacy_claim;   // e.g. "epsilon-DP (pure) for l1 sensitivity Delta_1"
  std::string implementation;  // how it is sampled (one line)
  std::string citation;
  std::string doc;  // docs/mechanisms/<page>.md
};

// All mechanisms, in display order.
const std::vector<MechanismInfo>& ListMechanisms();
// InvalidArgument listing the known names if `name` is unknown.
absl::StatusOr<MechanismInfo> FindMechanism(const std::string& name);

// One release through any registered mechanism. Which fields apply depends on the mechanism
// (see docs/mechanisms/README.md); fields that do not apply must be left unset (InvalidArgument
// otherwise, so a user never believes a parameter took effect when it did not).
struct NoiseRequest {
  std::string mechanism;
  std::optional<double> epsilon;
  std::optional<double> delta;        // gaussian, discrete_gaussian
  std::optional<double> rho;          // gaussian, discrete_gaussian (instead of epsilon/delta)
  std::optional<double> sensitivity;  // all but randomized response
  std::optional<GaussianCalibration> calibration;  // gaussian, discrete_gaussian
  double confidence = 0.95;                        // interval level, in (0, 1)
  std::optional<double> value;        // additive mechanisms; category for randomized response
  std::vector<double> scores;         // selection mechanisms
  std::vector<double> queries;        // sparse_vector
  std::optional<double> threshold;    // sparse_vector
  std::optional<int64_t> max_above;   // sparse_vector (c)
  std::optional<int64_t> categories;  // kary_randomized_response (k)
  bool monotonic = false;             // selection, sparse_vector
};

struct NoiseResult {
  std::string mechanism;
  // What was released: "value" (noisy_value), "category" (noisy_value, an integer), "index"
  // (selected_index), "above" (above[i] for the queries answered).
  std::string output_kind;
  double noisy_value = 0;
  std::optional<int64_t> selected_index;
  std::vector<bool> above;
  std::optional<Interval> interval;  // for "value" outputs
  // Noise scale (value units) and what it means, e.g. "laplace scale b", "gaussian sigma".
  double noise_scale = 0;
  std::string noise_scale_meaning;
  double noise_stddev = 0;
  double granularity = 0;  // output lattice spacing for real-valued outputs (0 if n/a)
  PrivacyMap privacy_map;
  std::string privacy_claim;  // one line, with the numbers actually achieved
  std::vector<std::string> notes;
};

// Validates the request for the named mechanism, builds the mechanism through its Create(), and
// releases one result with randomness from `gen`.
absl::StatusOr<NoiseResult> RunMechanism(const NoiseRequest& request, random::BitGenerator& gen);

}  // namespace dpkit::mechanisms

#endif  // DPKIT_MECHANISMS_REGISTRY_H_
