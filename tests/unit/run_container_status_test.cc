// ContainerStatus: Docker's names in state.json, and back.
#include <gtest/gtest.h>

#include "common/error.h"
#include "run/container.h"

namespace mini::run {
namespace {

TEST(ContainerStatus, DockerNamesRoundTrip) {
  for (auto [s, name] : {std::pair{ContainerStatus::kCreated, "created"}, std::pair{ContainerStatus::kRunning, "running"},
                         std::pair{ContainerStatus::kExited, "exited"}, std::pair{ContainerStatus::kRestarting, "restarting"}}) {
    EXPECT_STREQ(ToString(s), name);
    EXPECT_EQ(ContainerStatusFromString(name), s);
    nlohmann::json j = s;
    EXPECT_EQ(j, name);
    EXPECT_EQ(j.get<ContainerStatus>(), s);
  }
  EXPECT_THROW(ContainerStatusFromString("paused"), Error);
}

TEST(ContainerStatus, StateJson) {
  ContainerState st;
  st.status = ContainerStatus::kRunning;
  nlohmann::json j = ToJson(st);
  EXPECT_EQ(j["Status"], "running");
  EXPECT_EQ(j["Running"], true);
  EXPECT_EQ(StateFromJson(j).status, ContainerStatus::kRunning);
  j.erase("Status");
  EXPECT_EQ(StateFromJson(j).status, ContainerStatus::kCreated);  // an old or partial state
}

}  // namespace
}  // namespace mini::run
