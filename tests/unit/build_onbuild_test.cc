// ONBUILD triggers as stored in an image config: parsed back into instructions.
#include <gtest/gtest.h>

#include "build/instructions.h"
#include "common/error.h"

namespace mini::build {
namespace {

TEST(BuildOnbuild, ParsesTriggerAtTheFromLine) {
  Command c = ParseTrigger("COPY --chown=1:2 a b /dst/", 7);
  auto* cp = std::get_if<CopyCmd>(&c.ins);
  ASSERT_NE(cp, nullptr);
  EXPECT_EQ(cp->sources, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(cp->dest, "/dst/");
  EXPECT_EQ(cp->chown, "1:2");
  EXPECT_EQ(c.node.start_line, 7);
  EXPECT_EQ(c.node.original, "COPY --chown=1:2 a b /dst/");
  EXPECT_TRUE(std::holds_alternative<RunCmd>(ParseTrigger("RUN make", 1).ins));
}

TEST(BuildOnbuild, RefusesChainedAndFromTriggers) {
  for (const char* bad : {"ONBUILD RUN x", "FROM busybox", "MAINTAINER me"}) {
    try {
      ParseTrigger(bad, 1);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("isn't allowed as an ONBUILD trigger"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(ParseTrigger("BOGUS x", 1), Error);
}

}  // namespace
}  // namespace mini::build
