// dpkit train: DP-SGD on a CSV table (classification or regression), calibrated to a target
// (epsilon, delta), charged to the ledger before training, saved with torch::save plus a JSON
// training report. Thin: parse arguments, call dpkit::train / io / ledger, print.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/schema.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/random/samplers.h"
#include "dpkit/train/privacy.h"
#include "dpkit/train/tabular.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace dpkit::cli {
namespace {

struct TrainArgs {
  std::string data;
  std::string schema;
  std::string target;
  std::vector<std::string> features;
  std::string task = "auto";
  bool no_header = false;
  int skip_lines = 0;
  std::string test_data;
  int test_skip_lines = 0;
  double holdout = -1;
  std::string model = "mlp:64,64";
  double epsilon = 0;
  double delta = 1e-5;
  int64_t epochs = 5;
  int64_t batch_size = 256;
  double clip = 1.0;
  bool per_layer = false;
  double lr = 0.1;
  std::string optimizer = "sgd";
  double momentum = 0.9;
  std::string accountant = "rdp";
  int64_t max_physical_batch = 1024;
  double max_noise_multiplier = 50;
  std::string out;
  std::string report;
  std::string ledger;
  std::string dataset;
  std::string unit;
  int threads = 0;
};

std::string Num(double v) { return fmt::format("{:.4g}", v); }

absl::StatusOr<io::Table> Read(const std::string& path, const io::Schema& schema, bool no_header,
                               int skip_lines) {
  io::CsvReadOptions o;
  o.schema = schema;
  o.has_header = !no_header;
  o.skip_lines = skip_lines;
  if (no_header) o.column_names = schema.ColumnNames();
  o.num_threads = 1;
  return io::ReadCsv(path, o);
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

absl::Status Run(Context& ctx, const TrainArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  if (a.threads > 0) torch::set_num_threads(a.threads);
  DPKIT_ASSIGN_OR_RETURN(train::TaskKind task, train::ParseTaskKind(a.task));
  DPKIT_ASSIGN_OR_RETURN(accounting::AccountantKind acc, accounting::ParseAccountantKind(a.accountant));
  if (acc != accounting::AccountantKind::kRdp && acc != accounting::AccountantKind::kPld) {
    return absl::InvalidArgumentError(
        absl::StrCat("--accountant must be rdp or pld for DP-SGD, got '", a.accountant, "'"));
  }
  if (!a.ledger.empty() && a.dataset.empty()) {
    return absl::InvalidArgumentError("--ledger needs --dataset (the dataset's budget name)");
  }
  if (a.holdout >= 1 || (a.holdout < 0 && a.holdout != -1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--holdout must be in [0, 1), got ", FormatDouble(a.holdout)));
  }
  DPKIT_ASSIGN_OR_RETURN(io::Schema schema, io::LoadSchema(a.schema));
  if (!a.unit.empty()) {
    if (schema.Find(a.unit) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--unit '", a.unit, "' is not a column of the schema; declare it in ", a.schema));
    }
    if (schema.privacy_unit.empty()) schema.privacy_unit = a.unit;  // never a feature
  }
  DPKIT_ASSIGN_OR_RETURN(
      train::TabularEncoder enc,
      train::TabularEncoder::Create(schema, a.target, a.features, task));
  DPKIT_ASSIGN_OR_RETURN(io::Table table, Read(a.data, schema, a.no_header, a.skip_lines));
  // DP-SGD protects one training row. With a privacy unit (--unit), keep one uniformly random
  // row per unit (rows without a unit are dropped), so that one unit is one row and the
  // row-level guarantee is a unit-level one (contribution bounding, as for queries).
  int64_t unit_dropped = 0;
  if (!a.unit.empty()) {
    auto ucol = table.ColumnByName(a.unit);
    if (!ucol.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--unit '", a.unit, "' is not a column of the schema; declare it in ", a.schema));
    }
    absl::flat_hash_map<std::string, std::pair<int64_t, int64_t>> pick;  // unit -> (row, seen)
    for (int64_t r = 0; r < table.num_rows(); ++r) {
      if ((*ucol)->IsNull(r)) continue;
      auto& [row, seen] = pick[(*ucol)->FormatValue(r)];
      ++seen;
      // Reservoir sampling of one row per unit: row r replaces with probability 1/seen.
      if (seen == 1 || random::UniformUint64(ctx.rng(), static_cast<uint64_t>(seen)) == 0) row = r;
    }
    std::vector<int64_t> keep;
    keep.reserve(pick.size());
    for (const auto& [u, rs] : pick) keep.push_back(rs.first);
    std::sort(keep.begin(), keep.end());
    unit_dropped = table.num_rows() - static_cast<int64_t>(keep.size());
    DPKIT_ASSIGN_OR_RETURN(table, table.TakeRows(keep));
  }
  DPKIT_ASSIGN_OR_RETURN(train::EncodedData all, enc.Encode(table, a.data));

  // Training / evaluation rows.
  train::EncodedData train_set, eval_set;
  const double holdout = a.holdout >= 0 ? a.holdout : (a.test_data.empty() ? 0.2 : 0.0);
  std::string eval_source;
  if (!a.test_data.empty()) {
    DPKIT_ASSIGN_OR_RETURN(io::Table test, Read(a.test_data, schema, a.no_header, a.test_skip_lines));
    DPKIT_ASSIGN_OR_RETURN(eval_set, enc.Encode(test, a.test_data));
    eval_source = a.test_data;
  }
  if (holdout > 0) {
    // A uniformly random split (Fisher-Yates); which rows are held out is not released.
    const int64_t n = all.x.size(0);
    std::vector<int64_t> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    for (int64_t i = n - 1; i > 0; --i) {
      std::swap(perm[i], perm[random::UniformUint64(ctx.rng(), static_cast<uint64_t>(i + 1))]);
    }
    const int64_t n_eval = static_cast<int64_t>(holdout * n);
    auto idx = torch::from_blob(perm.data(), {n}, torch::kLong);
    auto ev = idx.slice(0, 0, n_eval), tr = idx.slice(0, n_eval, n);
    if (eval_source.empty()) {
      eval_set = {all.x.index_select(0, ev), all.y.index_select(0, ev), 0};
      eval_source = absl::StrCat("held-out ", Num(holdout * 100), "% of ", a.data);
    }
    train_set = {all.x.index_select(0, tr), all.y.index_select(0, tr), all.dropped_rows};
  } else {
    train_set = all;
  }
  const int64_t n_train = train_set.x.size(0);

  train::TrainingOptions opts{.epsilon = a.epsilon,
                              .delta = a.delta,
                              .epochs = a.epochs,
                              .batch_size = a.batch_size,
                              .max_grad_norm = a.clip,
                              .clipping_mode = a.per_layer ? train::ClippingMode::kPerLayer
                                                           : train::ClippingMode::kFlat,
                              .learning_rate = a.lr,
                              .optimizer = a.optimizer,
                              .momentum = a.momentum,
                              .accountant = acc,
                              .max_physical_batch_size = a.max_physical_batch,
                              .max_noise_multiplier = a.max_noise_multiplier};
  DPKIT_ASSIGN_OR_RETURN(train::TrainingPlan plan, train::PlanTraining(opts, n_train));
  DPKIT_ASSIGN_OR_RETURN(torch::nn::Sequential model,
                         train::BuildModel(a.model, enc.num_features(), enc.num_outputs()));

  std::ostream& out = ctx.out();
  const bool quiet = ctx.quiet();
  if (!quiet) {
    out << "dpkit train: " << n_train << " training rows (" << all.dropped_rows
        << " dropped: null target), " << enc.num_features() << " features, "
        << train::TaskKindName(enc.task()) << " of '" << a.target << "'";
    if (enc.task() == train::TaskKind::kClassification) {
      out << " (" << enc.num_outputs() << " classes)";
    }
    out << "\n  model " << a.model << "; q = " << Num(plan.sampling_rate) << " ("
        << a.batch_size << "/" << n_train << "), " << plan.steps << " steps ("
        << plan.steps_per_epoch << "/epoch), noise multiplier " << Num(plan.noise_multiplier)
        << ", clip " << Num(a.clip) << "\n  privacy: (" << Num(a.epsilon) << ", " << a.delta
        << ")-DP for adding/removing one "
        << (a.unit.empty() ? std::string("training row")
                           : absl::StrCat(a.unit, " (one row kept per ", a.unit, "; ",
                                          unit_dropped, " other rows dropped)"))
        << " (" << a.accountant << " accounting)\n";
    if (!eval_source.empty()) out << "  evaluation on " << eval_source << " (not DP-protected)\n";
  }
  // Ledger: charge the whole run before the first step.
  std::unique_ptr<ledger::Ledger> ledger;
  std::optional<ledger::Receipt> receipt;
  if (!a.ledger.empty()) {
    DPKIT_ASSIGN_OR_RETURN(ledger, ledger::Ledger::Open(a.ledger, {.create_if_missing = false}));
  }
  const std::string operation =
      absl::StrCat("dpkit train --data ", a.data, " --target ", a.target, " --model ", a.model,
                   " --epsilon ", Num(a.epsilon), " --epochs ", a.epochs);
  auto charge = [&](const PrivacyMap& map) -> absl::Status {
    if (!ledger) return absl::OkStatus();
    DPKIT_ASSIGN_OR_RETURN(ledger::Receipt r, ledger->Charge(a.dataset, a.unit, {map}, operation));
    receipt = r;
    if (!quiet) {
      out << "  charged ledger " << a.ledger << " dataset '" << a.dataset << "': spent epsilon "
          << Num(r.spent.epsilon) << ", remaining " << Num(r.remaining.epsilon) << "\n";
    }
    return absl::OkStatus();
  };
  const bool tty = !quiet && isatty(STDERR_FILENO);
  auto on_epoch = [&](const train::EpochReport& e) {
    if (quiet) return;
    out << "epoch " << e.epoch << "/" << a.epochs << ": ";
    if (e.eval_loss >= 0) {
      out << "eval loss " << Num(e.eval_loss);
      if (e.eval_accuracy >= 0) out << ", accuracy " << fmt::format("{:.4f}", e.eval_accuracy);
      if (e.eval_rmse >= 0) out << ", rmse " << Num(e.eval_rmse);
      out << ", ";
    }
    out << "epsilon spent " << Num(e.epsilon_spent) << " of " << Num(a.epsilon) << " ("
        << fmt::format("{:.1f}", e.seconds) << " s)" << std::endl;
  };
  DPKIT_ASSIGN_OR_RETURN(
      train::TrainingResult res,
      train::RunTraining(plan, opts, model, train_set, eval_set, enc.task(), enc.target_scale(),
                         ctx.rng(), charge,
                         tty ? std::function<void(const train::Progress&)>(ProgressBar) : nullptr,
                         on_epoch));

  DPKIT_RETURN_IF_ERROR(train::SaveModel(model, a.out));
  nlohmann::json j;
  j["dpkit_version"] = "0.1.0";
  j["data"] = a.data;
  j["target"] = a.target;
  j["task"] = train::TaskKindName(enc.task());
  j["classes"] = enc.class_names();
  j["features"] = enc.feature_names();
  if (enc.task() == train::TaskKind::kRegression) {
    j["target_scaling"] = {{"scale", enc.target_scale()}, {"offset", enc.target_offset()}};
  }
  j["rows"] = {{"train", n_train}, {"dropped_null_target", all.dropped_rows},
               {"eval", eval_set.x.defined() ? eval_set.x.size(0) : 0}};
  j["evaluation_source"] = eval_source;
  j["model"] = {{"spec", a.model}, {"parameters", res.num_parameters}, {"layers", res.layers},
                {"file", a.out}};
  j["training"] = {{"epochs", a.epochs},       {"batch_size", a.batch_size},
                   {"sampling_rate", plan.sampling_rate}, {"steps", plan.steps},
                   {"optimizer", a.optimizer}, {"learning_rate", a.lr},
                   {"momentum", a.optimizer == "sgd" ? a.momentum : 0.0},
                   {"clip", a.clip},           {"clipping", a.per_layer ? "per-layer" : "flat"}};
  j["privacy"] = {
      {"epsilon_target", a.epsilon},
      {"delta", a.delta},
      {"epsilon_spent", res.epsilon_spent},
      {"accountant", a.accountant},
      {"noise_multiplier", plan.noise_multiplier},
      {"effective_noise_multiplier", res.effective_noise_multiplier},
      {"noise", fmt::format("discrete Gaussian on a grid of {:.3g} (sensitivity inflation {:.3g})",
                            res.grid_granularity, res.sensitivity_inflation)},
      {"privacy_map", nlohmann::json::parse(res.privacy.ToJson())},
      {"neighbouring", "add/remove one training row (the training set size is public)"},
      {"insecure_seed", ctx.insecure()},
  };
  if (receipt) {
    j["ledger"] = {{"file", a.ledger}, {"dataset", a.dataset}, {"charge_id", receipt->charge_id},
                   {"epsilon_spent_total", receipt->spent.epsilon},
                   {"epsilon_remaining", receipt->remaining.epsilon}};
  }
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& e : res.epochs) {
    epochs.push_back({{"epoch", e.epoch}, {"steps", e.steps}, {"eval_loss", e.eval_loss},
                      {"eval_accuracy", e.eval_accuracy}, {"eval_rmse", e.eval_rmse},
                      {"epsilon_spent", e.epsilon_spent}, {"seconds", e.seconds}});
  }
  j["epochs"] = epochs;
  j["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::string report = a.report;
  if (report.empty()) {
    report = a.out;
    if (report.size() > 3 && report.substr(report.size() - 3) == ".pt") report.resize(report.size() - 3);
    report += ".report.json";
  }
  DPKIT_RETURN_IF_ERROR(Env::Default()->WriteFileAtomically(report, j.dump(2) + "\n"));
  if (!quiet) {
    out << "saved model " << a.out << " (" << res.num_parameters << " parameters) and report "
        << report << "; epsilon spent " << Num(res.epsilon_spent) << " (delta " << a.delta
        << ")\n";
  }
  return absl::OkStatus();
}

Runner Setup(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  app.add_option("--data", a->data, "Training CSV (gzip ok)")->required();
  app.add_option("--schema", a->schema,
                 "Schema JSON: column types, public bounds and categories (required: DP needs "
                 "public bounds; see docs/train.md)")
      ->required();
  app.add_option("--target", a->target, "Target column")->required();
  app.add_option("--features", a->features, "Feature columns (default: all but the target)")
      ->delimiter(',');
  app.add_option("--task", a->task, "auto, classification or regression")->capture_default_str();
  app.add_flag("--no-header", a->no_header, "The CSV files have no header: names from the schema");
  app.add_option("--skip-lines", a->skip_lines, "Lines to skip at the top of --data");
  app.add_option("--test-data", a->test_data, "Evaluation CSV (same format), e.g. adult.test");
  app.add_option("--test-skip-lines", a->test_skip_lines,
                 "Lines to skip at the top of --test-data (1 for adult.test)");
  app.add_option("--holdout", a->holdout,
                 "Fraction of --data held out for evaluation (default 0.2 without --test-data)");
  app.add_option("--model", a->model, "linear | mlp:H1,H2,...[:relu|tanh|gelu|silu]")
      ->capture_default_str();
  app.add_option("--epsilon", a->epsilon, "Target epsilon of the whole run")->required();
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
  app.add_option("--ledger", a->ledger, "Ledger file to charge before training");
  app.add_option("--dataset", a->dataset, "Dataset name in the ledger");
  app.add_option("--unit", a->unit, "Privacy unit of the ledger budget (default: row)");
  app.add_option("--threads", a->threads, "torch intra-op threads (default: torch's)");
  return [a](Context& ctx) { return Run(ctx, *a); };
}

DPKIT_CLI_COMMAND("train", "DP-SGD: train a model on a CSV table with a target (epsilon, delta)",
                  Setup);

}  // namespace
}  // namespace dpkit::cli
