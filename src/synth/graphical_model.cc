#include "dpkit/synth/graphical_model.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <limits>
#include <numeric>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/random/samplers.h"
#include "synth/factor.h"
#include "synth/junction_tree.h"
#include "synth/parallel.h"

namespace dpkit::synth {

using internal::Attrs;
using internal::IndexMap;
using internal::TableSize;

struct GraphicalModel::Impl {
  std::vector<int> domain;
  internal::JunctionTree jt;
  double total = 1;
  // Potentials per distinct measured clique (log space), kept for warm starts.
  std::map<Attrs, std::vector<double>> theta;
  // Calibrated marginals (counts summing to total) per junction-tree clique.
  std::vector<std::vector<double>> mu;
  int iterations = 0;
  double loss = 0;
  int64_t max_cells = 0;
};

namespace {

std::string CliqueName(const Attrs& c) { return absl::StrCat("(", absl::StrJoin(c, ","), ")"); }

absl::Status ValidateClique(const std::vector<int>& domain, const Attrs& c, const char* what) {
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i] < 0 || c[i] >= static_cast<int>(domain.size())) {
      return absl::InvalidArgumentError(absl::StrCat(what, " ", CliqueName(c),
                                                     ": attribute index ", c[i],
                                                     " out of range [0, ", domain.size(), ")"));
    }
    if (i > 0 && c[i] <= c[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " ", CliqueName(c), " must be sorted without duplicates"));
    }
  }
  return absl::OkStatus();
}

// Everything needed to run belief propagation and the loss on a fixed junction tree.
class Engine {
 public:
  Engine(const std::vector<int>& domain, internal::JunctionTree jt,
         const std::vector<Measurement>& ms, double total, int threads)
      : domain_(domain), jt_(std::move(jt)), ms_(ms), total_(total), threads_(threads) {
    const int m = static_cast<int>(jt_.cliques.size());
    size_.resize(m);
    for (int i = 0; i < m; ++i) {
      size_[i] = TableSize(domain_, jt_.cliques[i]);
      cells_ += size_[i];
    }
    for (const Measurement& meas : ms_) {
      if (!clique_index_.count(meas.clique)) {
        const int u = static_cast<int>(cliques_.size());
        clique_index_[meas.clique] = u;
        cliques_.push_back(meas.clique);
        const int host = jt_.FindContaining(domain_, meas.clique);
        host_.push_back(host);
      }
    }
    LinkSubcliques();
    sep_map_.resize(m);
    parent_sep_map_.resize(m);
    sep_size_.assign(m, 1);
    for (int i = 0; i < m; ++i) {
      if (jt_.parent[i] < 0) continue;
      sep_map_[i] = IndexMap(domain_, jt_.cliques[i], jt_.separator[i]);
      parent_sep_map_[i] = IndexMap(domain_, jt_.cliques[jt_.parent[i]], jt_.separator[i]);
      sep_size_[i] = TableSize(domain_, jt_.separator[i]);
    }
  }

  const std::vector<Attrs>& cliques() const { return cliques_; }
  internal::JunctionTree& jt() { return jt_; }

