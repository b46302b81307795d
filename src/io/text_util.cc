#include "io/text_util.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "zlib.h"

namespace dpkit::io {
namespace internal {

int64_t FirstInvalidUtf8(const char* data, size_t n) {
  const auto* s = reinterpret_cast<const unsigned char*>(data);
  size_t i = 0;
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      uint64_t w;
      std::memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return static_cast<int64_t>(i);  // continuation byte, overlong 2-byte lead, or > F4
    }
    if (i + len > n) return static_cast<int64_t>(i);
    for (int k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return static_cast<int64_t>(i);
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return static_cast<int64_t>(i);
    }
    i += len;
  }
  return -1;
}

int64_t LineOfOffset(std::string_view data, int64_t offset) {
  offset = std::clamp<int64_t>(offset, 0, static_cast<int64_t>(data.size()));
  return 1 + std::count(data.begin(), data.begin() + offset, '\n');
}

std::string QuoteForMessage(std::string_view value) {
  constexpr size_t kMax = 60;
  bool cut = false;
  if (value.size() > kMax) {
    size_t end = kMax;
    while (end > 0 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) --end;
    value = value.substr(0, end);
    cut = true;
  }
  std::string out = "'";
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  if (cut) out += "...";
  out += "'";
  return out;
}

}  // namespace internal

absl::StatusOr<std::string> MaybeGunzip(std::string data, std::string_view source) {
  if (data.size() < 2 || static_cast<unsigned char>(data[0]) != 0x1f ||
      static_cast<unsigned char>(data[1]) != 0x8b) {
    return data;
  }
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 15 + 16) != Z_OK) {
    return absl::InternalError("zlib inflateInit2 failed");
  }
  std::string out;
  out.resize(std::max<size_t>(data.size() * 4, 1 << 16));
  size_t in_pos = 0;
  size_t out_pos = 0;
  const std::string src(source);
  while (true) {
    zs.next_in = reinterpret_cast<Bytef*>(data.data() + in_pos);
    const size_t in_avail = std::min<size_t>(data.size() - in_pos, 1u << 30);
    zs.avail_in = static_cast<uInt>(in_avail);
    if (out_pos == out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + out_pos);
    const size_t out_avail = std::min<size_t>(out.size() - out_pos, 1u << 30);
    zs.avail_out = static_cast<uInt>(out_avail);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    in_pos += in_avail - zs.avail_in;
    out_pos += out_avail - zs.avail_out;
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (files made by concatenation, or pigz/bgzip).
      size_t rest = data.size() - in_pos;
      if (rest == 0) break;
      if (rest >= 2 && static_cast<unsigned char>(data[in_pos]) == 0x1f &&
          static_cast<unsigned char>(data[in_pos + 1]) == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      bool zeros = std::all_of(data.begin() + in_pos, data.end(), [](char c) { return c == 0; });
      if (zeros) break;
      inflateEnd(&zs);
      return DataError(absl::StrCat(src, ": unexpected data after the end of the gzip stream (at ",
                                    "compressed byte ", in_pos, "); the file may be corrupt"));
    }
    if (rc == Z_BUF_ERROR && in_pos == data.size() && zs.avail_out != 0) {
      inflateEnd(&zs);
      return DataError(absl::StrCat(src, ": truncated gzip file (ends after ", out_pos,
                                    " decompressed bytes); re-copy or re-compress it"));
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      std::string msg = zs.msg != nullptr ? zs.msg : "unknown error";
      inflateEnd(&zs);
      return DataError(absl::StrCat(src, ": corrupt gzip data (", msg, ") after ", out_pos,
                                    " decompressed bytes; re-copy or re-compress the file"));
    }
  }
  inflateEnd(&zs);
  out.resize(out_pos);
  return out;
}

}  // namespace dpkit::io
