// The order in which a family of tables is made consistent (the running intersection property).
//
// Tables that count the same entity must agree on every margin they share. Post-processing
// fixes them one at a time: table order[i] is rounded so that its margin on separator[i] (its
// variables shared with the tables before it) equals that margin of table source[i], an earlier
// table holding all of separator[i]. When such an order exists (the variable sets form an
// acyclic hypergraph; found by GYO ear removal: Graham 1979, Yu & Ozsoyoglu 1979), agreeing
// with the source on the separator implies agreeing with every earlier table on every shared
// margin, and each rounding step is a transportation problem that always has an integer
// solution. When it does not (e.g. A x B, B x C, C x A), consistent integer tables need not
// exist, so the set is refused with the cycle named.
#ifndef DPKIT_SRC_PUBLISH_TABLE_ORDER_H_
#define DPKIT_SRC_PUBLISH_TABLE_ORDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace dpkit::publish {

struct ConsistencyOrder {
  std::vector<int> order;                   // positions into the input list
  std::vector<int> source;                  // source[i] for order[i]; -1 for i = 0
  std::vector<std::vector<int>> separator;  // sorted variable ids; empty = the total
};

// `variables[t]`: the variable ids of table t; `names[t]` names it in errors. InvalidArgument
// when no order with the running intersection property exists.
absl::StatusOr<ConsistencyOrder> OrderForConsistency(const std::vector<std::vector<int>>& variables,
                                                     const std::vector<std::string>& names);

}  // namespace dpkit::publish

#endif  // DPKIT_SRC_PUBLISH_TABLE_ORDER_H_
