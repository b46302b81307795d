#include "dpkit/pipeline/pipeline.h"

#include <algorithm>
#include <ctime>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/dataset_name.h"
#include "dpkit/io/schema.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/pii/operators.h"
#include "dpkit/pii/replace.h"
#include "dpkit/synth/synthesizer.h"
#include "pipeline/internal.h"
#include "pipeline/execution.h"

namespace dpkit::pipeline {
namespace {

using internal::ColumnRoles;
using internal::ReleaseParts;
using internal::Role;

// Everything decided before touching the data (public inputs and the ledger's records).
struct Planned {
  io::Schema schema;
  pii::Policy policy = pii::Policy::Default();
  std::vector<std::string> header;
  std::string dataset;
  ColumnRoles roles;
  ReleaseParts parts;
  std::unique_ptr<release::LedgerCharger> named_ledger;  // when options.ledger is given
};

absl::StatusOr<std::vector<std::string>> ReadHeader(const std::string& path, Env* env) {
  io::CsvReadOptions ro;
  ro.private_data = true;
  ro.max_rows = 0;
  DPKIT_ASSIGN_OR_RETURN(io::Table head, io::ReadCsv(path, ro, env));
  return head.ColumnNames();
}

// --privacy-unit, else the schema's, else the unit the named ledger budgets the dataset by
// (public: the ledger's records), else rows.
absl::StatusOr<std::string> ResolveUnit(const PipelineOptions& o, const Planned& p) {
  if (!o.privacy_unit.empty()) return o.privacy_unit;
  if (!p.schema.privacy_unit.empty()) return p.schema.privacy_unit;
  if (p.named_ledger == nullptr) return std::string();
  absl::StatusOr<std::string> unit = p.named_ledger->BudgetedUnit(p.dataset);
  if (unit.ok() || unit.status().code() == absl::StatusCode::kNotFound) {
    return unit.ok() ? *unit : std::string();  // NotFound: the charge says which budget is missing
  }
  return unit.status();
}

absl::StatusOr<Planned> Plan(const PipelineOptions& o, Env* env) {
  Planned p;
  if (!o.schema.empty()) {
    DPKIT_ASSIGN_OR_RETURN(p.schema, io::LoadSchema(o.schema, env));
  }
  if (!o.policy.empty()) {
    DPKIT_ASSIGN_OR_RETURN(p.policy, pii::Policy::Load(o.policy, env));
  }
  DPKIT_ASSIGN_OR_RETURN(p.header, ReadHeader(o.data, env));
  p.dataset = o.dataset.empty() ? io::DatasetNameFromPath(o.data) : o.dataset;
  if (!o.ledger.empty()) {
    DPKIT_ASSIGN_OR_RETURN(p.named_ledger, release::LedgerCharger::OpenExisting(
                                               o.ledger, {.insecure_seed = o.insecure_seed}));
  }
  DPKIT_ASSIGN_OR_RETURN(std::string unit, ResolveUnit(o, p));
  DPKIT_ASSIGN_OR_RETURN(p.roles, internal::PlanColumnRoles(p.header, p.schema, unit));
  if (!o.target.empty()) {
    const std::vector<std::string> modelled = p.roles.Modelled();
    if (std::find(modelled.begin(), modelled.end(), o.target) == modelled.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "target column '", o.target, "' is not among the synthesised columns (",
          absl::StrJoin(modelled, ", "), ")"));
    }
  }
  DPKIT_ASSIGN_OR_RETURN(p.parts, internal::PlanRelease(o, p.roles, p.schema, p.dataset));
  return p;
}

