// DpSgdEngine: differentially private SGD (Abadi et al., CCS 2016) for torch::nn::Sequential
// models — Poisson sampling, per-example clipping, exact grid Gaussian noise, and a hard cap on
// the number of steps so a run never spends more than it was calibrated (and charged) for.
//
// One Step():
//   1. Poisson sampling: every one of the N examples joins the batch independently with
//      probability q (exact Bernoulli(q), random::BernoulliDouble, from the generator passed
//      in); the batch size is random, possibly 0.
//   2. The batch is cut into physical chunks of at most max_physical_batch_size ("virtual
//      steps": bounded memory for large logical batches); each chunk's clipped per-example
//      gradients are summed (GradSampleModule).
//   3. Noise: sum <- gamma (round(sum / gamma) + Z) (GridGaussianNoise), std = nm * C.
//   4. grad = noisy sum / (q N) (the expected batch size, a public constant), written to each
//      parameter's .grad; then optimizer.step(). Any torch optimizer works (SGD with momentum,
//      Adam, ...): they only post-process the privatized gradient.
// The batch and noise of step t+1 do not depend on the data, so with `prefetch` they are drawn
// on a background thread while step t computes (the generator is then used by that thread
// only, one step at a time; the sequence of draws is the same as without prefetch).
//
// Privacy claim: after k steps the released parameters (and every intermediate model) are
// (epsilon, delta)-DP for add/remove of one example, with epsilon given by the accountant for
// PrivacySpent() = PrivacyMap::SubsampledGaussian(effective_noise_multiplier, q, k): the
// Poisson-subsampled Gaussian mechanism composed k times (Mironov, Talwar, Zhang 2019 for RDP;
// PLD accounting also applies). effective_noise_multiplier = sigma_actual / Delta' >= the
// requested noise multiplier (see noise.h for the grid).
//
// Thread safety: thread-compatible; the engine owns a background thread while prefetching.
#ifndef DPKIT_TRAIN_DP_SGD_H_
#define DPKIT_TRAIN_DP_SGD_H_

#include <torch/torch.h>

#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/train/grad_sample.h"
#include "dpkit/train/noise.h"

namespace dpkit::train {

// Indices of the examples of a Poisson sample: each of 0..n-1 independently with probability q
// (exact Bernoulli). Sorted ascending.
std::vector<int64_t> PoissonSampleIndices(random::BitGenerator& gen, int64_t n, double q);

struct DpSgdOptions {
  double noise_multiplier = 1.0;  // sigma / C; > 0 (see allow_no_noise_not_private)
  double sampling_rate = 0.01;    // q in (0, 1]
  int64_t max_steps = 1;          // Step() refuses to run more (ResourceExhausted)
  ClippingOptions clipping;
  int64_t max_physical_batch_size = 1024;
  double max_sensitivity_inflation = 1e-3;  // see noise.h
  bool prefetch = true;
  // NOT PRIVATE. noise_multiplier == 0 is accepted only with this flag: clipping without noise,
  // for non-private baselines and the power check of privacy audits.
  bool allow_no_noise_not_private = false;
};

struct StepResult {
  int64_t step = 0;        // 1-based number of the step just taken
  int64_t batch_size = 0;  // the Poisson-sampled logical batch size
  double loss_sum = 0;     // sum of the batch's per-example losses (before the update)
  int64_t num_clipped = 0;
};

class DpSgdEngine {
 public:
  // `optimizer` must optimize (a superset of) the model's trainable parameters and outlive the
  // engine; `gen` must outlive it too (SecureRng in production).
  static absl::StatusOr<std::unique_ptr<DpSgdEngine>> Create(torch::nn::Sequential model,
                                                             torch::optim::Optimizer& optimizer,
                                                             const DpSgdOptions& options,
                                                             int64_t num_examples,
                                                             random::BitGenerator& gen);
  ~DpSgdEngine();

  // One DP-SGD step on the data set (features [N, ...], targets [N, ...]).
  absl::StatusOr<StepResult> Step(const torch::Tensor& features, const torch::Tensor& targets,
                                  const PerExampleLoss& loss);

  int64_t steps_taken() const { return steps_taken_; }
  int64_t max_steps() const { return options_.max_steps; }
  bool is_private() const { return noise_.has_value(); }
  // sigma_actual / Delta' (0 when not private).
  double effective_noise_multiplier() const;
  // SubsampledGaussian(effective nm, q, steps) for the steps taken / for max_steps.
  // FailedPrecondition when not private.
  absl::StatusOr<PrivacyMap> PrivacySpent() const;
  absl::StatusOr<PrivacyMap> PlannedPrivacy() const;
  GradSampleModule& grad_sample() { return *grad_sample_; }
  const GridGaussianNoise* noise() const { return noise_ ? &*noise_ : nullptr; }
  const DpSgdOptions& options() const { return options_; }

 private:
  struct Draw {
    std::vector<int64_t> indices;
    std::vector<int64_t> noise;
  };
  DpSgdEngine(torch::optim::Optimizer& optimizer, random::BitGenerator& gen)
      : optimizer_(optimizer), gen_(gen) {}
  Draw MakeDraw();

  torch::optim::Optimizer& optimizer_;
  random::BitGenerator& gen_;
  DpSgdOptions options_;
  int64_t num_examples_ = 0;
  int64_t steps_taken_ = 0;
  std::unique_ptr<GradSampleModule> grad_sample_;
  std::optional<GridGaussianNoise> noise_;
  std::future<Draw> next_;
};

}  // namespace dpkit::train

#endif  // DPKIT_TRAIN_DP_SGD_H_
