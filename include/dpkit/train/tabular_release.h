// A model trained on a private table, as a release (../shared/DESIGN.md, "Release protocol";
// this is what `dpkit train` runs):
//
//   PlanTabularTraining  from PUBLIC inputs only (the spec: schema, options, file names): the
//                        encoder, the model, the DP-SGD plan with its noise mechanism, the DP
//                        evaluation, and the ReleasePlan — the privacy maps those mechanisms
//                        report, the budget, the neighbouring relation and the steps in words
//                        (--dry-run prints it). Everything checkable is checked here, before any
//                        charge: target, features and unit in the schema, model spec, epsilon
//                        feasibility, output files writable, the --test-data file read and
//                        encoded. The private data file is not opened.
//   TrainTabular         charges the plan through a release::Charger (a refusal releases
//                        nothing), then reads the private CSV (io::CsvReadOptions::private_data:
//                        types from the schema only, unparsable cells NULL, errors quote no
//                        cell), keeps one uniformly random row per privacy unit
//                        (io::BoundRowsPerUnit), holds rows out for the DP evaluation, trains,
//                        releases the DP metric, and writes the model and its report. A failure
//                        after the charge says what was spent (release::ChargedFailure).
//
// PRIVACY. The model and the DP metric are (epsilon, delta)-DP, composed as charged, for
// adding/removing all rows of one privacy unit (one row without a unit): after bounding one unit
// is one row, and DP-SGD with a public sampling rate and batch divisor protects one row
// whatever the number of rows. The number of rows is never shown (the schedule uses the public
// `training.rows`). Metrics on --test-data are NOT DP: they are about data the user designates
// for evaluation, and every output marks them "evaluated on --test-data, not DP".
//
// Thread safety: thread-compatible.
#ifndef DPKIT_TRAIN_TABULAR_RELEASE_H_
#define DPKIT_TRAIN_TABULAR_RELEASE_H_

#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/io/schema.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/release/release.h"
#include "dpkit/train/dp_evaluation.h"
#include "dpkit/train/tabular.h"
#include "dpkit/train/training.h"

namespace dpkit::train {

// The marking of every metric computed on --test-data.
inline constexpr char kTestDataNote[] = "evaluated on --test-data, not DP";

struct TabularTrainingSpec {
  io::Schema schema;
  std::string target;
  std::vector<std::string> features;  // empty = every schema column but the target and unit
  TaskKind task = TaskKind::kAuto;
  std::string unit;  // privacy unit column; "" = the schema's privacy_unit ("" there: rows)
  std::string model = "mlp:64,64";
  // training.rows: the PUBLIC number of (bounded) rows planned for; with a DP evaluation the
  // training part is planned as rows x (1 - fraction).
  TrainingOptions training;
  DpEvaluationOptions dp_evaluation;
  std::string dataset;  // the budget charged: (dataset, unit)

  std::string data;  // the private CSV (gzip ok)
  bool has_header = true;
  int skip_lines = 0;
  std::string test_data;  // optional CSV the user designates for evaluation
  int test_skip_lines = 0;

  std::string model_path;
  std::string report_path;
  bool insecure_seed = false;  // recorded in the report: the noise was NOT private
};

struct TabularTrainingPlan {
  TabularTrainingSpec spec;  // unit resolved, schema.privacy_unit = unit, training rows planned
  release::ReleasePlan release;
  TabularEncoder encoder;
  torch::nn::Sequential model;
  TrainingPlan training;
  std::optional<DpEvaluation> dp_evaluation;
  EncodedData test;  // the --test-data rows (empty without)
};

absl::StatusOr<TabularTrainingPlan> PlanTabularTraining(const TabularTrainingSpec& spec,
                                                        const mechanisms::NoiseFactory& noise);

struct TabularTrainingResult {
  ledger::Receipt receipt;
  std::string charged;  // the charger's Describe(), e.g. "ledger run/ledger.db"
  TrainingResult training;
  std::optional<DpMetrics> dp_metrics;
};

// Charges plan.release, then executes (see the header comment). `plan.model` is trained in
// place.
absl::StatusOr<TabularTrainingResult> TrainTabular(TabularTrainingPlan& plan,
                                                   release::Charger& charger,
                                                   random::BitGenerator& gen,
                                                   const TrainingCallbacks& callbacks = {});

}  // namespace dpkit::train

#endif  // DPKIT_TRAIN_TABULAR_RELEASE_H_
