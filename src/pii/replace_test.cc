#include "dpkit/pii/replace.h"

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "dpkit/io/csv.h"
#include "dpkit/pii/detectors.h"
#include "dpkit/pii/evaluate.h"
#include "dpkit/pii/sample.h"
#include "dpkit/random/seeded_rng.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::pii {
namespace {

using ::testing::HasSubstr;

const char kHexKey[] = "6b8f0e3a9d2c4175e0b1a2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";

io::Table Customers(int64_t rows, uint64_t seed = 5) {
  random::testing::SeededRng rng(seed);
  return *GenerateCustomers({.rows = rows}, rng);
}

const io::Column& Col(const io::Table& t, const char* name) { return **t.ColumnByName(name); }

TEST(PolicyTest, ParsesAndRejectsUnknownKeys) {
  absl::StatusOr<Policy> p = Policy::FromJson(R"({
    "columns": {"email": "hash", "ssn": {"operator": "mask", "keep_last": 2, "mask_char": "#"}},
    "entities": {"PERSON": "fake", "CREDIT_CARD": {"operator": "redact", "token": "<CARD>"}},
    "quasi_identifiers": "keep"
  })");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->columns.at("email").kind, OperatorKind::kHash);
  EXPECT_EQ(p->columns.at("ssn").keep_last, 2);
  EXPECT_EQ(p->columns.at("ssn").mask_char, '#');
  EXPECT_EQ(p->ForEntity(EntityType::kCreditCard).token, "<CARD>");
  EXPECT_TRUE(p->NeedsKey());

  auto err = [](const char* json) {
    absl::StatusOr<Policy> r = Policy::FromJson(json, "p.json");
    EXPECT_FALSE(r.ok()) << json;
    return std::string(r.status().message());
  };
  EXPECT_THAT(err(R"({"colums": {}})"), HasSubstr("unknown key 'colums'"));
  EXPECT_THAT(err(R"({"columns": {"a": "shred"}})"), HasSubstr("unknown operator 'shred'"));
  EXPECT_THAT(err(R"({"entities": {"PASSPORT": "drop"}})"), HasSubstr("unknown entity type"));
  EXPECT_THAT(err(R"({"columns": {"a": {"operator": "mask", "keep_last": -1}}})"),
              HasSubstr("keep_last"));
  EXPECT_THAT(err(R"({"columns": {"a": {"operator": "mask", "keep": 2}}})"),
              HasSubstr("unknown field 'keep'"));
  EXPECT_THAT(err("{not json"), HasSubstr("p.json"));
}

TEST(ReplaceTest, DefaultPolicyReplacesIdentifiersKeepsTheRest) {
  io::Table in = Customers(500);
  PiiKey key = *PiiKey::FromBytes(kHexKey);
  random::testing::SeededRng rng(1);
  ReplaceOptions options;
  options.key = &key;
  options.rng = &rng;
  absl::StatusOr<ReplaceResult> r = ReplacePii(in, options);
  ASSERT_TRUE(r.ok()) << r.status();
  const io::Table& out = r->table;
  ASSERT_EQ(out.num_rows(), in.num_rows());
  ASSERT_EQ(out.num_columns(), in.num_columns());
  // Identifiers changed in every row, and keep their format.
  for (const char* c : {"first_name", "last_name", "email", "phone", "street_address", "credit_card"}) {
    int64_t same = 0;
    for (int64_t i = 0; i < in.num_rows(); ++i) same += Col(in, c).FormatValue(i) == Col(out, c).FormatValue(i);
    EXPECT_LT(same, in.num_rows() / 20) << c;
  }
  for (int64_t i = 0; i < out.num_rows(); ++i) {
    EXPECT_TRUE(IsEmail(Col(out, "email").StringAt(i))) << Col(out, "email").StringAt(i);
    EXPECT_TRUE(IsCreditCard(Col(out, "credit_card").StringAt(i)));
    EXPECT_TRUE(std::regex_match(Col(out, "phone").StringAt(i),
                                 std::regex("[2-9][0-9]{2}-555-01[0-9]{2}")));
  }
  // Quasi-identifiers and safe columns are untouched (types too).
  for (const char* c : {"age", "zip", "state", "income", "segment", "churned", "date_of_birth"}) {
    EXPECT_EQ(Col(out, c).type(), Col(in, c).type()) << c;
    for (int64_t i = 0; i < in.num_rows(); ++i) {
      ASSERT_EQ(Col(out, c).FormatValue(i), Col(in, c).FormatValue(i)) << c;
    }
  }
  // The privacy unit survives (hashed consistently): one output value per input value.
  ASSERT_TRUE(r->privacy_unit.has_value());
  EXPECT_EQ(*r->privacy_unit, "customer_id");
  std::set<std::string> ids;
  for (int64_t i = 0; i < out.num_rows(); ++i) ids.insert(Col(out, "customer_id").StringAt(i));
  EXPECT_EQ(ids.size(), static_cast<size_t>(in.num_rows()));
  EXPECT_THAT(r->ToJson(), HasSubstr("\"actions\""));
}

