// CSV reader: see dpkit/io/csv.h for the contract.
//
// Structure:
//   1. Decompress (gzip), strip the BOM, skip lines, read the header.
//   2. Split the body into record-aligned chunks, one per thread: a chunk boundary is the first
//      line break after a raw split point that lies outside quotes; whether a position is inside
//      quotes follows from the parity of the quote characters before it (in well-formed CSV every
//      quote opens, closes or is half of an escaped pair). If the input is malformed before a
//      split point, the chunk that contains the first malformation still starts at a true
//      record boundary and reports it exactly as a serial parse would; later chunks may report
//      other errors, but the earliest chunk's error wins.
//   3. Validate UTF-8 and parse each chunk into typed column buffers. Columns without a declared
//      type are inferred per chunk: int64 widens to double in place (exact: converting the
//      parsed int64 rounds like parsing the text as double); any other widening (to string)
//      needs the original text, so the chunk stops storing, only scans the remaining values'
//      types, and is parsed again with the final types.
//   4. Merge: join the chunks' types, re-parse chunks whose types disagree with the join,
//      concatenate, merge string dictionaries (declared categories first, then first
//      appearance in file order).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "dpkit/base/status.h"
#include "dpkit/io/csv.h"
#include "fast_float/fast_float.h"
#include "io/text_util.h"

namespace dpkit::io {
namespace {

using internal::QuoteForMessage;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Inference lattice: unknown < {bool, int64 < double, date} < string.
enum class Kind : uint8_t { kUnknown, kBool, kInt64, kDouble, kDate, kString };

Kind Join(Kind a, Kind b) {
  if (a == b) return a;
  if (a == Kind::kUnknown) return b;
  if (b == Kind::kUnknown) return a;
  if ((a == Kind::kInt64 && b == Kind::kDouble) || (a == Kind::kDouble && b == Kind::kInt64)) {
    return Kind::kDouble;
  }
  return Kind::kString;
}

Kind KindOf(DataType t) {
  switch (t) {
    case DataType::kInt64:
      return Kind::kInt64;
    case DataType::kDouble:
      return Kind::kDouble;
    case DataType::kString:
      return Kind::kString;
    case DataType::kDate:
      return Kind::kDate;
    case DataType::kBool:
      return Kind::kBool;
  }
  return Kind::kString;
}

bool UsesInts(Kind k) { return k == Kind::kBool || k == Kind::kInt64 || k == Kind::kDate; }

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

inline bool EqualsIgnoreCase(const char* b, const char* e, const char* lit) {
  const size_t n = std::strlen(lit);
  if (static_cast<size_t>(e - b) != n) return false;
  for (size_t i = 0; i < n; ++i) {
    char c = b[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lit[i]) return false;
  }
  return true;
}

// Parses a whole int64; *overflow set if it is an integer literal out of range.
inline bool ParseInt64(const char* b, const char* e, int64_t* v, bool* overflow) {
  if (b < e && *b == '+') {
    ++b;
    if (b == e || !IsDigit(*b)) return false;
  }
  auto r = std::from_chars(b, e, *v);
  if (r.ec == std::errc::result_out_of_range) {
    *overflow = r.ptr == e;
    return false;
  }
  return r.ec == std::errc() && r.ptr == e;
}

inline bool ParseDouble(const char* b, const char* e, double* v) {
  if (b < e && *b == '+') {
    ++b;
    if (b == e || *b == '-' || *b == '+') return false;
  }
  if (b == e) return false;
  auto r = fast_float::from_chars(b, e, *v);
  return r.ec == std::errc() && r.ptr == e;
}

// Declared bools also accept 1/0.
inline bool ParseBool(const char* b, const char* e, bool declared, int64_t* v) {
  if (EqualsIgnoreCase(b, e, "true")) {
    *v = 1;
    return true;
  }
  if (EqualsIgnoreCase(b, e, "false")) {
    *v = 0;
    return true;
  }
  if (declared && e - b == 1 && (*b == '0' || *b == '1')) {
    *v = *b - '0';
    return true;
  }
  return false;
}

// "007", "-01.5": numbers with a redundant leading zero stay strings when inferred (zip codes,
// identifiers), so their text is never changed.
inline bool HasLeadingZero(const char* b, const char* e) {
  if (b < e && (*b == '+' || *b == '-')) ++b;
  return e - b >= 2 && b[0] == '0' && IsDigit(b[1]);
}

Kind ValueKind(const char* b, const char* e) {
  if (b == e) return Kind::kString;
  int64_t iv;
  if (ParseBool(b, e, false, &iv)) return Kind::kBool;
  if (HasLeadingZero(b, e)) return Kind::kString;
  bool overflow = false;
  if (ParseInt64(b, e, &iv, &overflow)) return Kind::kInt64;
  if (overflow) return Kind::kString;
  double dv;
  if (ParseDouble(b, e, &dv)) return Kind::kDouble;
  if (ParseDate(std::string_view(b, e - b), &iv)) return Kind::kDate;
  return Kind::kString;
}

struct SlotConfig {
  std::string name;
  bool declared = false;  // type from the schema: a mismatch is a data error
  Kind kind = Kind::kUnknown;
  bool nullable = true;
};

struct ParseConfig {
  char delim = ',';
  bool trim = true;
  bool trim_space = true;
  bool trim_tab = true;
  std::vector<std::string> null_tokens;
  bool empty_is_null = false;
  bool has_text_tokens = false;
  bool fast_numbers = true;  // no null token reads as a number
  NullPolicy policy = NullPolicy::kNull;
  bool allow_non_finite = false;
  // CsvReadOptions::private_data: a cell that does not parse under its declared type is NULL
  // (a NULL in a non-nullable column drops the row); redact: messages carry no cell text.
  bool private_data = false;
  bool redact = false;
  int ncols = 0;
  std::vector<int> slot_of_field;  // file field -> output slot or -1
  std::vector<SlotConfig> slots;
  int64_t max_rows = -1;
  bool special[256] = {};
  const char* data_begin = nullptr;  // for offsets
};

struct ColBuf {
  Kind kind = Kind::kUnknown;
  bool fixed = false;  // no widening (declared, or forced in the second pass)
  Kind scan_kind = Kind::kUnknown;
  std::vector<int64_t> ints;
  std::vector<double> dbls;
  std::vector<int32_t> codes;
  std::vector<uint8_t> valid;  // empty until the first null, then one byte per value
  int64_t n = 0;               // values appended
  bool has_null = false;
  absl::flat_hash_map<std::string_view, int32_t> dict_index;
  std::vector<std::string_view> dict;
  int64_t nonfinite_offset = -1;
  std::string nonfinite_text;
};

struct ChunkResult {
  std::vector<ColBuf> cols;
  std::deque<std::string> arena;  // unescaped quoted strings (stable addresses)
  int64_t records = 0;            // data records seen (including dropped)
  int64_t kept = 0;
  int64_t dropped = 0;
  bool scanning = false;  // needs a second pass
  int64_t error_offset = -1;
  std::string error;  // "column 'x': ..." or record-level text; prefixed later
  int64_t utf8_error = -1;
};

class ChunkParser {
 public:
  ChunkParser(const ParseConfig& cfg, ChunkResult* out) : cfg_(cfg), out_(out) {}

