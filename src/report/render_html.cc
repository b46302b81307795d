// The self-contained HTML report: inline CSS, inline SVG charts, one small inline script (table
// sorting and a readiness marker). Every user-provided string is HTML-escaped.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "dpkit/report/render.h"
#include "fmt/format.h"

namespace dpkit::report {
namespace {

constexpr char kRealColor[] = "#2b6cb0";
constexpr char kSynColor[] = "#dd6b20";
constexpr char kHoldColor[] = "#718096";

std::string Esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

// Shortens to at most n characters (UTF-8 aware) with an ellipsis.
std::string Trunc(const std::string& s, size_t n) {
  size_t chars = 0, i = 0;
  while (i < s.size()) {
    if (chars == n) return s.substr(0, i) + "…";
    unsigned char c = s[i];
    i += c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    ++chars;
  }
  return s;
}

std::string F(double v, int digits = 3) { return fmt::format("{:.{}f}", v, digits); }
std::string Pct(double v) { return fmt::format("{:.1f}%", 100 * v); }

const char* LevelColor(VerdictLevel l) {
  switch (l) {
    case VerdictLevel::kGood: return "#2f855a";
    case VerdictLevel::kWarn: return "#d69e2e";
    case VerdictLevel::kBad: return "#c53030";
    case VerdictLevel::kInfo: return "#a0aec0";
  }
  return "#a0aec0";
}
const char* LevelWord(VerdictLevel l) {
  switch (l) {
    case VerdictLevel::kGood: return "good";
    case VerdictLevel::kWarn: return "check";
    case VerdictLevel::kBad: return "risk";
    case VerdictLevel::kInfo: return "info";
  }
  return "info";
}

std::string Dot(VerdictLevel l) {
  return fmt::format("<span class=\"dot\" style=\"background:{}\" title=\"{}\"></span>",
                     LevelColor(l), LevelWord(l));
}

// A nice upper bound for an axis.
double NiceMax(double v) {
  if (v <= 0) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * p >= v) return m * p;
  }
  return 10 * p;
}

std::string SvgOpen(int w, int h, const std::string& kind, const std::string& label) {
  return fmt::format(
      "<svg class=\"chart\" data-chart=\"{}\" "
      "width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">",
      Esc(kind), w, h, w, h, Esc(label));
}

// Y axis with three grid lines, as shares in percent.
std::string YGrid(double x0, double y0, double w, double h, double ymax, bool percent) {
  std::string s;
  for (int i = 0; i <= 2; ++i) {
    const double v = ymax * i / 2, y = y0 + h - h * i / 2;
    s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" class=\"grid\"/>",
                     x0, y, x0 + w, y);
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"end\">{}</text>",
                     x0 - 4, y + 3,
                     percent ? fmt::format("{:.3g}%", 100 * v) : fmt::format("{:.3g}", v));
  }
  return s;
}

std::string HistogramSvg(const ColumnFidelity& c) {
  const int W = 340, H = 200;
  const double x0 = 44, y0 = 10, w = W - x0 - 8, h = 120;
  const size_t B = c.histogram.size();
  double ymax = 0;
  for (const auto& b : c.histogram) ymax = std::max({ymax, b.real, b.synthetic});
  ymax = NiceMax(ymax);
  std::string s = SvgOpen(W, H, "histogram", "Distribution of " + c.name + ": real vs synthetic");
  s += YGrid(x0, y0, w, h, ymax, true);
  const double gw = B > 0 ? w / B : w;
  const bool numeric = c.kind == ColumnKind::kNumeric;
  for (size_t i = 0; i < B; ++i) {
    const auto& b = c.histogram[i];
    const double hr = h * b.real / ymax, hs = h * b.synthetic / ymax;
    const std::string tip = fmt::format("<title>{}: real {}, synthetic {}</title>", Esc(b.label),
                                        Pct(b.real), Pct(b.synthetic));
    if (numeric) {
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" "
          "fill-opacity=\"0.55\">{}</rect>",
          x0 + i * gw, y0 + h - hr, std::max(1.0, gw - 1), hr, kRealColor, tip);
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" "
          "fill-opacity=\"0.55\">{}</rect>",
          x0 + i * gw, y0 + h - hs, std::max(1.0, gw - 1), hs, kSynColor, tip);
    } else {
      const double bw = std::max(1.0, gw * 0.4);
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">{}</rect>",
          x0 + i * gw + gw * 0.1, y0 + h - hr, bw, hr, kRealColor, tip);
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">{}</rect>",
          x0 + i * gw + gw * 0.5, y0 + h - hs, bw, hs, kSynColor, tip);
      const double lx = x0 + i * gw + gw / 2, ly = y0 + h + 10;
      s += fmt::format(
          "<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"end\" "
          "transform=\"rotate(-40 {:.1f} {:.1f})\">{}</text>",
          lx, ly, lx, ly, Esc(Trunc(b.label, 12)));
    }
  }
  s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" class=\"axis\"/>",
                   x0, y0 + h, x0 + w, y0 + h);
  if (numeric && B > 0) {
    auto part = [](const std::string& label, bool first) {
      const size_t p = label.find(" – ");
      if (p == std::string::npos) return label;
      return first ? label.substr(0, p) : label.substr(p + std::string(" – ").size());
    };
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\">{}</text>", x0, y0 + h + 14,
                     Esc(part(c.histogram.front().label, true)));
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"end\">{}</text>",
                     x0 + w, y0 + h + 14, Esc(part(c.histogram.back().label, false)));
  }
  s += "</svg>";
  return s;
}

