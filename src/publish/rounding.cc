#include "publish/rounding.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <utility>

namespace dpkit::publish {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Change of |x - t| when x moves by `step` (+1 or -1).
double StepCost(int64_t x, double t, int step) {
  return std::abs(static_cast<double>(x + step) - t) - std::abs(static_cast<double>(x) - t);
}

int64_t Nearest(double t) { return t <= 0 ? 0 : std::llround(t); }

// Successive shortest paths on the residual graph of a rows x cols transportation problem.
// Nodes 0..rows-1 are rows, rows..rows+cols-1 columns. Arc row r -> column c raises x_rc (cost
// StepCost(+1)); arc column c -> row r lowers it (cost StepCost(-1), only while x_rc > 0).
class MarginRepair {
 public:
  MarginRepair(absl::Span<const double> target, int rows, int cols, std::vector<int64_t>& x,
               std::vector<int64_t> excess)
      : t_(target),
        rows_(rows),
        cols_(cols),
        x_(x),
        excess_(std::move(excess)),
        potential_(rows + cols, 0.0) {}

  void Run() {
    for (int s = 0; s < rows_ + cols_; ++s) {
      while (excess_[s] > 0) AugmentFrom(s);
    }
  }

 private:
  int nodes() const { return rows_ + cols_; }

  // Reduced cost of the arc u -> v, or +inf when it does not exist.
  double ArcCost(int u, int v) const {
    const bool u_is_row = u < rows_;
    if (u_is_row == (v < rows_)) return kInf;
    const int r = u_is_row ? u : v;
    const int c = (u_is_row ? v : u) - rows_;
    const size_t i = static_cast<size_t>(r) * cols_ + c;
    if (!u_is_row && x_[i] == 0) return kInf;
    const double cost = StepCost(x_[i], t_[i], u_is_row ? 1 : -1);
    return std::max(0.0, cost + potential_[u] - potential_[v]);
  }

  // One unit from supply node s to the nearest demand node (Dijkstra, dense, with potentials).
  void AugmentFrom(int s) {
    std::vector<double> dist(nodes(), kInf);
    std::vector<int> prev(nodes(), -1);
    std::vector<bool> done(nodes(), false);
    dist[s] = 0;
    int sink = -1;
    while (true) {
      int u = -1;
      for (int v = 0; v < nodes(); ++v) {
        if (!done[v] && dist[v] < kInf && (u < 0 || dist[v] < dist[u])) u = v;
      }
      assert(u >= 0);  // a transportation problem with equal totals always has a path
      done[u] = true;
      if (excess_[u] < 0) {
        sink = u;
        break;
      }
      for (int v = 0; v < nodes(); ++v) {
        if (done[v]) continue;
        const double d = dist[u] + ArcCost(u, v);
        if (d < dist[v]) {
          dist[v] = d;
          prev[v] = u;
        }
      }
    }
    for (int v = 0; v < nodes(); ++v) potential_[v] += std::min(dist[v], dist[sink]);
    for (int v = sink; v != s; v = prev[v]) {
      const int u = prev[v];
      const bool raise = u < rows_;
      const int r = raise ? u : v;
      const int c = (raise ? v : u) - rows_;
      x_[static_cast<size_t>(r) * cols_ + c] += raise ? 1 : -1;
    }
    --excess_[s];
    ++excess_[sink];
  }

  absl::Span<const double> t_;
  int rows_, cols_;
  std::vector<int64_t>& x_;
  std::vector<int64_t> excess_;  // > 0: supply, < 0: demand
  std::vector<double> potential_;
};

}  // namespace

std::vector<int64_t> RoundToSum(absl::Span<const double> target, int64_t total) {
  std::vector<int64_t> x(target.size());
  int64_t sum = 0;
  for (size_t i = 0; i < target.size(); ++i) sum += x[i] = Nearest(target[i]);
  const int step = total > sum ? 1 : -1;
  using Entry = std::pair<double, size_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> cheapest;
  for (size_t i = 0; i < x.size(); ++i) {
    if (step > 0 || x[i] > 0) cheapest.push({StepCost(x[i], target[i], step), i});
  }
  for (int64_t n = std::abs(total - sum); n > 0; --n) {
    assert(!cheapest.empty());
    const size_t i = cheapest.top().second;
    cheapest.pop();
    x[i] += step;
    if (step > 0 || x[i] > 0) cheapest.push({StepCost(x[i], target[i], step), i});
  }
  return x;
}

std::vector<int64_t> RoundToMargins(absl::Span<const double> target, int rows, int cols,
                                    absl::Span<const int64_t> row_sums,
                                    absl::Span<const int64_t> col_sums) {
  std::vector<int64_t> x(target.size());
  for (size_t i = 0; i < target.size(); ++i) x[i] = Nearest(target[i]);
  // excess > 0: a row that must send more, or a column that received too much.
  std::vector<int64_t> excess(rows + cols, 0);
  for (int r = 0; r < rows; ++r) {
    excess[r] = row_sums[r];
    for (int c = 0; c < cols; ++c) excess[r] -= x[static_cast<size_t>(r) * cols + c];
  }
  for (int c = 0; c < cols; ++c) {
    excess[rows + c] = -col_sums[c];
    for (int r = 0; r < rows; ++r) excess[rows + c] += x[static_cast<size_t>(r) * cols + c];
  }
  MarginRepair(target, rows, cols, x, std::move(excess)).Run();
  return x;
}

}  // namespace dpkit::publish