  // Parses [b, e). `forced` (second pass): the kind of every slot, no widening.
  // `reserve_bytes`: how much input the column buffers should be sized for (the first chunk
  // is sized for the whole body so that the merge can keep its buffers and only append).
  void Run(const char* b, const char* e, const std::vector<Kind>* forced, size_t reserve_bytes) {
    out_->cols.assign(cfg_.slots.size(), ColBuf());
    for (size_t s = 0; s < cfg_.slots.size(); ++s) {
      ColBuf& c = out_->cols[s];
      if (cfg_.slots[s].declared) {
        c.kind = cfg_.slots[s].kind;
        c.fixed = true;
      } else if (forced != nullptr) {
        c.kind = (*forced)[s];
        c.fixed = true;
      }
    }
    // Reserve from the line density of the first MB (avoids regrowth and page-fault churn).
    const size_t probe = std::min<size_t>(static_cast<size_t>(e - b), size_t{1} << 20);
    if (probe > 0) {
      const int64_t lines = std::count(b, b + probe, '\n') + 1;
      est_rows_ =
          static_cast<int64_t>(static_cast<double>(reserve_bytes) / probe * lines * 1.02) + 16;
      if (cfg_.max_rows >= 0) est_rows_ = std::min(est_rows_, cfg_.max_rows);
      for (ColBuf& c : out_->cols) Reserve(c);
    }
    Parse(b, e);
  }

 private:
  bool Error(const char* at, std::string msg) {
    out_->error_offset = at - cfg_.data_begin;
    out_->error = std::move(msg);
    return false;
  }
  std::string ColPrefix(int slot) const {
    return absl::StrCat("column '", cfg_.slots[slot].name, "': ");
  }
  // A cell's text for an error message, or nothing when the file holds private data.
  std::string Shown(std::string_view text) const {
    return cfg_.redact ? std::string("a value") : QuoteForMessage(text);
  }
  // Private data: a cell that is missing or does not parse becomes NULL; in a non-nullable
  // column the row is dropped (a per-row rule, so one unit's cells affect only its own rows).
  bool NullInPrivateData(int slot, bool* row_null) {
    ColBuf& c = out_->cols[slot];
    if (!cfg_.slots[slot].nullable) *row_null = true;
    if (c.valid.empty()) c.valid.assign(static_cast<size_t>(c.n), 1);
    c.valid.push_back(0);
    ++c.n;
    c.has_null = true;
    AppendPlaceholder(c);
    return true;
  }

  bool IsNullToken(const char* b, const char* e) const {
    if (b == e) return cfg_.empty_is_null;
    if (!cfg_.has_text_tokens) return false;
    const size_t n = static_cast<size_t>(e - b);
    for (const std::string& t : cfg_.null_tokens) {
      if (t.size() == n && std::memcmp(t.data(), b, n) == 0) return true;
    }
    return false;
  }

  void Reserve(ColBuf& c) const {
    const size_t n = static_cast<size_t>(est_rows_);
    if (UsesInts(c.kind)) {
      c.ints.reserve(n);
    } else if (c.kind == Kind::kDouble) {
      c.dbls.reserve(n);
    } else if (c.kind == Kind::kString) {
      c.codes.reserve(n);
    }
  }

  static void MarkValid(ColBuf& c) {
    if (!c.valid.empty()) c.valid.push_back(1);
    ++c.n;
  }

  static void AppendPlaceholder(ColBuf& c) {
    if (UsesInts(c.kind)) {
      c.ints.push_back(0);
    } else if (c.kind == Kind::kDouble) {
      c.dbls.push_back(kNaN);
    } else if (c.kind == Kind::kString) {
      c.codes.push_back(-1);
    }
  }

  // Sets the kind of a column that was unknown (nulls only so far).
  void SetKind(ColBuf& c, Kind k) {
    c.kind = k;
    Reserve(c);
    const size_t n = static_cast<size_t>(c.n);
    if (UsesInts(k)) {
      c.ints.assign(n, 0);
    } else if (k == Kind::kDouble) {
      c.dbls.assign(n, kNaN);
    } else if (k == Kind::kString) {
      c.codes.assign(n, -1);
    }
  }

  void WidenToDouble(ColBuf& c) {
    c.dbls.reserve(static_cast<size_t>(est_rows_));
    c.dbls.resize(c.ints.size());
    for (size_t i = 0; i < c.ints.size(); ++i) {
      c.dbls[i] = (c.valid.empty() || c.valid[i]) ? static_cast<double>(c.ints[i]) : kNaN;
    }
    c.ints.clear();
    c.ints.shrink_to_fit();
    c.kind = Kind::kDouble;
  }

  void StartScanning() {
    out_->scanning = true;
    for (ColBuf& c : out_->cols) c.scan_kind = c.kind;
  }