  // theta (per distinct clique) -> calibrated marginals mu (counts). Upward pass: each clique's
  // belief (its potentials plus its children's log messages) is exponentiated once, shifted by
  // its maximum, into mu; its message is the log of that table summed onto the separator, E_s.
  // Downward pass, linear space: a child's table is rescaled on each separator cell s by
  // P_s / E_s, P_s the parent's final table summed onto s (Hugin-style update), which makes the
  // two agree on the separator; computed as (mu * (1 / E_s)) * P_s so that no factor overflows
  // (mu <= E_s cellwise, E_s >= e^-708 or 0).
  void Propagate(const std::vector<std::vector<double>>& theta,
                 std::vector<std::vector<double>>* mu) {
    const int m = static_cast<int>(jt_.cliques.size());
    acc_.resize(m);
    for (int i = 0; i < m; ++i) acc_[i].assign(size_[i], 0.0);
    // Each potential is added into its enclosing measured clique's (fewer attributes first),
    // the outermost ones into their junction-tree cliques.
    folded_ = theta;
    for (int u : by_size_) {
      if (via_[u] >= 0) {
        internal::AddBroadcast(folded_[u], map_[u], 1.0, &folded_[via_[u]]);
      } else {
        internal::AddBroadcast(folded_[u], map_[u], 1.0, &acc_[host_[u]]);
      }
    }
    up_.resize(m);
    mu->resize(m);
    // Upward pass: children before parents.
    for (int k = m - 1; k >= 0; --k) {
      const int i = jt_.order[k];
      const std::vector<double>& b = acc_[i];
      double mx = -std::numeric_limits<double>::infinity();
      for (double v : b) mx = std::max(mx, v);
      (*mu)[i].resize(b.size());
      const int64_t n = static_cast<int64_t>(b.size());
      const int parts = ThreadsFor(n);
      internal::ParallelFor(parts, parts, [&](int64_t t) {
        const int64_t lo = n * t / parts, hi = n * (t + 1) / parts;
        internal::ExpShifted(b.data() + lo, mx, (*mu)[i].data() + lo, hi - lo);
      });
      if (k == 0) break;
      internal::SumInto((*mu)[i], sep_map_[i], sep_size_[i], &up_[i]);
      down_.resize(sep_size_[i]);
      for (int64_t s = 0; s < sep_size_[i]; ++s) {
        down_[s] = up_[i][s] > 0 ? std::log(up_[i][s]) + mx
                                 : -std::numeric_limits<double>::infinity();
      }
      internal::AddBroadcast(down_, parent_sep_map_[i], 1.0, &acc_[jt_.parent[i]]);
    }
    // Downward pass: parents before children.
    for (int k = 1; k < m; ++k) {
      const int i = jt_.order[k];
      internal::SumInto((*mu)[jt_.parent[i]], parent_sep_map_[i], sep_size_[i], &down_);
      std::vector<double>& inv = up_[i];
      for (double& e : inv) e = e > 0 ? 1.0 / e : 0.0;
      const std::vector<uint32_t>& map = sep_map_[i];
      double* out = (*mu)[i].data();
      const int64_t n = size_[i];
      for (int64_t c = 0; c < n; ++c) out[c] = (out[c] * inv[map[c]]) * down_[map[c]];
    }
    // Unnormalised beliefs -> counts summing to total.
    internal::ParallelFor(m, ThreadsFor(cells_), [&](int64_t i) {
      std::vector<double>& out = (*mu)[i];
      double z = 0;
      for (double v : out) z += v;
      const double scale = total_ / z;
      for (double& v : out) v *= scale;
    });
  }

  // Loss and gradient (per distinct clique) at marginals mu.
  double LossAndGrad(const std::vector<std::vector<double>>& mu,
                     std::vector<std::vector<double>>* grad,
                     std::vector<std::vector<double>>* clique_mu) {
    grad->resize(cliques_.size());
    clique_mu->resize(cliques_.size());
    // Outermost cliques from the junction tree (in parallel), the others from the marginal of
    // their enclosing measured clique (more attributes first).
    internal::ParallelFor(outer_.size(), ThreadsFor(host_cells_), [&](int64_t k) {
      const int u = outer_[k];
      internal::SumInto(mu[host_[u]], map_[u], TableSize(domain_, cliques_[u]), &(*clique_mu)[u]);
    });
    for (auto it = by_size_.rbegin(); it != by_size_.rend(); ++it) {
      const int u = *it;
      if (via_[u] >= 0) {
        internal::SumInto((*clique_mu)[via_[u]], map_[u], TableSize(domain_, cliques_[u]),
                          &(*clique_mu)[u]);
      }
    }
    for (size_t u = 0; u < cliques_.size(); ++u) (*grad)[u].assign((*clique_mu)[u].size(), 0.0);
    double loss = 0;
    for (const Measurement& meas : ms_) {
      const int u = clique_index_.at(meas.clique);
      const double w0 = 1.0 / (meas.sigma * meas.sigma);
      const bool per_cell = !meas.cell_sigma.empty();
      const std::vector<double>& x = (*clique_mu)[u];
      std::vector<double>& g = (*grad)[u];
      for (size_t c = 0; c < x.size(); ++c) {
        const double w =
            per_cell ? 1.0 / (meas.cell_sigma[c] * meas.cell_sigma[c]) : w0;
        const double d = x[c] - meas.values[c];
        loss += 0.5 * w * d * d;
        g[c] += w * d;
      }
    }
    return loss;
  }

 private:
  // Threads for a step touching `cells` cells: one below 2^16 cells (thread start-up would
  // cost more than it saves), else all.
  int ThreadsFor(int64_t cells) const { return cells < (int64_t{1} << 16) ? 1 : threads_; }

