// Shortest round-trip text of a finite double, in plain decimal notation for magnitudes in
// [1e-5, 1e16) ("100000", "0.25") and scientific notation outside it ("1e+20"). std::to_chars's
// default shortest form would write 100000 as "1e+05", which spreadsheets and people misread.
#ifndef DPKIT_IO_NUMBER_FORMAT_H_
#define DPKIT_IO_NUMBER_FORMAT_H_

#include <charconv>
#include <cmath>

namespace dpkit::io::internal {

// Writes into [first, last) (at least 32 chars); returns the end of the text.
inline char* FormatFiniteDouble(char* first, char* last, double v) {
  const double a = std::fabs(v);
  if (a == 0 || (a >= 1e-5 && a < 1e16)) {
    return std::to_chars(first, last, v, std::chars_format::fixed).ptr;
  }
  return std::to_chars(first, last, v).ptr;
}

}  // namespace dpkit::io::internal

#endif  // DPKIT_IO_NUMBER_FORMAT_H_