  void AppendString(ColBuf& c, const char* b, const char* e, bool escaped) {
    std::string_view key(b, static_cast<size_t>(e - b));
    if (escaped) {
      // Look up the unescaped value ("" -> "); only new values are copied to the arena.
      scratch_.clear();
      for (const char* p = b; p < e; ++p) {
        scratch_.push_back(*p);
        if (*p == '"') ++p;  // skip the second quote of a pair
      }
      key = scratch_;
    }
    auto it = c.dict_index.find(key);
    if (it == c.dict_index.end()) {
      if (escaped) {
        out_->arena.push_back(scratch_);
        key = out_->arena.back();
      }
      it = c.dict_index.emplace(key, static_cast<int32_t>(c.dict.size())).first;
      c.dict.push_back(key);
    }
    c.codes.push_back(it->second);
  }

  // Position after the field's terminator, or nullptr to take the general path.
  inline const char* FastNumber(int slot, const char* p, const char* e, bool* eol) {
    ColBuf& c = out_->cols[slot];
    if (out_->scanning && !c.fixed) return nullptr;
    const char* q = p;
    if (c.kind == Kind::kInt64) {
      const bool neg = q < e && *q == '-';
      q += neg;
      const char* digits = q;
      uint64_t v = 0;
      while (q < e && static_cast<unsigned char>(*q - '0') < 10) {
        v = v * 10 + static_cast<unsigned>(*q - '0');
        ++q;
      }
      const ptrdiff_t nd = q - digits;
      if (nd == 0 || nd > 18 || (digits[0] == '0' && nd > 1)) return nullptr;
      const char* next = Terminator(q, e, eol);
      if (next == nullptr) return nullptr;
      c.ints.push_back(neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v));
      MarkValid(c);
      return next;
    }
    if (c.kind == Kind::kDouble) {
      const bool neg = q < e && *q == '-';
      q += neg;
      const char* start = q;
      uint64_t m = 0;
      int nd = 0;
      while (q < e && static_cast<unsigned char>(*q - '0') < 10) {
        m = m * 10 + static_cast<unsigned>(*q - '0');
        ++q;
        ++nd;
      }
      const int int_digits = nd;
      if (int_digits >= 2 && start[0] == '0') return nullptr;  // leading zero: general path
      int frac = 0;
      if (q < e && *q == '.') {
        ++q;
        while (q < e && static_cast<unsigned char>(*q - '0') < 10) {
          m = m * 10 + static_cast<unsigned>(*q - '0');
          ++q;
          ++nd;
          ++frac;
        }
      }
      double v;
      const char* end;
      if (nd > 0 && nd <= 15 && !(q < e && (*q == 'e' || *q == 'E'))) {
        // Clinger's fast path: m < 10^15 < 2^53 and 10^frac (frac <= 15) are exact doubles, so
        // one IEEE division rounds correctly -- the same value fast_float/strtod return.
        static constexpr double kPow10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                              1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
        v = static_cast<double>(m) / kPow10[frac];
        if (neg) v = -v;
        end = q;
      } else {
        auto r = fast_float::from_chars(p, e, v);
        if (r.ec != std::errc() || r.ptr == p || !std::isfinite(v)) return nullptr;
        end = r.ptr;
      }
      const char* next = Terminator(end, e, eol);
      if (next == nullptr) return nullptr;
      c.dbls.push_back(v);
      MarkValid(c);
      return next;
    }
    return nullptr;
  }

  // If `q` is at a field end (delimiter, LF, CRLF, end of input), the position after it.
  inline const char* Terminator(const char* q, const char* e, bool* eol) const {
    if (q == e) {
      *eol = true;
      return q;
    }
    const char ch = *q;
    if (ch == cfg_.delim) return q + 1;
    if (ch == '\n') {
      *eol = true;
      return q + 1;
    }
    if (ch == '\r' && (q + 1 == e || q[1] == '\n')) {
      *eol = true;
      return q + 1 == e ? q + 1 : q + 2;
    }
    return nullptr;
  }

