#include "dpkit/train/tabular_release.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/unit_bounding.h"
#include "dpkit/random/samplers.h"
#include "train/training_report.h"

namespace dpkit::train {
namespace {

// The privacy unit: the spec's, else the schema's; it must be a schema column and no feature.
absl::StatusOr<std::string> ResolveUnit(const TabularTrainingSpec& spec) {
  const std::string& declared = spec.schema.privacy_unit;
  if (!spec.unit.empty() && !declared.empty() && spec.unit != declared) {
    return absl::InvalidArgumentError(absl::StrCat(
        "privacy unit '", spec.unit, "' differs from the schema's privacy_unit '", declared,
        "': use one"));
  }
  const std::string unit = spec.unit.empty() ? declared : spec.unit;
  if (unit.empty()) return unit;
  if (spec.schema.Find(unit) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "privacy unit '", unit, "' is not a column of the schema; declare it there"));
  }
  if (std::find(spec.features.begin(), spec.features.end(), unit) != spec.features.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the privacy unit '", unit, "' cannot be a feature"));
  }
  return unit;
}

// Fails (before any charge) when `path` cannot be written: a probe file is created and removed.
absl::Status CheckWritable(const std::string& path) {
  Env* env = Env::Default();
  const std::string probe = absl::StrCat(path, ".probe.", getpid());
  DPKIT_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, env->NewWritableFile(probe));
  DPKIT_RETURN_IF_ERROR(f->Close());
  return env->DeleteFile(probe);
}

io::CsvReadOptions ReadOptions(const TabularTrainingSpec& spec, int skip_lines,
                               bool private_data) {
  io::CsvReadOptions o;
  o.schema = spec.schema;
  o.has_header = spec.has_header;
  o.skip_lines = skip_lines;
  if (!spec.has_header) o.column_names = spec.schema.ColumnNames();
  o.private_data = private_data;
  return o;
}

// The --test-data rows (the user's evaluation data: read with full diagnostics).
absl::StatusOr<EncodedData> ReadTestData(const TabularTrainingSpec& spec,
                                         const TabularEncoder& encoder) {
  if (spec.test_data.empty()) return EncodedData{};
  DPKIT_ASSIGN_OR_RETURN(io::Table table,
                         io::ReadCsv(spec.test_data, ReadOptions(spec, spec.test_skip_lines, false)));
  return encoder.Encode(table, spec.test_data, EncodeRows::kOwner);
}

std::string TrainingStep(const TabularTrainingPlan& p) {
  const TrainingOptions& o = p.spec.training;
  const TrainingPlan& t = p.training;
  return absl::StrFormat(
      "DP-SGD: model %s (%d parameters), %d epochs x %d steps, Poisson sampling q = %d/%d "
      "(batch size / planned rows, public), %s clipping at %g, vector Gaussian noise on a "
      "2^%d grid, noise multiplier %.4g (effective %.4g), %s accounting: epsilon %.4g at "
      "delta %g",
      p.spec.model, t.noise->dimension(), o.epochs, t.steps_per_epoch, o.batch_size, o.rows,
      o.clipping_mode == ClippingMode::kFlat ? "flat" : "per-layer", o.max_grad_norm,
      static_cast<int>(std::log2(t.noise->granularity())), t.noise_multiplier,
      t.noise->effective_noise_multiplier(), accounting::AccountantKindName(o.accountant),
      t.planned_epsilon, o.delta);
}

release::ReleasePlan MakeReleasePlan(const TabularTrainingPlan& p) {
  const TabularTrainingSpec& s = p.spec;
  release::ReleasePlan r;
  r.operation = absl::StrCat("dpkit train: DP-SGD ", s.model, " on ", s.data, " predicting '",
                             s.target, "' (epsilon ", FormatDouble(s.training.epsilon),
                             ", delta ", FormatDouble(s.training.delta), ")");
  r.budget = {s.dataset, s.unit};
  r.neighbouring = release::NeighbouringRelation(s.unit);
  r.maps = {p.training.privacy};
  r.steps.push_back(absl::StrCat("read ", s.data, " with the schema's types (unparsable cells ",
                                 "are NULL; a NULL in a non-nullable column drops its row)"));
  r.steps.push_back(s.unit.empty()
                        ? std::string("each row is a privacy unit")
                        : absl::StrCat("keep one uniformly random row per '", s.unit,
                                       "' (rows without one are dropped); '", s.unit,
                                       "' is no feature"));
  r.steps.push_back(absl::StrCat(
      "encode ", p.encoder.num_features(), " features from the schema; rows with a null or "
      "undeclared target are dropped"));
  r.steps.push_back(TrainingStep(p));
  if (p.dp_evaluation) {
    r.steps.push_back(p.dp_evaluation->Describe());
    for (const PrivacyMap& m : p.dp_evaluation->privacy_maps()) r.maps.push_back(m);
  }
  if (!s.test_data.empty()) {
    r.steps.push_back(absl::StrCat("after every epoch: loss and accuracy on ", s.test_data, " (",
                                   kTestDataNote, ")"));
  }
  r.steps.push_back(absl::StrCat("write the model ", s.model_path, " and its report ",
                                 s.report_path));
  return r;
}

