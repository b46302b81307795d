// DpSgdEngine: unit tests (deterministic, seeded).
#include "dpkit/train/dp_sgd.h"

#include <algorithm>
#include <cmath>

#include "dpkit/random/secure_rng.h"
#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "train/step_draws.h"

namespace dpkit::train {
namespace {

namespace nn = torch::nn;
using ::testing::HasSubstr;
using random::testing::SeededRng;

TEST(PoissonSample, EdgeRates) {
  SeededRng rng(1);
  EXPECT_EQ(PoissonSampleIndices(rng, 100, 1.0).size(), 100u);
  auto idx = PoissonSampleIndices(rng, 1000, 0.1);
  EXPECT_TRUE(std::is_sorted(idx.begin(), idx.end()));
  for (int64_t i : idx) {
    EXPECT_GE(i, 0);
    EXPECT_LT(i, 1000);
  }
}

TEST(PoissonSample, RatesOutsideTheOpenIntervalAndRanges) {
  SeededRng rng(1);
  EXPECT_TRUE(PoissonSampleIndices(rng, 100, 0.0).empty());
  EXPECT_TRUE(PoissonSampleIndices(rng, 100, std::nan("")).empty());
  std::vector<int64_t> out = {3};
  AppendPoissonSample(rng, 10, 20, 1.0, out);
  ASSERT_EQ(out.size(), 11u);
  EXPECT_EQ(out[1], 10);
  EXPECT_EQ(out.back(), 19);
  // Rates below 2^-16 select only through the exact tie path: 1e-7 * 1e5 rows = 0.01 expected.
  EXPECT_LE(PoissonSampleIndices(rng, 100000, 1e-7).size(), 3u);
}

// Every 16-bit draw equals `value`; the tie path's extra bits come from a seeded stream.
class PatternRng final : public random::BitGenerator {
 public:
  explicit PatternRng(uint16_t value) : value_(value) {}
  uint64_t NextU64() override { return bits_.NextU64(); }
  void Fill(void* out, size_t n) override {
    auto* p = static_cast<uint8_t*>(out);
    for (size_t i = 0; i < n; ++i) p[i] = i % 2 == 0 ? value_ & 0xff : value_ >> 8;
  }
  bool IsSecure() const override { return false; }

 private:
  uint16_t value_;
  SeededRng bits_{7};
};

// q = m / 2^16 exactly: a row joins iff its 16 bits are below m (a tie has r = 0).
TEST(PoissonSample, SixteenBitThresholdIsExact) {
  const double q = 0x1234 / 65536.0;
  PatternRng below(0x1233), tie(0x1234);
  EXPECT_EQ(PoissonSampleIndices(below, 5000, q).size(), 5000u);
  EXPECT_TRUE(PoissonSampleIndices(tie, 5000, q).empty());
  PatternRng zero(0);
  EXPECT_EQ(PoissonSampleIndices(zero, 100, 1.0).size(), 100u);  // q = 1: m = 2^16, all join
}

// A generator whose 16-bit word number p is a fixed hash of p, never equal to `avoid`: with
// q = (avoid + 1/2) / 2^16 row j joins iff word j < avoid, whatever the chunking or the code path.
class HashWordsRng final : public random::BitGenerator {
 public:
  explicit HashWordsRng(uint16_t avoid) : avoid_(avoid) {}
  static uint16_t Word(uint64_t p, uint16_t avoid) {
    uint64_t x = (p + 1) * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 32;
    const uint16_t w = static_cast<uint16_t>(x);
    return w == avoid ? static_cast<uint16_t>(w + 1) : w;
  }
  uint64_t NextU64() override {
    uint64_t v;
    Fill(&v, sizeof(v));
    return v;
  }
  void Fill(void* out, size_t n) override {
    auto* b = static_cast<uint8_t*>(out);
    for (size_t i = 0; i < n; ++i, ++byte_) {
      const uint16_t w = Word(byte_ / 2, avoid_);
      b[i] = static_cast<uint8_t>(byte_ % 2 == 0 ? w & 0xFF : w >> 8);  // little-endian words
    }
  }
  bool IsSecure() const override { return false; }

