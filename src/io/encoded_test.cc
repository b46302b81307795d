#include "dpkit/io/encoded.h"

#include <unistd.h>

#include <cmath>
#include <map>

#include "dpkit/random/samplers.h"
#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// GCC 12 warns about designated initializers that leave members defaulted.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace dpkit::io {
namespace {

using ::testing::HasSubstr;

TEST(DomainTest, JsonKeepsFileOrder) {
  absl::StatusOr<Domain> d = Domain::FromJson(R"({"zeta": 3, "alpha": 2, "mid": 7})");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->names(), (std::vector<std::string>{"zeta", "alpha", "mid"}));
  EXPECT_EQ(d->sizes(), (std::vector<int64_t>{3, 2, 7}));
  EXPECT_EQ(d->ToJson(), "{\"zeta\":3,\"alpha\":2,\"mid\":7}\n");
  EXPECT_EQ(*Domain::FromJson(d->ToJson()), *d);
  EXPECT_EQ(*d->NumCells({"zeta", "mid"}), 21);
  EXPECT_EQ(d->Project({"mid", "zeta"})->sizes(), (std::vector<int64_t>{7, 3}));
  EXPECT_THAT(std::string(d->Index("beta").status().message()),
              HasSubstr("unknown attribute 'beta' (available: zeta, alpha, mid)"));
  EXPECT_THAT(std::string(d->Indices({"mid", "mid"}).status().message()), HasSubstr("twice"));
}

