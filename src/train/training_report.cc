#include "train/training_report.h"

#include "absl/strings/str_format.h"
#include "dpkit/base/env.h"
#include "dpkit/ledger/ledger.h"
#include "nlohmann/json.hpp"

namespace dpkit::train {
namespace {

using nlohmann::json;

json Interval(const mechanisms::Interval& i) {
  return {{"lower", i.lower}, {"upper", i.upper}, {"level", i.level}};
}

json ModelJson(const TabularTrainingPlan& p, const TrainingResult& r) {
  return {{"spec", p.spec.model}, {"parameters", r.num_parameters}, {"layers", r.layers},
          {"file", p.spec.model_path}};
}

json TrainingJson(const TabularTrainingPlan& p) {
  const TrainingOptions& o = p.spec.training;
  return {{"planned_rows", o.rows},  // public: the schedule's planning size, not a count
          {"epochs", o.epochs},
          {"batch_size", o.batch_size},
          {"sampling_rate", p.training.sampling_rate},
          {"steps", p.training.steps},
          {"optimizer", o.optimizer},
          {"learning_rate", o.learning_rate},
          {"momentum", o.optimizer == "sgd" ? o.momentum : 0.0},
          {"clip", o.max_grad_norm},
          {"clipping", o.clipping_mode == ClippingMode::kFlat ? "flat" : "per-layer"}};
}

json PrivacyJson(const TabularTrainingPlan& p, const TabularTrainingResult& r) {
  const mechanisms::VectorGaussianMechanism& noise = *p.training.noise;
  json maps = json::array();
  for (const PrivacyMap& m : p.release.maps) maps.push_back(json::parse(m.ToJson()));
  return {{"epsilon_target", p.spec.training.epsilon},
          {"delta", p.spec.training.delta},
          {"epsilon_spent", r.training.epsilon_spent},
          {"accountant", accounting::AccountantKindName(p.spec.training.accountant)},
          {"noise_multiplier", p.training.noise_multiplier},
          {"effective_noise_multiplier", noise.effective_noise_multiplier()},
          {"noise", absl::StrFormat("vector Gaussian, exact on a grid of %g (sensitivity "
                                    "inflation %.3g)",
                                    noise.granularity(), noise.sensitivity_inflation())},
          {"privacy_maps", maps},
          {"unit", p.spec.unit.empty() ? std::string(ledger::kRowLevelUnit) : p.spec.unit},
          {"neighbouring", p.release.neighbouring},
          {"insecure_seed", p.spec.insecure_seed}};
}

json LedgerJson(const TabularTrainingResult& r) {
  return {{"charged", r.charged},
          {"charge_id", r.receipt.charge_id},
          {"dataset", r.receipt.dataset},
          {"unit", r.receipt.unit},
          {"epsilon_spent_total", r.receipt.spent.epsilon},
          {"epsilon_remaining", r.receipt.remaining.epsilon}};
}

json TestDataJson(const TabularTrainingPlan& p, const TrainingResult& r) {
  json epochs = json::array();
  for (const EpochReport& e : r.epochs) {
    json row = {{"epoch", e.epoch}, {"loss", e.test_loss}};
    if (e.test_accuracy >= 0) row["accuracy"] = e.test_accuracy;
    if (e.test_rmse >= 0) row["rmse"] = e.test_rmse;
    epochs.push_back(row);
  }
  return {{"file", p.spec.test_data}, {"note", kTestDataNote}, {"epochs", epochs}};
}

json DpEvaluationJson(const TabularTrainingPlan& p, const DpMetrics& m) {
  json j = {{"note", "DP: released through mechanisms and charged with the training"},
            {"fraction", p.spec.dp_evaluation.fraction},
            {"epsilon", p.spec.dp_evaluation.epsilon},
            {"total", m.total},
            {"total_interval", Interval(m.total_interval)}};
  const bool classification = p.encoder.task() == TaskKind::kClassification;
  j[classification ? "correct" : "sum_squared_errors"] = m.numerator;
  j[classification ? "correct_interval" : "sum_squared_errors_interval"] =
      Interval(m.numerator_interval);
  if (m.accuracy) j["accuracy"] = *m.accuracy;
  if (m.rmse) j["rmse"] = *m.rmse;
  return j;
}

}  // namespace

absl::Status WriteTrainingReport(const TabularTrainingPlan& p, const TabularTrainingResult& r) {
  json j;
  j["dpkit_version"] = "0.1.0";
  j["data"] = p.spec.data;
  j["target"] = p.spec.target;
  j["task"] = TaskKindName(p.encoder.task());
  j["classes"] = p.encoder.class_names();
  j["features"] = p.encoder.feature_names();
  if (p.encoder.task() == TaskKind::kRegression) {
    j["target_scaling"] = {{"scale", p.encoder.target_scale()},
                           {"offset", p.encoder.target_offset()}};
  }
  j["model"] = ModelJson(p, r.training);
  j["training"] = TrainingJson(p);
  j["privacy"] = PrivacyJson(p, r);
  j["ledger"] = LedgerJson(r);
  json epochs = json::array();
  for (const EpochReport& e : r.training.epochs) {
    epochs.push_back({{"epoch", e.epoch}, {"steps", e.steps}, {"epsilon_spent", e.epsilon_spent}});
  }
  j["epochs"] = epochs;
  if (!p.spec.test_data.empty()) j["test_data"] = TestDataJson(p, r.training);
  if (r.dp_metrics) j["dp_evaluation"] = DpEvaluationJson(p, *r.dp_metrics);
  return Env::Default()->WriteFileAtomically(p.spec.report_path, j.dump(2) + "\n");
}

}  // namespace dpkit::train
