// MST and AIM: differentially private synthetic data from noisy marginals.
//
// PRIVACY CLAIM. Both mechanisms satisfy rho-zCDP (Bun & Steinke 2016) for the configured rho,
// with respect to adding or removing one record (one row of the encoded data; with a privacy
// unit, the caller must first bound each unit to one row). Every privacy-relevant step is
// charged and reported in FitReport::charges:
//   * Marginal measurement: counts + discrete Gaussian noise (exact sampler, Canonne, Kamath,
//     Steinke 2020); a marginal has L2 sensitivity 1, so noise sigma costs 1/(2 sigma^2)
//     (CKS20, Theorem 4). The sigma actually used (>= requested, rounded up by the sampler) is
//     what is charged.
//   * Selection: the exponential mechanism with score sensitivity Delta at parameter epsilon
//     is epsilon^2/8-zCDP (Cesar & Rogers 2021, via bounded range). Candidates are drawn
//     exactly (uniform proposal + exact Bernoulli(exp(-x)) acceptance, random/samplers.h); the
//     exponent is rounded up to a multiple of 2^-40, which perturbs each score by less than
//     2^-40 * 2 Delta / epsilon; we run the mechanism at epsilon - 2^-38 to absorb it.
//     Caveat: the acceptance loop's running time depends on the scores (as in Private-PGM);
//     synthesis is an offline batch job and its time is dominated by inference.
//   * Inference and sampling are post-processing (free).
// The total charged never exceeds rho (equals it up to the samplers' upward rounding of sigma).
//
// MST: McKenna, Miklau, Sheldon, "Winning the NIST Contest: A scalable and general approach to
// differentially private synthetic data" (J. Privacy and Confidentiality 2021). rho split in
// thirds: all 1-way marginals; a maximum spanning tree of the attribute graph chosen by d-1
// exponential-mechanism draws with scores ||M_ij(D) - M_ij(model of 1-ways)||_1 (sensitivity
// 1); the tree's 2-way marginals. Values whose noisy 1-way count is below 3 sigma are merged
// into one "rare" value before selection (as the paper's domain compression), and drawn
// uniformly among the merged values when sampling.
//
// AIM: McKenna, Mullins, Sheldon, Miklau, "AIM: An Adaptive and Iterative Mechanism for
// Differentially Private Synthetic Data" (VLDB 2022), Algorithm 1: all 1-way marginals first,
// then rounds that select a candidate from the workload's downward closure with the
// exponential mechanism (score w_r (||M_r(D) - M_r(model)||_1 - sqrt(2/pi) sigma n_r), sensitivity
// max w_r, 10% of each round's budget) among candidates whose model would stay within
// max_model_mb * (rho used / rho), measure it (90%), refit, and halve sigma (double epsilon)
// when the model's estimate moved less than the expected noise (annealing). T = 16 d rounds'
// worth of budget by default; the last round uses up what remains. Not in the paper: noisy 1-way
// marginals are measured twice (AimOptions::oneway_rel_sigma), and rare values merged as in MST.
//
// Thread safety: the functions are thread-safe given a thread-safe generator.
#ifndef DPKIT_SYNTH_MECHANISMS_H_
#define DPKIT_SYNTH_MECHANISMS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dpkit/base/privacy_map.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/synth/encoded_data.h"
#include "dpkit/synth/graphical_model.h"