  // Links each measured clique to the smallest other measured clique that contains it, when
  // that table is smaller than its junction-tree host (via_[u], else -1): a 1-way marginal is
  // then summed from a small 2- or 3-way table instead of a host of up to millions of cells,
  // and its potential is added there first. Same sums, fewer passes over the large tables.
  void LinkSubcliques() {
    const int n = static_cast<int>(cliques_.size());
    via_.assign(n, -1);
    map_.resize(n);
    for (int u = 0; u < n; ++u) {
      int64_t best = size_[host_[u]];
      for (int v = 0; v < n; ++v) {
        const int64_t s = TableSize(domain_, cliques_[v]);
        if (v != u && s < best && cliques_[v].size() > cliques_[u].size() &&
            internal::IsSubset(cliques_[u], cliques_[v])) {
          via_[u] = v;
          best = s;
        }
      }
      const Attrs& big = via_[u] >= 0 ? cliques_[via_[u]] : jt_.cliques[host_[u]];
      map_[u] = IndexMap(domain_, big, cliques_[u]);
      if (via_[u] < 0) {
        outer_.push_back(u);
        host_cells_ += size_[host_[u]];
      }
    }
    by_size_.resize(n);
    std::iota(by_size_.begin(), by_size_.end(), 0);
    std::stable_sort(by_size_.begin(), by_size_.end(), [&](int a, int b) {
      return cliques_[a].size() < cliques_[b].size();
    });
  }

  const std::vector<int>& domain_;
  internal::JunctionTree jt_;
  const std::vector<Measurement>& ms_;
  double total_;
  int threads_;
  int64_t cells_ = 0, host_cells_ = 0;
  std::vector<int64_t> size_;
  std::vector<Attrs> cliques_;
  std::map<Attrs, int> clique_index_;
  std::vector<int> host_;
  std::vector<int> via_;                     // enclosing measured clique or -1 (LinkSubcliques)
  std::vector<std::vector<uint32_t>> map_;   // index map from via_ (or the host) to the clique
  std::vector<int> outer_;                   // cliques with via_ == -1
  std::vector<int> by_size_;                 // cliques by number of attributes, ascending
  std::vector<std::vector<double>> folded_;  // potentials with their subcliques' added
  std::vector<std::vector<uint32_t>> sep_map_, parent_sep_map_;
  std::vector<int64_t> sep_size_;
  std::vector<std::vector<double>> acc_, up_;
  std::vector<double> down_;
};

}  // namespace

int64_t ModelCells(const std::vector<int>& domain, const std::vector<Clique>& cliques) {
  return internal::JunctionTreeCells(domain, cliques);
}