// The named ledger, or a new one in the output folder holding exactly this release.
absl::StatusOr<std::unique_ptr<release::LedgerCharger>> Charger(const PipelineOptions& o,
                                                                Planned& p, const Paths& paths,
                                                                PipelineResult& res) {
  if (p.named_ledger != nullptr) return std::move(p.named_ledger);
  DPKIT_ASSIGN_OR_RETURN(
      auto charger,
      release::LedgerCharger::CreateNew(paths.ledger, p.parts.release.budget,
                                        ledger::Budget::EpsilonDelta(o.epsilon, o.delta),
                                        accounting::AccountantKind::kBasic,
                                        {.insecure_seed = o.insecure_seed}));
  res.notes.push_back(absl::StrCat(
      "no ledger given: created a NEW ledger ", paths.ledger, " holding exactly this release (",
      "epsilon=", FormatDouble(o.epsilon), ", delta=", FormatDouble(o.delta),
      "); pass it (or a ledger from `dpkit budget init`) to every later release of this data"));
  return charger;
}

// The raw text table (PII replacement, the report) and the typed training table (modelled
// columns under the training schema). Read before the charge: structure only, nothing shown.
// Every column is read as nullable so both tables keep the same rows; rows with a NULL in a
// column declared non-nullable are dropped from the training part later.
struct Data {
  io::Table raw;
  io::Table typed;
};
absl::StatusOr<Data> ReadData(const PipelineOptions& o, const ReleaseParts& parts, Env* env) {
  Data d;
  io::CsvReadOptions ro;
  ro.private_data = true;
  if (!parts.training_schema.null_tokens.empty()) ro.null_tokens = parts.training_schema.null_tokens;
  DPKIT_ASSIGN_OR_RETURN(d.raw, io::ReadCsv(o.data, ro, env));
  io::Schema nullable = parts.training_schema;
  for (io::ColumnSchema& c : nullable.columns) c.nullable = true;
  ro.schema = nullable;
  ro.select_columns = nullable.ColumnNames();
  DPKIT_ASSIGN_OR_RETURN(d.typed, io::ReadCsv(o.data, ro, env));
  return d;
}

void Say(const PipelineOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

}  // namespace

absl::StatusOr<PipelineResult> RunPipeline(const PipelineOptions& o, random::BitGenerator& rng,
                                           Env* env, const mechanisms::NoiseFactory& noise) {
  DPKIT_RETURN_IF_ERROR(o.Validate());
  PipelineResult res;
  const Paths paths = PathsFor(o.out_dir, o.ledger);
  Say(o, "[1/6] planning from public inputs (schema, header, options)");
  DPKIT_ASSIGN_OR_RETURN(Planned p, Plan(o, env));
  res.plan = p.parts.release;
  res.privacy_unit = p.parts.release.budget.LedgerUnit();
  res.notes = p.roles.notes;
  for (const std::string& n : p.parts.synth.notes) res.notes.push_back(n);
  if (o.dry_run) return res;

  DPKIT_RETURN_IF_ERROR(env->CreateDirs(paths.owner));
  DPKIT_ASSIGN_OR_RETURN(auto charger, Charger(o, p, paths, res));
  DPKIT_ASSIGN_OR_RETURN(Data data, ReadData(o, p.parts, env));
  Say(o, absl::StrCat("[2/6] charging epsilon=", FormatDouble(o.epsilon), " delta=",
                      FormatDouble(o.delta), " to ", charger->Describe(), " (dataset '",
                      p.dataset, "', unit ", res.privacy_unit, ")"));
  DPKIT_ASSIGN_OR_RETURN(ledger::Receipt receipt, charger->Charge(p.parts.release));
  absl::StatusOr<std::vector<ledger::ChargeRecord>> history =
      charger->ledger().History(receipt.dataset, receipt.unit);
  if (!history.ok()) return release::ChargedFailure(history.status(), receipt);
  Execution run{o, paths, p.header, p.policy, p.roles, p.parts, std::move(data.raw),
                std::move(data.typed), receipt, *std::move(history), rng, env, noise, res};
  absl::Status executed = Execute(run);
  if (!executed.ok()) return release::ChargedFailure(executed, receipt);
  return res;
}

}  // namespace dpkit::pipeline
