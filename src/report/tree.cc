#include "report/tree.h"

#include <algorithm>
#include <numeric>

namespace dpkit::report::internal {
namespace {

double Gini(const double* counts, int32_t k, double n) {
  if (n <= 0) return 0;
  double s = 0;
  for (int32_t c = 0; c < k; ++c) s += counts[c] * counts[c];
  return n - s / n;  // n * (1 - sum p^2)
}

}  // namespace

DecisionTree DecisionTree::Train(const std::vector<FeatureView>& features,
                                 std::span<const int32_t> labels, std::span<const size_t> rows,
                                 int32_t classes, const Options& options) {
  DecisionTree tree;
  tree.classes_ = std::max<int32_t>(classes, 1);
  std::vector<size_t> work;
  work.reserve(rows.size());
  for (size_t r : rows) {
    if (labels[r] >= 0 && labels[r] < classes) work.push_back(r);
  }
  tree.Build(features, labels, work, 0, work.size(), 0, options);
  return tree;
}

int DecisionTree::Build(const std::vector<FeatureView>& features, std::span<const int32_t> labels,
                        std::vector<size_t>& rows, size_t begin, size_t end, int depth,
                        const Options& options) {
  const int32_t k = classes_;
  const int id = static_cast<int>(nodes_.size());
  nodes_.emplace_back();
  std::vector<double> counts(k, 0.0);
  for (size_t i = begin; i < end; ++i) counts[labels[rows[i]]] += 1;
  const double n = static_cast<double>(end - begin);
  {
    auto& proba = nodes_[id].proba;
    proba.resize(k);
    for (int32_t c = 0; c < k; ++c) proba[c] = (counts[c] + 1.0) / (n + k);
  }
  const double parent = Gini(counts.data(), k, n);
  if (depth >= options.max_depth || n < 2.0 * options.min_leaf || parent <= 1e-12) return id;
  const int32_t majority =
      static_cast<int32_t>(std::max_element(counts.begin(), counts.end()) - counts.begin());

  double best_gain = 1e-9;
  int best_feature = -1;
  std::vector<uint8_t> best_left;
  std::vector<double> hist, left(k), right(k);
  std::vector<double> level_n;
  std::vector<int32_t> order;
  for (size_t f = 0; f < features.size(); ++f) {
    const int32_t L = features[f].levels;
    if (L < 2) continue;
    const auto& codes = *features[f].codes;
    hist.assign(static_cast<size_t>(L) * k, 0.0);
    level_n.assign(L, 0.0);
    for (size_t i = begin; i < end; ++i) {
      const size_t r = rows[i];
      hist[static_cast<size_t>(codes[r]) * k + labels[r]] += 1;
      level_n[codes[r]] += 1;
    }
    order.clear();
    for (int32_t l = 0; l < L; ++l) {
      if (level_n[l] > 0) order.push_back(l);
    }
    if (order.size() < 2) continue;
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return hist[static_cast<size_t>(a) * k + majority] * level_n[b] <
             hist[static_cast<size_t>(b) * k + majority] * level_n[a];
    });
    std::fill(left.begin(), left.end(), 0.0);
    double nl = 0;
    for (size_t j = 0; j + 1 < order.size(); ++j) {
      const int32_t l = order[j];
      for (int32_t c = 0; c < k; ++c) left[c] += hist[static_cast<size_t>(l) * k + c];
      nl += level_n[l];
      const double nr = n - nl;
      if (nl < options.min_leaf || nr < options.min_leaf) continue;
      for (int32_t c = 0; c < k; ++c) right[c] = counts[c] - left[c];
      const double gain = parent - Gini(left.data(), k, nl) - Gini(right.data(), k, nr);
      if (gain > best_gain) {
        best_gain = gain;
        best_feature = static_cast<int>(f);
        best_left.assign(L, 0);
        for (size_t t = 0; t <= j; ++t) best_left[order[t]] = 1;
      }
    }
  }
  if (best_feature < 0) return id;
  const auto& codes = *features[best_feature].codes;
  auto mid = std::partition(rows.begin() + begin, rows.begin() + end,
                            [&](size_t r) { return best_left[codes[r]] != 0; });
  const size_t split = mid - rows.begin();
  nodes_[id].feature = best_feature;
  nodes_[id].go_left = std::move(best_left);
  const int l = Build(features, labels, rows, begin, split, depth + 1, options);
  const int r = Build(features, labels, rows, split, end, depth + 1, options);
  nodes_[id].left = l;
  nodes_[id].right = r;
  return id;
}

std::vector<double> DecisionTree::PredictProba(const std::vector<FeatureView>& features,
                                               std::span<const size_t> rows) const {
  std::vector<double> out(rows.size() * classes_, 0.0);
  if (nodes_.empty()) return out;
  for (size_t i = 0; i < rows.size(); ++i) {
    int node = 0;
    while (nodes_[node].feature >= 0) {
      const Node& nd = nodes_[node];
      const int32_t code = (*features[nd.feature].codes)[rows[i]];
      const bool left = code >= 0 && code < static_cast<int32_t>(nd.go_left.size()) &&
                        nd.go_left[code] != 0;
      node = left ? nd.left : nd.right;
    }
    std::copy(nodes_[node].proba.begin(), nodes_[node].proba.end(), out.begin() + i * classes_);
  }
  return out;
}

std::vector<int32_t> ArgMax(std::span<const double> probs, int32_t k) {
  const size_t n = k > 0 ? probs.size() / k : 0;
  std::vector<int32_t> out(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const double* row = probs.data() + i * k;
    out[i] = static_cast<int32_t>(std::max_element(row, row + k) - row);
  }
  return out;
}

}  // namespace dpkit::report::internal
