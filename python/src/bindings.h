// One Bind<Module>() per dpkit module, each in its own bind_<module>.cc, called in dependency
// order by module.cc. Each adds a submodule of dpkit._dpkit named after the dpkit module; the
// public Python modules (python/dpkit/*.py) re-export from there.
#ifndef DPKIT_PYTHON_BINDINGS_H_
#define DPKIT_PYTHON_BINDINGS_H_

#include <pybind11/pybind11.h>

#include "dpkit/random/bit_generator.h"

namespace dpkit::python {

void BindBase(pybind11::module_& m);        // PrivacyMap
void BindRandom(pybind11::module_& m);      // generators (secure; seeded under testing)
void BindMechanisms(pybind11::module_& m);  // noise mechanisms and releases
void BindAccounting(pybind11::module_& m);  // accountants, composition, DP-SGD calibration
void BindLedger(pybind11::module_& m);      // the persistent budget ledger
void BindIo(pybind11::module_& m);          // schemas and tables
void BindReleaseProtocol(pybind11::module_& m);  // release plans; testing.ZeroNoise
void BindPii(pybind11::module_& m);         // PII scan and replacement (not DP)
void BindAnalytics(pybind11::module_& m);   // DP SQL and partial aggregates
void BindSqlPartials(pybind11::module_& m);  // DP SQL over slices (dpkit.spark)
void BindSynth(pybind11::module_& m);       // DP synthetic data
void BindReport(pybind11::module_& m);      // synthetic-data evaluation (not DP)
void BindPipeline(pybind11::module_& m);    // CSV -> PII -> synthesizer -> report

// The generator a release draws from: `generator` if given (a dpkit._dpkit.random.Generator),
// else the process's secure generator (random::SecureRng). Raises InvalidArgument for any other
// object, so noise never comes from a source dpkit does not control.
random::BitGenerator& GeneratorOr(const pybind11::object& generator);

}  // namespace dpkit::python

#endif  // DPKIT_PYTHON_BINDINGS_H_
