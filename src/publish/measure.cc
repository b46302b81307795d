#include "publish/measure.h"

#include <cmath>
#include <cstdint>
#include <vector>

namespace dpkit::publish {

TableSet Measure(const PublicationPlan& plan, const TableSet& counts, random::BitGenerator& gen) {
  TableSet noisy = counts;
  std::vector<int64_t> cells;
  for (const Measurement& m : plan.measurements) {
    std::vector<double>& values = noisy.values[m.level][m.table];
    cells.resize(values.size());
    for (size_t i = 0; i < values.size(); ++i) cells[i] = std::llround(values[i]);
    m.noise->AddNoise(absl::MakeSpan(cells), gen);
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(cells[i]);
  }
  return noisy;
}

}  // namespace dpkit::publish
