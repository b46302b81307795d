// The training release: the plan reads nothing private and checks what it can; the charge comes
// first (a refusal trains and writes nothing); per-unit bounding and the budget's unit; the DP
// evaluation; failures after the charge say what was spent. Real SQLite ledgers, real files.
#include "dpkit/train/tabular_release.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dpkit::train {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kSchema[] = R"({"columns": [
  {"name": "uid", "type": "string"},
  {"name": "x", "type": "double", "lower": 0, "upper": 10, "nullable": false},
  {"name": "label", "type": "string", "categories": ["lo", "hi"]}]})";

std::string Dir() {
  const std::string dir = ::testing::TempDir() + "/tabular_release_test";
  fs::create_directories(dir);
  return dir;
}

// 100 units with 3 rows each: label = hi iff x > 5.
std::string WriteData() {
  const std::string path = Dir() + "/units.csv";
  std::ofstream f(path);
  f << "uid,x,label\n";
  for (int u = 0; u < 100; ++u) {
    for (int k = 0; k < 3; ++k) {
      const double x = (u * 3 + k) % 10 + 0.5;
      f << "u" << u << "," << x << "," << (x > 5 ? "hi" : "lo") << "\n";
    }
  }
  return path;
}

TabularTrainingSpec Spec(const std::string& name) {
  TabularTrainingSpec s;
  s.schema = *io::Schema::FromJson(kSchema);
  s.target = "label";
  s.unit = "uid";
  s.model = "linear";
  s.dataset = "units";
  s.training = {.epsilon = 4, .delta = 1e-4, .rows = 100, .epochs = 2, .batch_size = 20,
                .learning_rate = 0.5};
  s.data = WriteData();
  s.model_path = Dir() + "/" + name + ".pt";
  s.report_path = Dir() + "/" + name + ".report.json";
  fs::remove(s.model_path);
  fs::remove(s.report_path);
  return s;
}

std::unique_ptr<release::LedgerCharger> Ledger(const std::string& name, const std::string& unit,
                                               double epsilon) {
  const std::string path = Dir() + "/" + name + ".db";
  fs::remove(path);
  auto c = release::LedgerCharger::CreateNew(path, {"units", unit},
                                             ledger::Budget::EpsilonDelta(epsilon, 1e-3),
                                             accounting::AccountantKind::kRdp, {});
  EXPECT_TRUE(c.ok()) << c.status();
  return std::move(*c);
}

TEST(PlanTabularTraining, ReadsNoPrivateDataAndPlansThePerUnitRelease) {
  TabularTrainingSpec spec = Spec("plan");
  spec.data = Dir() + "/does-not-exist.csv";  // never opened by the plan
  auto p = PlanTabularTraining(spec, mechanisms::SecureNoise());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->release.budget.unit, "uid");
  EXPECT_EQ(p->release.neighbouring, "add/remove all rows of one 'uid'");
  ASSERT_EQ(p->release.maps.size(), 1u);
  EXPECT_EQ(p->release.maps[0].ToJson(), p->training.privacy.ToJson());
  EXPECT_THAT(p->release.ToText(), HasSubstr("one uniformly random row per 'uid'"));
  EXPECT_EQ(p->encoder.num_features(), 1);  // x (not nullable); label is the target, uid the unit
  EXPECT_FALSE(fs::exists(spec.model_path));
}

TEST(PlanTabularTraining, ChecksEverythingCheckable) {
  TabularTrainingSpec spec = Spec("checks");
  spec.unit = "user";
  EXPECT_THAT(PlanTabularTraining(spec, mechanisms::SecureNoise()).status().message(),
              HasSubstr("privacy unit 'user' is not a column of the schema"));
  spec = Spec("checks");
  spec.schema.privacy_unit = "x";
  EXPECT_THAT(PlanTabularTraining(spec, mechanisms::SecureNoise()).status().message(),
              HasSubstr("differs from the schema's privacy_unit"));
  spec = Spec("checks");
  spec.features = {"x", "uid"};
  EXPECT_THAT(PlanTabularTraining(spec, mechanisms::SecureNoise()).status().message(),
              HasSubstr("cannot be a feature"));
  spec = Spec("checks");
  spec.model_path = Dir() + "/no/such/dir/m.pt";
  EXPECT_FALSE(PlanTabularTraining(spec, mechanisms::SecureNoise()).ok());
  spec = Spec("checks");
  spec.test_data = Dir() + "/missing-test.csv";
  EXPECT_FALSE(PlanTabularTraining(spec, mechanisms::SecureNoise()).ok());
  spec = Spec("checks");
  spec.dp_evaluation = {.fraction = 0.2, .epsilon = 0};
  EXPECT_THAT(PlanTabularTraining(spec, mechanisms::SecureNoise()).status().message(),
              HasSubstr("dp_eval_epsilon"));
}

