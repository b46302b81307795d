// TableLayout: the cells of one published cross-tabulation.
//
// A table over variables (v_1, ..., v_m) with n_i categories each has n_1 * ... * n_m cells,
// indexed row-major (the last variable varies fastest); a table over no variable has one cell,
// the total. Everything here is public (the spec's categories).
#ifndef DPKIT_PUBLISH_TABLE_LAYOUT_H_
#define DPKIT_PUBLISH_TABLE_LAYOUT_H_

#include <string>
#include <vector>

namespace dpkit::publish {

class TableLayout {
 public:
  TableLayout() = default;
  // `variables`: ids (indices into the spec's variables); `sizes`: their category counts.
  TableLayout(std::vector<int> variables, std::vector<int> sizes);

  int num_cells() const { return num_cells_; }
  const std::vector<int>& variables() const { return variables_; }
  const std::vector<int>& sizes() const { return sizes_; }

  // Cell index from one category index per variable (in this table's variable order).
  int Index(const std::vector<int>& categories) const;
  // The categories of a cell (inverse of Index).
  std::vector<int> Categories(int cell) const;
  // For every cell of this table, the cell of `margin` it falls in; every variable of `margin`
  // must be a variable of this table.
  std::vector<int> ProjectionTo(const TableLayout& margin) const;

 private:
  std::vector<int> variables_;
  std::vector<int> sizes_;
  int num_cells_ = 1;
};

}  // namespace dpkit::publish

#endif  // DPKIT_PUBLISH_TABLE_LAYOUT_H_
