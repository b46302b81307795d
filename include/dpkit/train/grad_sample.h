// GradSampleModule: per-example gradient norms and clipping for torch::nn::Sequential models.
//
// DP-SGD (Abadi et al., "Deep Learning with Differential Privacy", CCS 2016) bounds each
// example's influence by clipping its gradient to L2 norm <= C before summing. This class
// computes, for one batch, every example's gradient norm and the SUM OF CLIPPED per-example
// gradients, without running a backward pass per example:
//
//  1. One forward pass records each trainable layer's input activation a_l; one call to
//     torch::autograd::grad returns the gradient of the summed per-example loss with respect to
//     each trainable layer's OUTPUT, g_l (no parameter gradients are formed by autograd).
//     A plain MLP -- Linear layers with trainable weights and ReLU (not in place) / Tanh between
//     them, on a [B, in] input -- skips autograd's graph: its forward runs without gradient
//     tracking, autograd differentiates only the loss, and g_l is carried back by hand with the
//     same ops autograd's backward would run (g W through a Linear, threshold_backward /
//     tanh_backward through the activations).
//  2. Per-example norms come from (a_l, g_l) per layer:
//     - "ghost norms" (Goodfellow 2015; Li, Tramer, Liang, Hashimoto 2021, "Large Language
//       Models Can Be Strong Differentially Private Learners", ICLR 2022): for a layer whose
//       per-example weight gradient is G_i^T A_i (rows = positions t), ||G_i^T A_i||_F^2 =
//       <A_i A_i^T, G_i G_i^T>, which never forms the [out x in] per-example gradient;
//     - or explicit per-example gradients (the math Opacus' grad samplers use: G_i^T A_i per
//       example, unfold/im2col for convolutions) when that is cheaper.
//     The cheaper of the two is chosen per layer from its shapes (NormMethod::kAuto).
//  3. The clipped sum sum_i c_i * grad_i, c_i = min(1, C / ||grad_i||), is formed directly from
//     the stored (a_l, g_l) with the factors folded into g_l ("book-keeping", Bu, Wang, Zha,
//     Karypis 2022, "Differentially Private Optimization on Large Model at Small Cost"): one
//     matmul per layer, no second backward pass.
//
// Supported layers (elements of the Sequential; libtorch cannot nest Sequentials): Linear (any number of leading
// dims), Conv2d (zero padding, any stride/dilation/groups), Embedding (padding_idx ok),
// LayerNorm, GroupNorm; parameter-free layers that act on each example separately: ReLU,
// ReLU6, LeakyReLU, ELU, SELU, CELU, GELU, SiLU, Mish, Tanh, Sigmoid, Softplus, Softsign,
// Hardtanh, Softmax (not over dim 0), LogSoftmax, Flatten, Unflatten, Identity, Dropout,
// Dropout2d, MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d, AdaptiveMaxPool2d, ZeroPad2d.
// BatchNorm is rejected (it mixes the examples of a batch, so one example's gradient depends
// on the others: use GroupNorm); any other layer is rejected with the list above.
//
// Clipping: flat (one threshold C on the whole per-example gradient; L2 sensitivity of the
// sum = C) or per-layer (threshold C_l per trainable layer; sensitivity sqrt(sum_l C_l^2)).
// The clip factor carries a 1e-5 relative safety margin so float32 rounding in the norm can
// never let a clipped example exceed its threshold.
//
// Neighbouring relation: add/remove one example (one row of the batch input).
// Thread safety: thread-compatible. No function throws; torch errors become absl::Status.
#ifndef DPKIT_TRAIN_GRAD_SAMPLE_H_
#define DPKIT_TRAIN_GRAD_SAMPLE_H_

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dpkit::train {

enum class ClippingMode { kFlat, kPerLayer };
// How per-example gradient norms are computed: kAuto picks the cheaper per layer.
enum class NormMethod { kAuto, kGhost, kExplicit };

struct ClippingOptions {
  // C: the L2 bound of one example's whole gradient (flat), or, for per-layer clipping without
  // explicit thresholds, split equally: C_l = C / sqrt(#trainable layers).
  double max_grad_norm = 1.0;
  ClippingMode mode = ClippingMode::kFlat;
  // Per-layer thresholds C_l, one per trainable layer in model order (kPerLayer only).
  std::vector<double> per_layer_max_grad_norms;
  NormMethod norm_method = NormMethod::kAuto;
};

// A loss that returns one value per example: output [B, ...], target [B, ...] -> [B].
using PerExampleLoss =
    std::function<torch::Tensor(const torch::Tensor& output, const torch::Tensor& target)>;
// Cross-entropy on logits [B, K] with int64 class targets [B].
PerExampleLoss CrossEntropyLoss();
// Squared error on outputs [B] or [B, 1] (or [B, k], summed over k) with float targets.
PerExampleLoss MseLoss();
// Binary cross-entropy with logits [B] or [B, 1] and targets in {0, 1}.
PerExampleLoss BinaryCrossEntropyWithLogitsLoss();

struct ClipStats {
  int64_t batch_size = 0;
  double loss_sum = 0;      // sum of the per-example losses
  int64_t num_clipped = 0;  // examples whose gradient (or any layer's, per-layer) was scaled
  torch::Tensor norms;      // [B] float32: per-example gradient L2 norms BEFORE clipping
};

class GradSampleModule {
 public:
  // Validates every layer; fails with InvalidArgument naming the first unsupported layer.
  static absl::StatusOr<std::unique_ptr<GradSampleModule>> Create(torch::nn::Sequential model,
                                                                   ClippingOptions options);

  // Adds sum_i clip(grad_i) over the batch to clipped_gradient_sum(). `input` [B, ...] and
  // `target` [B, ...]; B may be 0 (nothing is added).
  absl::StatusOr<ClipStats> AccumulateClippedGradients(const torch::Tensor& input,
                                                       const torch::Tensor& target,
                                                       const PerExampleLoss& loss);
  // Per-example gradient L2 norms [B] (no clipping, nothing accumulated).
  absl::StatusOr<torch::Tensor> PerExampleGradientNorms(const torch::Tensor& input,
                                                        const torch::Tensor& target,
                                                        const PerExampleLoss& loss);
  // Materialized per-example gradients, one tensor [B, *param.shape] per trainable parameter
  // (parameters() order). For tests and audits: memory B x #params.
  absl::StatusOr<std::vector<torch::Tensor>> PerExampleGradients(const torch::Tensor& input,
                                                                 const torch::Tensor& target,
                                                                 const PerExampleLoss& loss);

  // Sum of clipped per-example gradients since the last Zero, one tensor per parameter.
  const std::vector<torch::Tensor>& clipped_gradient_sum() const { return sums_; }
  void ZeroClippedGradientSum();
  // Trainable parameters (requires_grad) in model order; the same tensors the model holds.
  const std::vector<torch::Tensor>& parameters() const { return params_; }
  int64_t num_parameters() const { return num_parameters_; }
  // L2 sensitivity of the clipped sum to adding/removing one example.
  double sensitivity() const { return sensitivity_; }
  // Clip thresholds per trainable layer (one entry, C, for flat clipping).
  const std::vector<double>& clip_thresholds() const { return thresholds_; }
  // "0: Linear(in=108, out=64) [ghost]" etc., one per layer, for reports.
  std::vector<std::string> LayerDescriptions() const;
  torch::nn::Sequential& model() { return model_; }

  struct Layer;  // internal
  ~GradSampleModule();

 private:
  GradSampleModule() = default;
  struct Captured;
  absl::StatusOr<Captured> ForwardBackward(const torch::Tensor& input, const torch::Tensor& target,
                                           const PerExampleLoss& loss);

  torch::nn::Sequential model_;
  ClippingOptions options_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<int> trainable_layers_;  // indices into layers_
  std::vector<torch::Tensor> params_;
  std::vector<torch::Tensor> sums_;
  std::vector<double> thresholds_;
  int64_t num_parameters_ = 0;
  double sensitivity_ = 0;
};

}  // namespace dpkit::train

#endif  // DPKIT_TRAIN_GRAD_SAMPLE_H_
