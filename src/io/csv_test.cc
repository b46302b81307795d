#include "dpkit/io/csv.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "zlib.h"

// GCC 12 warns about designated initializers that leave members defaulted.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace dpkit::io {
namespace {

using ::testing::HasSubstr;

std::string TempDir() {
  char tmpl[] = "/tmp/dpkit_io_test_XXXXXX";
  char* d = mkdtemp(tmpl);
  return d ? std::string(d) : std::string("/tmp");
}

std::string Gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

CsvReadOptions Named(std::string name) {
  CsvReadOptions o;
  o.source_name = std::move(name);
  return o;
}

Table MustRead(std::string_view csv, CsvReadOptions o = {}) {
  absl::StatusOr<Table> t = ReadCsvString(csv, o);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *std::move(t) : Table();
}

std::string ReadError(std::string_view csv, CsvReadOptions o) {
  absl::StatusOr<Table> t = ReadCsvString(csv, o);
  EXPECT_FALSE(t.ok());
  if (t.ok()) return "";
  EXPECT_EQ(t.status().code(), absl::StatusCode::kDataLoss) << t.status();
  return std::string(t.status().message());
}

TEST(CsvReadTest, InfersTypes) {
  Table t = MustRead(
      "i,d,s,b,dt,neg\n"
      "1,1.5,abc,true,2020-02-29,-3\n"
      "+2,-2e3,\"x y\",FALSE,1969-12-31,-4\n");
  ASSERT_EQ(t.num_rows(), 2);
  ASSERT_EQ(t.num_columns(), 6);
  EXPECT_EQ(t.column(0).type(), DataType::kInt64);
  EXPECT_EQ(t.column(0).int64_values(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(t.column(1).type(), DataType::kDouble);
  EXPECT_EQ(t.column(1).double_values(), (std::vector<double>{1.5, -2000.0}));
  EXPECT_EQ(t.column(2).type(), DataType::kString);
  EXPECT_EQ(t.column(2).StringAt(1), "x y");
  EXPECT_EQ(t.column(3).type(), DataType::kBool);
  EXPECT_EQ(t.column(3).int64_values(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(t.column(4).type(), DataType::kDate);
  EXPECT_EQ(t.column(4).FormatValue(0), "2020-02-29");
  EXPECT_EQ(t.column(4).int64_values()[1], -1);
  EXPECT_EQ(t.column(5).int64_values(), (std::vector<int64_t>{-3, -4}));
}

TEST(CsvReadTest, DoublesAreCorrectlyRounded) {
  Table t = MustRead("x\n0.1\n2.2250738585072014e-308\n9007199254740993\n1.7976931348623157e308\n");
  ASSERT_EQ(t.column(0).type(), DataType::kDouble);
  EXPECT_EQ(t.column(0).double_values()[0], 0.1);
  EXPECT_EQ(t.column(0).double_values()[1], 2.2250738585072014e-308);
  // 2^53 + 1 as an integer in a double column rounds to nearest even like strtod.
  EXPECT_EQ(t.column(0).double_values()[2], 9007199254740992.0);
  EXPECT_EQ(t.column(0).double_values()[3], 1.7976931348623157e308);
}

TEST(CsvReadTest, FastNumberPathsAgreeWithStrtodAndFromChars) {
  // Random decimals of 1..20 significant digits, with and without sign, fraction and exponent,
  // read through the fast paths (declared and inferred) must equal strtod / from_chars.
  std::string csv = "d,i\n";
  std::vector<std::string> dtext, itext;
  uint64_t x = 88172645463325252ULL;  // xorshift64: test data only
  auto next = [&]() {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int r = 0; r < 20000; ++r) {
    std::string d = (next() % 2) ? "-" : "";
    const int int_digits = static_cast<int>(next() % 9);
    const int frac_digits = static_cast<int>(next() % 12);
    d += std::to_string(1 + next() % 9);
    for (int k = 1; k < int_digits; ++k) d += static_cast<char>('0' + next() % 10);
    if (frac_digits > 0 || next() % 4 == 0) {
      d += '.';
      for (int k = 0; k < frac_digits; ++k) d += static_cast<char>('0' + next() % 10);
    }
    if (next() % 10 == 0) d += "e" + std::to_string(static_cast<int>(next() % 40) - 20);
    if (next() % 20 == 0) d = "0." + std::to_string(next() % 1000000000000ULL);
    std::string i = (next() % 2 ? "-" : "") + std::to_string(next() % 1000000000000000000ULL);
    csv += d + "," + i + "\n";
    dtext.push_back(d);
    itext.push_back(i);
  }
  CsvReadOptions declared;
  declared.schema = Schema{};
  declared.schema->columns.push_back({.name = "d", .type = DataType::kDouble});
  declared.schema->columns.push_back({.name = "i", .type = DataType::kInt64});
  for (const CsvReadOptions& o : {declared, CsvReadOptions()}) {
    Table t = MustRead(csv, o);
    ASSERT_EQ(t.column(0).type(), DataType::kDouble);
    ASSERT_EQ(t.column(1).type(), DataType::kInt64);
    for (size_t r = 0; r < dtext.size(); ++r) {
      ASSERT_EQ(t.column(0).double_values()[r], std::strtod(dtext[r].c_str(), nullptr))
          << dtext[r];
      ASSERT_EQ(t.column(1).int64_values()[r], std::strtoll(itext[r].c_str(), nullptr, 10))
          << itext[r];
    }
  }
}

TEST(CsvReadTest, Rfc4180Quoting) {
  Table t = MustRead(
      "a,b,c\n"
      "\"x,y\",\"he said \"\"hi\"\"\",\"line1\nline2\"\n"
      "\"\",,\"crlf\r\ninside\"\n"
      "\"\"\"\",\"a\"\"\",plain\n");
  ASSERT_EQ(t.num_rows(), 3);
  const Column& a = t.column(0);
  const Column& b = t.column(1);
  const Column& c = t.column(2);
  EXPECT_EQ(a.StringAt(0), "x,y");
  EXPECT_EQ(b.StringAt(0), "he said \"hi\"");
  EXPECT_EQ(c.StringAt(0), "line1\nline2");
  // A quoted empty field is the empty string; an unquoted empty field is null.
  EXPECT_FALSE(a.IsNull(1));
  EXPECT_EQ(a.StringAt(1), "");
  EXPECT_TRUE(b.IsNull(1));
  EXPECT_EQ(c.StringAt(1), "crlf\r\ninside");
  EXPECT_EQ(a.StringAt(2), "\"");
  EXPECT_EQ(b.StringAt(2), "a\"");
}

TEST(CsvReadTest, EscapedQuotesNeverCollideWithOtherValues) {
  // 'a""b' (quoted) is a"b; 'a""""b' (quoted) is a""b: two different dictionary entries.
  Table t = MustRead("s\n\"a\"\"\"\"b\"\n\"a\"\"b\"\n\"a\"\"b\"\n");
  const Column& c = t.column(0);
  EXPECT_EQ(c.StringAt(0), "a\"\"b");
  EXPECT_EQ(c.StringAt(1), "a\"b");
  EXPECT_EQ(c.StringAt(2), "a\"b");
  EXPECT_EQ(c.dictionary().size(), 2u);
}

TEST(CsvReadTest, CrlfBomAndNoFinalNewline) {
  Table t = MustRead("\xEF\xBB\xBFid,name\r\n1,ann\r\n2,bob");
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column(0).name(), "id");
  EXPECT_EQ(t.column(1).StringAt(0), "ann");
  EXPECT_EQ(t.column(1).StringAt(1), "bob");
  EXPECT_EQ(t.column(0).type(), DataType::kInt64);
}

TEST(CsvReadTest, QuotedLastFieldWithCrlf) {
  Table t = MustRead("a,b\r\n1,\"x\"\r\n2,\"y\"\r\n");
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column(1).StringAt(1), "y");
}

TEST(CsvReadTest, TrimsWhitespaceAroundFields) {
  Table t = MustRead("age, work\n39, State-gov\n 50 ,  \"Self emp\" \n");
  EXPECT_EQ(t.column(1).name(), "work");
  EXPECT_EQ(t.column(0).int64_values(), (std::vector<int64_t>{39, 50}));
  EXPECT_EQ(t.column(1).StringAt(0), "State-gov");
  EXPECT_EQ(t.column(1).StringAt(1), "Self emp");
  CsvReadOptions keep;
  keep.trim_whitespace = false;
  Table u = MustRead("a,b\n x,y \n", keep);
  EXPECT_EQ(u.column(0).StringAt(0), " x");
  EXPECT_EQ(u.column(1).StringAt(0), "y ");
}

TEST(CsvReadTest, OtherDelimiters) {
  CsvReadOptions semi;
  semi.delimiter = ';';
  Table t = MustRead("a;b\n1,5;\"x;y\"\n", semi);
  EXPECT_EQ(t.column(0).StringAt(0), "1,5");
  EXPECT_EQ(t.column(1).StringAt(0), "x;y");
  CsvReadOptions tab;
  tab.delimiter = '\t';
  Table u = MustRead("a\tb\n1\t\n", tab);
  ASSERT_EQ(u.num_rows(), 1);
  EXPECT_EQ(u.column(0).int64_values()[0], 1);
  EXPECT_TRUE(u.column(1).IsNull(0));  // an empty field, not swallowed by trimming
  CsvReadOptions quote;
  quote.delimiter = '"';
  EXPECT_EQ(ReadCsvString("a\n", quote).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CsvReadTest, GzipInputDetectedByMagicBytes) {
  const std::string csv = "a,b\n1,x\n2,y\n";
  Table t = MustRead(*MaybeGunzip(Gzip(csv), "mem"));
  EXPECT_EQ(t.num_rows(), 2);
  // Multi-member gzip (concatenated files) is read whole.
  absl::StatusOr<std::string> two = MaybeGunzip(Gzip("a,b\n1,x\n") + Gzip("2,y\n"), "mem");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, csv);
  // Through a file, the path does not need to end in .gz.
  const std::string path = TempDir() + "/data.csv";
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(path, Gzip(csv)).ok());
  CsvReadStats stats;
  absl::StatusOr<Table> f = ReadCsv(path, {}, Env::Default(), &stats);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->num_rows(), 2);
  EXPECT_TRUE(stats.gzip);
  EXPECT_EQ(stats.bytes, static_cast<int64_t>(csv.size()));
}

TEST(CsvReadTest, TruncatedOrCorruptGzipIsAnError) {
  std::string payload;
  for (int i = 0; i < 20000; ++i) payload += std::to_string(i * 7919 % 10007) + "\n";
  std::string gz = Gzip(payload);
  absl::StatusOr<std::string> cut = MaybeGunzip(gz.substr(0, gz.size() / 2), "cut.csv.gz");
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(cut.status().message()), HasSubstr("cut.csv.gz"));
  EXPECT_THAT(std::string(cut.status().message()), HasSubstr("truncated"));
  std::string bad = gz;
  bad[gz.size() / 2] ^= 0x55;
  bad[gz.size() / 2 + 1] ^= 0x55;
  EXPECT_FALSE(MaybeGunzip(bad, "bad.gz").ok());
}

