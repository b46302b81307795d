// The end-to-end flow: customer CSV -> PII replacement -> DP synthetic data -> evaluation report.
//
//   1. Read the CSV as text (exact spellings) and scan every column for PII (pii module).
//   2. Replace PII by policy (default: identifiers pseudonymised/faked/dropped, free-text spans
//      replaced in place) with a keyed, consistent pseudonymiser; the key is read from
//      `key_file` or generated into <out>/pii.key. -> <out>/clean.csv, <out>/pii.json.
//      clean.csv is DE-IDENTIFIED BUT NOT DIFFERENTIALLY PRIVATE: it stays inside the trust
//      boundary.
//   3. Privacy unit: `privacy_unit`, else the schema's, else the identifier column the PII scan
//      proposes (e.g. customer_id or email); without one, each row is a unit.
//   4. Split units into a training part and a holdout (`holdout_fraction`, random by unit) used
//      only by the report's privacy attacks.
//   5. Charge the whole budget to the ledger BEFORE computing anything private:
//        count share   (discrete Laplace count of units -> number of synthetic rows),
//        bounds share  (DP approximate bounds for numeric columns without public bounds),
//        the rest      (the synthesizer: MST or AIM, (epsilon_rest, delta)-DP).
//      Composition is sequential (basic); the charge is refused (ResourceExhausted, CLI exit 3)
//      if the ledger's budget cannot cover it, and then nothing is computed.
//   6. Fit the synthesizer on the training part: columns the scan classified as quasi-identifier
//      or safe are modelled; identifier columns (names, e-mails, phones, cards, ...) are not
//      modelled but filled in the synthetic output with fresh fake values of the same format,
//      and free-text columns are left out. A numeric column whose DP bounds cannot be found (too
//      few rows for its share of the budget) is left out with a note. Every column is modelled
//      as nullable (whether it has nulls is private); a synthetic null count below 3 sigma of
//      the column's 1-way measurement noise (or below `min_null_fraction` of the rows) is
//      treated as noise and filled from the column's other synthetic values (post-processing).
//      -> <out>/synthetic.csv.
//   7. Evaluate synthetic vs the (pre-PII) training rows, with the holdout for the attacks, and
//      write <out>/report.html (self-contained) and <out>/report.json, with the guarantee and
//      ledger entries from <out>/privacy.json at the top.
//   8. <out>/summary.json: the options used, every artifact, the budget spent and remaining.
//
// Privacy claim: everything released from the input — synthetic.csv, the synthetic row count,
// privacy.json, and report.html/json's synthetic-side metrics — is (epsilon, delta)-DP w.r.t.
// adding/removing one privacy unit, by sequential composition of the three charged parts.
// The report's real-side statistics (fidelity comparisons, attack scores) are computed from the
// real data and are NOT differentially private: the report is for the data owner.
#ifndef DPKIT_PIPELINE_PIPELINE_H_
#define DPKIT_PIPELINE_PIPELINE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::pipeline {

struct PipelineOptions {
  std::string data;     // input CSV (required)
  std::string out_dir;  // output directory (required; created)
  double epsilon = 1.0;
  double delta = 1e-6;
  std::string method = "aim";        // "aim" or "mst"
  int64_t rows = 0;                  // synthetic rows; 0 = DP estimate of the number of units
  std::string schema;                // optional schema JSON: bounds, categories, privacy unit
  std::string policy;                // optional PII policy JSON
  std::string key_file;              // optional PII key; generated into <out>/pii.key if empty
  std::string ledger;                // default <out>/ledger.db (created with this budget)
  std::string dataset;               // ledger dataset name; default: the input's file stem
  std::string privacy_unit;          // override the unit column
  std::string target;                // column predicted in the report's utility section
  double holdout_fraction = 0.2;     // share of units held out for the report (0 = none)
  double count_fraction = 0.02;      // share of epsilon for the row count
  double bounds_fraction = 0.1;      // share of epsilon for DP bounds (if any column needs them)
  double min_null_fraction = 0.01;  // synthetic null rates below this are noise (step 6)
  int decimals = 2;  // real-valued synthetic columns are rounded to this many decimals (-1: not)
  int threads = 2;
  std::function<void(const std::string&)> progress;  // one line per step

  // Reads a JSON config whose keys are the fields above (e.g. {"epsilon": 1, "method": "mst"});
  // unknown keys are an error. Fields not in the file keep their current values.
  absl::Status MergeJsonFile(const std::string& path, Env* env = Env::Default());
  std::string ToJson() const;
  absl::Status Validate() const;
};

struct PipelineResult {
  std::string clean_csv, pii_json, synthetic_csv, report_html, report_json, privacy_json,
      summary_json, ledger;
  std::string privacy_unit;  // "(row)" when rows are units
  int64_t synthetic_rows = 0;
  double epsilon_charged = 0;
  double delta_charged = 0;
  double epsilon_remaining = 0;
  std::vector<std::string> synthesized_columns, faked_columns, dropped_columns;
  std::vector<std::string> notes;
};

// Runs the flow. `rng` must be a SecureRng in production (noise, keys, fakes, the split).
absl::StatusOr<PipelineResult> RunPipeline(const PipelineOptions& options,
                                           random::BitGenerator& rng, Env* env = Env::Default());

}  // namespace dpkit::pipeline

#endif  // DPKIT_PIPELINE_PIPELINE_H_
