#include "dpkit/train/dp_sgd.h"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "train/step_draws.h"
#include "train/torch_util.h"

namespace dpkit::train {

absl::StatusOr<DpSgdNoiseMechanism> DpSgdNoise(const mechanisms::NoiseFactory& factory,
                                               torch::nn::Sequential model,
                                               const ClippingOptions& clipping,
                                               double noise_multiplier) {
  DPKIT_ASSIGN_OR_RETURN(auto grad_sample, GradSampleModule::Create(model, clipping));
  DPKIT_ASSIGN_OR_RETURN(
      mechanisms::VectorGaussianMechanism noise,
      mechanisms::VectorGaussian(factory, {.noise_multiplier = noise_multiplier,
                                           .l2_sensitivity = grad_sample->sensitivity(),
                                           .dimension = grad_sample->num_parameters()}));
  return std::make_shared<const mechanisms::VectorGaussianMechanism>(std::move(noise));
}

namespace {

absl::Status ValidateOptions(const DpSgdOptions& options, int64_t num_examples) {
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("num_examples", num_examples, 0));
  if (!(options.sampling_rate > 0 && options.sampling_rate <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling_rate must be in (0, 1], got ", FormatDouble(options.sampling_rate)));
  }
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("max_steps", options.max_steps, 1));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("max_physical_batch_size", options.max_physical_batch_size, 1));
  DPKIT_RETURN_IF_ERROR(ValidateNonNegativeFinite("expected_batch_size", options.expected_batch_size));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("draw_threads", options.draw_threads, 0));
  if (options.noise == nullptr && !options.allow_no_noise_not_private) {
    return absl::InvalidArgumentError(
        "noise is required (DpSgdNoise); no noise is only accepted with "
        "allow_no_noise_not_private");
  }
  return absl::OkStatus();
}

// The noise must be calibrated for this model and clipping (else the privacy map would be wrong).
absl::Status CheckNoiseFits(const mechanisms::VectorGaussianMechanism& noise,
                            const GradSampleModule& grad_sample) {
  if (noise.dimension() != grad_sample.num_parameters() ||
      noise.l2_sensitivity() != grad_sample.sensitivity()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the noise was calibrated for ", noise.dimension(), " parameters and sensitivity ",
        FormatDouble(noise.l2_sensitivity()), " but the model has ",
        grad_sample.num_parameters(), " and its clipping ",
        FormatDouble(grad_sample.sensitivity()), "; build it with DpSgdNoise for this model"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<DpSgdEngine>> DpSgdEngine::Create(torch::nn::Sequential model,
                                                                 torch::optim::Optimizer& optimizer,
                                                                 const DpSgdOptions& options,
                                                                 int64_t num_examples,
                                                                 random::BitGenerator& gen) {
  DPKIT_RETURN_IF_ERROR(ValidateOptions(options, num_examples));
  std::unique_ptr<DpSgdEngine> e(new DpSgdEngine(optimizer, gen));
  e->options_ = options;
  if (e->options_.expected_batch_size == 0) {
    e->options_.expected_batch_size = options.sampling_rate * static_cast<double>(num_examples);
  }
  if (!(e->options_.expected_batch_size > 0)) {
    return absl::InvalidArgumentError(
        "expected_batch_size must be > 0 (give it explicitly when num_examples may be 0)");
  }
  e->num_examples_ = num_examples;
  DPKIT_ASSIGN_OR_RETURN(e->grad_sample_, GradSampleModule::Create(model, options.clipping));
  if (options.noise) DPKIT_RETURN_IF_ERROR(CheckNoiseFits(*options.noise, *e->grad_sample_));
  // The optimizer must hold every parameter we privatize (else updates would silently be lost).
  for (const auto& p : e->grad_sample_->parameters()) {
    bool found = false;
    for (const auto& group : optimizer.param_groups()) {
      for (const auto& q : group.params()) found = found || q.is_same(p);
    }
    if (!found) {
      return absl::InvalidArgumentError(
          "the optimizer does not hold all of the model's trainable parameters; construct it "
          "with model->parameters()");
    }
  }
  int threads = options.draw_threads;
  if (threads > 1 && !gen.IsSecure()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "draw_threads ", threads, " needs a thread-safe generator (SecureRng); this one is not"));
  }
  if (threads == 0) {
    threads = gen.IsSecure() ? std::max(1, static_cast<int>(std::thread::hardware_concurrency())) : 1;
  }
  e->drawer_ = std::make_unique<internal::StepDrawer>(gen, num_examples, options.sampling_rate,
                                                      options.noise.get(), threads,
                                                      options.prefetch);
  return e;
}

DpSgdEngine::DpSgdEngine(torch::optim::Optimizer& optimizer, random::BitGenerator& gen)
    : optimizer_(optimizer), gen_(gen) {}

DpSgdEngine::~DpSgdEngine() = default;

