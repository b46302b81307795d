// SynthOptions: the knobs of a synthesizer fit (all public inputs).
#ifndef DPKIT_SYNTH_SYNTH_OPTIONS_H_
#define DPKIT_SYNTH_SYNTH_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/synth/mechanisms.h"

namespace dpkit::synth {

enum class Method { kAim, kMst };
// "aim" or "mst" (InvalidArgument otherwise).
absl::StatusOr<Method> ParseMethod(const std::string& name);
const char* MethodName(Method m);

struct SynthOptions {
  Method method = Method::kAim;
  double epsilon = 1;
  double delta = 1e-9;
  double preprocessing_fraction = 0.1;    // share of rho for DP preprocessing (0, 1)
  double partition_delta_fraction = 0.5;  // share of delta for partition selection (0, 1)
  int numeric_bins = 32;                  // bins per numeric column from DP quantiles
  int quantile_grid = 1024;               // cells of the quantile histogram
  // AIM workload as attribute names; empty = all 3-way marginals.
  std::vector<std::vector<std::string>> workload;
  int rounds = 0;             // AIM T (0 = 16 * number of columns)
  double max_model_mb = 8;    // AIM model-size limit (the paper: 80; docs/synth.md)
  int round_iters = 50;       // AIM inference iterations per round (see AimOptions)
  // Final fit; max_iters 0 = the method's default (MstOptions: 2000, AimOptions: 500).
  InferenceOptions inference = {.max_iters = 0, .tolerance = 1e-8};
  int threads = 2;
  ProgressFn progress;
};

// InvalidArgument naming the bad option.
absl::Status ValidateOptions(const SynthOptions& options);

}  // namespace dpkit::synth

#endif  // DPKIT_SYNTH_SYNTH_OPTIONS_H_
