#include "status.h"

#include <string>

#include <pybind11/pybind11.h>

#include "dpkit/base/status.h"

namespace py = pybind11;

namespace dpkit::python {

void ThrowInvalidArgument(const std::string& message) {
  throw StatusError(absl::InvalidArgumentError(message));
}

void RegisterStatusTranslator() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      const absl::Status& s = e.status();
      py::object make = py::module_::import("dpkit.errors").attr("_from_status");
      py::object exc = make(absl::StatusCodeToString(s.code()), std::string(s.message()),
                            ExitCodeFor(s));
      PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
    }
  });
}

}  // namespace dpkit::python
