// Per-example gradient norms and clipping against the ground truth: each example run alone
// through ordinary autograd.
#include "dpkit/train/grad_sample.h"

#include <cmath>
#include <functional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::train {
namespace {

namespace nn = torch::nn;
using ::testing::HasSubstr;
using torch::Tensor;

struct Case {
  std::string name;
  std::function<nn::Sequential()> make_model;
  std::function<Tensor(int64_t)> make_input;
  std::function<Tensor(int64_t)> make_target;
  PerExampleLoss loss;
};

// Ground truth: one ordinary backward pass per example.
std::vector<std::vector<Tensor>> ReferenceGrads(nn::Sequential& model,
                                                const std::vector<Tensor>& params, const Tensor& x,
                                                const Tensor& y, const PerExampleLoss& loss) {
  std::vector<std::vector<Tensor>> out;
  for (int64_t i = 0; i < x.size(0); ++i) {
    for (auto& p : model->parameters()) p.mutable_grad() = Tensor();
    Tensor l = loss(model->forward(x.slice(0, i, i + 1)), y.slice(0, i, i + 1)).sum();
    l.backward();
    std::vector<Tensor> g;
    for (const auto& p : params) g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    out.push_back(g);
  }
  for (auto& p : model->parameters()) p.mutable_grad() = Tensor();
  return out;
}

double Norm(const std::vector<Tensor>& g) {
  double s = 0;
  for (const auto& t : g) s += t.to(torch::kDouble).square().sum().item<double>();
  return std::sqrt(s);
}

std::vector<Case> Cases() {
  std::vector<Case> cases;
  auto class_target = [](int64_t k) {
    return [k](int64_t b) { return torch::randint(0, k, {b}, torch::kLong); };
  };
  cases.push_back({"linear_2d",
                   [] {
                     return nn::Sequential(nn::Linear(5, 4), nn::ReLU(), nn::Linear(4, 3));
                   },
                   [](int64_t b) { return torch::randn({b, 5}); }, class_target(3),
                   CrossEntropyLoss()});
  // Rows longer than the 16 lanes of the fused row-norm loop, with a remainder (37 = 2*16 + 5).
  cases.push_back({"linear_wide",
                   [] {
                     return nn::Sequential(nn::Linear(37, 20), nn::Tanh(), nn::Linear(20, 3));
                   },
                   [](int64_t b) { return torch::randn({b, 37}); }, class_target(3),
                   CrossEntropyLoss()});
  cases.push_back({"linear_sequence",
                   [] {
                     return nn::Sequential(nn::Linear(6, 5), nn::GELU(), nn::Flatten(),
                                           nn::Linear(35, 3));
                   },
                   [](int64_t b) { return torch::randn({b, 7, 6}); }, class_target(3),
                   CrossEntropyLoss()});
  cases.push_back({"linear_no_bias_mse",
                   [] {
                     return nn::Sequential(nn::Linear(nn::LinearOptions(4, 3).bias(false)),
                                           nn::Tanh(), nn::Linear(3, 1));
                   },
                   [](int64_t b) { return torch::randn({b, 4}); },
                   [](int64_t b) { return torch::randn({b}); }, MseLoss()});
  cases.push_back({"conv2d",
                   [] {
                     return nn::Sequential(
                         nn::Conv2d(nn::Conv2dOptions(2, 4, 3).stride(2).padding(1)), nn::ReLU(),
                         nn::Conv2d(nn::Conv2dOptions(4, 4, 3).groups(2).dilation(2).padding(2)),
                         nn::MaxPool2d(nn::MaxPool2dOptions(2)), nn::Flatten(),
                         nn::Linear(16, 3));
                   },
                   [](int64_t b) { return torch::randn({b, 2, 9, 9}); }, class_target(3),
                   CrossEntropyLoss()});
  cases.push_back({"conv2d_rect_kernel",
                   [] {
                     return nn::Sequential(
                         nn::Conv2d(nn::Conv2dOptions(1, 3, {3, 2}).stride({1, 2}).bias(false)),
                         nn::Sigmoid(), nn::Flatten(), nn::Linear(3 * 4 * 3, 2));
                   },
                   [](int64_t b) { return torch::randn({b, 1, 6, 6}); }, class_target(2),
                   CrossEntropyLoss()});
  cases.push_back({"embedding",
                   [] {
                     return nn::Sequential(
                         nn::Embedding(nn::EmbeddingOptions(10, 4).padding_idx(0)), nn::Flatten(),
                         nn::Linear(4 * 6, 3));
                   },
                   [](int64_t b) { return torch::randint(0, 4, {b, 6}, torch::kLong); },
                   class_target(3), CrossEntropyLoss()});
  cases.push_back({"layernorm",
                   [] {
                     return nn::Sequential(nn::Linear(5, 6), nn::LayerNorm(nn::LayerNormOptions({6})),
                                           nn::ReLU(), nn::Linear(6, 2));
                   },
                   [](int64_t b) { return torch::randn({b, 5}); }, class_target(2),
                   CrossEntropyLoss()});
  cases.push_back({"groupnorm",
                   [] {
                     return nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 4, 3)),
                                           nn::GroupNorm(nn::GroupNormOptions(2, 4)), nn::SiLU(),
                                           nn::AdaptiveAvgPool2d(1), nn::Flatten(),
                                           nn::Linear(4, 2), nn::LogSoftmax(1));
                   },
                   [](int64_t b) { return torch::randn({b, 1, 6, 6}); }, class_target(2),
                   CrossEntropyLoss()});
  cases.push_back({"bce",
                   [] { return nn::Sequential(nn::Linear(3, 1)); },
                   [](int64_t b) { return torch::randn({b, 3}); },
                   [](int64_t b) { return torch::randint(0, 2, {b}).to(torch::kFloat); },
                   BinaryCrossEntropyWithLogitsLoss()});
  return cases;
}

