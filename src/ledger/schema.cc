#include "ledger/schema.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "dpkit/base/status.h"
#include "dpkit/ledger/ledger.h"
#include "ledger/charge_chain.h"

namespace dpkit::ledger::internal {
namespace {

constexpr char kApplication[] = "dpkit-ledger";

// Charges are append-only and budgets immutable (triggers); every charge is chained (hash).
constexpr char kSchemaSql[] = R"sql(
CREATE TABLE meta(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE datasets(
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  created_us INTEGER NOT NULL
);
CREATE TABLE privacy_units(
  id         INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  name       TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  UNIQUE(dataset_id, name)
);
CREATE TABLE budgets(
  id         INTEGER PRIMARY KEY,
  unit_id    INTEGER NOT NULL UNIQUE REFERENCES privacy_units(id),
  accountant TEXT NOT NULL CHECK(accountant IN ('basic', 'zcdp', 'rdp', 'pld')),
  epsilon    REAL NOT NULL CHECK(epsilon >= 0),
  delta      REAL NOT NULL CHECK(delta >= 0 AND delta < 1),
  rho        REAL NOT NULL CHECK(rho >= 0),
  created_us INTEGER NOT NULL,
  CHECK((rho > 0 AND epsilon = 0 AND delta = 0) OR (rho = 0 AND epsilon > 0))
);
CREATE TABLE charges(
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  budget_id     INTEGER NOT NULL REFERENCES budgets(id),
  ts_us         INTEGER NOT NULL,
  status        TEXT NOT NULL CHECK(status IN ('charged', 'refused')),
  mechanism     TEXT NOT NULL,
  privacy_maps  TEXT NOT NULL,
  operation     TEXT NOT NULL,
  caller        TEXT NOT NULL,
  epsilon_spent REAL NOT NULL,
  delta_spent   REAL NOT NULL,
  rho_spent     REAL NOT NULL,
  note          TEXT NOT NULL DEFAULT '',
  insecure_seed INTEGER NOT NULL DEFAULT 0 CHECK(insecure_seed IN (0, 1)),
  hash          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX charges_by_budget ON charges(budget_id, status, id);
CREATE TRIGGER budgets_immutable_update BEFORE UPDATE ON budgets
  BEGIN SELECT RAISE(ABORT, 'ledger budgets are immutable'); END;
CREATE TRIGGER budgets_immutable_delete BEFORE DELETE ON budgets
  BEGIN SELECT RAISE(ABORT, 'ledger budgets are immutable'); END;
CREATE TRIGGER charges_append_only_delete BEFORE DELETE ON charges
  BEGIN SELECT RAISE(ABORT, 'ledger charges are append-only'); END;
)sql";

// Separate: the upgrade from version 1 drops it while it computes the chain.
constexpr char kUpdateTriggerSql[] = R"sql(
CREATE TRIGGER charges_append_only_update BEFORE UPDATE ON charges
  BEGIN SELECT RAISE(ABORT, 'ledger charges are append-only'); END;
)sql";

std::string FormatTimeUs(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// RAII transaction on `db`: rolled back unless committed.
class Transaction {
 public:
  explicit Transaction(Db& db) : db_(db) {}
  ~Transaction() {
    if (open_) (void)db_.Exec("ROLLBACK");
  }
  absl::Status BeginImmediate() {
    DPKIT_RETURN_IF_ERROR(db_.Exec("BEGIN IMMEDIATE"));
    open_ = true;
    return absl::OkStatus();
  }
  absl::Status Commit() {
    DPKIT_RETURN_IF_ERROR(db_.Exec("COMMIT"));
    open_ = false;
    return absl::OkStatus();
  }

 private:
  Db& db_;
  bool open_ = false;
};

absl::Status PutMeta(Db& db, const std::string& key, const std::string& value) {
  DPKIT_ASSIGN_OR_RETURN(Stmt s, db.Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)"));
  return s.Bind(1, key).Bind(2, value).Run();
}

absl::StatusOr<std::map<std::string, std::string>> ReadTable(Db& db, const char* sql) {
  DPKIT_ASSIGN_OR_RETURN(Stmt s, db.Prepare(sql));
  std::map<std::string, std::string> out;
  while (true) {
    DPKIT_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out[s.ColumnText(0)] = s.ColumnText(1);
  }
}

absl::StatusOr<std::string> SchemaVersion(Db& db) {
  DPKIT_ASSIGN_OR_RETURN(auto meta, ReadTable(db, "SELECT key, value FROM meta"));
  return meta["schema_version"];
}

absl::Status WriteNewSchema(Db& db, Env* env) {
  Transaction txn(db);
  DPKIT_RETURN_IF_ERROR(txn.BeginImmediate());
  DPKIT_RETURN_IF_ERROR(db.Exec(kSchemaSql));
  DPKIT_RETURN_IF_ERROR(db.Exec(kUpdateTriggerSql));
  const std::string now = FormatTimeUs(env->NowMicros());
  DPKIT_RETURN_IF_ERROR(PutMeta(db, "application", kApplication));
  DPKIT_RETURN_IF_ERROR(PutMeta(db, "schema_version", std::to_string(kSchemaVersion)));
  DPKIT_RETURN_IF_ERROR(PutMeta(db, "created_at", now));
  DPKIT_RETURN_IF_ERROR(PutMeta(
      db, "chain_origin", absl::StrCat("created with schema version ", kSchemaVersion, " at ",
                                       now, ": every charge is chained")));
  return txn.Commit();
}

// Version 1 -> 2 in one transaction (see schema.h). Another process may have upgraded the file
// while this one waited for the lock: the version is re-read under it.
absl::Status UpgradeFromVersion1(Db& db, Env* env) {
  Transaction txn(db);
  DPKIT_RETURN_IF_ERROR(txn.BeginImmediate());
  DPKIT_ASSIGN_OR_RETURN(std::string version, SchemaVersion(db));
  if (version != "1") return txn.Commit();
  DPKIT_RETURN_IF_ERROR(db.Exec(
      "ALTER TABLE charges ADD COLUMN insecure_seed INTEGER NOT NULL DEFAULT 0 "
      "CHECK(insecure_seed IN (0, 1))"));
  DPKIT_RETURN_IF_ERROR(db.Exec("ALTER TABLE charges ADD COLUMN hash TEXT NOT NULL DEFAULT ''"));
  std::vector<std::pair<int64_t, std::string>> hashes;
  std::string prev = kGenesisHash;
  DPKIT_RETURN_IF_ERROR(ForEachChainedRow(db, [&](const ChainedRow& row, const std::string&) {
    prev = ChainHash(prev, row);
    hashes.emplace_back(row.id, prev);
    return absl::OkStatus();
  }));
  DPKIT_RETURN_IF_ERROR(db.Exec("DROP TRIGGER IF EXISTS charges_append_only_update"));
  for (const auto& [id, hash] : hashes) {
    DPKIT_ASSIGN_OR_RETURN(Stmt s, db.Prepare("UPDATE charges SET hash = ? WHERE id = ?"));
    DPKIT_RETURN_IF_ERROR(s.Bind(1, hash).Bind(2, id).Run());
  }
  DPKIT_RETURN_IF_ERROR(db.Exec(kUpdateTriggerSql));
  DPKIT_RETURN_IF_ERROR(PutMeta(db, "schema_version", std::to_string(kSchemaVersion)));
  DPKIT_RETURN_IF_ERROR(PutMeta(
      db, "chain_origin",
      absl::StrCat("upgraded from schema version 1 at ", FormatTimeUs(env->NowMicros()),
                   ": the hash chain was computed then over the ", hashes.size(),
                   " charge(s) already recorded, which were not tamper-evident before")));
  return txn.Commit();
}

absl::Status CheckObjects(Db& db) {
  DPKIT_ASSIGN_OR_RETURN(auto objects, ReadTable(db, "SELECT name, type FROM sqlite_master"));
  for (const char* table : {"datasets", "privacy_units", "budgets", "charges"}) {
    if (objects[table] != "table") {
      return CorruptionError(db.path(), absl::StrCat("table '", table, "' is missing"));
    }
  }
  for (const char* trigger : {"charges_append_only_update", "charges_append_only_delete"}) {
    if (objects[trigger] != "trigger") {
      return CorruptionError(db.path(), absl::StrCat("trigger '", trigger, "' is missing"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CreateLedgerFile(const std::string& path, Env* env) {
  if (env->FileExists(path)) return absl::OkStatus();
  const std::string tmp = absl::StrCat(path, ".creating.", ::getpid());
  (void)::unlink(tmp.c_str());  // left over from a crashed creator with this pid
  absl::Status s;
  {
    absl::StatusOr<std::unique_ptr<Db>> db = Db::Open(tmp, /*create=*/true);
    s = db.ok() ? WriteNewSchema(**db, env) : db.status();
    if (!s.ok()) {
      s = absl::Status(s.code(), absl::StrCat("cannot create ledger file ", path, " (via ", tmp,
                                              "): ", s.message()));
    }
  }  // closed: the file is complete on disk
  if (s.ok() && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) {
    s = absl::UnavailableError(absl::StrCat("cannot create ledger file ", path, ": ",
                                            std::strerror(errno)));
  }
  (void)::unlink(tmp.c_str());
  if (!s.ok()) return s;
  return env->SyncDir(DirName(path));
}

absl::Status VerifyOrUpgradeSchema(Db& db, Env* env) {
  DPKIT_ASSIGN_OR_RETURN(auto objects, ReadTable(db, "SELECT name, type FROM sqlite_master"));
  if (objects.empty()) {
    return CorruptionError(
        db.path(), "the file holds no ledger (it is empty or was truncated; a new ledger is "
                   "only ever created where no file exists)");
  }
  if (objects.count("meta") == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "file ", db.path(), " is an SQLite database but not a dpkit ledger (it has no meta "
        "table); pass the path of a dpkit ledger, or a new file name to create one"));
  }
  DPKIT_ASSIGN_OR_RETURN(auto meta, ReadTable(db, "SELECT key, value FROM meta"));
  if (meta["application"] != kApplication) {
    return absl::FailedPreconditionError(
        absl::StrCat("file ", db.path(), " is an SQLite database but not a dpkit ledger "
                     "(meta.application is '", meta["application"], "')"));
  }
  const std::string& version = meta["schema_version"];
  if (version == "1") {
    DPKIT_RETURN_IF_ERROR(CheckObjects(db));
    DPKIT_RETURN_IF_ERROR(UpgradeFromVersion1(db, env));
  } else if (version != std::to_string(kSchemaVersion)) {
    if (std::atoi(version.c_str()) > kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrCat(
          "ledger file ", db.path(), " has schema version ", version, ", newer than this dpkit "
          "(version ", kSchemaVersion, "); upgrade dpkit to use it"));
    }
    return CorruptionError(db.path(), absl::StrCat("unknown schema_version '", version, "'"));
  }
  return CheckObjects(db);
}

absl::StatusOr<std::string> ChainOrigin(Db& db) {
  DPKIT_ASSIGN_OR_RETURN(auto meta, ReadTable(db, "SELECT key, value FROM meta"));
  return meta["chain_origin"];
}

}  // namespace dpkit::ledger::internal
