// dpkit privacy dpsgd|noise-multiplier|compose: privacy accounting from the command line.
//   dpsgd             epsilon of a DP-SGD schedule (like TF Privacy's compute_dp_sgd_privacy)
//   noise-multiplier  the noise multiplier that reaches a target (epsilon, delta)
//   compose           epsilon (or delta) of a JSON list of PrivacyMaps, with any accountant
// Thin: parse, call dpkit::accounting, print. Bad arguments exit 2, unreadable or malformed map
// files exit 4, each with a one-line message saying what to do.
#include <cmath>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/output.h"
#include "dpkit/accounting/accountant.h"
#include "dpkit/accounting/calibration.h"
#include "dpkit/accounting/rdp.h"
#include "dpkit/base/env.h"
#include "dpkit/base/status.h"
#include "dpkit/base/validation.h"
#include "nlohmann/json.hpp"

namespace dpkit::cli {
namespace {

using accounting::AccountantKind;
using accounting::AccountantOptions;

struct PrivacyArgs {
  // Shared
  std::string accountant;
  std::string conversion = "improved";
  std::string orders = "default";
  double epsilon_error = 0.01;
  bool json = false;
  // dpsgd / noise-multiplier schedule
  std::optional<int64_t> examples, batch, steps;
  std::optional<double> epochs, sampling_rate, noise_multiplier, delta, epsilon, target_epsilon;
  double tolerance = 1e-3;
  // compose
  std::string maps_path;
  bool parallel = false;
};

std::string Num(double v) { return FormatNumber(v, 6); }
std::string Num10(double v) { return std::isinf(v) ? "inf" : FormatNumber(v, 10); }

absl::StatusOr<AccountantOptions> Options(const PrivacyArgs& a) {
  AccountantOptions o;
  if (a.conversion == "classic") {
    o.rdp_conversion = accounting::RdpConversion::kClassic;
    o.zcdp_conversion = accounting::ZcdpConversion::kClassic;
  } else if (a.conversion != "improved") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--conversion must be improved or classic, got '", a.conversion, "'"));
  }
  if (a.orders == "tf") {
    o.rdp_orders = accounting::TfPrivacyRdpOrders();
  } else if (a.orders != "default") {
    return absl::InvalidArgumentError(
        absl::StrCat("--orders must be default or tf, got '", a.orders, "'"));
  }
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("--epsilon-error", a.epsilon_error));
  o.pld.epsilon_error = a.epsilon_error;
  return o;
}

absl::StatusOr<AccountantKind> Kind(const std::string& name, const char* fallback) {
  auto k = accounting::ParseAccountantKind(name.empty() ? fallback : name);
  if (!k.ok()) return absl::InvalidArgumentError(absl::StrCat("--accountant: ", k.status().message()));
  return *k;
}

// (sampling rate, steps) from either --sampling-rate/--steps or --examples/--batch/--epochs.
absl::StatusOr<std::pair<double, int64_t>> Schedule(const PrivacyArgs& a, double nm) {
  const bool by_rate = a.sampling_rate.has_value() || a.steps.has_value();
  const bool by_data = a.examples.has_value() || a.batch.has_value() || a.epochs.has_value();
  if (by_rate && by_data) {
    return absl::InvalidArgumentError(
        "give either --sampling-rate and --steps, or --examples, --batch and --epochs, not both");
  }
  if (by_rate) {
    if (!a.sampling_rate || !a.steps) {
      return absl::InvalidArgumentError("--sampling-rate and --steps go together");
    }
    if (!(*a.sampling_rate > 0 && *a.sampling_rate <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat("--sampling-rate must be in (0, 1], got ",
                                                     FormatDouble(*a.sampling_rate)));
    }
    DPKIT_RETURN_IF_ERROR(ValidateAtLeast("--steps", *a.steps, 1));
    return std::make_pair(*a.sampling_rate, *a.steps);
  }
  if (!a.examples || !a.batch || !a.epochs) {
    return absl::InvalidArgumentError(
        "give the schedule as --examples N --batch B --epochs E (or --sampling-rate q --steps T)");
  }
  auto m = accounting::DpSgdPrivacyMap({*a.examples, *a.batch, *a.epochs}, nm);
  if (!m.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("schedule: ", m.status().message()));
  }
  return std::make_pair(m->sampling_rate, m->repetitions);
}

