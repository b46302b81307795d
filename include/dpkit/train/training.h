// A DP-SGD training run: plan it from public inputs (schedule, calibrated noise, the privacy map
// it costs), then run it on tensors with per-epoch reports.
//
// PlanTraining reads nothing but its arguments: the schedule comes from the PUBLIC planning size
// `rows` (never the data's row count, which is private: q = batch_size / rows, steps_per_epoch
// = round(rows / batch_size)), the noise multiplier from accounting::NoiseMultiplierForEpsilon,
// the noise from DpSgdNoise (the mechanisms layer), and the privacy map charged is the one that
// noise mechanism reports for the schedule. RunTraining does not charge anything: a release
// charges plan.privacy first (tabular_release.h does); examples and benchmarks on public data
// need no charge.
//
// Privacy (what a run's guarantee covers): the model, and every intermediate model, is
// (epsilon, delta)-DP for adding/removing one training example, whatever the number of
// examples actually trained on (q and the batch divisor are public). Metrics computed by
// RunTraining on `test` data are NOT covered: they are about data the caller designates for
// evaluation, and are reported as such.
//
// Thread safety: thread-compatible.
#ifndef DPKIT_TRAIN_TRAINING_H_
#define DPKIT_TRAIN_TRAINING_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/train/dp_sgd.h"
#include "dpkit/train/grad_sample.h"
#include "dpkit/train/tabular.h"

namespace dpkit::train {

struct TrainingOptions {
  double epsilon = 3;
  double delta = 1e-5;
  // PUBLIC planning size: the number of training examples the schedule is planned for. It sets
  // q = batch_size / rows; the guarantee holds for any number actually present.
  int64_t rows = 0;
  int64_t epochs = 5;
  int64_t batch_size = 256;  // expected (Poisson) batch size, also the gradient divisor
  double max_grad_norm = 1.0;
  ClippingMode clipping_mode = ClippingMode::kFlat;
  double learning_rate = 0.1;
  std::string optimizer = "sgd";  // "sgd" (with momentum) or "adam"
  double momentum = 0.9;
  accounting::AccountantKind accountant = accounting::AccountantKind::kRdp;
  int64_t max_physical_batch_size = 1024;
  double max_noise_multiplier = 50;
};

struct TrainingPlan {
  double sampling_rate = 0;
  int64_t steps_per_epoch = 0;
  int64_t steps = 0;
  double noise_multiplier = 0;  // calibrated (requested); the mechanism's effective one is >=
  DpSgdNoiseMechanism noise;    // for the planned model and clipping
  PrivacyMap privacy;           // noise->SubsampledPrivacyMap(q, steps): what a release charges
  double planned_epsilon = 0;   // the accountant's epsilon of `privacy` at delta
};

// Validates the options and plans the run for `model` (which RunTraining must then train).
// When epsilon is too small, the InvalidArgument message gives the smallest feasible epsilon
// and the largest feasible number of epochs at max_noise_multiplier.
absl::StatusOr<TrainingPlan> PlanTraining(const TrainingOptions& options,
                                          torch::nn::Sequential model,
                                          const mechanisms::NoiseFactory& noise);

struct EpochReport {
  int64_t epoch = 0;
  int64_t steps = 0;          // steps taken so far
  double epsilon_spent = 0;   // accountant's epsilon after `steps` steps at delta (public)
  // On the `test` data (NOT DP; -1 when there is none or the metric does not apply).
  double test_loss = -1;      // mean per-example loss
  double test_accuracy = -1;  // classification
  double test_rmse = -1;      // regression, in target units
  double seconds = 0;         // wall time of the epoch
};

struct TrainingResult {
  std::vector<EpochReport> epochs;
  double epsilon_spent = 0;
  int64_t num_parameters = 0;
  std::vector<std::string> layers;
};

struct Progress {
  int64_t epoch = 0, epochs = 0, step_in_epoch = 0, steps_per_epoch = 0;
};

struct TrainingCallbacks {
  std::function<void(const Progress&)> on_step;      // may be null
  std::function<void(const EpochReport&)> on_epoch;  // may be null
};

// Runs the plan: DP-SGD on (train.x, train.y) (any number of rows, 0 included), evaluation on
// `test` after every epoch (may be empty).
absl::StatusOr<TrainingResult> RunTraining(const TrainingPlan& plan, const TrainingOptions& options,
                                           torch::nn::Sequential model, const EncodedData& train,
                                           const EncodedData& test, TaskKind task,
                                           double target_scale, random::BitGenerator& gen,
                                           const TrainingCallbacks& callbacks = {});

// Serializes a model with torch::save and writes it atomically (temp file + rename) via Env.
absl::Status SaveModel(torch::nn::Sequential model, const std::string& path);

}  // namespace dpkit::train

#endif  // DPKIT_TRAIN_TRAINING_H_