std::string Diverging(double v) {
  v = std::clamp(v, -1.0, 1.0);
  // white -> red (#c53030) for positive, white -> blue (#2b6cb0) for negative.
  const int tr = v >= 0 ? 0xc5 : 0x2b, tg = v >= 0 ? 0x30 : 0x6c, tb = v >= 0 ? 0x30 : 0xb0;
  const double a = std::abs(v);
  auto mix = [&](int t) { return static_cast<int>(std::lround(255 + (t - 255) * a)); };
  return fmt::format("#{:02x}{:02x}{:02x}", mix(tr), mix(tg), mix(tb));
}

std::string HeatmapSvg(const std::string& kind, const std::string& title,
                       const std::vector<std::string>& names, const std::vector<double>& values,
                       const std::vector<std::string>& measures) {
  const size_t d = names.size();
  const double cell = std::clamp(300.0 / std::max<size_t>(d, 1), 10.0, 34.0);
  const double left = 100, top = 90;
  const int W = static_cast<int>(left + cell * d + 10), H = static_cast<int>(top + cell * d + 10);
  std::string s = SvgOpen(W, H, kind, title);
  for (size_t i = 0; i < d; ++i) {
    const double y = top + cell * i + cell / 2 + 3;
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"end\">{}</text>",
                     left - 4, y, Esc(Trunc(names[i], 14)));
    const double x = left + cell * i + cell / 2 + 3, ty = top - 4;
    s += fmt::format(
        "<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" transform=\"rotate(-50 {:.1f} {:.1f})\">"
        "{}</text>",
        x, ty, x, ty, Esc(Trunc(names[i], 14)));
  }
  for (size_t i = 0; i < d; ++i) {
    for (size_t j = 0; j < d; ++j) {
      const double v = values[i * d + j];
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" "
          "stroke=\"#fff\" stroke-width=\"0.5\"><title>{} × {}: {:.3f} ({})</title></rect>",
          left + cell * j, top + cell * i, cell, cell, Diverging(v), Esc(names[i]), Esc(names[j]),
          v, measures[i * d + j]);
      if (cell >= 26) {
        s += fmt::format(
            "<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"cell\" text-anchor=\"middle\" fill=\"{}\">"
            "{:.2f}</text>",
            left + cell * j + cell / 2, top + cell * i + cell / 2 + 3,
            std::abs(v) > 0.6 ? "#fff" : "#1a202c", v);
      }
    }
  }
  s += "</svg>";
  return s;
}

