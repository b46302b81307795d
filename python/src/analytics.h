// What the analytics bindings share (bind_analytics.cc: dpkit.query and partial aggregates;
// bind_sql_partials.cc: DP SQL over slices, for dpkit.spark).
#ifndef DPKIT_PYTHON_ANALYTICS_H_
#define DPKIT_PYTHON_ANALYTICS_H_

#include <string>
#include <vector>

#include "dpkit/analytics/query.h"
#include "dpkit/analytics/sql.h"

namespace dpkit::python {

// A DP SQL statement's result (charged) or its EXPLAIN: dpkit._dpkit.analytics.SqlAnswer.
struct SqlAnswer {
  analytics::SqlResult result;
  std::vector<std::string> load_notes;  // public: what the typing rule assumed
  bool not_private = false;
};

// "laplace" or "gaussian"; InvalidArgument naming `mechanism` otherwise.
analytics::NoiseKind ParseNoise(const std::string& name);

}  // namespace dpkit::python

#endif  // DPKIT_PYTHON_ANALYTICS_H_
