// Synthesizer: DP synthetic tables end to end (plan, charge, preprocessing, MST/AIM, sampling).
//
// The release protocol (dpkit/release/release.h): PlanSynth (plan.h) decides everything from
// public inputs; ReleaseSynth charges the plan's maps and only then fits; Synthesizer::Fit is
// the execution step for callers that charge themselves.
//
// PRIVACY CLAIM. A fit of a plan for (epsilon, delta) is (epsilon, delta)-DP with respect to
// adding or removing one row, or, when the plan has a privacy unit, all rows of one unit (each
// unit is reduced to one uniformly random row inside Fit, by io::BoundRowsPerUnit, and the unit
// column is not synthesised). Composition is in zCDP (Bun & Steinke 2016), with approximate zCDP
// for partition selection (their Def. 8.1: (delta', rho)-approximate zCDP composes by adding
// both); see plan.h for the split. Every noisy value comes from a NoiseFactory mechanism:
//   - numeric / date columns with public bounds but no bins: DP bins from one noisy histogram
//     (discrete Gaussian mechanism, sensitivity 1) of `quantile_grid` cells in [lower, upper]
//     plus public candidate values: heavy values get bins of their own, the range is narrowed
//     to the data's, quantile bins cover the rest (synth/dp_bins.h);
//   - text columns without declared categories: private partition selection by Gaussian
//     thresholding (Korolova et al. 2009; Gopi et al. 2020): per-value counts plus discrete
//     Gaussian noise, values kept if the noisy count >= 1 + sigma sqrt(2 ln(1/d)), d = the
//     column's delta share, so a value held by one row is released with probability <= d (the
//     discrete Gaussian is sigma^2-subgaussian, CKS20); kept values are released sorted, the
//     rest map to "other";
//   - MST or AIM (mechanisms.h) with the plan's rho_mechanism.
// Declared categories are complete (plan.h): a value outside them is NULL, so there is no
// "other" code for them. Sampling is post-processing: binned values are drawn uniformly within
// their bin (a heavy value's bin is the value itself; no output leaves the column's range),
// "other" decodes to the text "other" (null for non-string columns), the null code to null,
// written as the schema's first null token.
//
// WHAT THE REPORT HOLDS. SynthReport holds DP values and public inputs only (no input row
// count, no timing): it may be released with the synthetic data.
//
// Thread safety: a fitted Synthesizer is immutable; Sample* may be called concurrently with a
// thread-safe generator.
#ifndef DPKIT_SYNTH_SYNTHESIZER_H_
#define DPKIT_SYNTH_SYNTHESIZER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/io/encoded.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/release/release.h"
#include "dpkit/synth/mechanisms.h"
#include "dpkit/synth/plan.h"
#include "dpkit/synth/synth_options.h"

namespace dpkit::synth {

struct ColumnReport {
  std::string name;
  std::string encoding;  // how its domain was obtained
  int64_t domain_size = 0;
  double rho = 0;        // spent on its preprocessing
  double delta = 0;
  // Numeric and date columns: the range the output stays in (declared, or found with DP inside
  // the declared bounds); input values outside it were clamped into it.
  std::optional<double> lower, upper;
  bool other = false;  // values not kept by partition selection are written as "other"
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
  std::string neighbouring;        // the neighbouring relation the guarantee is about
  std::vector<ColumnReport> columns;
  std::vector<std::string> notes;  // the plan's public defaults (e.g. undeclared columns)
  FitReport fit;

  std::string ToJson() const;
};

class Synthesizer {
 public:
  // Executes `plan` on `table` (read with io::CsvReadOptions::private_data under the plan's
  // schema; it must hold the plan's columns with their planned types, and the unit column when
  // the plan has one). Only after the plan's maps were charged (ReleaseSynth does both).
  static absl::StatusOr<Synthesizer> Fit(const SynthPlan& plan, const io::Table& table,
                                         const mechanisms::NoiseFactory& noise,
                                         random::BitGenerator& gen);
  // Already-discretised data (Private-PGM *-domain.json; plan from PlanSynthEncoded): output
  // codes.
  static absl::StatusOr<Synthesizer> FitEncoded(const SynthPlan& plan,
                                                const io::EncodedTable& table,
                                                const mechanisms::NoiseFactory& noise,
                                                random::BitGenerator& gen);

  const SynthReport& report() const;
  const std::vector<std::string>& column_names() const;
  const SynthModel& model() const;

  // `rows` synthetic records as codes over the encoded domain.
  absl::StatusOr<EncodedData> SampleEncoded(int64_t rows, random::BitGenerator& gen) const;
  // `rows` synthetic records with the input's column types, in input order: with the plan's
  // hierarchies split into their columns and its derived columns computed from the synthetic
  // dates (SynthPlan::output_columns; column_names() are the modelled columns).
  absl::StatusOr<io::Table> Sample(int64_t rows, random::BitGenerator& gen) const;
  // Streams `rows` records, as Sample gives them, to a CSV file (written atomically: the file
  // appears complete or not at all; a full disk is an error naming the file).
  absl::Status SampleToCsv(const std::string& path, int64_t rows, random::BitGenerator& gen,
                           Env* env = Env::Default()) const;

  struct State;

 private:
  explicit Synthesizer(std::shared_ptr<const State> s) : s_(std::move(s)) {}
  std::shared_ptr<const State> s_;
};

// A synthesizer fit as a release: charges `plan` (its maps, to `dataset`'s budget at the plan's
// unit) through `charger`, then fits. A refused charge fits nothing; a failure after the charge
// says what was spent (release::ChargedFailure).
struct SynthRelease {
  Synthesizer model;
  ledger::Receipt receipt;
};
absl::StatusOr<SynthRelease> ReleaseSynth(const SynthPlan& plan, const io::Table& table,
                                          const std::string& dataset,
                                          const std::string& operation,
                                          release::Charger& charger,
                                          const mechanisms::NoiseFactory& noise,
                                          random::BitGenerator& gen);
absl::StatusOr<SynthRelease> ReleaseSynthEncoded(const SynthPlan& plan,
                                                 const io::EncodedTable& table,
                                                 const std::string& dataset,
                                                 const std::string& operation,
                                                 release::Charger& charger,
                                                 const mechanisms::NoiseFactory& noise,
                                                 random::BitGenerator& gen);

}  // namespace dpkit::synth

#endif  // DPKIT_SYNTH_SYNTHESIZER_H_
