#include "publish/outputs.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "nlohmann/json.hpp"
#include "publish/summary_html.h"

namespace dpkit::publish {
namespace {

using Json = nlohmann::ordered_json;

absl::Status WriteTableCsv(const PublicationPlan& plan, int t, const TableSet& released,
                           const TableSet& moe, const std::string& path, Env* env) {
  const TablePlan& table = plan.tables[t];
  std::vector<std::string> header = {"level", "code"};
  for (const std::string& cell : table.cell_labels) {
    header.push_back(cell);
    header.push_back(absl::StrCat(cell, " moe"));
  }
  DPKIT_ASSIGN_OR_RETURN(auto writer, io::CsvWriter::Open(path, header, {}, env));
  const int cells = table.layout.num_cells();
  std::vector<std::string> row;
  for (int l = 0; l < plan.geography.num_levels(); ++l) {
    for (int u = 0; u < plan.geography.num_units(l); ++u) {
      row = {plan.geography.level_name(l), plan.geography.unit_code(l, u)};
      for (int c = 0; c < cells; ++c) {
        const size_t i = static_cast<size_t>(u) * cells + c;
        row.push_back(absl::StrCat(static_cast<int64_t>(released.values[l][t][i])));
        row.push_back(absl::StrCat(static_cast<int64_t>(moe.values[l][t][i])));
      }
      DPKIT_RETURN_IF_ERROR(writer->WriteRow(row));
    }
  }
  return writer->Close();
}

std::string ReleaseJson(const PublicationPlan& plan, const ReleaseRecord& record) {
  Json j;
  j["format"] = "dpkit-publish/1";
  j["differentially_private"] = true;
  j["title"] = plan.spec.title;
  j["dataset"] = record.receipt.dataset;
  j["privacy_unit"] = record.receipt.unit;
  j["neighbouring"] = plan.release.neighbouring;
  j["rho"] = plan.rho;
  if (!plan.spec.budget.rho) {
    j["epsilon"] = plan.spec.budget.epsilon;
    j["delta"] = plan.spec.budget.delta;
  }
  j["ledger"] = record.ledger_path;
  j["charge_id"] = record.receipt.charge_id;
  j["insecure_seed"] = record.insecure_seed;
  for (const TablePlan& t : plan.tables) j["tables"].push_back(absl::StrCat(t.name, ".csv"));
  j["error_bars"] = {{"level", plan.spec.error_bars.level},
                     {"replicates", plan.spec.error_bars.replicates},
                     {"method",
                      "simulation: post-processing re-run on fresh noise around the "
                      "released tables"}};
  return j.dump(2);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> WriteOutputs(const PublicationPlan& plan,
                                                      const TableSet& released,
                                                      const ErrorBars& bars,
                                                      const ReleaseRecord& record,
                                                      const std::string& out_dir, Env* env) {
  std::vector<std::string> files;
  for (size_t t = 0; t < plan.tables.size(); ++t) {
    const std::string path = absl::StrCat(out_dir, "/", plan.tables[t].name, ".csv");
    DPKIT_RETURN_IF_ERROR(WriteTableCsv(plan, static_cast<int>(t), released, bars.moe, path, env));
    files.push_back(path);
  }
  const std::pair<std::string, std::string> documents[] = {
      {"plan.json", plan.ToJson()},
      {"release.json", ReleaseJson(plan, record)},
      {"summary.html", SummaryHtml(plan, bars, record.insecure_seed)},
  };
  for (const auto& [name, contents] : documents) {
    const std::string path = absl::StrCat(out_dir, "/", name);
    DPKIT_RETURN_IF_ERROR(env->WriteFileAtomically(path, contents));
    files.push_back(path);
  }
  return files;
}

}  // namespace dpkit::publish
