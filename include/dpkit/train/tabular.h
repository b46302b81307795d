// Tabular data for DP-SGD: turn a typed table into tensors using only PUBLIC schema
// information, and build a model from a short spec. (Training: training.h; the whole release
// of a model trained on a private table: tabular_release.h.)
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
//
// Rows that cannot be encoded (null target, a label that is not a declared class, a missing
// value in a column without a missing indicator): for PRIVATE data (EncodeRows::kPrivate) they
// are dropped, one row at a time, and nothing about them is reported (their number is private);
// for data the user designates for evaluation (EncodeRows::kOwner) a null target is dropped and
// anything else is an error naming the source, row and value.
//
// Thread safety: thread-compatible.
#ifndef DPKIT_TRAIN_TABULAR_H_
#define DPKIT_TRAIN_TABULAR_H_

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/io/schema.h"
#include "dpkit/io/table.h"

namespace dpkit::train {

enum class TaskKind { kAuto, kClassification, kRegression };
const char* TaskKindName(TaskKind kind);  // "auto", "classification", "regression"
absl::StatusOr<TaskKind> ParseTaskKind(const std::string& name);

struct EncodedData {
  torch::Tensor x;  // float32 [N, num_features]
  torch::Tensor y;  // int64 [N] (classification) or float32 [N] (regression, scaled)
  int64_t dropped_rows = 0;  // rows not encoded (private for private data: never show it)
};

enum class EncodeRows { kPrivate, kOwner };

class TabularEncoder {
 public:
  // `features` empty = every schema column except the target and the privacy unit.
  static absl::StatusOr<TabularEncoder> Create(const io::Schema& schema, const std::string& target,
                                               std::vector<std::string> features, TaskKind task);
  // See the header comment for `rows`. kOwner errors name `source`, the column, the row
  // (1-based) and the value; kPrivate fails only for a column missing from the table.
  absl::StatusOr<EncodedData> Encode(const io::Table& table, const std::string& source,
                                     EncodeRows rows = EncodeRows::kOwner) const;

  TaskKind task() const { return task_; }
  int64_t num_features() const { return static_cast<int64_t>(feature_names_.size()); }
  int64_t num_outputs() const;  // number of classes, or 1 for regression
  const std::vector<std::string>& feature_names() const { return feature_names_; }
  const std::vector<std::string>& class_names() const { return classes_; }
  const std::string& target() const { return target_; }
  // Regression targets: original = scaled * target_scale + target_offset.
  double target_scale() const { return target_scale_; }
  double target_offset() const { return target_offset_; }
  // True when the target is scaled to [-1, 1] by declared bounds (regression).
  bool target_scaled() const { return scale_target_; }

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
  absl::StatusOr<std::vector<const io::Column*>> FeatureColumns(const io::Table& table,
                                                                const std::string& source) const;
  // False (with *problem set) when the row cannot be encoded; see the header comment.
  bool EncodeTarget(const io::Column& target, int64_t row, double* y, std::string* problem) const;
  bool EncodeFeatures(const std::vector<const io::Column*>& cols, int64_t row,
                      std::vector<float>& out, std::string* problem) const;

  std::string target_;
  TaskKind task_ = TaskKind::kClassification;
  std::vector<Column> columns_;
  std::vector<std::string> feature_names_;
  std::vector<std::string> classes_;
  std::unordered_map<std::string, int64_t> class_index_;
  io::ColumnSchema target_schema_;
  double target_scale_ = 1, target_offset_ = 0;
  bool scale_target_ = false;
};

// Model specs: "linear" (logistic/linear regression) or "mlp:H1,H2,..." (ReLU hidden layers),
// optionally with an activation suffix "mlp:64,64:tanh" (relu, tanh, gelu, silu).
absl::StatusOr<torch::nn::Sequential> BuildModel(const std::string& spec, int64_t num_inputs,
                                                 int64_t num_outputs);

}  // namespace dpkit::train

#endif  // DPKIT_TRAIN_TABULAR_H_
