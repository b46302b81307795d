#include "dpkit/publish/publish.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/publish/estimate.h"
#include "publish/data_tables.h"
#include "publish/error_bars.h"
#include "publish/measure.h"
#include "publish/outputs.h"

namespace dpkit::publish {
namespace {

ledger::Budget SpecBudget(const PublicationSpec& spec) {
  return spec.budget.rho ? ledger::Budget::Rho(*spec.budget.rho)
                         : ledger::Budget::EpsilonDelta(spec.budget.epsilon, spec.budget.delta);
}

// The ledger named by the user (never created or extended), or a new one in the output folder.
absl::StatusOr<std::unique_ptr<release::LedgerCharger>> OpenCharger(const PublicationPlan& plan,
                                                                    const PublishOptions& options,
                                                                    std::string* path) {
  if (!options.ledger.empty()) {
    *path = options.ledger;
    return release::LedgerCharger::OpenExisting(options.ledger, options.charge_context);
  }
  *path = absl::StrCat(options.out_dir, "/ledger.db");
  DPKIT_ASSIGN_OR_RETURN(
      auto charger,
      release::LedgerCharger::CreateNew(*path, plan.release.budget, SpecBudget(plan.spec),
                                        accounting::AccountantKind::kZcdp, options.charge_context));
  if (options.notice) {
    options.notice(absl::StrCat("NOTICE: no --ledger given: created a NEW ledger ", *path,
                                " holding one budget of ", SpecBudget(plan.spec).ToString(),
                                " for dataset '", plan.release.budget.dataset, "', unit ",
                                plan.release.budget.LedgerUnit(),
                                ". Charge every later release of this data to it (--ledger ", *path,
                                "), or its budget means nothing."));
  }
  return charger;
}

// Step 3: everything that touches the data, after the charge.
absl::StatusOr<std::vector<std::string>> Execute(const PublicationPlan& plan,
                                                 const PublishOptions& options,
                                                 const ledger::Receipt& receipt,
                                                 const std::string& ledger_path,
                                                 random::BitGenerator& gen, Env* env) {
  DPKIT_ASSIGN_OR_RETURN(std::unique_ptr<TopDownEstimator> estimator,
                         TopDownEstimator::Create(plan));
  DPKIT_ASSIGN_OR_RETURN(TableSet exact, CountTables(plan, options.data, gen, env));
  const TableSet noisy = Measure(plan, exact, gen);
  exact = TableSet();  // the exact counts are private and not needed again
  DPKIT_ASSIGN_OR_RETURN(const TableSet released, estimator->Estimate(noisy));
  DPKIT_ASSIGN_OR_RETURN(const ErrorBars bars, SimulateErrorBars(plan, *estimator, released, gen));
  const ReleaseRecord record{receipt, ledger_path, options.charge_context.insecure_seed};
  return WriteOutputs(plan, released, bars, record, options.out_dir, env);
}

absl::Status CheckOptions(const PublishOptions& options) {
  if (options.dry_run) return absl::OkStatus();
  if (options.data.empty()) return absl::InvalidArgumentError("--data (the CSV file) is required");
  if (options.out_dir.empty()) return absl::InvalidArgumentError("--out (a folder) is required");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PublishResult> Publish(const PublicationSpec& spec, const PublishOptions& options,
                                      const mechanisms::NoiseFactory& noise,
                                      random::BitGenerator& gen, Env* env) {
  DPKIT_RETURN_IF_ERROR(CheckOptions(options));
  const std::string dataset = options.dataset.empty() ? spec.dataset : options.dataset;
  if (dataset.empty()) {
    return absl::InvalidArgumentError(
        "name the dataset whose budget is charged: --dataset NAME (or \"dataset\" in the spec)");
  }
  // 1. Plan, from the spec only.
  DPKIT_ASSIGN_OR_RETURN(const PublicationPlan plan, PlanPublication(spec, dataset, noise));
  PublishResult result;
  result.plan_text = plan.ToText();
  // Public checks: the header (no person's record) and, for a dry run, the ledger's view.
  if (!options.data.empty()) DPKIT_RETURN_IF_ERROR(CheckDataHeader(spec, options.data, env));
  if (options.dry_run) {
    if (options.ledger.empty()) return result;
    DPKIT_ASSIGN_OR_RETURN(
        auto charger, release::LedgerCharger::OpenExisting(options.ledger, options.charge_context));
    DPKIT_ASSIGN_OR_RETURN(result.preview, charger->Preview(plan.release));
    result.ledger_path = options.ledger;
    return result;
  }
  DPKIT_RETURN_IF_ERROR(env->CreateDirs(options.out_dir));
  // 2. Charge, once.
  DPKIT_ASSIGN_OR_RETURN(auto charger, OpenCharger(plan, options, &result.ledger_path));
  DPKIT_ASSIGN_OR_RETURN(result.receipt, charger->Charge(plan.release));
  // 3. Execute.
  absl::StatusOr<std::vector<std::string>> files =
      Execute(plan, options, *result.receipt, result.ledger_path, gen, env);
  if (!files.ok()) return release::ChargedFailure(files.status(), *result.receipt);
  result.files = std::move(*files);
  return result;
}

}  // namespace dpkit::publish