TEST(CsvReadTest, InvalidUtf8NamesTheLine) {
  std::string msg = ReadError("a,b\n1,ok\n2,caf\xE9\n", Named("latin1.csv"));
  EXPECT_THAT(msg, HasSubstr("latin1.csv:3:"));
  EXPECT_THAT(msg, HasSubstr("UTF-8"));
  EXPECT_THAT(msg, HasSubstr("iconv"));
  // Overlong encodings and surrogates are rejected; valid multi-byte text is fine.
  EXPECT_THAT(ReadError("a\n\xC0\xAF\n", Named("x")), HasSubstr("x:2:"));
  EXPECT_THAT(ReadError("a\n\xED\xA0\x80\n", Named("x")), HasSubstr("x:2:"));
  Table t = MustRead("a\n\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\n");
  EXPECT_EQ(t.column(0).StringAt(0), "\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
}

TEST(CsvReadTest, InvalidUtf8InAMultiLineHeader) {
  EXPECT_THAT(ReadError("a,\"b\nc\xFF\"\n1,2\n", Named("h.csv")), HasSubstr("h.csv:2: invalid UTF-8"));
}

TEST(CsvReadTest, RaggedRowsNameFileAndLine) {
  std::string msg = ReadError("a,b,c\n1,2,3\n4,5\n", Named("r.csv"));
  EXPECT_THAT(msg, HasSubstr("r.csv:3:"));
  EXPECT_THAT(msg, HasSubstr("expected 3 fields"));
  EXPECT_THAT(msg, HasSubstr("found 2"));
  msg = ReadError("a,b\n1,2\n\"multi\nline\",2\n4,5,6\n", Named("r.csv"));
  EXPECT_THAT(msg, HasSubstr("r.csv:5:"));  // physical line, counting the quoted line break
  EXPECT_THAT(msg, HasSubstr("found 3"));
}

TEST(CsvReadTest, BadNumberInDeclaredColumn) {
  CsvReadOptions o = Named("people.csv");
  o.schema = Schema{};
  o.schema->columns.push_back({.name = "age", .type = DataType::kInt64});
  std::string msg = ReadError("name,age\nann,30\nbob,3O\n", o);
  EXPECT_THAT(msg, HasSubstr("people.csv:3: column 'age': cannot parse '3O' as int64"));
  msg = ReadError("name,age\nann,30.5\n", o);
  EXPECT_THAT(msg, HasSubstr("people.csv:2: column 'age'"));
  EXPECT_THAT(msg, HasSubstr("not an integer"));
  msg = ReadError("name,age\nann,99999999999999999999\n", o);
  EXPECT_THAT(msg, HasSubstr("outside the int64 range"));
  o.schema->columns[0].type = DataType::kDouble;
  msg = ReadError("name,age\nann,1.5.2\n", o);
  EXPECT_THAT(msg, HasSubstr("people.csv:2: column 'age': cannot parse '1.5.2' as double"));
  o.schema->columns[0].type = DataType::kDate;
  msg = ReadError("name,age\nann,2021-02-29\n", o);
  EXPECT_THAT(msg, HasSubstr("as date"));
}

TEST(CsvReadTest, NonFiniteValuesAreErrorsUnlessAllowed) {
  std::string msg = ReadError("x,y\n1.5,a\nnan,b\n", Named("nf.csv"));
  EXPECT_THAT(msg, HasSubstr("nf.csv:3: column 'x': non-finite value 'nan'"));
  msg = ReadError("x\n1\n-inf\n", Named("nf.csv"));
  EXPECT_THAT(msg, HasSubstr("nf.csv:3"));
  msg = ReadError("x\n1e999\n", Named("nf.csv"));  // overflows to inf
  EXPECT_THAT(msg, HasSubstr("non-finite"));
  CsvReadOptions o;
  o.schema = Schema{};
  o.schema->columns.push_back({.name = "x", .type = DataType::kDouble});
  EXPECT_THAT(ReadError("x\nInfinity\n", o), HasSubstr("non-finite"));
  o.allow_non_finite = true;
  Table t = MustRead("x\nnan\ninf\n", o);
  EXPECT_TRUE(std::isnan(t.column(0).double_values()[0]));
  EXPECT_FALSE(t.column(0).IsNull(0));
  EXPECT_TRUE(std::isinf(t.column(0).double_values()[1]));
  // "nan" in a column that is text anyway is just text.
  Table s = MustRead("x\nabc\nnan\n");
  EXPECT_EQ(s.column(0).type(), DataType::kString);
}

TEST(CsvReadTest, NullPolicies) {
  const std::string csv = "a,b\n1,x\n,y\n3,NA\n";
  CsvReadOptions o = Named("n.csv");
  o.null_tokens = {"", "NA"};
  Table t = MustRead(csv, o);
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_TRUE(t.column(0).IsNull(1));
  EXPECT_EQ(t.column(0).int64_values()[1], 0);
  EXPECT_TRUE(t.column(1).IsNull(2));
  EXPECT_EQ(t.column(0).null_count(), 1);

  o.null_policy = NullPolicy::kDropRow;
  CsvReadStats stats;
  absl::StatusOr<Table> d = ReadCsvString(csv, o, &stats);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->num_rows(), 1);
  EXPECT_EQ(stats.records, 3);
  EXPECT_EQ(stats.dropped_rows, 2);
  EXPECT_FALSE(d->column(0).has_nulls());
  EXPECT_EQ(d->column(1).dictionary(), (std::vector<std::string>{"x"}));  // no 'y' left

  o.null_policy = NullPolicy::kError;
  std::string msg = ReadError(csv, o);
  EXPECT_THAT(msg, HasSubstr("n.csv:3: column 'a': missing value"));

  // A quoted null token is a literal value.
  o.null_policy = NullPolicy::kNull;
  Table q = MustRead("a\n\"NA\"\nNA\n", o);
  EXPECT_FALSE(q.column(0).IsNull(0));
  EXPECT_EQ(q.column(0).StringAt(0), "NA");
  EXPECT_TRUE(q.column(0).IsNull(1));

  // Non-nullable schema column fails on a null even under kNull.
  CsvReadOptions s = Named("n.csv");
  s.schema = Schema{};
  s.schema->columns.push_back({.name = "a", .type = DataType::kInt64, .nullable = false});
  EXPECT_THAT(ReadError(csv, s), HasSubstr("n.csv:3: column 'a': missing value"));
  // The schema's null tokens replace the reader's.
  s.schema->columns[0].nullable = true;
  s.schema->null_tokens = {"?"};
  Table u = MustRead("a\n?\n5\n", s);
  EXPECT_TRUE(u.column(0).IsNull(0));
}

