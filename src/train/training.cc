#include "dpkit/train/training.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dpkit/accounting/calibration.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/train/privacy.h"
#include "train/torch_util.h"

namespace dpkit::train {

namespace nn = torch::nn;

namespace {

absl::Status ValidateOptions(const TrainingOptions& o) {
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", o.epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", o.delta, /*allow_zero=*/false));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("rows", o.rows, 1));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("epochs", o.epochs, 1));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("batch_size", o.batch_size, 1));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("clip", o.max_grad_norm));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("lr", o.learning_rate));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("max_noise_multiplier", o.max_noise_multiplier));
  if (o.optimizer != "sgd" && o.optimizer != "adam") {
    return absl::InvalidArgumentError(
        absl::StrCat("optimizer must be sgd or adam, got '", o.optimizer, "'"));
  }
  if (o.batch_size > o.rows) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch size ", o.batch_size, " exceeds the planned number of rows (", o.rows, ")"));
  }
  if (o.delta >= 1.0 / static_cast<double>(o.rows)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "delta ", FormatDouble(o.delta), " is not below 1/N = ", FormatDouble(1.0 / o.rows),
        " for N = ", o.rows, " planned rows: such a delta allows leaking a whole row; use "
        "delta < 1/N (e.g. ",
        FormatDouble(std::pow(10, std::floor(std::log10(0.1 / o.rows)))), ")"));
  }
  return absl::OkStatus();
}

ClippingOptions ClippingFor(const TrainingOptions& o) {
  return {.max_grad_norm = o.max_grad_norm, .mode = o.clipping_mode,
          .per_layer_max_grad_norms = {}};
}

// InvalidArgument with the smallest feasible epsilon and the largest feasible number of epochs.
absl::Status InfeasibleEpsilon(const TrainingOptions& o, const TrainingPlan& p) {
  const PrivacyMap loudest =
      PrivacyMap::SubsampledGaussian(o.max_noise_multiplier, p.sampling_rate, p.steps);
  DPKIT_ASSIGN_OR_RETURN(double min_eps,
                         accounting::ComposedEpsilon({loudest}, o.delta, o.accountant));
  DPKIT_ASSIGN_OR_RETURN(int64_t max_steps,
                         MaxStepsWithinBudget(o.max_noise_multiplier, p.sampling_rate, o.epsilon,
                                              o.delta, p.steps, o.accountant));
  const int64_t max_epochs = max_steps / p.steps_per_epoch;
  return absl::InvalidArgumentError(absl::StrCat(
      "epsilon ", FormatDouble(o.epsilon), " is too small for ", o.epochs,
      " epochs at batch size ", o.batch_size, " on ", o.rows, " rows (delta ",
      FormatDouble(o.delta), "): it would need a noise multiplier above ",
      FormatDouble(o.max_noise_multiplier), ". The smallest feasible epsilon for these settings is ",
      absl::StrFormat("%.4g", min_eps),
      max_epochs >= 1 ? absl::StrCat("; or train at most ", max_epochs, " epochs")
                      : std::string("; or use a smaller batch size or more data")));
}

// The smallest noise multiplier meeting (epsilon, delta), from accounting.
absl::StatusOr<double> CalibrateNoise(const TrainingOptions& o, const TrainingPlan& p) {
  auto r = accounting::NoiseMultiplierForEpsilon(o.epsilon, o.delta, p.sampling_rate, p.steps,
                                                 o.accountant);
  if (r.ok() && r->noise_multiplier <= o.max_noise_multiplier) return r->noise_multiplier;
  if (!r.ok() && r.status().code() != absl::StatusCode::kOutOfRange) return r.status();
  return InfeasibleEpsilon(o, p);
}

std::unique_ptr<torch::optim::Optimizer> MakeOptimizer(const TrainingOptions& o,
                                                       nn::Sequential& model) {
  if (o.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(model->parameters(),
                                                torch::optim::AdamOptions(o.learning_rate));
  }
  return std::make_unique<torch::optim::SGD>(
      model->parameters(), torch::optim::SGDOptions(o.learning_rate).momentum(o.momentum));
}