absl::StatusOr<GraphicalModel> GraphicalModel::Fit(const std::vector<int>& domain,
                                                   const std::vector<Measurement>& measurements,
                                                   const InferenceOptions& options,
                                                   const GraphicalModel* warm_start) {
  if (domain.empty()) return absl::InvalidArgumentError("domain must have at least 1 attribute");
  for (size_t i = 0; i < domain.size(); ++i) {
    if (domain[i] < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("domain size of attribute ", i, " must be >= 1, got ", domain[i]));
    }
  }
  if (options.max_iters < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_iters must be >= 0, got ", options.max_iters));
  }
  std::vector<Attrs> cliques;
  for (const Measurement& m : measurements) {
    DPKIT_RETURN_IF_ERROR(ValidateClique(domain, m.clique, "measurement clique"));
    const int64_t n = TableSize(domain, m.clique);
    if (static_cast<int64_t>(m.values.size()) != n) {
      return absl::InvalidArgumentError(absl::StrCat("measurement ", CliqueName(m.clique),
                                                     " has ", m.values.size(),
                                                     " values, the clique has ", n, " cells"));
    }
    if (!(std::isfinite(m.sigma) && m.sigma > 0)) {
      return absl::InvalidArgumentError(absl::StrCat("measurement ", CliqueName(m.clique),
                                                     ": sigma must be finite and > 0, got ",
                                                     m.sigma));
    }
    if (!m.cell_sigma.empty()) {
      if (m.cell_sigma.size() != m.values.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "measurement ", CliqueName(m.clique), " has ", m.cell_sigma.size(),
            " cell sigmas for ", m.values.size(), " values"));
      }
      for (double s : m.cell_sigma) {
        if (!(std::isfinite(s) && s > 0)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "measurement ", CliqueName(m.clique), ": cell sigma must be finite and > 0, got ",
              s));
        }
      }
    }
    for (double v : m.values) {
      if (!std::isfinite(v)) {
        return absl::InvalidArgumentError(
            absl::StrCat("measurement ", CliqueName(m.clique), " has a non-finite value"));
      }
    }
    cliques.push_back(m.clique);
  }
  internal::JunctionTree jt = internal::BuildJunctionTree(domain, cliques);
  const int64_t cells = jt.TotalCells(domain);
  if (cells > options.max_model_cells) {
    int big = 0;
    for (size_t i = 1; i < jt.cliques.size(); ++i) {
      if (TableSize(domain, jt.cliques[i]) > TableSize(domain, jt.cliques[big])) big = i;
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "the junction tree of the measured cliques needs ", cells, " cells (",
        cells * 8 / (1 << 20), " MiB per table), over the limit of ", options.max_model_cells,
        " cells; its largest clique ", CliqueName(jt.cliques[big]), " has ",
        TableSize(domain, jt.cliques[big]),
        " cells. Measure fewer or smaller marginals, coarsen the domain, or raise the limit"));
  }

  // Total: inverse-variance weighted mean of the measurements' sums.
  double total = 1;
  {
    double num = 0, den = 0;
    for (const Measurement& m : measurements) {
      double s = 0, var = 0;
      for (size_t c = 0; c < m.values.size(); ++c) {
        s += m.values[c];
        const double sd = m.cell_sigma.empty() ? m.sigma : m.cell_sigma[c];
        var += sd * sd;
      }
      num += s / var;
      den += 1 / var;
    }
    if (den > 0) total = std::max(1.0, num / den);
    if (warm_start != nullptr && measurements.empty()) total = warm_start->total();
  }

  auto impl = std::make_shared<Impl>();
  impl->domain = domain;
  impl->total = total;
  impl->max_cells = options.max_model_cells;
  Engine engine(impl->domain, std::move(jt), measurements, total, std::max(1, options.threads));
  const std::vector<Attrs>& ucl = engine.cliques();
  std::vector<std::vector<double>> theta(ucl.size());
  for (size_t u = 0; u < ucl.size(); ++u) {
    theta[u].assign(TableSize(domain, ucl[u]), 0.0);
    if (warm_start != nullptr) {
      auto it = warm_start->impl_->theta.find(ucl[u]);
      if (it != warm_start->impl_->theta.end() && it->second.size() == theta[u].size()) {
        theta[u] = it->second;
      }
    }
  }

  std::vector<std::vector<double>> mu, grad, cmu;
  engine.Propagate(theta, &mu);
  double loss = engine.LossAndGrad(mu, &grad, &cmu);
  double alpha = 0;
  {
    double gmax = 0;
    for (const auto& g : grad) {
      for (double v : g) gmax = std::max(gmax, std::abs(v));
    }
    alpha = gmax > 0 ? 1.0 / gmax : 1.0;
  }
  int it = 0, stalls = 0;
  std::vector<std::vector<double>> theta0, mu0, grad0, cmu0;
  for (; it < options.max_iters && !ucl.empty(); ++it) {
    theta0 = theta;
    grad0 = grad;
    cmu0 = cmu;
    const double loss0 = loss;
    alpha *= 2;
    bool accepted = false;
    for (int ls = 0; ls < 30; ++ls) {
      for (size_t u = 0; u < ucl.size(); ++u) {
        for (size_t c = 0; c < theta[u].size(); ++c) {
          theta[u][c] = theta0[u][c] - alpha * grad0[u][c];
        }
      }
      engine.Propagate(theta, &mu);
      loss = engine.LossAndGrad(mu, &grad, &cmu);
      double predicted = 0;  // first-order decrease g0 . (mu0 - mu)
      for (size_t u = 0; u < ucl.size(); ++u) {
        for (size_t c = 0; c < cmu[u].size(); ++c) {
          predicted += grad0[u][c] * (cmu0[u][c] - cmu[u][c]);
        }
      }
      if (loss0 - loss >= 0.5 * predicted && loss <= loss0) {
        accepted = true;
        break;
      }
      alpha *= 0.5;
    }
    if (!accepted) {  // no progress possible at machine precision: keep the previous point
      theta = theta0;
      engine.Propagate(theta, &mu);
      loss = engine.LossAndGrad(mu, &grad, &cmu);
      break;
    }
    if (loss0 - loss <= options.tolerance * loss0) {
      if (++stalls >= 10) {
        ++it;
        break;
      }
    } else {
      stalls = 0;
    }
  }
  for (size_t u = 0; u < ucl.size(); ++u) impl->theta[ucl[u]] = std::move(theta[u]);
  impl->jt = std::move(engine.jt());
  impl->mu = std::move(mu);
  impl->iterations = it;
  impl->loss = loss;
  return GraphicalModel(std::move(impl));
}

