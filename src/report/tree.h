// Private: a CART classification tree (Breiman et al. 1984, Gini impurity) on integer-coded
// features. Used for the utility (TSTR/TRTR) and attribute-inference sections.
//
// Features are codes in [0, levels); a split sends a subset of a feature's levels left. For
// each node and feature the levels are ordered by the node's share of its majority class and
// the best prefix of that order is taken (exact for two classes, Breiman's ordering theorem;
// a standard heuristic for more). Leaves predict Laplace-smoothed class frequencies.
#ifndef DPKIT_SRC_REPORT_TREE_H_
#define DPKIT_SRC_REPORT_TREE_H_

#include <cstdint>
#include <span>
#include <vector>

namespace dpkit::report::internal {

struct FeatureView {
  const std::vector<int32_t>* codes;  // one per row of the part
  int32_t levels;
};

class DecisionTree {
 public:
  struct Options {
    int max_depth = 8;
    int min_leaf = 10;
  };
  // Trains on rows `rows` of `features` with labels[row] in [0, classes) (negative = skip).
  static DecisionTree Train(const std::vector<FeatureView>& features,
                            std::span<const int32_t> labels, std::span<const size_t> rows,
                            int32_t classes, const Options& options);

  // Class probabilities (row-major rows.size() x classes) for rows of `features` (same feature
  // order and level coding as in training).
  std::vector<double> PredictProba(const std::vector<FeatureView>& features,
                                   std::span<const size_t> rows) const;

  int num_nodes() const { return static_cast<int>(nodes_.size()); }
  int32_t classes() const { return classes_; }

 private:
  struct Node {
    int feature = -1;  // -1 = leaf
    std::vector<uint8_t> go_left;  // per level
    int left = -1, right = -1;
    std::vector<double> proba;
  };
  int Build(const std::vector<FeatureView>& features, std::span<const int32_t> labels,
            std::vector<size_t>& rows, size_t begin, size_t end, int depth, const Options& options);

  std::vector<Node> nodes_;
  int32_t classes_ = 0;
};

// argmax of each row of a row-major n x k probability matrix.
std::vector<int32_t> ArgMax(std::span<const double> probs, int32_t k);

}  // namespace dpkit::report::internal

#endif  // DPKIT_SRC_REPORT_TREE_H_
