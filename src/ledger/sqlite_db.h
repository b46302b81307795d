// A thin RAII wrapper over the SQLite 3 C API for the ledger (private to src/ledger).
//
// Every failure becomes an absl::Status whose message names the ledger file, the operation and
// SQLite's own error text. Status codes follow dpkit conventions:
//   SQLITE_CORRUPT / SQLITE_NOTADB      -> DataLoss ("ledger file X is corrupted: ...")
//   SQLITE_BUSY / SQLITE_LOCKED         -> Unavailable (another process holds the lock)
//   SQLITE_FULL                         -> ResourceExhausted is NOT used (it means "budget" in
//                                          dpkit); a full disk is Unavailable with the path
//   SQLITE_CANTOPEN / SQLITE_PERM, ...  -> PermissionDenied / NotFound / Internal
// Thread safety: a Db and its Stmts are used under the owner's mutex.
#ifndef DPKIT_SRC_LEDGER_SQLITE_DB_H_
#define DPKIT_SRC_LEDGER_SQLITE_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace dpkit::ledger::internal {

class Db;

// A prepared statement. Bind parameters are 1-based, columns 0-based (SQLite convention).
class Stmt {
 public:
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt();

  Stmt& Bind(int index, int64_t value);
  Stmt& Bind(int index, double value);
  Stmt& Bind(int index, const std::string& value);
  Stmt& BindNull(int index);

  // Advances: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Steps until done (for statements that return no rows).
  absl::Status Run();

  int64_t ColumnInt(int col) const;
  double ColumnDouble(int col) const;
  std::string ColumnText(int col) const;
  bool ColumnIsNull(int col) const;

 private:
  friend class Db;
  Stmt(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Db* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;
};

class Db {
 public:
  // Opens (and with `create` creates) the database file. Does not read it yet.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const std::string& path, bool create);
  ~Db();

  const std::string& path() const { return path_; }

  absl::Status Exec(std::string_view sql);
  absl::StatusOr<Stmt> Prepare(std::string_view sql);
  int64_t LastInsertRowId() const;
  int64_t Changes() const;

  // Maps the connection's last error (or `rc`) to a Status with context `what`.
  absl::Status Error(int rc, std::string_view what) const;

  sqlite3* raw() { return db_; }

 private:
  Db(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  std::string path_;
  sqlite3* db_;
};

// Wraps a status from a corrupted-file condition in the uniform user-facing message.
absl::Status CorruptionError(const std::string& path, std::string_view detail);

}  // namespace dpkit::ledger::internal

#endif  // DPKIT_SRC_LEDGER_SQLITE_DB_H_
