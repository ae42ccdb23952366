#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cerrno>
#include <csignal>

#include "common/error.h"
#include "run/launch/exit_status.h"
#include "run/security/capabilities.h"

namespace mini::run {
namespace {

TEST(Caps, DockerDefault) { EXPECT_EQ(DefaultCaps(), 0xa80425fbULL); }

TEST(Caps, AddDropAll) {
  EXPECT_EQ(CapFromName("cap_sys_admin"), 21);
  EXPECT_EQ(CapFromName("SYS_ADMIN"), 21);
  EXPECT_EQ(CapFromName("nope"), -1);
  EXPECT_EQ(ComputeCaps(false, {"SYS_ADMIN"}, {"NET_RAW"}, 40), (0xa80425fbULL | (1ULL << 21)) & ~(1ULL << 13));
  EXPECT_EQ(ComputeCaps(false, {}, {"ALL"}, 40), 0u);
  EXPECT_EQ(ComputeCaps(false, {"CHOWN"}, {"ALL"}, 40), 1u);
  EXPECT_EQ(ComputeCaps(true, {}, {}, 40), (1ULL << 41) - 1);
  EXPECT_THROW(ComputeCaps(false, {"BOGUS"}, {}, 40), Error);
}

TEST(ExitStatus, WaitStatus) {
  EXPECT_EQ(ExitCodeFromWaitStatus(W_EXITCODE(3, 0)), 3);
  EXPECT_EQ(ExitCodeFromWaitStatus(W_EXITCODE(0, SIGKILL)), 137);
  EXPECT_EQ(ExitCodeFromWaitStatus(W_EXITCODE(0, SIGINT)), 130);
  EXPECT_EQ(ExitCodeForExecErrno(ENOENT), 127);
  EXPECT_EQ(ExitCodeForExecErrno(EACCES), 126);
  EXPECT_EQ(ExitCodeForExecErrno(ENOEXEC), 126);
}

TEST(ExitStatus, Signals) {
  EXPECT_EQ(ParseSignal("TERM"), SIGTERM);
  EXPECT_EQ(ParseSignal("sigkill"), SIGKILL);
  EXPECT_EQ(ParseSignal("10"), 10);
  EXPECT_EQ(ParseSignal("0"), -1);
  EXPECT_EQ(ParseSignal("FOO"), -1);
}

}  // namespace
}  // namespace mini::run
