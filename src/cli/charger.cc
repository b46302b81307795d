#include "cli/charger.h"

#include <ostream>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"

namespace dpkit::cli {

release::ChargeContext ChargeContextFor(const Context& ctx) {
  release::ChargeContext c;
  c.insecure_seed = ctx.insecure();
  return c;
}

absl::StatusOr<std::unique_ptr<release::LedgerCharger>> OpenCharger(
    Context& ctx, const ChargerRequest& request) {
  if (!request.ledger.empty()) {
    return release::LedgerCharger::OpenExisting(request.ledger, ChargeContextFor(ctx));
  }
  if (request.new_ledger_path.empty()) {
    return absl::InvalidArgumentError(
        "no --ledger given: every release is charged to a privacy budget; create one with "
        "`dpkit budget init --ledger L.db --dataset NAME --unit COLUMN --epsilon E --delta D` "
        "and pass --ledger L.db");
  }
  DPKIT_ASSIGN_OR_RETURN(
      std::unique_ptr<release::LedgerCharger> charger,
      release::LedgerCharger::CreateNew(request.new_ledger_path, request.key, request.budget,
                                        request.accountant, ChargeContextFor(ctx)));
  ctx.err() << "dpkit: note: no --ledger given: created a NEW ledger " << request.new_ledger_path
            << " holding a budget of " << request.budget.ToString() << " for dataset '"
            << request.key.dataset << "', unit " << request.key.LedgerUnit()
            << ", equal to this release. It protects nothing beyond this run: to release more "
               "from the same data, pass --ledger "
            << request.new_ledger_path
            << " (or one ledger created with `dpkit budget init`) to every later release.\n";
  return charger;
}

}  // namespace dpkit::cli
