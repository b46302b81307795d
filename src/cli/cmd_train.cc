// dpkit train: DP-SGD on a CSV table (classification or regression), calibrated to a target
// (epsilon, delta). Thin: parse arguments, plan the release with dpkit::train (public inputs
// only), open the charger, run train::TrainTabular (charge, then train and write the model and
// its report), print. Built into the dpkit-train executable (the only one that loads LibTorch);
// `dpkit train` runs it (cmd_train_launcher.cc).
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/charger.h"
#include "cli/command.h"
#include "cli/train_command.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/io/dataset_name.h"
#include "dpkit/io/schema.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/train/tabular_release.h"
#include "fmt/format.h"

namespace dpkit::cli {
namespace {

struct TrainArgs {
  std::string data, schema, target, task = "auto", test_data, model = "mlp:64,64";
  std::vector<std::string> features;
  bool no_header = false, per_layer = false, dry_run = false;
  int skip_lines = 0, test_skip_lines = 0, threads = 0;
  int64_t rows = 0, epochs = 5, batch_size = 256, max_physical_batch = 1024;
  double epsilon = 0, delta = 1e-5, clip = 1.0, lr = 0.1, momentum = 0.9;
  double max_noise_multiplier = 50, dp_eval_fraction = 0, dp_eval_epsilon = 0;
  std::string optimizer = "sgd", accountant = "rdp";
  std::string out, report, ledger, dataset, unit;
};

std::string Num(double v) { return fmt::format("{:.4g}", v); }

// `out` with its ".pt" extension (if any) replaced by `suffix`.
std::string Sibling(const std::string& out, const std::string& suffix) {
  std::string base = out;
  if (base.size() > 3 && base.substr(base.size() - 3) == ".pt") base.resize(base.size() - 3);
  return base + suffix;
}

absl::StatusOr<train::TabularTrainingSpec> SpecFromArgs(const TrainArgs& a, bool insecure) {
  train::TabularTrainingSpec s;
  DPKIT_ASSIGN_OR_RETURN(s.schema, io::LoadSchema(a.schema));
  DPKIT_ASSIGN_OR_RETURN(s.task, train::ParseTaskKind(a.task));
  DPKIT_ASSIGN_OR_RETURN(accounting::AccountantKind acc, accounting::ParseAccountantKind(a.accountant));
  if (acc != accounting::AccountantKind::kRdp && acc != accounting::AccountantKind::kPld) {
    return absl::InvalidArgumentError(
        absl::StrCat("--accountant must be rdp or pld for DP-SGD, got '", a.accountant, "'"));
  }
  if (!a.ledger.empty() && a.dataset.empty()) {
    return absl::InvalidArgumentError("--ledger needs --dataset (the dataset's budget name)");
  }
  s.target = a.target;
  s.features = a.features;
  s.unit = a.unit;
  s.model = a.model;
  s.dataset = a.dataset.empty() ? io::DatasetNameFromPath(a.data) : a.dataset;
  s.training = {.epsilon = a.epsilon, .delta = a.delta, .rows = a.rows, .epochs = a.epochs,
                .batch_size = a.batch_size, .max_grad_norm = a.clip,
                .clipping_mode = a.per_layer ? train::ClippingMode::kPerLayer
                                             : train::ClippingMode::kFlat,
                .learning_rate = a.lr, .optimizer = a.optimizer, .momentum = a.momentum,
                .accountant = acc, .max_physical_batch_size = a.max_physical_batch,
                .max_noise_multiplier = a.max_noise_multiplier};
  s.dp_evaluation = {.fraction = a.dp_eval_fraction, .epsilon = a.dp_eval_epsilon};
  s.data = a.data;
  s.has_header = !a.no_header;
  s.skip_lines = a.skip_lines;
  s.test_data = a.test_data;
  s.test_skip_lines = a.test_skip_lines;
  s.model_path = a.out;
  s.report_path = a.report.empty() ? Sibling(a.out, ".report.json") : a.report;
  s.insecure_seed = insecure;
  return s;
}

// The plan in short (public inputs only: printed before the charge).
void PrintPlan(std::ostream& out, const train::TabularTrainingPlan& p) {
  const train::TabularTrainingSpec& s = p.spec;
  const train::TrainingPlan& t = p.training;
  out << "dpkit train: " << train::TaskKindName(p.encoder.task()) << " of '" << s.target << "'";
  if (p.encoder.task() == train::TaskKind::kClassification) {
    out << " (" << p.encoder.num_outputs() << " classes)";
  }
  out << " from " << p.encoder.num_features() << " features, model " << s.model << " ("
      << t.noise->dimension() << " parameters)\n  privacy: (" << Num(s.training.epsilon) << ", "
      << s.training.delta << ")-DP for " << p.release.neighbouring << " ("
      << accounting::AccountantKindName(s.training.accountant) << " accounting)\n  schedule: "
      << s.training.epochs << " epochs x " << t.steps_per_epoch << " steps, q = "
      << s.training.batch_size << "/" << s.training.rows
      << " (batch size / planned training rows, public), noise multiplier "
      << Num(t.noise_multiplier)
      << ", clip " << Num(s.training.max_grad_norm) << "\n";
  if (p.dp_evaluation) out << "  " << p.dp_evaluation->Describe() << "\n";
  if (!s.test_data.empty()) out << "  test data: " << s.test_data << " (" << train::kTestDataNote << ")\n";
}

void PrintEpoch(std::ostream& out, const train::EpochReport& e, const train::TabularTrainingSpec& s) {
  out << "epoch " << e.epoch << "/" << s.training.epochs << ": epsilon spent "
      << Num(e.epsilon_spent) << " of " << Num(s.training.epsilon);
  if (e.test_loss >= 0) {
    out << "; test-data loss " << Num(e.test_loss);
    if (e.test_accuracy >= 0) out << ", accuracy " << fmt::format("{:.4f}", e.test_accuracy);
    if (e.test_rmse >= 0) out << ", rmse " << Num(e.test_rmse);
    out << " (" << train::kTestDataNote << ")";
  }
  out << std::endl;
}

void PrintResult(std::ostream& out, const train::TabularTrainingPlan& p,
                 const train::TabularTrainingResult& r) {
  out << "charged " << r.charged << ", dataset '" << r.receipt.dataset << "', unit "
      << r.receipt.unit << ": spent epsilon " << Num(r.receipt.spent.epsilon) << ", remaining "
      << Num(r.receipt.remaining.epsilon) << "\n";
  if (const auto& m = r.dp_metrics) {
    out << "DP evaluation (released, charged): ";
    if (m->accuracy) out << "accuracy " << fmt::format("{:.4f}", *m->accuracy) << "; ";
    if (m->rmse) out << "rmse " << Num(*m->rmse) << "; ";
    out << "noisy total " << Num(m->total) << " (95% interval [" << Num(m->total_interval.lower)
        << ", " << Num(m->total_interval.upper) << "])\n";
  }
  out << "saved model " << p.spec.model_path << " and report " << p.spec.report_path
      << "; epsilon spent " << Num(r.training.epsilon_spent) << " (delta " << p.spec.training.delta
      << ")\n";
}

void ProgressBar(const train::Progress& p) {
  const int width = 30;
  const int filled = static_cast<int>(width * p.step_in_epoch / p.steps_per_epoch);
  std::string bar(filled, '=');
  bar.resize(width, ' ');
  std::fprintf(stderr, "\repoch %lld/%lld [%s] %3d%%", static_cast<long long>(p.epoch),
               static_cast<long long>(p.epochs), bar.c_str(),
               static_cast<int>(100 * p.step_in_epoch / p.steps_per_epoch));
  if (p.step_in_epoch == p.steps_per_epoch) std::fprintf(stderr, "\r%*s\r", width + 24, "");
  std::fflush(stderr);
}

// --dry-run: the plan, and what charging it would do to a named ledger; spends nothing.
absl::Status DryRun(Context& ctx, const TrainArgs& a, const train::TabularTrainingPlan& plan) {
  ctx.out() << plan.release.ToText();
  if (a.ledger.empty()) return absl::OkStatus();
  DPKIT_ASSIGN_OR_RETURN(auto charger,
                         release::LedgerCharger::OpenExisting(a.ledger, ChargeContextFor(ctx)));
  DPKIT_ASSIGN_OR_RETURN(ledger::ChargePreview preview, charger->Preview(plan.release));
  ctx.out() << "  " << charger->Describe() << ": "
            << (preview.fits ? absl::StrCat("fits; epsilon remaining after it ",
                                            Num(preview.remaining_after.epsilon))
                             : absl::StrCat("would be refused: ", preview.message))
            << "\n";
  return absl::OkStatus();
}

absl::Status Run(Context& ctx, const TrainArgs& a) {
  if (a.threads > 0) torch::set_num_threads(a.threads);
  DPKIT_ASSIGN_OR_RETURN(train::TabularTrainingSpec spec, SpecFromArgs(a, ctx.insecure()));
  DPKIT_ASSIGN_OR_RETURN(train::TabularTrainingPlan plan,
                         train::PlanTabularTraining(spec, mechanisms::SecureNoise()));
  if (a.dry_run) return DryRun(ctx, a, plan);
  const ledger::Budget budget = ledger::Budget::EpsilonDelta(
      spec.training.epsilon + (plan.dp_evaluation ? spec.dp_evaluation.epsilon : 0),
      spec.training.delta);
  DPKIT_ASSIGN_OR_RETURN(auto charger,
                         OpenCharger(ctx, {.ledger = a.ledger,
                                           .new_ledger_path = Sibling(a.out, ".ledger.db"),
                                           .key = plan.release.budget,
                                           .budget = budget,
                                           .accountant = spec.training.accountant}));
  std::ostream& out = ctx.out();
  const bool quiet = ctx.quiet();
  if (!quiet) PrintPlan(out, plan);
  train::TrainingCallbacks callbacks;
  if (!quiet && isatty(STDERR_FILENO)) callbacks.on_step = ProgressBar;
  if (!quiet) callbacks.on_epoch = [&](const train::EpochReport& e) { PrintEpoch(out, e, plan.spec); };
  DPKIT_ASSIGN_OR_RETURN(train::TabularTrainingResult result,
                         train::TrainTabular(plan, *charger, ctx.rng(), callbacks));
  if (!quiet) PrintResult(out, plan, result);
  return absl::OkStatus();
}

Runner Setup(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  app.add_option("--data", a->data, "Training CSV (gzip ok): the private data")->required();
  app.add_option("--schema", a->schema,
                 "Schema JSON: column types, public bounds and categories, privacy_unit "
                 "(required: DP needs public bounds; see docs/train.md)")
      ->required();
  app.add_option("--target", a->target, "Target column")->required();
  app.add_option("--rows", a->rows,
                 "PUBLIC planning size: the number of training rows (units, with a privacy unit) "
                 "to plan for; sets q = batch-size / rows and the steps per epoch. Never read "
                 "from the data (its row count is private); a rough figure is fine")
      ->required();
  app.add_option("--features", a->features, "Feature columns (default: all but the target and unit)")
      ->delimiter(',');
  app.add_option("--task", a->task, "auto, classification or regression")->capture_default_str();
  app.add_flag("--no-header", a->no_header, "The CSV files have no header: names from the schema");
  app.add_option("--skip-lines", a->skip_lines, "Lines to skip at the top of --data");
  app.add_option("--test-data", a->test_data,
                 "Evaluation CSV you designate (same format), e.g. adult.test; its metrics are "
                 "NOT DP and marked so");
  app.add_option("--test-skip-lines", a->test_skip_lines,
                 "Lines to skip at the top of --test-data (1 for adult.test)");
  app.add_option("--dp-eval-fraction", a->dp_eval_fraction,
                 "Hold out this fraction of the private rows and release the final model's "
                 "accuracy (rmse) on them with noise, charged (needs --dp-eval-epsilon)");
  app.add_option("--dp-eval-epsilon", a->dp_eval_epsilon,
                 "Epsilon of the DP evaluation, charged on top of --epsilon");
  app.add_option("--model", a->model, "linear | mlp:H1,H2,...[:relu|tanh|gelu|silu]")
      ->capture_default_str();
  app.add_option("--epsilon", a->epsilon, "Target epsilon of the training")->required();
  app.add_option("--delta", a->delta, "Target delta (< 1/rows)")->capture_default_str();
  app.add_option("--epochs", a->epochs, "Epochs")->capture_default_str();
  app.add_option("--batch-size", a->batch_size, "Expected (Poisson) batch size")
      ->capture_default_str();
  app.add_option("--clip", a->clip, "Per-example gradient L2 bound C")->capture_default_str();
  app.add_flag("--per-layer-clipping", a->per_layer, "Clip each layer to C/sqrt(#layers)");
  app.add_option("--lr", a->lr, "Learning rate")->capture_default_str();
  app.add_option("--optimizer", a->optimizer, "sgd or adam")->capture_default_str();
  app.add_option("--momentum", a->momentum, "SGD momentum")->capture_default_str();
  app.add_option("--accountant", a->accountant, "rdp or pld")->capture_default_str();
  app.add_option("--max-physical-batch-size", a->max_physical_batch,
                 "Largest chunk processed at once (memory bound; virtual steps)")
      ->capture_default_str();
  app.add_option("--max-noise-multiplier", a->max_noise_multiplier,
                 "Refuse settings that need more noise than this")
      ->capture_default_str();
  app.add_option("--out", a->out, "Model file (torch::save)")->required();
  app.add_option("--report", a->report, "JSON report (default: <out>.report.json)");
  app.add_option("--ledger", a->ledger,
                 "Ledger to charge (created by `dpkit budget init`); default: a NEW ledger "
                 "<out>.ledger.db holding exactly this release's budget");
  app.add_option("--dataset", a->dataset,
                 "Dataset name of the budget (default for a new ledger: the data file's name)");
  app.add_option("--unit", a->unit,
                 "Privacy unit column (default: the schema's privacy_unit, else rows): one "
                 "random row per unit is kept");
  app.add_flag("--dry-run", a->dry_run, "Print the release plan; charge and train nothing");
  app.add_option("--threads", a->threads, "torch intra-op threads (default: torch's)");
  return [a](Context& ctx) { return Run(ctx, *a); };
}

DPKIT_CLI_COMMAND("train", kTrainDescription, Setup);

}  // namespace
}  // namespace dpkit::cli
