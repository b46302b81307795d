#include "ledger/charge_chain.h"

#include <sodium.h>

#include <cstdio>
#include <string_view>

#include "absl/strings/str_cat.h"

namespace dpkit::ledger::internal {

const char kGenesisHash[] = "0000000000000000000000000000000000000000000000000000000000000000";

namespace {

// "name:<byte length>:<bytes>\n": unambiguous whatever the bytes contain.
void Field(std::string* out, std::string_view name, std::string_view value) {
  absl::StrAppend(out, std::string(name), ":", value.size(), ":", std::string(value), "\n");
}

// Exact: every double has one hexadecimal ("%a") spelling.
std::string HexDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%a", v);
  return buf;
}

}  // namespace

std::string CanonicalCharge(const ChainedRow& r) {
  std::string out = "dpkit-ledger-charge/2\n";
  Field(&out, "id", std::to_string(r.id));
  Field(&out, "dataset", r.dataset);
  Field(&out, "unit", r.unit);
  Field(&out, "accountant", r.accountant);
  Field(&out, "budget_epsilon", HexDouble(r.budget_epsilon));
  Field(&out, "budget_delta", HexDouble(r.budget_delta));
  Field(&out, "budget_rho", HexDouble(r.budget_rho));
  Field(&out, "ts_us", std::to_string(r.ts_us));
  Field(&out, "status", r.status);
  Field(&out, "mechanism", r.mechanism);
  Field(&out, "privacy_maps", r.privacy_maps);
  Field(&out, "operation", r.operation);
  Field(&out, "caller", r.caller);
  Field(&out, "epsilon_spent", HexDouble(r.epsilon_spent));
  Field(&out, "delta_spent", HexDouble(r.delta_spent));
  Field(&out, "rho_spent", HexDouble(r.rho_spent));
  Field(&out, "note", r.note);
  Field(&out, "insecure_seed", r.insecure_seed ? "1" : "0");
  return out;
}

std::string ChainHash(const std::string& prev_hash, const ChainedRow& row) {
  const std::string canonical = CanonicalCharge(row);
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(prev_hash.data()),
                            prev_hash.size());
  crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(canonical.data()),
                            canonical.size());
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
  return hex;
}

absl::Status ForEachChainedRow(
    Db& db, const std::function<absl::Status(const ChainedRow&, const std::string&)>& visit) {
  auto stmt = db.Prepare(
      "SELECT c.id, d.name, u.name, b.accountant, b.epsilon, b.delta, b.rho, c.ts_us, c.status, "
      "c.mechanism, c.privacy_maps, c.operation, c.caller, c.epsilon_spent, c.delta_spent, "
      "c.rho_spent, c.note, c.insecure_seed, c.hash FROM charges c "
      "LEFT JOIN budgets b ON c.budget_id = b.id LEFT JOIN privacy_units u ON b.unit_id = u.id "
      "LEFT JOIN datasets d ON u.dataset_id = d.id ORDER BY c.id");
  if (!stmt.ok()) return stmt.status();
  Stmt& s = *stmt;
  while (true) {
    absl::StatusOr<bool> more = s.Step();
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
    ChainedRow r;
    r.id = s.ColumnInt(0);
    r.dataset = s.ColumnText(1);
    r.unit = s.ColumnText(2);
    r.accountant = s.ColumnText(3);
    r.budget_epsilon = s.ColumnDouble(4);
    r.budget_delta = s.ColumnDouble(5);
    r.budget_rho = s.ColumnDouble(6);
    r.ts_us = s.ColumnInt(7);
    r.status = s.ColumnText(8);
    r.mechanism = s.ColumnText(9);
    r.privacy_maps = s.ColumnText(10);
    r.operation = s.ColumnText(11);
    r.caller = s.ColumnText(12);
    r.epsilon_spent = s.ColumnDouble(13);
    r.delta_spent = s.ColumnDouble(14);
    r.rho_spent = s.ColumnDouble(15);
    r.note = s.ColumnText(16);
    r.insecure_seed = s.ColumnInt(17) != 0;
    if (absl::Status v = visit(r, s.ColumnText(18)); !v.ok()) return v;
  }
}

bool IsChainHash(const std::string& text) {
  if (text.size() != 2 * crypto_hash_sha256_BYTES) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace dpkit::ledger::internal
