// Internal: step 3 of the pipeline (after the charge) and its output files.
#ifndef DPKIT_SRC_PIPELINE_EXECUTION_H_
#define DPKIT_SRC_PIPELINE_EXECUTION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dpkit/base/env.h"
#include "dpkit/io/table.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/pii/operators.h"
#include "dpkit/pii/replace.h"
#include "dpkit/pipeline/pipeline.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/synth/synthesizer.h"
#include "pipeline/internal.h"

namespace dpkit::pipeline {

// DP outputs in `out`, data-owner outputs in `out`/owner.
struct Paths {
  std::string out, owner;
  std::string synthetic, privacy, summary, ledger;                         // DP
  std::string clean, pii_json, pii_key, report_html, report_json, readme;  // data owner
};
Paths PathsFor(const std::string& out_dir, const std::string& named_ledger);

struct Execution {
  const PipelineOptions& o;
  const Paths& paths;
  const std::vector<std::string>& header;
  const pii::Policy& policy;
  internal::ColumnRoles roles;
  internal::ReleaseParts parts;
  io::Table raw;    // every column as text
  io::Table typed;  // the training schema's columns
  ledger::Receipt receipt;
  // The budget's audit trail after this run's charge (public: the ledger's own records).
  std::vector<ledger::ChargeRecord> history;
  random::BitGenerator& rng;
  Env* env;
  const mechanisms::NoiseFactory& noise;
  PipelineResult& res;
};

// Everything after the charge (execute.cc).
absl::Status Execute(Execution& run);

// Output files (outputs.cc).
absl::Status WriteOwnerPii(Execution& run);
absl::Status WriteReport(Execution& run, const std::vector<int64_t>& train_rows,
                         const std::vector<int64_t>& holdout_rows, const io::Table& synthetic,
                         const synth::Synthesizer& model);
absl::Status WritePrivacyJson(Execution& run);
absl::Status WriteSummary(Execution& run, const synth::Synthesizer& model);

}  // namespace dpkit::pipeline

#endif  // DPKIT_SRC_PIPELINE_EXECUTION_H_
