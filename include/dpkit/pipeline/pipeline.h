// The end-to-end flow: customer CSV -> PII replacement -> DP synthetic data -> evaluation report.
//
// The pipeline owns no privacy logic: it composes the release protocol (dpkit/release), the
// synthesizer (dpkit/synth), DP counts and bounds (dpkit/analytics) and the PII and report
// modules. Steps:
//   1. PLAN from public inputs only: the schema (if given), the CSV's header and the options.
//      Column roles: a schema column's "pii" key, else the header name alone
//      (pii::ClassifyHeader) — identifiers (names, e-mails, phones, cards, ids, ...) are never
//      modelled and get fresh fake values; "free_text" columns are dropped; ZIP-code columns
//      (by schema or header) are modelled at 3 digits; everything else is modelled with its
//      schema type (undeclared: text, a public default the notes state). The privacy unit is
//      `privacy_unit`, else the schema's, else the one the named ledger budgets the dataset by,
//      else rows. The budget (count_fraction for the DP row count, bounds_fraction for DP
//      bounds of numeric columns declared without bounds, the rest for MST/AIM) is split by
//      release::SplitBudget; every map charged is the one its mechanism reports.
//   2. CHARGE once: the named ledger must hold the (dataset, unit) budget (never created or
//      extended here); without `ledger`, a NEW ledger <out>/ledger.db is created holding
//      exactly this release, announced in the notes. A refusal writes nothing. `dry_run`
//      stops after planning and prints the plan.
//   3. EXECUTE: PII scan and keyed replacement (data-owner outputs), DP row count, DP bounds,
//      the synthesizer on a training part of the units (a random holdout of units is kept for
//      the report's attacks), fresh fakes, outputs.
//
// OUTPUTS. DP releases (and public inputs) in <out>/: synthetic.csv, privacy.json (the guarantee
// and this run's ledger charge), summary.json (options, artifacts, the plan, DP values),
// ledger.db when created here. Data-owner outputs — NOT differentially private, keep them
// inside the trust boundary — in <out>/owner/: clean.csv (de-identified copy), pii.json (the
// PII scan), pii.key (when generated), report.html / report.json (real-vs-synthetic evaluation),
// and README.txt saying so. Progress lines carry public inputs before the charge and DP values
// after it; no exact count, cell or scan result of the input is ever printed.
//
// Privacy claim: everything in <out>/ outside owner/ is (epsilon, delta)-DP w.r.t. adding or
// removing one privacy unit (or one row), by basic composition of the charged maps.
#ifndef DPKIT_PIPELINE_PIPELINE_H_
#define DPKIT_PIPELINE_PIPELINE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/release/release.h"

namespace dpkit::pipeline {

struct PipelineOptions {
  std::string data;     // input CSV (required)
  std::string out_dir;  // output directory (required; created)
  double epsilon = 1.0;
  double delta = 1e-6;
  std::string method = "aim";        // "aim" or "mst"
  int64_t rows = 0;                  // synthetic rows; 0 = DP estimate of the number of units
  std::string schema;                // optional schema JSON: types, bounds, categories, pii, unit
  std::string policy;                // optional PII policy JSON (for owner/clean.csv)
  std::string key_file;              // optional PII key; generated into <out>/owner/pii.key
  std::string ledger;                // an existing ledger; empty = a new <out>/ledger.db
  std::string dataset;               // ledger dataset name; default: the input's file stem
  std::string privacy_unit;          // override the unit column
  std::string target;                // column predicted in the report's utility section
  double holdout_fraction = 0.2;     // share of units held out for the report (0 = none)
  double count_fraction = 0.02;      // share of epsilon for the row count
  double bounds_fraction = 0.1;      // share of epsilon for DP bounds (if any column needs them)
  double min_null_fraction = 0.01;  // synthetic null rates below this are noise (post-processing)
  int decimals = 2;  // real-valued synthetic columns are rounded to this many decimals (-1: not)
  int threads = 2;
  bool dry_run = false;              // plan only: nothing is read beyond the header or charged
  bool insecure_seed = false;        // recorded with the charge (noise is NOT private)
  std::function<void(const std::string&)> progress;  // one line per step

  // Reads a JSON config whose keys are the fields above (e.g. {"epsilon": 1, "method": "mst"});
  // unknown keys are an error. Fields not in the file keep their current values.
  absl::Status MergeJsonFile(const std::string& path, Env* env = Env::Default());
  std::string ToJson() const;
  absl::Status Validate() const;
};

struct PipelineResult {
  std::string synthetic_csv, privacy_json, summary_json, ledger;  // DP outputs
  std::string owner_dir, clean_csv, pii_json, report_html, report_json;  // data-owner outputs
  release::ReleasePlan plan;  // what was (or, with dry_run, would be) charged
  std::string privacy_unit;   // "(row)" when rows are units
  int64_t synthetic_rows = 0;
  double epsilon_charged = 0;
  double delta_charged = 0;
  double epsilon_remaining = 0;
  std::vector<std::string> synthesized_columns, faked_columns, dropped_columns;
  std::vector<std::string> notes;  // public defaults taken and DP results; never private values
};

// Runs the flow. `rng` must be a SecureRng in production (noise, keys, fakes, the split);
// `noise` is mechanisms::SecureNoise() in production.
absl::StatusOr<PipelineResult> RunPipeline(
    const PipelineOptions& options, random::BitGenerator& rng, Env* env = Env::Default(),
    const mechanisms::NoiseFactory& noise = mechanisms::SecureNoise());

}  // namespace dpkit::pipeline

#endif  // DPKIT_PIPELINE_PIPELINE_H_
