#include "workload.h"

#include <string>

#include <pybind11/stl.h>

#include "bindings.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "status.h"

namespace py = pybind11;

namespace dpkit::python {

const mechanisms::NoiseFactory& NoiseOr(const py::object& noise) {
  if (noise.is_none()) return mechanisms::SecureNoise();
  if (py::isinstance<ZeroNoiseToken>(noise)) return mechanisms::testing::ZeroNoise();
  ThrowInvalidArgument("noise must be None (secure noise) or a dpkit.testing.ZeroNoise, got " +
                       std::string(py::str(py::type::of(noise).attr("__name__"))));
}

bool NotPrivate(const py::object& noise, const py::object& generator) {
  return !NoiseOr(noise).adds_noise() || !GeneratorOr(generator).IsSecure();
}

std::unique_ptr<release::LedgerCharger> OpenCharger(const std::string& path, bool not_private) {
  const release::ChargeContext context{.insecure_seed = not_private};
  py::gil_scoped_release nogil;
  return OrThrow(release::LedgerCharger::OpenExisting(path, context));
}

std::function<void(const std::string&)> ProgressFn(const py::object& fn) {
  if (fn.is_none()) return {};
  return [fn](const std::string& line) {
    py::gil_scoped_acquire gil;
    fn(line);
  };
}

}  // namespace dpkit::python
