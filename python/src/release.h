// Release: what every dpkit._dpkit.mechanisms release returns to Python, and the helpers that
// move numpy arrays in and out without per-cell Python work.
#ifndef DPKIT_PYTHON_RELEASE_H_
#define DPKIT_PYTHON_RELEASE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "dpkit/base/privacy_map.h"

namespace dpkit::python {

struct Release {
  std::string mechanism;
  // "value" (noisy numbers with a confidence interval), "index" (selected candidate),
  // "category" (randomized response reports), "above" (sparse vector answers).
  std::string output_kind;
  pybind11::object value;    // a Python scalar for scalar input, else an ndarray of its shape
  pybind11::object ci_low;   // same shape as value; None when the output has no interval
  pybind11::object ci_high;
  std::optional<double> confidence;
  bool ci_exact = true;
  double noise_scale = 0;
  std::string noise_scale_meaning;
  double noise_stddev = 0;
  double granularity = 0;  // output lattice spacing of real-valued outputs (0 if n/a)
  int64_t cells = 1;
  PrivacyMap privacy_map;  // of the whole release (all cells)
  std::string privacy_claim;
  std::vector<std::string> notes;
  bool secure = true;  // false when drawn from dpkit.testing.SeededGenerator: NOT private
};

// The privacy map of `cells` applications of a mechanism with map `one`: the same map when each
// privacy unit changes at most one cell (parallel composition over disjoint partitions, McSherry
// 2009, "Privacy Integrated Queries", Thm 4), else `cells` repetitions of it (sequential
// composition). InvalidArgument for cells < 1.
PrivacyMap CellsMap(const PrivacyMap& one, int64_t cells, bool disjoint);
// Sets release.privacy_map = CellsMap(one, release.cells, disjoint) and the matching claim.
void SetCellsPrivacy(Release& release, const PrivacyMap& one, const std::string& per_cell_claim,
                     bool disjoint);

// Values as a C-contiguous float64 array (any numeric input; InvalidArgument otherwise).
pybind11::array_t<double> DoubleCells(const pybind11::object& values, const char* name);
// Values as a C-contiguous int64 array: integer dtypes, or floats that are whole numbers in the
// int64 range (InvalidArgument naming the first bad cell's index otherwise, never its value).
pybind11::array_t<int64_t> IntCells(const pybind11::object& values, const char* name);
// A result array of the input's shape, or a Python scalar for 0-d input.
pybind11::object Shaped(pybind11::array result, const pybind11::array& like);

std::string Num(double x);  // round-trip decimal (dpkit::FormatDouble)

}  // namespace dpkit::python

#endif  // DPKIT_PYTHON_RELEASE_H_
