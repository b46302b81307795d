#include "dpkit/train/dp_evaluation.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "train/torch_util.h"

namespace dpkit::train {
namespace {

constexpr double kLevel = 0.95;
// Squared error of a prediction clamped to [-1, 1] against a target in [-1, 1].
constexpr double kMaxSquaredError = 4;

}  // namespace

absl::StatusOr<DpEvaluation> DpEvaluation::Create(const DpEvaluationOptions& options,
                                                  const TabularEncoder& encoder,
                                                  const mechanisms::NoiseFactory& noise) {
  DPKIT_RETURN_IF_ERROR(ValidateInOpenRange("dp_eval_fraction", options.fraction, 0, 1));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("dp_eval_epsilon", options.epsilon));
  DpEvaluation e;
  e.options_ = options;
  e.task_ = encoder.task();
  e.target_scale_ = encoder.target_scale();
  const double half = options.epsilon / 2;
  DPKIT_ASSIGN_OR_RETURN(e.total_, noise.DiscreteLaplace({.epsilon = half, .l1_sensitivity = 1}));
  if (e.task_ == TaskKind::kClassification) {
    DPKIT_ASSIGN_OR_RETURN(e.correct_,
                           noise.DiscreteLaplace({.epsilon = half, .l1_sensitivity = 1}));
    return e;
  }
  if (!encoder.target_scaled()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DP evaluation of a regression needs public bounds for the target '", encoder.target(),
        "': declare \"lower\" and \"upper\" for it in the schema"));
  }
  DPKIT_ASSIGN_OR_RETURN(e.sse_,
                         noise.Laplace({.epsilon = half, .l1_sensitivity = kMaxSquaredError}));
  return e;
}

std::vector<PrivacyMap> DpEvaluation::privacy_maps() const {
  return {total_->privacy_map(), correct_ ? correct_->privacy_map() : sse_->privacy_map()};
}

std::string DpEvaluation::Describe() const {
  return absl::StrCat(
      "DP evaluation on a held-out ", FormatDouble(options_.fraction * 100),
      "% of the bounded rows (each row by an independent coin): released ",
      correct_ ? "correct and total counts (discrete Laplace)"
               : "sum of squared errors (Laplace) and total count (discrete Laplace)",
      ", epsilon ", FormatDouble(options_.epsilon), " in all");
}

absl::StatusOr<DpMetrics> DpEvaluation::Evaluate(torch::nn::Sequential model,
                                                 const EncodedData& holdout,
                                                 random::BitGenerator& gen) const {
  const int64_t n = holdout.x.defined() ? holdout.x.size(0) : 0;
  int64_t correct = 0;
  double sse = 0;
  if (n > 0) {
    DPKIT_RETURN_IF_ERROR(GuardTorch("the DP evaluation", [&]() -> absl::Status {
      torch::NoGradGuard guard;
      model->eval();
      torch::Tensor out = model->forward(holdout.x);
      model->train();
      if (correct_) {
        correct = out.argmax(1).eq(holdout.y).sum().item<int64_t>();
      } else {
        torch::Tensor err = out.reshape({-1}).clamp(-1, 1).to(torch::kDouble) -
                            holdout.y.to(torch::kDouble);
        sse = err.square().clamp_max(kMaxSquaredError).sum().item<double>();
      }
      return absl::OkStatus();
    }));
  }
  DpMetrics m;
  m.total = static_cast<double>(total_->AddNoise(n, gen));
  DPKIT_ASSIGN_OR_RETURN(m.total_interval,
                         total_->ConfidenceInterval(static_cast<int64_t>(m.total), kLevel));
  if (correct_) {
    const int64_t noisy = correct_->AddNoise(correct, gen);
    m.numerator = static_cast<double>(noisy);
    DPKIT_ASSIGN_OR_RETURN(m.numerator_interval, correct_->ConfidenceInterval(noisy, kLevel));
    if (m.total >= 1) m.accuracy = std::clamp(m.numerator / m.total, 0.0, 1.0);
  } else {
    DPKIT_ASSIGN_OR_RETURN(m.numerator, sse_->AddNoise(sse, gen));
    DPKIT_ASSIGN_OR_RETURN(m.numerator_interval, sse_->ConfidenceInterval(m.numerator, kLevel));
    if (m.total >= 1) m.rmse = std::sqrt(std::max(0.0, m.numerator) / m.total) * target_scale_;
  }
  return m;
}

}  // namespace dpkit::train
