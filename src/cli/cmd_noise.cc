// dpkit noise <mechanism> ...: releases one value (or selection, or sparse-vector answers)
// through a registered mechanism and prints it with its noise scale, confidence interval and
// privacy map. Thin: parses arguments into a mechanisms::NoiseRequest and calls
// mechanisms::RunMechanism. Bad arguments exit 2 with a one-line message.
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/output.h"
#include "dpkit/base/validation.h"
#include "dpkit/mechanisms/registry.h"
#include "nlohmann/json.hpp"

namespace dpkit::cli {
namespace {

struct NoiseArgs {
  std::string mechanism;
  std::optional<double> epsilon, delta, rho, sensitivity, value, threshold;
  std::optional<std::string> calibration;
  double confidence = 0.95;
  std::string scores, queries;
  std::optional<int64_t> max_above, categories;
  bool monotonic = false;
  bool json = false;
};

// "1,2.5,-3" -> {1, 2.5, -3}; the error names the flag, the item and its position.
absl::StatusOr<std::vector<double>> ParseList(const std::string& flag, const std::string& text) {
  std::vector<double> out;
  if (text.empty()) return out;
  size_t start = 0;
  int index = 1;
  while (true) {
    size_t comma = text.find(',', start);
    std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
    char* end = nullptr;
    double v = item.empty() ? 0 : std::strtod(item.c_str(), &end);
    if (item.empty() || end == nullptr || *end != '\0') {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": item ", index, " '", item,
                       "' is not a number; give a comma-separated list "
                       "such as 1,2.5,-3"));
    }
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": item ", index, " must be finite, got ", item));
    }
    out.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
    ++index;
  }
  return out;
}

std::string Num(double v) { return FormatNumber(v, 6); }

absl::Status Run(Context& ctx, const NoiseArgs& a) {
  mechanisms::NoiseRequest r;
  r.mechanism = a.mechanism;
  r.epsilon = a.epsilon;
  r.delta = a.delta;
  r.rho = a.rho;
  r.sensitivity = a.sensitivity;
  r.value = a.value;
  r.threshold = a.threshold;
  r.max_above = a.max_above;
  r.categories = a.categories;
  r.monotonic = a.monotonic;
  r.confidence = a.confidence;
  if (a.calibration) {
    auto c = mechanisms::ParseGaussianCalibration(*a.calibration);
    if (!c.ok()) return c.status();
    r.calibration = *c;
  }
  auto scores = ParseList("--scores", a.scores);
  if (!scores.ok()) return scores.status();
  r.scores = *scores;
  auto queries = ParseList("--queries", a.queries);
  if (!queries.ok()) return queries.status();
  r.queries = *queries;

  auto result = mechanisms::RunMechanism(r, ctx.rng());
  if (!result.ok()) return result.status();
  const mechanisms::NoiseResult& out = *result;

  if (a.json) {
    nlohmann::json j;
    j["mechanism"] = out.mechanism;
    j["output_kind"] = out.output_kind;
    if (out.output_kind == "value" || out.output_kind == "category") {
      j["noisy_value"] = out.noisy_value;
    }
    if (out.selected_index) j["selected_index"] = *out.selected_index;
    if (out.output_kind == "above") j["above"] = out.above;
    if (out.interval) {
      j["interval"] = {{"lower", out.interval->lower},
                       {"upper", out.interval->upper},
                       {"level", out.interval->level},
                       {"exact", out.interval->exact}};
    }
    j["noise_scale"] = out.noise_scale;
    j["noise_scale_meaning"] = out.noise_scale_meaning;
    if (out.noise_stddev > 0) j["noise_stddev"] = out.noise_stddev;
    if (out.granularity > 0) j["granularity"] = out.granularity;
    j["privacy_claim"] = out.privacy_claim;
    j["privacy_map"] = nlohmann::json::parse(out.privacy_map.ToJson());
    j["neighbours"] = "inputs whose query values differ by at most the given sensitivity";
    j["notes"] = out.notes;
    j["insecure_seed"] = ctx.insecure();
    ctx.out() << j.dump(2) << "\n";
    return absl::OkStatus();
  }

  auto& o = ctx.out();
  if (out.output_kind == "index") {
    o << out.mechanism << ": selected index " << *out.selected_index << "\n";
  } else if (out.output_kind == "above") {
    o << out.mechanism << ": answers";
    for (size_t i = 0; i < out.above.size(); ++i) {
      o << (i == 0 ? " " : ",") << (out.above[i] ? "above" : "below");
    }
    o << "\n";
  } else {
    o << out.mechanism << ": noisy " << (out.output_kind == "category" ? "category " : "value ")
      << FormatDouble(out.noisy_value) << "\n";
  }
  if (out.interval) {
    o << "  " << Num(out.interval->level * 100) << "% interval  [" << Num(out.interval->lower)
      << ", " << Num(out.interval->upper) << "]"
      << (out.interval->exact ? " (exact)" : " (approximate)") << "\n";
  }
  o << "  noise         " << out.noise_scale_meaning << " = " << Num(out.noise_scale);
  if (out.noise_stddev > 0) o << " (std dev " << Num(out.noise_stddev) << ")";
  if (out.granularity > 0) o << ", output grid " << Num(out.granularity);
  o << "\n";
  o << "  privacy       " << out.privacy_claim << "\n";
  o << "  privacy map   " << out.privacy_map.ToString() << "\n";
  o << "  neighbours    inputs whose query values differ by at most the given sensitivity\n";
  for (const auto& n : out.notes) o << "  note          " << n << "\n";
  if (ctx.insecure()) o << "  WARNING       --insecure-seed: NOT PRIVATE, do not publish\n";
  return absl::OkStatus();
}

