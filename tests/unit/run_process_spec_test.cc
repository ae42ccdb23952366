#include <gtest/gtest.h>

#include "common/error.h"
#include "run/process_spec.h"

namespace mini::run {
namespace {

const char* NoEnv(const std::string&) { return nullptr; }

nlohmann::json Image() {
  return nlohmann::json::parse(R"({"Env":["PATH=/img/bin","A=1"],"Entrypoint":["/entry"],"Cmd":["default"],
                                   "WorkingDir":"/app","User":"bob"})");
}

TEST(ProcessSpec, ImageDefaults) {
  RunSpec s;
  ProcessSpec p = MakeProcessSpec(Image(), s, "h1", NoEnv);
  EXPECT_EQ(p.argv, (std::vector<std::string>{"/entry", "default"}));
  EXPECT_EQ(p.env, (std::vector<std::string>{"HOSTNAME=h1", "PATH=/img/bin", "A=1"}));
  EXPECT_EQ(p.cwd, "/app");
  EXPECT_EQ(p.user, "bob");
}

TEST(ProcessSpec, ArgsReplaceCmdKeepEntrypoint) {
  RunSpec s;
  s.args = {"x", "y"};
  EXPECT_EQ(MakeProcessSpec(Image(), s, "h", NoEnv).argv, (std::vector<std::string>{"/entry", "x", "y"}));
}

TEST(ProcessSpec, EntrypointOverrideDropsImageCmd) {
  RunSpec s;
  s.entrypoint = "/bin/sh";
  EXPECT_EQ(MakeProcessSpec(Image(), s, "h", NoEnv).argv, (std::vector<std::string>{"/bin/sh"}));
  s.entrypoint = "";
  s.args = {"ls"};
  EXPECT_EQ(MakeProcessSpec(Image(), s, "h", NoEnv).argv, (std::vector<std::string>{"ls"}));
}

TEST(ProcessSpec, EmptyCommandIsAnError) {
  RunSpec s;
  EXPECT_THROW(MakeProcessSpec(nlohmann::json::object(), s, "h", NoEnv), Error);
}

TEST(ProcessSpec, EnvOverridesAndDefaultPath) {
  RunSpec s;
  s.args = {"true"};
  s.env = {"A=2", "NEW=x", "FROMHOST", "MISSING"};
  s.tty = true;
  auto host = [](const std::string& k) -> const char* { return k == "FROMHOST" ? "hv" : nullptr; };
  ProcessSpec p = MakeProcessSpec(nlohmann::json::parse(R"({"Env":["A=1"]})"), s, "h", host);
  EXPECT_EQ(p.env, (std::vector<std::string>{"HOSTNAME=h", "TERM=xterm", "A=2", "NEW=x", "FROMHOST=hv",
                                             "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}));
}

TEST(ProcessSpec, Workdir) {
  RunSpec s;
  s.args = {"true"};
  s.workdir = "/a/./b/../c/";
  EXPECT_EQ(MakeProcessSpec(Image(), s, "h", NoEnv).cwd, "/a/c");
  s.workdir = "rel";
  EXPECT_THROW(MakeProcessSpec(Image(), s, "h", NoEnv), Error);
  s.workdir.reset();
  EXPECT_EQ(MakeProcessSpec(nlohmann::json::object(), s, "h", NoEnv).cwd, "/");
}

TEST(ProcessSpec, EnvFile) {
  std::vector<std::string> out;
  ParseEnvFile("# comment\n\nA=1\n  B=two words\r\nC\n", &out);
  EXPECT_EQ(out, (std::vector<std::string>{"A=1", "B=two words", "C"}));
}

}  // namespace
}  // namespace mini::run