absl::Status RequireDelta(const std::optional<double>& delta) {
  if (!delta) return absl::InvalidArgumentError("--delta is required (e.g. --delta 1e-5)");
  return ValidateOpenUnitInterval("--delta", *delta);
}

std::string Percent(double q) { return absl::StrCat(FormatNumber(100 * q, 6), "%"); }

// The PLD accountant's answer (the smallest of its PLD, RDP and basic bounds) for one map.
struct PldAnswer {
  accounting::EpsilonAnswer answer;
  std::vector<std::string> notes;
};

absl::StatusOr<PldAnswer> PldAccountantEpsilon(const PrivacyMap& map, double delta,
                                               const AccountantOptions& opts) {
  DPKIT_ASSIGN_OR_RETURN(auto acc, accounting::CreateAccountant(AccountantKind::kPld, opts));
  DPKIT_RETURN_IF_ERROR(acc->Add(map));
  PldAnswer p;
  DPKIT_ASSIGN_OR_RETURN(p.answer, acc->ExplainEpsilon(delta));
  p.notes = acc->Notes();
  return p;
}

std::string PldDetail(const PldAnswer& p) {
  std::string out = absl::StrCat(
      "PLD accountant: eps is the smallest rigorous upper bound among the PLD/PRV composition, "
      "RDP and basic composition; here the ", p.answer.bound, " (");
  for (size_t i = 0; i < p.answer.candidates.size(); ++i) {
    const auto& c = p.answer.candidates[i];
    absl::StrAppend(&out, i ? ", " : "", c.bound, " ", Num10(c.epsilon));
  }
  absl::StrAppend(&out, ").");
  if (const auto& pld = p.answer.pld) {
    absl::StrAppend(&out, " PLD: estimate ", Num(pld->epsilon.estimate), ", lower bound ",
                    Num(pld->epsilon.lower), " (grid ", pld->grid_points,
                    " points, epsilon error +-", FormatNumber(pld->epsilon_error, 3),
                    ", delta error ", FormatNumber(pld->delta_error, 3), ").");
  }
  for (const auto& n : p.notes) {
    if (n.rfind("answer from:", 0) != 0) absl::StrAppend(&out, "\nnote: ", n);
  }
  return out;
}

absl::Status RunDpSgd(Context& ctx, const PrivacyArgs& a) {
  if (!a.noise_multiplier) {
    return absl::InvalidArgumentError("--noise-multiplier is required (sigma / clipping norm)");
  }
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("--noise-multiplier", *a.noise_multiplier));
  DPKIT_RETURN_IF_ERROR(RequireDelta(a.delta));
  DPKIT_ASSIGN_OR_RETURN(const AccountantKind kind, Kind(a.accountant, "rdp"));
  if (kind != AccountantKind::kRdp && kind != AccountantKind::kPld) {
    return absl::InvalidArgumentError("--accountant for dpsgd must be rdp or pld");
  }
  DPKIT_ASSIGN_OR_RETURN(const AccountantOptions opts, Options(a));
  DPKIT_ASSIGN_OR_RETURN(const auto sched, Schedule(a, *a.noise_multiplier));
  const auto [q, steps] = sched;
  const PrivacyMap map = PrivacyMap::SubsampledGaussian(*a.noise_multiplier, q, steps);
  const double delta = *a.delta;
  nlohmann::json j;
  j["sampling_rate"] = q;
  j["steps"] = steps;
  j["noise_multiplier"] = *a.noise_multiplier;
  j["delta"] = delta;
  j["accountant"] = accounting::AccountantKindName(kind);
  j["neighbouring"] = "add/remove one example (Poisson sampling)";
  j["privacy_map"] = nlohmann::json::parse(map.ToJson());
  std::string detail;
  double eps = 0;
  if (kind == AccountantKind::kRdp) {
    const std::vector<double>& orders =
        opts.rdp_orders.empty() ? accounting::DefaultRdpOrders() : opts.rdp_orders;
    DPKIT_ASSIGN_OR_RETURN(const auto curve, accounting::PrivacyMapRdp(map, orders));
    DPKIT_ASSIGN_OR_RETURN(const auto r,
                           accounting::RdpToEpsilon(orders, curve, delta, opts.rdp_conversion));
    eps = r.value;
    j["optimal_order"] = r.order;
    j["conversion"] = a.conversion;
    detail = absl::StrCat("RDP accountant (", a.conversion, " conversion, ", orders.size(),
                          " orders), optimal RDP order ", FormatNumber(r.order, 6), ".");
  } else {
    DPKIT_ASSIGN_OR_RETURN(const PldAnswer p, PldAccountantEpsilon(map, delta, opts));
    eps = p.answer.epsilon;
    j["bound"] = p.answer.bound;
    for (const auto& c : p.answer.candidates) j["candidates"][c.bound] = c.epsilon;
    if (p.answer.pld) {
      j["epsilon_estimate"] = p.answer.pld->epsilon.estimate;
      j["epsilon_lower"] = p.answer.pld->epsilon.lower;
      j["pld_epsilon_upper"] = p.answer.pld->epsilon.upper;
      j["epsilon_error"] = p.answer.pld->epsilon_error;
      j["delta_error"] = p.answer.pld->delta_error;
    }
    j["notes"] = p.notes;
    detail = PldDetail(p);
  }
  j["epsilon"] = eps;
  if (a.json) {
    ctx.out() << j.dump(2) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << "DP-SGD with sampling rate = " << Percent(q)
            << " and noise_multiplier = " << Num(*a.noise_multiplier) << " iterated over "
            << steps << " steps satisfies differential privacy with eps = " << Num10(eps)
            << " and delta = " << Num(delta) << ".\n"
            << detail << "\n"
            << "Neighbouring datasets: add/remove one example (Poisson sampling).\n";
  return absl::OkStatus();
}

