#include "common/status.h"

#include <gtest/gtest.h>

namespace kcx {
namespace {

Result<int> Half(int v) {
  if (v % 2) return Invalid("odd", {{"FieldValueInvalid", "must be even", "v"}});
  return v / 2;
}

Status UseBoth(int v, int* out) {
  KCX_ASSIGN_OR_RETURN(int h, Half(v));
  KCX_ASSIGN_OR_RETURN(int q, Half(h));
  *out = q;
  return Status::Ok();
}

TEST(StatusTest, ReasonsMapToKubernetesCodes) {
  EXPECT_EQ(NotFound("x").code(), 404);
  EXPECT_EQ(AlreadyExists("x").code(), 409);
  EXPECT_EQ(Invalid("x").code(), 422);
  EXPECT_EQ(Gone("x").code(), 410);
  EXPECT_EQ(ReasonString(Reason::kInternal), "InternalError");
  EXPECT_EQ(ReasonString(Reason::kUnavailable), "ServiceUnavailable");
  EXPECT_EQ(ReasonFromString("AlreadyExists", 409), Reason::kAlreadyExists);
  EXPECT_EQ(ReasonFromString("", 409), Reason::kConflict);
  EXPECT_EQ(ReasonFromString("Whatever", 418), Reason::kInternal);
}

TEST(StatusTest, AssignOrReturnPropagates) {
  int out = 0;
  EXPECT_TRUE(UseBoth(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = UseBoth(6, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.reason(), Reason::kInvalid);
  ASSERT_TRUE(s.details().has_value());
  EXPECT_EQ(s.details()->causes.at(0).field, "v");
}

}  // namespace
}  // namespace kcx
