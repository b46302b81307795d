// dpkit report: evaluate a synthetic table against the real one (fidelity, utility, privacy
// risk) and write a self-contained HTML report plus a JSON file with every metric.
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "dpkit/report/evaluation.h"
#include "dpkit/report/privacy_guarantee.h"
#include "dpkit/report/render.h"
#include "dpkit/report/table_input.h"

namespace dpkit::cli {
namespace {

struct ReportArgs {
  std::string real, synthetic, holdout, privacy, out, json;
  std::string target, sensitive;
  std::vector<std::string> quasi_identifiers, identifiers, categorical, numeric, null_tokens;
  bool no_pii_detection = false;
  int kmarginal_k = 3;
  int kmarginal_max = 300;
  int privacy_sample = 500;
  char delimiter = ',';
};

absl::StatusOr<io::Table> Read(const std::string& path, const ReportArgs& a) {
  io::CsvReadOptions options;
  options.delimiter = a.delimiter;
  options.num_threads = 2;
  if (!a.null_tokens.empty()) options.null_tokens = a.null_tokens;
  return io::ReadCsv(path, options);
}

std::string DefaultJsonPath(const std::string& html) {
  const size_t slash = html.find_last_of('/');
  const size_t dot = html.find_last_of('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash)) {
    return html.substr(0, dot) + ".json";
  }
  return html + ".json";
}

absl::Status Run(const ReportArgs& a, Context& ctx) {
  if (a.out.empty()) return absl::InvalidArgumentError("--out is required (e.g. --out report.html)");
  const std::string json_path = a.json.empty() ? DefaultJsonPath(a.out) : a.json;
  if (json_path == a.out) {
    return absl::InvalidArgumentError(
        absl::StrCat("--json and --out name the same file '", a.out, "'; give two paths"));
  }
  // Read the privacy file first: a bad one fails fast, before the evaluation runs.
  std::optional<report::PrivacyGuarantee> guarantee;
  if (!a.privacy.empty()) {
    DPKIT_ASSIGN_OR_RETURN(std::string text, Env::Default()->ReadFile(a.privacy));
    DPKIT_ASSIGN_OR_RETURN(guarantee, report::PrivacyGuarantee::FromJson(text, a.privacy));
  }
  DPKIT_ASSIGN_OR_RETURN(io::Table real, Read(a.real, a));
  DPKIT_ASSIGN_OR_RETURN(io::Table synthetic, Read(a.synthetic, a));
  std::optional<io::Table> holdout;
  if (!a.holdout.empty()) {
    DPKIT_ASSIGN_OR_RETURN(holdout, Read(a.holdout, a));
  }

  report::EvaluationOptions options;
  options.target = a.target;
  options.sensitive = a.sensitive;
  options.quasi_identifiers = a.quasi_identifiers;
  options.categorical = a.categorical;
  options.numeric = a.numeric;
  options.kmarginal_k = a.kmarginal_k;
  options.kmarginal_max = a.kmarginal_max;
  options.privacy_sample = a.privacy_sample;
  for (const auto& id : a.identifiers) {
    options.identifier_columns.push_back(id);
    options.identifier_entities.push_back("declared");
  }
  if (!a.no_pii_detection) {
    for (const auto& d : report::DetectIdentifierColumns(real)) {
      if (std::find(options.identifier_columns.begin(), options.identifier_columns.end(),
                    d.column) != options.identifier_columns.end()) {
        continue;
      }
      options.identifier_columns.push_back(d.column);
      options.identifier_entities.push_back(d.entity);
    }
  }
  const report::TextTable real_t = report::FromIoTable(real, a.real);
  const report::TextTable syn_t = report::FromIoTable(synthetic, a.synthetic);
  std::optional<report::TextTable> hold_t;
  if (holdout) hold_t = report::FromIoTable(*holdout, a.holdout);

  DPKIT_ASSIGN_OR_RETURN(
      report::Evaluation ev,
      report::Evaluate(real_t, syn_t, hold_t ? &*hold_t : nullptr, options, ctx.rng()));
  const report::PrivacyGuarantee* g = guarantee ? &*guarantee : nullptr;
  DPKIT_RETURN_IF_ERROR(report::WriteReport(Env::Default(), ev, g, a.out, json_path));
  if (!ctx.quiet()) {
    ctx.out() << "dpkit report: DATA-OWNER REPORT, NOT DIFFERENTIALLY PRIVATE (exact statistics "
                 "of the real rows): keep its outputs and this text inside the trust boundary\n";
    ctx.out() << "wrote " << a.out << " and " << json_path << " (" << ev.real_rows
              << " real, " << ev.synthetic_rows << " synthetic rows";
    if (holdout) ctx.out() << ", " << ev.holdout_rows << " holdout rows";
    ctx.out() << ")\n";
    for (const auto& v : report::Verdicts(ev, g)) {
      ctx.out() << "  [" << report::VerdictLevelName(v.level) << "] " << v.area << ": "
                << v.headline << "\n";
    }
  }
  return absl::OkStatus();
}

Runner SetupReport(CLI::App& app) {
  auto a = std::make_shared<ReportArgs>();
  app.add_option("--real", a->real, "The real (training) table, CSV (may be gzipped)")
      ->required();
  app.add_option("--synthetic", a->synthetic, "The synthetic table to evaluate, CSV")->required();
  app.add_option("--holdout", a->holdout,
                 "Real rows the synthesizer never saw (enables membership inference and the "
                 "distance comparison; used as the utility test set)");
  app.add_option("--out", a->out, "Output HTML report (self-contained)")->required();
  app.add_option("--json", a->json, "Output JSON with every metric (default: --out with .json)");
  app.add_option("--privacy", a->privacy,
                 "Privacy-guarantee file (dpkit-privacy/1 JSON) written by the synthesizer");
  app.add_option("--target", a->target, "Column to predict for the utility section");
  app.add_option("--sensitive", a->sensitive,
                 "Sensitive column for the attribute inference attack (default: --target)");
  app.add_option("--quasi-identifiers", a->quasi_identifiers,
                 "Columns the attacker knows (default: all other non-identifier columns)")
      ->delimiter(',');
  app.add_option("--identifier", a->identifiers,
                 "Columns holding direct identifiers (added to those the pii detectors find)")
      ->delimiter(',');
  app.add_flag("--no-pii-detection", a->no_pii_detection,
               "Do not run the pii detectors to find identifier columns");
  app.add_option("--categorical", a->categorical, "Treat these columns as categorical")
      ->delimiter(',');
  app.add_option("--numeric", a->numeric, "Treat these columns as numeric")->delimiter(',');
  app.add_option("--null-token", a->null_tokens,
                 "Cell text read as missing (repeatable; default: empty cell)");
  app.add_option("--delimiter", a->delimiter, "CSV field delimiter")->default_val(',');
  app.add_option("--kmarginal-k", a->kmarginal_k, "k of the SDNist k-marginal score (1-6)")
      ->default_val(3);
  app.add_option("--kmarginal-max", a->kmarginal_max,
                 "Most k-column combinations scored (sampled beyond that)")
      ->default_val(300);
  app.add_option("--privacy-sample", a->privacy_sample,
                 "Rows sampled per side for distance-based privacy metrics")
      ->default_val(500);
  return [a](Context& ctx) { return Run(*a, ctx); };
}

DPKIT_CLI_COMMAND("report",
                  "Evaluate synthetic data against the real table: fidelity, utility, privacy "
                  "risk; writes a self-contained HTML report and a JSON of every metric",
                  SetupReport);

}  // namespace
}  // namespace dpkit::cli
