// Inference tests: exact (noise-free) marginals of small known distributions are reproduced.
#include <cmath>
#include <numeric>

#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"
#include "dpkit/synth/encoded_data.h"
#include "dpkit/synth/graphical_model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "synth/factor.h"
#include "synth/junction_tree.h"

namespace dpkit::synth {
namespace {

using internal::Attrs;

Measurement M(Clique c, std::vector<double> v, double sigma) {
  Measurement m;
  m.clique = std::move(c);
  m.values = std::move(v);
  m.sigma = sigma;
  return m;
}

// A random joint distribution over `domain` (all attributes), as counts summing to n.
std::vector<double> RandomJoint(const std::vector<int>& domain, double n, uint64_t seed) {
  random::testing::SeededRng rng(seed);
  int64_t size = 1;
  for (int d : domain) size *= d;
  std::vector<double> p(size);
  double s = 0;
  for (auto& v : p) {
    v = 0.2 + random::UniformDouble01(rng);  // every cell has probability > 0
    s += v;
  }
  for (auto& v : p) v *= n / s;
  return p;
}

std::vector<double> MarginalOf(const std::vector<int>& domain, const std::vector<double>& joint,
                               const Clique& c) {
  Attrs all(domain.size());
  std::iota(all.begin(), all.end(), 0);
  return internal::SumOnto(domain, {all, joint}, c).values;
}

double MaxAbsDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

TEST(FactorTest, IndexMapAndSum) {
  const std::vector<int> domain = {2, 3, 4};
  const auto m = internal::IndexMap(domain, {0, 1, 2}, {0, 2});
  ASSERT_EQ(m.size(), 24u);
  // cell (a,b,c) = a*12 + b*4 + c -> a*4 + c
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) EXPECT_EQ(m[a * 12 + b * 4 + c], uint32_t(a * 4 + c));
  const auto e = internal::IndexMap(domain, {0, 1, 2}, {});
  EXPECT_EQ(e[23], 0u);
}

TEST(JunctionTreeTest, CoversCliquesAndRunningIntersection) {
  const std::vector<int> domain = {2, 3, 2, 4, 2, 3};
  const std::vector<Attrs> cliques = {{0, 1}, {1, 2}, {2, 3}, {0, 3}, {4, 5}};
  const auto jt = internal::BuildJunctionTree(domain, cliques);
  for (const Attrs& c : cliques) EXPECT_GE(jt.FindContaining(domain, c), 0);
  // Every attribute is covered, and the cliques holding it form a connected subtree.
  for (int a = 0; a < 6; ++a) {
    int holders = 0, edges = 0;
    for (size_t i = 0; i < jt.cliques.size(); ++i) {
      const bool h = std::binary_search(jt.cliques[i].begin(), jt.cliques[i].end(), a);
      holders += h;
      if (h && jt.parent[i] >= 0 &&
          std::binary_search(jt.cliques[jt.parent[i]].begin(), jt.cliques[jt.parent[i]].end(), a))
        ++edges;
    }
    EXPECT_GE(holders, 1);
    EXPECT_EQ(edges, holders - 1) << "attribute " << a;
  }
  EXPECT_EQ(jt.order.size(), jt.cliques.size());
}

// Noise-free marginals of a distribution that IS a tree-structured model are reproduced, and so
// are marginals the model was never given (by variable elimination).
TEST(InferenceTest, ExactMarginalsOfKnownDistributionAreReproduced) {
  const std::vector<int> domain = {3, 4, 2, 5};
  // Joint over a cycle 0-1-2-3-0 (not a tree): measured 2-way marginals on the cycle + chord.
  const auto joint = RandomJoint(domain, 1000.0, 7);
  const std::vector<Clique> measured = {{0, 1}, {1, 2}, {2, 3}, {0, 3}, {0, 2}};
  std::vector<Measurement> ms;
  for (const auto& c : measured) ms.push_back(M(c, MarginalOf(domain, joint, c), 1.0));
  InferenceOptions opt;
  opt.max_iters = 3000;
  opt.tolerance = 1e-12;
  auto model = GraphicalModel::Fit(domain, ms, opt);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_NEAR(model->total(), 1000.0, 1e-6);
  for (const auto& c : measured) {
    auto mu = model->Marginal(c);
    ASSERT_TRUE(mu.ok());
    EXPECT_LT(MaxAbsDiff(*mu, MarginalOf(domain, joint, c)), 0.05) << c[0] << c[1];
  }
  // One-way marginals are implied.
  for (int a = 0; a < 4; ++a) {
    auto mu = model->Marginal({a});
    ASSERT_TRUE(mu.ok());
    EXPECT_LT(MaxAbsDiff(*mu, MarginalOf(domain, joint, {a})), 0.05);
  }
}

TEST(InferenceTest, TreeModelReproducesOutOfCliqueMarginals) {
  // Build a chain distribution p(a)p(b|a)p(c|b)p(d|c) and give its exact 2-way marginals; the
  // model must then reproduce every 3-way marginal (it is exactly representable).
  const std::vector<int> domain = {3, 4, 2, 5};
  const auto pair01 = RandomJoint({3, 4}, 1.0, 1);
  const auto pair12 = RandomJoint({4, 2}, 1.0, 2);
  const auto pair23 = RandomJoint({2, 5}, 1.0, 3);
  std::vector<double> joint(3 * 4 * 2 * 5);
  // p(a,b) * p(c|b) * p(d|c) with conditionals from the pair tables.
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 4; ++b)
      for (int c = 0; c < 2; ++c)
        for (int d = 0; d < 5; ++d) {
          double sb = 0, sc = 0;
          for (int k = 0; k < 2; ++k) sb += pair12[b * 2 + k];
          for (int k = 0; k < 5; ++k) sc += pair23[c * 5 + k];
          joint[((a * 4 + b) * 2 + c) * 5 + d] =
              1e4 * pair01[a * 4 + b] * pair12[b * 2 + c] / sb * pair23[c * 5 + d] / sc;
        }
  std::vector<Measurement> ms;
  for (const Clique& c : std::vector<Clique>{{0, 1}, {1, 2}, {2, 3}}) {
    ms.push_back(M(c, MarginalOf(domain, joint, c), 1.0));
  }
  InferenceOptions opt;
  opt.max_iters = 3000;
  opt.tolerance = 1e-12;
  auto model = GraphicalModel::Fit(domain, ms, opt);
  ASSERT_TRUE(model.ok()) << model.status();
  for (const Measurement& m : ms) {
    auto mu = model->Marginal(m.clique);
    ASSERT_TRUE(mu.ok());
    EXPECT_LT(MaxAbsDiff(*mu, m.values), 0.05) << "iters " << model->iterations() << " loss " << model->loss();
  }
  for (const Clique& c : AllKWay(4, 3)) {
    auto mu = model->Marginal(c);
    ASSERT_TRUE(mu.ok()) << mu.status();
    EXPECT_LT(MaxAbsDiff(*mu, MarginalOf(domain, joint, c)), 0.05);
  }
  auto full = model->Marginal({0, 1, 2, 3});
  ASSERT_TRUE(full.ok());
  EXPECT_LT(MaxAbsDiff(*full, joint), 0.05);
}

