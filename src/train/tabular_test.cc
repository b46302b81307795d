#include "dpkit/train/tabular.h"

#include "dpkit/io/csv.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::train {
namespace {

using ::testing::HasSubstr;

constexpr char kSchema[] = R"({
  "null_tokens": ["?"],
  "columns": [
    {"name": "age", "type": "int64", "lower": 0, "upper": 100, "nullable": false},
    {"name": "hours", "type": "double", "lower": 0, "upper": 50},
    {"name": "color", "type": "string", "categories": ["red", "blue"]},
    {"name": "label", "type": "string", "categories": ["no", "yes"]},
    {"name": "income", "type": "double"}
  ]})";

io::Schema Schema() {
  auto s = io::Schema::FromJson(kSchema);
  EXPECT_TRUE(s.ok()) << s.status();
  return *s;
}

io::Table Csv(const std::string& text) {
  io::CsvReadOptions o;
  o.schema = Schema();
  auto t = io::ReadCsvString(text, o);
  EXPECT_TRUE(t.ok()) << t.status();
  return *t;
}

TEST(TabularEncoder, OneHotScaledAndMissingIndicators) {
  auto enc = TabularEncoder::Create(Schema(), "label", {"age", "hours", "color"}, TaskKind::kAuto);
  ASSERT_TRUE(enc.ok()) << enc.status();
  EXPECT_EQ(enc->task(), TaskKind::kClassification);
  EXPECT_THAT(enc->feature_names(),
              ::testing::ElementsAre("age", "hours", "hours=<missing>", "color=red", "color=blue",
                                     "color=<other>"));
  auto data = enc->Encode(Csv("age,hours,color,label,income\n"
                              "50,25,red,yes,1\n"
                              "200,?,green,no.,2\n"
                              "0,50,?,?,3\n"),
                          "t.csv");
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->dropped_rows, 1);
  ASSERT_EQ(data->x.size(0), 2);
  auto row0 = data->x[0];
  EXPECT_FLOAT_EQ(row0[0].item<float>(), 0.0f);   // 50 in [0,100] -> 0
  EXPECT_FLOAT_EQ(row0[1].item<float>(), 0.0f);   // 25 in [0,50] -> 0
  EXPECT_FLOAT_EQ(row0[2].item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(row0[3].item<float>(), 1.0f);   // red
  auto row1 = data->x[1];
  EXPECT_FLOAT_EQ(row1[0].item<float>(), 1.0f);   // 200 clamped to 100 -> 1
  EXPECT_FLOAT_EQ(row1[1].item<float>(), 0.0f);   // missing -> 0
  EXPECT_FLOAT_EQ(row1[2].item<float>(), 1.0f);   // missing indicator
  EXPECT_FLOAT_EQ(row1[5].item<float>(), 1.0f);   // green -> other
  EXPECT_EQ(data->y[0].item<int64_t>(), 1);
  EXPECT_EQ(data->y[1].item<int64_t>(), 0);        // "no." matches "no"
}

TEST(TabularEncoder, ClearErrors) {
  {
    auto e = TabularEncoder::Create(Schema(), "label", {"income"}, TaskKind::kAuto);
    ASSERT_FALSE(e.ok());
    EXPECT_THAT(e.status().message(), HasSubstr("'income' has no bounds"));
  }
  {
    auto e = TabularEncoder::Create(Schema(), "color", {"age"}, TaskKind::kRegression);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(e.status().message(), HasSubstr("regression needs a numeric"));
  }
  {
    auto e = TabularEncoder::Create(Schema(), "nope", {"age"}, TaskKind::kAuto);
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), absl::StatusCode::kNotFound);
  }
  {
    auto e = TabularEncoder::Create(Schema(), "income", {"age"}, TaskKind::kClassification);
    ASSERT_FALSE(e.ok());
    EXPECT_THAT(e.status().message(), HasSubstr("categories"));
  }
  auto enc = TabularEncoder::Create(Schema(), "label", {"age"}, TaskKind::kAuto);
  ASSERT_TRUE(enc.ok());
  auto d = enc->Encode(Csv("age,hours,color,label,income\n1,1,red,maybe,1\n"), "t.csv");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(d.status().message(), HasSubstr("t.csv: row 1: target 'label' value 'maybe'"));
}

TEST(TabularEncoder, RegressionTargetScaledByItsBounds) {
  auto enc = TabularEncoder::Create(Schema(), "age", {"hours"}, TaskKind::kAuto);
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(enc->task(), TaskKind::kRegression);
  EXPECT_DOUBLE_EQ(enc->target_scale(), 50);
  EXPECT_DOUBLE_EQ(enc->target_offset(), 50);
  auto d = enc->Encode(Csv("age,hours,color,label,income\n75,1,red,no,1\n"), "t");
  ASSERT_TRUE(d.ok());
  EXPECT_FLOAT_EQ(d->y[0].item<float>(), 0.5f);
}

TEST(BuildModel, Specs) {
  auto m = BuildModel("mlp:8,4", 3, 2);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->size(), 5u);
  EXPECT_TRUE(BuildModel("linear", 3, 1).ok());
  EXPECT_TRUE(BuildModel("mlp:8:tanh", 3, 1).ok());
  for (const char* bad : {"mlp", "mlp:x", "mlp:0", "cnn:3", "mlp:8:swish", "linear:3"}) {
    auto b = BuildModel(bad, 3, 2);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_THAT(b.status().message(), HasSubstr("mlp:64,64")) << bad;
  }
}

// Private rows that cannot be encoded are dropped one by one, and nothing names them.
TEST(TabularEncoder, PrivateRowsThatCannotBeEncodedAreDroppedSilently) {
  auto enc = TabularEncoder::Create(Schema(), "label", {"age", "color"}, TaskKind::kAuto);
  ASSERT_TRUE(enc.ok());
  const std::string csv =
      "age,hours,color,label,income\n1,1,red,maybe,1\n2,1,blue,yes,1\n3,1,red,?,1\n";
  auto owner = enc->Encode(Csv(csv), "t.csv", EncodeRows::kOwner);
  ASSERT_FALSE(owner.ok());
  auto d = enc->Encode(Csv(csv), "t.csv", EncodeRows::kPrivate);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->x.size(0), 1);
  EXPECT_EQ(d->y[0].item<int64_t>(), 1);
  EXPECT_EQ(d->dropped_rows, 2);
}

}  // namespace
}  // namespace dpkit::train