absl::Status RunNoiseMultiplier(Context& ctx, const PrivacyArgs& a) {
  if (!a.target_epsilon) {
    return absl::InvalidArgumentError("--target-epsilon is required (e.g. --target-epsilon 3)");
  }
  DPKIT_RETURN_IF_ERROR(ValidatePositiveFinite("--target-epsilon", *a.target_epsilon));
  DPKIT_RETURN_IF_ERROR(RequireDelta(a.delta));
  DPKIT_ASSIGN_OR_RETURN(const AccountantKind kind, Kind(a.accountant, "rdp"));
  if (kind != AccountantKind::kRdp && kind != AccountantKind::kPld) {
    return absl::InvalidArgumentError("--accountant for noise-multiplier must be rdp or pld");
  }
  DPKIT_ASSIGN_OR_RETURN(const AccountantOptions opts, Options(a));
  DPKIT_ASSIGN_OR_RETURN(const auto sched, Schedule(a, 1.0));
  const auto [q, steps] = sched;
  auto r = accounting::NoiseMultiplierForEpsilon(*a.target_epsilon, *a.delta, q, steps, kind,
                                                 opts, a.tolerance);
  if (!r.ok()) {
    // Unreachable targets are a usage problem (exit 2), not an internal error.
    return absl::InvalidArgumentError(r.status().message());
  }
  if (a.json) {
    nlohmann::json j;
    j["noise_multiplier"] = r->noise_multiplier;
    j["epsilon"] = r->epsilon;
    j["target_epsilon"] = *a.target_epsilon;
    j["delta"] = *a.delta;
    j["sampling_rate"] = q;
    j["steps"] = steps;
    j["accountant"] = accounting::AccountantKindName(kind);
    j["evaluations"] = r->evaluations;
    ctx.out() << j.dump(2) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << "noise_multiplier = " << Num(r->noise_multiplier) << " gives eps = "
            << Num(r->epsilon) << " <= " << Num(*a.target_epsilon) << " at delta = "
            << Num(*a.delta) << " over " << steps << " steps at sampling rate " << Percent(q)
            << " (" << accounting::AccountantKindName(kind) << " accountant; "
            << r->evaluations << " evaluations, relative tolerance " << Num(a.tolerance)
            << ").\n";
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PrivacyMap>> ReadMaps(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    auto t = Env::Default()->ReadFile(path);
    if (!t.ok()) {
      return absl::Status(t.status().code(),
                          absl::StrCat("cannot read maps file '", path, "': ",
                                       t.status().message()));
    }
    text = std::move(*t);
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return DataError(absl::StrCat("maps file '", path,
                                  "' is not valid JSON; expected a list of privacy maps such as "
                                  "[{\"kind\": \"gaussian\", \"noise_multiplier\": 2}]"));
  }
  if (j.is_object() && j.contains("maps")) j = j["maps"];
  if (!j.is_array()) {
    return DataError(absl::StrCat("maps file '", path,
                                  "' must hold a JSON list of privacy maps (or {\"maps\": [...]})"));
  }
  std::vector<PrivacyMap> maps;
  for (size_t i = 0; i < j.size(); ++i) {
    auto m = PrivacyMap::FromJson(j[i].dump());
    if (!m.ok()) {
      // A bad map in the file is a data error (exit 4), whatever the validation code.
      return DataError(absl::StrCat("maps file '", path, "', item ", i + 1, ": ",
                                    m.status().message(), "; fix that entry"));
    }
    maps.push_back(std::move(*m));
  }
  if (maps.empty()) return DataError(absl::StrCat("maps file '", path, "' holds no privacy maps"));
  return maps;
}

absl::Status RunCompose(Context& ctx, const PrivacyArgs& a) {
  if (a.delta.has_value() == a.epsilon.has_value()) {
    return absl::InvalidArgumentError(
        "give exactly one of --delta (to get epsilon) or --epsilon (to get delta)");
  }
  if (a.delta) DPKIT_RETURN_IF_ERROR(ValidateDelta("--delta", *a.delta, /*allow_zero=*/true));
  if (a.epsilon) DPKIT_RETURN_IF_ERROR(ValidateNonNegativeFinite("--epsilon", *a.epsilon));
  DPKIT_ASSIGN_OR_RETURN(const AccountantKind kind, Kind(a.accountant, "pld"));
  DPKIT_ASSIGN_OR_RETURN(const AccountantOptions opts, Options(a));
  DPKIT_ASSIGN_OR_RETURN(const std::vector<PrivacyMap> maps, ReadMaps(a.maps_path));
  // Sequential: one accountant over all maps. Parallel (disjoint partitions of the privacy
  // units, McSherry 2009): each map on its own, the answer is the largest.
  std::vector<std::vector<PrivacyMap>> parts;
  if (a.parallel) {
    for (const PrivacyMap& m : maps) parts.push_back({m});
  } else {
    parts.push_back(maps);
  }
  double value = 0;
  std::vector<std::string> notes;
  for (const auto& part : parts) {
    DPKIT_ASSIGN_OR_RETURN(auto acc, accounting::CreateAccountant(kind, opts));
    for (size_t i = 0; i < part.size(); ++i) {
      absl::Status st = acc->Add(part[i]);
      if (!st.ok()) {
        return absl::Status(st.code(), absl::StrCat("map ", part[i].ToString(), ": ",
                                                    st.message()));
      }
    }
    DPKIT_ASSIGN_OR_RETURN(const double v, a.delta ? acc->Epsilon(*a.delta)
                                                   : acc->Delta(*a.epsilon));
    value = std::max(value, v);
    if (!a.parallel) notes = acc->Notes();
  }
  const char* what = a.delta ? "epsilon" : "delta";
  if (a.json) {
    nlohmann::json j;
    j["accountant"] = accounting::AccountantKindName(kind);
    j["composition"] = a.parallel ? "parallel" : "sequential";
    j[what] = value;
    if (a.delta) j["delta"] = *a.delta;
    if (a.epsilon) j["epsilon"] = *a.epsilon;
    j["maps"] = nlohmann::json::array();
    for (const auto& m : maps) j["maps"].push_back(nlohmann::json::parse(m.ToJson()));
    j["notes"] = notes;
    ctx.out() << j.dump(2) << "\n";
    return absl::OkStatus();
  }
  ctx.out() << maps.size() << " privacy map(s), " << (a.parallel ? "parallel" : "sequential")
            << " composition, " << accounting::AccountantKindName(kind) << " accountant: "
            << what << " = " << Num10(value);
  if (a.delta) ctx.out() << " at delta = " << Num(*a.delta);
  if (a.epsilon) ctx.out() << " at epsilon = " << Num(*a.epsilon);
  ctx.out() << "\n";
  for (const auto& n : notes) ctx.out() << "  note: " << n << "\n";
  return absl::OkStatus();
}

void AddShared(CLI::App* app, PrivacyArgs& a, const char* accountants) {
  app->add_option("--accountant", a.accountant, accountants);
  app->add_option("--conversion", a.conversion,
                  "RDP/zCDP to (eps, delta): improved (Canonne-Kamath-Steinke 2020, default) or "
                  "classic (Mironov 2017)")
      ->capture_default_str();
  app->add_option("--orders", a.orders,
                  "RDP orders: default (dense, 1.05..4096) or tf (TF Privacy's grid)")
      ->capture_default_str();
  app->add_option("--epsilon-error", a.epsilon_error,
                  "PLD: target discretisation error in epsilon")
      ->capture_default_str();
  app->add_flag("--json", a.json, "JSON output");
}

void AddSchedule(CLI::App* app, PrivacyArgs& a) {
  app->add_option("--examples", a.examples, "Training set size N");
  app->add_option("--batch", a.batch, "Expected batch size B (sampling rate B/N)");
  app->add_option("--epochs", a.epochs, "Epochs (steps = ceil(epochs * N / B))");
  app->add_option("--sampling-rate", a.sampling_rate, "Poisson sampling rate q (instead of N, B)");
  app->add_option("--steps", a.steps, "Number of steps (with --sampling-rate)");
}

Runner SetupPrivacy(CLI::App& app) {
  auto args = std::make_shared<PrivacyArgs>();
  PrivacyArgs& a = *args;
  app.require_subcommand(1);

  CLI::App* dpsgd = app.add_subcommand(
      "dpsgd", "Epsilon of a DP-SGD schedule (Poisson-subsampled Gaussian, add/remove)");
  AddSchedule(dpsgd, a);
  dpsgd->add_option("--noise-multiplier", a.noise_multiplier, "Noise std / clipping norm");
  dpsgd->add_option("--delta", a.delta, "Target delta, e.g. 1e-5");
  AddShared(dpsgd, a, "rdp (default, like TF Privacy) or pld (tighter, with error bounds)");

  CLI::App* nm = app.add_subcommand(
      "noise-multiplier", "Smallest noise multiplier reaching a target (epsilon, delta)");
  AddSchedule(nm, a);
  nm->add_option("--target-epsilon", a.target_epsilon, "Target epsilon");
  nm->add_option("--delta", a.delta, "Target delta, e.g. 1e-5");
  nm->add_option("--tolerance", a.tolerance, "Relative tolerance of the search")
      ->capture_default_str();
  AddShared(nm, a, "rdp (default) or pld");

  CLI::App* compose = app.add_subcommand(
      "compose", "Epsilon (or delta) of a JSON list of privacy maps under an accountant");
  compose->add_option("--maps", a.maps_path,
                      "JSON file with a list of privacy maps ('-' for stdin)")
      ->required();
  compose->add_option("--delta", a.delta, "Report epsilon at this delta");
  compose->add_option("--epsilon", a.epsilon, "Report delta at this epsilon");
  compose->add_flag("--parallel", a.parallel,
                    "The maps act on disjoint partitions of the privacy units (cost = the max)");
  AddShared(compose, a, "basic, zcdp, rdp or pld (default: pld, the tightest)");

  return [args, dpsgd, nm, compose](Context& ctx) -> absl::Status {
    const PrivacyArgs& a = *args;
    if (dpsgd->parsed()) return RunDpSgd(ctx, a);
    if (nm->parsed()) return RunNoiseMultiplier(ctx, a);
    if (compose->parsed()) return RunCompose(ctx, a);
    return absl::InvalidArgumentError("choose one of: dpsgd, noise-multiplier, compose");
  };
}

DPKIT_CLI_COMMAND("privacy",
                  "Privacy accounting: DP-SGD epsilon, noise multiplier for a target, and "
                  "composition of privacy maps (basic, zCDP, RDP, PLD)",
                  SetupPrivacy);

}  // namespace
}  // namespace dpkit::cli