const std::vector<int>& GraphicalModel::domain() const { return impl_->domain; }
double GraphicalModel::total() const { return impl_->total; }
std::vector<Clique> GraphicalModel::cliques() const { return impl_->jt.cliques; }
int64_t GraphicalModel::cells() const { return impl_->jt.TotalCells(impl_->domain); }
int GraphicalModel::iterations() const { return impl_->iterations; }
double GraphicalModel::loss() const { return impl_->loss; }

absl::StatusOr<std::vector<double>> GraphicalModel::Marginal(const Clique& clique) const {
  const Impl& m = *impl_;
  const std::vector<int>& domain = m.domain;
  DPKIT_RETURN_IF_ERROR(ValidateClique(domain, clique, "marginal"));
  const int64_t out_size = TableSize(domain, clique);
  if (out_size > m.max_cells) {
    return absl::FailedPreconditionError(absl::StrCat("marginal ", CliqueName(clique), " has ",
                                                      out_size, " cells, over the limit of ",
                                                      m.max_cells));
  }
  const internal::JunctionTree& jt = m.jt;
  const int host = jt.FindContaining(domain, clique);
  std::vector<double> out;
  if (host >= 0) {
    internal::SumInto(m.mu[host], IndexMap(domain, jt.cliques[host], clique), out_size, &out);
    return out;
  }
  // Variable elimination on the minimal subtree covering the clique's attributes.
  const int n = static_cast<int>(jt.cliques.size());
  std::vector<char> keep(n, 0);
  for (int i = 0; i < n; ++i) {
    keep[i] = !internal::Intersection(jt.cliques[i], clique).empty();
  }
  // Prune leaves that do not hold a needed attribute not covered elsewhere: repeatedly remove
  // unmarked leaves of the tree restricted to the remaining nodes.
  std::vector<char> alive(n, 1);
  std::vector<int> deg(n, 0);
  for (int i = 0; i < n; ++i) deg[i] = static_cast<int>(jt.nbrs[i].size());
  std::vector<int> stack;
  for (int i = 0; i < n; ++i) {
    if (!keep[i] && deg[i] <= 1) stack.push_back(i);
  }
  while (!stack.empty()) {
    const int i = stack.back();
    stack.pop_back();
    if (!alive[i]) continue;
    alive[i] = 0;
    for (int j : jt.nbrs[i]) {
      if (alive[j] && --deg[j] <= 1 && !keep[j]) stack.push_back(j);
    }
  }
  int root = -1;
  for (int i = 0; i < n; ++i) {
    if (alive[i] && keep[i]) {
      root = i;
      break;
    }
  }
  // Factors of the subtree: the root's marginal and every other node's conditional given its
  // separator with its subtree parent; their product is the subtree's joint. Then greedy
  // variable elimination (min product size) of the attributes not in `clique`.
  std::vector<int> order = {root}, parent(n, -1);
  std::vector<char> seen(n, 0);
  seen[root] = 1;
  for (size_t k = 0; k < order.size(); ++k) {
    for (int j : jt.nbrs[order[k]]) {
      if (alive[j] && !seen[j]) {
        seen[j] = 1;
        parent[j] = order[k];
        order.push_back(j);
      }
    }
  }
  std::vector<internal::Factor> factors;
  for (int i : order) {
    if (i == root) {
      factors.push_back({jt.cliques[i], m.mu[i]});
      continue;
    }
    const Attrs up = internal::Intersection(jt.cliques[i], jt.cliques[parent[i]]);
    // Sum out attributes private to this node that are not wanted (they appear nowhere else).
    Attrs keep = internal::Union(up, internal::Intersection(jt.cliques[i], clique));
    for (int j : jt.nbrs[i]) {
      if (alive[j] && parent[j] == i) {
        keep = internal::Union(keep, internal::Intersection(jt.cliques[i], jt.cliques[j]));
      }
    }
    internal::Factor f = internal::SumOnto(domain, {jt.cliques[i], m.mu[i]}, keep);
    internal::Factor sepm = internal::SumOnto(domain, f, up);
    for (double& v : sepm.values) v = v > 0 ? 1.0 / v : 0.0;
    factors.push_back(internal::Multiply(domain, f, sepm));
  }
  while (true) {
    // Candidate variables to eliminate: in some factor, not in the clique.
    Attrs vars;
    for (const auto& f : factors) vars = internal::Union(vars, f.attrs);
    vars = internal::Difference(vars, clique);
    if (vars.empty()) break;
    int best = -1;
    int64_t best_size = 0;
    for (int v : vars) {
      Attrs u;
      for (const auto& f : factors) {
        if (std::binary_search(f.attrs.begin(), f.attrs.end(), v)) u = internal::Union(u, f.attrs);
      }
      const int64_t size = TableSize(domain, u);
      if (best < 0 || size < best_size) {
        best = v;
        best_size = size;
      }
    }
    if (best_size > m.max_cells) {
      return absl::FailedPreconditionError(absl::StrCat(
          "marginal ", CliqueName(clique), ": variable elimination needs a table with ",
          best_size, " cells, over the limit of ", m.max_cells));
    }
    std::vector<internal::Factor> rest;
    internal::Factor prod{{}, {1.0}};
    for (auto& f : factors) {
      if (std::binary_search(f.attrs.begin(), f.attrs.end(), best)) {
        prod = internal::Multiply(domain, prod, f);
      } else {
        rest.push_back(std::move(f));
      }
    }
    rest.push_back(internal::SumOnto(domain, prod, internal::Difference(prod.attrs, {best})));
    factors = std::move(rest);
  }
  internal::Factor prod{{}, {1.0}};
  for (const auto& f : factors) {
    if (TableSize(domain, internal::Union(prod.attrs, f.attrs)) > m.max_cells) {
      return absl::FailedPreconditionError(absl::StrCat("marginal ", CliqueName(clique),
                                                        " is too large to compute"));
    }
    prod = internal::Multiply(domain, prod, f);
  }
  return internal::SumOnto(domain, prod, clique).values;
}

