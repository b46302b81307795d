// Private: the hash chain that makes the ledger's charge log tamper-evident (schema version 2).
//
// Every charge row (charged or refused) stores
//   hash_n = SHA-256( hash_{n-1} || Canonical(row n) )      hash_0 = kGenesisHash
// as 64 lowercase hex digits, where rows are taken in id order over the whole file (all
// budgets) and Canonical(row) is an unambiguous serialisation (length-prefixed fields, doubles
// in exact hexadecimal) of the row and of the budget it is charged to (so editing a budget after
// a charge also breaks the chain). Deleting, inserting, reordering or editing any row makes
// every later hash wrong; ids must run 1, 2, 3, ... without gaps.
//
// What the chain cannot show from the file alone: someone with write access who recomputes the
// hashes after a rewrite, or who deletes the last rows and resets the id counter. The head
// (last id + its hash) exported by `dpkit budget export` and checked by `dpkit budget check
// --expect-head` detects both, if a copy of it is kept elsewhere.
//
// SHA-256 is libsodium's crypto_hash_sha256 (FIPS 180-4). Thread-safe (pure functions).
#ifndef DPKIT_SRC_LEDGER_CHARGE_CHAIN_H_
#define DPKIT_SRC_LEDGER_CHARGE_CHAIN_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "ledger/sqlite_db.h"

namespace dpkit::ledger::internal {

// hash_0: 64 zeros.
extern const char kGenesisHash[];

// Everything a chained row commits to.
struct ChainedRow {
  int64_t id = 0;
  // The budget charged (immutable by trigger; committed to anyway).
  std::string dataset;
  std::string unit;
  std::string accountant;
  double budget_epsilon = 0;
  double budget_delta = 0;
  double budget_rho = 0;
  // The charge row as stored.
  int64_t ts_us = 0;
  std::string status;
  std::string mechanism;
  std::string privacy_maps;
  std::string operation;
  std::string caller;
  double epsilon_spent = 0;
  double delta_spent = 0;
  double rho_spent = 0;
  std::string note;
  bool insecure_seed = false;
};

// The canonical byte string of a row (versioned: "dpkit-ledger-charge/2").
std::string CanonicalCharge(const ChainedRow& row);

// SHA-256(prev_hash || CanonicalCharge(row)) in lowercase hex.
std::string ChainHash(const std::string& prev_hash, const ChainedRow& row);

// True for 64 lowercase hex digits.
bool IsChainHash(const std::string& text);

// Calls visit(row, stored_hash) for every charge row of `db`, in id order, joined with its
// budget; stops at the first error visit returns.
absl::Status ForEachChainedRow(
    Db& db, const std::function<absl::Status(const ChainedRow&, const std::string&)>& visit);

}  // namespace dpkit::ledger::internal

#endif  // DPKIT_SRC_LEDGER_CHARGE_CHAIN_H_
