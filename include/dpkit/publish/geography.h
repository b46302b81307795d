// GeographyTree: the public geography hierarchy of a publication, built from the spec's codes.
//
// Level 0 is the top (e.g. the nation); the unit of a code at level L is its first
// `levels[L].prefix` characters (or the level's single named unit when the prefix is 0). Units of
// a level are sorted by code, so the children of a unit are a contiguous range of the next
// level. Built from public inputs only (the spec's code list), never from data.
//
// Thread safety: immutable after Create.
#ifndef DPKIT_PUBLISH_GEOGRAPHY_H_
#define DPKIT_PUBLISH_GEOGRAPHY_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "dpkit/publish/spec.h"

namespace dpkit::publish {

class GeographyTree {
 public:
  // The spec must be valid (PublicationSpec::Validate).
  static absl::StatusOr<GeographyTree> Create(const GeographySpec& spec);

  int num_levels() const { return static_cast<int>(levels_.size()); }
  const std::string& level_name(int level) const { return levels_[level].name; }
  int num_units(int level) const { return static_cast<int>(levels_[level].codes.size()); }
  const std::string& unit_code(int level, int unit) const { return levels_[level].codes[unit]; }
  // Index at level - 1 of a unit's parent (-1 at level 0).
  int parent(int level, int unit) const;
  // [first, last) unit indices at level + 1 (empty at the last level).
  std::pair<int, int> children(int level, int unit) const;
  // The last-level unit of a full geography code; -1 when the code is not a listed code.
  int LeafUnitOf(std::string_view code) const;
  // The unit at `level` that contains last-level unit `leaf`.
  int AncestorOf(int leaf, int level) const { return leaf_ancestors_[leaf][level]; }

 private:
  struct Level {
    std::string name;
    std::vector<std::string> codes;
    std::vector<int> parents;
    std::vector<std::pair<int, int>> children;
  };
  std::vector<Level> levels_;
  absl::flat_hash_map<std::string, int> leaf_of_code_;
  std::vector<std::vector<int>> leaf_ancestors_;
};

}  // namespace dpkit::publish

#endif  // DPKIT_PUBLISH_GEOGRAPHY_H_