TEST(CsvReadTest, AllNullColumnIsStringOfNulls) {
  Table t = MustRead("a,b\n1,\n2,\n");
  EXPECT_EQ(t.column(1).type(), DataType::kString);
  EXPECT_EQ(t.column(1).null_count(), 2);
}

TEST(CsvReadTest, InferenceWidensWithoutChangingText) {
  // int then double: exact double values.
  Table t = MustRead("x\n1\n2\n2.5\n");
  EXPECT_EQ(t.column(0).type(), DataType::kDouble);
  EXPECT_EQ(t.column(0).double_values(), (std::vector<double>{1, 2, 2.5}));
  // int then text: the column is text, with the original spelling of the numbers.
  Table u = MustRead("x\n+1\n02\nabc\n");
  EXPECT_EQ(u.column(0).type(), DataType::kString);
  EXPECT_EQ(u.column(0).StringAt(0), "+1");
  EXPECT_EQ(u.column(0).StringAt(1), "02");
  // Leading zeros (zip codes) and int64 overflow stay text.
  EXPECT_EQ(MustRead("zip\n02134\n").column(0).type(), DataType::kString);
  EXPECT_EQ(MustRead("id\n123456789012345678901234\n").column(0).type(), DataType::kString);
  // bool + int is not numeric.
  EXPECT_EQ(MustRead("b\ntrue\n1\n").column(0).type(), DataType::kString);
  // date + text
  EXPECT_EQ(MustRead("d\n2020-01-01\nsoon\n").column(0).type(), DataType::kString);
  // Nulls before the first value.
  Table n = MustRead("a,b\n1,\n2,\n3,4.5\n");
  EXPECT_EQ(n.column(1).type(), DataType::kDouble);
  EXPECT_TRUE(n.column(1).IsNull(0));
  EXPECT_EQ(n.column(1).double_values()[2], 4.5);
}

