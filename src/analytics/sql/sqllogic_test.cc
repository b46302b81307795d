// Runs the sqllogictest-style files in tests/sql/*.test (format described at the top of
// tests/sql/basic.test) with zero noise, charging a real ledger.
#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "analytics/test_ledger.h"
#include "dpkit/analytics/sql.h"
#include "dpkit/io/csv.h"
#include "dpkit/mechanisms/noise_factory.h"
#include "dpkit/random/seeded_rng.h"
#include "gtest/gtest.h"

namespace dpkit::analytics {
namespace {

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::string Render(const SqlResult& r) {
  std::string s;
  for (const auto& row : r.rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) s += " ";
      if (row[c].is_key) {
        s += row[c].key;
      } else {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.10g", row[c].value.value);
        s += buf;
      }
    }
    s += "\n";
  }
  return s;
}

bool CellsMatch(const std::string& got, const std::string& want, double tolerance) {
  if (got == want) return true;
  char *eg = nullptr, *ew = nullptr;
  double g = std::strtod(got.c_str(), &eg), w = std::strtod(want.c_str(), &ew);
  if (!eg || *eg || !ew || *ew) return false;
  if (tolerance > 0) return std::fabs(g - w) <= tolerance;
  return std::fabs(g - w) <= 1e-6 * std::max(1.0, std::fabs(w));
}

// "dataset/unit" of every charge, sorted and comma-separated.
std::string Charges(const SqlResult& r) {
  std::vector<std::string> c;
  for (const auto& receipt : r.receipts) c.push_back(receipt.dataset + "/" + receipt.unit);
  std::sort(c.begin(), c.end());
  return absl::StrJoin(c, ",");
}

void RunFile(const std::string& path) {
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::string dir = path.substr(0, path.find_last_of('/'));
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  SqlCatalog catalog;
  std::unique_ptr<release::LedgerCharger> charger;
  random::testing::SeededRng rng(7);
  ExecutionOptions exec;
  exec.rng = &rng;
  exec.noise = &mechanisms::testing::ZeroNoise();
  size_t i = 0;
  int cases = 0;
  while (i < lines.size()) {
    const std::string& line = lines[i];
    auto w = Words(line);
    if (w.empty() || w[0][0] == '#') {
      ++i;
      continue;
    }
    if (w[0] == "table") {
      ASSERT_EQ(w.size(), 4u) << path << ":" << i + 1;
      auto schema = io::LoadSchema(dir + "/" + w[3]);
      ASSERT_TRUE(schema.ok()) << schema.status();
      io::CsvReadOptions ro;
      ro.schema = *schema;
      auto table = io::ReadCsv(dir + "/" + w[2], ro);
      ASSERT_TRUE(table.ok()) << table.status();
      ASSERT_TRUE(catalog.AddTable(w[1], std::move(*table), *schema).ok());
      ++i;
      continue;
    }
    if (w[0] == "budget") {
      ASSERT_EQ(w.size(), 3u) << path << ":" << i + 1;
      release::BudgetKey key{w[1], w[2] == "(row)" ? "" : w[2]};
      if (!charger) {
        const std::string file = path.substr(path.find_last_of('/') + 1);
        charger = testing::TestLedger(file + ".db", {key});
      } else {
        ASSERT_TRUE(charger->ledger()
                        .CreateBudget(key.dataset, key.LedgerUnit(),
                                      ledger::Budget::EpsilonDelta(1000, 0.01),
                                      accounting::AccountantKind::kBasic)
                        .ok());
      }
      ++i;
      continue;
    }
    ASSERT_TRUE(w[0] == "query" || w[0] == "error" || w[0] == "explain")
        << path << ":" << i + 1 << ": unknown directive " << w[0];
    double tolerance = 0;
    std::string charges;
    for (size_t k = 1; k < w.size(); ++k) {
      if (w[k].rfind("tolerance=", 0) == 0) tolerance = std::atof(w[k].c_str() + 10);
      if (w[k].rfind("charges=", 0) == 0) charges = w[k].substr(8);
    }
    const int start_line = static_cast<int>(i + 1);
    std::string sql;
    ++i;
    while (i < lines.size() && lines[i] != "----") sql += lines[i++] + "\n";
    ASSERT_LT(i, lines.size()) << path << ":" << start_line << ": missing ----";
    ++i;
    std::vector<std::string> expected;
    while (i < lines.size() && !lines[i].empty()) expected.push_back(lines[i++]);
    ++cases;
    SCOPED_TRACE(path + ":" + std::to_string(start_line) + "\n" + sql);
    auto r = ExecuteSql(sql, catalog, SqlOptions{}, charger.get(), exec);
    if (w[0] == "error") {
      ASSERT_FALSE(r.ok()) << "expected an error, got:\n" << Render(*r);
      ASSERT_EQ(expected.size(), 1u);
      EXPECT_NE(std::string(r.status().message()).find(expected[0]), std::string::npos)
          << "error was: " << r.status().message();
      continue;
    }
    ASSERT_TRUE(r.ok()) << r.status();
    if (!charges.empty()) EXPECT_EQ(Charges(*r), charges);
    if (w[0] == "explain") {
      for (const auto& e : expected) {
        EXPECT_NE(r->explain_text.find(e), std::string::npos)
            << "missing '" << e << "' in:\n" << r->explain_text;
      }
      continue;
    }
    std::string got = Render(*r);
    std::vector<std::string> got_lines = absl::StrSplit(got, '\n', absl::SkipEmpty());
    ASSERT_EQ(got_lines.size(), expected.size()) << "got:\n" << got;
    for (size_t k = 0; k < expected.size(); ++k) {
      auto gw = Words(got_lines[k]), ew = Words(expected[k]);
      ASSERT_EQ(gw.size(), ew.size()) << "row " << k << " got: " << got_lines[k];
      for (size_t c = 0; c < gw.size(); ++c) {
        EXPECT_TRUE(CellsMatch(gw[c], ew[c], tolerance))
            << "row " << k << " col " << c << ": got " << gw[c] << ", want " << ew[c];
      }
    }
  }
  EXPECT_GT(cases, 0);
}

TEST(SqlLogicTest, AllFiles) {
  std::string dir = std::string(DPKIT_SOURCE_DIR) + "/tests/sql";
  DIR* d = opendir(dir.c_str());
  ASSERT_NE(d, nullptr) << dir;
  std::vector<std::string> files;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.substr(n.size() - 5) == ".test") files.push_back(dir + "/" + n);
  }
  closedir(d);
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    RunFile(f);
  }
}

}  // namespace
}  // namespace dpkit::analytics
