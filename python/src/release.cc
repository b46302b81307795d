#include "release.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dpkit/base/validation.h"
#include "status.h"

namespace py = pybind11;

namespace dpkit::python {

std::string Num(double x) { return FormatDouble(x); }

PrivacyMap CellsMap(const PrivacyMap& one, int64_t cells, bool disjoint) {
  if (cells < 1) ThrowInvalidArgument(absl::StrCat("cells must be >= 1, got ", cells));
  PrivacyMap map = one;
  if (!disjoint) map.repetitions = one.repetitions * cells;
  return map;
}

void SetCellsPrivacy(Release& release, const PrivacyMap& one, const std::string& per_cell_claim,
                     bool disjoint) {
  release.privacy_map = CellsMap(one, release.cells, disjoint);
  if (release.cells == 1) {
    release.privacy_claim = per_cell_claim;
    return;
  }
  if (disjoint) {
    release.privacy_claim = absl::StrCat(
        per_cell_claim, " per cell; ", release.cells,
        " cells on disjoint partitions (each privacy unit changes at most one cell): the whole "
        "array costs one cell's map (parallel composition)");
    return;
  }
  release.privacy_claim = absl::StrCat(
      per_cell_claim, " per cell; the array of ", release.cells, " cells is their ", release.cells,
      "-fold composition (privacy_map.repetitions; pass disjoint=True only when each privacy "
      "unit changes at most one cell)");
}

py::array_t<double> DoubleCells(const py::object& values, const char* name) {
  py::array a = py::array::ensure(values);
  if (!a) ThrowInvalidArgument(absl::StrCat(name, " must be a number or an array of numbers"));
  const char kind = a.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b') {
    ThrowInvalidArgument(absl::StrCat(name, " must be numeric, got dtype ",
                                      std::string(py::str(a.dtype()))));
  }
  return py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
}

py::array_t<int64_t> IntCells(const py::object& values, const char* name) {
  py::array a = py::array::ensure(values);
  if (!a) ThrowInvalidArgument(absl::StrCat(name, " must be an integer or an array of integers"));
  const char kind = a.dtype().kind();
  if (kind == 'i' || kind == 'b' || (kind == 'u' && a.dtype().itemsize() < 8)) {
    return py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(a);
  }
  if (kind != 'f' && kind != 'u') {
    ThrowInvalidArgument(absl::StrCat(name, " must hold integers, got dtype ",
                                      std::string(py::str(a.dtype()))));
  }
  // Floats (or uint64) that must be whole numbers in the int64 range.
  auto d = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
  py::array_t<int64_t> out(std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()));
  const double* in = d.data();
  int64_t* o = out.mutable_data();
  for (py::ssize_t i = 0; i < d.size(); ++i) {
    if (!(std::floor(in[i]) == in[i] && std::fabs(in[i]) < 0x1.0p63)) {
      ThrowInvalidArgument(absl::StrCat(name, "[", i,
                                        "] (flat index) is not an integer in the int64 range; "
                                        "this mechanism releases integers"));
    }
    o[i] = static_cast<int64_t>(in[i]);
  }
  return out;
}

py::object Shaped(py::array result, const py::array& like) {
  if (like.ndim() == 0) return result.attr("reshape")(py::tuple()).attr("item")();
  return result.reshape(std::vector<py::ssize_t>(like.shape(), like.shape() + like.ndim()));
}

}  // namespace dpkit::python