TEST(CsvReadTest, MalformedQuotes) {
  EXPECT_THAT(ReadError("a,b\n1,ab\"c\n", Named("q.csv")),
              HasSubstr("q.csv:2: column 'b': quote character inside an unquoted field"));
  EXPECT_THAT(ReadError("a,b\n1,\"ab\"c\n", Named("q.csv")),
              HasSubstr("q.csv:2: column 'b': unexpected text 'c"));
  EXPECT_THAT(ReadError("a,b\n1,2\n3,\"never closed\n4,5\n", Named("q.csv")),
              HasSubstr("q.csv:3: column 'b': unterminated quoted field"));
}

TEST(CsvReadTest, HeaderErrors) {
  EXPECT_THAT(ReadError("", Named("e.csv")), HasSubstr("e.csv: the file is empty"));
  EXPECT_THAT(ReadError("a,,c\n1,2,3\n", Named("e.csv")),
              HasSubstr("e.csv:1: header column 2 has an empty name"));
  EXPECT_THAT(ReadError("a,b,a\n1,2,3\n", Named("e.csv")),
              HasSubstr("duplicate column name 'a'"));
  // Header only: zero rows, string columns.
  Table t = MustRead("a,b\n");
  EXPECT_EQ(t.num_rows(), 0);
  EXPECT_EQ(t.num_columns(), 2);
}

