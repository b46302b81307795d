// Private: the ledger file's SQLite schema (version 2), how a new ledger file comes into
// existence, and the upgrade of version-1 files.
//
// A ledger file is either complete or absent: CreateLedgerFile writes the whole schema to a
// temporary file beside `path` and hard-links it into place (link(2) never replaces an existing
// file), so an existing file that holds no ledger -- empty, truncated, or anything else -- is
// corruption (DataLoss), never a new ledger to be filled in.
//
// Version 2 adds to every charge row `insecure_seed` (noise came from a reproducible, NOT
// private seed) and `hash` (the tamper-evident chain, charge_chain.h). Version-1 files are
// upgraded in one transaction when opened: the two columns are added, the chain is computed
// over the rows already there, and meta.chain_origin records when and over how many rows (those
// rows were not tamper-evident before the upgrade, and the check output says so).
#ifndef DPKIT_SRC_LEDGER_SCHEMA_H_
#define DPKIT_SRC_LEDGER_SCHEMA_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dpkit/base/env.h"
#include "ledger/sqlite_db.h"

namespace dpkit::ledger::internal {

// Creates a complete, empty ledger at `path` unless a file already exists there (then does
// nothing: another process may have just created it; opening it decides whether it is a ledger).
absl::Status CreateLedgerFile(const std::string& path, Env* env);

// Checks that `db` holds a dpkit ledger of the current schema version, upgrading version 1 in
// place. DataLoss for an empty or damaged file, FailedPrecondition for an SQLite file that is not
// a ledger or has a newer schema.
absl::Status VerifyOrUpgradeSchema(Db& db, Env* env);

// meta.chain_origin: since when, and over which rows, the hash chain protects the file.
absl::StatusOr<std::string> ChainOrigin(Db& db);

}  // namespace dpkit::ledger::internal

#endif  // DPKIT_SRC_LEDGER_SCHEMA_H_
