#include "publish/parent_problem.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "publish/rounding.h"

namespace dpkit::publish {
namespace {

using Triplet = Eigen::Triplet<double>;

int PositionOf(const std::vector<int>& order, int table) {
  return static_cast<int>(std::find(order.begin(), order.end(), table) - order.begin());
}

}  // namespace

FamilyCells FamilyCells::Create(const PublicationPlan& plan, const TableFamily& family) {
  FamilyCells f;
  for (size_t i = 0; i < family.order.size(); ++i) {
    const TableLayout& layout = plan.tables[family.order[i]].layout;
    const TableLayout& separator = family.separators[i];
    Table t;
    t.id = family.order[i];
    t.cells = layout.num_cells();
    t.offset = f.cells_per_child;
    t.slices = separator.num_cells();
    t.slice = layout.ProjectionTo(separator);
    if (family.source[i] >= 0) {
      t.source = PositionOf(family.order, family.source[i]);
      t.source_slice = plan.tables[family.source[i]].layout.ProjectionTo(separator);
    }
    t.cells_of_slice.resize(t.slices);
    for (int c = 0; c < t.cells; ++c) t.cells_of_slice[t.slice[c]].push_back(c);
    f.cells_per_child += t.cells;
    f.tables.push_back(std::move(t));
  }
  return f;
}

absl::StatusOr<std::unique_ptr<TopDownEstimator::Problem>> TopDownEstimator::Problem::Create(
    const FamilyCells& family, const UnitVariances& variance, int level, int first, int count,
    bool has_parent) {
  const int per_child = family.cells_per_child;
  std::vector<Triplet> entries;
  int row = 0;
  if (has_parent) {  // (H): children sum to the parent
    for (const FamilyCells::Table& t : family.tables) {
      for (int c = 0; c < t.cells; ++c, ++row) {
        for (int k = 0; k < count; ++k) entries.emplace_back(row, k * per_child + t.offset + c, 1);
      }
    }
  }
  const int agreeing_children = has_parent ? count - 1 : count;
  for (int k = 0; k < agreeing_children; ++k) {  // (M): agreement on separator margins
    for (size_t i = 1; i < family.tables.size(); ++i) {
      const FamilyCells::Table& t = family.tables[i];
      const FamilyCells::Table& source = family.tables[t.source];
      for (int c = 0; c < t.cells; ++c) {
        entries.emplace_back(row + t.slice[c], k * per_child + t.offset + c, 1);
      }
      for (int c = 0; c < source.cells; ++c) {
        entries.emplace_back(row + t.source_slice[c], k * per_child + source.offset + c, -1);
      }
      row += t.slices;
    }
  }
  Eigen::SparseMatrix<double> a(row, count * per_child);
  a.setFromTriplets(entries.begin(), entries.end());
  // Weights 1 / variance of each child's combined estimate, scaled so the largest is 1.
  Eigen::VectorXd weights(count * per_child);
  for (const FamilyCells::Table& t : family.tables) {
    for (int k = 0; k < count; ++k) {
      weights.segment(k * per_child + t.offset, t.cells)
          .setConstant(1 / variance[level][t.id][first + k]);
    }
  }
  weights /= weights.maxCoeff();
  DPKIT_ASSIGN_OR_RETURN(ConstrainedNnls nnls, ConstrainedNnls::Create(std::move(a), weights));
  return std::unique_ptr<Problem>(
      new Problem(family, level, first, count, has_parent, row, std::move(nnls)));
}

size_t TopDownEstimator::Problem::Index(int child, int position, int cell) const {
  return static_cast<size_t>(child) * family_.cells_per_child + family_.tables[position].offset +
         cell;
}

Eigen::VectorXd TopDownEstimator::Problem::Measurements(const TableSet& noisy) const {
  Eigen::VectorXd y(static_cast<Eigen::Index>(count_) * family_.cells_per_child);
  for (size_t p = 0; p < family_.tables.size(); ++p) {
    const FamilyCells::Table& t = family_.tables[p];
    const std::vector<double>& values = noisy.values[level_][t.id];
    for (int k = 0; k < count_; ++k) {
      for (int c = 0; c < t.cells; ++c) {
        y[Index(k, p, c)] = values[static_cast<size_t>(first_ + k) * t.cells + c];
      }
    }
  }
  return y;
}

Eigen::VectorXd TopDownEstimator::Problem::ParentCells(const TableSet& out, int parent) const {
  Eigen::VectorXd b = Eigen::VectorXd::Zero(num_rows_);
  if (!has_parent_) return b;
  int row = 0;
  for (const FamilyCells::Table& t : family_.tables) {
    const std::vector<double>& values = out.values[level_ - 1][t.id];
    for (int c = 0; c < t.cells; ++c) b[row++] = values[static_cast<size_t>(parent) * t.cells + c];
  }
  return b;
}

std::vector<int64_t> TopDownEstimator::Problem::ChildTotals(const Eigen::VectorXd& z,
                                                            const TableSet& out, int parent) const {
  const FamilyCells::Table& first_table = family_.tables[0];
  std::vector<double> target(count_, 0.0);
  for (int k = 0; k < count_; ++k) {
    target[k] = z.segment(Index(k, 0, 0), first_table.cells).sum();
  }
  if (!has_parent_) return {target[0] <= 0 ? 0 : std::llround(target[0])};
  const std::vector<double>& p = out.values[level_ - 1][first_table.id];
  const double total =
      std::accumulate(p.begin() + static_cast<size_t>(parent) * first_table.cells,
                      p.begin() + static_cast<size_t>(parent + 1) * first_table.cells, 0.0);
  return RoundToSum(target, static_cast<int64_t>(total));
}

absl::Status TopDownEstimator::Problem::RoundTable(const Eigen::VectorXd& z, int position,
                                                   const std::vector<int64_t>& totals, int parent,
                                                   TableSet& out) const {
  const FamilyCells::Table& t = family_.tables[position];
  // Row sums: each child's integer margin on the separator, from the already rounded source.
  std::vector<std::vector<int64_t>> margin(count_, std::vector<int64_t>(t.slices, 0));
  for (int k = 0; k < count_; ++k) {
    if (t.source < 0) {
      margin[k][0] = totals[k];
      continue;
    }
    const FamilyCells::Table& source = family_.tables[t.source];
    const std::vector<double>& values = out.values[level_][source.id];
    for (int c = 0; c < source.cells; ++c) {
      margin[k][t.source_slice[c]] +=
          static_cast<int64_t>(values[static_cast<size_t>(first_ + k) * source.cells + c]);
    }
  }
  std::vector<double>& result = out.values[level_][t.id];
  for (int s = 0; s < t.slices; ++s) {
    const std::vector<int>& cells = t.cells_of_slice[s];
    const int n = static_cast<int>(cells.size());
    std::vector<double> target(static_cast<size_t>(count_) * n);
    std::vector<int64_t> rows(count_), cols(n, 0);
    for (int k = 0; k < count_; ++k) {
      rows[k] = margin[k][s];
      for (int j = 0; j < n; ++j)
        target[static_cast<size_t>(k) * n + j] = z[Index(k, position, cells[j])];
    }
    std::vector<int64_t> x;
    if (has_parent_) {
      const std::vector<double>& p = out.values[level_ - 1][t.id];
      for (int j = 0; j < n; ++j) {
        cols[j] = static_cast<int64_t>(p[static_cast<size_t>(parent) * t.cells + cells[j]]);
      }
      if (std::accumulate(rows.begin(), rows.end(), int64_t{0}) !=
          std::accumulate(cols.begin(), cols.end(), int64_t{0})) {
        return absl::InternalError(absl::StrCat("publish: inconsistent parent tables at level ",
                                                level_ - 1, " (a bug; please report it)"));
      }
      x = RoundToMargins(target, count_, n, rows, cols);
    } else {
      x = RoundToSum(target, rows[0]);
    }
    for (int k = 0; k < count_; ++k) {
      for (int j = 0; j < n; ++j) {
        result[static_cast<size_t>(first_ + k) * t.cells + cells[j]] =
            static_cast<double>(x[static_cast<size_t>(k) * n + j]);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status TopDownEstimator::Problem::Estimate(const TableSet& noisy, int parent,
                                                 TableSet& out) const {
  const Eigen::VectorXd z = nnls_.Solve(Measurements(noisy), ParentCells(out, parent));
  const std::vector<int64_t> totals = ChildTotals(z, out, parent);
  for (size_t p = 0; p < family_.tables.size(); ++p) {
    DPKIT_RETURN_IF_ERROR(RoundTable(z, static_cast<int>(p), totals, parent, out));
  }
  return absl::OkStatus();
}

}  // namespace dpkit::publish