namespace {

// Per-clique sampling tables: conditional distribution of the clique's new attributes given
// its separator with the parent.
struct SampleTables {
  std::vector<Attrs> sep, fresh;
  std::vector<int64_t> sep_size, fresh_size;
  std::vector<std::vector<double>> cond;  // [sep cell * fresh_size + fresh cell] (unnormalised)
};

SampleTables BuildSampleTables(const GraphicalModel::Impl& m) {
  const internal::JunctionTree& jt = m.jt;
  const int n = static_cast<int>(jt.cliques.size());
  SampleTables t;
  t.sep.resize(n);
  t.fresh.resize(n);
  t.sep_size.resize(n);
  t.fresh_size.resize(n);
  t.cond.resize(n);
  for (int i = 0; i < n; ++i) {
    t.sep[i] = jt.separator[i];
    t.fresh[i] = internal::Difference(jt.cliques[i], t.sep[i]);
    t.sep_size[i] = TableSize(m.domain, t.sep[i]);
    t.fresh_size[i] = TableSize(m.domain, t.fresh[i]);
    const auto ms = IndexMap(m.domain, jt.cliques[i], t.sep[i]);
    const auto mf = IndexMap(m.domain, jt.cliques[i], t.fresh[i]);
    t.cond[i].assign(t.sep_size[i] * t.fresh_size[i], 0.0);
    for (size_t c = 0; c < ms.size(); ++c) {
      t.cond[i][ms[c] * t.fresh_size[i] + mf[c]] = std::max(0.0, m.mu[i][c]);
    }
  }
  return t;
}

// Allocates `k` draws over weights w (sum > 0) by systematic rounding: floor(k * w / sum) each,
// remaining draws from the fractional parts. Appends the cell of each draw to `out`.
void Allocate(const double* w, int64_t n, int64_t k, random::BitGenerator& gen,
              std::vector<int32_t>* out) {
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += w[j];
  if (!(sum > 0)) {  // no mass: uniform
    for (int64_t r = 0; r < k; ++r) {
      out->push_back(static_cast<int32_t>(random::UniformUint64(gen, n)));
    }
    return;
  }
  int64_t assigned = 0;
  thread_local std::vector<double> frac;
  frac.assign(n, 0.0);
  double frac_sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    const double e = k * (w[j] / sum);
    const int64_t fl = static_cast<int64_t>(std::floor(e));
    for (int64_t r = 0; r < fl; ++r) out->push_back(static_cast<int32_t>(j));
    assigned += fl;
    frac[j] = e - fl;
    frac_sum += frac[j];
  }
  for (int64_t r = assigned; r < k; ++r) {
    double u = random::UniformDouble01(gen) * frac_sum;
    int64_t j = 0;
    for (; j < n - 1; ++j) {
      if (u < frac[j]) break;
      u -= frac[j];
    }
    out->push_back(static_cast<int32_t>(j));
  }
}

