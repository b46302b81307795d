// Tabular DP-SGD: turn a typed table into tensors using only PUBLIC schema information, build a
// model from a short spec, and run a calibrated DP-SGD training loop with per-epoch evaluation.
// This is what `dpkit train` runs.
//
// Feature encoding (TabularEncoder), from the schema only — never from the data, because a
// minimum, maximum, mean or category list read off the data can reveal one person's value:
//   * a column with declared "categories" -> one-hot over them plus one slot for anything else
//     (unknown value or null);
//   * a numeric column (int64, double, date, bool) -> clamped to its declared [lower, upper] and
//     scaled to [-1, 1]; nullable columns add a 0/1 "missing" indicator (null -> 0). A numeric
//     column without bounds is an error ("declare lower/upper for column 'x'"); bool columns
//     have the implicit bounds [0, 1].
// Target: classification needs the target's classes as schema categories (bool targets: false,
// true); a label that does not match but does after removing one trailing '.' is accepted (UCI
// Adult's test file writes ">50K."). Regression needs a numeric target; with declared bounds it
// is clamped and scaled to [-1, 1] for training (metrics are reported in the original units).
// Rows with a null target are dropped (counted).
//
// Privacy (what the run's guarantee covers): the released model is (epsilon, delta)-DP with
// respect to adding/removing one TRAINING row (one row = one privacy unit; the training set
// size N is treated as public, as in Opacus and TF Privacy). Metrics are computed on the
// evaluation rows; they are not protected by the DP guarantee, which is why the evaluation set
// should be a separate file (a public or separately held test set).
//
// Thread safety: thread-compatible.
#ifndef DPKIT_TRAIN_TABULAR_H_
#define DPKIT_TRAIN_TABULAR_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/train/grad_sample.h"

namespace dpkit::train {

enum class TaskKind { kAuto, kClassification, kRegression };
const char* TaskKindName(TaskKind kind);  // "auto", "classification", "regression"
absl::StatusOr<TaskKind> ParseTaskKind(const std::string& name);

struct EncodedData {
  torch::Tensor x;  // float32 [N, num_features]
  torch::Tensor y;  // int64 [N] (classification) or float32 [N] (regression, scaled)
  int64_t dropped_rows = 0;  // null target
};

class TabularEncoder {
 public:
  // `features` empty = every schema column except the target and the privacy unit.
  static absl::StatusOr<TabularEncoder> Create(const io::Schema& schema, const std::string& target,
                                               std::vector<std::string> features, TaskKind task);
  // Errors name `source`, the column, the row (1-based) and the value.
  absl::StatusOr<EncodedData> Encode(const io::Table& table, const std::string& source) const;

  TaskKind task() const { return task_; }
  int64_t num_features() const { return static_cast<int64_t>(feature_names_.size()); }
  int64_t num_outputs() const;  // number of classes, or 1 for regression
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  const std::vector<std::string>& class_names() const { return classes_; }
  const std::string& target() const { return target_; }
  // Regression targets: original = scaled * target_scale + target_offset.
  double target_scale() const { return target_scale_; }
  double target_offset() const { return target_offset_; }

  // How one feature column is encoded (internal; built by Create).
  struct Column {
    std::string name;
    bool categorical = false;
    std::unordered_map<std::string, int> index;  // category text -> slot
    int num_categories = 0;
    double lower = 0, upper = 1;
    bool missing_indicator = false;
  };

 private:
  std::string target_;
  TaskKind task_ = TaskKind::kClassification;
  std::vector<Column> columns_;
  std::vector<std::string> feature_names_;
  std::vector<std::string> classes_;
  io::ColumnSchema target_schema_;
  double target_scale_ = 1, target_offset_ = 0;
  bool scale_target_ = false;
};

// Model specs: "linear" (logistic/linear regression) or "mlp:H1,H2,..." (ReLU hidden layers),
// optionally with an activation suffix "mlp:64,64:tanh" (relu, tanh, gelu, silu).
absl::StatusOr<torch::nn::Sequential> BuildModel(const std::string& spec, int64_t num_inputs,
                                                 int64_t num_outputs);

struct TrainingOptions {
  double epsilon = 3;
  double delta = 1e-5;
  int64_t epochs = 5;
  int64_t batch_size = 256;  // expected (Poisson) batch size: q = batch_size / N
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
  double noise_multiplier = 0;  // calibrated (requested); the engine's effective one is >=
  double planned_epsilon = 0;   // accountant's epsilon for the calibrated multiplier
};

// Validates the options and calibrates the noise multiplier for (epsilon, delta), q =
// batch_size / N and epochs * round(N / batch_size) steps. When epsilon is too small, the
// InvalidArgument message gives the smallest feasible epsilon and the largest feasible number of
// epochs at the maximum noise multiplier.
absl::StatusOr<TrainingPlan> PlanTraining(const TrainingOptions& options, int64_t num_train);

struct EpochReport {
  int64_t epoch = 0;
  int64_t steps = 0;           // steps taken so far
  double eval_loss = 0;        // mean per-example loss on the evaluation rows
  double eval_accuracy = -1;   // classification only (else -1)
  double eval_rmse = -1;       // regression only, in target units (else -1)
  double epsilon_spent = 0;    // accountant's epsilon after `steps` steps at delta
  double seconds = 0;          // wall time of the epoch
};

struct TrainingResult {
  std::vector<EpochReport> epochs;
  PrivacyMap privacy;  // what was charged: the whole planned run
  double effective_noise_multiplier = 0;
  double epsilon_spent = 0;
  double grid_granularity = 0;
  double sensitivity_inflation = 0;
  int64_t num_parameters = 0;
  std::vector<std::string> layers;
};

struct Progress {
  int64_t epoch = 0, epochs = 0, step_in_epoch = 0, steps_per_epoch = 0;
};

// Runs the plan: DP-SGD on (train.x, train.y), evaluation on `eval` after every epoch
// (eval may be empty: metrics are then -1). `charge` is called once, with the exact PrivacyMap
// of the whole run (SubsampledGaussian(effective noise multiplier, q, steps)), after the engine
// is built and BEFORE the first step: charge the ledger there; an error aborts the run before
// any data is touched. `on_step` / `on_epoch` may be null.
absl::StatusOr<TrainingResult> RunTraining(const TrainingPlan& plan, const TrainingOptions& options,
                                           torch::nn::Sequential model, const EncodedData& train,
                                           const EncodedData& eval, TaskKind task,
                                           double target_scale, random::BitGenerator& gen,
                                           const std::function<absl::Status(const PrivacyMap&)>& charge,
                                           const std::function<void(const Progress&)>& on_step,
                                           const std::function<void(const EpochReport&)>& on_epoch);

// Serializes a model with torch::save and writes it atomically (temp file + rename) via Env.
absl::Status SaveModel(torch::nn::Sequential model, const std::string& path);

}  // namespace dpkit::train

#endif  // DPKIT_TRAIN_TABULAR_H_
