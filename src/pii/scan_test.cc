#include "dpkit/pii/scan.h"

#include <string>
#include <vector>

#include "dpkit/io/csv.h"
#include "dpkit/pii/replace.h"
#include "dpkit/random/seeded_rng.h"
#include "dpkit/pii/sample.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit::pii {
namespace {

io::Table SmallTable() {
  std::vector<std::string> ids, emails, names, zips, colors, notes, codes;
  std::vector<double> amounts;
  const char* first[] = {"James", "Mary", "Robert", "Linda", "Michael", "Susan"};
  const char* last[] = {"Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis"};
  for (int i = 0; i < 60; ++i) {
    ids.push_back(std::to_string(5000 + i));
    std::string f = first[i % 6], l = last[(i / 6) % 6];
    names.push_back(f + " " + l);
    emails.push_back(f + "." + l + std::to_string(i) + "@example.com");
    zips.push_back(i % 2 ? "02127" : "94105");
    colors.push_back(i % 3 ? "red" : "blue");
    notes.push_back(i % 4 ? "Customer called about the delivery window and asked for a refund"
                          : "Customer asked us to call back on 212-555-0147 after lunch today");
    codes.push_back("X" + std::to_string(i % 5));
    amounts.push_back(10.5 * i + 0.25);
  }
  std::vector<io::Column> cols;
  cols.push_back(io::Column::String("customer_id", ids));
  cols.push_back(io::Column::String("full_name", names));
  cols.push_back(io::Column::String("contact", emails));
  cols.push_back(io::Column::String("zip", zips));
  cols.push_back(io::Column::String("favourite_colour", colors));
  cols.push_back(io::Column::String("notes", notes));
  cols.push_back(io::Column::String("category", codes));
  cols.push_back(io::Column::Double("amount", amounts));
  return *io::Table::Make(std::move(cols));
}

TEST(ScanTest, ClassifiesColumns) {
  ScanResult r = ScanTable(SmallTable());
  ASSERT_EQ(r.columns.size(), 8u);
  auto cls = [&](const char* name) { return r.Find(name)->column_class; };
  auto ent = [&](const char* name) { return r.Find(name)->entity; };
  EXPECT_EQ(cls("customer_id"), ColumnClass::kIdentifier);
  EXPECT_EQ(cls("full_name"), ColumnClass::kIdentifier);
  EXPECT_EQ(ent("full_name"), EntityType::kPerson);
  // No header cue: the values alone say e-mail.
  EXPECT_EQ(cls("contact"), ColumnClass::kIdentifier);
  EXPECT_EQ(ent("contact"), EntityType::kEmail);
  EXPECT_GT(r.Find("contact")->confidence, 0.9);
  EXPECT_EQ(cls("zip"), ColumnClass::kQuasiIdentifier);
  EXPECT_EQ(cls("favourite_colour"), ColumnClass::kSafe);
  EXPECT_EQ(cls("category"), ColumnClass::kSafe);
  EXPECT_EQ(cls("amount"), ColumnClass::kSafe);  // unique, but a measurement, not a key
  EXPECT_TRUE(r.Find("notes")->free_text);
  EXPECT_EQ(cls("notes"), ColumnClass::kIdentifier);
  EXPECT_EQ(ent("notes"), EntityType::kPhone);
  ASSERT_TRUE(r.privacy_unit.has_value());
  EXPECT_EQ(r.privacy_unit->column, "customer_id");
  EXPECT_NEAR(r.Find("customer_id")->uniqueness, 1.0, 1e-12);
  // JSON and text render.
  EXPECT_THAT(r.ToJson(), ::testing::HasSubstr("\"privacy_unit\""));
  EXPECT_THAT(r.ToText(), ::testing::HasSubstr("proposed privacy unit: customer_id"));
}

TEST(ScanTest, EmailIsTheUnitWithoutAnIdColumn) {
  io::Table t = SmallTable();
  io::Table no_id = *t.SelectColumns({"full_name", "contact", "zip", "amount"});
  ScanResult r = ScanTable(no_id);
  ASSERT_TRUE(r.privacy_unit.has_value());
  EXPECT_EQ(r.privacy_unit->column, "contact");
}

TEST(ScanTest, NoUnitInANonPersonalTable) {
  std::vector<io::Column> cols;
  cols.push_back(io::Column::String("colour", {"red", "blue", "red", "green"}));
  cols.push_back(io::Column::Int64("count", {1, 2, 3, 4}));
  ScanResult r = ScanTable(*io::Table::Make(std::move(cols)));
  EXPECT_FALSE(r.privacy_unit.has_value());
  for (const auto& c : r.columns) EXPECT_EQ(c.column_class, ColumnClass::kSafe) << c.name;
}

TEST(ScanTest, GeneratedCustomers) {
  random::testing::SeededRng rng(3);
  io::Table t = *GenerateCustomers({.rows = 2000}, rng);
  ScanResult r = ScanTable(t);
  auto cls = [&](const char* name) { return r.Find(name)->column_class; };
  for (const char* id : {"customer_id", "first_name", "last_name", "email", "phone",
                         "street_address", "credit_card"}) {
    EXPECT_EQ(cls(id), ColumnClass::kIdentifier) << id;
  }
  for (const char* qi : {"gender", "city", "state", "zip", "date_of_birth", "age"}) {
    EXPECT_EQ(cls(qi), ColumnClass::kQuasiIdentifier) << qi;
  }
  for (const char* safe : {"income", "segment", "purchases_12m", "spend_12m", "churned"}) {
    EXPECT_EQ(cls(safe), ColumnClass::kSafe) << safe;
  }
  EXPECT_EQ(r.Find("email")->entity, EntityType::kEmail);
  EXPECT_EQ(r.Find("credit_card")->entity, EntityType::kCreditCard);
  EXPECT_EQ(r.Find("phone")->entity, EntityType::kPhone);
  EXPECT_EQ(r.Find("date_of_birth")->entity, EntityType::kDateOfBirth);
  ASSERT_TRUE(r.privacy_unit.has_value());
  EXPECT_EQ(r.privacy_unit->column, "customer_id");
}

// The FakeNameGenerator table (3,000 international identities, 45 columns).
TEST(ScanDataTest, FakeNameGeneratorColumns) {
  const std::string path =
      std::string(DPKIT_SHARED_DATA_DIR) + "/pii-fakenamegenerator/FakeNameGenerator.com_3000.csv";
  if (!Env::Default()->FileExists(path)) GTEST_SKIP() << "shared data not found: " << path;
  absl::StatusOr<io::Table> t = ReadCsvAsText(path);
  ASSERT_TRUE(t.ok()) << t.status();
  ScanResult r = ScanTable(*t);
  auto cls = [&](const char* name) { return r.Find(name)->column_class; };
  for (const char* id : {"GivenName", "Surname", "StreetAddress", "EmailAddress", "Username",
                         "Password", "TelephoneNumber", "MothersMaiden", "CCNumber", "NationalID",
                         "GUID", "Domain"}) {
    EXPECT_EQ(cls(id), ColumnClass::kIdentifier) << id;
  }
  for (const char* qi : {"Gender", "City", "ZipCode", "Birthday", "Age", "Occupation",
                         "Latitude", "Longitude"}) {
    EXPECT_EQ(cls(qi), ColumnClass::kQuasiIdentifier) << qi;
  }
  for (const char* safe : {"Color", "TropicalZodiac", "CCType"}) {
    EXPECT_EQ(cls(safe), ColumnClass::kSafe) << safe;
  }
  EXPECT_EQ(r.Find("EmailAddress")->entity, EntityType::kEmail);
  EXPECT_EQ(r.Find("CCNumber")->entity, EntityType::kCreditCard);
  EXPECT_EQ(r.Find("Birthday")->entity, EntityType::kDateOfBirth);
  ASSERT_TRUE(r.privacy_unit.has_value());
}

}  // namespace
}  // namespace dpkit::pii
