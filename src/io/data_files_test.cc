// Reads the real data sets in ../shared/data (skipped when absent; CI has them). Expected
// counts were established independently with Python's csv module.
#include <sys/stat.h>

#include <string>

#include "dpkit/io/csv.h"
#include "dpkit/io/encoded.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::io {
namespace {

std::string DataPath(const std::string& rel) {
  return std::string(DPKIT_SHARED_DATA_DIR) + "/" + rel;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

#define REQUIRE_DATA(rel)                                                              \
  const std::string path = DataPath(rel);                                              \
  if (!Exists(path)) GTEST_SKIP() << "shared data not found: " << path << " (CI has it)"

int64_t TotalNulls(const Table& t) {
  int64_t n = 0;
  for (const Column& c : t.columns()) n += c.null_count();
  return n;
}

TEST(DataFilesTest, AdultUciLeadingSpacesAndQuestionMarks) {
  REQUIRE_DATA("adult-uci/adult.data");
  CsvReadOptions o;
  o.has_header = false;
  o.column_names = {"age", "workclass", "fnlwgt", "education", "education-num",
                    "marital-status", "occupation", "relationship", "race", "sex",
                    "capital-gain", "capital-loss", "hours-per-week", "native-country",
                    "income"};
  o.null_tokens = {"?"};
  absl::StatusOr<Table> t = ReadCsv(path, o);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->num_rows(), 32561);
  EXPECT_EQ(t->column(0).type(), DataType::kInt64);
  EXPECT_EQ(t->column(0).int64_values()[0], 39);
  EXPECT_EQ(t->column(1).type(), DataType::kString);
  EXPECT_EQ(t->column(1).StringAt(0), "State-gov");  // leading space trimmed
  EXPECT_EQ(t->column(1).null_count(), 1836);
  EXPECT_EQ(TotalNulls(*t), 4262);
  EXPECT_EQ(t->column(14).dictionary(), (std::vector<std::string>{"<=50K", ">50K"}));

  // adult.test: a junk first line, labels with a trailing dot.
  const std::string test_path = DataPath("adult-uci/adult.test");
  o.skip_lines = 1;
  absl::StatusOr<Table> test = ReadCsv(test_path, o);
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(test->num_rows(), 16281);
  EXPECT_EQ(test->column(14).dictionary(), (std::vector<std::string>{"<=50K.", ">50K."}));
}

TEST(DataFilesTest, SmartnoisePumsNull) {
  REQUIRE_DATA("smartnoise-pums/PUMS_null.csv");
  absl::StatusOr<Table> t = ReadCsv(path);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->num_rows(), 1948);
  EXPECT_EQ((*t->ColumnByName("age"))->null_count(), 116);
  EXPECT_EQ((*t->ColumnByName("income"))->null_count(), 86);
  EXPECT_EQ((*t->ColumnByName("income"))->type(), DataType::kInt64);
  CsvReadOptions drop;
  drop.null_policy = NullPolicy::kDropRow;
  CsvReadStats stats;
  absl::StatusOr<Table> d = ReadCsv(path, drop, Env::Default(), &stats);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(stats.dropped_rows, 734);
  EXPECT_EQ(d->num_rows(), 1948 - 734);
  CsvReadOptions strict;
  strict.null_policy = NullPolicy::kError;
  absl::StatusOr<Table> e = ReadCsv(path, strict);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(std::string(e.status().message()),
              ::testing::HasSubstr("PUMS_null.csv:5: column 'age': missing value"));
}

TEST(DataFilesTest, NistAcsCrlfAndNTokens) {
  REQUIRE_DATA("nist-acs-excerpts/ma2019.csv");
  CsvReadOptions o;
  o.null_tokens = {"N"};
  absl::StatusOr<Table> t = ReadCsv(path, o);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->num_rows(), 7634);
  EXPECT_EQ(t->num_columns(), 24);
  EXPECT_EQ(t->column(23).name(), "WGTP");  // no stray CR in the last name
  EXPECT_EQ((*t->ColumnByName("PUMA"))->type(), DataType::kString);
  EXPECT_EQ((*t->ColumnByName("DENSITY"))->type(), DataType::kDouble);
  EXPECT_EQ((*t->ColumnByName("PINCP"))->type(), DataType::kDouble);
  EXPECT_EQ((*t->ColumnByName("PINCP"))->null_count(), 1120);
  EXPECT_EQ((*t->ColumnByName("MSP"))->null_count(), 1120);
  EXPECT_EQ((*t->ColumnByName("MSP"))->type(), DataType::kInt64);
  EXPECT_EQ((*t->ColumnByName("WGTP"))->type(), DataType::kInt64);
  // Without 'N' as a null token the columns holding it are text, never numbers.
  absl::StatusOr<Table> raw = ReadCsv(path);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ((*raw->ColumnByName("MSP"))->type(), DataType::kString);
}

TEST(DataFilesTest, AimBenchmarkWithDomains) {
  REQUIRE_DATA("aim-benchmark/adult.csv");
  absl::StatusOr<Domain> d = LoadDomain(DataPath("aim-benchmark/adult-domain.json"));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->num_attributes(), 14);
  EXPECT_EQ(d->name(13), "income>50K");
  absl::StatusOr<EncodedTable> e = ReadEncodedCsv(path, *d);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->num_rows(), 48842);
  absl::StatusOr<Marginal> m = ComputeMarginal(*e, {"sex", "income>50K"});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->total(), 48842);

  // A domain that is too small is reported with file, attribute and row.
  absl::StatusOr<Domain> small = Domain::FromJson(R"({"age": 10})");
  absl::StatusOr<EncodedTable> bad = ReadEncodedCsv(path, *small);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              ::testing::HasSubstr("adult.csv: attribute 'age': a code outside the "
                                   "domain 0..9"));
}

