// How a release command gets the Charger its library call charges (../shared/DESIGN.md,
// "Release protocol"): the ledger the user names, which must already exist and hold the
// budget (budgets are created only by `dpkit budget init`), or — only for commands that write
// an output folder and only when no ledger is named — a NEW ledger file in that folder holding
// exactly this release's budget, announced on stderr.
#ifndef DPKIT_SRC_CLI_CHARGER_H_
#define DPKIT_SRC_CLI_CHARGER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/command.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/ledger/ledger.h"
#include "dpkit/release/release.h"

namespace dpkit::cli {

struct ChargerRequest {
  std::string ledger;             // --ledger; empty = none named
  std::string new_ledger_path;    // where a command may create a new one; empty = not allowed
  release::BudgetKey key;         // the budget a new ledger holds
  ledger::Budget budget;          // its size (this release's total)
  accounting::AccountantKind accountant = accounting::AccountantKind::kBasic;
};

// The ChargeContext of this invocation (records --insecure-seed with every charge).
release::ChargeContext ChargeContextFor(const Context& ctx);

// InvalidArgument when no ledger is named and the command may not create one.
absl::StatusOr<std::unique_ptr<release::LedgerCharger>> OpenCharger(Context& ctx,
                                                                    const ChargerRequest& request);

}  // namespace dpkit::cli

#endif  // DPKIT_SRC_CLI_CHARGER_H_