// All records drawn by model.Sample, collected.
EncodedData SampleAll(const GraphicalModel& model, int64_t rows, int64_t chunk_rows,
                      uint64_t seed) {
  random::testing::SeededRng rng(seed);
  EncodedData synth;
  synth.domain = model.domain();
  for (size_t a = 0; a < synth.domain.size(); ++a) synth.names.push_back(std::to_string(a));
  synth.columns.assign(synth.domain.size(), {});
  EXPECT_TRUE(model
                  .Sample(rows, rng,
                          [&](const std::vector<std::vector<int32_t>>& cols, int64_t n) {
                            for (size_t a = 0; a < cols.size(); ++a) {
                              synth.columns[a].insert(synth.columns[a].end(), cols[a].begin(),
                                                      cols[a].begin() + n);
                            }
                            return absl::OkStatus();
                          },
                          chunk_rows)
                  .ok());
  return synth;
}

// A model of the chain a - b - c fitted to the exact {a,b} and {b,c} marginals of a random joint.
absl::StatusOr<GraphicalModel> ChainModel(const std::vector<int>& domain, uint64_t seed) {
  const auto joint = RandomJoint(domain, 1000.0, seed);
  std::vector<Measurement> ms;
  for (const Clique& c : std::vector<Clique>{{0, 1}, {1, 2}}) {
    ms.push_back(M(c, MarginalOf(domain, joint, c), 1.0));
  }
  return GraphicalModel::Fit(domain, ms, {});
}

