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
//   3. Noise: the sum is released through the vector Gaussian mechanism
//      (dpkit/mechanisms/vector_gaussian.h, obtained through a NoiseFactory by DpSgdNoise()):
//      sum <- gamma (round(sum / gamma) + Z), std = nm * C.
//   4. grad = noisy sum / B, B the expected batch size (a PUBLIC constant: never the data's row
//      count), written to each parameter's .grad; then optimizer.step(). Any torch optimizer
//      works (SGD with momentum, Adam, ...): they only post-process the privatized gradient.
// The batch and noise of step t+1 do not depend on the data, so with `prefetch` they are drawn
// on background threads while step t computes, and with `draw_threads` > 1 by several threads
// at once (the caller joins in when it needs them): the draw's cost, which dominates small
// models (~170 ns per noise coordinate), is spread over the cores and overlaps the backward pass.
// With one drawing thread the sequence of draws is the same with or without prefetch.
//
// Privacy claim: after k steps the released parameters (and every intermediate model) are
// (epsilon, delta)-DP for add/remove of one example, with epsilon given by the accountant for
// PrivacySpent() = the noise mechanism's SubsampledPrivacyMap(q, k): the Poisson-subsampled
// Gaussian at its effective noise multiplier composed k times (Mironov, Talwar, Zhang 2019 for
// RDP; PLD accounting also applies). The number of examples N may be 0; the guarantee does not
// depend on it (q and B are public).
//
// Thread safety: thread-compatible; the engine owns its drawing threads.
#ifndef DPKIT_TRAIN_DP_SGD_H_
#define DPKIT_TRAIN_DP_SGD_H_

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/mechanisms/vector_gaussian.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/train/grad_sample.h"

namespace dpkit::train {
namespace internal {
class StepDrawer;
}  // namespace internal

// Indices of the examples of a Poisson sample: each of 0..n-1 independently with probability q
// (exact Bernoulli(q): 16 random bits per row, more only on a tie, probability 2^-16; see
// poisson_sample.cc). Sorted ascending. q <= 0 or NaN selects none, q >= 1 all.
std::vector<int64_t> PoissonSampleIndices(random::BitGenerator& gen, int64_t n, double q);
// The same for rows [begin, end), appended to `out` in ascending order.
void AppendPoissonSample(random::BitGenerator& gen, int64_t begin, int64_t end, double q,
                         std::vector<int64_t>& out);

using DpSgdNoiseMechanism = std::shared_ptr<const mechanisms::VectorGaussianMechanism>;

// The noise for `model`'s clipped-gradient sum: a vector Gaussian mechanism of the model's
// trainable dimension and the clipping's L2 sensitivity, calibrated to `noise_multiplier`
// (sigma / C), from `factory` (SecureNoise() for releases, testing::ZeroNoise() in tests).
absl::StatusOr<DpSgdNoiseMechanism> DpSgdNoise(const mechanisms::NoiseFactory& factory,
                                               torch::nn::Sequential model,
                                               const ClippingOptions& clipping,
                                               double noise_multiplier);

struct DpSgdOptions {
  // From DpSgdNoise() for the same model and clipping. Null is NOT PRIVATE (clipping without
  // noise, for non-private baselines and the power check of privacy audits) and is accepted
  // only with allow_no_noise_not_private.
  DpSgdNoiseMechanism noise;
  double sampling_rate = 0.01;  // q in (0, 1]
  int64_t max_steps = 1;        // Step() refuses to run more (ResourceExhausted)
  ClippingOptions clipping;
  int64_t max_physical_batch_size = 1024;
  // B, the divisor of the noisy sum: PUBLIC. 0 = q * num_examples, only for callers whose
  // number of examples is public (benchmarks, public data sets).
  double expected_batch_size = 0;
  bool prefetch = true;
  // Threads that draw each step's batch and noise, the caller's included. 0 = automatic: every
  // core when the generator is secure (SecureRng, which is thread-safe), else 1. More than 1
  // calls the generator from several threads at once, so it requires a secure generator.
  int draw_threads = 0;
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
  // engine; `gen` must outlive it too (SecureRng in production). num_examples >= 0.
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
  bool is_private() const { return options_.noise != nullptr; }
  // The noise mechanism's (0 when not private).
  double effective_noise_multiplier() const;
  // The noise mechanism's SubsampledPrivacyMap(q, steps) for the steps taken / for max_steps.
  // FailedPrecondition when not private.
  absl::StatusOr<PrivacyMap> PrivacySpent() const;
  absl::StatusOr<PrivacyMap> PlannedPrivacy() const;
  GradSampleModule& grad_sample() { return *grad_sample_; }
  const mechanisms::VectorGaussianMechanism* noise() const { return options_.noise.get(); }
  const DpSgdOptions& options() const { return options_; }

 private:
  DpSgdEngine(torch::optim::Optimizer& optimizer, random::BitGenerator& gen);

  torch::optim::Optimizer& optimizer_;
  random::BitGenerator& gen_;
  DpSgdOptions options_;
  int64_t num_examples_ = 0;
  int64_t steps_taken_ = 0;
  std::unique_ptr<GradSampleModule> grad_sample_;
  std::unique_ptr<internal::StepDrawer> drawer_;
};

}  // namespace dpkit::train

#endif  // DPKIT_TRAIN_DP_SGD_H_
