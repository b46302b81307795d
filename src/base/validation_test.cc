#include "dpkit/base/validation.h"

#include <cmath>
#include <limits>

#include "dpkit/base/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dpkit {
namespace {

using ::testing::HasSubstr;

TEST(ValidationTest, PositiveFiniteNamesParameterAndValue) {
  EXPECT_TRUE(ValidatePositiveFinite("epsilon", 0.5).ok());
  absl::Status s = ValidatePositiveFinite("epsilon", -1);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "epsilon must be finite and > 0, got -1");
  EXPECT_THAT(ValidatePositiveFinite("epsilon", 0).message(), HasSubstr("got 0"));
  EXPECT_THAT(ValidatePositiveFinite("epsilon", std::nan("")).message(), HasSubstr("got nan"));
  EXPECT_THAT(
      ValidatePositiveFinite("sensitivity", std::numeric_limits<double>::infinity()).message(),
      HasSubstr("sensitivity must be finite and > 0, got inf"));
}

TEST(ValidationTest, DeltaRange) {
  EXPECT_TRUE(ValidateDelta("delta", 1e-6, false).ok());
  EXPECT_FALSE(ValidateDelta("delta", 0, false).ok());
  EXPECT_TRUE(ValidateDelta("delta", 0, true).ok());
  EXPECT_FALSE(ValidateDelta("delta", 1, true).ok());
  EXPECT_FALSE(ValidateDelta("delta", std::nan(""), true).ok());
  EXPECT_THAT(ValidateDelta("delta", 2, false).message(), HasSubstr("delta must be in (0, 1), got 2"));
}

TEST(ValidationTest, Bounds) {
  EXPECT_TRUE(ValidateBounds("lower", 0, "upper", 1).ok());
  EXPECT_TRUE(ValidateBounds("lower", 1, "upper", 1).ok());
  EXPECT_THAT(ValidateBounds("lower", 2, "upper", 1).message(),
              HasSubstr("lower (2) must be <= upper (1)"));
  EXPECT_FALSE(ValidateBounds("lower", -std::numeric_limits<double>::infinity(), "upper", 1).ok());
}

TEST(ValidationTest, FormatDoubleRoundTrips) {
  EXPECT_EQ(FormatDouble(0.1), "0.1");
  EXPECT_EQ(FormatDouble(1e-300), "1e-300");
  double third = 1.0 / 3.0;
  EXPECT_EQ(std::strtod(FormatDouble(third).c_str(), nullptr), third);
}

TEST(StatusTest, ExitCodes) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("x")), 2);
  EXPECT_EQ(ExitCodeFor(absl::ResourceExhaustedError("x")), 3);
  EXPECT_EQ(ExitCodeFor(DataError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("x")), 4);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("x")), 1);
}

absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}
absl::StatusOr<int> Quarter(int x) {
  DPKIT_ASSIGN_OR_RETURN(int h, Half(x));
  DPKIT_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, Macros) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_FALSE(Quarter(6).ok());
}

}  // namespace
}  // namespace dpkit
