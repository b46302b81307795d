#include "dpkit/publish/geography.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace dpkit::publish {
namespace {

std::string UnitCode(const GeographyLevelSpec& level, const std::string& code) {
  if (level.prefix == 0) return level.code.empty() ? level.name : level.code;
  return code.substr(0, level.prefix);
}

int IndexOf(const std::vector<std::string>& sorted, const std::string& code) {
  return static_cast<int>(std::lower_bound(sorted.begin(), sorted.end(), code) - sorted.begin());
}

}  // namespace

absl::StatusOr<GeographyTree> GeographyTree::Create(const GeographySpec& spec) {
  if (spec.levels.empty() || spec.codes.empty()) {
    return absl::InvalidArgumentError("geography needs at least one level and one code");
  }
  GeographyTree tree;
  const int num_levels = static_cast<int>(spec.levels.size());
  tree.levels_.resize(num_levels);
  for (int l = 0; l < num_levels; ++l) {
    Level& level = tree.levels_[l];
    level.name = spec.levels[l].name;
    for (const std::string& code : spec.codes)
      level.codes.push_back(UnitCode(spec.levels[l], code));
    std::sort(level.codes.begin(), level.codes.end());
    level.codes.erase(std::unique(level.codes.begin(), level.codes.end()), level.codes.end());
  }
  // Sorted by code, a parent's children are contiguous: record each unit's parent, then ranges.
  for (int l = 0; l < num_levels; ++l) {
    Level& level = tree.levels_[l];
    level.parents.assign(level.codes.size(), -1);
    level.children.assign(level.codes.size(), {0, 0});
  }
  for (const std::string& code : spec.codes) {
    std::vector<int> path(num_levels);
    for (int l = 0; l < num_levels; ++l) {
      path[l] = IndexOf(tree.levels_[l].codes, UnitCode(spec.levels[l], code));
      if (l > 0) tree.levels_[l].parents[path[l]] = path[l - 1];
    }
    tree.leaf_of_code_[code] = path.back();
  }
  for (int l = 0; l + 1 < num_levels; ++l) {
    const std::vector<int>& child_parents = tree.levels_[l + 1].parents;
    for (int u = 0; u < tree.num_units(l); ++u) {
      auto first = std::lower_bound(child_parents.begin(), child_parents.end(), u);
      auto last = std::upper_bound(child_parents.begin(), child_parents.end(), u);
      tree.levels_[l].children[u] = {static_cast<int>(first - child_parents.begin()),
                                     static_cast<int>(last - child_parents.begin())};
    }
  }
  const int leaves = tree.num_units(num_levels - 1);
  tree.leaf_ancestors_.assign(leaves, std::vector<int>(num_levels));
  for (int leaf = 0; leaf < leaves; ++leaf) {
    int unit = leaf;
    for (int l = num_levels - 1; l >= 0; --l) {
      tree.leaf_ancestors_[leaf][l] = unit;
      unit = tree.levels_[l].parents[unit];
    }
  }
  return tree;
}

int GeographyTree::parent(int level, int unit) const { return levels_[level].parents[unit]; }

std::pair<int, int> GeographyTree::children(int level, int unit) const {
  return levels_[level].children[unit];
}

int GeographyTree::LeafUnitOf(std::string_view code) const {
  auto it = leaf_of_code_.find(std::string(code));
  return it == leaf_of_code_.end() ? -1 : it->second;
}

}  // namespace dpkit::publish
