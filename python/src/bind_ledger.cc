// dpkit._dpkit.ledger: the persistent privacy budget (dpkit/ledger/ledger.h), one SQLite file.
// The Python class dpkit.Ledger (python/dpkit/ledger.py) wraps this one and adds DataFrames.
// Ledger calls release the GIL: a charge may wait for another process's lock.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "absl/strings/str_cat.h"
#include "bindings.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/ledger/ledger.h"
#include "release.h"
#include "status.h"

namespace py = pybind11;

namespace dpkit::python {
namespace {

using namespace dpkit::ledger;  // NOLINT: this file binds that namespace

IntegrityCheck ParseIntegrityCheck(const std::string& name) {
  if (name == "none") return IntegrityCheck::kNone;
  if (name == "quick") return IntegrityCheck::kQuick;
  if (name == "full") return IntegrityCheck::kFull;
  ThrowInvalidArgument("integrity_check must be 'none', 'quick' or 'full', got '" + name + "'");
}

const char* KindName(accounting::AccountantKind k) { return accounting::AccountantKindName(k); }

// Calls `f` on the ledger without the GIL and raises its status.
template <typename F>
auto Unlocked(F&& f) {
  py::gil_scoped_release nogil;
  return f();
}

std::string SpendText(const Spend& s, const Budget& b) {
  if (b.is_rho()) return absl::StrCat("rho=", Num(s.rho));
  return absl::StrCat("epsilon=", Num(s.epsilon), " at delta=", Num(s.delta));
}

void BindRecords(py::module_& m) {
  py::class_<Budget>(m, "Budget", "A total budget: (epsilon, delta), or rho for zCDP budgets.")
      .def_readonly("epsilon", &Budget::epsilon)
      .def_readonly("delta", &Budget::delta)
      .def_readonly("rho", &Budget::rho)
      .def_property_readonly("is_rho", &Budget::is_rho)
      .def("__repr__", [](const Budget& b) { return "Budget(" + b.ToString() + ")"; });
  py::class_<Spend>(m, "Spend",
                    "Spent or remaining amounts: epsilon stated at the budget's delta, or rho.")
      .def_readonly("epsilon", &Spend::epsilon)
      .def_readonly("delta", &Spend::delta)
      .def_readonly("rho", &Spend::rho)
      .def("__repr__", [](const Spend& s) {
        return absl::StrCat("Spend(epsilon=", Num(s.epsilon), ", delta=", Num(s.delta),
                            ", rho=", Num(s.rho), ")");
      });
  py::class_<Receipt>(m, "Receipt", "A charge durably committed: what it cost and what is left.")
      .def_readonly("charge_id", &Receipt::charge_id)
      .def_readonly("hash", &Receipt::hash)
      .def_readonly("insecure_seed", &Receipt::insecure_seed)
      .def_readonly("timestamp_micros", &Receipt::timestamp_micros)
      .def_readonly("dataset", &Receipt::dataset)
      .def_readonly("unit", &Receipt::unit)
      .def_property_readonly("accountant", [](const Receipt& r) { return KindName(r.accountant); })
      .def_readonly("budget", &Receipt::budget)
      .def_readonly("cost", &Receipt::cost)
      .def_readonly("spent", &Receipt::spent)
      .def_readonly("remaining", &Receipt::remaining)
      .def_readonly("notes", &Receipt::notes)
      .def("__repr__", [](const Receipt& r) {
        return absl::StrCat("Receipt(charge ", r.charge_id, " on ", r.dataset, "/", r.unit,
                            ": spent ", SpendText(r.spent, r.budget), ", remaining ",
                            SpendText(r.remaining, r.budget), ")");
      });
  py::class_<ChargePreview>(m, "ChargePreview", "What a charge would do (nothing is written).")
      .def_readonly("fits", &ChargePreview::fits)
      .def_readonly("dataset", &ChargePreview::dataset)
      .def_readonly("unit", &ChargePreview::unit)
      .def_property_readonly("accountant",
                             [](const ChargePreview& p) { return KindName(p.accountant); })
      .def_readonly("budget", &ChargePreview::budget)
      .def_readonly("cost", &ChargePreview::cost)
      .def_readonly("spent_before", &ChargePreview::spent_before)
      .def_readonly("spent_after", &ChargePreview::spent_after)
      .def_readonly("remaining_after", &ChargePreview::remaining_after)
      .def_readonly("message", &ChargePreview::message)
      .def_readonly("notes", &ChargePreview::notes);
  py::class_<BudgetStatus>(m, "BudgetStatus", "One budget: total, spent, remaining, counts.")
      .def_readonly("dataset", &BudgetStatus::dataset)
      .def_readonly("unit", &BudgetStatus::unit)
      .def_property_readonly("accountant",
                             [](const BudgetStatus& s) { return KindName(s.accountant); })
      .def_readonly("budget", &BudgetStatus::budget)
      .def_readonly("spent", &BudgetStatus::spent)
      .def_readonly("remaining", &BudgetStatus::remaining)
      .def_readonly("num_charges", &BudgetStatus::num_charges)
      .def_readonly("num_refused", &BudgetStatus::num_refused)
      .def_readonly("num_insecure_seed", &BudgetStatus::num_insecure_seed)
      .def_readonly("created_micros", &BudgetStatus::created_micros)
      .def_readonly("notes", &BudgetStatus::notes)
      .def("__repr__", [](const BudgetStatus& s) {
        return absl::StrCat("BudgetStatus(", s.dataset, "/", s.unit, ": ", s.budget.ToString(),
                            ", spent ", SpendText(s.spent, s.budget), ", remaining ",
                            SpendText(s.remaining, s.budget), ", ", s.num_charges, " charges)");
      });
  py::class_<ChargeRecord>(m, "ChargeRecord", "One row of a budget's audit trail.")
      .def_readonly("charge_id", &ChargeRecord::charge_id)
      .def_readonly("timestamp_micros", &ChargeRecord::timestamp_micros)
      .def_readonly("dataset", &ChargeRecord::dataset)
      .def_readonly("unit", &ChargeRecord::unit)
      .def_readonly("status", &ChargeRecord::status)
      .def_readonly("mechanism", &ChargeRecord::mechanism)
      .def_readonly("maps", &ChargeRecord::maps)
      .def_readonly("operation", &ChargeRecord::operation)
      .def_readonly("caller", &ChargeRecord::caller)
      .def_readonly("spent_after", &ChargeRecord::spent_after)
      .def_readonly("note", &ChargeRecord::note)
      .def_readonly("insecure_seed", &ChargeRecord::insecure_seed)
      .def_readonly("hash", &ChargeRecord::hash);
  py::class_<IntegrityReport>(m, "IntegrityReport", "What a full integrity check verified.")
      .def_readonly("num_budgets", &IntegrityReport::num_budgets)
      .def_readonly("num_charges", &IntegrityReport::num_charges)
      .def_property_readonly("head", [](const IntegrityReport& r) { return r.head.ToString(); },
                             "The chain head \"ID:HASH\": keep a copy to detect rewritten files.")
      .def_readonly("chain_origin", &IntegrityReport::chain_origin);
}

void BindLedgerClass(py::module_& m) {
  py::class_<Ledger>(m, "Ledger", "The C++ ledger; use dpkit.Ledger.")
      .def(py::init([](const std::string& path, bool create, int lock_timeout_ms,
                       const std::string& integrity_check) {
             LedgerOptions o;
             o.create_if_missing = create;
             o.lock_timeout_ms = lock_timeout_ms;
             o.integrity_check = ParseIntegrityCheck(integrity_check);
             return Unlocked([&] { return OrThrow(Ledger::Open(path, o)); });
           }),
           py::arg("path"), py::kw_only(), py::arg("create") = true,
           py::arg("lock_timeout_ms") = 10000, py::arg("integrity_check") = "quick")
      .def_property_readonly("path", &Ledger::path)
      .def("create_budget",
           [](Ledger& l, const std::string& dataset, const std::string& unit,
              std::optional<double> epsilon, double delta, std::optional<double> rho,
              const std::string& accountant) {
             // All three as given: ValidateBudget refuses a mix of rho and (epsilon, delta).
             const Budget b{epsilon.value_or(0), delta, rho.value_or(0)};
             const accounting::AccountantKind kind = OrThrow(accounting::ParseAccountantKind(accountant));
             ThrowIfError(ValidateBudget(b, kind));
             ThrowIfError(Unlocked([&] { return l.CreateBudget(dataset, unit, b, kind); }));
           })
      .def("charge",
           [](Ledger& l, const std::string& dataset, const std::string& unit,
              const std::vector<PrivacyMap>& maps, const std::string& operation,
              const std::string& caller, bool insecure_seed) {
             const ChargeOptions o{.caller = caller, .insecure_seed = insecure_seed};
             return OrThrow(Unlocked([&] { return l.Charge(dataset, unit, maps, operation, o); }));
           })
      .def("preview",
           [](Ledger& l, const std::string& dataset, const std::string& unit,
              const std::vector<PrivacyMap>& maps) {
             return OrThrow(Unlocked([&] { return l.Preview(dataset, unit, maps); }));
           })
      .def("status",
           [](Ledger& l, const std::string& dataset, const std::string& unit) {
             return OrThrow(Unlocked([&] { return l.Status(dataset, unit); }));
           })
      .def("list_budgets",
           [](Ledger& l, const std::string& dataset) {
             return OrThrow(Unlocked([&] { return l.ListBudgets(dataset); }));
           })
      .def("history",
           [](Ledger& l, const std::string& dataset, const std::string& unit, int64_t limit,
              bool include_refused) {
             HistoryOptions o{.limit = limit, .include_refused = include_refused};
             return OrThrow(Unlocked([&] { return l.History(dataset, unit, o); }));
           })
      .def("export_json",
           [](Ledger& l, const std::string& dataset) {
             return OrThrow(Unlocked([&] { return l.ExportJson(dataset); }));
           })
      .def("head", [](Ledger& l) { return OrThrow(Unlocked([&] { return l.Head(); })).ToString(); })
      .def("verify", [](Ledger& l, std::optional<std::string> expect_head) {
        VerifyOptions o;
        if (expect_head) o.expect_head = OrThrow(ChainHead::Parse(*expect_head));
        return OrThrow(Unlocked([&] { return l.Verify(o); }));
      });
}

}  // namespace

void BindLedger(py::module_& parent) {
  py::module_ m = parent.def_submodule("ledger", "dpkit privacy budget ledger");
  m.attr("ROW_LEVEL_UNIT") = std::string(kRowLevelUnit);
  m.def("default_caller", &DefaultCaller, "user@host/pid of this process.");
  BindRecords(m);
  BindLedgerClass(m);
}

}  // namespace dpkit::python