TEST(CsvReadTest, NoHeaderSkipLinesAndNames) {
  CsvReadOptions o;
  o.has_header = false;
  o.skip_lines = 1;
  Table t = MustRead("|junk line\n1,a\n2,b\n", o);
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column(0).name(), "column_1");
  EXPECT_EQ(t.column(1).name(), "column_2");
  o.column_names = {"n", "s"};
  Table u = MustRead("|junk line\n1,a\n", o);
  EXPECT_EQ(u.ColumnNames(), (std::vector<std::string>{"n", "s"}));
}

TEST(CsvReadTest, BlankLines) {
  Table t = MustRead("a,b\n1,2\n\n3,4\n\n");
  EXPECT_EQ(t.num_rows(), 2);
  // With a single column, a blank line is a null value; the final line break adds no row.
  Table u = MustRead("a\n1\n\n3\n");
  ASSERT_EQ(u.num_rows(), 3);
  EXPECT_TRUE(u.column(0).IsNull(1));
}

TEST(CsvReadTest, SelectColumnsAndUnknownColumn) {
  CsvReadOptions o = Named("s.csv");
  o.select_columns = {"c", "a"};
  Table t = MustRead("a,b,c\n1,x,2.5\n", o);
  EXPECT_EQ(t.ColumnNames(), (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(t.column(0).double_values()[0], 2.5);
  o.select_columns = {"zz"};
  absl::StatusOr<Table> bad = ReadCsvString("a,b,c\n1,x,2.5\n", o);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("unknown column 'zz' (available: a, b, c)"));
}

TEST(CsvReadTest, SchemaColumnMissingFromFile) {
  CsvReadOptions o = Named("m.csv");
  o.schema = Schema{};
  o.schema->columns.push_back({.name = "income", .type = DataType::kDouble});
  absl::StatusOr<Table> t = ReadCsvString("a,b\n1,2\n", o);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("schema column 'income'"));
}