TEST(DomainTest, Errors) {
  EXPECT_THAT(std::string(Domain::FromJson("[1]", "d.json").status().message()),
              HasSubstr("d.json: not a domain JSON object"));
  EXPECT_THAT(std::string(Domain::FromJson(R"({"a": 2.5})", "d.json").status().message()),
              HasSubstr("size of attribute 'a' must be a positive integer, got 2.5"));
  EXPECT_THAT(std::string(Domain::FromJson(R"({"a": 0})", "d.json").status().message()),
              HasSubstr("d.json: domain size of attribute 'a' must be in [1, 2^31-1], got 0"));
  EXPECT_EQ(LoadDomain("/nonexistent/x-domain.json").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(EncodedTableTest, ValidatesCodes) {
  Domain d = *Domain::Create({"a", "b"}, {2, 3});
  absl::StatusOr<EncodedTable> ok = EncodedTable::Create(d, {{0, 1, 1}, {2, 0, 1}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->num_rows(), 3);
  absl::StatusOr<EncodedTable> bad = EncodedTable::Create(d, {{0, 1, 1}, {2, 3, 1}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("attribute 'b': a code outside the domain 0..2"));
  EXPECT_THAT(std::string(EncodedTable::Create(d, {{0}, {0, 1}}).status().message()),
              HasSubstr("has 2 rows, expected 1"));
  EXPECT_FALSE(EncodedTable::Create(d, {{-1}, {0}}).ok());
}

TEST(EncodedTableTest, FromTableTakesDomainColumnsByName) {
  std::vector<Column> cols;
  cols.push_back(Column::String("extra", {"x", "y"}));
  cols.push_back(Column::Int64("b", {2, 0}));
  cols.push_back(Column::Int64("a", {1, 0}));
  Table t = *Table::Make(std::move(cols));
  Domain d = *Domain::Create({"a", "b"}, {2, 3});
  absl::StatusOr<EncodedTable> e = EncodedTable::FromTable(t, d);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->column(0), (std::vector<int32_t>{1, 0}));
  EXPECT_EQ(e->column(1), (std::vector<int32_t>{2, 0}));
  Domain small = *Domain::Create({"b"}, {2});
  EXPECT_THAT(std::string(EncodedTable::FromTable(t, small).status().message()),
              HasSubstr("attribute 'b': a code outside the domain 0..1"));
  Domain missing = *Domain::Create({"c"}, {2});
  EXPECT_EQ(EncodedTable::FromTable(t, missing).status().code(), absl::StatusCode::kNotFound);
  Domain str = *Domain::Create({"extra"}, {2});
  EXPECT_THAT(std::string(EncodedTable::FromTable(t, str).status().message()),
              HasSubstr("has type string"));
}

// A random encoded table (fixed seed).
EncodedTable RandomTable(int64_t rows, const std::vector<int64_t>& sizes, uint64_t seed) {
  random::testing::SeededRng rng(seed);
  std::vector<std::string> names;
  std::vector<std::vector<int32_t>> cols(sizes.size());
  for (size_t a = 0; a < sizes.size(); ++a) {
    names.push_back("x" + std::to_string(a));
    cols[a].resize(rows);
    for (int64_t r = 0; r < rows; ++r) {
      // Skewed: correlated with the previous attribute half of the time.
      if (a > 0 && random::UniformUint64(rng, 2) == 0) {
        cols[a][r] = cols[a - 1][r] % static_cast<int32_t>(sizes[a]);
      } else {
        cols[a][r] = static_cast<int32_t>(random::UniformUint64(rng, sizes[a]));
      }
    }
  }
  return *EncodedTable::Create(*Domain::Create(names, sizes), std::move(cols));
}

std::vector<double> BruteForce(const EncodedTable& t, const std::vector<int>& attrs,
                               const std::vector<double>* w, int64_t begin, int64_t end) {
  int64_t cells = 1;
  for (int a : attrs) cells *= t.domain().size(a);
  std::vector<double> out(cells, 0.0);
  for (int64_t r = begin; r < end; ++r) {
    int64_t idx = 0;
    for (int a : attrs) idx = idx * t.domain().size(a) + t.column(a)[r];
    out[idx] += w ? (*w)[r] : 1.0;
  }
  return out;
}

TEST(MarginalTest, MatchesBruteForceForAnyThreadCount) {
  const EncodedTable t = RandomTable(300000, {3, 18, 5, 2, 1000}, 7);
  const std::vector<std::vector<int>> workloads = {
      {}, {0}, {4}, {1, 0}, {0, 1, 2}, {2, 4}, {3, 1, 4}, {0, 1, 2, 3}};
  for (const auto& attrs : workloads) {
    std::vector<std::string> names;
    for (int a : attrs) names.push_back(t.domain().name(a));
    const std::vector<double> expected = BruteForce(t, attrs, nullptr, 0, t.num_rows());
    for (int threads : {1, 2, 3}) {
      MarginalOptions o;
      o.num_threads = threads;
      absl::StatusOr<Marginal> m = ComputeMarginal(t, names, o);
      ASSERT_TRUE(m.ok()) << m.status();
      EXPECT_EQ(m->counts(), expected) << names.size() << " attrs, threads " << threads;
      EXPECT_EQ(m->total(), 300000.0);
    }
  }
}

TEST(MarginalTest, WeightsAndShapeAndFlatIndex) {
  const EncodedTable t = RandomTable(5000, {4, 3, 6}, 11);
  std::vector<double> w(t.num_rows());
  for (int64_t r = 0; r < t.num_rows(); ++r) w[r] = 0.25 * static_cast<double>(r % 8);
  MarginalOptions o;
  o.weights = w;
  absl::StatusOr<Marginal> m = ComputeMarginal(t, {"x2", "x0"}, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->shape(), (std::vector<int64_t>{6, 4}));
  EXPECT_EQ(m->counts(), BruteForce(t, {2, 0}, &w, 0, t.num_rows()));  // dyadic weights: exact
  const int32_t cell[] = {5, 2};
  EXPECT_EQ(m->FlatIndex(cell), 5 * 4 + 2);
  std::vector<double> bad_w(t.num_rows(), 1.0);
  bad_w[17] = std::nan("");
  o.weights = bad_w;
  EXPECT_THAT(std::string(ComputeMarginal(t, {"x0"}, o).status().message()),
              HasSubstr("weight of row 18 must be finite"));
}

TEST(MarginalTest, PartialMarginalsMergeToTheWhole) {
  const EncodedTable t = RandomTable(100003, {5, 7, 9}, 3);
  const std::vector<std::string> attrs = {"x0", "x2"};
  absl::StatusOr<Marginal> whole = ComputeMarginal(t, attrs);
  ASSERT_TRUE(whole.ok());
  absl::StatusOr<Marginal> merged = Marginal::Zeros(t.domain(), attrs);
  ASSERT_TRUE(merged.ok());
  const int64_t cuts[] = {0, 1, 40000, 40000, 77777, 100003};
  for (int i = 0; i + 1 < 6; ++i) {
    MarginalOptions o;
    o.row_begin = cuts[i];
    o.row_end = cuts[i + 1];
    absl::StatusOr<Marginal> part = ComputeMarginal(t, attrs, o);
    ASSERT_TRUE(part.ok());
    EXPECT_EQ(part->counts(), BruteForce(t, {0, 2}, nullptr, cuts[i], cuts[i + 1]));
    ASSERT_TRUE(merged->Merge(*part).ok());
  }
  EXPECT_EQ(merged->counts(), whole->counts());
  // Separately encoded partitions (SliceRows) give the same.
  absl::StatusOr<Marginal> a = ComputeMarginal(t.SliceRows(0, 50000), attrs);
  absl::StatusOr<Marginal> b = ComputeMarginal(t.SliceRows(50000, 1 << 30), attrs);
  ASSERT_TRUE(a->Merge(*b).ok());
  EXPECT_EQ(a->counts(), whole->counts());
  absl::StatusOr<Marginal> other = ComputeMarginal(t, {"x1"});
  EXPECT_THAT(std::string(merged->Merge(*other).message()), HasSubstr("different attributes"));
}

TEST(MarginalTest, Errors) {
  const EncodedTable t = RandomTable(10, {1000, 1000, 1000}, 1);
  MarginalOptions o;
  o.max_cells = 1000000;
  EXPECT_THAT(std::string(ComputeMarginal(t, {"x0", "x1", "x2"}, o).status().message()),
              HasSubstr("has 1000000000 cells, above max_cells"));
  EXPECT_EQ(ComputeMarginal(t, {"nope"}).status().code(), absl::StatusCode::kNotFound);
  o.row_begin = 5;
  o.row_end = 11;
  EXPECT_EQ(ComputeMarginal(t, {"x0"}, o).status().code(), absl::StatusCode::kInvalidArgument);
}

Table People() {
  std::vector<Column> cols;
  cols.push_back(Column::String("sex", {"F", "M", "F", "X"}, {1, 1, 1, 1}));
  cols.push_back(Column::Double("income", {-5, 10000, 49999.5, 1e9}, {1, 1, 0, 1}));
  cols.push_back(Column::Int64("educ", {1, 3, 2, 3}));
  cols.push_back(Column::Date("day", {0, 10, 20, 30}));
  return *Table::Make(std::move(cols));
}

TEST(EncoderTest, EncodeCategoriesBinsOtherAndNull) {
  std::vector<ColumnEncoding> encs(4);
  encs[0] = {.name = "sex", .categories = {"F", "M"}, .other_category = true};
  encs[1] = {.name = "income", .bin_edges = {0, 10000, 50000, 100000}, .null_category = true};
  encs[2] = {.name = "educ", .categories = {"1", "2", "3"}};
  encs[3] = {.name = "day", .bin_edges = {0, 15, 31}};
  absl::StatusOr<Encoder> enc = Encoder::Create(encs);
  ASSERT_TRUE(enc.ok()) << enc.status();
  EXPECT_EQ(enc->domain().sizes(), (std::vector<int64_t>{3, 4, 3, 2}));
  absl::StatusOr<EncodedTable> e = enc->Encode(People());
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->column(0), (std::vector<int32_t>{0, 1, 0, 2}));  // X -> other
  EXPECT_EQ(e->column(1), (std::vector<int32_t>{0, 1, 3, 2}));  // clamped; null -> 3
  EXPECT_EQ(e->column(2), (std::vector<int32_t>{0, 2, 1, 2}));
  EXPECT_EQ(e->column(3), (std::vector<int32_t>{0, 0, 1, 1}));
}

TEST(EncoderTest, EncodeErrors) {
  absl::StatusOr<Encoder> enc =
      Encoder::Create({{.name = "sex", .categories = {"F", "M"}}});
  ASSERT_TRUE(enc.ok());
  EXPECT_THAT(std::string(enc->Encode(People()).status().message()),
              HasSubstr("column 'sex': a value is not one of the declared categories"));
  absl::StatusOr<Encoder> nonull =
      Encoder::Create({{.name = "income", .bin_edges = {0, 1, 2}}});
  EXPECT_THAT(std::string(nonull->Encode(People()).status().message()),
              HasSubstr("column 'income': a missing value"));
  EXPECT_FALSE(Encoder::Create({{.name = "a"}}).ok());
  EXPECT_FALSE(Encoder::Create({{.name = "a", .bin_edges = {2, 1}}}).ok());
  EXPECT_FALSE(Encoder::Create({{.name = "a", .categories = {"x", "x"}}}).ok());
}

TEST(EncoderTest, FromSchemaRequiresPublicCategoriesOrBins) {
  Schema s;
  s.columns.push_back({.name = "sex", .type = DataType::kString, .categories = {"F", "M", "X"}});
  s.columns.push_back({.name = "age", .type = DataType::kInt64});
  absl::StatusOr<Encoder> bad = Encoder::FromSchema(s);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("declare \"categories\" or \"bins\" for column 'age'"));
  absl::StatusOr<Encoder> ok = Encoder::FromSchema(s, {"sex"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->domain().sizes(), (std::vector<int64_t>{4}));  // + null code (nullable)
}

TEST(EncoderTest, DecodeIsInverseOnCategoriesAndStaysInBins) {
  std::vector<ColumnEncoding> encs(4);
  encs[0] = {.name = "sex", .categories = {"F", "M"}, .other_category = true};
  encs[1] = {.name = "income", .bin_edges = {0, 10000, 50000, 100000}, .null_category = true};
  encs[2] = {.name = "educ", .categories = {"1", "2", "3"}};
  encs[3] = {.name = "day", .bin_edges = {0, 15, 31}};
  Encoder enc = *Encoder::Create(encs);
  EncodedTable e = *enc.Encode(People());
  random::testing::SeededRng rng(5);
  absl::StatusOr<Table> back =
      enc.Decode(e, rng, {DataType::kString, DataType::kDouble, DataType::kInt64, DataType::kDate});
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->column(0).StringAt(3), "other");
  EXPECT_EQ(back->column(2).int64_values(), (std::vector<int64_t>{1, 3, 2, 3}));
  EXPECT_TRUE(back->column(1).IsNull(2));
  EXPECT_EQ(back->column(3).type(), DataType::kDate);
  // Re-encoding the decoded table gives the same codes.
  absl::StatusOr<EncodedTable> again = enc.Encode(*back);
  ASSERT_TRUE(again.ok()) << again.status();
  for (int a = 0; a < 4; ++a) EXPECT_EQ(again->column(a), e.column(a)) << a;
}

TEST(EncoderTest, CategoricalColumnWithOnlyOtherRoundTrips) {
  // Private partition selection may keep no value at all: every value maps to "other".
  Encoder enc = *Encoder::Create({{.name = "sex", .other_category = true}});
  EXPECT_EQ(enc.domain().sizes(), (std::vector<int64_t>{1}));
  EncodedTable e = *enc.Encode(People());
  EXPECT_EQ(e.column(0), (std::vector<int32_t>{0, 0, 0, 0}));
  random::testing::SeededRng rng(5);
  absl::StatusOr<Table> back = enc.Decode(e, rng, {DataType::kString});
  ASSERT_TRUE(back.ok()) << back.status();
  for (int64_t r = 0; r < 4; ++r) EXPECT_EQ(back->column(0).StringAt(r), "other");
  absl::StatusOr<Table> untyped = enc.Decode(e, rng);
  ASSERT_TRUE(untyped.ok()) << untyped.status();
  EXPECT_EQ(untyped->column(0).type(), DataType::kString);
}

TEST(EncoderTest, DecodedIntegersAreUniformWithinTheirBin) {
  // Bin [10, 15) of an int64 column holds 10..14; decoded values must cover them uniformly.
  Encoder enc = *Encoder::Create({{.name = "v", .bin_edges = {0, 10, 15, 20}}});
  const int n = 50000;
  std::vector<std::vector<int32_t>> cols = {std::vector<int32_t>(n, 1)};
  EncodedTable e = *EncodedTable::Create(enc.domain(), std::move(cols));
  random::testing::SeededRng rng(99);
  Table t = *enc.Decode(e, rng, {DataType::kInt64});
  std::map<int64_t, int> hist;
  for (int64_t v : t.column(0).int64_values()) ++hist[v];
  ASSERT_EQ(hist.size(), 5u);
  EXPECT_EQ(hist.begin()->first, 10);
  EXPECT_EQ(hist.rbegin()->first, 14);
  // Each count ~ Binomial(50000, 0.2): sd ~ 89; 6 sd = 536 bounds a false failure by ~1e-8.
  for (auto [v, c] : hist) EXPECT_NEAR(c, 10000, 536) << v;
}

}  // namespace
}  // namespace dpkit::io