  // Returns false on a (regular) error.
  bool HandleField(int slot, const char* fs, const char* b, const char* e, bool quoted,
                   bool escaped, bool* row_null) {
    ColBuf& c = out_->cols[slot];
    const SlotConfig& sc = cfg_.slots[slot];
    if (!quoted && IsNullToken(b, e)) {
      if (!sc.nullable && cfg_.private_data) return NullInPrivateData(slot, row_null);
      if (!sc.nullable) {
        return Error(fs, absl::StrCat(ColPrefix(slot), "missing value ",
                                      Shown(std::string_view(b, e - b)),
                                      " but the schema declares the column \"nullable\": false; "
                                      "fill in the value or make the column nullable"));
      }
      if (cfg_.policy == NullPolicy::kError) {
        return Error(fs, absl::StrCat(ColPrefix(slot), "missing value ",
                                      Shown(std::string_view(b, e - b)),
                                      " (null policy is 'error'); fill in the value or choose "
                                      "null policy 'null' or 'drop'"));
      }
      if (cfg_.policy == NullPolicy::kDropRow) *row_null = true;
      if (out_->scanning && !c.fixed) return true;
      if (c.valid.empty()) c.valid.assign(static_cast<size_t>(c.n), 1);
      c.valid.push_back(0);
      ++c.n;
      c.has_null = true;
      AppendPlaceholder(c);
      return true;
    }
    if (out_->scanning && !c.fixed) {
      if (c.scan_kind != Kind::kString) c.scan_kind = Join(c.scan_kind, ValueKind(b, e));
      return true;
    }
    if (c.kind == Kind::kUnknown) SetKind(c, ValueKind(b, e));
    switch (c.kind) {
      case Kind::kString:
        AppendString(c, b, e, escaped);
        MarkValid(c);
        return true;
      case Kind::kInt64: {
        int64_t v;
        bool overflow = false;
        if (ParseInt64(b, e, &v, &overflow) && (c.fixed || !HasLeadingZero(b, e))) {
          c.ints.push_back(v);
          MarkValid(c);
          return true;
        }
        if (c.fixed) {
          double dv;
          const char* why = overflow ? " (outside the int64 range)"
                            : ParseDouble(b, e, &dv) ? " (not an integer)"
                                                     : "";
          return TypeError(slot, fs, b, e, "int64", why, row_null);
        }
        const Kind vk = ValueKind(b, e);
        if (Join(Kind::kInt64, vk) == Kind::kDouble) {
          WidenToDouble(c);
          return HandleField(slot, fs, b, e, quoted, escaped, row_null);
        }
        StartScanning();
        c.scan_kind = Kind::kString;
        return true;
      }
      case Kind::kDouble: {
        double v;
        if (ParseDouble(b, e, &v) && (c.fixed || !HasLeadingZero(b, e))) {
          if (!std::isfinite(v)) {
            if (sc.declared && !cfg_.allow_non_finite) {
              if (cfg_.private_data) return NullInPrivateData(slot, row_null);
              return Error(fs, absl::StrCat(ColPrefix(slot), "non-finite value ",
                                            Shown(std::string_view(b, e - b)),
                                            NonFiniteHint()));
            }
            if (!sc.declared && c.nonfinite_offset < 0) {
              c.nonfinite_offset = fs - cfg_.data_begin;
              c.nonfinite_text = std::string(b, e);
            }
          }
          c.dbls.push_back(v);
          MarkValid(c);
          return true;
        }
        if (c.fixed) return TypeError(slot, fs, b, e, "double", "", row_null);
        StartScanning();
        c.scan_kind = Kind::kString;
        return true;
      }
      case Kind::kBool: {
        int64_t v;
        if (ParseBool(b, e, sc.declared, &v)) {
          c.ints.push_back(v);
          MarkValid(c);
          return true;
        }
        if (c.fixed) {
          return TypeError(slot, fs, b, e, "bool", " (expected true or false)", row_null);
        }
        StartScanning();
        c.scan_kind = Kind::kString;
        return true;
      }
      case Kind::kDate: {
        int64_t v;
        if (ParseDate(std::string_view(b, e - b), &v)) {
          c.ints.push_back(v);
          MarkValid(c);
          return true;
        }
        if (c.fixed) return TypeError(slot, fs, b, e, "date", " (expected YYYY-MM-DD)", row_null);
        StartScanning();
        c.scan_kind = Kind::kString;
        return true;
      }
      case Kind::kUnknown:
        break;
    }
    return true;
  }

  static const char* NonFiniteHint() {
    return " in a double column; remove it, list it in null_tokens if it means missing, or "
           "allow non-finite values explicitly";
  }

  bool TypeError(int slot, const char* fs, const char* b, const char* e, const char* type,
                 const char* why, bool* row_null) {
    if (!cfg_.slots[slot].declared) {
      return Error(fs, absl::StrCat(ColPrefix(slot), "internal error: type inference "
                                                     "inconsistency at value ",
                                    Shown(std::string_view(b, e - b))));
    }
    if (cfg_.private_data) return NullInPrivateData(slot, row_null);
    return Error(fs, absl::StrCat(ColPrefix(slot), "cannot parse ",
                                  Shown(std::string_view(b, e - b)), " as ", type, why,
                                  "; fix the value, declare another type for the column in the "
                                  "schema, or list the text in null_tokens if it means missing"));
  }

  void DropLastRecord(int64_t kept) {
    for (ColBuf& c : out_->cols) {
      if (out_->scanning && !c.fixed) continue;
      const size_t n = static_cast<size_t>(kept);
      if (c.valid.size() > n) c.valid.resize(n);
      if (c.n > kept) c.n = kept;
      if (UsesInts(c.kind) && c.ints.size() > n) c.ints.resize(n);
      if (c.kind == Kind::kDouble && c.dbls.size() > n) c.dbls.resize(n);
      if (c.kind == Kind::kString && c.codes.size() > n) c.codes.resize(n);
    }
  }

  bool IsTrim(char ch) const {
    return (ch == ' ' && cfg_.trim_space) || (ch == '\t' && cfg_.trim_tab);
  }

