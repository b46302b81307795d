// Internal: the pipeline's steps (see dpkit/pipeline/pipeline.h). Planning functions read
// public inputs only; execution functions run after the charge.
#ifndef DPKIT_SRC_PIPELINE_INTERNAL_H_
#define DPKIT_SRC_PIPELINE_INTERNAL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/analytics/bounds.h"
#include "dpkit/analytics/query.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"
#include "dpkit/pii/entity.h"
#include "dpkit/pipeline/pipeline.h"
#include "dpkit/release/release.h"
#include "dpkit/synth/plan.h"
#include "dpkit/synth/synthesizer.h"

namespace dpkit::pipeline::internal {

// ---- Plan: column roles (column_roles.cc) ----
enum class Role {
  kModel,      // synthesised with its schema type (undeclared: text)
  kModelZip3,  // a postal code, synthesised as its first three digits ("53703" -> "537**")
  kFake,       // a direct identifier: fresh fake values, never modelled
  kDrop,       // free text: not in the synthetic output
  kDerive,     // schema "derived": computed from the synthetic dates, never modelled
};
struct ColumnRole {
  std::string name;
  Role role = Role::kModel;
  pii::EntityType entity = pii::EntityType::kNone;  // kFake: the fake's type
};
struct ColumnRoles {
  std::string unit;  // "" = rows are units
  std::vector<ColumnRole> columns;  // every header column except the unit, in header order
  std::vector<std::string> notes;   // public defaults taken
  std::vector<std::string> Names(Role role) const;
  // Modelled columns (kModel and kModelZip3), in header order.
  std::vector<std::string> Modelled() const;
};
// From the header and the schema's "derived" and "pii" keys, else the header names alone.
// InvalidArgument when a derived column's date column is not a modelled column of the header.
absl::StatusOr<ColumnRoles> PlanColumnRoles(const std::vector<std::string>& header,
                                            const io::Schema& schema, const std::string& unit);
// "53703" -> "537**".
std::string GeneraliseZip(const std::string& zip);

// ---- Plan: the release (release_plan.cc) ----
struct ReleaseParts {
  io::Schema training_schema;  // modelled columns (+ unit): declared types, zip3 as text
  analytics::QuerySpec count_spec;
  analytics::ApproximateBoundsOptions bounds_options;
  std::vector<std::string> bounds_columns;  // numeric columns declared without bounds or bins
  std::vector<io::ColumnSchema> derived;    // kDerive columns, in header order
  synth::SynthPlan synth;
  release::ReleasePlan release;
};
absl::StatusOr<ReleaseParts> PlanRelease(const PipelineOptions& o, const ColumnRoles& roles,
                                         const io::Schema& schema, const std::string& dataset);

// ---- Execute: the synthetic table (synthetic_table.cc) ----
// Post-processing of the sampled table: noise-level null rates filled, doubles rounded.
absl::Status PostProcess(const PipelineOptions& o, const synth::Synthesizer& model, int64_t rows,
                         random::BitGenerator& rng, io::Table* sampled);
// `sampled` with each derived column added, computed from its synthetic dates (post-processing,
// synth/derived_columns.h); one whose date column was left out is left out too (role kDrop, a
// note).
absl::Status AddDerivedColumns(const std::vector<io::ColumnSchema>& derived, ColumnRoles& roles,
                               std::vector<std::string>& notes, io::Table* sampled);
// The output table in header order: a fresh id per row for the unit, fresh fakes, modelled
// columns; dropped columns left out.
absl::StatusOr<io::Table> AssembleSynthetic(const std::vector<std::string>& header,
                                            const ColumnRoles& roles, const io::Table& sampled,
                                            int64_t rows, random::BitGenerator& rng);

}  // namespace dpkit::pipeline::internal

#endif  // DPKIT_SRC_PIPELINE_INTERNAL_H_
