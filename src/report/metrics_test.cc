// Every metric against values computed by hand (the arithmetic is in the comments).
#include "dpkit/report/metrics.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "report/tree.h"

namespace dpkit::report {
namespace {

const double kNaN = std::nan("");

TEST(MetricsTest, TotalVariation) {
  // p = (.25, .25, .5), q = (.5, .25, .25): 1/2 (.25 + 0 + .25) = .25.
  EXPECT_DOUBLE_EQ(TotalVariation(std::vector<double>{1, 1, 2}, std::vector<double>{2, 1, 1}),
                   0.25);
  EXPECT_DOUBLE_EQ(TotalVariation(std::vector<double>{3, 0}, std::vector<double>{0, 5}), 1.0);
  EXPECT_DOUBLE_EQ(TotalVariation(std::vector<double>{2, 2}, std::vector<double>{5, 5}), 0.0);
  EXPECT_DOUBLE_EQ(TotalVariation(std::vector<double>{0, 0}, std::vector<double>{1, 0}), 1.0);
}

TEST(MetricsTest, KolmogorovSmirnov) {
  // F_a - F_b: 0.5 at x = 2 (F_a = .5, F_b = 0) and at x = 4 (1 vs .5).
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov(std::vector<double>{1, 2, 3, 4},
                                     std::vector<double>{3, 4, 5, 6}),
                   0.5);
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov(std::vector<double>{1, 2, 3}, std::vector<double>{10, 11}),
                   1.0);
  EXPECT_DOUBLE_EQ(KolmogorovSmirnov(std::vector<double>{1, kNaN, 2},
                                     std::vector<double>{2, 1}),
                   0.0);
  // Ties: a = {1, 1, 2}, b = {1, 2, 2}: at 1, 2/3 vs 1/3.
  EXPECT_NEAR(KolmogorovSmirnov(std::vector<double>{1, 1, 2}, std::vector<double>{1, 2, 2}),
              1.0 / 3, 1e-12);
}

TEST(MetricsTest, Wasserstein1) {
  // |F_a - F_b| = .5 on [0, 1) and .5 on [1, 2): total 1.
  EXPECT_DOUBLE_EQ(Wasserstein1(std::vector<double>{0, 1}, std::vector<double>{1, 2}), 1.0);
  // A shift by 2 moves all mass by 2.
  EXPECT_DOUBLE_EQ(Wasserstein1(std::vector<double>{1, 2, 3}, std::vector<double>{3, 4, 5}),
                   2.0);
  EXPECT_DOUBLE_EQ(Wasserstein1(std::vector<double>{5, 1, 3}, std::vector<double>{3, 5, 1}), 0.0);
  // Different sizes: a = {0}, b = {0, 4}: |1 - .5| on [0, 4) = 2.
  EXPECT_DOUBLE_EQ(Wasserstein1(std::vector<double>{0}, std::vector<double>{0, 4}), 2.0);
}

TEST(MetricsTest, Pearson) {
  EXPECT_NEAR(Pearson(std::vector<double>{1, 2, 3, 4}, std::vector<double>{2, 4, 6, 8}), 1.0,
              1e-12);
  EXPECT_NEAR(Pearson(std::vector<double>{1, 2, 3, 4}, std::vector<double>{4, 3, 2, 1}), -1.0,
              1e-12);
  // dx = (-1, 0, 1), dy = (-1, 1, 0): sxy = 1, sxx = syy = 2 -> 0.5.
  EXPECT_NEAR(Pearson(std::vector<double>{1, 2, 3}, std::vector<double>{1, 3, 2}), 0.5, 1e-12);
  // The NaN row is dropped pairwise.
  EXPECT_NEAR(Pearson(std::vector<double>{1, 2, kNaN, 3}, std::vector<double>{1, 3, 9, 2}), 0.5,
              1e-12);
  EXPECT_EQ(Pearson(std::vector<double>{1, 1, 1}, std::vector<double>{1, 2, 3}), 0.0);
}