TEST(CsvReadTest, DeclaredCategoriesComeFirstInDictionary) {
  CsvReadOptions o;
  o.schema = Schema{};
  o.schema->columns.push_back(
      {.name = "c", .type = DataType::kString, .categories = {"low", "mid", "high"}});
  Table t = MustRead("c\nhigh\nother\nlow\n", o);
  EXPECT_EQ(t.column(0).dictionary(),
            (std::vector<std::string>{"low", "mid", "high", "other"}));
  EXPECT_EQ(t.column(0).codes(), (std::vector<int32_t>{2, 3, 0}));
}

TEST(CsvReadTest, MaxRows) {
  CsvReadOptions o;
  o.max_rows = 2;
  Table t = MustRead("a\n1\n2\n3\n", o);
  EXPECT_EQ(t.num_rows(), 2);
}

TEST(CsvReadTest, MissingFileIsNotFound) {
  absl::StatusOr<Table> t = ReadCsv("/nonexistent/dpkit/in.csv");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("/nonexistent/dpkit/in.csv"));
}

// A few MB of mixed, quoted, multi-line CSV so that the parallel path runs with several chunks.
std::string BigMixedCsv(int rows, bool late_text, bool late_double) {
  std::string s = "id,x,name,flag,when,maybe\n";
  for (int i = 0; i < rows; ++i) {
    s += std::to_string(i);
    s += ',';
    s += (late_double && i == rows - 3) ? "0.5" : std::to_string(i * 7 % 1000);
    s += ',';
    if (i % 97 == 0) {
      s += "\"multi\nline, \"\"quoted\"\" " + std::to_string(i % 13) + "\"";
    } else {
      s += "name" + std::to_string(i % 1000);
    }
    s += ',';
    s += (i % 3 == 0) ? "true" : "false";
    s += ',';
    s += (late_text && i == rows - 2) ? "unknown" : "2021-03-0" + std::to_string(1 + i % 9);
    s += ',';
    if (i % 5 != 0) s += std::to_string(i % 11) + ".25";
    s += (i % 2 == 0) ? "\r\n" : "\n";
  }
  return s;
}

