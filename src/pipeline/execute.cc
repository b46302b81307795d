// Step 3 of the pipeline: everything after the charge. Only DP values and public inputs reach
// the progress lines, the notes and the files outside owner/.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/io/csv.h"
#include "dpkit/synth/hierarchy.h"
#include "pipeline/execution.h"

namespace dpkit::pipeline {
namespace {

using internal::Role;

void Say(const Execution& run, const std::string& line) {
  if (run.o.progress) run.o.progress(line);
}

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint64_t HashText(const std::string& s, uint64_t salt) {
  uint64_t h = 0xcbf29ce484222325ull ^ salt;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return Mix(h);
}

// Units (or rows) split at random into a training part and a holdout for the report's attacks:
// a salted hash of the unit's text, so all rows of a unit land on the same side.
void SplitUnits(const Execution& run, uint64_t salt, std::vector<int64_t>* train,
                std::vector<int64_t>* holdout) {
  const io::Column* unit =
      run.roles.unit.empty() ? nullptr : *run.raw.ColumnByName(run.roles.unit);
  for (int64_t r = 0; r < run.raw.num_rows(); ++r) {
    const uint64_t h = unit != nullptr
                           ? HashText(unit->IsNull(r) ? std::string() : unit->StringAt(r), salt)
                           : Mix(salt ^ static_cast<uint64_t>(r));
    const bool hold = static_cast<double>(h >> 11) * 0x1.0p-53 < run.o.holdout_fraction;
    (hold ? holdout : train)->push_back(r);
  }
}

absl::Status GeneraliseZips(Execution& run) {
  for (const std::string& name : run.roles.Names(Role::kModelZip3)) {
    const io::Column& c = *run.typed.ColumnByName(name).value();
    std::vector<std::string> vals(static_cast<size_t>(c.size()));
    std::vector<uint8_t> valid(static_cast<size_t>(c.size()), 1);
    for (int64_t r = 0; r < c.size(); ++r) {
      if (c.IsNull(r)) {
        valid[r] = 0;
      } else {
        vals[r] = internal::GeneraliseZip(c.StringAt(r));
      }
    }
    DPKIT_RETURN_IF_ERROR(run.typed.ReplaceColumn(io::Column::String(name, vals, valid)));
  }
  return absl::OkStatus();
}

// The training rows, without rows that have a NULL in a column declared non-nullable (a
// per-row rule, as io::CsvReadOptions::private_data applies it).
absl::StatusOr<io::Table> TrainingTable(const Execution& run, const std::vector<int64_t>& rows) {
  std::vector<int64_t> keep;
  for (int64_t r : rows) {
    bool ok = true;
    for (const io::ColumnSchema& c : run.parts.training_schema.columns) {
      if (!c.nullable && run.typed.ColumnByName(c.name).value()->IsNull(r)) ok = false;
    }
    if (ok) keep.push_back(r);
  }
  return run.typed.TakeRows(keep);
}

absl::StatusOr<int64_t> DpRowCount(Execution& run, const io::Table& train) {
  if (run.o.rows > 0) return run.o.rows;
  analytics::ExecutionOptions ex;
  ex.rng = &run.rng;
  ex.noise = &run.noise;
  DPKIT_ASSIGN_OR_RETURN(analytics::QueryResult r,
                         analytics::ExecuteQuery(train, run.parts.training_schema,
                                                 run.parts.count_spec, run.receipt, ex));
  return std::max<int64_t>(1, std::llround(r.rows[0].values[0].value));
}

// DP bounds into the synthesizer's plan; a column whose bounds the noise hides (the failure is
// itself a DP outcome) is left out of the synthetic table.
absl::Status DpBounds(Execution& run, const io::Table& train) {
  for (const std::string& name : run.parts.bounds_columns) {
    auto b = analytics::ApproximateBounds(train, name, run.parts.bounds_options, run.rng);
    auto& cols = run.parts.synth.columns;
    auto plan = std::find_if(cols.begin(), cols.end(),
                             [&](const synth::ColumnPlan& c) { return c.name == name; });
    if (b.ok()) {
      // Post-processing: widened to include 0 (money, counts and ages start there; a positive
      // DP lower bound would clamp the small values up).
      b->lower = std::min(b->lower, 0.0);
      b->upper = std::max(b->upper, 0.0);
      plan->lower = b->lower;
      plan->upper = b->upper;
      run.res.notes.push_back(absl::StrCat("bounds of '", name, "' found privately: [",
                                           FormatDouble(b->lower), ", ",
                                           FormatDouble(b->upper), "]"));
      continue;
    }
    if (b.status().code() != absl::StatusCode::kFailedPrecondition) return b.status();
    cols.erase(plan);
    for (internal::ColumnRole& r : run.roles.columns) {
      if (r.name == name) r.role = Role::kDrop;
    }
    run.res.notes.push_back(absl::StrCat("column '", name,
                                         "' left out: its DP bounds did not stand out from the "
                                         "noise (declare public bounds in the schema)"));
  }
  if (run.parts.synth.columns.empty()) {
    return absl::FailedPreconditionError("no column left to synthesise (no DP bounds found)");
  }
  return absl::OkStatus();
}

absl::StatusOr<io::Table> SyntheticTable(Execution& run, const synth::Synthesizer& model,
                                         int64_t rows) {
  DPKIT_ASSIGN_OR_RETURN(io::Table sampled, model.Sample(rows, run.rng));
  DPKIT_RETURN_IF_ERROR(internal::PostProcess(run.o, model, rows, run.rng, &sampled));
  DPKIT_ASSIGN_OR_RETURN(sampled, synth::SplitHierarchies(run.parts.training_schema, sampled));
  DPKIT_RETURN_IF_ERROR(
      internal::AddDerivedColumns(run.parts.derived, run.roles, run.res.notes, &sampled));
  return internal::AssembleSynthetic(run.header, run.roles, sampled, rows, run.rng);
}

void RecordColumns(Execution& run) {
  run.res.synthesized_columns = run.roles.Modelled();
  run.res.faked_columns = run.roles.Names(Role::kFake);
  run.res.dropped_columns = run.roles.Names(Role::kDrop);
}

}  // namespace

absl::Status Execute(Execution& run) {
  Say(run, "[3/6] PII replacement into the data-owner folder (not DP: keep it private)");
  DPKIT_RETURN_IF_ERROR(WriteOwnerPii(run));
  DPKIT_RETURN_IF_ERROR(GeneraliseZips(run));
  std::vector<int64_t> train_rows, holdout_rows;
  SplitUnits(run, run.rng.NextU64(), &train_rows, &holdout_rows);
  DPKIT_ASSIGN_OR_RETURN(io::Table train, TrainingTable(run, train_rows));
  Say(run, "[4/6] DP row count and DP bounds");
  DPKIT_ASSIGN_OR_RETURN(const int64_t rows, DpRowCount(run, train));
  DPKIT_RETURN_IF_ERROR(DpBounds(run, train));
  Say(run, absl::StrCat("[5/6] fitting ", run.o.method, " on ", run.parts.synth.columns.size(),
                        " columns; sampling ", rows, " rows"));
  // Row by row from the public hierarchies (synth/hierarchy.h): neighbours stay neighbours.
  DPKIT_ASSIGN_OR_RETURN(io::Table combined,
                         synth::CombineHierarchies(run.parts.training_schema, train));
  DPKIT_ASSIGN_OR_RETURN(synth::Synthesizer model,
                         synth::Synthesizer::Fit(run.parts.synth, combined, run.noise, run.rng));
  DPKIT_ASSIGN_OR_RETURN(io::Table synthetic, SyntheticTable(run, model, rows));
  RecordColumns(run);
  run.res.synthetic_rows = rows;
  DPKIT_RETURN_IF_ERROR(io::WriteCsv(synthetic, run.paths.synthetic, {}, run.env));
  Say(run, "[6/6] evaluation report (data owner) and privacy statement");
  DPKIT_RETURN_IF_ERROR(WriteReport(run, train_rows, holdout_rows, synthetic, model));
  DPKIT_RETURN_IF_ERROR(WritePrivacyJson(run));
  return WriteSummary(run, model);
}

}  // namespace dpkit::pipeline