void Shuffle(std::vector<int32_t>* v, size_t begin, size_t end, random::BitGenerator& gen) {
  for (size_t i = end; i > begin + 1; --i) {
    const size_t j = begin + random::UniformUint64(gen, i - begin);
    std::swap((*v)[i - 1], (*v)[j]);
  }
}

// Orders the draws of one separator group so that every prefix of it holds each cell about in
// proportion to the cell's count (copy q of a cell drawn c times sits at (q + u) / c, u uniform
// per cell), where a random shuffle would scatter them: records sorted by their other
// attributes then get the new values in the model's proportions within each run of equal
// values (a balanced, stratified allocation; see SampleChunk).
void BalancedOrder(std::vector<int32_t>* draws, random::BitGenerator& gen) {
  std::vector<int32_t>& d = *draws;
  std::sort(d.begin(), d.end());
  std::vector<std::pair<double, int32_t>> pos;
  pos.reserve(d.size());
  for (size_t b = 0; b < d.size();) {
    size_t e = b;
    while (e < d.size() && d[e] == d[b]) ++e;
    const double u = random::UniformDouble01(gen), c = static_cast<double>(e - b);
    for (size_t q = 0; q < e - b; ++q) pos.push_back({(q + u) / c, d[b]});
    b = e;
  }
  std::sort(pos.begin(), pos.end());
  for (size_t r = 0; r < pos.size(); ++r) d[r] = pos[r].second;
}

// Rows sorted by their separator cell (of sep_size cells), then by the
// attributes drawn so far outside it (a random order of them, mixed-radix while the key fits 40
// bits), ties in random order (24 random bits, then the row); the separator cell of each row is
// returned in `key`.
void SortRows(const std::vector<int>& domain, const Attrs& sep, int64_t sep_size,
              const std::vector<int>& drawn, const std::vector<std::vector<int32_t>>& cols,
              random::BitGenerator& gen, std::vector<int64_t>* key, std::vector<int32_t>* idx) {
  const int64_t rows = static_cast<int64_t>(idx->size());
  std::vector<int> ctx;
  for (int a : drawn) {
    if (!std::binary_search(sep.begin(), sep.end(), a)) ctx.push_back(a);
  }
  for (size_t i = ctx.size(); i > 1; --i) std::swap(ctx[i - 1], ctx[random::UniformUint64(gen, i)]);
  std::vector<int> used;
  int64_t radix = 1;
  for (int a : ctx) {
    if (radix > (int64_t{1} << 40) / domain[a]) break;
    radix *= domain[a];
    used.push_back(a);
  }
  std::vector<uint64_t> sub(rows, 0);
  if (!used.empty()) gen.Fill(sub.data(), sub.size() * sizeof(uint64_t));
  for (int64_t r = 0; r < rows; ++r) {
    int64_t s = 0;
    uint64_t c = 0;
    for (int a : sep) s = s * domain[a] + cols[a][r];
    for (int a : used) c = c * domain[a] + cols[a][r];
    (*key)[r] = s;
    sub[r] = c << 24 | (sub[r] >> 40);
  }
  // Grouped by separator cell: counting sort, or a sort when the cells outnumber the rows.
  std::vector<std::pair<uint64_t, int32_t>> order(rows);
  if (sep_size <= rows) {
    std::vector<int64_t> next(sep_size + 1, 0);
    for (int64_t r = 0; r < rows; ++r) ++next[(*key)[r] + 1];
    for (int64_t s = 0; s < sep_size; ++s) next[s + 1] += next[s];
    for (int64_t r = 0; r < rows; ++r) order[next[(*key)[r]]++] = {0, static_cast<int32_t>(r)};
  } else {
    for (int64_t r = 0; r < rows; ++r) order[r] = {(*key)[r], static_cast<int32_t>(r)};
    std::sort(order.begin(), order.end());
  }
  for (int64_t b = 0; b < rows && !used.empty();) {
    int64_t e = b;
    while (e < rows && (*key)[order[e].second] == (*key)[order[b].second]) ++e;
    for (int64_t q = b; q < e; ++q) order[q].first = sub[order[q].second];
    std::sort(order.begin() + b, order.begin() + e);
    b = e;
  }
  for (int64_t r = 0; r < rows; ++r) (*idx)[r] = order[r].second;
}

