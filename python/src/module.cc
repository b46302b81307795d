// dpkit._dpkit: the compiled half of the dpkit Python package. Registers the status translator
// and each module's bindings; nothing else lives here.
#include <pybind11/pybind11.h>

#include "bindings.h"
#include "status.h"

PYBIND11_MODULE(_dpkit, m) {
  m.doc() = "dpkit's C++ core (private: import dpkit and its public modules instead)";
  dpkit::python::RegisterStatusTranslator();
  dpkit::python::BindBase(m);
  dpkit::python::BindRandom(m);
  dpkit::python::BindMechanisms(m);
  dpkit::python::BindAccounting(m);
  dpkit::python::BindLedger(m);
  dpkit::python::BindIo(m);
  dpkit::python::BindReleaseProtocol(m);
  dpkit::python::BindPii(m);
  dpkit::python::BindAnalytics(m);
  dpkit::python::BindSqlPartials(m);
  dpkit::python::BindSynth(m);
  dpkit::python::BindReport(m);
  dpkit::python::BindPipeline(m);
}