  void Parse(const char* b, const char* e) {
    const char* p = b;
    const int ncols = cfg_.ncols;
    const char delim = cfg_.delim;
    const bool trim = cfg_.trim;
    while (p < e) {
      if (cfg_.max_rows >= 0 && out_->kept >= cfg_.max_rows) return;
      const char* rec = p;
      int field = 0;
      bool row_null = false;
      bool eol = false;
      while (!eol) {
        const char* fs = p;
        // Fast path: an unquoted number in an int64/double column, parsed and delimited in one
        // pass. Anything unusual (sign '+', leading zero, null token, quotes, spaces, a
        // non-finite or non-numeric value) falls through to the general path below.
        if (cfg_.fast_numbers && field < ncols) {
          const int slot = cfg_.slot_of_field[field];
          if (slot >= 0) {
            const char* next = FastNumber(slot, p, e, &eol);
            if (next != nullptr) {
              p = next;
              ++field;
              continue;
            }
          }
        }
        if (trim) {
          while (p < e && IsTrim(*p)) ++p;
        }
        const char* vb;
        const char* ve;
        bool quoted = false, escaped = false;
        if (p < e && *p == '"') {
          quoted = true;
          ++p;
          vb = p;
          while (true) {
            const char* q = static_cast<const char*>(std::memchr(p, '"', e - p));
            if (q == nullptr) {
              Error(fs, absl::StrCat(
                            "unterminated quoted field (field ", field + 1,
                            " of this record starts with a quote that is never closed); close "
                            "the quote, or double any quote inside the field"));
              if (field < ncols && cfg_.slot_of_field[field] >= 0) {
                out_->error = ColPrefix(cfg_.slot_of_field[field]) + out_->error;
              }
              return;
            }
            if (q + 1 < e && q[1] == '"') {
              escaped = true;
              p = q + 2;
              continue;
            }
            ve = q;
            p = q + 1;
            break;
          }
          if (trim) {
            while (p < e && IsTrim(*p)) ++p;
          }
          if (p == e) {
            eol = true;
          } else if (*p == delim) {
            ++p;
          } else if (*p == '\n') {
            eol = true;
            ++p;
          } else if (*p == '\r' && (p + 1 == e || p[1] == '\n')) {
            eol = true;
            p += (p + 1 == e) ? 1 : 2;
          } else {
            std::string msg = absl::StrCat(
                "unexpected text ", Shown(std::string_view(p, std::min<size_t>(10, e - p))),
                " after a closing quote; a quoted field must be followed by the delimiter or "
                "a line break (inside a quoted field, write a quote as \"\")");
            if (field < ncols && cfg_.slot_of_field[field] >= 0) {
              msg = ColPrefix(cfg_.slot_of_field[field]) + msg;
            }
            Error(p, std::move(msg));
            return;
          }
        } else {
          vb = p;
          while (p < e && !cfg_.special[static_cast<unsigned char>(*p)]) ++p;
          if (p < e && *p == '"') {
            std::string msg =
                "quote character inside an unquoted field; quote the whole field and write the "
                "quote as \"\" (RFC 4180)";
            if (field < ncols && cfg_.slot_of_field[field] >= 0) {
              msg = ColPrefix(cfg_.slot_of_field[field]) + msg;
            }
            Error(p, std::move(msg));
            return;
          }
          ve = p;
          if (p == e) {
            eol = true;
          } else if (*p == delim) {
            ++p;
          } else {
            eol = true;
            ++p;
          }
          if (eol && ve > vb && ve[-1] == '\r') --ve;
          if (trim) {
            while (ve > vb && IsTrim(ve[-1])) --ve;
          }
          // A blank line.
          if (eol && field == 0 && vb == ve && ncols > 1) break;
        }
        if (field < ncols) {
          const int slot = cfg_.slot_of_field[field];
          if (slot >= 0 && !HandleField(slot, fs, vb, ve, quoted, escaped, &row_null)) return;
        }
        ++field;
      }
      if (field == 0) continue;  // blank line skipped
      if (field != ncols) {
        Error(rec, absl::StrCat("expected ", ncols, " fields (as in the header), found ", field,
                                "; check the delimiter ('", std::string(1, delim),
                                "') and the quoting of this line"));
        return;
      }
      ++out_->records;
      if (row_null) {
        ++out_->dropped;
        DropLastRecord(out_->kept);
      } else {
        ++out_->kept;
      }
    }
  }

  const ParseConfig& cfg_;
  ChunkResult* out_;
  std::string scratch_;
  int64_t est_rows_ = 0;
};

// Splits one record (header) into unescaped fields; returns the position after it.
const char* SplitRecord(const char* p, const char* e, char delim, bool trim,
                        std::vector<std::string>* fields, bool* ok) {
  fields->clear();
  *ok = true;
  auto is_trim = [&](char c) { return trim && ((c == ' ' && delim != ' ') || (c == '\t' && delim != '\t')); };
  while (true) {
    while (p < e && is_trim(*p)) ++p;
    std::string f;
    if (p < e && *p == '"') {
      ++p;
      bool closed = false;
      while (p < e) {
        if (*p == '"') {
          if (p + 1 < e && p[1] == '"') {
            f.push_back('"');
            p += 2;
            continue;
          }
          ++p;
          closed = true;
          break;
        }
        f.push_back(*p++);
      }
      if (!closed) {
        *ok = false;
        return e;
      }
      while (p < e && is_trim(*p)) ++p;
      if (p < e && *p == '\r' && (p + 1 == e || p[1] == '\n')) ++p;
    } else {
      const char* vb = p;
      while (p < e && *p != delim && *p != '\n') ++p;
      const char* ve = p;
      if (ve > vb && ve[-1] == '\r' && (p == e || *p == '\n')) --ve;
      while (ve > vb && is_trim(ve[-1])) --ve;
      f.assign(vb, ve);
    }
    fields->push_back(std::move(f));
    if (p >= e) return e;
    if (*p == delim) {
      ++p;
      continue;
    }
    if (*p == '\n') return p + 1;
    *ok = false;
    return p;
  }
}

std::string Prefixed(const std::string& source, std::string_view data, int64_t offset,
                     const std::string& msg) {
  return absl::StrCat(source, ":", internal::LineOfOffset(data, offset), ": ", msg);
}

// For errors inside the data of a private file: no line number (its position is private).
constexpr char kWithheld[] =
    " (line and cell text withheld: the file holds private data; the data owner can rerun with "
    "--owner-diagnostics to see them)";

int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(std::min(hc, 64u));
}

template <typename F>
void RunParallel(int n, F&& f) {
  if (n == 1) {
    f(0);
    return;
  }
  std::vector<std::thread> threads;
  threads.reserve(n - 1);
  for (int i = 1; i < n; ++i) threads.emplace_back([&f, i] { f(i); });
  f(0);
  for (auto& t : threads) t.join();
}

