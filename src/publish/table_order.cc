#include "publish/table_order.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dpkit::publish {
namespace {

std::vector<int> Sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

bool Contains(const std::vector<int>& sorted_set, const std::vector<int>& sorted_subset) {
  return std::includes(sorted_set.begin(), sorted_set.end(), sorted_subset.begin(),
                       sorted_subset.end());
}

// Variables of `t` that some other remaining table also has.
std::vector<int> SharedWithOthers(int t, const std::vector<std::vector<int>>& sets,
                                  const std::vector<int>& remaining) {
  std::vector<int> shared;
  for (int v : sets[t]) {
    for (int u : remaining) {
      if (u != t && std::binary_search(sets[u].begin(), sets[u].end(), v)) {
        shared.push_back(v);
        break;
      }
    }
  }
  return shared;
}

}  // namespace

absl::StatusOr<ConsistencyOrder> OrderForConsistency(const std::vector<std::vector<int>>& variables,
                                                     const std::vector<std::string>& names) {
  std::vector<std::vector<int>> sets;
  for (const auto& v : variables) sets.push_back(Sorted(v));
  std::vector<int> remaining(sets.size());
  for (size_t t = 0; t < sets.size(); ++t) remaining[t] = static_cast<int>(t);
  // Ear removal: an ear shares with the other remaining tables only variables that one of them
  // holds entirely. Removed ears, reversed, are a running-intersection order.
  ConsistencyOrder reversed;
  while (remaining.size() > 1) {
    bool removed = false;
    for (size_t i = 0; i < remaining.size() && !removed; ++i) {
      const int t = remaining[i];
      const std::vector<int> shared = SharedWithOthers(t, sets, remaining);
      for (int u : remaining) {
        if (u == t || !Contains(sets[u], shared)) continue;
        reversed.order.push_back(t);
        reversed.source.push_back(u);
        reversed.separator.push_back(shared);
        remaining.erase(remaining.begin() + i);
        removed = true;
        break;
      }
    }
    if (!removed) {
      std::vector<std::string> cycle;
      for (int t : remaining) cycle.push_back(absl::StrCat("'", names[t], "'"));
      return absl::InvalidArgumentError(absl::StrCat(
          "tables ", absl::StrJoin(cycle, ", "),
          " share variables in a cycle, so consistent integer tables may not exist; add a "
          "table crossing all of their shared variables, or drop one of them"));
    }
  }
  ConsistencyOrder order;
  order.order.push_back(remaining[0]);
  order.source.push_back(-1);
  order.separator.push_back({});
  for (size_t i = reversed.order.size(); i-- > 0;) {
    order.order.push_back(reversed.order[i]);
    order.source.push_back(reversed.source[i]);
    order.separator.push_back(reversed.separator[i]);
  }
  return order;
}

}  // namespace dpkit::publish