TEST(InferenceTest, SamplingMatchesModelMarginals) {
  auto model = ChainModel({3, 4, 2}, 11);
  ASSERT_TRUE(model.ok());
  const EncodedData synth = SampleAll(*model, 10000, /*chunk_rows=*/3000, 3);
  ASSERT_EQ(synth.num_rows(), 10000);
  ASSERT_TRUE(synth.Validate().ok());
  // Fewer records than separator cells (4 values of b): grouped by a sort, not by counting.
  const EncodedData few = SampleAll(*model, 3, 3, 5);
  EXPECT_EQ(few.num_rows(), 3);
  EXPECT_TRUE(few.Validate().ok());
  // Systematic rounding: every sampled 2-way count is within a few records of the model.
  for (const Clique& c : std::vector<Clique>{{0, 1}, {1, 2}}) {
    const auto x = ComputeMarginal(synth, c);
    auto mu = model->Marginal(c);
    for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], (*mu)[i] * 10.0, 12.0);
  }
}

TEST(InferenceTest, SamplingBalancesMarginalsAcrossCliques) {
  // Chain a - b - c: the model makes a and c independent given b. Sampled records get c in
  // balanced order along a within each b, so the sampled 3-way counts are within a few records
  // of the model's; with c shuffled at random they would deviate by ~sqrt(count) ~ 20.
  auto model = ChainModel({4, 3, 4}, 5);
  ASSERT_TRUE(model.ok());
  const int64_t rows = 50000;
  const EncodedData synth = SampleAll(*model, rows, rows, 4);
  const auto x = ComputeMarginal(synth, {0, 1, 2});
  auto mu = model->Marginal({0, 1, 2});
  ASSERT_TRUE(mu.ok());
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(x[i], (*mu)[i] * rows / model->total(), 4.0) << "cell " << i;
  }
}

TEST(InferenceTest, MemoryLimitGivesClearError) {
  const std::vector<int> domain = {100, 100, 100, 100};
  std::vector<Measurement> ms;
  for (const Clique& c : std::vector<Clique>{{0, 1, 2}, {1, 2, 3}, {0, 3}}) {
    ms.push_back(M(c, std::vector<double>(internal::TableSize(domain, c), 1.0), 1.0));
  }
  InferenceOptions opt;
  opt.max_model_cells = 1000000;
  auto model = GraphicalModel::Fit(domain, ms, opt);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(model.status().message()), ::testing::HasSubstr("over the limit"));
}

TEST(InferenceTest, RejectsBadMeasurements) {
  std::vector<Measurement> ms = {M({0, 1}, std::vector<double>(5, 1.0), 1.0)};
  EXPECT_FALSE(GraphicalModel::Fit({2, 3}, ms, {}).ok());
  ms = {M({1, 0}, std::vector<double>(6, 1.0), 1.0)};
  EXPECT_FALSE(GraphicalModel::Fit({2, 3}, ms, {}).ok());
  ms = {M({0, 1}, std::vector<double>(6, 1.0), -1.0)};
  EXPECT_FALSE(GraphicalModel::Fit({2, 3}, ms, {}).ok());
}

}  // namespace
}  // namespace dpkit::synth
