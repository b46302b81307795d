// dpkit query: DP SQL over CSV files, charged to the budget of every table it reads.
//
// Thin front end of the release protocol in the analytics library: parse the arguments, open
// the ledger (a query is always charged; only EXPLAIN may run without one), read the tables
// the query reads as private data (analytics/sql_tables.h), run ExecuteSql (plan -> charge ->
// execute) and print the result. Nothing derived from the data is printed before the charge:
// the notes printed early come from the query text and the schemas.
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cli/charger.h"
#include "cli/command.h"
#include "cli/output.h"
#include "dpkit/analytics/sql.h"
#include "dpkit/analytics/sql_tables.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/dataset_name.h"
#include "dpkit/io/schema.h"
#include "nlohmann/json.hpp"

namespace dpkit::cli {
namespace {

struct QueryArgs {
  std::vector<std::string> data;
  std::vector<std::string> schemas;
  std::vector<std::string> datasets;
  std::string ledger;
  std::optional<double> epsilon, delta;
  int64_t max_groups = 1, max_rows = 1;
  double confidence = 0.95;
  std::string mechanism = "laplace";
  std::string format = "table";
  bool explain = false;
  std::string sql;
  std::string sql_file;
  bool no_header = false;
  std::vector<std::string> names;
  std::vector<std::string> null_tokens;
  std::string delimiter = ",";
};

absl::Status ReadSql(QueryArgs& a) {
  if (!a.sql_file.empty()) {
    std::ifstream in(a.sql_file);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read SQL file ", a.sql_file));
    a.sql.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (a.sql.empty()) return absl::InvalidArgumentError("no query given (pass \"SELECT ...\" or --sql-file)");
  return absl::OkStatus();
}

absl::StatusOr<analytics::SqlOptions> SqlOptionsFrom(const QueryArgs& a) {
  analytics::SqlOptions so;
  so.epsilon = a.epsilon;
  so.delta = a.delta;
  so.max_groups_per_unit = a.max_groups;
  so.max_rows_per_group = a.max_rows;
  so.confidence = a.confidence;
  if (a.mechanism == "gaussian") {
    so.noise = analytics::NoiseKind::kGaussian;
  } else if (a.mechanism != "laplace") {
    return absl::InvalidArgumentError(absl::StrCat("--mechanism must be laplace or gaussian, got ", a.mechanism));
  }
  if (a.format != "table" && a.format != "csv" && a.format != "json") {
    return absl::InvalidArgumentError(absl::StrCat("--format must be table, csv or json, got ", a.format));
  }
  return so;
}

absl::StatusOr<io::CsvReadOptions> DialectFrom(const QueryArgs& a) {
  io::CsvReadOptions ro;
  ro.has_header = !a.no_header;
  ro.column_names = a.names;
  if (!a.null_tokens.empty()) ro.null_tokens = a.null_tokens;
  if (a.delimiter == "\\t" || a.delimiter == "tab") {
    ro.delimiter = '\t';
  } else if (a.delimiter.size() == 1) {
    ro.delimiter = a.delimiter[0];
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--delimiter must be one character (or 'tab'), got '", a.delimiter, "'"));
  }
  return ro;
}

// --data [name=]path, with the --schema and --dataset given in the same order.
absl::StatusOr<std::vector<analytics::CsvTableSource>> Sources(const QueryArgs& a) {
  if (a.data.empty()) return absl::InvalidArgumentError("no --data file given");
  if (!a.schemas.empty() && a.schemas.size() != a.data.size()) {
    return absl::InvalidArgumentError("give one --schema per --data file, in the same order (or none)");
  }
  if (!a.datasets.empty() && a.datasets.size() != a.data.size()) {
    return absl::InvalidArgumentError(
        "give one --dataset per --data file, in the same order (or none: each table's name)");
  }
  std::vector<analytics::CsvTableSource> sources;
  for (size_t i = 0; i < a.data.size(); ++i) {
    analytics::CsvTableSource s;
    const std::string& spec = a.data[i];
    if (size_t eq = spec.find('='); eq != std::string::npos && spec.find('/') > eq) {
      s.name = spec.substr(0, eq);
      s.path = spec.substr(eq + 1);
    } else {
      s.name = io::DatasetNameFromPath(spec);
      s.path = spec;
    }
    if (!a.datasets.empty()) s.dataset = a.datasets[i];
    if (!a.schemas.empty()) {
      DPKIT_ASSIGN_OR_RETURN(s.schema, io::LoadSchema(a.schemas[i]));
    }
    sources.push_back(std::move(s));
  }
  return sources;
}

std::string UnitName(const std::string& unit) { return unit.empty() ? "(row)" : unit; }

void PrintJson(std::ostream& out, const analytics::SqlResult& r) {
  nlohmann::json j;
  j["columns"] = r.column_names;
  j["confidence"] = r.plan.confidence;
  j["privacy"] = {{"epsilon", r.plan.epsilon}, {"delta", r.plan.delta},
                  {"privacy_unit", UnitName(r.plan.privacy_unit)},
                  {"neighbouring", r.plan.neighbouring}};
  nlohmann::json charges = nlohmann::json::array();
  for (const ledger::Receipt& receipt : r.receipts) {
    charges.push_back({{"dataset", receipt.dataset}, {"unit", receipt.unit},
                       {"charge_id", receipt.charge_id},
                       {"remaining_epsilon", receipt.remaining.epsilon},
                       {"remaining_delta", receipt.remaining.delta},
                       {"remaining_rho", receipt.remaining.rho}});
  }
  j["charges"] = charges;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& row : r.rows) {
    nlohmann::json o;
    for (size_t c = 0; c < row.size(); ++c) {
      if (row[c].is_key) {
        o[r.column_names[c]] = row[c].key;
      } else {
        o[r.column_names[c]] = {{"value", row[c].value.value}, {"noise_scale", row[c].value.noise_scale},
                                {"ci_lower", row[c].value.ci_lower}, {"ci_upper", row[c].value.ci_upper}};
      }
    }
    rows.push_back(o);
  }
  j["rows"] = rows;
  j["notes"] = r.notes;
  out << j.dump(2) << "\n";
}

void PrintRows(std::ostream& out, const analytics::SqlResult& r, const std::string& format) {
  std::vector<std::string> header;
  for (size_t c = 0; c < r.column_names.size(); ++c) {
    header.push_back(r.column_names[c]);
    if (!r.column_is_key[c] && format == "csv") {
      header.push_back(r.column_names[c] + "_noise_scale");
      header.push_back(r.column_names[c] + "_ci_lower");
      header.push_back(r.column_names[c] + "_ci_upper");
    }
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : r.rows) {
    std::vector<std::string> cells;
    for (const auto& cell : row) {
      const auto& v = cell.value;
      if (cell.is_key) {
        cells.push_back(cell.key);
      } else if (format == "table") {
        cells.push_back(absl::StrCat(FormatNumber(v.value), " [", FormatNumber(v.ci_lower, 4), ", ",
                                     FormatNumber(v.ci_upper, 4), "]"));
      } else {
        for (double x : {v.value, v.noise_scale, v.ci_lower, v.ci_upper}) cells.push_back(FormatNumber(x, 10));
      }
    }
    rows.push_back(std::move(cells));
  }
  if (format == "csv") {
    PrintCsv(out, header, rows);
    return;
  }
  PrintTable(out, header, rows);
  out << "(" << rows.size() << " row" << (rows.size() == 1 ? "" : "s") << "; values with "
      << FormatNumber(r.plan.confidence * 100) << "% confidence intervals for noise error; privacy: "
      << "epsilon=" << FormatNumber(r.plan.epsilon) << " delta=" << FormatNumber(r.plan.delta)
      << ", neighbouring: " << r.plan.neighbouring << ")\n";
  for (const auto& n : r.notes) out << "note: " << n << "\n";
  for (const ledger::Receipt& receipt : r.receipts) {
    out << "budget '" << receipt.dataset << "' (unit " << receipt.unit << "): spent "
        << (receipt.budget.is_rho()
                ? absl::StrCat("rho=", FormatNumber(receipt.spent.rho), ", remaining rho=",
                               FormatNumber(receipt.remaining.rho))
                : absl::StrCat("epsilon=", FormatNumber(receipt.spent.epsilon), " delta=",
                               FormatNumber(receipt.spent.delta), ", remaining epsilon=",
                               FormatNumber(receipt.remaining.epsilon), " delta=",
                               FormatNumber(receipt.remaining.delta)))
        << "\n";
  }
}

absl::Status RunQueryCommand(QueryArgs& a, Context& ctx) {
  // Public inputs first: every argument is checked before any file of data is opened.
  DPKIT_RETURN_IF_ERROR(ReadSql(a));
  DPKIT_ASSIGN_OR_RETURN(analytics::SqlOptions options, SqlOptionsFrom(a));
  DPKIT_ASSIGN_OR_RETURN(io::CsvReadOptions dialect, DialectFrom(a));
  DPKIT_ASSIGN_OR_RETURN(std::vector<analytics::CsvTableSource> sources, Sources(a));
  DPKIT_ASSIGN_OR_RETURN(analytics::SqlStatementInfo info, analytics::InspectSql(a.sql));
  std::string sql = a.sql;
  if (a.explain && !info.explain) {
    sql = "EXPLAIN " + sql;
    info.explain = true;
  }
  // A query is always charged; EXPLAIN previews the budgets when a ledger is given.
  std::unique_ptr<release::LedgerCharger> charger;
  if (!info.explain || !a.ledger.empty()) {
    ChargerRequest request;
    request.ledger = a.ledger;  // never a new ledger: budgets come from `dpkit budget init`
    DPKIT_ASSIGN_OR_RETURN(charger, OpenCharger(ctx, request));
  }
  DPKIT_ASSIGN_OR_RETURN(analytics::LoadedTables tables,
                         analytics::LoadCsvTablesForQuery(sql, sources, dialect));
  if (!ctx.quiet()) {
    for (const std::string& note : tables.notes) ctx.err() << "dpkit query: note: " << note << "\n";
  }
  analytics::ExecutionOptions exec;
  exec.rng = &ctx.rng();
  DPKIT_ASSIGN_OR_RETURN(analytics::SqlResult r,
                         analytics::ExecuteSql(sql, tables.catalog, options, charger.get(), exec));
  if (r.explain) {
    ctx.out() << r.explain_text;
  } else if (a.format == "json") {
    PrintJson(ctx.out(), r);
  } else {
    PrintRows(ctx.out(), r, a.format);
  }
  return absl::OkStatus();
}

Runner SetupQuery(CLI::App& app) {
  auto a = std::make_shared<QueryArgs>();
  // Repeatable options take exactly one value each, so they never swallow the query text.
  app.add_option("--data", a->data, "CSV file (repeatable; name=path sets the table name, default: file stem)")
      ->required()
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--schema", a->schemas, "Schema JSON for each --data file, in order (privacy unit, types, bounds, keys)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--budget-ledger,--ledger", a->ledger,
                 "Budget ledger (SQLite, from `dpkit budget init`) charged before anything is "
                 "released; required except for EXPLAIN");
  app.add_option("--dataset", a->datasets,
                 "Dataset name in the ledger for each --data file, in order (default: the table name)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--epsilon", a->epsilon, "Privacy budget for this query (if the query has no WITH EPSILON)");
  app.add_option("--delta", a->delta, "Delta for this query (if the query has no WITH DELTA)");
  app.add_option("--max-groups", a->max_groups, "Max groups per privacy unit (L0)");
  app.add_option("--max-rows", a->max_rows, "Max rows per privacy unit per group (Linf)");
  app.add_option("--confidence", a->confidence, "Confidence level of the intervals");
  app.add_option("--mechanism", a->mechanism, "laplace or gaussian");
  app.add_option("--format", a->format, "table, csv or json");
  app.add_flag("--explain", a->explain, "Show the plan and the budget preview without spending");
  app.add_option("--sql-file", a->sql_file, "Read the query from a file");
  app.add_flag("--no-header", a->no_header, "The CSV files have no header row (use --names)");
  app.add_option("--names", a->names, "Column names for header-less CSV files")->delimiter(',');
  app.add_option("--null-token", a->null_tokens, "Cell text read as NULL (repeatable; default: empty cell)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--delimiter", a->delimiter, "Field delimiter (default ',')");
  app.add_option("sql", a->sql, "The query, e.g. \"SELECT sex, COUNT(*) FROM t GROUP BY sex\"");
  return [a](Context& ctx) { return RunQueryCommand(*a, ctx); };
}

}  // namespace

DPKIT_CLI_COMMAND("query", "Run a DP SQL query over CSV files (charged to the budget of every table read)",
                  SetupQuery);

}  // namespace dpkit::cli
