// Test helpers shared by the ledger's unit tests: temp dirs, raw SQLite access to a ledger
// file (as another program would have), and a fixture with a fresh ledger path.
#ifndef DPKIT_SRC_LEDGER_LEDGER_TEST_UTIL_H_
#define DPKIT_SRC_LEDGER_LEDGER_TEST_UTIL_H_

#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "dpkit/ledger/ledger.h"
#include "gtest/gtest.h"

namespace dpkit::ledger::testing_util {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dpkit_ledger_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs SQL on the file through a separate raw SQLite connection (as another program would).
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  int Exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }
  std::string QueryText(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class LedgerTest : public ::testing::Test {
 protected:
  std::unique_ptr<Ledger> OpenLedger(LedgerOptions options = {}) {
    auto l = Ledger::Open(path_, options);
    EXPECT_TRUE(l.ok()) << l.status();
    return l.ok() ? *std::move(l) : nullptr;
  }
  TempDir dir_;
  std::string path_ = dir_.File("ledger.db");
};

}  // namespace dpkit::ledger::testing_util

#endif  // DPKIT_SRC_LEDGER_LEDGER_TEST_UTIL_H_