TEST(DataFilesTest, AimBenchmarkGzipAndExtraColumns) {
  REQUIRE_DATA("aim-benchmark/fire.csv.gz");
  absl::StatusOr<Domain> d = LoadDomain(DataPath("aim-benchmark/fire-domain.json"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->num_attributes(), 30);
  // The CSV also has Box and Address, which are not in the domain: ignored.
  absl::StatusOr<EncodedTable> e = ReadEncodedCsv(path, *d);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->num_rows(), 305119);
  absl::StatusOr<Domain> md = LoadDomain(DataPath("aim-benchmark/msnbc-domain.json"));
  absl::StatusOr<EncodedTable> msnbc = ReadEncodedCsv(DataPath("aim-benchmark/msnbc.csv.gz"), *md);
  ASSERT_TRUE(msnbc.ok()) << msnbc.status();
  EXPECT_EQ(msnbc->num_rows(), 989818);
  EXPECT_EQ(msnbc->num_attributes(), 16);
}

TEST(DataFilesTest, BomQuotedAndMultilineFields) {
  REQUIRE_DATA("pii-fakenamegenerator/FakeNameGenerator.com_3000.csv");
  absl::StatusOr<Table> t = ReadCsv(path);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->num_rows(), 3000);
  EXPECT_EQ(t->column(0).name(), "Number");  // BOM stripped
  EXPECT_EQ((*t->ColumnByName("Surname"))->StringAt(0), "Hamanov\xC3\xA1");
  EXPECT_EQ((*t->ColumnByName("CCNumber"))->type(), DataType::kInt64);

  absl::StatusOr<Table> ecom = ReadCsv(DataPath("pii-gretel/ecommerce_customers.csv"));
  ASSERT_TRUE(ecom.ok()) << ecom.status();
  EXPECT_EQ(ecom->num_rows(), 500);
  EXPECT_EQ((*ecom->ColumnByName("Address"))->StringAt(0),
            "835 Frank Tunnel\nWrightmouth, MI 82180-9605");

  CsvReadOptions o;
  o.null_tokens = {"\\N"};
  absl::StatusOr<Table> hipaa = ReadCsv(DataPath("pii-gretel/hipaa_patients.csv"), o);
  ASSERT_TRUE(hipaa.ok()) << hipaa.status();
  EXPECT_EQ(hipaa->num_rows(), 1725);
  EXPECT_EQ(TotalNulls(*hipaa), 1781);
}

TEST(DataFilesTest, EveryCsvInSharedDataReads) {
  REQUIRE_DATA("README.md");
  const char* files[] = {
      "adult-pgm-pubpriv/priv.csv",          "adult-pgm-pubpriv/pub.csv",
      "aim-benchmark/loans.csv.gz",          "aim-benchmark/nltcs.csv",
      "aim-benchmark/salary.csv.gz",         "aim-benchmark/stroke.csv.gz",
      "aim-benchmark/titanic.csv",           "nist-acs-excerpts/national2019.csv",
      "nist-temporal-extracts/nist-taxi.csv.gz",
      "nist-temporal-extracts/temporal-match2.csv.gz",
      "smartnoise-pums/PUMS.csv",            "smartnoise-pums/PUMS_dup.csv",
      "smartnoise-pums/PUMS_pid.csv",        "smartnoise-reident/data_demographic.csv",
      "smartnoise-reident/data_medical.csv", "google-dp-examples/week_data.csv",
      "google-dp-examples/day_data.csv",     "google-dp-examples/outliers_week_data.csv",
      "pii-gretel/patients.csv",             "pii-gretel/sample-transform-emails.csv",
      "pii-presidio/fabric_sample_data.csv", "pii-presidio/test_structured.csv",
      "sklearn-toy/iris.csv",
  };
  for (const char* f : files) {
    absl::StatusOr<Table> t = ReadCsv(DataPath(f));
    EXPECT_TRUE(t.ok()) << f << ": " << t.status();
    if (t.ok()) {
      EXPECT_GT(t->num_rows(), 0) << f;
    }
  }
  // scikit-learn's files start with "n_samples,n_features,class names": a ragged first line
  // that is reported as such, and skipped with skip_lines.
  absl::StatusOr<Table> wine = ReadCsv(DataPath("sklearn-toy/wine_data.csv"));
  EXPECT_THAT(std::string(wine.status().message()),
              ::testing::HasSubstr("wine_data.csv:2: expected 5 fields (as in the header), "
                                   "found 14"));
  CsvReadOptions skip;
  skip.has_header = false;
  skip.skip_lines = 1;
  for (const char* f : {"sklearn-toy/wine_data.csv", "sklearn-toy/breast_cancer.csv"}) {
    absl::StatusOr<Table> t = ReadCsv(DataPath(f), skip);
    EXPECT_TRUE(t.ok()) << f << ": " << t.status();
  }
  CsvReadOptions noheader;
  noheader.has_header = false;
  for (const char* f : {"google-dp-examples/animals_and_carrots.csv", "sklearn-toy/digits.csv.gz"}) {
    absl::StatusOr<Table> t = ReadCsv(DataPath(f), noheader);
    EXPECT_TRUE(t.ok()) << f << ": " << t.status();
  }
}

}  // namespace
}  // namespace dpkit::io