TEST(MetricsTest, CramersV) {
  // Table [[3, 1], [1, 3]], n = 8, expected 2 per cell: chi2 = 4 * 1/2 = 2; V = sqrt(2/8) = .5.
  std::vector<int32_t> x = {0, 0, 0, 0, 1, 1, 1, 1};
  std::vector<int32_t> y = {0, 0, 0, 1, 1, 1, 1, 0};
  EXPECT_NEAR(CramersV(x, 2, y, 2), 0.5, 1e-12);
  EXPECT_NEAR(CramersV(std::vector<int32_t>{0, 0, 1, 1}, 2, std::vector<int32_t>{1, 1, 0, 0}, 2),
              1.0, 1e-12);
  EXPECT_NEAR(CramersV(std::vector<int32_t>{0, 0, 1, 1}, 2, std::vector<int32_t>{0, 1, 0, 1}, 2),
              0.0, 1e-12);
  // Unobserved levels do not count in min(r, c) - 1; a constant variable gives 0.
  EXPECT_NEAR(CramersV(std::vector<int32_t>{0, 0, 2, 2}, 5, std::vector<int32_t>{1, 1, 3, 3}, 4),
              1.0, 1e-12);
  EXPECT_EQ(CramersV(std::vector<int32_t>{0, 0, 0}, 1, std::vector<int32_t>{0, 1, 0}, 2), 0.0);
}

TEST(MetricsTest, CorrelationRatio) {
  // Groups {1, 3} and {5, 7}: mean 4, between = 2*4 + 2*4 = 16, total = 9+1+1+9 = 20.
  EXPECT_NEAR(CorrelationRatio(std::vector<int32_t>{0, 0, 1, 1}, 2,
                               std::vector<double>{1, 3, 5, 7}),
              std::sqrt(0.8), 1e-12);
  EXPECT_NEAR(CorrelationRatio(std::vector<int32_t>{0, 1, 0, 1}, 2,
                               std::vector<double>{1, 1, 2, 2}),
              0.0, 1e-12);
  EXPECT_NEAR(CorrelationRatio(std::vector<int32_t>{0, 0, 1, 1}, 2,
                               std::vector<double>{2, 2, 9, 9}),
              1.0, 1e-12);
}