 private:
  uint16_t avoid_;
  uint64_t byte_ = 0;
};

// Every row against the 16-bit rule, over several chunks and a ragged end (the vectorized
// selection must keep exactly the rows, in order, that the scalar rule keeps).
TEST(PoissonSample, SelectsExactlyTheRowsBelowTheThreshold) {
  for (uint16_t m : {uint16_t{0}, uint16_t{1}, uint16_t{515}, uint16_t{0x8000}, uint16_t{65535}}) {
    const double q = (m + 0.5) / 65536.0;
    for (int64_t begin : {int64_t{0}, int64_t{37}}) {
      const int64_t end = 10000 + 29;
      HashWordsRng rng(m);
      std::vector<int64_t> got;
      AppendPoissonSample(rng, begin, end, q, got);
      std::vector<int64_t> want;
      for (int64_t j = begin; j < end; ++j) {
        if (HashWordsRng::Word(static_cast<uint64_t>(j - begin), m) < m) want.push_back(j);
      }
      EXPECT_EQ(got, want) << "m " << m << " begin " << begin;
      if (m == 515) {
        EXPECT_GT(want.size(), 40u);
      }
    }
  }
}

struct Toy {
  nn::Sequential model;
  torch::Tensor x, y;
};

// The noise for `model` with `clipping`, from the secure factory.
DpSgdNoiseMechanism Noise(nn::Sequential model, double nm, ClippingOptions clipping = {}) {
  auto n = DpSgdNoise(mechanisms::SecureNoise(), model, clipping, nm);
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? *n : nullptr;
}

Toy MakeToy(uint64_t seed) {
  torch::manual_seed(seed);
  Toy t{nn::Sequential(nn::Linear(4, 8), nn::Tanh(), nn::Linear(8, 3)), torch::randn({50, 4}),
        torch::randint(0, 3, {50}, torch::kLong)};
  return t;
}

std::vector<torch::Tensor> Snapshot(nn::Sequential& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m->parameters()) out.push_back(p.detach().clone());
  return out;
}

std::vector<torch::Tensor> Train(const DpSgdOptions& o, int steps, uint64_t seed) {
  Toy t = MakeToy(11);
  torch::optim::SGD opt(t.model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  SeededRng rng(seed);
  auto e = DpSgdEngine::Create(t.model, opt, o, 50, rng);
  EXPECT_TRUE(e.ok()) << e.status();
  for (int i = 0; i < steps; ++i) {
    auto r = (*e)->Step(t.x, t.y, CrossEntropyLoss());
    EXPECT_TRUE(r.ok()) << r.status();
  }
  return Snapshot(t.model);
}

TEST(DpSgdEngine, VirtualStepsAndPrefetchDoNotChangeTheResult) {
  DpSgdOptions o{.noise = Noise(MakeToy(11).model, 0.8, {.max_grad_norm = 0.7}),
                 .sampling_rate = 0.3, .max_steps = 6, .clipping = {.max_grad_norm = 0.7}};
  auto base = Train(o, 6, 42);
  DpSgdOptions small = o;
  small.max_physical_batch_size = 4;
  DpSgdOptions noprefetch = o;
  noprefetch.prefetch = false;
  for (const auto& other : {Train(small, 6, 42), Train(noprefetch, 6, 42)}) {
    for (size_t i = 0; i < base.size(); ++i) {
      EXPECT_TRUE(torch::allclose(base[i], other[i], 1e-5, 1e-6));
    }
  }
  // A different seed gives different noise.
  auto other = Train(o, 6, 43);
  EXPECT_FALSE(torch::allclose(base[0], other[0], 1e-5, 1e-6));
}

TEST(DpSgdEngine, StopsAtTheCalibratedNumberOfSteps) {
  Toy t = MakeToy(1);
  torch::optim::Adam opt(t.model->parameters(), torch::optim::AdamOptions(0.01));
  SeededRng rng(2);
  auto e = DpSgdEngine::Create(t.model, opt,
                               {.noise = Noise(t.model, 1.0), .sampling_rate = 0.2, .max_steps = 3},
                               50, rng);
  ASSERT_TRUE(e.ok());
  for (int i = 1; i <= 3; ++i) {
    auto r = (*e)->Step(t.x, t.y, CrossEntropyLoss());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->step, i);
  }
  auto before = Snapshot(t.model);
  auto r = (*e)->Step(t.x, t.y, CrossEntropyLoss());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  auto after = Snapshot(t.model);
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i]));
  auto spent = (*e)->PrivacySpent();
  ASSERT_TRUE(spent.ok());
  EXPECT_EQ(spent->kind, PrivacyMapKind::kSubsampledGaussian);
  EXPECT_EQ(spent->repetitions, 3);
  EXPECT_DOUBLE_EQ(spent->sampling_rate, 0.2);
  EXPECT_DOUBLE_EQ(spent->noise_multiplier, (*e)->effective_noise_multiplier());
  EXPECT_GE(spent->noise_multiplier, 1.0);
}