class GradSampleTest : public ::testing::TestWithParam<int> {};

TEST_P(GradSampleTest, NormsGradsAndClippedSumMatchPerExampleBackward) {
  const Case c = Cases()[GetParam()];
  SCOPED_TRACE(c.name);
  torch::manual_seed(7 + GetParam());
  const int64_t B = 6;
  nn::Sequential model = c.make_model();
  Tensor x = c.make_input(B);
  Tensor y = c.make_target(B);
  for (NormMethod method : {NormMethod::kAuto, NormMethod::kGhost, NormMethod::kExplicit}) {
    auto gs = GradSampleModule::Create(model, {.max_grad_norm = 0.5, .norm_method = method});
    ASSERT_TRUE(gs.ok()) << gs.status();
    auto ref = ReferenceGrads(model, (*gs)->parameters(), x, y, c.loss);

    auto norms = (*gs)->PerExampleGradientNorms(x, y, c.loss);
    ASSERT_TRUE(norms.ok()) << norms.status();
    ASSERT_EQ(norms->size(0), B);
    for (int64_t i = 0; i < B; ++i) {
      const double want = Norm(ref[i]);
      EXPECT_NEAR((*norms)[i].item<double>(), want, 1e-4 * want + 1e-5) << "example " << i;
    }

    auto psg = (*gs)->PerExampleGradients(x, y, c.loss);
    ASSERT_TRUE(psg.ok()) << psg.status();
    ASSERT_EQ(psg->size(), ref[0].size());
    for (size_t p = 0; p < psg->size(); ++p) {
      for (int64_t i = 0; i < B; ++i) {
        EXPECT_TRUE(torch::allclose((*psg)[p][i], ref[i][p], 1e-4, 1e-5))
            << "param " << p << " example " << i;
      }
    }

    (*gs)->ZeroClippedGradientSum();
    auto stats = (*gs)->AccumulateClippedGradients(x, y, c.loss);
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(stats->batch_size, B);
    int64_t clipped = 0;
    for (size_t p = 0; p < ref[0].size(); ++p) {
      Tensor want = torch::zeros_like(ref[0][p]);
      for (int64_t i = 0; i < B; ++i) {
        const double n = Norm(ref[i]);
        const double f = std::min(1.0, 0.5 * (1 - 1e-5) / n);
        if (p == 0 && f < 1) ++clipped;
        want += ref[i][p] * f;
      }
      EXPECT_TRUE(torch::allclose((*gs)->clipped_gradient_sum()[p], want, 1e-4, 1e-5))
          << "param " << p;
    }
    EXPECT_EQ(stats->num_clipped, clipped);
  }
}

