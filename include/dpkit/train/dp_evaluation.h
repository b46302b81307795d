// DP evaluation of a trained model on rows held out from the private data: the metric is
// released through mechanisms and charged with the training, so no exact metric computed on
// private data ever leaves the process.
//
// Released values (one row = one privacy unit after the library's per-unit bounding):
//   total          the number of held-out rows: discrete Laplace, epsilon/2, L1 sensitivity 1;
//   classification correct = rows the model classifies right: discrete Laplace, epsilon/2, L1
//                  sensitivity 1; accuracy = clamp(correct / total, 0, 1);
//   regression     sse = sum of squared errors of the prediction clamped to the target's declared
//                  bounds, in scaled units (each in [0, 4]): Laplace, epsilon/2, L1 sensitivity 4;
//                  rmse = sqrt(max(0, sse) / total) * target scale (needs declared bounds).
// The ratios are post-processing and undefined (absent) when the released total is < 1.
//
// PRIVACY CLAIM. epsilon-DP for adding/removing one held-out row (basic composition of two
// pure-DP mechanisms, Dwork & Roth 2014, Thm 3.16; the Laplace mechanisms' claims are in
// dpkit/mechanisms/laplace.h). The held-out rows are disjoint from the training rows, chosen
// per row by an independent coin, so charging both the training and the evaluation is
// conservative (parallel composition would allow the larger of the two).
//
// Thread safety: immutable after Create; Evaluate is thread-compatible.
#ifndef DPKIT_TRAIN_DP_EVALUATION_H_
#define DPKIT_TRAIN_DP_EVALUATION_H_

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/interval.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/train/tabular.h"

namespace dpkit::train {

struct DpEvaluationOptions {
  double fraction = 0;  // of the (bounded) private rows held out, in [0, 1); 0 = no evaluation
  double epsilon = 0;   // spent on the released metric (> 0 when fraction > 0)
};

struct DpMetrics {
  double total = 0;  // released count of held-out rows
  mechanisms::Interval total_interval;
  double numerator = 0;  // released correct count (classification) or sse (regression)
  mechanisms::Interval numerator_interval;
  std::optional<double> accuracy;  // classification
  std::optional<double> rmse;      // regression, target units
};

class DpEvaluation {
 public:
  // InvalidArgument for a bad fraction/epsilon, or regression without declared target bounds.
  static absl::StatusOr<DpEvaluation> Create(const DpEvaluationOptions& options,
                                             const TabularEncoder& encoder,
                                             const mechanisms::NoiseFactory& noise);

  // The maps of the released values (what a release charges).
  std::vector<PrivacyMap> privacy_maps() const;
  // The step in words, for the release plan.
  std::string Describe() const;
  // Releases the metric of `model` on `holdout` (any number of rows).
  absl::StatusOr<DpMetrics> Evaluate(torch::nn::Sequential model, const EncodedData& holdout,
                                     random::BitGenerator& gen) const;

 private:
  DpEvaluation() = default;
  DpEvaluationOptions options_;
  TaskKind task_ = TaskKind::kClassification;
  double target_scale_ = 1;
  std::shared_ptr<const mechanisms::IntegerNoise> total_;
  std::shared_ptr<const mechanisms::IntegerNoise> correct_;  // classification
  std::shared_ptr<const mechanisms::RealNoise> sse_;         // regression
};

}  // namespace dpkit::train

#endif  // DPKIT_TRAIN_DP_EVALUATION_H_
