// Generators. Releases draw from the process's secure generator (random::SecureRng: ChaCha20
// keyed from OS entropy, per thread, fork-safe) unless a generator is passed. The only other
// generator is dpkit._dpkit.testing.SeededGenerator (random::testing::SeededRng): reproducible
// and therefore NOT private; creating one prints the CLI's --insecure-seed warning to stderr.
#include <cstdint>
#include <memory>
#include <string>

#include <pybind11/pybind11.h>

#include "bindings.h"
#include "dpkit/random/bit_generator.h"
#include "dpkit/random/secure_rng.h"
#include "dpkit/random/seeded_rng.h"
#include "status.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

// Word for word what `dpkit --insecure-seed` prints (src/cli/main.cc); a test compares them.
constexpr char kInsecureSeedWarning[] =
    "dpkit: WARNING: --insecure-seed is set: noise is reproducible from the seed and provides NO "
    "privacy. Never publish these results.\n";

void WarnInsecure() {
  py::object err = py::module_::import("sys").attr("stderr");
  err.attr("write")(kInsecureSeedWarning);
  err.attr("flush")();
}

}  // namespace

random::BitGenerator& GeneratorOr(const py::object& generator) {
  static random::SecureRng* const secure = new random::SecureRng();
  if (generator.is_none()) return *secure;
  if (!py::isinstance<random::BitGenerator>(generator)) {
    ThrowInvalidArgument(
        "generator must be None (the secure generator) or a dpkit.testing.SeededGenerator, got " +
        std::string(py::str(py::type::of(generator).attr("__name__"))));
  }
  return generator.cast<random::BitGenerator&>();
}

void BindRandom(py::module_& m) {
  py::module_ r = m.def_submodule("random", "Random bit generators");
  py::class_<random::BitGenerator>(r, "Generator",
                                   "A source of random bits for dpkit's samplers (not "
                                   "constructible: releases use the secure generator by default).")
      .def_property_readonly("is_secure", &random::BitGenerator::IsSecure,
                             "True only for the OS-entropy-keyed secure generator.");

  py::module_ t = m.def_submodule("testing", "NOT PRIVATE: reproducible generators for tests");
  t.attr("INSECURE_SEED_WARNING") = std::string(kInsecureSeedWarning);
  py::class_<random::testing::SeededRng, random::BitGenerator>(t, "SeededGenerator", R"doc(
NOT PRIVATE. A deterministic ChaCha20 stream from a 64-bit seed: anyone who knows the seed can
reproduce every noise draw and undo it. For tests and reproducible examples only; creating one
prints the same warning as the CLI's --insecure-seed to stderr. Not thread-safe: use one per
thread.)doc")
      .def(py::init([](uint64_t seed) {
             WarnInsecure();
             return std::make_unique<random::testing::SeededRng>(seed);
           }),
           py::arg("seed"));
}

}  // namespace dpkit::python
