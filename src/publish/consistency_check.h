// Test helper: every constraint a publication promises, checked on every cell.
#ifndef DPKIT_SRC_PUBLISH_CONSISTENCY_CHECK_H_
#define DPKIT_SRC_PUBLISH_CONSISTENCY_CHECK_H_

#include <string>
#include <vector>

#include "dpkit/publish/estimate.h"
#include "dpkit/publish/plan.h"

namespace dpkit::publish::testing {

// One message per violated constraint: a cell that is negative or not an integer; a unit whose
// children's cells do not sum to its own; two tables of a family that disagree on a shared
// margin (the total included) in some unit. Empty when `tables` is consistent.
std::vector<std::string> ConsistencyViolations(const PublicationPlan& plan, const TableSet& tables);

}  // namespace dpkit::publish::testing

#endif  // DPKIT_SRC_PUBLISH_CONSISTENCY_CHECK_H_
