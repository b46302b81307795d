#include "ledger/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace dpkit::ledger::internal {

absl::Status CorruptionError(const std::string& path, std::string_view detail) {
  return absl::DataLossError(absl::StrCat("ledger file ", path, " is corrupted: ",
                                          std::string(detail),
                                          "; restore it from a backup (dpkit never recreates a "
                                          "damaged ledger, that would forget spent budget)"));
}

absl::Status Db::Error(int rc, std::string_view what) const {
  const int primary = rc & 0xff;
  std::string detail =
      db_ != nullptr ? sqlite3_errmsg(db_) : std::string(sqlite3_errstr(rc));
  std::string msg = absl::StrCat(std::string(what), " on ledger file ", path_, ": ", detail);
  switch (primary) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return CorruptionError(path_, absl::StrCat(std::string(what), ": ", detail));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(absl::StrCat(
          "ledger file ", path_, " is locked by another process (", std::string(what), ": ",
          detail, "); retry later or raise the lock timeout (--lock-timeout-ms)"));
    case SQLITE_FULL:
      return absl::UnavailableError(
          absl::StrCat(msg, "; free disk space and retry (nothing was charged)"));
    case SQLITE_IOERR:
      return absl::UnavailableError(
          absl::StrCat(msg, " (I/O error); check the disk and retry (nothing was charged)"));
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return absl::PermissionDeniedError(
          absl::StrCat(msg, "; check the file's permissions (it and its directory must be "
                            "writable: SQLite keeps -wal and -shm files beside it)"));
    case SQLITE_CANTOPEN:
      return absl::NotFoundError(
          absl::StrCat(msg, "; check that the directory exists and is writable"));
    case SQLITE_CONSTRAINT:
      return absl::FailedPreconditionError(msg);
    default:
      return absl::InternalError(msg);
  }
}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& path, bool create) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Db> db(new Db(path, raw));
  if (rc != SQLITE_OK) return db->Error(rc, "open");
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Db::~Db() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

absl::Status Db::Exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (err != nullptr) sqlite3_free(err);
  if (rc != SQLITE_OK) return Error(rc, s.substr(0, s.find_first_of("(;")));
  return absl::OkStatus();
}

absl::StatusOr<Stmt> Db::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return Error(rc, absl::StrCat("prepare '", std::string(sql.substr(0, 60)), "'"));
  }
  return Stmt(this, stmt);
}

int64_t Db::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int64_t Db::Changes() const { return sqlite3_changes(db_); }

Stmt::Stmt(Stmt&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)), bind_error_(other.bind_error_) {}

Stmt::~Stmt() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Stmt& Stmt::Bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Stmt& Stmt::Bind(int index, double value) {
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Stmt& Stmt::Bind(int index, const std::string& value) {
  int rc = sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                             SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Stmt& Stmt::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

absl::StatusOr<bool> Stmt::Step() {
  if (bind_error_ != 0) return db_->Error(bind_error_, "bind");
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string sql = sqlite3_sql(stmt_) != nullptr ? sqlite3_sql(stmt_) : "";
  return db_->Error(rc, sql.substr(0, sql.find_first_of("(")));
}

absl::Status Stmt::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

int64_t Stmt::ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }
double Stmt::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Stmt::ColumnText(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return std::string();
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}
bool Stmt::ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

}  // namespace dpkit::ledger::internal