TEST(DpSgdEngine, ValidatesOptions) {
  Toy t = MakeToy(1);
  torch::optim::SGD opt(t.model->parameters(), torch::optim::SGDOptions(0.1));
  SeededRng rng(2);
  auto no_noise = DpSgdEngine::Create(t.model, opt, {}, 50, rng);
  ASSERT_FALSE(no_noise.ok());
  EXPECT_THAT(no_noise.status().message(), HasSubstr("allow_no_noise_not_private"));
  const DpSgdNoiseMechanism noise = Noise(t.model, 1.0);
  EXPECT_FALSE(DpSgdEngine::Create(t.model, opt, {.noise = noise, .sampling_rate = 1.5}, 50, rng).ok());
  EXPECT_FALSE(DpSgdEngine::Create(t.model, opt, {.noise = noise, .max_steps = 0}, 50, rng).ok());
  nn::Linear other(2, 2);
  torch::optim::SGD wrong(other->parameters(), torch::optim::SGDOptions(0.1));
  auto e = DpSgdEngine::Create(t.model, wrong, {.noise = noise}, 50, rng);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("optimizer"));
  // Noise calibrated for another model or clipping would make the privacy map wrong.
  auto misfit = DpSgdEngine::Create(t.model, opt, {.noise = Noise(nn::Sequential(nn::Linear(2, 2)), 1.0)}, 50, rng);
  ASSERT_FALSE(misfit.ok());
  EXPECT_THAT(misfit.status().message(), HasSubstr("calibrated for"));
  auto clipped = DpSgdEngine::Create(t.model, opt, {.noise = noise, .clipping = {.max_grad_norm = 2}}, 50, rng);
  EXPECT_FALSE(clipped.ok());
  // No rows needs an explicit (public) expected batch size.
  EXPECT_FALSE(DpSgdEngine::Create(t.model, opt, {.noise = noise}, 0, rng).ok());
  auto ok = DpSgdEngine::Create(t.model, opt, {.noise = noise}, 50, rng);
  ASSERT_TRUE(ok.ok());
  auto bad_rows = (*ok)->Step(t.x.slice(0, 0, 10), t.y.slice(0, 0, 10), CrossEntropyLoss());
  ASSERT_FALSE(bad_rows.ok());
  EXPECT_THAT(bad_rows.status().message(), HasSubstr("50 rows"));
}