Runner Setup(CLI::App& app) {
  auto a = std::make_shared<NoiseArgs>();
  app.add_option("mechanism", a->mechanism,
                 "laplace, gaussian, discrete_laplace, discrete_gaussian, exponential, "
                 "permute_and_flip, report_noisy_max_gumbel, report_noisy_max_exponential, "
                 "sparse_vector, randomized_response, kary_randomized_response "
                 "(see 'dpkit mechanisms')")
      ->required();
  app.add_option("--epsilon", a->epsilon, "Privacy parameter epsilon (> 0)");
  app.add_option("--delta", a->delta, "Privacy parameter delta in (0, 1) (Gaussian mechanisms)");
  app.add_option("--rho", a->rho, "zCDP target rho, instead of --epsilon/--delta (Gaussian)");
  app.add_option("--sensitivity", a->sensitivity,
                 "Sensitivity of the query: l1 (Laplace), l2 (Gaussian), per score (selection), "
                 "per query (sparse vector)");
  app.add_option("--value", a->value,
                 "The true value to release (a category index for randomized response)");
  app.add_option("--calibration", a->calibration,
                 "Gaussian calibration: analytic (default; Balle & Wang 2018) or classic "
                 "(epsilon < 1)");
  app.add_option("--confidence", a->confidence, "Confidence level of the interval")
      ->capture_default_str();
  app.add_option("--scores", a->scores, "Candidate scores for selection, e.g. 3,1.5,7");
  app.add_option("--queries", a->queries, "Query values for sparse_vector, e.g. 10,52,7");
  app.add_option("--threshold", a->threshold, "Public threshold for sparse_vector");
  app.add_option("--max-above", a->max_above,
                 "sparse_vector: stop after this many above-threshold answers (default 1)");
  app.add_option("--categories", a->categories, "kary_randomized_response: number of categories");
  app.add_flag("--monotonic", a->monotonic,
               "Scores/queries all move in the same direction between neighbours (halves the "
               "noise; only if true!)");
  app.add_flag("--json", a->json, "JSON output");
  return [a](Context& ctx) { return Run(ctx, *a); };
}

DPKIT_CLI_COMMAND("noise",
                  "Release one value through a noise mechanism, with its noise scale, "
                  "confidence interval and privacy map",
                  Setup);

}  // namespace
}  // namespace dpkit::cli