void ExpectSameTable(const Table& a, const Table& b) {
  ASSERT_EQ(a.num_rows(), b.num_rows());
  ASSERT_EQ(a.num_columns(), b.num_columns());
  for (int c = 0; c < a.num_columns(); ++c) {
    EXPECT_EQ(a.column(c).type(), b.column(c).type()) << a.column(c).name();
    EXPECT_EQ(a.column(c).validity(), b.column(c).validity());
    EXPECT_EQ(a.column(c).int64_values(), b.column(c).int64_values());
    EXPECT_EQ(a.column(c).codes(), b.column(c).codes());
    EXPECT_EQ(a.column(c).dictionary(), b.column(c).dictionary());
    const auto& da = a.column(c).double_values();
    const auto& db = b.column(c).double_values();
    ASSERT_EQ(da.size(), db.size());
    for (size_t i = 0; i < da.size(); ++i) {
      if (!(std::isnan(da[i]) && std::isnan(db[i]))) {
        ASSERT_EQ(da[i], db[i]) << i;
      }
    }
  }
}

TEST(CsvReadTest, ParallelReadEqualsSerialRead) {
  for (bool late_text : {false, true}) {
    for (bool late_double : {false, true}) {
      const std::string csv = BigMixedCsv(250000, late_text, late_double);
      ASSERT_GT(csv.size(), size_t{8} << 20);
      CsvReadOptions one;
      one.num_threads = 1;
      Table serial = MustRead(csv, one);
      ASSERT_EQ(serial.num_rows(), 250000);
      EXPECT_EQ(serial.column(1).type(), late_double ? DataType::kDouble : DataType::kInt64);
      EXPECT_EQ(serial.column(4).type(), late_text ? DataType::kString : DataType::kDate);
      EXPECT_EQ(serial.column(3).type(), DataType::kBool);
      EXPECT_EQ(serial.column(5).type(), DataType::kDouble);
      EXPECT_EQ(serial.column(2).StringAt(0), "multi\nline, \"quoted\" 0");
      for (int threads : {2, 3, 4}) {
        CsvReadOptions par;
        par.num_threads = threads;
        Table parallel = MustRead(csv, par);
        ExpectSameTable(serial, parallel);
      }
    }
  }
}

TEST(CsvReadTest, ParallelReadReportsTheSameFirstError) {
  std::string csv = BigMixedCsv(250000, false, false);
  // Break a line about 3/4 into the file (a missing field) and another, later one.
  size_t pos = csv.find("\n150001,");
  ASSERT_NE(pos, std::string::npos);
  csv.insert(pos + 1, "oops\n");
  size_t pos2 = csv.find("\n190001,");
  csv.insert(pos2 + 1, "\"x\",y\"\n");
  CsvReadOptions one = Named("big.csv");
  one.num_threads = 1;
  const std::string serial = ReadError(csv, one);
  EXPECT_THAT(serial, HasSubstr("expected 6 fields"));
  for (int threads : {2, 4}) {
    CsvReadOptions par = Named("big.csv");
    par.num_threads = threads;
    EXPECT_EQ(ReadError(csv, par), serial);
  }
}

TEST(CsvWriteTest, QuotesOnlyWhatNeedsQuoting) {
  std::string out;
  AppendCsvField("plain", ',', "", &out);
  out += '|';
  AppendCsvField("a,b", ',', "", &out);
  out += '|';
  AppendCsvField("say \"hi\"", ',', "", &out);
  out += '|';
  AppendCsvField("", ',', "", &out);
  out += '|';
  AppendCsvField(" pad", ',', "", &out);
  out += '|';
  AppendCsvField("NA", ',', "NA", &out);
  out += '|';
  AppendCsvField("l1\nl2", ',', "", &out);
  EXPECT_EQ(out, "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"\"|\" pad\"|\"NA\"|\"l1\nl2\"");
}

Table Sample() {
  std::vector<Column> cols;
  cols.push_back(Column::Int64("i", {1, -2, 0}, {1, 1, 0}));
  cols.push_back(Column::Double("d", {0.1, -1e300, 3.0}, {1, 1, 0}));
  cols.push_back(Column::String("s", {"x,y", "", "\"q\"\nz"}, {1, 1, 1}));
  cols.push_back(Column::Date("t", {0, 18321, -1}, {}));
  cols.push_back(Column::Bool("b", {1, 0, 1}, {1, 0, 1}));
  cols.push_back(Column::String("n", {"a", "b", "c"}, {0, 1, 1}));
  return *Table::Make(std::move(cols));
}

