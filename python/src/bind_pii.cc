// dpkit._dpkit.pii: PII detection and replacement (dpkit/pii), and the generated customer table.
// Data-owner tools, NOT differential privacy: their outputs describe or transform the real data
// and stay inside the trust boundary (dpkit/pii.py marks them so).
#include <optional>
#include <string>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "dpkit/io/table.h"
#include "dpkit/pii/operators.h"
#include "dpkit/pii/replace.h"
#include "dpkit/pii/sample.h"
#include "dpkit/pii/scan.h"
#include "dpkit/random/secure_rng.h"
#include "dpkit/random/seeded_rng.h"
#include "status.h"
#include "workload.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

pii::ScanResult Scan(const io::Table& table, int64_t sample) {
  if (sample < 1) ThrowInvalidArgument("sample must be >= 1, got " + std::to_string(sample));
  return WithoutGil([&] { return pii::ScanTable(table, {.max_sample_rows = sample}); });
}

// The key: a PiiKey from `key` (hex text or raw bytes, >= 32 bytes, or a path to a key file),
// or None.
std::optional<pii::PiiKey> Key(const py::object& key, bool is_path) {
  if (key.is_none()) return std::nullopt;
  if (is_path) return OrThrow(pii::PiiKey::FromFile(key.cast<std::string>()));
  return OrThrow(pii::PiiKey::FromBytes(key.cast<std::string>(), "key"));
}

pii::ReplaceResult Replace(const io::Table& table, std::optional<std::string> policy_json,
                           const py::object& key, bool key_is_path, const py::object& generator) {
  pii::ReplaceOptions options;
  if (policy_json) options.policy = OrThrow(pii::Policy::FromJson(*policy_json, "policy"));
  const std::optional<pii::PiiKey> k = Key(key, key_is_path);
  if (!k && options.policy.NeedsKey()) {
    ThrowInvalidArgument(
        "the policy uses hash or pseudonym, which need a secret key: pass key= (bytes or hex "
        "text, e.g. dpkit.pii.keygen()) or key_file= (create one with 'dpkit pii keygen --out "
        "<file>')");
  }
  options.key = k ? &*k : nullptr;
  options.rng = &GeneratorOr(generator);
  return OrThrow(WithoutGil([&] { return pii::ReplacePii(table, options); }));
}

io::Table Customers(int64_t rows, uint64_t seed) {
  // Demo data, not a privacy mechanism: reproducible from the seed, as `dpkit sample customers`.
  random::testing::SeededRng rng(seed);
  return OrThrow(WithoutGil([&] { return pii::GenerateCustomers({.rows = rows}, rng); }));
}

}  // namespace

void BindPii(py::module_& parent) {
  py::module_ m = parent.def_submodule("pii", "PII detection and replacement (not DP)");
  py::class_<pii::ScanResult>(m, "ScanResult", "A PII scan of a table (NOT differentially private).")
      .def("to_json", &pii::ScanResult::ToJson)
      .def("to_text", &pii::ScanResult::ToText);
  py::class_<pii::ReplaceResult>(m, "ReplaceResult", "A de-identified table (NOT differentially private).")
      .def_readonly("table", &pii::ReplaceResult::table)
      .def_readonly("privacy_unit", &pii::ReplaceResult::privacy_unit)
      .def("to_json", &pii::ReplaceResult::ToJson);
  m.def("scan", &Scan, py::arg("table"), py::arg("sample") = 2000);
  m.def("replace", &Replace, py::arg("table"), py::arg("policy_json") = py::none(),
        py::arg("key") = py::none(), py::arg("key_is_path") = false,
        py::arg("generator") = py::none());
  m.def(
      "keygen",
      [] {
        random::SecureRng rng;
        return pii::PiiKey::Generate(rng).ToHex();
      },
      "32 fresh random bytes from the secure generator, as 64 hex digits.");
  m.def("generate_customers", &Customers, py::arg("rows") = 10000,
        py::arg("seed") = pii::kDefaultSampleSeed);
  m.def("customers_schema", &pii::CustomersSchema);
  m.attr("DEFAULT_SAMPLE_SEED") = pii::kDefaultSampleSeed;
}

}  // namespace dpkit::python
