#include "dpkit/io/dataset_name.h"

#include "gtest/gtest.h"

namespace dpkit::io {
namespace {

TEST(DatasetNameTest, DropsFoldersAndDataExtensions) {
  EXPECT_EQ(DatasetNameFromPath("/data/customers.csv.gz"), "customers");
  EXPECT_EQ(DatasetNameFromPath("customers.csv"), "customers");
  EXPECT_EQ(DatasetNameFromPath("a/b/visits.tsv"), "visits");
  EXPECT_EQ(DatasetNameFromPath("dump.gz"), "dump");
}

TEST(DatasetNameTest, KeepsOtherDotsAndBareNames) {
  EXPECT_EQ(DatasetNameFromPath("sales.2024.csv"), "sales.2024");
  EXPECT_EQ(DatasetNameFromPath("people.json"), "people.json");
  EXPECT_EQ(DatasetNameFromPath(".csv"), ".csv");  // nothing would be left: keep the name
  EXPECT_EQ(DatasetNameFromPath("dir/"), "");
}

}  // namespace
}  // namespace dpkit::io