// Column assembly from chunk buffers.
absl::StatusOr<Column> MergeColumn(const SlotConfig& sc, Kind kind,
                                   std::vector<ChunkResult>& chunks, int slot,
                                   const std::vector<std::string>& categories, int64_t total,
                                   bool compact) {
  std::vector<uint8_t> valid;
  bool any_null = false;
  for (auto& ch : chunks) any_null |= ch.cols[slot].has_null;
  if (any_null && chunks.size() == 1 && !chunks[0].cols[slot].valid.empty()) {
    valid = std::move(chunks[0].cols[slot].valid);
  } else if (any_null) {
    valid.reserve(total);
    for (auto& ch : chunks) {
      const ColBuf& c = ch.cols[slot];
      if (c.valid.empty()) {
        valid.insert(valid.end(), static_cast<size_t>(c.n), 1);
      } else {
        valid.insert(valid.end(), c.valid.begin(), c.valid.end());
      }
    }
  }
  if (UsesInts(kind)) {
    std::vector<int64_t> ints;
    const bool keep_first = chunks[0].cols[slot].kind == kind;
    if (keep_first) ints = std::move(chunks[0].cols[slot].ints);
    ints.reserve(total);
    for (size_t k = keep_first ? 1 : 0; k < chunks.size(); ++k) {
      auto& ch = chunks[k];
      ColBuf& c = ch.cols[slot];
      if (c.kind == Kind::kUnknown) {
        ints.insert(ints.end(), static_cast<size_t>(c.n), 0);
      } else {
        ints.insert(ints.end(), c.ints.begin(), c.ints.end());
      }
      std::vector<int64_t>().swap(c.ints);
    }
    if (kind == Kind::kInt64) return Column::Int64(sc.name, std::move(ints), std::move(valid));
    if (kind == Kind::kDate) return Column::Date(sc.name, std::move(ints), std::move(valid));
    return Column::Bool(sc.name, std::move(ints), std::move(valid));
  }
  if (kind == Kind::kDouble) {
    std::vector<double> dbls;
    const bool keep_first = chunks[0].cols[slot].kind == kind;
    if (keep_first) dbls = std::move(chunks[0].cols[slot].dbls);
    dbls.reserve(total);
    for (size_t k = keep_first ? 1 : 0; k < chunks.size(); ++k) {
      auto& ch = chunks[k];
      ColBuf& c = ch.cols[slot];
      if (c.kind == Kind::kUnknown) {
        dbls.insert(dbls.end(), static_cast<size_t>(c.n), kNaN);
      } else if (c.kind == Kind::kInt64) {
        for (size_t i = 0; i < c.ints.size(); ++i) {
          dbls.push_back((c.valid.empty() || c.valid[i]) ? static_cast<double>(c.ints[i]) : kNaN);
        }
      } else {
        dbls.insert(dbls.end(), c.dbls.begin(), c.dbls.end());
      }
      std::vector<double>().swap(c.dbls);
    }
    return Column::Double(sc.name, std::move(dbls), std::move(valid));
  }
  // Strings.
  absl::flat_hash_map<std::string_view, int32_t> index;
  std::vector<std::string_view> dict;
  for (const std::string& cat : categories) {
    if (index.emplace(cat, static_cast<int32_t>(dict.size())).second) dict.push_back(cat);
  }
  std::vector<int32_t> codes;
  codes.reserve(total);
  for (auto& ch : chunks) {
    ColBuf& c = ch.cols[slot];
    if (c.kind == Kind::kUnknown) {
      codes.insert(codes.end(), static_cast<size_t>(c.n), -1);
      continue;
    }
    std::vector<int32_t> remap(c.dict.size());
    for (size_t i = 0; i < c.dict.size(); ++i) {
      auto [it, inserted] = index.emplace(c.dict[i], static_cast<int32_t>(dict.size()));
      if (inserted) dict.push_back(c.dict[i]);
      remap[i] = it->second;
    }
    for (int32_t code : c.codes) codes.push_back(code < 0 ? -1 : remap[code]);
    std::vector<int32_t>().swap(c.codes);
  }
  if (compact) {
    // Rows were dropped: remove dictionary entries only they used (keep declared categories).
    std::vector<uint8_t> used(dict.size(), 0);
    for (size_t i = 0; i < categories.size() && i < used.size(); ++i) used[i] = 1;
    for (int32_t code : codes) {
      if (code >= 0) used[code] = 1;
    }
    std::vector<int32_t> remap(dict.size(), -1);
    std::vector<std::string_view> kept;
    for (size_t i = 0; i < dict.size(); ++i) {
      if (used[i]) {
        remap[i] = static_cast<int32_t>(kept.size());
        kept.push_back(dict[i]);
      }
    }
    for (int32_t& code : codes) {
      if (code >= 0) code = remap[code];
    }
    dict = std::move(kept);
  }
  std::vector<std::string> dictionary(dict.begin(), dict.end());
  return Column::StringFromCodes(sc.name, std::move(codes), std::move(dictionary),
                                 std::move(valid));
}

}  // namespace

