#include "dpkit/publish/table_layout.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace dpkit::publish {

TableLayout::TableLayout(std::vector<int> variables, std::vector<int> sizes)
    : variables_(std::move(variables)), sizes_(std::move(sizes)) {
  assert(variables_.size() == sizes_.size());
  for (int s : sizes_) num_cells_ *= s;
}

int TableLayout::Index(const std::vector<int>& categories) const {
  int cell = 0;
  for (size_t i = 0; i < sizes_.size(); ++i) cell = cell * sizes_[i] + categories[i];
  return cell;
}

std::vector<int> TableLayout::Categories(int cell) const {
  std::vector<int> categories(sizes_.size());
  for (size_t i = sizes_.size(); i-- > 0;) {
    categories[i] = cell % sizes_[i];
    cell /= sizes_[i];
  }
  return categories;
}

std::vector<int> TableLayout::ProjectionTo(const TableLayout& margin) const {
  std::vector<int> position(margin.variables_.size());
  for (size_t j = 0; j < position.size(); ++j) {
    auto it = std::find(variables_.begin(), variables_.end(), margin.variables_[j]);
    assert(it != variables_.end());
    position[j] = static_cast<int>(it - variables_.begin());
  }
  std::vector<int> projection(num_cells_);
  std::vector<int> sub(position.size());
  for (int cell = 0; cell < num_cells_; ++cell) {
    const std::vector<int> categories = Categories(cell);
    for (size_t j = 0; j < position.size(); ++j) sub[j] = categories[position[j]];
    projection[cell] = margin.Index(sub);
  }
  return projection;
}

}  // namespace dpkit::publish