namespace dpkit::synth {

// One privacy charge.
struct Charge {
  std::string what;  // e.g. "measure (age,sex) sigma=12.5", "select round 3"
  double rho = 0;
};

struct FitReport {
  std::string method;            // "mst" or "aim"
  double rho_budget = 0;         // what the mechanism was given
  double rho_spent = 0;          // sum of charges
  std::vector<Charge> charges;
  std::vector<Clique> measured;  // cliques measured, in order
  std::vector<double> sigmas;    // their noise sigmas
  int rounds = 0;                // AIM rounds / MST tree edges
  double estimated_rows = 0;     // the model's total
  int64_t model_cells = 0;
  double seconds = 0;            // wall time (never released: timing depends on the data)
  // rho_spent as a PrivacyMap (kind zcdp, mechanism "synth/<method>").
  PrivacyMap privacy_map() const;
};

// A fitted model over the ORIGINAL encoded domain (MST's rare-value merging is undone when
// sampling).
class SynthModel {
 public:
  // members[attr][code]: the original codes merged into `code` (members[attr] empty: identity);
  // weights (same shape as members, or empty): a merged code is drawn as member j with
  // probability weights[attr][code][j] / their sum (equal chances without weights or when all
  // are 0).
  SynthModel(GraphicalModel model, std::vector<int> domain,
             std::vector<std::vector<std::vector<int32_t>>> members,
             std::vector<std::vector<std::vector<double>>> weights = {})
      : model_(std::move(model)),
        domain_(std::move(domain)),
        members_(std::move(members)),
        weights_(std::move(weights)) {}

  const GraphicalModel& graphical_model() const { return model_; }
  const std::vector<int>& domain() const { return domain_; }

  // Samples `rows` records over the original domain; see GraphicalModel::Sample.
  absl::Status Sample(int64_t rows, random::BitGenerator& gen,
                      const GraphicalModel::ChunkSink& sink, int64_t chunk_rows = 65536) const;
  absl::StatusOr<EncodedData> SampleData(int64_t rows, random::BitGenerator& gen,
                                         const std::vector<std::string>& names) const;

 private:
  GraphicalModel model_;
  std::vector<int> domain_;
  int32_t Unmerge(int attr, int32_t code, random::BitGenerator& gen) const;

  std::vector<std::vector<std::vector<int32_t>>> members_;
  std::vector<std::vector<std::vector<double>>> weights_;
};

struct FitResult {
  SynthModel model;
  FitReport report;
};

using ProgressFn = std::function<void(const std::string& line)>;

struct MstOptions {
  double rho = 0;  // total zCDP budget (> 0)
  const mechanisms::NoiseFactory* noise = &mechanisms::SecureNoise();
  InferenceOptions inference = {.max_iters = 2000, .tolerance = 1e-8};
  int threads = 2;
  ProgressFn progress;
};

absl::StatusOr<FitResult> FitMst(const EncodedData& data, const MstOptions& options,
                                 random::BitGenerator& gen);

struct AimOptions {
  double rho = 0;                  // total zCDP budget (> 0)
  const mechanisms::NoiseFactory* noise = &mechanisms::SecureNoise();
  std::vector<Clique> workload;    // empty = all 3-way marginals (all 2-way if d < 3)
  std::vector<double> weights;     // per workload clique (empty = 1 each)
  int rounds = 0;                  // T; 0 = 16 * number of attributes
  double max_model_mb = 8;         // model-size limit (8 bytes per cell; docs/synth.md "Speed")
  // Inference iterations per round, warm-started from the previous round's model (50: the
  // eps=3 run on adult took > 10 min with 200 as models reach millions of cells; the final fit
  // still runs `inference.max_iters`).
  int round_iters = 50;
  // Final fit, warm-started from the last round's model. 500 iterations: on adult the workload
  // error is the same as with 2000 (docs/synth.md "Speed") at a quarter of the fit's time.
  InferenceOptions inference = {.max_iters = 500, .tolerance = 1e-8};
  // Extension (not in the paper): when the 1-way marginals, measured at the rounds' first sigma
  // s0, are noisy relative to the row count (s0 > oneway_rel_sigma * N, N estimated from those
  // noisy 1-ways), every 1-way marginal is measured once more and the two measurements are
  // pooled (inverse-variance mean) to sigma oneway_rel_sigma * N, with at most oneway_max_share
  // of rho spent on 1-way marginals in all. 0 = the paper's initialisation. On adult this
  // changes eps <= 1 only (docs/synth.md "Error").
  double oneway_rel_sigma = 1e-3;
  double oneway_max_share = 0.25;  // in [0, 1)
  int threads = 2;
  ProgressFn progress;
};

absl::StatusOr<FitResult> FitAim(const EncodedData& data, const AimOptions& options,
                                 random::BitGenerator& gen);

}  // namespace dpkit::synth

#endif  // DPKIT_SYNTH_MECHANISMS_H_