TEST(ReplaceTest, ConsistentAcrossTablesUnderOneKey) {
  io::Table a = Customers(300, 9);
  // A second "table": the same customers in a different order, fewer columns.
  std::vector<int64_t> rev;
  for (int64_t i = a.num_rows(); i-- > 0;) rev.push_back(i);
  io::Table b = *(*a.TakeRows(rev)).SelectColumns({"email", "phone", "income"});
  PiiKey key = *PiiKey::FromBytes(kHexKey);
  ReplaceOptions options;
  options.key = &key;
  ReplaceResult ra = *ReplacePii(a, options);
  ReplaceResult rb = *ReplacePii(b, options);
  for (int64_t i = 0; i < a.num_rows(); ++i) {
    int64_t j = a.num_rows() - 1 - i;
    ASSERT_EQ(Col(ra.table, "email").StringAt(i), Col(rb.table, "email").StringAt(j));
    ASSERT_EQ(Col(ra.table, "phone").StringAt(i), Col(rb.table, "phone").StringAt(j));
  }
  // A different key gives different pseudonyms.
  PiiKey other = *PiiKey::FromBytes("7b8f0e3a9d2c4175e0b1a2f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7");
  options.key = &other;
  ReplaceResult rc = *ReplacePii(a, options);
  EXPECT_NE(Col(ra.table, "email").StringAt(0), Col(rc.table, "email").StringAt(0));
}

TEST(ReplaceTest, PolicyColumnsDropMaskAndSpans) {
  std::vector<io::Column> cols;
  cols.push_back(io::Column::String("name", {"James Smith", "Mary Johnson", "James Smith"}));
  cols.push_back(io::Column::String("card", {"4111111111111111", "5555555555554444", "4111111111111111"}));
  cols.push_back(io::Column::String("secret", {"a", "b", "c"}));
  cols.push_back(io::Column::String(
      "note", {"Call me at 212-555-0147 or jane@corp.com about the order.",
               "Nothing personal in this note, just a comment about shipping.",
               "My SSN is 460-89-9847, please update the record today."}));
  io::Table in = *io::Table::Make(std::move(cols));
  absl::StatusOr<Policy> p = Policy::FromJson(R"({
    "columns": {"secret": "drop", "card": {"operator": "mask", "keep_last": 4},
                "note": "spans", "name": "redact"},
    "entities": {"PHONE": "redact", "EMAIL": {"operator": "redact", "token": "<EMAIL>"},
                 "US_SSN": "fake"}
  })");
  ASSERT_TRUE(p.ok()) << p.status();
  random::testing::SeededRng rng(2);
  ReplaceOptions options;
  options.policy = *p;
  options.rng = &rng;
  absl::StatusOr<ReplaceResult> r = ReplacePii(in, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->table.ColumnNames(), (std::vector<std::string>{"name", "card", "note"}));
  EXPECT_EQ(Col(r->table, "name").StringAt(0), "[PERSON]");
  EXPECT_EQ(Col(r->table, "card").StringAt(1), "************4444");
  EXPECT_EQ(Col(r->table, "note").StringAt(0), "Call me at [PHONE] or <EMAIL> about the order.");
  EXPECT_EQ(Col(r->table, "note").StringAt(1), in.column(3).StringAt(1));
  EXPECT_TRUE(std::regex_match(Col(r->table, "note").StringAt(2),
                               std::regex("My SSN is 9[0-9]{2}-[0-9]{2}-[0-9]{4}, please update the record today\\.")))
      << Col(r->table, "note").StringAt(2);
}

TEST(ReplaceTest, ErrorsNameTheProblem) {
  io::Table in = Customers(50);
  ReplaceOptions options;
  options.policy = *Policy::FromJson(R"({"columns": {"emial": "drop"}})");
  absl::StatusOr<ReplaceResult> r = ReplacePii(in, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("unknown column 'emial'"));
  // Keyed operator without a key.
  options.policy = Policy::Default();
  r = ReplacePii(in, options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("key"));
}

TEST(ReplaceTest, ReadCsvAsTextKeepsExactText) {
  std::string path = ::testing::TempDir() + "/pii_read_text.csv";
  ASSERT_TRUE(Env::Default()->WriteFileAtomically(path, "zip,card,n\n02127,4111 1111 1111 1111,1\n,x,2\n").ok());
  absl::StatusOr<io::Table> t = ReadCsvAsText(path);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(Col(*t, "zip").type(), io::DataType::kString);
  EXPECT_EQ(Col(*t, "zip").StringAt(0), "02127");
  EXPECT_TRUE(Col(*t, "zip").IsNull(1));
  EXPECT_EQ(Col(*t, "n").StringAt(0), "1");
  EXPECT_FALSE(ReadCsvAsText(path + ".missing").ok());
}

