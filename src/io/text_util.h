// Private helpers of the io module: UTF-8 validation, gzip, message formatting.
#ifndef DPKIT_SRC_IO_TEXT_UTIL_H_
#define DPKIT_SRC_IO_TEXT_UTIL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dpkit::io::internal {

// Offset of the first byte that is not part of a valid UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or -1 if all of [data, data+n) is
// valid. ASCII runs are checked 8 bytes at a time.
int64_t FirstInvalidUtf8(const char* data, size_t n);

// 1-based line number of byte `offset` in `data` (counts '\n' before it).
int64_t LineOfOffset(std::string_view data, int64_t offset);

// A cell value for an error message: at most 60 bytes (cut at a UTF-8 boundary, "..." added),
// control characters shown as \xNN.
std::string QuoteForMessage(std::string_view value);

}  // namespace dpkit::io::internal

#endif  // DPKIT_SRC_IO_TEXT_UTIL_H_
