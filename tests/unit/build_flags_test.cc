/// mini build's BuildKit flags: --output and --build-context specs, --progress modes and the
/// plain progress lines, WORKDIR's mkdir diff.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <unistd.h>

#include <cstdio>
#include <functional>

#include "build/base_resolver.h"
#include "build/build_output.h"
#include "build/minifile_parser.h"
#include "build/progress.h"
#include "build/stage_graph.h"
#include "build/workdir_step.h"
#include "common/error.h"
#include "common/fs.h"
#include "error_of.h"

namespace mini::build {
namespace {


TEST(BuildOutputSpec, Forms) {
  OutputSpec s = ParseOutputSpecs({});
  EXPECT_EQ(s.type, OutputSpec::Type::kImage);
  s = ParseOutputSpecs({"type=local,dest=out/dir"});
  EXPECT_EQ(s.type, OutputSpec::Type::kLocal);
  EXPECT_EQ(s.dest, "out/dir");
  s = ParseOutputSpecs({"dest=/x.tar,type=tar"});
  EXPECT_EQ(s.type, OutputSpec::Type::kTar);
  EXPECT_EQ(s.dest, "/x.tar");
  s = ParseOutputSpecs({"type=tar,dest=-"});
  EXPECT_EQ(s.dest, "-");
  s = ParseOutputSpecs({"some/dir"});
  EXPECT_EQ(s.type, OutputSpec::Type::kLocal);
  EXPECT_EQ(s.dest, "some/dir");
  s = ParseOutputSpecs({"-"});
  EXPECT_EQ(s.type, OutputSpec::Type::kTar);
  EXPECT_EQ(s.dest, "-");
  s = ParseOutputSpecs({"type=image,name=a:1;b:2"});
  EXPECT_EQ(s.type, OutputSpec::Type::kImage);
  EXPECT_EQ(s.names, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(ParseOutputSpecs({"type=docker"}).type, OutputSpec::Type::kImage);
}

TEST(BuildOutputSpec, Errors) {
  EXPECT_EQ(ErrorOf([] { ParseOutputSpecs({"type=zip,dest=x"}); }),
            "invalid --output \"type=zip,dest=x\": unknown type \"zip\" (local, tar, oci or image)");
  EXPECT_EQ(ErrorOf([] { ParseOutputSpecs({"type=local"}); }), "invalid --output \"type=local\": dest is required for type=local");
  EXPECT_EQ(ErrorOf([] { ParseOutputSpecs({"type=tar,dest="}); }), "invalid --output \"type=tar,dest=\": dest is empty");
  EXPECT_EQ(ErrorOf([] { ParseOutputSpecs({"dest=x"}); }), "invalid --output \"dest=x\": type is required (local, tar, oci or image)");
  EXPECT_EQ(ErrorOf([] { ParseOutputSpecs({"type=local,dest=x,mode=1"}); }),
            "invalid --output \"type=local,dest=x,mode=1\": unknown key \"mode\" for type=local");
  EXPECT_EQ(ErrorOf([] { ParseOutputSpecs({"type=local,,dest=x"}); }),
            "invalid --output \"type=local,,dest=x\": expected KEY=VALUE, got \"\"");
  EXPECT_EQ(ErrorOf([] { ParseOutputSpecs({"a", "b"}); }), "only one --output is supported");
  EXPECT_EQ(ErrorOf([] { ParseOutputSpecs({""}); }), "invalid --output \"\": empty value");
}

TEST(BuildContextSpec, Forms) {
  auto m = ParseBuildContexts({"extra=../dir", "Alpine=docker-image://busybox:1", "docker.io/library/x:2=/d"});
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m["extra"].kind, NamedContext::Kind::kDir);
  EXPECT_EQ(m["extra"].value, "../dir");
  EXPECT_EQ(m["Alpine"].kind, NamedContext::Kind::kImage);
  EXPECT_EQ(m["Alpine"].value, "busybox:1");
  // Stage names match case-insensitively; image names in their familiar or full form.
  ASSERT_NE(FindNamedContext(m, "alpine"), nullptr);
  EXPECT_EQ(FindNamedContext(m, "alpine")->value, "busybox:1");
  ASSERT_NE(FindNamedContext(m, "x:2"), nullptr);
  EXPECT_EQ(FindNamedContext(m, "x:2")->value, "/d");
  EXPECT_EQ(FindNamedContext(m, "x:3"), nullptr);
  EXPECT_EQ(FindNamedContext(m, "busybox"), nullptr);
  auto l = ParseBuildContexts({"alpine=/a"});
  EXPECT_NE(FindNamedContext(l, "alpine:latest"), nullptr);
  EXPECT_NE(FindNamedContext(l, "docker.io/library/alpine"), nullptr);
  EXPECT_EQ(FindNamedContext(l, "alpine:3"), nullptr);
}

TEST(BuildContextSpec, Errors) {
  EXPECT_EQ(ErrorOf([] { ParseBuildContexts({"nodir"}); }),
            "invalid --build-context \"nodir\": expected NAME=DIR or NAME=docker-image://REF");
  EXPECT_EQ(ErrorOf([] { ParseBuildContexts({"=x"}); }),
            "invalid --build-context \"=x\": expected NAME=DIR or NAME=docker-image://REF");
  EXPECT_EQ(ErrorOf([] { ParseBuildContexts({"a="}); }),
            "invalid --build-context \"a=\": expected NAME=DIR or NAME=docker-image://REF");
  EXPECT_EQ(ErrorOf([] { ParseBuildContexts({"a=https://x/y.git"}); }),
            "invalid --build-context \"a=https://x/y.git\": unsupported source \"https://x/y.git\" (a directory or docker-image://REF)");
  EXPECT_EQ(ErrorOf([] { ParseBuildContexts({"a=target:b"}); }),
            "invalid --build-context \"a=target:b\": unsupported source \"target:b\" (a directory or docker-image://REF)");
  EXPECT_EQ(ErrorOf([] { ParseBuildContexts({"a=docker-image://"}); }),
            "invalid --build-context \"a=docker-image://\": docker-image:// needs a reference");
  EXPECT_EQ(ErrorOf([] { ParseBuildContexts({"a=docker-image://Bad"}); }),
            "invalid --build-context \"a=docker-image://Bad\": invalid reference format \"Bad\": repository name must be lowercase");
  EXPECT_EQ(ErrorOf([] { ParseBuildContexts({"a=/x", "a=/y"}); }), "invalid --build-context \"a=/y\": duplicate name \"a\"");
}

TEST(BuildProgress, Modes) {
  EXPECT_EQ(BuildProgress::ParseMode("plain", false, stderr), BuildProgress::Mode::kPlain);
  EXPECT_EQ(BuildProgress::ParseMode("tty", false, stderr), BuildProgress::Mode::kTty);
  EXPECT_EQ(BuildProgress::ParseMode("quiet", false, stderr), BuildProgress::Mode::kQuiet);
  EXPECT_EQ(BuildProgress::ParseMode("plain", true, stderr), BuildProgress::Mode::kQuiet);
  FILE* f = std::tmpfile();
  EXPECT_EQ(BuildProgress::ParseMode("auto", false, f), BuildProgress::Mode::kPlain);  // not a terminal
  std::fclose(f);
  EXPECT_EQ(ErrorOf([] { BuildProgress::ParseMode("rawjson", false, stderr); }),
            "invalid --progress \"rawjson\": use auto, plain, tty or quiet");
}

std::string Contents(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string s;
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

TEST(BuildProgress, PlainLines) {
  FILE* f = std::tmpfile();
  {
    BuildProgress p(BuildProgress::Mode::kPlain, f);
    int a = p.Start("[1/2] FROM docker.io/library/busybox:latest");
    p.Done(a);
    int b = p.Start("[2/2] RUN make");
    p.Status(b, "status line");
    p.Cached(b);
    p.Done(b);  // the first end wins
    int c = p.Start("exporting to image");
    p.Fail(c, "boom");
    p.Log(0, "[Warning] w");
  }
  std::string out = Contents(f);
  std::fclose(f);
  EXPECT_EQ(out,
            "#1 [1/2] FROM docker.io/library/busybox:latest\n#1 DONE 0.0s\n\n"
            "#2 [2/2] RUN make\n#2 status line\n#2 CACHED\n\n"
            "#3 exporting to image\n#3 ERROR: boom\n\n"
            "[Warning] w\n");
}

TEST(BuildProgress, VertexOutputLines) {
  FILE* f = std::tmpfile();
  {
    BuildProgress p(BuildProgress::Mode::kPlain, f);
    int v = p.Start("[1/1] RUN x");
    {
      VertexOutput out(p, v);
      ASSERT_EQ(write(out.fd(), "one\ntwo\r\nthree", 14), 14);
    }
    p.Done(v);
  }
  std::string out = Contents(f);
  std::fclose(f);
  // "#1 0.000 one" with the time since the step began.
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t nl = out.find('\n', pos);
    lines.push_back(out.substr(pos, nl - pos));
    pos = nl + 1;
  }
  ASSERT_GE(lines.size(), 5u);
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(lines[i].substr(0, 3), "#1 ") << lines[i];
    EXPECT_EQ(lines[i].find('.'), 4u) << lines[i];
  }
  EXPECT_EQ(lines[1].substr(lines[1].size() - 4), " one");
  EXPECT_EQ(lines[2].substr(lines[2].size() - 4), " two");
  EXPECT_EQ(lines[3].substr(lines[3].size() - 6), " three");
  EXPECT_EQ(lines[4].substr(0, 8), "#1 DONE ");
}

TEST(BuildProgress, TtyRedrawsInPlace) {
  FILE* f = std::tmpfile();
  {
    BuildProgress p(BuildProgress::Mode::kTty, f);
    int v = p.Start("[1/1] RUN x");
    p.Log(v, "output");
    p.Done(v);
  }
  std::string out = Contents(f);
  std::fclose(f);
  EXPECT_NE(out.find("[+] Building"), std::string::npos) << out;
  EXPECT_NE(out.find("FINISHED"), std::string::npos) << out;
  EXPECT_NE(out.find(" => [1/1] RUN x"), std::string::npos) << out;
  EXPECT_NE(out.find("\033[2A"), std::string::npos) << out;  // moved up over the two-line block
}

TEST(BuildStageGraph, OnlyTheNeededStages) {
  Minifile mf = ParseStages(ParseMinifile("FROM busybox AS base\nRUN x\n"
                                          "FROM base AS unused\nRUN y\n"
                                          "FROM busybox AS tools\n"
                                          "FROM busybox AS cache\n"
                                          "FROM scratch AS final\nCOPY --from=0 /a /a\n"
                                          "RUN x\n",
                                          "F"));
  // RUN --mount=type=bind,from=tools,target=/t (set here: the parser of this branch refuses --mount)
  std::get<RunCmd>(mf.stages[4].commands[1].ins).mounts.push_back("type=bind,from=tools,target=/t");
  std::map<std::string, NamedContext> none;
  ShellLex lex;
  std::vector<std::string> vars;
  StageGraph g(mf, none, lex, vars);
  EXPECT_EQ(g.Target(""), 4);
  EXPECT_EQ(g.Needed(4), (std::vector<bool>{true, false, true, false, true}));
  EXPECT_EQ(g.Needed(g.Target("UNUSED")), (std::vector<bool>{true, true, false, false, false}));
  EXPECT_EQ(ErrorOf([&] { g.Target("nope"); }), "target stage \"nope\" could not be found");
  EXPECT_EQ(g.Resolve("base", 1).stage, 0);
  EXPECT_EQ(g.Resolve("base", 0).stage, -1);  // only earlier stages
  EXPECT_EQ(g.Resolve("base", 0).image, "base");
  EXPECT_EQ(ErrorOf([&] { g.FromRef("4", 4); }), "COPY --from=4: invalid stage index (must refer to an earlier stage)");
  // A --build-context of a stage's name replaces that stage: it is no longer needed.
  auto contexts = ParseBuildContexts({"tools=/opt/tools", "busybox=docker-image://alpine"});
  StageGraph h(mf, contexts, lex, vars);
  EXPECT_EQ(h.Needed(4), (std::vector<bool>{true, false, false, false, true}));
  ASSERT_NE(h.Resolve("tools", 4).dir, nullptr);
  EXPECT_EQ(h.Resolve("tools", 4).dir->value, "/opt/tools");
  EXPECT_EQ(h.Resolve("busybox", 0).image, "alpine");
  EXPECT_EQ(StepCount(mf.stages[4], false, 0), 2);
  EXPECT_EQ(StepCount(mf.stages[0], true, 3), 5);
}

TEST(BuildProgress, StepNames) {
  StepNamer one("", 3);
  EXPECT_EQ(one.Next("FROM x"), "[1/3] FROM x");
  one.Skip();
  EXPECT_EQ(one.Next("RUN y"), "[3/3] RUN y");
  StepNamer many("build", 12);
  EXPECT_EQ(many.Next("RUN a"), "[build  1/12] RUN a");
}

TEST(BuildWorkdir, MkdirDiff) {
  TempDir t("/tmp", "mini-wd-test-");
  std::string lower = t.path() + "/lower", diff = t.path() + "/diff";
  MakeDirs(lower + "/usr/lib", 0755);
  chmod((lower + "/usr").c_str(), 0750);
  MakeDirs(diff, 0755);
  WriteFileAtomic(lower + "/file", "x");
  ASSERT_EQ(symlink("usr", (lower + "/u").c_str()), 0);
  LayerView view({lower});
  // An existing directory (through a symlink too): nothing.
  MakeWorkdirDiff(view, "/usr/lib", 0, 0, diff);
  MakeWorkdirDiff(view, "/u/lib", 0, 0, diff);
  EXPECT_TRUE(ListDirNames(diff).empty());
  // A missing one: the parents with their metadata, the new ones 0755 and owned as asked.
  bool root = geteuid() == 0;
  MakeWorkdirDiff(view, "/u/lib/a/b", root ? 1000 : geteuid(), root ? 1001 : getegid(), diff);
  struct stat st {};
  ASSERT_EQ(stat((diff + "/usr").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  ASSERT_EQ(stat((diff + "/usr/lib/a/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  if (root) {
    EXPECT_EQ(st.st_uid, 1000u);
    EXPECT_EQ(st.st_gid, 1001u);
  }
  EXPECT_EQ(ErrorOf([&] { MakeWorkdirDiff(view, "/file/x", 0, 0, diff + "/usr"); }), "mkdir /file/x: /file is not a directory");
}

}  // namespace
}  // namespace mini::build