TEST(TrainTabular, ARefusedChargeTrainsAndWritesNothing) {
  TabularTrainingSpec spec = Spec("refused");
  auto p = PlanTabularTraining(spec, mechanisms::SecureNoise());
  ASSERT_TRUE(p.ok()) << p.status();
  const torch::Tensor before = p->model->parameters()[0].detach().clone();
  auto ledger = Ledger("refused", "uid", 1.0);
  random::testing::SeededRng rng(1);
  auto r = TrainTabular(*p, *ledger, rng);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(torch::equal(before, p->model->parameters()[0]));
  EXPECT_FALSE(fs::exists(spec.model_path));
  EXPECT_FALSE(fs::exists(spec.report_path));
}

TEST(TrainTabular, ChargesThePerUnitBudgetThenTrainsAndReportsNoCounts) {
  TabularTrainingSpec spec = Spec("ok");
  spec.dp_evaluation = {.fraction = 0.3, .epsilon = 1};
  spec.training.epochs = 10;
  auto p = PlanTabularTraining(spec, mechanisms::testing::ZeroNoise());
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->release.maps.size(), 3u);  // DP-SGD, total, correct
  auto ledger = Ledger("ok", "uid", 10.0);
  random::testing::SeededRng rng(2);
  auto r = TrainTabular(*p, *ledger, rng);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->receipt.unit, "uid");
  EXPECT_EQ(r->receipt.dataset, "units");
  ASSERT_TRUE(r->dp_metrics.has_value());
  // Zero noise: the released total is the exact number of held-out units, a bounded count.
  EXPECT_GE(r->dp_metrics->total, 1);
  EXPECT_LE(r->dp_metrics->total, 100);
  ASSERT_TRUE(r->dp_metrics->accuracy.has_value());
  EXPECT_GT(*r->dp_metrics->accuracy, 0.7);
  EXPECT_TRUE(fs::exists(spec.model_path));
  auto report = nlohmann::json::parse(std::ifstream(spec.report_path));
  EXPECT_EQ(report["privacy"]["unit"], "uid");
  EXPECT_EQ(report["ledger"]["charge_id"], r->receipt.charge_id);
  EXPECT_EQ(report["training"]["planned_rows"], 70);  // 100 x (1 - 0.3), public
  EXPECT_FALSE(report.contains("rows"));
  EXPECT_FALSE(report.contains("test_data"));
  EXPECT_EQ(report.dump().find("seconds"), std::string::npos);
}

TEST(TrainTabular, AFailureAfterTheChargeSaysWhatWasSpent) {
  TabularTrainingSpec spec = Spec("charged");
  spec.data = Dir() + "/vanished.csv";
  auto p = PlanTabularTraining(spec, mechanisms::SecureNoise());
  ASSERT_TRUE(p.ok()) << p.status();
  auto ledger = Ledger("charged", "uid", 10.0);
  random::testing::SeededRng rng(3);
  auto r = TrainTabular(*p, *ledger, rng);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("charged"));
  EXPECT_FALSE(fs::exists(spec.model_path));
}

TEST(TrainTabular, ARowLevelReleaseIsNotChargedToAUnitBudget) {
  TabularTrainingSpec spec = Spec("rows");
  spec.unit = "";
  spec.features = {"x"};
  auto p = PlanTabularTraining(spec, mechanisms::SecureNoise());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->release.neighbouring, "add/remove one row");
  auto ledger = Ledger("rows", "uid", 10.0);
  random::testing::SeededRng rng(4);
  EXPECT_FALSE(TrainTabular(*p, *ledger, rng).ok());
  EXPECT_FALSE(fs::exists(spec.model_path));
}

}  // namespace
}  // namespace dpkit::train