TEST(DpSgdEngine, DrawingOnSeveralThreadsNeedsASecureGenerator) {
  Toy t = MakeToy(1);
  torch::optim::SGD opt(t.model->parameters(), torch::optim::SGDOptions(0.1));
  const DpSgdNoiseMechanism noise = Noise(t.model, 1.0);
  SeededRng seeded(2);
  auto e = DpSgdEngine::Create(t.model, opt, {.noise = noise, .draw_threads = 2}, 50, seeded);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("thread-safe generator"));
  EXPECT_FALSE(DpSgdEngine::Create(t.model, opt, {.noise = noise, .draw_threads = -1}, 50, seeded).ok());
  random::SecureRng secure;
  for (int threads : {0, 1, 2, 5}) {
    for (bool prefetch : {true, false}) {
      Toy u = MakeToy(3);
      torch::optim::SGD o(u.model->parameters(), torch::optim::SGDOptions(0.1));
      auto engine = DpSgdEngine::Create(
          u.model, o,
          {.noise = Noise(u.model, 1.0), .sampling_rate = 0.5, .max_steps = 3,
           .prefetch = prefetch, .draw_threads = threads},
          50, secure);
      ASSERT_TRUE(engine.ok()) << engine.status();
      auto before = Snapshot(u.model);
      for (int i = 0; i < 3; ++i) {
        auto r = (*engine)->Step(u.x, u.y, CrossEntropyLoss());
        ASSERT_TRUE(r.ok()) << r.status();
        EXPECT_LE(r->batch_size, 50);
      }
      EXPECT_FALSE(torch::equal(before[0], Snapshot(u.model)[0]));
    }
  }
}

// Every row range and noise block of a draw is filled, however many threads share them.
TEST(StepDrawer, DrawsEveryRowRangeAndNoiseBlock) {
  auto mech = mechanisms::VectorGaussian(mechanisms::SecureNoise(),
                                         {.noise_multiplier = 1, .dimension = 20000});
  ASSERT_TRUE(mech.ok());
  random::SecureRng rng;
  const int64_t n = 140000;  // three row ranges
  for (int threads : {1, 3}) {
    internal::StepDrawer drawer(rng, n, 1.0, &*mech, threads, /*prefetch=*/true);
    for (int step = 0; step < 3; ++step) {
      internal::StepDraw d = drawer.Next(step < 2);
      ASSERT_EQ(d.indices.size(), static_cast<size_t>(n));
      EXPECT_EQ(d.indices.front(), 0);
      EXPECT_EQ(d.indices.back(), n - 1);
      EXPECT_TRUE(std::is_sorted(d.indices.begin(), d.indices.end()));
      ASSERT_EQ(d.noise.size(), 20000u);
      // sigma_g ~ 1.4e5: P(Z = 0) ~ 3e-6, so 5 zeros would mean an undrawn block.
      EXPECT_LT(std::count(d.noise.begin(), d.noise.end(), 0), 5);
    }
  }
}

TEST(DpSgdEngine, LearnsASeparableProblem) {
  torch::manual_seed(5);
  torch::Tensor x = torch::randn({400, 2});
  torch::Tensor y = (x.select(1, 0) + x.select(1, 1) > 0).to(torch::kLong);
  nn::Sequential model(nn::Linear(2, 2));
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.5));
  SeededRng rng(9);
  auto e = DpSgdEngine::Create(model, opt,
                               {.noise = Noise(model, 1.0), .sampling_rate = 0.25,
                                .max_steps = 60, .clipping = {.max_grad_norm = 1.0}},
                               400, rng);
  ASSERT_TRUE(e.ok());
  for (int i = 0; i < 60; ++i) ASSERT_TRUE((*e)->Step(x, y, CrossEntropyLoss()).ok());
  torch::NoGradGuard g;
  double acc = model->forward(x).argmax(1).eq(y).to(torch::kDouble).mean().item<double>();
  EXPECT_GT(acc, 0.9);
}

// No examples at all: every batch is empty, the steps release noise only, nothing fails.
TEST(DpSgdEngine, RunsOnAnEmptyDataSetWithAPublicBatchSize) {
  nn::Sequential model(nn::Linear(3, 2));
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.1));
  SeededRng rng(4);
  auto e = DpSgdEngine::Create(
      model, opt,
      {.noise = Noise(model, 1.0), .sampling_rate = 0.1, .max_steps = 2, .expected_batch_size = 8},
      0, rng);
  ASSERT_TRUE(e.ok()) << e.status();
  auto before = Snapshot(model);
  for (int i = 0; i < 2; ++i) {
    auto r = (*e)->Step(torch::zeros({0, 3}), torch::zeros({0}, torch::kLong), CrossEntropyLoss());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->batch_size, 0);
  }
  EXPECT_FALSE(torch::equal(before[0], Snapshot(model)[0]));  // noise moved the weights
}

}  // namespace
}  // namespace dpkit::train