TEST(SampleTest, ShapeCorrelationsAndDeterminism) {
  io::Table t = Customers(5000, kDefaultSampleSeed);
  EXPECT_EQ(t.num_rows(), 5000);
  EXPECT_EQ(t.num_columns(), 21);
  io::Table again = Customers(5000, kDefaultSampleSeed);
  for (int c = 0; c < t.num_columns(); ++c) {
    for (int64_t i = 0; i < 50; ++i) ASSERT_EQ(t.column(c).FormatValue(i), again.column(c).FormatValue(i));
  }
  // Correlations the generator promises.
  auto mean_if = [&](const char* col, auto pred) {
    double s = 0;
    int64_t n = 0;
    for (int64_t i = 0; i < t.num_rows(); ++i) {
      if (pred(i)) {
        s += Col(t, col).NumericAt(i);
        ++n;
      }
    }
    return s / std::max<int64_t>(n, 1);
  };
  const auto& edu = Col(t, "education");
  double inc_hs = mean_if("income", [&](int64_t i) { return edu.StringAt(i) == "High School"; });
  double inc_ma = mean_if("income", [&](int64_t i) { return edu.StringAt(i) == "Master"; });
  EXPECT_GT(inc_ma, 1.5 * inc_hs);
  const auto& churn = Col(t, "churned");
  double buy_churn = mean_if("purchases_12m", [&](int64_t i) { return churn.NumericAt(i) == 1; });
  double buy_stay = mean_if("purchases_12m", [&](int64_t i) { return churn.NumericAt(i) == 0; });
  EXPECT_LT(buy_churn, buy_stay);
  // City determines state and the ZIP prefix; phone area codes match the city.
  for (int64_t i = 0; i < t.num_rows(); ++i) {
    if (Col(t, "city").StringAt(i) == "Boston") {
      ASSERT_EQ(Col(t, "state").StringAt(i), "MA");
      ASSERT_EQ(Col(t, "zip").StringAt(i).substr(0, 3), "021");
      ASSERT_EQ(Col(t, "phone").StringAt(i).substr(0, 3), "617");
    }
    ASSERT_TRUE(IsCreditCard(Col(t, "credit_card").StringAt(i)));
    ASSERT_TRUE(IsEmail(Col(t, "email").StringAt(i)));
    const int64_t age = static_cast<int64_t>(Col(t, "age").NumericAt(i));
    ASSERT_GE(age, 18);
    ASSERT_LE(age, 86);
  }
  random::testing::SeededRng rng(1);
  EXPECT_FALSE(GenerateCustomers({.rows = 0}, rng).ok());
}

TEST(EvaluateTest, ScoringRuleOnAToyExample) {
  std::vector<LabelledText> texts(1);
  texts[0].text = "Jane Roe lives at 1 Main St";
  texts[0].spans = {{"PERSON", 0, 8}, {"STREET_ADDRESS", 18, 27}};
  std::vector<std::vector<LabelledSpan>> pred = {{{"PERSON", 0, 4}, {"PHONE_NUMBER", 18, 19}}};
  EvalReport r = ScoreSpans(texts, pred);
  const CategoryScore* person = nullptr;
  for (const auto& c : r.categories) {
    if (c.category == "PERSON") person = &c;
  }
  ASSERT_NE(person, nullptr);
  EXPECT_EQ(person->gold_found, 1);
  EXPECT_DOUBLE_EQ(person->precision, 1.0);
  EXPECT_DOUBLE_EQ(person->recall, 1.0);
  EXPECT_DOUBLE_EQ(person->char_recall, 0.5);
  EXPECT_EQ(r.micro.gold, 2);
  EXPECT_EQ(r.micro.predicted, 2);
  EXPECT_EQ(r.micro.predicted_ok, 1);
}

// Detection quality on the labelled sentences: guards against regressions (measured figures are
// in docs/benchmarks.md; these floors sit a few points below them).
TEST(EvaluateDataTest, SynthDatasetFloors) {
  const std::string path =
      std::string(DPKIT_SHARED_DATA_DIR) + "/pii-fakenamegenerator/synth_dataset_v2.json";
  if (!Env::Default()->FileExists(path)) GTEST_SKIP() << "shared data not found: " << path;
  absl::StatusOr<std::vector<LabelledText>> texts = LoadLabelledTexts(path);
  ASSERT_TRUE(texts.ok()) << texts.status();
  ASSERT_EQ(texts->size(), 1500u);
  EvalReport r = EvaluateDetector(*texts);
  for (const auto& c : r.categories) {
    if (c.category == "CREDIT_CARD" || c.category == "EMAIL_ADDRESS" || c.category == "IBAN_CODE" ||
        c.category == "US_SSN" || c.category == "IP_ADDRESS") {
      EXPECT_GE(c.f1, 0.95) << c.category;
    }
    if (c.category == "PHONE_NUMBER" || c.category == "DOMAIN_NAME") {
      EXPECT_GE(c.f1, 0.8) << c.category;
    }
    if (c.category == "DATE_TIME" || c.category == "STREET_ADDRESS") {
      EXPECT_GE(c.f1, 0.65) << c.category;
    }
    if (c.category == "PERSON") {
      EXPECT_GE(c.f1, 0.45) << c.category;
    }
  }
  EXPECT_GE(r.micro.f1, 0.65);
}

}  // namespace
}  // namespace dpkit::pii
