// report.json and the verdicts.
#include <cmath>

#include "dpkit/base/status.h"
#include "dpkit/report/render.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"

namespace dpkit::report {
namespace {

using nlohmann::json;

std::string Pct(double v) { return fmt::format("{:.1f}%", 100 * v); }

template <typename T>
json Opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json Distances(const DistanceSummary& d) {
  return {{"n", d.n},           {"p05", d.p05},
          {"median", d.median}, {"mean", d.mean},
          {"zero_share", d.zero_share}, {"histogram", d.histogram}};
}

json Scores(const ClassifierScores& s) {
  return {{"accuracy", s.accuracy}, {"macro_f1", s.macro_f1}, {"auc", s.auc}};
}

}  // namespace

const char* VerdictLevelName(VerdictLevel level) {
  switch (level) {
    case VerdictLevel::kGood:
      return "good";
    case VerdictLevel::kWarn:
      return "warn";
    case VerdictLevel::kBad:
      return "bad";
    case VerdictLevel::kInfo:
      return "info";
  }
  return "info";
}

std::vector<Verdict> Verdicts(const Evaluation& ev, const PrivacyGuarantee* g) {
  std::vector<Verdict> out;
  using L = VerdictLevel;
  auto level3 = [](double v, double good, double warn) {
    return v <= good ? L::kGood : (v <= warn ? L::kWarn : L::kBad);
  };
  // Guarantee.
  if (g == nullptr) {
    out.push_back({"guarantee", "Privacy guarantee", L::kBad, "No differential-privacy guarantee stated",
                   "No privacy file was given, so nothing here shows that this synthetic data is "
                   "differentially private. Generate it with a DP synthesizer (dpkit synth or "
                   "dpkit pipeline) and pass its privacy file with --privacy."});
  } else {
    const std::string unit =
        g->privacy_unit == "row" ? "one row" : fmt::format("all rows of one '{}'", g->privacy_unit);
    out.push_back(
        {"guarantee", "Privacy guarantee", level3(g->epsilon, 1.0, 10.0),
         fmt::format("ε = {:.3g}, δ = {:.3g} per {}", g->epsilon, g->delta,
                     g->privacy_unit == "row" ? "row" : g->privacy_unit),
         fmt::format("Adding or removing {} changes the probability of any output by at most a "
                     "factor e^ε = {:.3g} (plus δ). ε ≤ 1 is a strong guarantee, 1–10 moderate, "
                     "above 10 weak.",
                     unit, std::exp(g->epsilon))});
  }
  // Fidelity.
  {
    const auto& km = ev.kmarginal;
    out.push_back({"fidelity.kmarginal", "Fidelity",
                   km.score >= 900 ? L::kGood : (km.score >= 700 ? L::kWarn : L::kBad),
                   fmt::format("{}-way marginal score {:.0f} / 1000", km.k, km.score),
                   fmt::format("On average the {}-column combinations of the synthetic data put "
                               "{} of the rows in different cells than the real data (NIST "
                               "SDNist score; 1000 = identical).",
                               km.k, Pct(km.mean_tvd))});
    double worst = 0;
    std::string worst_name;
    for (const auto& c : ev.columns) {
      const double d = c.tvd ? *c.tvd : c.ks.value_or(0);
      if (d >= worst) {
        worst = d;
        worst_name = c.name;
      }
    }
    if (!ev.columns.empty()) {
      out.push_back({"fidelity.columns", "Fidelity", level3(worst, 0.1, 0.25),
                     fmt::format("Worst column: {} (distance {:.3f})", worst_name, worst),
                     "Each column's distribution is compared on its own (total variation for "
                     "categories, Kolmogorov-Smirnov for numbers; 0 = identical, 1 = disjoint). "
                     "Below 0.1 is close."});
    }
    if (ev.associations.columns.size() >= 2) {
      out.push_back(
          {"fidelity.associations", "Fidelity",
           level3(ev.associations.mean_abs_difference, 0.05, 0.15),
           fmt::format("Associations differ by {:.3f} on average (max {:.3f})",
                       ev.associations.mean_abs_difference, ev.associations.max_abs_difference),
           "How strongly pairs of columns go together (correlation, Cramér's V, correlation "
           "ratio), compared between real and synthetic. Below 0.05 keeps relationships "
           "intact."});
    }
  }
  // Utility.
  if (ev.utility.computed) {
    const auto& u = ev.utility;
    const double gap = std::max(u.train_real.accuracy - u.train_synthetic.accuracy,
                                u.train_real.auc - u.train_synthetic.auc);
    out.push_back(
        {"utility", "Utility", level3(gap, 0.03, 0.10),
         fmt::format("Model trained on synthetic: accuracy {:.3f} vs {:.3f} trained on real",
                     u.train_synthetic.accuracy, u.train_real.accuracy),
         fmt::format("A decision tree predicting '{}' was trained once on synthetic and once on "
                     "real rows and tested on real rows it did not train on. A gap below 0.03 "
                     "means the synthetic data is nearly as useful for this task. (Always "
                     "guessing the most common class scores {:.3f}.)",
                     u.target, u.majority_baseline)});
  } else {
    out.push_back({"utility", "Utility", L::kInfo, "Not measured",
                   "Utility was not measured: " + ev.utility.skipped_reason + "."});
  }
  // Privacy risk.
  const auto& p = ev.privacy;
  if (p.membership_advantage) {
    const double chance = p.membership_chance_level.value_or(0.06);
    out.push_back(
        {"privacy.membership", "Privacy risk",
         *p.membership_advantage <= chance
             ? L::kGood
             : (*p.membership_advantage <= 0.2 ? L::kWarn : L::kBad),
         fmt::format("Membership inference advantage {:.3f} (AUC {:.3f})",
                     *p.membership_advantage, p.membership_auc.value_or(0.5)),
         fmt::format("An attacker who guesses that records close to a synthetic row were in the "
                     "training data. Advantage 0 = no better than a coin flip; values below "
                     "{:.3f} are within chance for this sample size.",
                     chance)});
  } else {
    out.push_back({"privacy.membership", "Privacy risk", L::kInfo,
                   "Membership inference not measured",
                   "Needs a holdout: real rows the synthesizer never saw (pass --holdout)."});
  }
  if (p.closer_to_train_share) {
    out.push_back(
        {"privacy.dcr", "Privacy risk", level3(*p.closer_to_train_share, 0.55, 0.65),
         fmt::format("{} of synthetic rows are closer to training than to holdout rows",
                     Pct(*p.closer_to_train_share)),
         "If the synthesizer copied or memorised training rows, synthetic rows would sit closer "
         "to them than to unseen rows. About 50% is what a synthesizer that learned only the "
         "population gives."});
  }
  if (p.attribute_computed) {
    const bool has_h = p.attribute_accuracy_holdout.has_value();
    out.push_back(
        {"privacy.attribute", "Privacy risk",
         has_h ? level3(p.attribute_advantage, 0.02, 0.05) : L::kInfo,
         has_h ? fmt::format("Attribute inference advantage {:.3f}", p.attribute_advantage)
               : fmt::format("Attribute inference accuracy {:.3f} (baseline {:.3f})",
                             p.attribute_accuracy_train, p.attribute_baseline),
         has_h ? fmt::format("A model trained on the synthetic data guesses '{}' from the other "
                             "columns: {:.3f} correct on training rows vs {:.3f} on holdout rows. "
                             "A gap near 0 means it learned nothing specific to the training "
                             "individuals.",
                             p.sensitive, p.attribute_accuracy_train,
                             p.attribute_accuracy_holdout.value_or(0))
               : fmt::format("A model trained on the synthetic data guesses '{}' from the other "
                             "columns of real rows. Without a holdout this cannot separate "
                             "population-level inference (expected) from leakage about "
                             "individuals; pass --holdout.",
                             p.sensitive)});
  }
  {
    const double rate = p.synthetic_rows > 0 ? double(p.exact_matches) / p.synthetic_rows : 0;
    const double base = p.holdout_exact_matches && p.holdout_rows > 0
                            ? double(*p.holdout_exact_matches) / p.holdout_rows
                            : 0;
    L level = p.exact_matches == 0 ? L::kGood
              : rate <= base * 1.5 + 0.001 ? L::kGood
              : rate <= base * 2 + 0.01    ? L::kWarn
                                           : L::kBad;
    out.push_back({"privacy.exact", "Privacy risk", level,
                   fmt::format("{} synthetic rows ({}) copy a real row exactly", p.exact_matches,
                               Pct(rate)),
                   p.holdout_exact_matches
                       ? fmt::format("For comparison, {} of holdout rows also equal a training "
                                     "row (common rows exist in the population).",
                                     Pct(base))
                       : "Whole-row copies of real records; with few columns some are expected "
                         "by chance."});
  }
  {
    // With a holdout, each column's replay is judged against its chance rate: how often the
    // holdout's values, which the synthesizer never saw, show up (Replay::above_chance). Only
    // replay beyond chance counts; a column without a baseline counts whatever it replayed.
    int64_t copied_id = 0, copied_other = 0;
    double p_train = 0, p_hold = 0;
    bool any_baseline = false;
    for (const auto& r : p.replay) {
      const bool identifier = r.reason.rfind("identifier", 0) == 0;
      if (r.holdout_candidates > 0 && r.candidates > 0 && r.replayed > 0) {
        any_baseline = true;
        const double a = static_cast<double>(r.replayed) / static_cast<double>(r.candidates);
        if (a > p_train) {
          p_train = a;
          p_hold = static_cast<double>(r.holdout_replayed) /
                   static_cast<double>(r.holdout_candidates);
        }
      }
      (identifier ? copied_id : copied_other) += r.excess();
    }
    const L level = p.excess_replayed == 0 ? L::kGood : (copied_id > 0 ? L::kBad : L::kWarn);
    std::string expl;
    if (copied_id > 0) {
      expl = fmt::format(
          "{} values from identifier columns were copied verbatim{}: {}", copied_id,
          any_baseline ? " (beyond the rate of the holdout's values, which the synthesizer never saw)" : "",
          p.identifiers_replaced
              ? "the identifier columns were already replaced with fresh fakes, so the fake "
                "generator or the synthesizer reproduces real values; check the PII roles."
              : "replace identifiers (dpkit pii replace) before synthesis.");
    } else if (p.excess_replayed == 0 && p.replayed_values > 0) {
      expl = fmt::format(
          "Replayed values show up about as often as the holdout's values, which the synthesizer "
          "never saw (up to {:.1f}% vs {:.1f}% of holdout values in a column): coincidence (common names, "
          "public vocabularies), not copying.",
          100 * p_train, 100 * p_hold);
    } else {
      expl = "Values that occur once in the real data (or sit in identifier columns) and show up "
             "verbatim in the synthetic data can point to a real person.";
    }
    out.push_back({"privacy.pii_replay", "Privacy risk", level,
                   fmt::format("{} rare or identifying real values reappear in synthetic rows "
                               "beyond chance ({} in all)",
                               p.excess_replayed, p.replayed_values),
                   expl});
  }
  return out;
}

std::string RenderJson(const Evaluation& ev, const PrivacyGuarantee* g) {
  json j;
  j["format"] = "dpkit-report/1";
  j["differentially_private"] = false;  // exact real-data statistics: a data-owner output
  j["inputs"] = {{"real", {{"source", ev.real_source}, {"rows", ev.real_rows}}},
                 {"synthetic", {{"source", ev.synthetic_source}, {"rows", ev.synthetic_rows}}}};
  if (!ev.holdout_source.empty()) {
    j["inputs"]["holdout"] = {{"source", ev.holdout_source}, {"rows", ev.holdout_rows}};
  }
  j["excluded_columns"] = ev.excluded_columns;
  j["seconds"] = ev.seconds;
  j["guarantee"] = g ? json::parse(g->ToJson()) : json(nullptr);
  j["verdicts"] = json::array();
  for (const auto& v : Verdicts(ev, g)) {
    j["verdicts"].push_back({{"id", v.id},
                             {"area", v.area},
                             {"level", VerdictLevelName(v.level)},
                             {"headline", v.headline},
                             {"explanation", v.explanation}});
  }
  json cols = json::array();
  for (const auto& c : ev.columns) {
    json hist = json::array();
    for (const auto& b : c.histogram) {
      hist.push_back({{"label", b.label}, {"real", b.real}, {"synthetic", b.synthetic}});
    }
    cols.push_back({{"name", c.name},
                    {"kind", c.kind == ColumnKind::kNumeric ? "numeric" : "categorical"},
                    {"date", c.is_date},
                    {"clipped_real", Opt(c.clipped_real)},
                    {"other_synthetic", Opt(c.other_synthetic)},
                    {"unmatched_real", Opt(c.unmatched_real)},
                    {"tvd", Opt(c.tvd)},
                    {"ks", Opt(c.ks)},
                    {"wasserstein", Opt(c.wasserstein)},
                    {"wasserstein_normalized", Opt(c.wasserstein_normalized)},
                    {"missing_real", c.missing_real},
                    {"missing_synthetic", c.missing_synthetic},
                    {"distinct_real", c.distinct_real},
                    {"distinct_synthetic", c.distinct_synthetic},
                    {"histogram", hist}});
  }
  const auto& a = ev.associations;
  json worst = json::array();
  for (const auto& w : ev.kmarginal.worst) worst.push_back({{"columns", w.columns}, {"tvd", w.tvd}});
  j["fidelity"] = {
      {"columns", cols},
      {"associations",
       {{"columns", a.columns},
        {"measure", a.measure},
        {"real", a.real},
        {"synthetic", a.synthetic},
        {"difference", a.difference},
        {"mean_abs_difference", a.mean_abs_difference},
        {"max_abs_difference", a.max_abs_difference}}},
      {"kmarginal",
       {{"definition", "NIST SDNist k-marginal: 1000 * (1 - mean TVD over k-way marginals)"},
        {"k", ev.kmarginal.k},
        {"score", ev.kmarginal.score},
        {"mean_tvd", ev.kmarginal.mean_tvd},
        {"marginals_scored", ev.kmarginal.marginals_scored},
        {"marginals_possible", ev.kmarginal.marginals_possible},
        {"binning", ev.kmarginal.binning},
        {"worst", worst}}}};
  const auto& u = ev.utility;
  j["utility"] = {{"computed", u.computed}};
  if (!u.computed) j["utility"]["skipped_reason"] = u.skipped_reason;
  if (!u.target.empty()) {
    j["utility"].update({{"target", u.target},
                         {"task", u.task},
                         {"model", "CART decision tree (Gini)"},
                         {"classes", u.classes},
                         {"features", u.features},
                         {"test_set", u.test_set},
                         {"train_rows_real", u.train_rows_real},
                         {"train_rows_synthetic", u.train_rows_synthetic},
                         {"test_rows", u.test_rows}});
  }
  if (u.computed) {
    j["utility"]["train_real_test_real"] = Scores(u.train_real);
    j["utility"]["train_synthetic_test_real"] = Scores(u.train_synthetic);
    j["utility"]["majority_baseline_accuracy"] = u.majority_baseline;
  }
  const auto& p = ev.privacy;
  json replay = json::array();
  for (const auto& r : p.replay) {
    replay.push_back({{"column", r.column},
                      {"reason", r.reason},
                      {"candidates", r.candidates},
                      {"replayed", r.replayed},
                      {"holdout_candidates", r.holdout_candidates},
                      {"holdout_replayed", r.holdout_replayed},
                      {"expected_by_chance", r.expected},
                      {"beyond_chance", r.excess()},
                      {"examples_masked", r.examples}});
  }
  j["privacy"] = {
      {"distance", p.distance},
      {"dcr",
       {{"synthetic_to_train", Distances(p.synthetic_to_train)},
        {"holdout_to_train",
         p.holdout_to_train ? Distances(*p.holdout_to_train) : json(nullptr)},
        {"histogram_max", p.histogram_max},
        {"closer_to_train_share", Opt(p.closer_to_train_share)}}},
      {"membership_inference",
       {{"auc", Opt(p.membership_auc)},
        {"advantage", Opt(p.membership_advantage)},
        {"chance_level", Opt(p.membership_chance_level)},
        {"members", p.membership_members},
        {"non_members", p.membership_non_members},
        {"note", p.membership_note}}},
      {"attribute_inference",
       {{"computed", p.attribute_computed},
        {"skipped_reason", p.attribute_skipped_reason},
        {"sensitive", p.sensitive},
        {"quasi_identifiers", p.quasi_identifiers},
        {"accuracy_train", p.attribute_accuracy_train},
        {"accuracy_holdout", Opt(p.attribute_accuracy_holdout)},
        {"majority_baseline", p.attribute_baseline},
        {"advantage", p.attribute_advantage}}},
      {"exact_matches",
       {{"synthetic_rows_matching_real", p.exact_matches},
        {"synthetic_rows", p.synthetic_rows},
        {"holdout_rows_matching_real",
         p.holdout_exact_matches ? json(*p.holdout_exact_matches) : json(nullptr)},
        {"holdout_rows", p.holdout_rows}}},
      {"pii_replay",
       {{"replayed_values", p.replayed_values},
        {"replayed_beyond_chance", p.excess_replayed},
        {"synthetic_rows_with_replay", p.replay_rows},
        {"columns", replay}}}};
  return j.dump(2);
}

absl::Status WriteReport(Env* env, const Evaluation& ev, const PrivacyGuarantee* guarantee,
                         const std::string& html_path, const std::string& json_path) {
  auto write = [&](const std::string& path, const std::string& contents) -> absl::Status {
    absl::Status s = env->WriteFileAtomically(path, contents);
    if (s.ok()) return s;
    const std::string message(s.message());
    if (message.find(path) != std::string::npos) return s;
    return absl::Status(s.code(), "cannot write " + path + ": " + message +
                                      " (check the directory exists and has free space)");
  };
  if (!json_path.empty()) DPKIT_RETURN_IF_ERROR(write(json_path, RenderJson(ev, guarantee)));
  if (!html_path.empty()) DPKIT_RETURN_IF_ERROR(write(html_path, RenderHtml(ev, guarantee)));
  return absl::OkStatus();
}

}  // namespace dpkit::report
