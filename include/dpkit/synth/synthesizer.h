// Synthesizer: DP synthetic tables end to end (preprocessing, MST/AIM, sampling, report).
//
// PRIVACY CLAIM. Fit(table, schema, {epsilon, delta}) is (epsilon, delta)-DP with respect to
// adding or removing one row, or, when the schema names a privacy_unit column, all rows of one
// unit (each unit is first reduced to its first row, inside this function, and the unit column
// is not synthesised). Composition is in zCDP (Bun & Steinke 2016), with approximate zCDP for
// partition selection (their Def. 8.1: (delta', rho)-approximate zCDP composes by adding both):
//   rho_total = the rho whose CKS20 conversion gives epsilon at delta - delta_pre, where
//   delta_pre = partition_delta_fraction * delta if any column needs partition selection, else 0.
//   * DP preprocessing (only for columns that need it), preprocessing_fraction * rho_total split
//     evenly among those columns:
//       - numeric / date columns with public bounds but no bins: DP quantile bins from a noisy
//         histogram on a grid of `quantile_grid` equal cells in [lower, upper] (discrete
//         Gaussian, sensitivity 1), cut at the k/numeric_bins quantiles of its cumulative sum;
//       - categorical columns without declared categories: private partition selection by
//         Gaussian thresholding (Korolova et al. 2009; Gopi et al. 2020): per-value counts plus
//         discrete Gaussian noise, values kept if the noisy count >= 1 + sigma sqrt(2 ln(1/d)),
//         d = delta_pre / (number of such columns), so a value held by one row is released with
//         probability <= d (the discrete Gaussian is sigma^2-subgaussian, CKS20); kept values
//         are released sorted, the rest map to "other".
//     Declared categories, bins and bounds are public (schema.h) and cost nothing.
//   * The mechanism (MST or AIM, mechanisms.h) gets rho_total - rho spent on preprocessing.
//   The report gives every charge; epsilon_spent is recomputed from what was actually spent.
// Sampling is post-processing: binned values are drawn uniformly within their bin, "other"
// decodes to the text "other" (null for non-string columns), the null code to null.
//
// Columns: string/bool columns are categorical; int64 columns with declared categories too;
// int64/double/date columns are binned (declared bins, or DP quantiles within declared bounds).
// A numeric column with neither bins nor bounds is an error (bounds read off the data would not
// be private). Every column is nullable unless the schema says "nullable": false.
//
// Thread safety: a fitted Synthesizer is immutable; Sample* may be called concurrently with a
// thread-safe generator.
#ifndef DPKIT_SYNTH_SYNTHESIZER_H_
#define DPKIT_SYNTH_SYNTHESIZER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/io/encoded.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/synth/mechanisms.h"

namespace dpkit::synth {

enum class Method { kAim, kMst };
// "aim" or "mst" (InvalidArgument otherwise).
absl::StatusOr<Method> ParseMethod(const std::string& name);

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
  double max_model_mb = 80;   // AIM model-size limit
  int round_iters = 200;      // AIM inference iterations per round
  InferenceOptions inference = {.max_iters = 2000, .tolerance = 1e-8};
  int threads = 2;
  ProgressFn progress;
};

struct ColumnReport {
  std::string name;
  std::string encoding;  // how its domain was obtained
  int64_t domain_size = 0;
  double rho = 0;        // spent on its preprocessing
  double delta = 0;
};

struct SynthReport {
  std::string method;
  double epsilon = 0;              // requested
  double delta = 0;                // requested
  double rho_total = 0;            // zCDP budget derived from (epsilon, delta - delta_pre)
  double rho_preprocessing = 0;    // spent on DP preprocessing
  double delta_preprocessing = 0;  // reserved for partition selection (0 if none)
  double rho_spent = 0;            // preprocessing + mechanism
  double epsilon_spent = 0;        // (epsilon, delta) implied by what was spent
  int64_t input_rows = 0;          // rows used (after one-row-per-unit bounding)
  std::string neighbouring;        // the neighbouring relation the guarantee is about
  std::vector<ColumnReport> columns;
  FitReport fit;

  // What to charge to a ledger: one zCDP map, or (with partition selection) one approx-DP map
  // (epsilon_spent, delta).
  std::vector<PrivacyMap> privacy_maps() const;
  std::string ToJson() const;
};

class Synthesizer {
 public:
  // A typed table; `schema` may be null (types from the table; every column needs DP
  // preprocessing then, and numeric columns fail for lack of bounds).
  static absl::StatusOr<Synthesizer> Fit(const io::Table& table, const io::Schema* schema,
                                         const SynthOptions& options, random::BitGenerator& gen);
  // Already-discretised data (Private-PGM *-domain.json): no preprocessing, output codes.
  static absl::StatusOr<Synthesizer> FitEncoded(const io::EncodedTable& table,
                                                const SynthOptions& options,
                                                random::BitGenerator& gen);

  const SynthReport& report() const;
  const std::vector<std::string>& column_names() const;
  const SynthModel& model() const;

  // `rows` synthetic records as codes over the encoded domain.
  absl::StatusOr<EncodedData> SampleEncoded(int64_t rows, random::BitGenerator& gen) const;
  // `rows` synthetic records with the input's column types.
  absl::StatusOr<io::Table> Sample(int64_t rows, random::BitGenerator& gen) const;
  // Streams `rows` records to a CSV file (written atomically: the file appears complete or not
  // at all; a full disk is an error naming the file).
  absl::Status SampleToCsv(const std::string& path, int64_t rows, random::BitGenerator& gen,
                           Env* env = Env::Default()) const;

  struct State;

 private:
  explicit Synthesizer(std::shared_ptr<const State> s) : s_(std::move(s)) {}
  std::shared_ptr<const State> s_;
};

}  // namespace dpkit::synth

#endif  // DPKIT_SYNTH_SYNTHESIZER_H_