TEST(CsvWriteTest, RoundTripsValuesTypesAndNulls) {
  Table t = Sample();
  const std::string path = TempDir() + "/out.csv";
  ASSERT_TRUE(WriteCsv(t, path).ok());
  CsvReadOptions o;
  o.schema = InferSchema(t);
  absl::StatusOr<Table> back = ReadCsv(path, o);
  ASSERT_TRUE(back.ok()) << back.status();
  ExpectSameTable(t, *back);
  EXPECT_EQ(WriteCsvString(*back), WriteCsvString(t));
  EXPECT_FALSE(Env::Default()->FileExists(path + ".tmp." + std::to_string(getpid())));
  // Shortest round-trip doubles.
  EXPECT_THAT(WriteCsvString(t), HasSubstr("0.1,"));
  EXPECT_THAT(WriteCsvString(t), HasSubstr("-1e+300"));
}

TEST(CsvWriteTest, NumbersAreQuotedWhenTheyCouldBeMisread) {
  std::vector<Column> cols;
  cols.push_back(Column::Int64("i", {0, 12}));
  cols.push_back(Column::Double("d", {1.5, -2.0}));
  Table t = *Table::Make(std::move(cols));
  CsvWriteOptions dot;
  dot.delimiter = '.';
  EXPECT_EQ(WriteCsvString(t, dot), "i.d\n0.\"1.5\"\n12.-2\n");
  CsvWriteOptions zero_is_null;
  zero_is_null.null_token = "0";
  EXPECT_EQ(WriteCsvString(t, zero_is_null), "i,d\n\"0\",1.5\n12,-2\n");
}

TEST(CsvWriteTest, DiskFullIsReportedAndLeavesNoPartialFile) {
  const std::string dir = TempDir();
  const std::string path = dir + "/out.csv";
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(path, "old\n").ok());
  std::vector<int64_t> big(200000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<int64_t>(i) * 1000003;
  std::vector<Column> cols;
  cols.push_back(Column::Int64("v", big));
  Table t = *Table::Make(std::move(cols));
  testing::FaultInjectionEnv env(Env::Default());
  env.SetDiskFullAfterBytes(100000);
  absl::Status s = WriteCsv(t, path, {}, &env);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("No space left on device"));
  EXPECT_EQ(*Env::Default()->ReadFile(path), "old\n");
  EXPECT_FALSE(Env::Default()->FileExists(path + ".tmp." + std::to_string(getpid())));
}

TEST(CsvWriteTest, FailedRenameKeepsOldFile) {
  const std::string path = TempDir() + "/out.csv";
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(path, "old\n").ok());
  testing::FaultInjectionEnv env(Env::Default());
  env.SetFailRenames(true);
  EXPECT_FALSE(WriteCsv(Sample(), path, {}, &env).ok());
  EXPECT_EQ(*Env::Default()->ReadFile(path), "old\n");
  EXPECT_FALSE(Env::Default()->FileExists(path + ".tmp." + std::to_string(getpid())));
}

TEST(CsvWriteTest, StreamingWriterAndAbandon) {
  const std::string path = TempDir() + "/stream.csv";
  {
    absl::StatusOr<std::unique_ptr<CsvWriter>> w = CsvWriter::Open(path, {"a", "b"});
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->WriteRow(std::vector<std::string>{"1", "x y"}).ok());
    ASSERT_TRUE((*w)->WriteRow(std::vector<std::optional<std::string>>{std::nullopt, ""}).ok());
    absl::Status bad = (*w)->WriteRow(std::vector<std::string>{"only one"});
    EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(Env::Default()->FileExists(path));  // not visible before Close
    ASSERT_TRUE((*w)->Close().ok());
    EXPECT_EQ((*w)->rows_written(), 2);
    EXPECT_FALSE((*w)->WriteRow(std::vector<std::string>{"1", "2"}).ok());
  }
  EXPECT_EQ(*Env::Default()->ReadFile(path), "a,b\n1,x y\n,\"\"\n");
  const std::string path2 = TempDir() + "/abandoned.csv";
  {
    auto w = CsvWriter::Open(path2, {"a"});
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->WriteRow(std::vector<std::string>{"1"}).ok());
  }  // destroyed without Close: nothing left behind
  EXPECT_FALSE(Env::Default()->FileExists(path2));
  EXPECT_FALSE(Env::Default()->FileExists(path2 + ".tmp." + std::to_string(getpid())));
}

}  // namespace
}  // namespace dpkit::io
