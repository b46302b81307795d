// Small UTF-8 and ASCII helpers shared by the pii sources. Private to the module.
#ifndef DPKIT_SRC_PII_TEXT_UTIL_H_
#define DPKIT_SRC_PII_TEXT_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dpkit::pii::internal {

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAsciiAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool IsAsciiLower(char c) { return c >= 'a' && c <= 'z'; }
inline bool IsAsciiAlnum(char c) { return IsDigit(c) || IsAsciiAlpha(c); }
inline bool IsHex(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
inline char ToLower(char c) { return IsAsciiUpper(c) ? static_cast<char>(c + 32) : c; }
inline char ToUpper(char c) { return IsAsciiLower(c) ? static_cast<char>(c - 32) : c; }

std::string AsciiLower(std::string_view s);
std::string_view Trim(std::string_view s);

// Decodes the UTF-8 code point at s[i]; sets *len to its byte length (1 for invalid bytes).
char32_t DecodeAt(std::string_view s, size_t i, size_t* len);
// Code point before s[i] (i > 0); sets *len.
char32_t DecodeBefore(std::string_view s, size_t i, size_t* len);
// Letters of the Latin, Greek and Cyrillic scripts (and ASCII).
bool IsLetter(char32_t cp);
bool IsUpperLetter(char32_t cp);
bool IsLowerLetter(char32_t cp);
// A "word character": ASCII alnum or any non-ASCII letter.
bool IsWordChar(char32_t cp);
// True if s[i] starts a word: i == 0 or the code point before is not a word character.
bool WordBoundaryBefore(std::string_view s, size_t i);
// True if s[i] (the position just past a token) is the end of a word.
bool WordBoundaryAfter(std::string_view s, size_t i);
// True if any of `needles` (lower case) occurs in the lower-cased s[max(0,pos-window), pos).
bool ContextBefore(std::string_view s, size_t pos, size_t window,
                   std::initializer_list<std::string_view> needles);
bool ContextAfter(std::string_view s, size_t pos, size_t window,
                  std::initializer_list<std::string_view> needles);

}  // namespace dpkit::pii::internal

#endif  // DPKIT_SRC_PII_TEXT_UTIL_H_
