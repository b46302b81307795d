#include "dpkit/synth/mechanisms.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/random/samplers.h"
#include "synth/factor.h"
#include "synth/junction_tree.h"
#include "synth/parallel.h"

namespace dpkit::synth {
namespace {

using internal::ParallelFor;

constexpr double kExcludedScore = -1e300;  // selection probability exp(-huge) = 0

std::string Names(const EncodedData& data, const Clique& c) {
  std::vector<std::string> n;
  for (int a : c) n.push_back(data.names.empty() ? absl::StrCat(a) : data.names[a]);
  return absl::StrCat("(", absl::StrJoin(n, ","), ")");
}

double L1(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += std::abs(a[i] - b[i]);
  return s;
}

// Tracks and reports privacy spending.
class Ledger {
 public:
  explicit Ledger(FitReport* report) : r_(report) {}
  void Charge(std::string what, double rho) {
    r_->charges.push_back({std::move(what), rho});
    r_->rho_spent += rho;
  }
  double spent() const { return r_->rho_spent; }

 private:
  FitReport* r_;
};

// Measures the marginal of `clique` (integer counts, l2 sensitivity 1 under add/remove of a
// row) with the discrete Gaussian mechanism at (at least) `sigma`.
absl::StatusOr<Measurement> Measure(const EncodedData& data, const Clique& clique, double sigma,
                                    const mechanisms::NoiseFactory& noise,
                                    random::BitGenerator& gen, Ledger* ledger, int threads,
                                    FitReport* report) {
  DPKIT_ASSIGN_OR_RETURN(auto mechanism,
                         noise.DiscreteGaussian({.sigma = sigma, .l2_sensitivity = 1}));
  Measurement m;
  m.clique = clique;
  m.sigma = mechanism->noise_scale();
  m.values = ComputeMarginal(data, clique, threads);
  for (double& v : m.values) {
    v = static_cast<double>(mechanism->AddNoise(static_cast<int64_t>(v), gen));
  }
  const double rho = 1.0 / (2.0 * m.sigma * m.sigma);
  ledger->Charge(absl::StrFormat("measure %s sigma=%.4g", Names(data, clique), m.sigma), rho);
  report->measured.push_back(clique);
  report->sigmas.push_back(m.sigma);
  return m;
}

// Downward closure (all non-empty subsets) of a set of cliques.
std::set<Clique> DownwardClosure(const std::vector<Clique>& cliques) {
  std::set<Clique> out;
  for (const Clique& c : cliques) {
    const int k = static_cast<int>(c.size());
    for (int mask = 1; mask < (1 << k); ++mask) {
      Clique s;
      for (int j = 0; j < k; ++j) {
        if (mask >> j & 1) s.push_back(c[j]);
      }
      out.insert(s);
    }
  }
  return out;
}

// The data with rare values merged: for every attribute, the values whose noisy 1-way count
// (oneway[a], the attribute's own measurement) is below 3 sigma become one value (the domain
// compression of MST, McKenna et al. 2021, Sec. 4; post-processing of the DP 1-way
// measurements). The measurements are rewritten over the compressed domain (the merged cell is
// the sum of its noisy counts, with sigma * sqrt(k)); members[a][code] lists the original values
// of each compressed code (empty for an attribute left as it is).
struct Compressed {
  EncodedData data;
  std::vector<std::vector<std::vector<int32_t>>> members;
  std::vector<std::vector<std::vector<double>>> weights;  // the members' noisy counts, >= 0
};

Compressed CompressRareValues(const EncodedData& data, std::vector<Measurement>* oneway) {
  const int d = data.num_attrs();
  Compressed out;
  out.members.resize(d);
  out.weights.resize(d);
  std::vector<std::vector<int32_t>> recode(d);
  out.data.names = data.names;
  out.data.domain = data.domain;
  for (int a = 0; a < d; ++a) {
    const Measurement& m = (*oneway)[a];
    const double thresh = 3.0 * m.sigma;
    std::vector<int32_t> keep, rare;
    for (int v = 0; v < data.domain[a]; ++v) (m.values[v] >= thresh ? keep : rare).push_back(v);
    if (rare.size() < 2) continue;  // nothing to merge
    std::vector<std::vector<int32_t>>& members = out.members[a];
    recode[a].assign(data.domain[a], 0);
    std::vector<std::vector<double>>& weights = out.weights[a];
    for (int32_t v : keep) {
      recode[a][v] = static_cast<int32_t>(members.size());
      members.push_back({v});
      weights.push_back({1.0});
    }
    for (int32_t v : rare) recode[a][v] = static_cast<int32_t>(members.size());
    members.push_back(rare);
    weights.emplace_back();
    for (int32_t v : rare) weights.back().push_back(std::max(0.0, m.values[v]));
    out.data.domain[a] = static_cast<int>(members.size());
    Measurement cm;
    cm.clique = {a};
    cm.sigma = m.sigma;
    double rare_sum = 0;
    for (int32_t v : keep) cm.values.push_back(m.values[v]);
    for (int32_t v : rare) rare_sum += m.values[v];
    cm.values.push_back(rare_sum);
    cm.cell_sigma.assign(cm.values.size(), m.sigma);
    cm.cell_sigma.back() = m.sigma * std::sqrt(static_cast<double>(rare.size()));
    (*oneway)[a] = std::move(cm);
  }
  out.data.columns.resize(d);
  for (int a = 0; a < d; ++a) {
    if (recode[a].empty()) {
      out.data.columns[a] = data.columns[a];
      continue;
    }
    out.data.columns[a].resize(data.num_rows());
    for (int64_t r = 0; r < data.num_rows(); ++r) {
      out.data.columns[a][r] = recode[a][data.columns[a][r]];
    }
  }
  return out;
}

// The pooled (inverse-variance weighted) mean of two measurements of the same clique: the
// sufficient statistic of both, with sigma 1 / sqrt(1 / sa^2 + 1 / sb^2).
Measurement Pool(const Measurement& a, const Measurement& b) {
  const double wa = 1 / (a.sigma * a.sigma), wb = 1 / (b.sigma * b.sigma);
  Measurement m;
  m.clique = a.clique;
  m.sigma = 1 / std::sqrt(wa + wb);
  for (size_t c = 0; c < a.values.size(); ++c) {
    m.values.push_back((wa * a.values[c] + wb * b.values[c]) / (wa + wb));
  }
  return m;
}

// AIM's 1-way top-up (AimOptions::oneway_rel_sigma): `oneway` holds the d 1-way measurements at
// sigma0, the only charges so far. The decision reads only those noisy measurements.
absl::Status TopUpOneWay(const EncodedData& data, const AimOptions& o, random::BitGenerator& gen,
                         Ledger* ledger, FitReport* report, std::vector<Measurement>* oneway) {
  const int d = static_cast<int>(oneway->size());
  const double sigma0 = oneway->front().sigma;
  double rows = 0;
  for (const Measurement& m : *oneway) {
    for (double v : m.values) rows += v / d;
  }
  const double target = o.oneway_rel_sigma * std::max(rows, 1.0);
  const double room = o.oneway_max_share * o.rho - ledger->spent();
  if (!(o.oneway_rel_sigma > 0) || !(sigma0 > target) || !(room > 0)) return absl::OkStatus();
  // Precision (1 / sigma^2) to add per attribute; d measurements of it cost d * prec / 2.
  const double prec = std::min(1 / (target * target) - 1 / (sigma0 * sigma0), 2 * room / d);
  for (Measurement& m : *oneway) {
    DPKIT_ASSIGN_OR_RETURN(auto extra, Measure(data, m.clique, 1 / std::sqrt(prec), *o.noise,
                                               gen, ledger, o.threads, report));
    m = Pool(m, extra);
  }
  return absl::OkStatus();
}

absl::Status ValidateData(const EncodedData& data) {
  DPKIT_RETURN_IF_ERROR(data.Validate());
  if (data.num_attrs() < 1) return absl::InvalidArgumentError("data has no attributes");
  return absl::OkStatus();
}

void Progress(const ProgressFn& p, const std::string& line) {
  if (p) p(line);
}

}  // namespace

PrivacyMap FitReport::privacy_map() const {
  return PrivacyMap::Zcdp(rho_spent, absl::StrCat("synth/", method));
}

absl::Status SynthModel::Sample(int64_t rows, random::BitGenerator& gen,
                                const GraphicalModel::ChunkSink& sink,
                                int64_t chunk_rows) const {
  bool identity = true;
  for (const auto& m : members_) identity = identity && m.empty();
  if (identity) return model_.Sample(rows, gen, sink, chunk_rows);
  return model_.Sample(
      rows, gen,
      [&](const std::vector<std::vector<int32_t>>& cols, int64_t n) -> absl::Status {
        std::vector<std::vector<int32_t>> out = cols;
        for (size_t a = 0; a < out.size(); ++a) {
          if (members_[a].empty()) continue;
          for (int64_t r = 0; r < n; ++r) out[a][r] = Unmerge(a, cols[a][r], gen);
        }
        return sink(out, n);
      },
      chunk_rows);
}

int32_t SynthModel::Unmerge(int attr, int32_t code, random::BitGenerator& gen) const {
  const std::vector<int32_t>& m = members_[attr][code];
  if (m.size() == 1) return m[0];
  const std::vector<double>* w =
      weights_.empty() || weights_[attr].empty() ? nullptr : &weights_[attr][code];
  double total = 0;
  if (w != nullptr) {
    for (double x : *w) total += x;
  }
  if (!(total > 0)) return m[random::UniformUint64(gen, m.size())];
  double u = random::UniformDouble01(gen) * total;
  for (size_t j = 0; j + 1 < m.size(); ++j) {
    if (u < (*w)[j]) return m[j];
    u -= (*w)[j];
  }
  return m.back();
}

absl::StatusOr<EncodedData> SynthModel::SampleData(int64_t rows, random::BitGenerator& gen,
                                                   const std::vector<std::string>& names) const {
  EncodedData out;
  out.domain = domain_;
  out.names = names;
  if (out.names.size() != domain_.size()) {
    out.names.clear();
    for (size_t a = 0; a < domain_.size(); ++a) out.names.push_back(absl::StrCat("a", a));
  }
  out.columns.assign(domain_.size(), {});
  for (auto& c : out.columns) c.reserve(rows);
  DPKIT_RETURN_IF_ERROR(
      Sample(rows, gen, [&](const std::vector<std::vector<int32_t>>& cols, int64_t n) {
        for (size_t a = 0; a < cols.size(); ++a) {
          out.columns[a].insert(out.columns[a].end(), cols[a].begin(), cols[a].begin() + n);
        }
        return absl::OkStatus();
      }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// MST

absl::StatusOr<FitResult> FitMst(const EncodedData& data, const MstOptions& options,
                                 random::BitGenerator& gen) {
  const auto start = std::chrono::steady_clock::now();
  DPKIT_RETURN_IF_ERROR(ValidateData(data));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("rho", options.rho));
  FitReport report;
  report.method = "mst";
  report.rho_budget = options.rho;
  Ledger ledger(&report);
  const int d = data.num_attrs();
  const double rho3 = options.rho / 3.0;

  // 1. All 1-way marginals, rho/3 in total.
  const double sigma1 = std::sqrt(d / (2.0 * rho3));
  std::vector<Measurement> oneway;
  for (int a = 0; a < d; ++a) {
    DPKIT_ASSIGN_OR_RETURN(auto m, Measure(data, {a}, sigma1, *options.noise, gen, &ledger, options.threads,
                                           &report));
    oneway.push_back(std::move(m));
  }
  Progress(options.progress, absl::StrFormat("mst: measured %d 1-way marginals (rho %.4g of %.4g)",
                                             d, ledger.spent(), options.rho));

  // 2. Domain compression: values with noisy count < 3 sigma are merged into one value.
  Compressed compressed = CompressRareValues(data, &oneway);
  const EncodedData& comp = compressed.data;
  std::vector<std::vector<std::vector<int32_t>>>& members = compressed.members;

  // 3. Select a maximum spanning tree with the exponential mechanism, rho/3 in total.
  std::vector<Clique> tree;
  if (d >= 2) {
    InferenceOptions io = options.inference;
    io.max_iters = std::min(io.max_iters, 1000);
    io.threads = options.threads;
    DPKIT_ASSIGN_OR_RETURN(auto est, GraphicalModel::Fit(comp.domain, oneway, io));
    std::vector<Clique> pairs = AllKWay(d, 2);
    std::vector<double> weight(pairs.size());
    absl::Status status;
    std::mutex mu;
    ParallelFor(pairs.size(), options.threads, [&](int64_t k) {
      const auto x = ComputeMarginal(comp, pairs[k], 1);
      auto xh = est.Marginal(pairs[k]);
      if (!xh.ok()) {
        std::lock_guard<std::mutex> l(mu);
        status = xh.status();
        return;
      }
      weight[k] = L1(x, *xh);
    });
    DPKIT_RETURN_IF_ERROR(status);
    const int r = d - 1;
    const double eps = std::sqrt(8.0 * rho3 / r);
    std::vector<int> comp_of(d);
    std::iota(comp_of.begin(), comp_of.end(), 0);
    for (int step = 0; step < r; ++step) {
      std::vector<int> cand;
      std::vector<double> scores;
      for (size_t k = 0; k < pairs.size(); ++k) {
        if (comp_of[pairs[k][0]] != comp_of[pairs[k][1]]) {
          cand.push_back(static_cast<int>(k));
          scores.push_back(weight[k]);
        }
      }
      DPKIT_ASSIGN_OR_RETURN(auto em, options.noise->LazyExponential({eps, 1.0}));
      DPKIT_ASSIGN_OR_RETURN(int pick, em.Select(scores, gen));
      ledger.Charge(absl::StrFormat("select tree edge %d (exponential mechanism, eps=%.4g)",
                                    step + 1, eps),
                    eps * eps / 8.0);
      const Clique& e = pairs[cand[pick]];
      tree.push_back(e);
      const int from = comp_of[e[1]], to = comp_of[e[0]];
      for (int& c : comp_of) {
        if (c == from) c = to;
      }
    }
    Progress(options.progress,
             absl::StrFormat("mst: selected %d tree edges (rho %.4g of %.4g)", r, ledger.spent(),
                             options.rho));
  }

  // 4. Measure the tree's 2-way marginals, rho/3 in total.
  std::vector<Measurement> all = oneway;
  if (!tree.empty()) {
    const double sigma2 = std::sqrt(tree.size() / (2.0 * rho3));
    for (const Clique& e : tree) {
      DPKIT_ASSIGN_OR_RETURN(auto m,
                             Measure(comp, e, sigma2, *options.noise, gen, &ledger, options.threads, &report));
      all.push_back(std::move(m));
    }
  }
  Progress(options.progress, absl::StrFormat("mst: measured %d 2-way marginals (rho %.4g of %.4g)",
                                             static_cast<int>(tree.size()), ledger.spent(),
                                             options.rho));
  InferenceOptions final_opt = options.inference;
  final_opt.threads = options.threads;
  DPKIT_ASSIGN_OR_RETURN(auto model, GraphicalModel::Fit(comp.domain, all, final_opt));
  report.rounds = static_cast<int>(tree.size());
  report.estimated_rows = model.total();
  report.model_cells = model.cells();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Progress(options.progress,
           absl::StrFormat("mst: model fitted (%d iterations)", model.iterations()));
  return FitResult{SynthModel(std::move(model), data.domain, std::move(members),
                              std::move(compressed.weights)),
                   std::move(report)};
}

// ---------------------------------------------------------------------------------------------
// AIM

absl::StatusOr<FitResult> FitAim(const EncodedData& data, const AimOptions& options,
                                 random::BitGenerator& gen) {
  const auto start = std::chrono::steady_clock::now();
  DPKIT_RETURN_IF_ERROR(ValidateData(data));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("rho", options.rho));
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("max_model_mb", options.max_model_mb));
  if (!(options.oneway_rel_sigma >= 0) || !std::isfinite(options.oneway_rel_sigma) ||
      !(options.oneway_max_share >= 0 && options.oneway_max_share < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "oneway_rel_sigma must be finite and >= 0 and oneway_max_share in [0, 1), got ",
        options.oneway_rel_sigma, " and ", options.oneway_max_share));
  }
  if (options.rounds < 0) {
    return absl::InvalidArgumentError(absl::StrCat("rounds must be >= 0, got ", options.rounds));
  }
  const int d = data.num_attrs();
  std::vector<Clique> workload = options.workload;
  if (workload.empty()) workload = AllKWay(d, std::min(3, d));
  std::vector<double> wts = options.weights;
  if (wts.empty()) wts.assign(workload.size(), 1.0);
  if (wts.size() != workload.size()) {
    return absl::InvalidArgumentError(absl::StrCat("workload has ", workload.size(),
                                                   " cliques but ", wts.size(), " weights"));
  }
  for (size_t k = 0; k < workload.size(); ++k) {
    Clique& c = workload[k];
    std::sort(c.begin(), c.end());
    if (c.empty() || std::adjacent_find(c.begin(), c.end()) != c.end() || c.front() < 0 ||
        c.back() >= d) {
      return absl::InvalidArgumentError(
          absl::StrCat("workload clique ", k + 1, " is empty, repeats or is out of range"));
    }
    DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("workload weight", wts[k]));
  }
  FitReport report;
  report.method = "aim";
  report.rho_budget = options.rho;
  Ledger ledger(&report);
  const double rho = options.rho;

  // Candidates: the workload's downward closure, scored by overlap with the workload.
  std::vector<Clique> cand;
  std::vector<double> cand_w;
  for (const Clique& c : DownwardClosure(workload)) {
    double w = 0;
    for (size_t k = 0; k < workload.size(); ++k) {
      w += wts[k] * internal::Intersection(c, workload[k]).size();
    }
    cand.push_back(c);
    cand_w.push_back(w);
  }
  const double sensitivity = *std::max_element(cand_w.begin(), cand_w.end());
  const double cell_limit_total = options.max_model_mb * (1 << 20) / 8.0;
  // True answers, computed lazily and cached up to a memory budget.
  std::vector<std::vector<double>> answers(cand.size());
  int64_t cached_cells = 0;
  std::mutex answers_mu;
  constexpr int64_t kAnswerCacheCells = int64_t{1} << 25;

  const int T = options.rounds > 0 ? options.rounds : 16 * d;
  double sigma = std::sqrt(T / (2.0 * 0.9 * rho));
  double eps = std::sqrt(8.0 * 0.1 * rho / T);

  std::vector<Measurement> ms;
  for (int a = 0; a < d; ++a) {
    DPKIT_ASSIGN_OR_RETURN(auto m, Measure(data, {a}, sigma, *options.noise, gen, &ledger, options.threads,
                                           &report));
    ms.push_back(std::move(m));
  }
  DPKIT_RETURN_IF_ERROR(TopUpOneWay(data, options, gen, &ledger, &report, &ms));
  // Rare values merged (post-processing of the 1-way measurements), as MST does: marginals over
  // the smaller domain carry less noise; sampling spreads a merged value over its members.
  Compressed compressed = CompressRareValues(data, &ms);
  const EncodedData& work = compressed.data;
  InferenceOptions round_opt = options.inference;
  round_opt.max_iters = options.round_iters;
  round_opt.threads = options.threads;
  round_opt.max_model_cells = std::max<int64_t>(round_opt.max_model_cells, cell_limit_total);
  DPKIT_ASSIGN_OR_RETURN(auto model, GraphicalModel::Fit(work.domain, ms, round_opt));
  Progress(options.progress,
           absl::StrFormat("aim: measured %d 1-way marginals, sigma=%.4g (rho %.4g of %.4g)", d,
                           ms.front().sigma, ledger.spent(), rho));
  std::vector<Clique> measured;
  for (int a = 0; a < d; ++a) measured.push_back({a});

  int round = 0;
  bool terminate = false;
  while (!terminate) {
    ++round;
    const double remaining = rho - ledger.spent();
    if (remaining < 2.0 * (0.5 / (sigma * sigma) + eps * eps / 8.0)) {
      sigma = std::sqrt(1.0 / (2.0 * 0.9 * remaining));
      eps = std::sqrt(8.0 * 0.1 * remaining);
      terminate = true;
    }
    const double planned = ledger.spent() + eps * eps / 8.0 + 0.5 / (sigma * sigma);
    const double size_limit = cell_limit_total * std::min(1.0, planned / rho);
    // Filter: candidates already representable, or whose model would fit the size limit.
    const std::set<Clique> free = DownwardClosure(measured);
    std::vector<int> small;
    for (size_t k = 0; k < cand.size(); ++k) {
      if (free.count(cand[k])) {
        small.push_back(static_cast<int>(k));
        continue;
      }
      std::vector<Clique> hyp = measured;
      hyp.push_back(cand[k]);
      if (static_cast<double>(internal::JunctionTreeCells(work.domain, hyp)) <= size_limit) {
        small.push_back(static_cast<int>(k));
      }
    }
    // Scores of the small candidates, computed lazily (see mechanisms/lazy_exponential.h). The
    // bound uses ||x - xh||_1 <= |D| + total(model); it only affects running time.
    const double n_rows = static_cast<double>(work.num_rows());
    std::vector<double> upper(small.size());
    for (size_t j = 0; j < small.size(); ++j) {
      const int k = small[j];
      const double cells = static_cast<double>(internal::TableSize(work.domain, cand[k]));
      const double l1_max = (n_rows + model.total()) * (1 + 1e-9) + 1;
      upper[j] = cand_w[k] * (l1_max - std::sqrt(2.0 / M_PI) * sigma * cells);
    }
    std::vector<double> score_cache(small.size(), std::numeric_limits<double>::quiet_NaN());
    auto compute = [&](int j) -> absl::StatusOr<double> {
      const int k = small[j];
      const Clique& c = cand[k];
      std::vector<double> local;
      bool use_cache = false;
      {
        std::lock_guard<std::mutex> l(answers_mu);
        use_cache = !answers[k].empty();
      }
      if (!use_cache) {
        local = ComputeMarginal(work, c, 1);
        std::lock_guard<std::mutex> l(answers_mu);
        if (cached_cells + static_cast<int64_t>(local.size()) <= kAnswerCacheCells) {
          cached_cells += local.size();
          answers[k] = std::move(local);
          use_cache = true;
        }
      }
      const std::vector<double>& x = use_cache ? answers[k] : local;
      auto xh_or = model.Marginal(c);
      if (absl::IsFailedPrecondition(xh_or.status())) {
        // The current model cannot produce this marginal within the memory limit (a property
        // of the model alone, so public): the candidate sits out this round.
        return kExcludedScore;
      }
      DPKIT_RETURN_IF_ERROR(xh_or.status());
      const std::vector<double>& xh = *xh_or;
      const double bias = std::sqrt(2.0 / M_PI) * sigma * static_cast<double>(xh.size());
      return cand_w[k] * (L1(x, xh) - bias);
    };
    auto prefetch = [&](const std::vector<int>& batch) -> absl::Status {
      std::vector<absl::Status> st(batch.size());
      ParallelFor(batch.size(), options.threads, [&](int64_t q) {
        auto r = compute(batch[q]);
        if (r.ok()) {
          score_cache[batch[q]] = *r;
        } else {
          st[q] = r.status();
        }
      });
      for (const auto& x : st) DPKIT_RETURN_IF_ERROR(x);
      return absl::OkStatus();
    };
    auto score = [&](int j) -> absl::StatusOr<double> {
      if (std::isnan(score_cache[j])) {
        DPKIT_ASSIGN_OR_RETURN(score_cache[j], compute(j));
      }
      return score_cache[j];
    };
    DPKIT_ASSIGN_OR_RETURN(auto em, options.noise->LazyExponential({eps, sensitivity}));
    DPKIT_ASSIGN_OR_RETURN(int pick, em.Select(upper, score, prefetch, gen));
    ledger.Charge(absl::StrFormat("select round %d (exponential mechanism, eps=%.4g)", round, eps),
                  eps * eps / 8.0);
    const Clique& chosen = cand[small[pick]];
    DPKIT_ASSIGN_OR_RETURN(auto m, Measure(work, chosen, sigma, *options.noise, gen, &ledger, options.threads,
                                           &report));
    const int64_t n = static_cast<int64_t>(m.values.size());
    ms.push_back(std::move(m));
    if (std::find(measured.begin(), measured.end(), chosen) == measured.end()) {
      measured.push_back(chosen);
    }
    DPKIT_ASSIGN_OR_RETURN(auto before, model.Marginal(chosen));
    DPKIT_ASSIGN_OR_RETURN(model, GraphicalModel::Fit(work.domain, ms, round_opt, &model));
    DPKIT_ASSIGN_OR_RETURN(auto after, model.Marginal(chosen));
    const double used_sigma = ms.back().sigma;
    Progress(options.progress,
             absl::StrFormat("aim: round %d selected %s (%d cells) sigma=%.4g, model %d cells "
                             "(%d iterations), budget left %.1f%% (rho %.4g of %.4g)",
                             round, Names(data, chosen), static_cast<int>(n), used_sigma,
                             static_cast<int>(model.cells()), model.iterations(),
                             100.0 * std::max(0.0, 1.0 - ledger.spent() / rho), ledger.spent(),
                             rho));
    if (!terminate && L1(before, after) <= used_sigma * std::sqrt(2.0 / M_PI) * n) {
      sigma /= 2;
      eps *= 2;
    }
  }
  InferenceOptions final_opt = options.inference;
  final_opt.max_model_cells = round_opt.max_model_cells;
  final_opt.threads = options.threads;
  DPKIT_ASSIGN_OR_RETURN(model, GraphicalModel::Fit(work.domain, ms, final_opt, &model));
  report.rounds = round;
  report.estimated_rows = model.total();
  report.model_cells = model.cells();
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Progress(options.progress,
           absl::StrFormat("aim: %d rounds, model fitted (%d cells, %d iterations)", round,
                           static_cast<int>(model.cells()), model.iterations()));
  return FitResult{SynthModel(std::move(model), data.domain, std::move(compressed.members),
                              std::move(compressed.weights)),
                   std::move(report)};
}

}  // namespace dpkit::synth
