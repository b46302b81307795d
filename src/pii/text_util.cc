#include "pii/text_util.h"

namespace dpkit::pii::internal {

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

char32_t DecodeAt(std::string_view s, size_t i, size_t* len) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  *len = 1;
  if (c < 0x80) return c;
  int n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0xFFFD;
  char32_t cp = c & (0xFF >> (n + 1));
  for (int k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  *len = n;
  return cp;
}

char32_t DecodeBefore(std::string_view s, size_t i, size_t* len) {
  size_t j = i - 1;
  while (j > 0 && i - j < 4 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) --j;
  size_t l = 0;
  char32_t cp = DecodeAt(s, j, &l);
  if (j + l != i) {
    *len = 1;
    return 0xFFFD;
  }
  *len = l;
  return cp;
}

bool IsUpperLetter(char32_t cp) {
  if (cp < 0x80) return cp >= 'A' && cp <= 'Z';
  if (cp >= 0xC0 && cp <= 0xDE) return cp != 0xD7;
  if (cp >= 0x100 && cp <= 0x17F) {
    // Latin Extended-A alternates upper/lower, with the parity flipping at 0x139-0x148 and
    // 0x179-0x17E.
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return cp % 2 == 1;
    return cp % 2 == 0;
  }
  if (cp >= 0x391 && cp <= 0x3A9) return true;  // Greek capitals
  if (cp >= 0x400 && cp <= 0x42F) return true;  // Cyrillic capitals
  return false;
}

bool IsLetter(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
  if (cp >= 0xC0 && cp <= 0x24F) return cp != 0xD7 && cp != 0xF7;
  if (cp >= 0x370 && cp <= 0x3FF) return true;
  if (cp >= 0x400 && cp <= 0x4FF) return true;
  if (cp >= 0x1E00 && cp <= 0x1EFF) return true;
  return false;
}

bool IsLowerLetter(char32_t cp) { return IsLetter(cp) && !IsUpperLetter(cp); }

bool IsWordChar(char32_t cp) { return (cp < 0x80 && IsAsciiAlnum(static_cast<char>(cp))) || IsLetter(cp); }

bool WordBoundaryBefore(std::string_view s, size_t i) {
  if (i == 0) return true;
  size_t len = 0;
  return !IsWordChar(DecodeBefore(s, i, &len));
}

bool WordBoundaryAfter(std::string_view s, size_t i) {
  if (i >= s.size()) return true;
  size_t len = 0;
  return !IsWordChar(DecodeAt(s, i, &len));
}

namespace {
bool ContainsAny(const std::string& hay, std::initializer_list<std::string_view> needles) {
  for (auto n : needles) {
    if (hay.find(n) != std::string::npos) return true;
  }
  return false;
}
}  // namespace

bool ContextBefore(std::string_view s, size_t pos, size_t window,
                   std::initializer_list<std::string_view> needles) {
  size_t from = pos > window ? pos - window : 0;
  return ContainsAny(AsciiLower(s.substr(from, pos - from)), needles);
}

bool ContextAfter(std::string_view s, size_t pos, size_t window,
                  std::initializer_list<std::string_view> needles) {
  if (pos >= s.size()) return false;
  return ContainsAny(AsciiLower(s.substr(pos, window)), needles);
}

}  // namespace dpkit::pii::internal