INSTANTIATE_TEST_SUITE_P(Layers, GradSampleTest, ::testing::Range(0, 10));

TEST(GradSampleModule, EveryClippedExampleRespectsTheBound) {
  torch::manual_seed(3);
  nn::Sequential model(nn::Linear(8, 16), nn::ReLU(), nn::Linear(16, 4));
  const double C = 0.1;
  auto gs = GradSampleModule::Create(model, {.max_grad_norm = C});
  ASSERT_TRUE(gs.ok());
  Tensor x = torch::randn({64, 8}) * 10;
  Tensor y = torch::randint(0, 4, {64}, torch::kLong);
  // Each example alone: its clipped contribution has norm <= C.
  for (int64_t i = 0; i < 64; ++i) {
    (*gs)->ZeroClippedGradientSum();
    auto st = (*gs)->AccumulateClippedGradients(x.slice(0, i, i + 1), y.slice(0, i, i + 1),
                                                CrossEntropyLoss());
    ASSERT_TRUE(st.ok());
    EXPECT_LE(Norm((*gs)->clipped_gradient_sum()), C) << "example " << i;
  }
}

TEST(GradSampleModule, PerLayerClippingBoundsEachLayer) {
  torch::manual_seed(4);
  nn::Sequential model(nn::Linear(8, 16), nn::ReLU(), nn::Linear(16, 4));
  auto gs = GradSampleModule::Create(
      model, {.mode = ClippingMode::kPerLayer, .per_layer_max_grad_norms = {0.2, 0.05}});
  ASSERT_TRUE(gs.ok());
  EXPECT_NEAR((*gs)->sensitivity(), std::sqrt(0.04 + 0.0025), 1e-12);
  Tensor x = torch::randn({32, 8}) * 5;
  Tensor y = torch::randint(0, 4, {32}, torch::kLong);
  for (int64_t i = 0; i < 32; ++i) {
    (*gs)->ZeroClippedGradientSum();
    ASSERT_TRUE((*gs)->AccumulateClippedGradients(x.slice(0, i, i + 1), y.slice(0, i, i + 1),
                                                  CrossEntropyLoss())
                    .ok());
    const auto& s = (*gs)->clipped_gradient_sum();
    EXPECT_LE(Norm({s[0], s[1]}), 0.2);
    EXPECT_LE(Norm({s[2], s[3]}), 0.05);
  }
  auto equal = GradSampleModule::Create(model, {.max_grad_norm = 1.0, .mode = ClippingMode::kPerLayer});
  ASSERT_TRUE(equal.ok());
  EXPECT_NEAR((*equal)->sensitivity(), 1.0, 1e-12);
  EXPECT_THAT((*equal)->clip_thresholds(),
              ::testing::ElementsAre(::testing::DoubleNear(std::sqrt(0.5), 1e-12),
                                     ::testing::DoubleNear(std::sqrt(0.5), 1e-12)));
}

TEST(GradSampleModule, EmptyBatchAddsNothing) {
  nn::Sequential model(nn::Linear(3, 2));
  auto gs = GradSampleModule::Create(model, {});
  ASSERT_TRUE(gs.ok());
  auto st = (*gs)->AccumulateClippedGradients(torch::zeros({0, 3}), torch::zeros({0}, torch::kLong),
                                              CrossEntropyLoss());
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->batch_size, 0);
  for (const auto& s : (*gs)->clipped_gradient_sum()) EXPECT_EQ(s.abs().sum().item<double>(), 0);
}

