// dpkit sample customers --rows 10000 --out customers.csv [--seed N]
// Writes a realistic generated customer table (see dpkit/pii/sample.h). The values are fake and
// drawn from a seeded (reproducible) generator: this is demo data, not a privacy mechanism.
#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "dpkit/pii/sample.h"
#include "dpkit/random/seeded_rng.h"

namespace dpkit::cli {
namespace {

struct SampleArgs {
  std::string out;
  std::string schema_out;
  int64_t rows = 10000;
  uint64_t seed = pii::kDefaultSampleSeed;
};

absl::Status RunCustomers(const SampleArgs& a, Context& ctx) {
  if (a.out.empty() && a.schema_out.empty()) {
    return absl::InvalidArgumentError("give --out customers.csv and/or --schema-out customers.json");
  }
  if (!a.schema_out.empty()) {
    DPKIT_RETURN_IF_ERROR(
        Env::Default()->WriteFileAtomically(a.schema_out, pii::CustomersSchema().ToJson()));
  }
  if (a.out.empty()) return absl::OkStatus();
  auto start = std::chrono::steady_clock::now();
  random::testing::SeededRng rng(a.seed);
  DPKIT_ASSIGN_OR_RETURN(io::Table table, pii::GenerateCustomers({.rows = a.rows}, rng));
  DPKIT_RETURN_IF_ERROR(io::WriteCsv(table, a.out));
  if (!ctx.quiet()) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ctx.err() << "dpkit sample: wrote " << table.num_rows() << " generated customers ("
              << table.num_columns() << " columns, seed " << a.seed << ") to " << a.out << " in "
              << static_cast<int>(secs * 1000) << " ms\n";
  }
  return absl::OkStatus();
}

Runner SampleSetup(CLI::App& app) {
  auto args = std::make_shared<SampleArgs>();
  app.require_subcommand(1);
  CLI::App* customers = app.add_subcommand(
      "customers", "A realistic generated customer table (fake PII with real correlations)");
  customers->add_option("--out", args->out, "Output CSV");
  customers->add_option("--schema-out", args->schema_out,
                        "Also write the table's public schema (types, bounds, categories, PII "
                        "roles, privacy unit) as JSON");
  customers->add_option("--rows", args->rows, "Number of customers (default 10000)")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  customers->add_option("--seed", args->seed,
                        "Seed of the (reproducible, non-secret) generator; default 20250630");
  return [args, customers](Context& ctx) -> absl::Status {
    if (customers->parsed()) return RunCustomers(*args, ctx);
    return absl::InvalidArgumentError("choose a sample: customers");
  };
}

}  // namespace

DPKIT_CLI_COMMAND("sample", "Generate demo data (sample customers)", SampleSetup);

}  // namespace dpkit::cli
