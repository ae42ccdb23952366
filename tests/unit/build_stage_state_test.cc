/// Metadata instructions applied to a stage's config with Docker's rules, and cache keys.
#include <gtest/gtest.h>

#include "build/build_cache.h"
#include "build/commit.h"
#include "build/instructions.h"
#include "build/stage_state.h"
#include "common/error.h"

namespace mini::build {
namespace {

using nlohmann::json;

std::string Apply(StageState& st, const std::string& line, std::map<std::string, std::string> build_args = {}) {
  auto pf = ParseMinifile(line, "F");
  std::map<std::string, bool> used;
  return ApplyMetadata(st, ParseInstruction(pf.nodes[0], "F"), ShellLex(), build_args, {}, &used);
}

TEST(BuildStageState, MetadataRules) {
  StageState st = ScratchState("amd64");
  EXPECT_EQ(Apply(st, "ARG V=1"), "ARG V=1");
  EXPECT_EQ(Apply(st, "ENV A=$V B=\"x y\""), "ENV A=1 B=x y");
  EXPECT_EQ(Apply(st, "ENV C=${A}2"), "ENV C=12");
  EXPECT_EQ(Apply(st, "WORKDIR /app"), "WORKDIR /app");
  EXPECT_EQ(Apply(st, "WORKDIR sub/../lib"), "WORKDIR /app/lib");
  EXPECT_EQ(Apply(st, "EXPOSE 80 53/UDP 8000-8001"), "EXPOSE 80/tcp 53/udp 8000/tcp 8001/tcp");
  EXPECT_EQ(Apply(st, "CMD echo hi"), "CMD [\"/bin/sh\",\"-c\",\"echo hi\"]");
  Apply(st, "SHELL [\"/bin/bash\", \"-c\"]");
  EXPECT_EQ(Apply(st, "ENTRYPOINT run"), "ENTRYPOINT [\"/bin/bash\",\"-c\",\"run\"]");
  Apply(st, "LABEL \"a b\"=c");
  Apply(st, "VOLUME /data");
  Apply(st, "USER ${V}:2");
  json c = st.config["config"];
  EXPECT_EQ(c["Env"], json({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "A=1", "B=x y", "C=12"}));
  EXPECT_EQ(c["WorkingDir"], "/app/lib");
  EXPECT_EQ(c["ExposedPorts"].size(), 4u);
  EXPECT_EQ(c["Cmd"], json({"/bin/sh", "-c", "echo hi"}));  // CMD set in this stage survives ENTRYPOINT
  EXPECT_EQ(c["Labels"]["a b"], "c");
  EXPECT_TRUE(c["Volumes"].contains("/data"));
  EXPECT_EQ(c["User"], "1:2");
}

TEST(BuildStageState, EntrypointResetsInheritedCmd) {
  StageState st = StateFromImage({{"config", {{"Cmd", {"sh"}}}}});
  Apply(st, "ENTRYPOINT [\"/e\"]");
  EXPECT_FALSE(st.config["config"].contains("Cmd"));  // absent, as BuildKit writes it (inspect: null)
}

TEST(BuildStageState, BuildArgOverridesAndEnvWins) {
  StageState st = ScratchState("amd64");
  Apply(st, "ARG V=default", {{"V", "cli"}});
  EXPECT_EQ(st.ArgEnv(), std::vector<std::string>{"V=cli"});
  Apply(st, "ENV V=env");
  EXPECT_TRUE(st.ArgEnv().empty());
}

TEST(BuildStageState, CommitChanges) {
  json cfg = {{"config", {{"Cmd", {"sh"}}}}};
  ApplyChanges(&cfg, {"CMD [\"x\"]", "ENV A=1", "EXPOSE 80"});
  EXPECT_EQ(cfg["config"]["Cmd"], json({"x"}));
  EXPECT_EQ(cfg["config"]["Env"], json({"A=1"}));
  EXPECT_THROW(ApplyChanges(&cfg, {"RUN x"}), Error);
}

TEST(BuildCacheKey, DependsOnEveryInput) {
  Digest p = Sha256Of("p");
  Digest k = BuildCache::Key(p, "RUN x", "", {"A=1"});
  EXPECT_EQ(k, BuildCache::Key(p, "RUN x", "", {"A=1"}));
  EXPECT_NE(k, BuildCache::Key(Sha256Of("q"), "RUN x", "", {"A=1"}));
  EXPECT_NE(k, BuildCache::Key(p, "RUN y", "", {"A=1"}));
  EXPECT_NE(k, BuildCache::Key(p, "RUN x", "h", {"A=1"}));
  EXPECT_NE(k, BuildCache::Key(p, "RUN x", "", {"A=2"}));
}

}  // namespace
}  // namespace mini::build