// Loss and accuracy / RMSE of `model` on `test` (all -1 when test is empty).
void Evaluate(nn::Sequential& model, const EncodedData& test, TaskKind task, double target_scale,
              EpochReport& report) {
  if (!test.x.defined() || test.x.size(0) == 0) return;
  torch::NoGradGuard guard;
  model->eval();
  torch::Tensor out = model->forward(test.x);
  if (task == TaskKind::kClassification) {
    report.test_loss = CrossEntropyLoss()(out, test.y).mean().item<double>();
    report.test_accuracy = out.argmax(1).eq(test.y).to(torch::kDouble).mean().item<double>();
  } else {
    report.test_loss = MseLoss()(out, test.y).mean().item<double>();
    report.test_rmse = std::sqrt(report.test_loss) * target_scale;
  }
  model->train();
}

}  // namespace

absl::StatusOr<TrainingPlan> PlanTraining(const TrainingOptions& o, nn::Sequential model,
                                          const mechanisms::NoiseFactory& noise) {
  DPKIT_RETURN_IF_ERROR(ValidateOptions(o));
  TrainingPlan p;
  p.sampling_rate = static_cast<double>(o.batch_size) / static_cast<double>(o.rows);
  p.steps_per_epoch = std::max<int64_t>(1, std::llround(1.0 / p.sampling_rate));
  p.steps = p.steps_per_epoch * o.epochs;
  DPKIT_ASSIGN_OR_RETURN(p.noise_multiplier, CalibrateNoise(o, p));
  DPKIT_ASSIGN_OR_RETURN(p.noise, DpSgdNoise(noise, model, ClippingFor(o), p.noise_multiplier));
  p.privacy = p.noise->SubsampledPrivacyMap(p.sampling_rate, p.steps);
  DPKIT_ASSIGN_OR_RETURN(p.planned_epsilon,
                         accounting::ComposedEpsilon({p.privacy}, o.delta, o.accountant));
  return p;
}

absl::StatusOr<TrainingResult> RunTraining(const TrainingPlan& plan, const TrainingOptions& o,
                                           nn::Sequential model, const EncodedData& train,
                                           const EncodedData& test, TaskKind task,
                                           double target_scale, random::BitGenerator& gen,
                                           const TrainingCallbacks& callbacks) {
  return GuardTorch("training", [&]() -> absl::StatusOr<TrainingResult> {
    std::unique_ptr<torch::optim::Optimizer> opt = MakeOptimizer(o, model);
    DpSgdOptions dpo{.noise = plan.noise,
                     .sampling_rate = plan.sampling_rate,
                     .max_steps = plan.steps,
                     .clipping = ClippingFor(o),
                     .max_physical_batch_size = o.max_physical_batch_size,
                     .expected_batch_size = static_cast<double>(o.batch_size)};
    DPKIT_ASSIGN_OR_RETURN(auto engine,
                           DpSgdEngine::Create(model, *opt, dpo, train.x.size(0), gen));
    DPKIT_ASSIGN_OR_RETURN(auto curve,
                           DpSgdEpsilonCurve::Create(engine->effective_noise_multiplier(),
                                                     plan.sampling_rate, o.accountant));
    const PerExampleLoss loss =
        task == TaskKind::kClassification ? CrossEntropyLoss() : MseLoss();
    TrainingResult result;
    result.num_parameters = engine->grad_sample().num_parameters();
    model->train();
    const int64_t epochs = plan.steps / plan.steps_per_epoch;
    for (int64_t epoch = 1; epoch <= epochs; ++epoch) {
      const auto start = std::chrono::steady_clock::now();
      for (int64_t s = 0; s < plan.steps_per_epoch; ++s) {
        DPKIT_RETURN_IF_ERROR(engine->Step(train.x, train.y, loss).status());
        if (callbacks.on_step) callbacks.on_step({epoch, epochs, s + 1, plan.steps_per_epoch});
      }
      EpochReport rep{.epoch = epoch, .steps = engine->steps_taken()};
      rep.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      Evaluate(model, test, task, target_scale, rep);
      DPKIT_ASSIGN_OR_RETURN(rep.epsilon_spent, curve.Epsilon(rep.steps, o.delta));
      result.epochs.push_back(rep);
      if (callbacks.on_epoch) callbacks.on_epoch(rep);
    }
    result.epsilon_spent = result.epochs.back().epsilon_spent;
    result.layers = engine->grad_sample().LayerDescriptions();
    return result;
  });
}

absl::Status SaveModel(nn::Sequential model, const std::string& path) {
  std::ostringstream os;
  DPKIT_RETURN_IF_ERROR(GuardTorch("saving the model", [&]() -> absl::Status {
    torch::save(model, os);
    return absl::OkStatus();
  }));
  return Env::Default()->WriteFileAtomically(path, os.str());
}

}  // namespace dpkit::train