std::string UtilitySvg(const UtilityResult& u) {
  const int W = 420, H = 210;
  const double x0 = 40, y0 = 10, w = W - x0 - 10, h = 150;
  std::string s = SvgOpen(W, H, "utility", "Model scores: trained on real vs trained on synthetic");
  s += YGrid(x0, y0, w, h, 1.0, false);
  const std::pair<const char*, std::pair<double, double>> groups[] = {
      {"accuracy", {u.train_real.accuracy, u.train_synthetic.accuracy}},
      {"macro-F1", {u.train_real.macro_f1, u.train_synthetic.macro_f1}},
      {"ROC AUC", {u.train_real.auc, u.train_synthetic.auc}}};
  const double gw = w / 3;
  for (int g = 0; g < 3; ++g) {
    const auto& [name, v] = groups[g];
    const double bw = gw * 0.32;
    for (int k = 0; k < 2; ++k) {
      const double val = k == 0 ? v.first : v.second;
      const double bh = h * std::clamp(val, 0.0, 1.0);
      const double x = x0 + g * gw + gw * 0.16 + k * bw;
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
          "<title>{} trained on {}: {:.3f}</title></rect>",
          x, y0 + h - bh, bw - 2, bh, k == 0 ? kRealColor : kSynColor, name,
          k == 0 ? "real" : "synthetic", val);
      s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"cell\" text-anchor=\"middle\">"
                       "{:.3f}</text>",
                       x + (bw - 2) / 2, y0 + h - bh - 3, val);
    }
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"middle\">{}</text>",
                     x0 + g * gw + gw / 2, y0 + h + 16, name);
  }
  const double by = y0 + h - h * std::clamp(u.majority_baseline, 0.0, 1.0);
  s += fmt::format(
      "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#4a5568\" "
      "stroke-dasharray=\"4 3\"><title>majority-class accuracy {:.3f}</title></line>",
      x0 + gw * 0.1, by, x0 + gw * 0.9, by, u.majority_baseline);
  s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" class=\"axis\"/>",
                   x0, y0 + h, x0 + w, y0 + h);
  s += "</svg>";
  return s;
}

std::string DcrSvg(const PrivacyRiskResult& p) {
  const int W = 460, H = 200;
  const double x0 = 44, y0 = 10, w = W - x0 - 10, h = 140;
  std::string s = SvgOpen(W, H, "dcr", "Distance to the closest training row");
  double ymax = 0;
  for (double v : p.synthetic_to_train.histogram) ymax = std::max(ymax, v);
  if (p.holdout_to_train) {
    for (double v : p.holdout_to_train->histogram) ymax = std::max(ymax, v);
  }
  ymax = NiceMax(ymax);
  s += YGrid(x0, y0, w, h, ymax, true);
  auto series = [&](const std::vector<double>& hist, const char* color, const char* name) {
    const double bw = hist.empty() ? w : w / hist.size();
    for (size_t i = 0; i < hist.size(); ++i) {
      const double bh = h * hist[i] / ymax;
      s += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\" "
          "fill-opacity=\"0.55\"><title>{}: {} at distance {:.3f}–{:.3f}</title></rect>",
          x0 + i * bw, y0 + h - bh, std::max(1.0, bw - 1), bh, color, name, Pct(hist[i]),
          p.histogram_max * i / hist.size(), p.histogram_max * (i + 1) / hist.size());
    }
  };
  if (p.holdout_to_train) series(p.holdout_to_train->histogram, kHoldColor, "holdout rows");
  series(p.synthetic_to_train.histogram, kSynColor, "synthetic rows");
  s += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" class=\"axis\"/>",
                   x0, y0 + h, x0 + w, y0 + h);
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\">0</text>", x0, y0 + h + 14);
  s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"end\">{:.3f}</text>",
                   x0 + w, y0 + h + 14, p.histogram_max);
  s += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"middle\">distance to the "
      "closest training row</text>",
      x0 + w / 2, y0 + h + 30);
  s += "</svg>";
  return s;
}

std::string Legend(std::initializer_list<std::pair<const char*, const char*>> items) {
  std::string s = "<div class=\"legend\">";
  for (const auto& [color, name] : items) {
    s += fmt::format("<span><i style=\"background:{}\"></i>{}</span>", color, name);
  }
  return s + "</div>";
}

