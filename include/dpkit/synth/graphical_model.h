// Graphical-model inference from noisy marginals (Private-PGM).
//
// Given noisy measurements y_m = M_{C_m}(D) + noise of marginals of a discrete data set (counts
// over the attribute set C_m, noise standard deviation sigma_m), Fit finds the distribution
// p_theta (an undirected graphical model whose cliques are the measured attribute sets) and a
// total N minimising the weighted squared loss
//     L(mu) = sum_m ||mu_{C_m} - y_m||^2 / (2 sigma_m^2),   mu = N * marginals of p_theta,
// by entropic mirror descent over the marginal polytope with an Armijo line search, using
// belief propagation on a junction tree to map potentials to marginals. This is the estimator
// of McKenna, Sheldon, Miklau, "Graphical-model based estimation and inference for differential
// privacy" (ICML 2019) and McKenna et al., "Relaxed marginal consistency for differentially
// private query answering" (NeurIPS 2021), section on the exact (junction tree) oracle.
//
// PRIVACY: inference and sampling are post-processing of the noisy measurements; they read no
// private data and cost no budget.
//
// MEMORY LIMIT: the junction tree's clique tables (min-fill triangulation of the measured
// cliques) are dense; Fit refuses (FailedPrecondition, naming the largest clique and the sizes)
// a model whose tables hold more than `max_model_cells` cells in total (default 2^25 cells =
// 256 MiB per table set; inference keeps about four such sets). AIM avoids this automatically
// by filtering candidates on the model size; MST's trees never come close.
//
// Tables are row-major over the clique's attributes sorted ascending, LAST attribute fastest.
// Thread safety: a fitted GraphicalModel is immutable and safe to use from several threads.
#ifndef DPKIT_SYNTH_GRAPHICAL_MODEL_H_
#define DPKIT_SYNTH_GRAPHICAL_MODEL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/random/bit_generator.h"

namespace dpkit::synth {

// Attribute indices, sorted ascending, no duplicates.
using Clique = std::vector<int>;

struct Measurement {
  Clique clique;
  std::vector<double> values;  // noisy counts, size = product of the clique's domain sizes
  double sigma = 1;            // noise standard deviation (> 0)
  // Optional per-cell standard deviations (empty = `sigma` for every cell), e.g. for a cell
  // that is the sum of k noisy counts (sigma * sqrt(k)).
  std::vector<double> cell_sigma;
};

struct InferenceOptions {
  int max_iters = 1000;
  // Stops early once the loss has improved by less than tolerance * loss in each of 10
  // consecutive iterations.
  double tolerance = 1e-8;
  int64_t max_model_cells = int64_t{1} << 25;
  // Worker threads for large models (the result does not depend on it).
  int threads = 1;
};

// Number of cells of the junction tree that a model over `cliques` would have (AIM's model-size
// filter uses this; 8 bytes per cell).
int64_t ModelCells(const std::vector<int>& domain, const std::vector<Clique>& cliques);

class GraphicalModel {
 public:
  // `domain[i]` is the number of values of attribute i (>= 1). Every measurement's clique must be
  // sorted, in range, and its values of the right size and finite; sigma finite and > 0.
  // `warm_start` (optional) seeds the potentials of cliques it shares with the new model.
  static absl::StatusOr<GraphicalModel> Fit(const std::vector<int>& domain,
                                            const std::vector<Measurement>& measurements,
                                            const InferenceOptions& options,
                                            const GraphicalModel* warm_start = nullptr);

  const std::vector<int>& domain() const;
  // Estimated number of records N (the model's marginals sum to it).
  double total() const;
  // Junction-tree cliques and their total cell count.
  std::vector<Clique> cliques() const;
  int64_t cells() const;
  // Optimisation diagnostics.
  int iterations() const;
  double loss() const;

  // The model's marginal (counts summing to total()) over any sorted attribute set: summed from
  // a junction-tree clique when one contains it, else by variable elimination on the minimal
  // subtree covering it. FailedPrecondition if an intermediate table would exceed the memory
  // limit.
  absl::StatusOr<std::vector<double>> Marginal(const Clique& clique) const;

  // Draws `rows` records. Records are produced in chunks of up to `chunk_rows`; within a chunk,
  // each junction-tree clique's values are allocated to the records sharing a separator value
  // by systematic rounding (floor of the expected counts, the remainder drawn at random), which
  // keeps the synthetic marginals close to the model's; the records of a separator value get
  // the allocated values in balanced order along their earlier-drawn attributes (sorted), so
  // marginals spanning several cliques are close to the model's too (not only in expectation). Chunks are passed to `sink` in order as
  // column-major codes (columns[attr][row]). With a thread-safe (secure) generator, chunks are
  // drawn by up to `threads` threads.
  using ChunkSink = std::function<absl::Status(const std::vector<std::vector<int32_t>>& columns,
                                               int64_t num_rows)>;
  absl::Status Sample(int64_t rows, random::BitGenerator& gen, const ChunkSink& sink,
                      int64_t chunk_rows = 65536, int threads = 2) const;

  struct Impl;

 private:
  explicit GraphicalModel(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace dpkit::synth

#endif  // DPKIT_SYNTH_GRAPHICAL_MODEL_H_