TEST(MetricsTest, SortedQuantile) {
  std::vector<double> v = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(SortedQuantile(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(SortedQuantile(v, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(SortedQuantile(v, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(SortedQuantile(v, 0.25), 1.75);
}

TEST(MetricsTest, RocAucAndAdvantage) {
  // The textbook example: positives 0.35, 0.8; negatives 0.1, 0.4. Pairs won: (.35>.1),
  // (.8>.1), (.8>.4) = 3 of 4.
  std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  std::vector<uint8_t> l = {0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(RocAuc(s, l), 0.75);
  // Thresholds: .8 -> TPR .5, FPR 0; .35 -> TPR 1, FPR .5. Best = .5.
  EXPECT_DOUBLE_EQ(MaxAdvantage(s, l), 0.5);
  // Ties count one half; perfect separation gives AUC 1 and advantage 1.
  EXPECT_DOUBLE_EQ(RocAuc(std::vector<double>{1, 1}, std::vector<uint8_t>{0, 1}), 0.5);
  EXPECT_DOUBLE_EQ(RocAuc(std::vector<double>{0, 1}, std::vector<uint8_t>{0, 1}), 1.0);
  EXPECT_DOUBLE_EQ(MaxAdvantage(std::vector<double>{0, 1}, std::vector<uint8_t>{0, 1}), 1.0);
  EXPECT_DOUBLE_EQ(MaxAdvantage(std::vector<double>{1, 1}, std::vector<uint8_t>{0, 1}), 0.0);
  EXPECT_DOUBLE_EQ(RocAuc(std::vector<double>{1, 2}, std::vector<uint8_t>{1, 1}), 0.5);
}

TEST(MetricsTest, MacroF1AndAuc) {
  // Class 0: tp 1, fn 1 -> 2/3; class 1: tp 2, fp 1 -> 4/5; mean = 11/15.
  EXPECT_NEAR(MacroF1(std::vector<int32_t>{0, 0, 1, 1}, std::vector<int32_t>{0, 1, 1, 1}, 2),
              11.0 / 15, 1e-12);
  // Three classes, each predicted perfectly by its probability column -> AUC 1.
  std::vector<int32_t> truth = {0, 1, 2};
  std::vector<double> probs = {.8, .1, .1, .1, .8, .1, .1, .1, .8};
  EXPECT_DOUBLE_EQ(MacroAuc(truth, probs, 3), 1.0);
  // Binary uses column 1.
  EXPECT_DOUBLE_EQ(MacroAuc(std::vector<int32_t>{0, 0, 1, 1},
                            std::vector<double>{.9, .1, .6, .4, .65, .35, .2, .8}, 2),
                   0.75);
}

TEST(MetricsTest, KMarginalScore) {
  // SDNist: (2 - mean L1) * 500 = 1000 * (1 - mean TVD). TVDs .1 and .3 -> 800.
  EXPECT_DOUBLE_EQ(KMarginalScoreFromTvds(std::vector<double>{0.1, 0.3}), 800.0);
  EXPECT_DOUBLE_EQ(KMarginalScoreFromTvds(std::vector<double>{0.0}), 1000.0);
  EXPECT_DOUBLE_EQ(KMarginalScoreFromTvds(std::vector<double>{1.0, 1.0}), 0.0);
}

TEST(DecisionTreeTest, LearnsOrAndLevelSubsets) {
  // label = f0 or f1 needs two levels of splits; f2 is noise. (Greedy CART cannot learn XOR:
  // no single split of it has positive Gini gain.)
  std::vector<int32_t> f0, f1, f2, label, f3, label3;
  for (int i = 0; i < 400; ++i) {
    f0.push_back(i % 2);
    f1.push_back((i / 2) % 2);
    f2.push_back((i * 7) % 3);
    label.push_back(f0.back() | f1.back());
    f3.push_back(i % 5);  // label3 = level in {1, 3}: a non-contiguous subset of levels
    label3.push_back(f3.back() == 1 || f3.back() == 3);
  }
  std::vector<size_t> rows(400);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  std::vector<internal::FeatureView> feats = {{&f0, 2}, {&f1, 2}, {&f2, 3}};
  auto tree = internal::DecisionTree::Train(feats, label, rows, 2, {.max_depth = 3, .min_leaf = 5});
  auto pred = internal::ArgMax(tree.PredictProba(feats, rows), 2);
  EXPECT_EQ(pred, label);
  std::vector<internal::FeatureView> feats3 = {{&f3, 5}};
  auto tree3 =
      internal::DecisionTree::Train(feats3, label3, rows, 2, {.max_depth = 1, .min_leaf = 5});
  EXPECT_EQ(tree3.num_nodes(), 3);
  EXPECT_EQ(internal::ArgMax(tree3.PredictProba(feats3, rows), 2), label3);
  // Depth 0 = a single leaf predicting Laplace-smoothed frequencies: 100 of 400 rows are class
  // 0 -> (100 + 1) / (400 + 2).
  auto stump = internal::DecisionTree::Train(feats, label, rows, 2, {.max_depth = 0, .min_leaf = 5});
  EXPECT_EQ(stump.num_nodes(), 1);
  EXPECT_NEAR(stump.PredictProba(feats, std::vector<size_t>{0})[0], 101.0 / 402, 1e-12);
  // min_leaf larger than half the data forbids any split.
  auto big = internal::DecisionTree::Train(feats, label, rows, 2, {.max_depth = 5, .min_leaf = 201});
  EXPECT_EQ(big.num_nodes(), 1);
}

}  // namespace
}  // namespace dpkit::report