double DpSgdEngine::effective_noise_multiplier() const {
  return options_.noise ? options_.noise->effective_noise_multiplier() : 0.0;
}

absl::StatusOr<PrivacyMap> DpSgdEngine::PrivacySpent() const {
  if (!options_.noise) return absl::FailedPreconditionError("this run adds no noise: it is not private");
  return options_.noise->SubsampledPrivacyMap(options_.sampling_rate, steps_taken_);
}

absl::StatusOr<PrivacyMap> DpSgdEngine::PlannedPrivacy() const {
  if (!options_.noise) return absl::FailedPreconditionError("this run adds no noise: it is not private");
  return options_.noise->SubsampledPrivacyMap(options_.sampling_rate, options_.max_steps);
}

namespace {

// Releases the clipped-gradient sums (one tensor per parameter) through the noise mechanism,
// coordinate k getting draw z[k].
absl::Status AddNoiseToSums(const mechanisms::VectorGaussianMechanism& noise,
                            const std::vector<torch::Tensor>& sums,
                            absl::Span<const int64_t> z) {
  size_t total = 0;
  for (const auto& s : sums) total += static_cast<size_t>(s.numel());
  if (total != z.size()) {
    return absl::InvalidArgumentError(absl::StrCat("noise dimension is ", z.size(),
                                                   " but the gradient has ", total, " values"));
  }
  size_t offset = 0;
  for (const auto& s : sums) {
    if (!s.is_contiguous() || s.device().type() != torch::kCPU) {
      return absl::InvalidArgumentError("noise: gradient sums must be contiguous CPU tensors");
    }
    const size_t n = static_cast<size_t>(s.numel());
    absl::Status st;
    if (s.scalar_type() == torch::kFloat) {
      st = noise.AddNoise(absl::MakeSpan(s.data_ptr<float>(), n), z.subspan(offset, n));
    } else if (s.scalar_type() == torch::kDouble) {
      st = noise.AddNoise(absl::MakeSpan(s.data_ptr<double>(), n), z.subspan(offset, n));
    } else {
      return absl::InvalidArgumentError("noise: gradient sums must be float32 or float64");
    }
    DPKIT_RETURN_IF_ERROR(st);
    offset += n;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StepResult> DpSgdEngine::Step(const torch::Tensor& features,
                                             const torch::Tensor& targets,
                                             const PerExampleLoss& loss) {
  if (steps_taken_ >= options_.max_steps) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "all ", options_.max_steps,
        " steps this run was calibrated and charged for have been taken; another step would "
        "exceed the privacy budget"));
  }
  if (!features.defined() || features.dim() == 0 || features.size(0) != num_examples_ ||
      !targets.defined() || targets.dim() == 0 || targets.size(0) != num_examples_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "features and targets must have ", num_examples_,
        " rows (the num_examples the engine was created with)"));
  }
  internal::StepDraw draw = drawer_->Next(steps_taken_ + 1 < options_.max_steps);
  StepResult result;
  result.step = steps_taken_ + 1;
  result.batch_size = static_cast<int64_t>(draw.indices.size());
  DPKIT_RETURN_IF_ERROR(GuardTorch("the DP-SGD step", [&]() -> absl::Status {
    GradSampleModule& gs = *grad_sample_;
    gs.ZeroClippedGradientSum();
    const int64_t B = result.batch_size;
    torch::Tensor all_idx =
        torch::from_blob(draw.indices.data(), {B}, torch::kLong);
    for (int64_t start = 0; start < B || (B == 0 && start == 0);
         start += options_.max_physical_batch_size) {
      const int64_t len = std::min(options_.max_physical_batch_size, B - start);
      torch::Tensor idx = all_idx.slice(0, start, start + len);
      DPKIT_ASSIGN_OR_RETURN(ClipStats st,
                             gs.AccumulateClippedGradients(features.index_select(0, idx),
                                                           targets.index_select(0, idx), loss));
      result.loss_sum += st.loss_sum;
      result.num_clipped += st.num_clipped;
      if (B == 0) break;
    }
    if (options_.noise) {
      DPKIT_RETURN_IF_ERROR(AddNoiseToSums(*options_.noise, gs.clipped_gradient_sum(), draw.noise));
    }
    const double denom = options_.expected_batch_size;
    torch::NoGradGuard guard;
    for (auto& p : optimizer_.param_groups()) {
      for (auto& t : p.params()) t.mutable_grad() = torch::Tensor();
    }
    const auto& params = gs.parameters();
    const auto& sums = gs.clipped_gradient_sum();
    for (size_t k = 0; k < params.size(); ++k) {
      params[k].mutable_grad() = sums[k] / denom;
    }
    optimizer_.step();
    return absl::OkStatus();
  }));
  ++steps_taken_;
  return result;
}

}  // namespace dpkit::train
