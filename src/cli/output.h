// Shared CLI output helpers: aligned text tables, CSV and JSON for result rows, and number
// formatting.
#ifndef DPKIT_SRC_CLI_OUTPUT_H_
#define DPKIT_SRC_CLI_OUTPUT_H_

#include <iosfwd>
#include <string>
#include <vector>

namespace dpkit::cli {

// Prints rows as an aligned table with a header rule. Cells that look numeric are
// right-aligned.
void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);
// RFC 4180 CSV.
void PrintCsv(std::ostream& out, const std::vector<std::string>& header,
              const std::vector<std::vector<std::string>>& rows);
// Shortest representation with at most `digits` significant digits ("12.3457", "1e-06").
std::string FormatNumber(double v, int digits = 6);

}  // namespace dpkit::cli

#endif  // DPKIT_SRC_CLI_OUTPUT_H_