constexpr char kCss[] = R"CSS(
:root{--fg:#1a202c;--muted:#4a5568;--line:#e2e8f0;--bg:#f7fafc}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:0 0 12px}h3{font-size:15px;margin:18px 0 8px}
.sub{color:var(--muted);margin:0 0 18px}
.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 18px}
.guarantee{display:flex;gap:28px;flex-wrap:wrap;align-items:baseline}
.big{font-size:30px;font-weight:700}.label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.verdicts{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
.verdict{border:1px solid var(--line);border-left-width:6px;border-radius:8px;padding:10px 12px;background:#fff}
.verdict .area{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.verdict .head{font-weight:600;margin:2px 0 4px}.verdict p{margin:0;color:var(--muted);font-size:13px}
.dot{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:6px;vertical-align:baseline}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:#edf2f7;font-weight:600}table.sortable th{cursor:pointer}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.grid-charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(350px,1fr));gap:10px}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px}
figcaption{font-size:13px;margin-bottom:4px}figcaption b{font-weight:600}
.heatmaps{display:flex;flex-wrap:wrap;gap:10px}
svg.chart{display:block;max-width:100%;height:auto}
svg .grid{stroke:#e2e8f0;stroke-width:1}svg .axis{stroke:#718096;stroke-width:1}
svg .tick{font-size:10px;fill:#4a5568}svg .cell{font-size:9px}
.legend{display:flex;gap:16px;font-size:12px;color:var(--muted);margin:4px 0 10px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:5px;vertical-align:-2px;opacity:.8}
.note{color:var(--muted);font-size:13px}
.scorebar{height:14px;background:#edf2f7;border-radius:7px;overflow:hidden;max-width:520px}
.scorebar span{display:block;height:100%}
dl.gloss dt{font-weight:600;margin-top:8px}dl.gloss dd{margin:2px 0 0 0;color:var(--muted)}
)CSS";

constexpr char kScript[] = R"JS(
(function () {
  'use strict';
  function cellValue(td) {
    var v = td.getAttribute('data-v');
    if (v !== null && v !== '') { return parseFloat(v); }
    return td.textContent.trim().toLowerCase();
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var headers = table.querySelectorAll('thead th');
    headers.forEach(function (th, col) {
      th.addEventListener('click', function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var asc = th.getAttribute('data-sort') !== 'asc';
        headers.forEach(function (h) { h.removeAttribute('data-sort'); });
        th.setAttribute('data-sort', asc ? 'asc' : 'desc');
        rows.sort(function (a, b) {
          var x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
          var r = x < y ? -1 : (x > y ? 1 : 0);
          return asc ? r : -r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  var charts = document.querySelectorAll('svg.chart');
  document.documentElement.setAttribute('data-report-ready', String(charts.length));
})();
)JS";

// The column's clipped share and "other" shares (when the caller described the synthesizer).
std::string SynthesisChanges(const ColumnFidelity& c) {
  std::vector<std::string> parts;
  if (c.clipped_real) {
    parts.push_back(fmt::format("{} of real values clipped into range", Pct(*c.clipped_real)));
  }
  if (c.other_synthetic) {
    parts.push_back(fmt::format("{} of synthetic rows are \"other\"; {} of real rows have a value "
                                "absent from synthetic",
                                Pct(*c.other_synthetic), Pct(c.unmatched_real.value_or(0))));
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

std::string RenderHtml(const Evaluation& ev, const PrivacyGuarantee* g) {
  const std::vector<Verdict> verdicts = Verdicts(ev, g);
  auto verdict_of = [&](const std::string& id) {
    for (const auto& v : verdicts) {
      if (v.id == id) return v.level;
    }
    return VerdictLevel::kInfo;
  };
  std::string h;
  h.reserve(1 << 20);
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
       "<title>dpkit evaluation report</title><style>";
  h += kCss;
  h += "</style></head><body><main>";
  h += "<h1>Synthetic data evaluation</h1>";
  h += "<p class=\"sub\"><b>DATA-OWNER REPORT — NOT DIFFERENTIALLY PRIVATE.</b> Its real-data "
       "statistics are exact; keep it inside the trust boundary.</p>";
  h += fmt::format(
      "<p class=\"sub\">Real: <b>{}</b> ({} rows) · synthetic: <b>{}</b> ({} rows){} · made by "
      "dpkit report in {:.2f} s. This report is computed from the real data: treat it as "
      "confidential as the real data.</p>",
      Esc(ev.real_source), ev.real_rows, Esc(ev.synthetic_source), ev.synthetic_rows,
      ev.holdout_source.empty()
          ? std::string(" · no holdout")
          : fmt::format(" · holdout: <b>{}</b> ({} rows)", Esc(ev.holdout_source), ev.holdout_rows),
      ev.seconds);

  // Guarantee.
  h += "<section id=\"guarantee\" class=\"card\"><h2>Privacy guarantee</h2>";
  if (g == nullptr) {
    h += fmt::format("<p>{}<b>No differential-privacy guarantee was given.</b> {}</p>",
                     Dot(VerdictLevel::kBad), Esc(verdicts[0].explanation));
  } else {
    h += "<div class=\"guarantee\">";
    h += fmt::format("<div><div class=\"label\">epsilon (ε)</div><div class=\"big\">{}{:.4g}</div></div>",
                     Dot(verdicts[0].level), g->epsilon);
    h += fmt::format("<div><div class=\"label\">delta (δ)</div><div class=\"big\">{:.3g}</div></div>",
                     g->delta);
    h += fmt::format("<div><div class=\"label\">privacy unit</div><div class=\"big\">{}</div></div>",
                     Esc(g->privacy_unit));
    h += fmt::format("<div><div class=\"label\">mechanism</div><div class=\"big\">{}</div></div>",
                     Esc(g->mechanism));
    h += fmt::format("<div><div class=\"label\">accountant</div><div class=\"big\">{}</div></div>",
                     Esc(g->accountant));
    h += "</div>";
    h += fmt::format("<p>{}</p>", Esc(verdicts[0].explanation));
    if (!g->dataset.empty() || !g->created.empty()) {
      h += fmt::format("<p class=\"note\">Dataset in the ledger: {} {}</p>", Esc(g->dataset),
                       g->created.empty() ? "" : "· released " + Esc(g->created));
    }
    for (const auto& n : g->notes) h += fmt::format("<p class=\"note\">{}</p>", Esc(n));
    if (!g->ledger_entries.empty()) {
      h += "<h3>Ledger entries</h3><table><thead><tr><th>id</th><th>time</th><th>mechanism</th>"
           "<th>ε</th><th>δ</th><th>privacy map</th><th>note</th></tr></thead><tbody>";
      for (const auto& e : g->ledger_entries) {
        h += fmt::format(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
            "<td>{}</td><td>{}</td></tr>",
            Esc(e.id), Esc(e.time), Esc(e.mechanism),
            e.epsilon ? fmt::format("{:.4g}", *e.epsilon) : "",
            e.delta ? fmt::format("{:.3g}", *e.delta) : "", Esc(e.privacy_map), Esc(e.note));
      }
      h += "</tbody></table>";
    }
  }
  h += "</section>";

  // Summary.
  h += "<section id=\"summary\" class=\"card\"><h2>Summary</h2><div class=\"verdicts\">";
  for (const auto& v : verdicts) {
    h += fmt::format(
        "<div class=\"verdict\" data-verdict=\"{}\" data-level=\"{}\" style=\"border-left-color:{}\">"
        "<div class=\"area\">{}{} · {}</div><div class=\"head\">{}</div><p>{}</p></div>",
        Esc(v.id), VerdictLevelName(v.level), LevelColor(v.level), Dot(v.level), Esc(v.area),
        LevelWord(v.level), Esc(v.headline), Esc(v.explanation));
  }
  h += "</div><p class=\"note\">Green = good, amber = check, red = risk, grey = information. "
       "The colours follow rule-of-thumb thresholds listed in the glossary below; only the "
       "privacy guarantee is a proof.</p></section>";

  // Fidelity.
  const auto& km = ev.kmarginal;
  h += "<section id=\"fidelity\" class=\"card\"><h2>Fidelity: does it look like the real data?</h2>";
  h += fmt::format(
      "<h3>{}{}-way marginal score: {:.0f} / 1000</h3><div class=\"scorebar\"><span "
      "style=\"width:{:.1f}%;background:{}\"></span></div>",
      Dot(verdict_of("fidelity.kmarginal")), km.k, km.score, km.score / 10,
      LevelColor(verdict_of("fidelity.kmarginal")));
  h += fmt::format(
      "<p class=\"note\">NIST SDNist k-marginal score: for each combination of {} columns, the "
      "share of rows that would have to move to turn the synthetic table's counts into the real "
      "one's (total variation distance); score = 1000 × (1 − mean). {} of {} combinations "
      "scored. Binning: {}.</p>",
      km.k, km.marginals_scored, km.marginals_possible, Esc(km.binning));
  if (!km.worst.empty()) {
    h += "<p class=\"note\">Least faithful combinations: ";
    for (size_t i = 0; i < km.worst.size(); ++i) {
      std::string cols;
      for (const auto& c : km.worst[i].columns) cols += (cols.empty() ? "" : " × ") + c;
      h += fmt::format("{}{} ({:.3f})", i ? "; " : "", Esc(cols), km.worst[i].tvd);
    }
    h += "</p>";
  }
  if (!ev.excluded_columns.empty()) {
    std::string ex;
    for (const auto& e : ev.excluded_columns) ex += (ex.empty() ? "" : ", ") + e;
    h += fmt::format(
        "<p class=\"note\">Identifier columns left out of fidelity, distances and models (they "
        "are checked for replay below): {}.</p>",
        Esc(ex));
  }
  h += "<h3>Columns</h3><table class=\"sortable\" id=\"columns-table\"><thead><tr><th>column</th>"
       "<th>type</th><th>distance</th><th>metric</th><th>Wasserstein (units)</th>"
       "<th>missing real / synthetic</th><th>distinct real / synthetic</th>"
       "<th>what synthesis changed</th></tr></thead><tbody>";
  for (const auto& c : ev.columns) {
    const bool num = c.kind == ColumnKind::kNumeric;
    const double d = num ? c.ks.value_or(0) : c.tvd.value_or(0);
    const VerdictLevel l = d <= 0.1 ? VerdictLevel::kGood
                           : d <= 0.25 ? VerdictLevel::kWarn
                                       : VerdictLevel::kBad;
    h += fmt::format(
        "<tr><td>{}{}</td><td>{}</td><td class=\"n\" data-v=\"{}\">{}</td><td>{}</td>"
        "<td class=\"n\">{}</td><td class=\"n\">{} / {}</td><td class=\"n\">{} / {}</td>"
        "<td>{}</td></tr>",
        Dot(l), Esc(c.name), c.is_date ? "date" : num ? "numeric" : "categorical", d, F(d),
        num ? "KS" : "TVD",
        num && !c.is_date ? fmt::format("{:.4g}", c.wasserstein.value_or(0))
        : c.is_date      ? fmt::format("{:.4g} days", c.wasserstein.value_or(0))
                         : "",
        Pct(c.missing_real), Pct(c.missing_synthetic), c.distinct_real, c.distinct_synthetic,
        Esc(SynthesisChanges(c)));
  }
  h += "</tbody></table>";
  h += "<h3>Distributions</h3>";
  h += Legend({{kRealColor, "real"}, {kSynColor, "synthetic"}});
  h += "<div class=\"grid-charts\">";
  for (const auto& c : ev.columns) {
    const bool num = c.kind == ColumnKind::kNumeric;
    h += fmt::format("<figure><figcaption><b>{}</b> · {} {}</figcaption>{}</figure>", Esc(c.name),
                     num ? "KS" : "TVD", F(num ? c.ks.value_or(0) : c.tvd.value_or(0)),
                     HistogramSvg(c));
  }
  h += "</div>";
  const auto& a = ev.associations;
  if (a.columns.size() >= 2) {
    h += fmt::format(
        "<h3>{}Pairwise associations</h3><p class=\"note\">Pearson correlation for two numeric "
        "columns (−1…1), Cramér's V for two categorical columns (0…1), correlation ratio η for "
        "a numeric and a categorical column (0…1). Mean absolute difference {:.3f}, largest "
        "{:.3f}. Hover a cell for its value.</p>",
        Dot(verdict_of("fidelity.associations")), a.mean_abs_difference, a.max_abs_difference);
    h += Legend({{"#2b6cb0", "negative"}, {"#ffffff", "0"}, {"#c53030", "positive"}});
    h += "<div class=\"heatmaps\">";
    h += "<figure><figcaption><b>Real</b></figcaption>" +
         HeatmapSvg("heatmap-real", "Associations in the real data", a.columns, a.real, a.measure) +
         "</figure>";
    h += "<figure><figcaption><b>Synthetic</b></figcaption>" +
         HeatmapSvg("heatmap-synthetic", "Associations in the synthetic data", a.columns,
                    a.synthetic, a.measure) +
         "</figure>";
    h += "<figure><figcaption><b>Difference</b> (synthetic − real)</figcaption>" +
         HeatmapSvg("heatmap-difference", "Synthetic minus real association", a.columns,
                    a.difference, a.measure) +
         "</figure>";
    h += "</div>";
  }
  h += "</section>";

  // Utility.
  const auto& u = ev.utility;
  h += "<section id=\"utility\" class=\"card\"><h2>Utility: is it useful for analysis?</h2>";
  if (!u.computed) {
    h += fmt::format("<p>{}Not measured: {}.</p>", Dot(VerdictLevel::kInfo), Esc(u.skipped_reason));
  } else {
    h += fmt::format(
        "<p>{}A CART decision tree predicts <b>{}</b> ({}, {} classes) from {} other columns. "
        "It is trained once on {} real rows and once on {} synthetic rows, and both are tested "
        "on {}.</p>",
        Dot(verdict_of("utility")), Esc(u.target), Esc(u.task), u.classes.size(),
        u.features.size(), u.train_rows_real, u.train_rows_synthetic, Esc(u.test_set));
    h += Legend({{kRealColor, "trained on real"},
                 {kSynColor, "trained on synthetic"},
                 {"#4a5568", "dashed: always guess the most common class"}});
    h += "<figure>" + UtilitySvg(u) + "</figure>";
    h += "<table><thead><tr><th></th><th>accuracy</th><th>macro-F1</th><th>ROC AUC</th></tr>"
         "</thead><tbody>";
    h += fmt::format(
        "<tr><td>train real, test real</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"n\">{}</td></tr>",
        F(u.train_real.accuracy), F(u.train_real.macro_f1), F(u.train_real.auc));
    h += fmt::format(
        "<tr><td>train synthetic, test real</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
        "<td class=\"n\">{}</td></tr>",
        F(u.train_synthetic.accuracy), F(u.train_synthetic.macro_f1), F(u.train_synthetic.auc));
    h += fmt::format(
        "<tr><td>majority class</td><td class=\"n\">{}</td><td></td><td class=\"n\">0.500</td>"
        "</tr></tbody></table>",
        F(u.majority_baseline));
  }
  h += "</section>";

  // Privacy risk.
  const auto& p = ev.privacy;
  h += "<section id=\"privacy\" class=\"card\"><h2>Privacy risk: could it expose someone?</h2>";
  h += fmt::format(
      "<p class=\"note\">These are empirical attacks: passing them does not prove privacy, "
      "failing them shows a problem. Record distance: {}.</p>",
      Esc(p.distance));
  h += "<h3>Distance to the closest real record</h3>";
  h += p.holdout_to_train ? Legend({{kSynColor, "synthetic rows → training rows"},
                                    {kHoldColor, "holdout rows → training rows (baseline)"}})
                          : Legend({{kSynColor, "synthetic rows → real rows"}});
  h += "<figure>" + DcrSvg(p) + "</figure>";
  h += "<table><thead><tr><th>measure</th><th>value</th><th>what it means</th></tr></thead><tbody>";
  h += fmt::format(
      "<tr><td>synthetic → training: 5th percentile / median distance</td><td class=\"n\">{} / "
      "{}</td><td>Small distances mean synthetic rows sit on top of real ones.</td></tr>",
      F(p.synthetic_to_train.p05), F(p.synthetic_to_train.median));
  if (p.holdout_to_train) {
    h += fmt::format(
        "<tr><td>holdout → training: 5th percentile / median distance</td><td class=\"n\">{} / "
        "{}</td><td>The same for real rows the synthesizer never saw: the natural "
        "baseline.</td></tr>",
        F(p.holdout_to_train->p05), F(p.holdout_to_train->median));
  }
  if (p.closer_to_train_share) {
    h += fmt::format(
        "<tr><td>{}synthetic rows closer to training than to holdout</td><td class=\"n\">{}</td>"
        "<td>About 50% is ideal (training subsampled to the holdout's size).</td></tr>",
        Dot(verdict_of("privacy.dcr")), Pct(*p.closer_to_train_share));
  }
  if (p.membership_advantage) {
    h += fmt::format(
        "<tr><td>{}membership inference: advantage / AUC</td><td class=\"n\">{} / {}</td><td>"
        "{} members vs {} non-members; {}. Within chance below {}.</td></tr>",
        Dot(verdict_of("privacy.membership")), F(*p.membership_advantage),
        F(p.membership_auc.value_or(0.5)), p.membership_members, p.membership_non_members,
        Esc(p.membership_note), F(p.membership_chance_level.value_or(0)));
  } else {
    h += fmt::format(
        "<tr><td>{}membership inference</td><td>not measured</td><td>{}</td></tr>",
        Dot(VerdictLevel::kInfo), Esc(p.membership_note));
  }
  if (p.attribute_computed) {
    std::string qis;
    for (const auto& q : p.quasi_identifiers) qis += (qis.empty() ? "" : ", ") + q;
    h += fmt::format(
        "<tr><td>{}attribute inference on '{}'</td><td class=\"n\">advantage {}</td><td>A tree "
        "trained on synthetic rows predicts it from {}: accuracy {} on training rows{}; "
        "majority-class guess {}.</td></tr>",
        Dot(verdict_of("privacy.attribute")), Esc(p.sensitive), F(p.attribute_advantage),
        Esc(Trunc(qis, 200)), F(p.attribute_accuracy_train),
        p.attribute_accuracy_holdout
            ? fmt::format(", {} on holdout rows", F(*p.attribute_accuracy_holdout))
            : std::string(" (no holdout: advantage is over the majority-class guess)"),
        F(p.attribute_baseline));
  } else {
    h += fmt::format("<tr><td>{}attribute inference</td><td>not measured</td><td>{}</td></tr>",
                     Dot(VerdictLevel::kInfo), Esc(p.attribute_skipped_reason));
  }
  h += fmt::format(
      "<tr><td>{}exact copies of real rows</td><td class=\"n\">{} of {}</td><td>{}</td></tr>",
      Dot(verdict_of("privacy.exact")), p.exact_matches, p.synthetic_rows,
      p.holdout_exact_matches
          ? fmt::format("Baseline: {} of {} holdout rows equal a training row.",
                        *p.holdout_exact_matches, p.holdout_rows)
          : std::string("Whole synthetic rows identical to a real row."));
  h += fmt::format(
      "<tr><td>{}rare or identifying values replayed beyond chance</td><td class=\"n\">{}"
      "</td><td>{} replayed in all, in {} synthetic rows; chance = the rate of holdout values "
      "(never seen by the synthesizer)</td></tr>",
      Dot(verdict_of("privacy.pii_replay")), p.excess_replayed, p.replayed_values, p.replay_rows);
  h += "</tbody></table>";
  if (!p.replay.empty()) {
    h += "<h3>Replay by column</h3><table class=\"sortable\" id=\"replay-table\"><thead><tr>"
         "<th>column</th><th>checked</th><th>real values checked</th><th>found in synthetic</th>"
         "<th>chance baseline (holdout values found)</th>"
         "<th>examples (masked)</th></tr></thead><tbody>";
    for (const auto& r : p.replay) {
      std::string ex;
      for (const auto& e : r.examples) ex += (ex.empty() ? "" : ", ") + e;
      std::string base = r.holdout_candidates > 0
                             ? fmt::format("{} of {} (expected here: {:.0f})", r.holdout_replayed,
                                           r.holdout_candidates, r.expected)
                             : std::string("n/a");
      h += fmt::format(
          "<tr><td>{}</td><td>{}</td><td class=\"n\" data-v=\"{}\">{}</td><td class=\"n\" "
          "data-v=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
          Esc(r.column), Esc(r.reason), r.candidates, r.candidates, r.replayed, r.replayed,
          Esc(base), Esc(ex));
    }
    h += "</tbody></table>";
  }
  h += "</section>";

  // Glossary.
  h += R"(<section id="glossary" class="card"><h2>How to read this report</h2><dl class="gloss">
<dt>ε (epsilon), δ (delta), privacy unit</dt><dd>Differential privacy bounds how much the synthetic data can change when one privacy unit (one row, or all rows of one person) is added or removed: by a factor e^ε, except with probability δ. Smaller is more private. This is the only formal guarantee on the page.</dd>
<dt>Total variation distance (TVD)</dt><dd>Share of rows that would have to change category to make the synthetic column match the real one. 0 = identical, 1 = no overlap. Green ≤ 0.1, amber ≤ 0.25.</dd>
<dt>Kolmogorov-Smirnov (KS), Wasserstein</dt><dd>KS: largest gap between the real and synthetic cumulative distributions of a numeric column (0…1, same colours as TVD). Wasserstein: average distance values must move, in the column's own units.</dd>
<dt>k-marginal score</dt><dd>NIST SDNist's score: 1000 × (1 − mean TVD) over combinations of k columns (3 by default). Green ≥ 900, amber ≥ 700.</dd>
<dt>Associations</dt><dd>Pearson correlation, Cramér's V and correlation ratio η measure how strongly two columns go together. Green if the mean absolute real–synthetic difference ≤ 0.05, amber ≤ 0.15.</dd>
<dt>Train on synthetic, test on real</dt><dd>If a model trained on synthetic data scores nearly as well on real data as one trained on real data, the synthetic data is useful for that task. Green if the accuracy and AUC gaps ≤ 0.03, amber ≤ 0.10.</dd>
<dt>Distance to closest record (DCR)</dt><dd>How near each synthetic row is to its most similar real row, compared with how near unseen real (holdout) rows are. Green if ≤ 55% of synthetic rows are closer to training than holdout rows, amber ≤ 65%.</dd>
<dt>Membership inference</dt><dd>An attacker guesses whether a person was in the training data from how close they are to a synthetic row. Advantage = true-positive rate − false-positive rate at the best threshold (0 = coin flip, 1 = always right). Green within chance, amber ≤ 0.2.</dd>
<dt>Attribute inference</dt><dd>An attacker who knows some of a person's columns uses the synthetic data to guess a sensitive one. Advantage = how much better the guess is for training rows than for unseen rows. Green ≤ 0.02, amber ≤ 0.05.</dd>
<dt>Exact copies and replay</dt><dd>Synthetic rows identical to a real row, and rare or identifying real values (emails, names, values seen once) reappearing verbatim.</dd>
</dl></section>)";
  h += "</main><script>";
  h += kScript;
  h += "</script></body></html>\n";
  return h;
}

}  // namespace dpkit::report
