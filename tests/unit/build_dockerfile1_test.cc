/// BuildKit's dockerfile:1 semantics that the golden files cannot show: what the typed
/// instructions carry (heredocs, mounts, COPY flags), the syntax directive values accepted, the
/// expansion rules of ENV/ARG, empty Cmd, the automatic platform and proxy ARGs.
#include <gtest/gtest.h>

#include "build/automatic_args.h"
#include "build/heredoc.h"
#include "build/instructions.h"
#include "build/parser_directives.h"
#include "build/stage_state.h"
#include "common/error.h"

namespace mini::build {
namespace {

using nlohmann::json;

Instruction Parse1(const std::string& text) {
  auto mf = ParseStages(ParseMinifile("FROM a\n" + text, "F"));
  return mf.stages[0].commands.at(0).ins;
}

std::string Apply(StageState& st, const std::string& line, std::map<std::string, std::string> build_args = {},
                  std::map<std::string, std::string> global = {}) {
  auto pf = ParseMinifile(line, "F");
  std::map<std::string, bool> used;
  return ApplyMetadata(st, ParseInstruction(pf.nodes[0], "F"), ShellLex(), build_args, global, &used);
}

TEST(BuildDockerfile1, SyntaxDirectiveValues) {
  for (std::string ok : std::vector<std::string>{"docker/dockerfile:1", "docker/dockerfile:1.7", "docker/dockerfile:1.7.1", "docker/dockerfile",
                         "docker.io/docker/dockerfile:1", "docker/dockerfile:1 option=x",
                         "docker/dockerfile:1@sha256:" + std::string(64, 'a')})
    EXPECT_NO_THROW(CheckSyntaxDirective(ok)) << ok;
  for (std::string bad : std::vector<std::string>{"tonistiigi/foo", "docker/dockerfile:1-labs", "docker/dockerfile:1.7-labs", "docker/dockerfile:0.9",
                          "docker/dockerfile-upstream:1", "docker/dockerfile:1@sha256:abc", "ghcr.io/docker/dockerfile:1"}) {
    try {
      CheckSyntaxDirective(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("\"" + bad.substr(0, bad.find(' ')) + "\""), std::string::npos) << e.what();
    }
  }
}

TEST(BuildDockerfile1, LineLengthLimit) {
  EXPECT_NO_THROW(ParseMinifile("FROM a\nLABEL x=" + std::string(65535 - 8, 'a') + "\n", "F"));
  try {
    ParseMinifile("FROM a\nLABEL x=" + std::string(65536 - 8, 'a') + "\n", "F");
    ADD_FAILURE() << "accepted a 64 KiB line";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "F:2: dockerfile line greater than max allowed size of 65535");
  }
}

TEST(BuildDockerfile1, HeredocWords) {
  EXPECT_EQ(ParseHeredocWord("<<EOF")->name, "EOF");
  EXPECT_TRUE(ParseHeredocWord("<<EOF")->expand);
  EXPECT_FALSE(ParseHeredocWord("<<'EOF'")->expand);
  EXPECT_FALSE(ParseHeredocWord("<<\"E\"OF")->expand);
  EXPECT_TRUE(ParseHeredocWord("<<-EOF")->chomp);
  EXPECT_EQ(ParseHeredocWord("2<<EOF")->name, "EOF");
  for (std::string no : {"<<", "a<<EOF", "<<<EOF", "\"<<EOF\""}) EXPECT_FALSE(ParseHeredocWord(no)) << no;
  EXPECT_EQ(ParseHeredocWord("<<'A B'")->name, "A B");  // one quoted word, as in BuildKit
  EXPECT_EQ(HeredocsFromLine("RUN <<A cat - <<'B' '<<C'").size(), 2u);
  EXPECT_EQ(ChompHeredoc("\t\ta\n\tb\t\nc\n"), "a\nb\t\nc\n");
}

TEST(BuildDockerfile1, RunCarriesMountsHeredocsSecurity) {
  auto r = std::get<RunCmd>(Parse1("RUN --mount=type=cache,target=/c --mount=type=secret,id=s --security=insecure "
                                   "--network=none <<EOF\necho $X\nEOF\n"));
  EXPECT_EQ(r.mounts, (std::vector<std::string>{"type=cache,target=/c", "type=secret,id=s"}));
  EXPECT_EQ(r.security, "insecure");
  EXPECT_EQ(r.network, "none");
  EXPECT_EQ(r.cmd.args, std::vector<std::string>{"<<EOF"});
  ASSERT_EQ(r.heredocs.size(), 1u);
  EXPECT_EQ(r.heredocs[0].content, "echo $X\n");
}

TEST(BuildDockerfile1, CopyCarriesFlagsAndHeredocs) {
  auto c = std::get<CopyCmd>(Parse1("COPY --parents --exclude=a --exclude=b <<-one <<\"two\" /d/\n\t1\none\n2\ntwo\n"));
  EXPECT_TRUE(c.parents);
  EXPECT_EQ(c.excludes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.sources, (std::vector<std::string>{"<<-one", "<<\"two\""}));
  ASSERT_EQ(c.heredocs.size(), 2u);
  EXPECT_EQ(c.heredocs[0].name, "one");
  EXPECT_EQ(c.heredocs[0].content, "1\n");
  EXPECT_TRUE(c.heredocs[0].expand);
  EXPECT_FALSE(c.heredocs[1].expand);
  auto a = std::get<CopyCmd>(Parse1("ADD --checksum=sha256:00 --keep-git-dir --link x /y\n"));
  EXPECT_EQ(a.checksum, "sha256:00");
  EXPECT_TRUE(a.keep_git_dir);
  EXPECT_TRUE(a.link);
}

TEST(BuildDockerfile1, OnbuildHeredocKeepsBody) {
  auto o = std::get<OnbuildCmd>(Parse1("ONBUILD RUN <<EOF\necho hi\nEOF\n"));
  EXPECT_EQ(o.expression, "RUN <<EOF\necho hi\nEOF");
  auto trigger = ParseTrigger(o.expression, 3);
  EXPECT_EQ(std::get<RunCmd>(trigger.ins).heredocs.at(0).content, "echo hi\n");
}

TEST(BuildDockerfile1, EnvSeesOnlyEarlierInstructions) {
  StageState st = ScratchState("amd64");
  EXPECT_EQ(Apply(st, "ENV A=1 B=\"two words\" C=$A"), "ENV A=1 B=two words C=");
  EXPECT_EQ(Apply(st, "ENV D=$A"), "ENV D=1");
  EXPECT_EQ(Apply(st, "LABEL l1=x l2=$l1"), "LABEL l1=x l2=");
  // ARG is different: each name is added before the next one is expanded (dispatchArg).
  EXPECT_EQ(Apply(st, "ARG X=1 Y=$X"), "ARG X=1 Y=1");
}

TEST(BuildDockerfile1, EscapedBackslashAtEndOfLine) {
  StageState st = ScratchState("amd64");
  auto pf = ParseMinifile("FROM a\nENV C trailing\\\\backslash\\\\\nENV D=next\n", "F");
  ASSERT_EQ(pf.nodes.size(), 3u);
  std::map<std::string, bool> used;
  ApplyMetadata(st, ParseInstruction(pf.nodes[1], "F"), ShellLex(), {}, {}, &used);
  EXPECT_EQ(st.Env().back(), "C=trailing\\backslash\\");
}

TEST(BuildDockerfile1, EmptyCmdIsAbsent) {
  StageState st = StateFromImage({{"config", {{"Cmd", {"sh"}}}}});
  Apply(st, "CMD []");
  EXPECT_FALSE(st.Cfg().contains("Cmd"));
  Apply(st, "ENTRYPOINT [\"/e\"]");
  EXPECT_FALSE(st.Cfg().contains("Cmd"));
  EXPECT_EQ(st.Cfg()["Entrypoint"], json({"/e"}));
  // Nothing set, nothing written: no "StopSignal": "", no "Healthcheck", no "OnBuild".
  StageState s2 = ScratchState("amd64");
  Apply(s2, "ENV A=1");
  for (const char* k : {"StopSignal", "Healthcheck", "OnBuild", "Cmd", "Entrypoint", "Shell", "User", "WorkingDir"})
    EXPECT_FALSE(s2.Cfg().contains(k)) << k;
}

TEST(BuildDockerfile1, AutomaticPlatformArgs) {
  auto args = AutomaticPlatformArgs("amd64", "", "", {});
  std::map<std::string, std::string> m(args.begin(), args.end());
  EXPECT_EQ(m["TARGETPLATFORM"], "linux/amd64");
  EXPECT_EQ(m["TARGETARCH"], "amd64");
  EXPECT_EQ(m["TARGETOS"], "linux");
  EXPECT_EQ(m["TARGETVARIANT"], "");
  EXPECT_EQ(m["BUILDPLATFORM"], "linux/amd64");
  EXPECT_EQ(m["TARGETSTAGE"], "default");
  auto arm = AutomaticPlatformArgs("amd64", "linux/arm/v7", "final", {{"BUILDOS", "x"}});
  std::map<std::string, std::string> a(arm.begin(), arm.end());
  EXPECT_EQ(a["TARGETARCH"], "arm");
  EXPECT_EQ(a["TARGETVARIANT"], "v7");
  EXPECT_EQ(a["BUILDARCH"], "amd64");
  EXPECT_EQ(a["BUILDOS"], "x");
  EXPECT_EQ(a["TARGETSTAGE"], "final");
  // In a stage, `ARG TARGETARCH` takes the global value.
  StageState st = ScratchState("amd64");
  EXPECT_EQ(Apply(st, "ARG TARGETARCH", {}, m), "ARG TARGETARCH");
  EXPECT_EQ(st.ArgEnv(), std::vector<std::string>{"TARGETARCH=amd64"});
}

TEST(BuildDockerfile1, ProxyArgs) {
  EXPECT_TRUE(IsProxyArg("HTTP_PROXY"));
  EXPECT_TRUE(IsProxyArg("No_Proxy"));
  EXPECT_FALSE(IsProxyArg("PROXY"));
  EXPECT_EQ(ProxyEnv({{"HTTP_PROXY", "a"}, {"http_proxy", "b"}, {"NO_PROXY", "l"}, {"X", "y"}}),
            (std::vector<std::string>{"HTTP_PROXY=b", "http_proxy=b", "NO_PROXY=l", "no_proxy=l"}));
}

}  // namespace
}  // namespace mini::build