struct Split {
  io::Table train, holdout;
};

// Each row goes to the holdout with probability `fraction`, independently of every other row.
absl::StatusOr<Split> SplitRows(const io::Table& table, double fraction,
                                random::BitGenerator& gen) {
  if (fraction <= 0) return Split{table, io::Table()};
  std::vector<int64_t> train, holdout;
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    (random::BernoulliDouble(gen, fraction) ? holdout : train).push_back(r);
  }
  Split s;
  DPKIT_ASSIGN_OR_RETURN(s.train, table.TakeRows(train));
  DPKIT_ASSIGN_OR_RETURN(s.holdout, table.TakeRows(holdout));
  return s;
}

// Everything after the charge: read, bound, split, train, evaluate, write.
absl::Status Execute(TabularTrainingPlan& p, random::BitGenerator& gen,
                     const TrainingCallbacks& callbacks, TabularTrainingResult& result) {
  const TabularTrainingSpec& s = p.spec;
  DPKIT_ASSIGN_OR_RETURN(io::Table table,
                         io::ReadCsv(s.data, ReadOptions(s, s.skip_lines, /*private_data=*/true)));
  if (!s.unit.empty()) {
    DPKIT_ASSIGN_OR_RETURN(table, io::BoundRowsPerUnit(table, {.unit = s.unit}, gen));
  }
  DPKIT_ASSIGN_OR_RETURN(Split split, SplitRows(table, s.dp_evaluation.fraction, gen));
  DPKIT_ASSIGN_OR_RETURN(EncodedData train,
                         p.encoder.Encode(split.train, s.data, EncodeRows::kPrivate));
  DPKIT_ASSIGN_OR_RETURN(result.training,
                         RunTraining(p.training, s.training, p.model, train, p.test,
                                     p.encoder.task(), p.encoder.target_scale(), gen, callbacks));
  if (p.dp_evaluation) {
    DPKIT_ASSIGN_OR_RETURN(EncodedData holdout,
                           p.encoder.Encode(split.holdout, s.data, EncodeRows::kPrivate));
    DPKIT_ASSIGN_OR_RETURN(result.dp_metrics, p.dp_evaluation->Evaluate(p.model, holdout, gen));
  }
  DPKIT_RETURN_IF_ERROR(SaveModel(p.model, s.model_path));
  return WriteTrainingReport(p, result);
}

}  // namespace

absl::StatusOr<TabularTrainingPlan> PlanTabularTraining(const TabularTrainingSpec& spec,
                                                        const mechanisms::NoiseFactory& noise) {
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("rows", spec.training.rows, 1));
  TabularTrainingPlan p;
  p.spec = spec;
  DPKIT_ASSIGN_OR_RETURN(p.spec.unit, ResolveUnit(spec));
  p.spec.schema.privacy_unit = p.spec.unit;
  if (p.spec.dataset.empty()) return absl::InvalidArgumentError("dataset (the budget) is required");
  DPKIT_ASSIGN_OR_RETURN(p.encoder, TabularEncoder::Create(p.spec.schema, spec.target,
                                                           spec.features, spec.task));
  DPKIT_ASSIGN_OR_RETURN(p.model,
                         BuildModel(spec.model, p.encoder.num_features(), p.encoder.num_outputs()));
  if (spec.dp_evaluation.fraction != 0 || spec.dp_evaluation.epsilon != 0) {
    DPKIT_ASSIGN_OR_RETURN(p.dp_evaluation,
                           DpEvaluation::Create(spec.dp_evaluation, p.encoder, noise));
  }
  // The training part of the rows: all of them, or those not held out for the DP evaluation.
  p.spec.training.rows = std::max<int64_t>(
      1, std::llround(static_cast<double>(spec.training.rows) * (1 - spec.dp_evaluation.fraction)));
  DPKIT_ASSIGN_OR_RETURN(p.training, PlanTraining(p.spec.training, p.model, noise));
  DPKIT_RETURN_IF_ERROR(CheckWritable(spec.model_path));
  DPKIT_RETURN_IF_ERROR(CheckWritable(spec.report_path));
  DPKIT_ASSIGN_OR_RETURN(p.test, ReadTestData(p.spec, p.encoder));
  p.release = MakeReleasePlan(p);
  return p;
}

absl::StatusOr<TabularTrainingResult> TrainTabular(TabularTrainingPlan& plan,
                                                   release::Charger& charger,
                                                   random::BitGenerator& gen,
                                                   const TrainingCallbacks& callbacks) {
  TabularTrainingResult result;
  DPKIT_ASSIGN_OR_RETURN(result.receipt, charger.Charge(plan.release));
  result.charged = charger.Describe();
  const absl::Status status = Execute(plan, gen, callbacks, result);
  if (!status.ok()) return release::ChargedFailure(status, result.receipt);
  return result;
}

}  // namespace dpkit::train
