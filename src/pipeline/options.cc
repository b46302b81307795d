// PipelineOptions: the config file format, its JSON form and validation (public inputs only).
#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "dpkit/pipeline/pipeline.h"
#include "nlohmann/json.hpp"

namespace dpkit::pipeline {

absl::Status PipelineOptions::MergeJsonFile(const std::string& path, Env* env) {
  DPKIT_ASSIGN_OR_RETURN(std::string text, env->ReadFile(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a JSON object"));
  }
  try {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      const auto& v = it.value();
      if (k == "data") data = v.get<std::string>();
      else if (k == "out" || k == "out_dir") out_dir = v.get<std::string>();
      else if (k == "epsilon") epsilon = v.get<double>();
      else if (k == "delta") delta = v.get<double>();
      else if (k == "method") method = v.get<std::string>();
      else if (k == "rows") rows = v.get<int64_t>();
      else if (k == "schema") schema = v.get<std::string>();
      else if (k == "policy") policy = v.get<std::string>();
      else if (k == "key_file") key_file = v.get<std::string>();
      else if (k == "ledger") ledger = v.get<std::string>();
      else if (k == "dataset") dataset = v.get<std::string>();
      else if (k == "privacy_unit") privacy_unit = v.get<std::string>();
      else if (k == "target") target = v.get<std::string>();
      else if (k == "min_null_fraction") min_null_fraction = v.get<double>();
      else if (k == "decimals") decimals = v.get<int>();
      else if (k == "holdout_fraction") holdout_fraction = v.get<double>();
      else if (k == "count_fraction") count_fraction = v.get<double>();
      else if (k == "bounds_fraction") bounds_fraction = v.get<double>();
      else if (k == "threads") threads = v.get<int>();
      else if (k == "dry_run") dry_run = v.get<bool>();
      else {
        return absl::InvalidArgumentError(absl::StrCat(
            path, ": unknown key '", k,
            "' (known: data, out, epsilon, delta, method, rows, schema, policy, key_file, ledger, "
            "dataset, privacy_unit, target, holdout_fraction, count_fraction, bounds_fraction, "
            "min_null_fraction, decimals, threads, dry_run)"));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": wrong value type: ", e.what()));
  }
  return absl::OkStatus();
}

std::string PipelineOptions::ToJson() const {
  nlohmann::json j = {{"data", data},         {"out", out_dir},
                      {"epsilon", epsilon},   {"delta", delta},
                      {"method", method},     {"rows", rows},
                      {"schema", schema},     {"policy", policy},
                      {"key_file", key_file}, {"ledger", ledger},
                      {"dataset", dataset},   {"privacy_unit", privacy_unit},
                      {"target", target},     {"holdout_fraction", holdout_fraction},
                      {"count_fraction", count_fraction}, {"bounds_fraction", bounds_fraction},
                      {"min_null_fraction", min_null_fraction}, {"decimals", decimals},
                      {"threads", threads},       {"dry_run", dry_run}};
  return j.dump(2);
}

absl::Status PipelineOptions::Validate() const {
  if (data.empty()) return absl::InvalidArgumentError("no input: give --data <customers.csv>");
  if (out_dir.empty()) return absl::InvalidArgumentError("no output directory: give --out <dir>");
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("epsilon", epsilon));
  DPKIT_RETURN_IF_ERROR(ValidateDelta("delta", delta, /*allow_zero=*/false));
  if (method != "aim" && method != "mst") {
    return absl::InvalidArgumentError(absl::StrCat("method must be aim or mst, got '", method, "'"));
  }
  if (rows < 0) return absl::InvalidArgumentError(absl::StrCat("rows must be >= 0, got ", rows));
  if (!(holdout_fraction >= 0 && holdout_fraction < 0.9)) {
    return absl::InvalidArgumentError(absl::StrCat("holdout_fraction must be in [0, 0.9), got ",
                                                   FormatDouble(holdout_fraction)));
  }
  if (!(count_fraction > 0 && bounds_fraction > 0 && count_fraction + bounds_fraction < 0.5)) {
    return absl::InvalidArgumentError(
        "count_fraction and bounds_fraction must be > 0 and together < 0.5");
  }
  if (!(min_null_fraction >= 0 && min_null_fraction < 0.5)) {
    return absl::InvalidArgumentError(absl::StrCat("min_null_fraction must be in [0, 0.5), got ",
                                                   FormatDouble(min_null_fraction)));
  }
  if (decimals > 15) return absl::InvalidArgumentError("decimals must be <= 15 (-1 = no rounding)");
  if (threads < 1) return absl::InvalidArgumentError("threads must be >= 1");
  return absl::OkStatus();
}

}  // namespace dpkit::pipeline
