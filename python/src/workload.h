// What every workload binding (synth, pipeline, query) shares: the release protocol's charger
// (a named dpkit ledger, never created or extended here), the noise factory (secure; zero noise
// only from dpkit.testing.ZeroNoise) and whether a run is reproducible and so NOT private.
#ifndef DPKIT_PYTHON_WORKLOAD_H_
#define DPKIT_PYTHON_WORKLOAD_H_

#include <functional>
#include <memory>
#include <string>

#include <pybind11/pybind11.h>

#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/release/release.h"

namespace dpkit::python {

// dpkit._dpkit.testing.ZeroNoise: a token standing for mechanisms::testing::ZeroNoise().
struct ZeroNoiseToken {};

// mechanisms::SecureNoise() for None, testing::ZeroNoise() for a ZeroNoise token;
// InvalidArgument for anything else.
const mechanisms::NoiseFactory& NoiseOr(const pybind11::object& noise);

// True when the release's noise is not private: zero noise, or a seeded generator.
bool NotPrivate(const pybind11::object& noise, const pybind11::object& generator);

// The existing ledger at `path` as the release's Charger (NotFound with the `dpkit budget init`
// command when it does not exist). `not_private` is recorded with the charge.
std::unique_ptr<release::LedgerCharger> OpenCharger(const std::string& path, bool not_private);

// Calls f() without the GIL (a long computation) and returns its result; raise its status after.
template <typename F>
auto WithoutGil(F&& f) {
  pybind11::gil_scoped_release nogil;
  return f();
}

// A progress callback that calls the Python callable `fn` (with the GIL) for each line, or an
// empty function for None.
std::function<void(const std::string&)> ProgressFn(const pybind11::object& fn);


}  // namespace dpkit::python

#endif  // DPKIT_PYTHON_WORKLOAD_H_
