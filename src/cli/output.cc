#include "cli/output.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>

namespace dpkit::cli {
namespace {

bool LooksNumeric(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}

// Display width of UTF-8 text (code points; good enough for aligned output).
size_t Width(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}

std::string QuoteCsv(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos && !s.empty() && s.front() != ' ' &&
      s.back() != ' ') {
    return s;
  }
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

}  // namespace

void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w(header.size(), 0);
  for (size_t c = 0; c < header.size(); ++c) w[c] = Width(header[c]);
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size() && c < w.size(); ++c) w[c] = std::max(w[c], Width(r[c]));
  }
  auto cell = [&](const std::string& s, size_t c, bool right) {
    std::string pad(w[c] - std::min(w[c], Width(s)), ' ');
    out << (right ? pad + s : s + pad);
  };
  for (size_t c = 0; c < header.size(); ++c) {
    if (c) out << "  ";
    cell(header[c], c, false);
  }
  out << "\n";
  for (size_t c = 0; c < header.size(); ++c) {
    if (c) out << "  ";
    out << std::string(w[c], '-');
  }
  out << "\n";
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size() && c < w.size(); ++c) {
      if (c) out << "  ";
      cell(r[c], c, LooksNumeric(r[c]));
    }
    out << "\n";
  }
}

void PrintCsv(std::ostream& out, const std::vector<std::string>& header,
              const std::vector<std::vector<std::string>>& rows) {
  for (size_t c = 0; c < header.size(); ++c) out << (c ? "," : "") << QuoteCsv(header[c]);
  out << "\n";
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size(); ++c) out << (c ? "," : "") << QuoteCsv(r[c]);
    out << "\n";
  }
}

std::string FormatNumber(double v, int digits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    return buf;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*g", digits, v);
  return buf;
}

}  // namespace dpkit::cli
