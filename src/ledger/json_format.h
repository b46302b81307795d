// Internal: JSON pieces shared by the ledger's export and the `dpkit budget` command
// (defined in ledger_export.cc and ledger.cc).
#ifndef DPKIT_SRC_LEDGER_JSON_FORMAT_H_
#define DPKIT_SRC_LEDGER_JSON_FORMAT_H_

#include "dpkit/ledger/ledger.h"
#include "nlohmann/json.hpp"

namespace dpkit::ledger::internal {

// {"rho": ...} for a rho budget, else {"epsilon": ..., "delta": ...}.
nlohmann::json BudgetJson(const Budget& b);

// {"rho": ...} for a rho budget, else {"epsilon": ..., "at_delta": <the budget's delta>}.
nlohmann::json SpendJson(const Budget& b, const Spend& s);

// One audit-trail row: id, timestamp (and _us), status, mechanism, privacy_maps, operation,
// caller, spent_after (in the units of budget b), note (refusals), insecure_seed, hash.
nlohmann::json ChargeJson(const Budget& b, const ChargeRecord& r);

// {"id": ..., "hash": ..., "text": "ID:HASH"}: the chain head an auditor keeps.
nlohmann::json ChainHeadJson(const ChainHead& head);

}  // namespace dpkit::ledger::internal

#endif  // DPKIT_SRC_LEDGER_JSON_FORMAT_H_
