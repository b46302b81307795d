// Private: the JSON report written next to a model trained by TrainTabular. It holds public
// inputs (spec, plan), the ledger's receipt, DP values (the DP metric, per-epoch epsilon) and,
// marked kTestDataNote, the metrics on --test-data. Nothing about the private data's size or
// content.
#ifndef DPKIT_SRC_TRAIN_TRAINING_REPORT_H_
#define DPKIT_SRC_TRAIN_TRAINING_REPORT_H_

#include "absl/status/status.h"
#include "dpkit/train/tabular_release.h"

namespace dpkit::train {

// Writes plan.spec.report_path atomically.
absl::Status WriteTrainingReport(const TabularTrainingPlan& plan,
                                 const TabularTrainingResult& result);

}  // namespace dpkit::train

#endif  // DPKIT_SRC_TRAIN_TRAINING_REPORT_H_