// Draws `rows` records clique by clique in junction-tree order. Within each separator cell the
// new attributes' values are allocated by systematic rounding (Allocate); where attributes
// outside the separator were drawn already, the records are sorted by them and take the values
// in balanced order (BalancedOrder), so the sample's joint of the new and the earlier attributes
// follows the model's conditional independence given the separator up to about one record per
// run of equal values, instead of up to random (hypergeometric) deviations.
void SampleChunk(const GraphicalModel::Impl& m, const SampleTables& t, int64_t rows,
                 random::BitGenerator& gen, std::vector<std::vector<int32_t>>* cols) {
  const std::vector<int>& domain = m.domain;
  cols->assign(domain.size(), std::vector<int32_t>(rows, 0));
  const internal::JunctionTree& jt = m.jt;
  std::vector<int64_t> key(rows);
  std::vector<int32_t> idx(rows), draws;
  std::vector<int> drawn;  // attributes drawn so far
  for (int i : jt.order) {
    const Attrs& sep = t.sep[i];
    const Attrs& fresh = t.fresh[i];
    if (fresh.empty()) continue;
    SortRows(domain, sep, t.sep_size[i], drawn, *cols, gen, &key, &idx);
    const bool balanced = drawn.size() > sep.size();
    int64_t start = 0;
    while (start < rows) {
      int64_t end = start;
      const int64_t s = key[idx[start]];
      while (end < rows && key[idx[end]] == s) ++end;
      draws.clear();
      Allocate(t.cond[i].data() + s * t.fresh_size[i], t.fresh_size[i], end - start, gen,
               &draws);
      if (balanced) {
        BalancedOrder(&draws, gen);
      } else {
        Shuffle(&draws, 0, draws.size(), gen);
      }
      for (int64_t r = start; r < end; ++r) {
        int64_t cell = draws[r - start];
        const int32_t row = idx[r];
        for (int q = static_cast<int>(fresh.size()) - 1; q >= 0; --q) {
          const int a = fresh[q];
          (*cols)[a][row] = static_cast<int32_t>(cell % domain[a]);
          cell /= domain[a];
        }
      }
      start = end;
    }
    drawn.insert(drawn.end(), fresh.begin(), fresh.end());
  }
}

}  // namespace

absl::Status GraphicalModel::Sample(int64_t rows, random::BitGenerator& gen,
                                    const ChunkSink& sink, int64_t chunk_rows,
                                    int threads) const {
  if (rows < 0) return absl::InvalidArgumentError(absl::StrCat("rows must be >= 0, got ", rows));
  if (chunk_rows < 1) chunk_rows = 65536;
  const SampleTables tables = BuildSampleTables(*impl_);
  const int nthreads = gen.IsSecure() ? std::max(1, threads) : 1;
  std::vector<std::vector<std::vector<int32_t>>> batch(nthreads);
  int64_t done = 0;
  while (done < rows) {
    std::vector<int64_t> sizes;
    for (int w = 0; w < nthreads && done + chunk_rows * w < rows; ++w) {
      sizes.push_back(std::min(chunk_rows, rows - done - chunk_rows * w));
    }
    if (sizes.size() == 1) {
      SampleChunk(*impl_, tables, sizes[0], gen, &batch[0]);
    } else {
      std::vector<std::thread> pool;
      for (size_t w = 0; w < sizes.size(); ++w) {
        pool.emplace_back([&, w] { SampleChunk(*impl_, tables, sizes[w], gen, &batch[w]); });
      }
      for (auto& th : pool) th.join();
    }
    for (size_t w = 0; w < sizes.size(); ++w) {
      DPKIT_RETURN_IF_ERROR(sink(batch[w], sizes[w]));
      done += sizes[w];
    }
  }
  return absl::OkStatus();
}

}  // namespace dpkit::synth