absl::StatusOr<Table> ReadCsvString(std::string_view input, const CsvReadOptions& options,
                                    CsvReadStats* stats) {
  const std::string& source = options.source_name;
  if (options.delimiter == '"' || options.delimiter == '\n' || options.delimiter == '\r') {
    return absl::InvalidArgumentError(
        absl::StrCat("delimiter must not be a quote or a line break, got ",
                     QuoteForMessage(std::string_view(&options.delimiter, 1))));
  }
  if (options.schema.has_value()) {
    absl::Status s = options.schema->Validate();
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("schema: ", s.message()));
  }
  std::string_view data = input;
  // BOM.
  if (data.size() >= 3 && data.substr(0, 3) == "\xEF\xBB\xBF") data.remove_prefix(3);
  if (stats != nullptr) {
    *stats = CsvReadStats();
    stats->bytes = static_cast<int64_t>(data.size());
  }
  const char* const begin = data.data();
  const char* const end = begin + data.size();
  const char* p = begin;
  for (int i = 0; i < options.skip_lines && p < end; ++i) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
    p = nl == nullptr ? end : nl + 1;
  }
  const int threads = ResolveThreads(options.num_threads);

  // Header.
  std::vector<std::string> names;
  const char* body = p;
  const bool trim = options.trim_whitespace;
  {
    // The header must be valid UTF-8 before we print any of it.
    const char* nl = p;
    while (nl < end && *nl != '\n') ++nl;
    int64_t bad = internal::FirstInvalidUtf8(begin, static_cast<size_t>(nl - begin));
    if (bad >= 0) {
      return DataError(Prefixed(source, data, bad,
                                "invalid UTF-8 byte sequence; convert the file to UTF-8 (for "
                                "example: iconv -f latin1 -t utf-8 in.csv > out.csv)"));
    }
  }
  if (options.has_header) {
    if (p >= end) {
      return DataError(absl::StrCat(source, ": the file is empty (no header line); expected a "
                                            "header with column names"));
    }
    bool ok;
    body = SplitRecord(p, end, options.delimiter, trim, &names, &ok);
    if (!ok) {
      return DataError(Prefixed(source, data, p - begin,
                                "malformed header line (unbalanced quotes or text after a "
                                "closing quote)"));
    }
    // The whole header (it may span lines inside quotes) must be valid UTF-8 before any of it
    // appears in a message.
    const int64_t bad = internal::FirstInvalidUtf8(begin, static_cast<size_t>(body - begin));
    if (bad >= 0) {
      return DataError(Prefixed(source, data, bad,
                                "invalid UTF-8 byte sequence; convert the file to UTF-8 (for "
                                "example: iconv -f latin1 -t utf-8 in.csv > out.csv)"));
    }
    absl::flat_hash_set<std::string> seen;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i].empty()) {
        return DataError(Prefixed(
            source, data, p - begin,
            absl::StrCat("header column ", i + 1, " has an empty name; name every column (or "
                                                  "read without a header and pass column names)")));
      }
      if (!seen.insert(names[i]).second) {
        return DataError(Prefixed(source, data, p - begin,
                                  absl::StrCat("duplicate column name '", names[i],
                                               "' in the header; column names must be unique")));
      }
    }
  } else if (!options.column_names.empty()) {
    names = options.column_names;
    absl::flat_hash_set<std::string> seen;
    for (const std::string& n : names) {
      if (n.empty() || !seen.insert(n).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("column_names must be non-empty and unique, got '", n, "'"));
      }
    }
  } else {
    std::vector<std::string> first;
    bool ok;
    SplitRecord(p, end, options.delimiter, trim, &first, &ok);
    for (size_t i = 0; i < first.size(); ++i) names.push_back(absl::StrCat("column_", i + 1));
    if (p >= end) names.clear();
  }
  const int ncols = static_cast<int>(names.size());

  // Configuration.
  ParseConfig cfg;
  cfg.delim = options.delimiter;
  cfg.trim = trim;
  cfg.trim_space = options.delimiter != ' ';
  cfg.trim_tab = options.delimiter != '\t';
  cfg.null_tokens = options.null_tokens;
  if (options.schema.has_value() && !options.schema->null_tokens.empty()) {
    cfg.null_tokens = options.schema->null_tokens;
  }
  for (const std::string& t : cfg.null_tokens) {
    cfg.empty_is_null |= t.empty();
    cfg.has_text_tokens |= !t.empty();
    double dv;
    int64_t iv;
    bool overflow;
    if (!t.empty() && (ParseDouble(t.data(), t.data() + t.size(), &dv) ||
                       ParseInt64(t.data(), t.data() + t.size(), &iv, &overflow))) {
      cfg.fast_numbers = false;
    }
  }
  cfg.policy = options.null_policy;
  cfg.allow_non_finite = options.allow_non_finite;
  cfg.private_data = options.private_data;
  cfg.redact = options.private_data && !options.owner_diagnostics;
  cfg.ncols = ncols;
  cfg.data_begin = begin;
  cfg.special[static_cast<unsigned char>(cfg.delim)] = true;
  cfg.special[static_cast<unsigned char>('\n')] = true;
  cfg.special[static_cast<unsigned char>('"')] = true;
  cfg.slot_of_field.assign(ncols, -1);
  std::vector<int> field_of_slot;
  if (options.select_columns.empty()) {
    for (int i = 0; i < ncols; ++i) {
      cfg.slot_of_field[i] = i;
      field_of_slot.push_back(i);
    }
  } else {
    for (const std::string& want : options.select_columns) {
      auto it = std::find(names.begin(), names.end(), want);
      if (it == names.end()) {
        return absl::NotFoundError(absl::StrCat(source, ": unknown column '", want,
                                                "' (available: ", absl::StrJoin(names, ", "),
                                                ")"));
      }
      const int f = static_cast<int>(it - names.begin());
      if (cfg.slot_of_field[f] >= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("column '", want, "' is selected twice"));
      }
      cfg.slot_of_field[f] = static_cast<int>(field_of_slot.size());
      field_of_slot.push_back(f);
    }
  }
  std::vector<std::vector<std::string>> categories(field_of_slot.size());
  for (int f : field_of_slot) {
    SlotConfig sc;
    sc.name = names[f];
    if (options.private_data) {  // undeclared columns are text: types never come from cells
      sc.declared = true;
      sc.kind = Kind::kString;
    }
    if (options.schema.has_value()) {
      if (const ColumnSchema* cs = options.schema->Find(sc.name)) {
        sc.declared = true;
        sc.kind = KindOf(cs->type);
        sc.nullable = cs->nullable;
        if (cs->type == DataType::kString) categories[cfg.slots.size()] = cs->categories;
      }
    }
    cfg.slots.push_back(std::move(sc));
  }
  if (options.schema.has_value()) {
    for (const ColumnSchema& cs : options.schema->columns) {
      if (std::find(names.begin(), names.end(), cs.name) == names.end()) {
        return absl::NotFoundError(absl::StrCat(
            source, ": schema column '", cs.name, "' is not in the file (columns: ",
            absl::StrJoin(names, ", "), "); fix the schema or the header"));
      }
    }
  }
  cfg.max_rows = options.max_rows;

  // Chunks.
  const char* body_end = end;
  const size_t body_size = static_cast<size_t>(body_end - body);
  int nchunks = 1;
  if (threads > 1 && options.max_rows < 0 && body_size >= (size_t{4} << 20)) {
    nchunks = static_cast<int>(std::min<size_t>(threads, body_size / (size_t{2} << 20)));
    nchunks = std::max(nchunks, 1);
  }
  std::vector<const char*> bounds(nchunks + 1);
  bounds[0] = body;
  bounds[nchunks] = body_end;
  if (nchunks > 1) {
    std::vector<const char*> raw(nchunks + 1);
    for (int k = 0; k <= nchunks; ++k) raw[k] = body + body_size * k / nchunks;
    std::vector<int64_t> quotes(nchunks, 0);
    RunParallel(nchunks, [&](int k) { quotes[k] = std::count(raw[k], raw[k + 1], '"'); });
    int64_t parity = 0;
    for (int k = 1; k < nchunks; ++k) {
      parity += quotes[k - 1];
      bool inside = (parity & 1) != 0;
      const char* q = raw[k];
      while (q < body_end) {
        const char c = *q;
        if (c == '"') {
          inside = !inside;
        } else if (c == '\n' && !inside) {
          break;
        }
        ++q;
      }
      bounds[k] = std::min(q + 1, body_end);
      if (q >= body_end) bounds[k] = body_end;
      bounds[k] = std::max(bounds[k], bounds[k - 1]);
    }
  }

  std::vector<ChunkResult> chunks(nchunks);
  RunParallel(nchunks, [&](int k) {
    chunks[k].utf8_error = -1;
    int64_t bad = internal::FirstInvalidUtf8(bounds[k], static_cast<size_t>(bounds[k + 1] - bounds[k]));
    if (bad >= 0) chunks[k].utf8_error = (bounds[k] - begin) + bad;
    ChunkParser(cfg, &chunks[k])
        .Run(bounds[k], bounds[k + 1], nullptr,
             static_cast<size_t>((k == 0 ? body_end : bounds[k + 1]) - bounds[k]));
  });

  auto first_error = [&]() -> absl::Status {
    auto located = [&](int64_t offset, const std::string& msg) {
      return cfg.redact ? DataError(absl::StrCat(source, ": ", msg, kWithheld))
                        : DataError(Prefixed(source, data, offset, msg));
    };
    for (const ChunkResult& ch : chunks) {
      if (ch.utf8_error >= 0) {
        return located(ch.utf8_error,
                       "invalid UTF-8 byte sequence; convert the file to UTF-8 (for example: "
                       "iconv -f latin1 -t utf-8 in.csv > out.csv)");
      }
    }
    for (const ChunkResult& ch : chunks) {
      if (ch.error_offset >= 0) return located(ch.error_offset, ch.error);
    }
    return absl::OkStatus();
  };
  DPKIT_RETURN_IF_ERROR(first_error());

  // Final kinds.
  const int nslots = static_cast<int>(cfg.slots.size());
  std::vector<Kind> final_kind(nslots, Kind::kUnknown);
  for (int s = 0; s < nslots; ++s) {
    if (cfg.slots[s].declared) {
      final_kind[s] = cfg.slots[s].kind;
      continue;
    }
    Kind k = Kind::kUnknown;
    for (const ChunkResult& ch : chunks) {
      k = Join(k, ch.scanning ? ch.cols[s].scan_kind : ch.cols[s].kind);
    }
    final_kind[s] = k == Kind::kUnknown ? Kind::kString : k;
  }
  std::vector<int> redo;
  for (int k = 0; k < nchunks; ++k) {
    bool need = chunks[k].scanning;
    for (int s = 0; s < nslots && !need; ++s) {
      const Kind ck = chunks[k].cols[s].kind;
      need = ck != final_kind[s] && ck != Kind::kUnknown &&
             !(ck == Kind::kInt64 && final_kind[s] == Kind::kDouble);
    }
    if (need) redo.push_back(k);
  }
  if (!redo.empty()) {
    RunParallel(static_cast<int>(redo.size()), [&](int i) {
      const int k = redo[i];
      const int64_t utf8 = chunks[k].utf8_error;
      chunks[k] = ChunkResult();
      chunks[k].utf8_error = utf8;
      ChunkParser(cfg, &chunks[k])
          .Run(bounds[k], bounds[k + 1], &final_kind,
               static_cast<size_t>((k == 0 ? body_end : bounds[k + 1]) - bounds[k]));
    });
    DPKIT_RETURN_IF_ERROR(first_error());
  }
  // Deferred: non-finite values in columns inferred as double.
  if (!cfg.allow_non_finite) {
    int64_t best = -1;
    int best_slot = -1;
    std::string text;
    for (int s = 0; s < nslots; ++s) {
      if (cfg.slots[s].declared || final_kind[s] != Kind::kDouble) continue;
      for (const ChunkResult& ch : chunks) {
        const ColBuf& c = ch.cols[s];
        if (c.nonfinite_offset >= 0 && (best < 0 || c.nonfinite_offset < best)) {
          best = c.nonfinite_offset;
          best_slot = s;
          text = c.nonfinite_text;
        }
      }
    }
    if (best >= 0) {
      return DataError(Prefixed(
          source, data, best,
          absl::StrCat("column '", cfg.slots[best_slot].name, "': non-finite value ",
                       QuoteForMessage(text),
                       " in a numeric column; remove it, list it in null_tokens if it means "
                       "missing, or allow non-finite values explicitly")));
    }
  }

  int64_t total = 0, records = 0, dropped = 0;
  for (const ChunkResult& ch : chunks) {
    total += ch.kept;
    records += ch.records;
    dropped += ch.dropped;
  }
  if (stats != nullptr) {
    stats->records = records;
    stats->dropped_rows = dropped;
  }
  std::vector<Column> columns;
  columns.reserve(nslots);
  for (int s = 0; s < nslots; ++s) {
    absl::StatusOr<Column> col =
        MergeColumn(cfg.slots[s], final_kind[s], chunks, s, categories[s], total, dropped > 0);
    if (!col.ok()) return col.status();
    columns.push_back(*std::move(col));
  }
  return Table::Make(std::move(columns));
}

absl::StatusOr<Table> ReadCsv(const std::string& path, const CsvReadOptions& options, Env* env,
                              CsvReadStats* stats) {
  absl::StatusOr<std::string> raw = env->ReadFile(path);
  if (!raw.ok()) {
    if (absl::IsNotFound(raw.status())) {
      return absl::NotFoundError(
          absl::StrCat("CSV file not found: ", path, "; check the path"));
    }
    return raw.status();
  }
  const bool gz = raw->size() >= 2 && static_cast<unsigned char>((*raw)[0]) == 0x1f &&
                  static_cast<unsigned char>((*raw)[1]) == 0x8b;
  absl::StatusOr<std::string> text = MaybeGunzip(*std::move(raw), path);
  if (!text.ok()) return text.status();
  CsvReadOptions opts = options;
  opts.source_name = path;
  absl::StatusOr<Table> t = ReadCsvString(*text, opts, stats);
  if (stats != nullptr) stats->gzip = gz;
  return t;
}

}  // namespace dpkit::io
