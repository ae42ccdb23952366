#include <gtest/gtest.h>

#include "common/digest.h"
#include "common/error.h"

namespace mini {

TEST(Digest, ParsesValid) {
  auto d = Digest::Parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(d.hex(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(d.Short(), "e3b0c44298fc");
}

TEST(Digest, RejectsInvalid) {
  for (const char* s : {"", "sha256:", "sha256:abc", "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                        "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                        "sha256:../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855/"}) {
    EXPECT_FALSE(Digest::TryParse(s)) << s;
  }
  try {
    Digest::Parse("sha256:xyz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "invalid digest \"sha256:xyz\"");
  }
}

TEST(Sha256, StreamingEqualsOneShot) {
  EXPECT_EQ(Sha256Of("").str(), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 h;
  h.Update("ab");
  h.Update("c");
  EXPECT_EQ(h.Finish(), Sha256Of("abc"));
  EXPECT_EQ(Sha256Of("abc").hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace mini