TEST(GradSampleModule, FrozenLayersAreSkipped) {
  torch::manual_seed(5);
  nn::Sequential model(nn::Linear(4, 4), nn::ReLU(), nn::Linear(4, 2));
  for (auto& p : model[0]->parameters()) p.set_requires_grad(false);
  auto gs = GradSampleModule::Create(model, {});
  ASSERT_TRUE(gs.ok()) << gs.status();
  EXPECT_EQ((*gs)->parameters().size(), 2u);
  EXPECT_EQ((*gs)->num_parameters(), 10);
}

TEST(GradSampleModule, BatchNormIsRejectedWithAdvice) {
  nn::Sequential model(nn::Conv2d(nn::Conv2dOptions(1, 2, 3)), nn::BatchNorm2d(2), nn::Flatten());
  auto gs = GradSampleModule::Create(model, {});
  ASSERT_FALSE(gs.ok());
  EXPECT_EQ(gs.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(gs.status().message(), HasSubstr("layer 1"));
  EXPECT_THAT(gs.status().message(), HasSubstr("not DP-compatible: it mixes examples in a batch"));
  EXPECT_THAT(gs.status().message(), HasSubstr("use GroupNorm"));
}

TEST(GradSampleModule, UnsupportedLayersAreRejected) {
  {
    auto gs = GradSampleModule::Create(nn::Sequential(nn::Linear(2, 2), nn::PReLU()), {});
    ASSERT_FALSE(gs.ok());
    EXPECT_THAT(gs.status().message(), HasSubstr("layer 1"));
    EXPECT_THAT(gs.status().message(), HasSubstr("no per-sample gradient support"));
  }
  {
    auto gs = GradSampleModule::Create(
        nn::Sequential(nn::Linear(2, 2), nn::Softmax(nn::SoftmaxOptions(0))), {});
    ASSERT_FALSE(gs.ok());
    EXPECT_THAT(gs.status().message(), HasSubstr("batch dimension"));
  }
  {
    auto gs = GradSampleModule::Create(
        nn::Sequential(nn::Conv2d(nn::Conv2dOptions(1, 1, 3).padding_mode(torch::kReflect))), {});
    ASSERT_FALSE(gs.ok());
    EXPECT_THAT(gs.status().message(), HasSubstr("padding_mode"));
  }
  {
    auto gs = GradSampleModule::Create(nn::Sequential(nn::Linear(2, 2)), {.max_grad_norm = -1});
    ASSERT_FALSE(gs.ok());
    EXPECT_THAT(gs.status().message(), HasSubstr("max_grad_norm must be finite and > 0, got -1"));
  }
}

TEST(GradSampleModule, InPlaceActivationAfterTrainableLayerIsAnError) {
  nn::Sequential model(nn::Linear(3, 3), nn::ReLU(nn::ReLUOptions(true)), nn::Linear(3, 2));
  auto gs = GradSampleModule::Create(model, {});
  ASSERT_TRUE(gs.ok());
  auto st = (*gs)->AccumulateClippedGradients(torch::randn({4, 3}), torch::zeros({4}, torch::kLong),
                                              CrossEntropyLoss());
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.status().message(), HasSubstr("modified in place"));
}

TEST(GradSampleModule, ShapeMismatchIsAStatusNotAnException) {
  auto gs = GradSampleModule::Create(nn::Sequential(nn::Linear(3, 2)), {});
  ASSERT_TRUE(gs.ok());
  auto st = (*gs)->AccumulateClippedGradients(torch::randn({4, 5}), torch::zeros({4}, torch::kLong),
                                              CrossEntropyLoss());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.status().message(), HasSubstr("torch error"));
}

}  // namespace
}  // namespace dpkit::train
