// dpkit query: DP SQL over CSV files, charged to a budget ledger.
#include <chrono>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"
#include "cli/output.h"
#include "dpkit/analytics/sql.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "dpkit/io/schema.h"
#include "dpkit/ledger/ledger.h"
#include "nlohmann/json.hpp"

namespace dpkit::cli {
namespace {

struct QueryArgs {
  std::vector<std::string> data;
  std::vector<std::string> schemas;
  std::string ledger;
  std::string dataset;
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

std::string Stem(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  for (const char* ext : {".csv.gz", ".csv", ".tsv", ".gz"}) {
    std::string e = ext;
    if (base.size() > e.size() && base.compare(base.size() - e.size(), e.size(), e) == 0) {
      return base.substr(0, base.size() - e.size());
    }
  }
  return base;
}

absl::Status RunQueryCommand(QueryArgs& a, Context& ctx) {
  if (!a.sql_file.empty()) {
    std::ifstream in(a.sql_file);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read SQL file ", a.sql_file));
    a.sql.assign(std::istreambuf_iterator<char>(in), {});
  }
  if (a.sql.empty()) return absl::InvalidArgumentError("no query given (pass \"SELECT ...\" or --sql-file)");
  if (a.data.empty()) return absl::InvalidArgumentError("no --data file given");
  if (!a.schemas.empty() && a.schemas.size() != a.data.size()) {
    return absl::InvalidArgumentError(
        "give one --schema per --data file, in the same order (or none)");
  }
  if (a.format != "table" && a.format != "csv" && a.format != "json") {
    return absl::InvalidArgumentError(absl::StrCat("--format must be table, csv or json, got ", a.format));
  }
  analytics::SqlCatalog catalog;
  std::vector<std::pair<std::string, std::string>> units;  // table -> unit
  for (size_t i = 0; i < a.data.size(); ++i) {
    std::string spec = a.data[i];
    std::string name, path = spec;
    if (size_t eq = spec.find('='); eq != std::string::npos && spec.find('/') > eq) {
      name = spec.substr(0, eq);
      path = spec.substr(eq + 1);
    } else {
      name = Stem(spec);
    }
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
    io::Schema schema;
    if (!a.schemas.empty()) {
      DPKIT_ASSIGN_OR_RETURN(schema, io::LoadSchema(a.schemas[i]));
      ro.schema = schema;
    }
    auto t0 = std::chrono::steady_clock::now();
    if (!ctx.quiet()) ctx.err() << "reading " << path << " ..." << std::flush;
    io::CsvReadStats stats;
    auto table = io::ReadCsv(path, ro, Env::Default(), &stats);
    if (!ctx.quiet()) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ctx.err() << (table.ok() ? absl::StrCat(" ", FormatNumber(stats.bytes / 1e6, 4), " MB in ",
                                              FormatNumber(s, 3), " s\n")
                               : std::string(" failed\n"));
    }
    if (!table.ok()) return table.status();
    if (a.schemas.empty()) {
      schema = io::InferSchema(*table);
      if (!ctx.quiet()) {
        ctx.err() << "dpkit query: note: no --schema for " << path
                  << ": each row is treated as a privacy unit and numeric aggregates need bounds "
                     "(inline SUM(x BETWEEN lo AND hi), or private auto bounds that cost budget)\n";
      }
    }
    units.emplace_back(name, schema.privacy_unit);
    DPKIT_RETURN_IF_ERROR(catalog.AddTable(name, std::move(*table), std::move(schema)));
  }
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
  std::string sql = a.sql;
  if (a.explain && sql.find("EXPLAIN") == std::string::npos && sql.find("explain") == std::string::npos) {
    sql = "EXPLAIN " + sql;
  }
  std::unique_ptr<ledger::Ledger> led;
  std::string dataset = a.dataset.empty() ? units.front().first : a.dataset;
  std::string unit = units.front().second;
  if (!a.ledger.empty()) {
    ledger::LedgerOptions lo;
    lo.create_if_missing = false;
    auto opened = ledger::Ledger::Open(a.ledger, lo);
    if (!opened.ok()) {
      if (opened.status().code() == absl::StatusCode::kNotFound) {
        return absl::NotFoundError(absl::StrCat(
            opened.status().message(), " (create a budget first: dpkit budget init --ledger ",
            a.ledger, " --dataset ", dataset, " --epsilon <e> --delta <d>)"));
      }
      return opened.status();
    }
    led = std::move(*opened);
  }
  std::optional<ledger::Receipt> receipt;
  analytics::ExecutionOptions exec;
  exec.rng = &ctx.rng();
  exec.charge = [&](const analytics::QueryPlan& plan) -> absl::Status {
    if (!led) {
      if (!ctx.quiet()) {
        ctx.err() << "dpkit query: WARNING: no --budget-ledger: this release (epsilon="
                  << FormatNumber(plan.epsilon) << ", delta=" << FormatNumber(plan.delta)
                  << ") is not recorded in any budget\n";
      }
      return absl::OkStatus();
    }
    DPKIT_ASSIGN_OR_RETURN(receipt, led->Charge(dataset, unit, plan.PrivacyMaps(), a.sql));
    return absl::OkStatus();
  };
  DPKIT_ASSIGN_OR_RETURN(analytics::SqlResult r, analytics::ExecuteSql(sql, catalog, so, exec));
  std::ostream& out = ctx.out();
  if (r.explain) {
    out << r.explain_text;
    if (led) {
      auto preview = led->Preview(dataset, unit, r.plan.PrivacyMaps());
      if (preview.ok()) {
        out << "Budget (" << dataset << ", unit " << preview->unit << ", "
            << accounting::AccountantKindName(preview->accountant) << " accountant): would spend "
            << "epsilon=" << FormatNumber(preview->cost.epsilon) << " delta=" << FormatNumber(preview->cost.delta)
            << "; remaining after: epsilon=" << FormatNumber(preview->remaining_after.epsilon)
            << " delta=" << FormatNumber(preview->remaining_after.delta)
            << (preview->fits ? "" : absl::StrCat(" — DOES NOT FIT: ", preview->message)) << "\n";
      } else {
        out << "Budget: " << preview.status().message() << "\n";
      }
    }
    out << "(EXPLAIN spends no budget)\n";
    return absl::OkStatus();
  }
  // Render.
  std::vector<std::string> header;
  for (size_t c = 0; c < r.column_names.size(); ++c) {
    header.push_back(r.column_names[c]);
    if (!r.column_is_key[c] && a.format != "table") {
      header.push_back(r.column_names[c] + "_noise_scale");
      header.push_back(r.column_names[c] + "_ci_lower");
      header.push_back(r.column_names[c] + "_ci_upper");
    }
  }
  if (a.format == "json") {
    nlohmann::json j;
    j["columns"] = r.column_names;
    j["confidence"] = r.plan.confidence;
    j["privacy"] = {{"epsilon", r.plan.epsilon}, {"delta", r.plan.delta},
                    {"privacy_unit", r.plan.privacy_unit.empty() ? "(row)" : r.plan.privacy_unit},
                    {"neighbouring", r.plan.neighbouring}};
    if (receipt) {
      j["ledger"] = {{"dataset", receipt->dataset}, {"charge_id", receipt->charge_id},
                     {"remaining_epsilon", receipt->remaining.epsilon},
                     {"remaining_delta", receipt->remaining.delta}};
    }
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
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : r.rows) {
    std::vector<std::string> cells;
    for (const auto& cell : row) {
      if (cell.is_key) {
        cells.push_back(cell.key);
        continue;
      }
      const auto& v = cell.value;
      if (a.format == "table") {
        cells.push_back(absl::StrCat(FormatNumber(v.value), " [", FormatNumber(v.ci_lower, 4), ", ",
                                     FormatNumber(v.ci_upper, 4), "]"));
      } else {
        cells.push_back(FormatNumber(v.value, 10));
        cells.push_back(FormatNumber(v.noise_scale, 10));
        cells.push_back(FormatNumber(v.ci_lower, 10));
        cells.push_back(FormatNumber(v.ci_upper, 10));
      }
    }
    rows.push_back(std::move(cells));
  }
  if (a.format == "csv") {
    PrintCsv(out, header, rows);
    return absl::OkStatus();
  }
  PrintTable(out, header, rows);
  out << "(" << rows.size() << " row" << (rows.size() == 1 ? "" : "s") << "; values with "
      << FormatNumber(r.plan.confidence * 100) << "% confidence intervals for noise error; privacy: "
      << "epsilon=" << FormatNumber(r.plan.epsilon) << " delta=" << FormatNumber(r.plan.delta) << " per "
      << (r.plan.privacy_unit.empty() ? "row" : r.plan.privacy_unit) << ")\n";
  for (const auto& n : r.notes) out << "note: " << n << "\n";
  if (receipt) {
    out << "budget '" << receipt->dataset << "': spent epsilon=" << FormatNumber(receipt->spent.epsilon)
        << " delta=" << FormatNumber(receipt->spent.delta) << ", remaining epsilon="
        << FormatNumber(receipt->remaining.epsilon) << " delta=" << FormatNumber(receipt->remaining.delta)
        << "\n";
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
  app.add_option("--schema", a->schemas, "Schema JSON for each --data file, in order (privacy unit, bounds, keys)")
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--budget-ledger,--ledger", a->ledger, "Budget ledger (SQLite) to charge before releasing");
  app.add_option("--dataset", a->dataset, "Dataset name in the ledger (default: the first table's name)");
  app.add_option("--epsilon", a->epsilon, "Privacy budget for this query (if the query has no WITH EPSILON)");
  app.add_option("--delta", a->delta, "Delta for this query (if the query has no WITH DELTA)");
  app.add_option("--max-groups", a->max_groups, "Max groups per privacy unit (L0)");
  app.add_option("--max-rows", a->max_rows, "Max rows per privacy unit per group (Linf)");
  app.add_option("--confidence", a->confidence, "Confidence level of the intervals");
  app.add_option("--mechanism", a->mechanism, "laplace or gaussian");
  app.add_option("--format", a->format, "table, csv or json");
  app.add_flag("--explain", a->explain, "Show the plan (sensitivities, noise, budget) without spending");
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

DPKIT_CLI_COMMAND("query", "Run a DP SQL query over CSV files (charged to a budget ledger)", SetupQuery);

}  // namespace dpkit::cli
