#include "dpkit/train/dp_sgd.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/random/samplers.h"
#include "train/torch_util.h"

namespace dpkit::train {

std::vector<int64_t> PoissonSampleIndices(random::BitGenerator& gen, int64_t n, double q) {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(std::min<double>(n, n * q * 1.2 + 16)));
  for (int64_t i = 0; i < n; ++i) {
    if (random::BernoulliDouble(gen, q)) out.push_back(i);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<DpSgdEngine>> DpSgdEngine::Create(torch::nn::Sequential model,
                                                                 torch::optim::Optimizer& optimizer,
                                                                 const DpSgdOptions& options,
                                                                 int64_t num_examples,
                                                                 random::BitGenerator& gen) {
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("num_examples", num_examples, 1));
  DPKIT_RETURN_IF_ERROR(ValidateInOpenRange("sampling_rate", options.sampling_rate, 0, 1.0000001));
  if (options.sampling_rate > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("sampling_rate must be in (0, 1], got ", FormatDouble(options.sampling_rate)));
  }
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("max_steps", options.max_steps, 1));
  DPKIT_RETURN_IF_ERROR(ValidateAtLeast("max_physical_batch_size", options.max_physical_batch_size, 1));
  if (options.noise_multiplier == 0 && !options.allow_no_noise_not_private) {
    return absl::InvalidArgumentError(
        "noise_multiplier must be > 0 (0 is only accepted with allow_no_noise_not_private)");
  }
  if (options.noise_multiplier != 0) {
    DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("noise_multiplier", options.noise_multiplier));
  }
  std::unique_ptr<DpSgdEngine> e(new DpSgdEngine(optimizer, gen));
  e->options_ = options;
  e->num_examples_ = num_examples;
  DPKIT_ASSIGN_OR_RETURN(e->grad_sample_, GradSampleModule::Create(model, options.clipping));
  if (options.noise_multiplier > 0) {
    DPKIT_ASSIGN_OR_RETURN(
        auto noise,
        GridGaussianNoise::Create({.noise_multiplier = options.noise_multiplier,
                                   .sensitivity = e->grad_sample_->sensitivity(),
                                   .dimension = e->grad_sample_->num_parameters(),
                                   .max_sensitivity_inflation = options.max_sensitivity_inflation}));
    e->noise_ = noise;
  }
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
  return e;
}

DpSgdEngine::~DpSgdEngine() {
  if (next_.valid()) next_.wait();
}

DpSgdEngine::Draw DpSgdEngine::MakeDraw() {
  Draw d;
  d.indices = PoissonSampleIndices(gen_, num_examples_, options_.sampling_rate);
  if (noise_) {
    d.noise.resize(static_cast<size_t>(noise_->dimension()));
    noise_->Sample(gen_, d.noise.data(), noise_->dimension());
  }
  return d;
}

double DpSgdEngine::effective_noise_multiplier() const {
  return noise_ ? noise_->effective_noise_multiplier() : 0.0;
}

absl::StatusOr<PrivacyMap> DpSgdEngine::PrivacySpent() const {
  if (!noise_) return absl::FailedPreconditionError("this run adds no noise: it is not private");
  return PrivacyMap::SubsampledGaussian(effective_noise_multiplier(), options_.sampling_rate,
                                        steps_taken_, "dp-sgd");
}

absl::StatusOr<PrivacyMap> DpSgdEngine::PlannedPrivacy() const {
  if (!noise_) return absl::FailedPreconditionError("this run adds no noise: it is not private");
  return PrivacyMap::SubsampledGaussian(effective_noise_multiplier(), options_.sampling_rate,
                                        options_.max_steps, "dp-sgd");
}

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
        " rows (the num_examples the engine was created with: q and the accounting depend on it)"));
  }
  Draw draw;
  if (next_.valid()) {
    draw = next_.get();
  } else {
    draw = MakeDraw();
  }
  if (options_.prefetch && steps_taken_ + 1 < options_.max_steps) {
    next_ = std::async(std::launch::async, [this] { return MakeDraw(); });
  }
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
    if (noise_) DPKIT_RETURN_IF_ERROR(noise_->Apply(gs.clipped_gradient_sum(), draw.noise.data()));
    const double denom = options_.sampling_rate * static_cast<double>(num_examples_);
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
