// Private: the ledger's implementation class, shared by ledger.cc (opening, budgets, charges,
// status, history), ledger_export.cc (JSON export) and ledger_verify.cc (integrity check), and
// the helpers they share.
#ifndef DPKIT_SRC_LEDGER_LEDGER_IMPL_H_
#define DPKIT_SRC_LEDGER_LEDGER_IMPL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/ledger/ledger.h"
#include "ledger/charge_chain.h"
#include "ledger/sqlite_db.h"

namespace dpkit::ledger {
namespace internal {

// "2024-01-02T03:04:05.000006Z".
std::string FormatTimeUs(int64_t micros);
// rho of one map (times its repetitions) for rho budgets; InvalidArgument for kinds without a
// zCDP guarantee.
absl::StatusOr<double> RhoOf(const PrivacyMap& m);
// Adds a batch of stored maps to `acc` (grouping identical maps for zcdp and rdp).
absl::Status FoldMaps(accounting::AccountantKind kind, accounting::Accountant& acc,
                      const std::vector<PrivacyMap>& maps);
// A charge row's privacy_maps column (DataLoss if unreadable).
absl::StatusOr<std::vector<PrivacyMap>> MapsFromJson(const std::string& text);
// "rho=..." or "epsilon=... (at delta=...)".
std::string SpendText(const Budget& b, const Spend& s);
Spend Remaining(const Budget& b, const Spend& s);

}  // namespace internal

class Ledger::Impl {
 public:
  Impl(std::unique_ptr<internal::Db> db, Env* env, LedgerOptions options)
      : db_(std::move(db)), env_(env), options_(std::move(options)) {}

  absl::Status Init();

  absl::Status CreateBudget(const std::string& dataset, const std::string& unit,
                            const Budget& budget, accounting::AccountantKind accountant);
  absl::StatusOr<Receipt> Charge(const std::string& dataset, const std::string& unit,
                                 const std::vector<PrivacyMap>& maps,
                                 const std::string& operation, const ChargeOptions& options);
  absl::StatusOr<ChargePreview> Preview(const std::string& dataset, const std::string& unit,
                                        const std::vector<PrivacyMap>& maps);
  absl::StatusOr<BudgetStatus> Status(const std::string& dataset, const std::string& unit);
  absl::StatusOr<std::vector<BudgetStatus>> ListBudgets(const std::string& dataset);
  absl::StatusOr<std::vector<ChargeRecord>> History(const std::string& dataset,
                                                    const std::string& unit,
                                                    const HistoryOptions& options);
  absl::StatusOr<std::string> ExportJson(const std::string& dataset);
  absl::StatusOr<ChainHead> Head();
  absl::StatusOr<IntegrityReport> Verify(const VerifyOptions& options);

  const std::string& path() const { return db_->path(); }

 private:
  struct BudgetRow {
    int64_t id = 0;
    std::string dataset;
    std::string unit;
    accounting::AccountantKind accountant = accounting::AccountantKind::kBasic;
    Budget budget;
    int64_t created_us = 0;
  };

  // The composed state of one budget's charged maps, up to charge id `last_id`.
  struct BudgetState {
    int64_t last_id = 0;
    int64_t num_charged = 0;
    std::unique_ptr<accounting::Accountant> accountant;  // null for rho budgets
    double rho = 0;
    Spend spent;
  };

  // The result of composing the existing state with new maps.
  struct Evaluation {
    bool fits = false;
    Spend before;
    Spend after;
    std::unique_ptr<accounting::Accountant> accountant;
    double rho = 0;
    std::vector<std::string> notes;
  };

  // RAII transaction: rolls back unless Commit() succeeded.
  class Txn {
   public:
    explicit Txn(internal::Db* db) : db_(db) {}
    ~Txn() {
      if (open_) (void)db_->Exec("ROLLBACK");
    }
    absl::Status Begin(bool immediate) {
      DPKIT_RETURN_IF_ERROR(db_->Exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN"));
      open_ = true;
      return absl::OkStatus();
    }
    absl::Status Commit() {
      absl::Status s = db_->Exec("COMMIT");
      if (s.ok()) open_ = false;
      return s;
    }

   private:
    internal::Db* db_;
    bool open_ = false;
  };

  absl::Status RunSqliteCheck(bool full);
  // Verify's parts (inside a read transaction).
  absl::Status VerifyChain(const VerifyOptions& options, IntegrityReport* report);
  absl::Status VerifyTotals(const BudgetRow& b);

  absl::StatusOr<BudgetRow> LookupBudget(const std::string& dataset, const std::string& unit);
  absl::StatusOr<std::vector<BudgetRow>> AllBudgets(const std::string& dataset);
  absl::StatusOr<std::string> KnownDatasets();
  absl::StatusOr<BudgetRow> ReadBudgetRow(internal::Stmt& stmt);

  absl::StatusOr<Spend> ComputeSpend(const BudgetRow& b, const accounting::Accountant* acc,
                                     double rho, bool empty);
  // Folds charges newer than the cached state into it (inside a transaction).
  absl::StatusOr<BudgetState*> Refresh(const BudgetRow& b);
  absl::StatusOr<Evaluation> Evaluate(const BudgetRow& b, BudgetState& st,
                                      const std::vector<PrivacyMap>& maps);
  absl::Status ValidateMaps(const std::vector<PrivacyMap>& maps);
  absl::StatusOr<BudgetStatus> StatusLocked(const BudgetRow& b);
  absl::StatusOr<std::vector<ChargeRecord>> HistoryLocked(const BudgetRow& b,
                                                          const HistoryOptions& options);
  std::string ExhaustedMessage(const BudgetRow& b, const Evaluation& ev, int64_t num_charged);
  std::string DeltaExhaustedMessage(const BudgetRow& b, const Evaluation& ev);
  absl::StatusOr<ChainHead> HeadLocked();
  absl::StatusOr<int64_t> IdCounter();
  absl::StatusOr<ChainHead> AppendCharge(int64_t budget_id, internal::ChainedRow row);

  std::mutex mu_;
  std::unique_ptr<internal::Db> db_;
  Env* env_;
  LedgerOptions options_;
  std::map<int64_t, BudgetState> cache_;
};

}  // namespace dpkit::ledger

#endif  // DPKIT_SRC_LEDGER_LEDGER_IMPL_H_
