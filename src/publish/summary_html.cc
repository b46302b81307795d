#include "publish/summary_html.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "dpkit/base/validation.h"
#include "fmt/format.h"

namespace dpkit::publish {
namespace {

constexpr char kConsistentColor[] = "#2b6cb0";
constexpr char kNoisyColor[] = "#a0aec0";

std::string Escape(const std::string& s) {
  return absl::StrReplaceAll(
      s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}, {"\"", "&quot;"}, {"'", "&#39;"}});
}

std::string Number(double v) { return fmt::format("{:.2f}", v); }
std::string Ratio(double num, double den) {
  return den > 0 ? fmt::format("{:.2f}", num / den) : "–";
}

struct LevelError {
  std::string name;
  int units = 0;
  double consistent = 0;  // mean |error| per cell over all tables of the level
  double noisy = 0;
};

std::vector<LevelError> ByLevel(const PublicationPlan& plan, const ErrorBars& bars) {
  std::vector<LevelError> levels;
  for (int l = 0; l < plan.geography.num_levels(); ++l) {
    LevelError e{plan.geography.level_name(l), plan.geography.num_units(l)};
    double cells = 0;
    for (size_t t = 0; t < plan.tables.size(); ++t) {
      const double n = plan.tables[t].layout.num_cells();
      e.consistent += bars.consistent_mae[l][t] * n;
      e.noisy += bars.noisy_mae[l][t] * n;
      cells += n;
    }
    e.consistent /= cells;
    e.noisy /= cells;
    levels.push_back(e);
  }
  return levels;
}

// Grouped bars: per level, the consistent and the noisy mean |error|.
std::string Chart(const std::vector<LevelError>& levels) {
  double top = 0;
  for (const LevelError& e : levels) top = std::max({top, e.consistent, e.noisy});
  if (top <= 0) top = 1;
  const int group = 110, height = 160, base = 180;
  std::string svg = fmt::format(
      "<svg width=\"{}\" height=\"220\" role=\"img\" aria-label=\"mean absolute error by "
      "level\">",
      group * static_cast<int>(levels.size()) + 20);
  for (size_t i = 0; i < levels.size(); ++i) {
    const int x = 20 + group * static_cast<int>(i);
    const double bars[2] = {levels[i].consistent, levels[i].noisy};
    const char* colors[2] = {kConsistentColor, kNoisyColor};
    for (int b = 0; b < 2; ++b) {
      const int h = static_cast<int>(height * bars[b] / top);
      svg += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"36\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>"
          "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
          x + 40 * b, base - h, h, colors[b], Number(bars[b]), x + 40 * b + 18, base - h - 4,
          Number(bars[b]));
    }
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>",
                       x + 38, base + 18, Escape(levels[i].name));
  }
  return svg + "</svg>";
}

std::string LevelTable(const std::vector<LevelError>& levels) {
  std::string html =
      "<table><tr><th>level</th><th>units</th><th>after post-processing</th>"
      "<th>raw noisy tables (no consistency)</th><th>ratio</th></tr>";
  for (const LevelError& e : levels) {
    html += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        Escape(e.name), e.units, Number(e.consistent), Number(e.noisy),
                        Ratio(e.consistent, e.noisy));
  }
  return html + "</table>";
}

std::string TableDetail(const PublicationPlan& plan, const ErrorBars& bars) {
  std::string html =
      "<table><tr><th>table</th><th>level</th><th>cells</th><th>sigma</th>"
      "<th>after post-processing</th><th>raw noisy</th><th>ratio</th></tr>";
  for (const Measurement& m : plan.measurements) {
    const TablePlan& t = plan.tables[m.table];
    const double c = bars.consistent_mae[m.level][m.table];
    const double n = bars.noisy_mae[m.level][m.table];
    html += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        Escape(t.name), Escape(plan.geography.level_name(m.level)), t.layout.num_cells(),
        Number(m.noise->noise_scale()), Number(c), Number(n), Ratio(c, n));
  }
  return html + "</table>";
}

}  // namespace

std::string SummaryHtml(const PublicationPlan& plan, const ErrorBars& bars, bool insecure_seed) {
  const std::vector<LevelError> levels = ByLevel(plan, bars);
  const std::string title = plan.spec.title.empty() ? "Published tables" : plan.spec.title;
  std::string html = fmt::format(
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title><style>"
      "body{{font-family:sans-serif;max-width:960px;margin:2em auto;color:#1a202c}}"
      "table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #cbd5e0;"
      "padding:4px 8px;text-align:right}}th{{background:#edf2f7}}"
      ".warn{{background:#fed7d7;padding:1em;font-weight:bold}}</style></head><body>"
      "<h1>{0}</h1>",
      Escape(title));
  if (insecure_seed) {
    html +=
        "<p class=\"warn\">Made with --insecure-seed: the noise is reproducible from the "
        "seed and provides NO privacy. Never publish these tables.</p>";
  }
  html += fmt::format(
      "<p>Differentially private: rho = {} zCDP over the whole publication; neighbouring data "
      "sets: {}. Counts are non-negative integers, children sum to their parent, and tables "
      "agree on shared margins.</p>",
      FormatDouble(plan.rho), Escape(plan.release.neighbouring));
  html += "<h2>Mean absolute error per cell, by level</h2>";
  html += fmt::format(
      "<p><span style=\"color:{}\">&#9632;</span> after post-processing (published) &nbsp; "
      "<span style=\"color:{}\">&#9632;</span> raw noisy tables without consistency</p>",
      kConsistentColor, kNoisyColor);
  html += Chart(levels) + LevelTable(levels);
  html += "<h2>By table</h2>" + TableDetail(plan, bars);
  html += fmt::format(
      "<h2>How the errors are computed</h2><p>By simulation from the release itself: the "
      "published tables are measured again with fresh noise of the same sigmas and post-processed "
      "the same way, {} times; the error of a replicate is its distance to the published tables. "
      "Each cell's margin of error (the <code>moe</code> columns) is the {}% quantile of its "
      "absolute errors. The numbers on this page use only the published tables and the public "
      "plan, so they are differentially private too.</p></body></html>",
      plan.spec.error_bars.replicates, FormatDouble(plan.spec.error_bars.level * 100));
  return html;
}

}  // namespace dpkit::publish
