// Junction trees over the cliques of a graphical model (private to synth).
//
// Construction (Koller & Friedman 2009, ch. 9-10): the Markov graph joins every pair of
// attributes that share a clique; a greedy weighted min-fill elimination order (eliminate the
// attribute whose fill-in edges have the smallest total table size, ties broken by the size of
// the clique it creates) triangulates it; the maximal elimination cliques, joined by a maximum
// spanning tree on separator size, form the junction tree. Every attribute of the domain is in
// some clique (unmentioned attributes become singleton cliques), and disconnected parts are
// joined by empty separators, so the result is always one tree.
#ifndef DPKIT_SRC_SYNTH_JUNCTION_TREE_H_
#define DPKIT_SRC_SYNTH_JUNCTION_TREE_H_

#include <cstdint>
#include <vector>

#include "synth/factor.h"

namespace dpkit::synth::internal {

struct JunctionTree {
  std::vector<Attrs> cliques;           // maximal cliques (sorted attrs)
  std::vector<std::vector<int>> nbrs;   // adjacency of the tree
  // A traversal from the root (cliques[order[0]]); parent[order[0]] == -1.
  std::vector<int> order;
  std::vector<int> parent;
  // Separator between i and parent[i] (empty for the root).
  std::vector<Attrs> separator;

  int64_t TotalCells(const std::vector<int>& domain) const;
  // Index of the smallest clique containing `attrs`, or -1.
  int FindContaining(const std::vector<int>& domain, const Attrs& attrs) const;
};

// `cliques` need not be maximal or sorted; duplicates are fine.
JunctionTree BuildJunctionTree(const std::vector<int>& domain, const std::vector<Attrs>& cliques);

// Sum of the table sizes of the junction tree's cliques (the model's memory, in cells) without
// building the traversal; used by AIM's model-size filter.
int64_t JunctionTreeCells(const std::vector<int>& domain, const std::vector<Attrs>& cliques);

}  // namespace dpkit::synth::internal

#endif  // DPKIT_SRC_SYNTH_JUNCTION_TREE_H_
