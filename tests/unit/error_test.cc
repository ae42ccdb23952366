// The error convention: kinds survive context, errno maps to kinds, callers check kinds.
#include <gtest/gtest.h>

#include <cerrno>

#include "common/error.h"
#include "store/reference.h"

namespace mini {
namespace {

TEST(Error, DefaultKindIsInternal) {
  Error e("boom");
  EXPECT_EQ(e.kind(), ErrorKind::kInternal);
  EXPECT_EQ(e.exit_code(), 0);
  EXPECT_STREQ(e.what(), "boom");
}

TEST(Error, WithContextKeepsKindAndExitCode) {
  try {
    WithContext("pull x", [] { throw Error(ErrorKind::kNotFound, "No such image: x").WithExitCode(127); });
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "pull x: No such image: x");
    EXPECT_TRUE(IsNotFound(e));
    EXPECT_EQ(e.exit_code(), 127);
  }
}

ErrorKind KindOfErrno(int err) {
  try {
    ThrowErrno("open /x", err);
  } catch (const Error& e) {
    return e.kind();
  }
  return ErrorKind::kInternal;
}

TEST(Error, ThrowErrnoMapsKinds) {
  EXPECT_EQ(KindOfErrno(ENOSPC), ErrorKind::kNoSpace);
  EXPECT_EQ(KindOfErrno(EDQUOT), ErrorKind::kNoSpace);
  EXPECT_EQ(KindOfErrno(EACCES), ErrorKind::kPermission);
  EXPECT_EQ(KindOfErrno(EPERM), ErrorKind::kPermission);
  EXPECT_EQ(KindOfErrno(ENOENT), ErrorKind::kNotFound);
  EXPECT_EQ(KindOfErrno(EIO), ErrorKind::kInternal);
  try {
    ThrowErrno("write f", ENOSPC);
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "write f: No space left on device");
  }
}

TEST(Error, BadReferenceIsInvalidInput) {
  try {
    ParseReference("Bad:Name");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_TRUE(IsInvalidInput(e)) << ErrorKindName(e.kind());
  }
}

}  // namespace
}  // namespace mini
