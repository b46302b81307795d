#include "synth/junction_tree.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <tuple>

namespace dpkit::synth::internal {
namespace {

// Maximal elimination cliques of the triangulated Markov graph.
std::vector<Attrs> TriangulatedCliques(const std::vector<int>& domain,
                                       const std::vector<Attrs>& cliques) {
  const int n = static_cast<int>(domain.size());
  std::vector<std::vector<char>> adj(n, std::vector<char>(n, 0));
  for (const Attrs& c : cliques) {
    for (size_t i = 0; i < c.size(); ++i) {
      for (size_t j = i + 1; j < c.size(); ++j) adj[c[i]][c[j]] = adj[c[j]][c[i]] = 1;
    }
  }
  std::vector<char> alive(n, 1);
  std::vector<Attrs> elim;
  for (int step = 0; step < n; ++step) {
    int best = -1;
    double best_fill = 0, best_size = 0;
    for (int v = 0; v < n; ++v) {
      if (!alive[v]) continue;
      std::vector<int> nb;
      for (int u = 0; u < n; ++u) {
        if (alive[u] && u != v && adj[v][u]) nb.push_back(u);
      }
      double fill = 0;
      double size = domain[v];
      for (size_t i = 0; i < nb.size(); ++i) {
        size *= domain[nb[i]];
        for (size_t j = i + 1; j < nb.size(); ++j) {
          if (!adj[nb[i]][nb[j]]) fill += double(domain[nb[i]]) * domain[nb[j]];
        }
      }
      if (best < 0 || std::tie(fill, size) < std::tie(best_fill, best_size)) {
        best = v;
        best_fill = fill;
        best_size = size;
      }
    }
    Attrs c = {best};
    for (int u = 0; u < n; ++u) {
      if (alive[u] && u != best && adj[best][u]) c.push_back(u);
    }
    for (size_t i = 1; i < c.size(); ++i) {
      for (size_t j = i + 1; j < c.size(); ++j) adj[c[i]][c[j]] = adj[c[j]][c[i]] = 1;
    }
    alive[best] = 0;
    std::sort(c.begin(), c.end());
    elim.push_back(std::move(c));
  }
  // Keep maximal cliques only.
  std::sort(elim.begin(), elim.end(),
            [](const Attrs& a, const Attrs& b) { return a.size() > b.size(); });
  std::vector<Attrs> maximal;
  for (const Attrs& c : elim) {
    bool contained = false;
    for (const Attrs& m : maximal) {
      if (IsSubset(c, m)) {
        contained = true;
        break;
      }
    }
    if (!contained) maximal.push_back(c);
  }
  std::sort(maximal.begin(), maximal.end());
  return maximal;
}

}  // namespace

int64_t JunctionTree::TotalCells(const std::vector<int>& domain) const {
  int64_t total = 0;
  for (const Attrs& c : cliques) total += TableSize(domain, c);
  return total;
}

int JunctionTree::FindContaining(const std::vector<int>& domain, const Attrs& attrs) const {
  int best = -1;
  int64_t best_size = 0;
  for (int i = 0; i < static_cast<int>(cliques.size()); ++i) {
    if (!IsSubset(attrs, cliques[i])) continue;
    const int64_t s = TableSize(domain, cliques[i]);
    if (best < 0 || s < best_size) {
      best = i;
      best_size = s;
    }
  }
  return best;
}

JunctionTree BuildJunctionTree(const std::vector<int>& domain, const std::vector<Attrs>& cliques) {
  JunctionTree jt;
  jt.cliques = TriangulatedCliques(domain, cliques);
  const int m = static_cast<int>(jt.cliques.size());
  // Maximum spanning tree on |separator| (Kruskal); ties by smaller separator table so that
  // heavy separators are preferred only when they carry more attributes.
  std::vector<std::tuple<int, int, int>> edges;  // (-weight, i, j)
  for (int i = 0; i < m; ++i) {
    for (int j = i + 1; j < m; ++j) {
      const int w = static_cast<int>(Intersection(jt.cliques[i], jt.cliques[j]).size());
      edges.emplace_back(-w, i, j);
    }
  }
  std::sort(edges.begin(), edges.end());
  std::vector<int> comp(m);
  std::iota(comp.begin(), comp.end(), 0);
  auto find = [&](int x) {
    while (comp[x] != x) x = comp[x] = comp[comp[x]];
    return x;
  };
  jt.nbrs.assign(m, {});
  for (const auto& [w, i, j] : edges) {
    const int a = find(i), b = find(j);
    if (a == b) continue;
    comp[a] = b;
    jt.nbrs[i].push_back(j);
    jt.nbrs[j].push_back(i);
  }
  // Root at the largest clique; BFS order.
  int root = 0;
  for (int i = 1; i < m; ++i) {
    if (TableSize(domain, jt.cliques[i]) > TableSize(domain, jt.cliques[root])) root = i;
  }
  jt.parent.assign(m, -1);
  jt.separator.assign(m, {});
  std::vector<char> seen(m, 0);
  jt.order = {root};
  seen[root] = 1;
  for (size_t k = 0; k < jt.order.size(); ++k) {
    const int i = jt.order[k];
    for (int j : jt.nbrs[i]) {
      if (seen[j]) continue;
      seen[j] = 1;
      jt.parent[j] = i;
      jt.separator[j] = Intersection(jt.cliques[i], jt.cliques[j]);
      jt.order.push_back(j);
    }
  }
  return jt;
}

int64_t JunctionTreeCells(const std::vector<int>& domain, const std::vector<Attrs>& cliques) {
  int64_t total = 0;
  for (const Attrs& c : TriangulatedCliques(domain, cliques)) {
    total += TableSize(domain, c);
    if (total > std::numeric_limits<int64_t>::max() / 4) break;
  }
  return total;
}

}  // namespace dpkit::synth::internal
