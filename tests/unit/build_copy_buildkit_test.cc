// The pure parts of BuildKit's COPY/ADD: --chmod modes, --parents splitting and matching,
// --exclude, mtime-blind source hashes, --chown rules, URL and git URL parsing, here-documents.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/chmod_mode.h"
#include "build/copy_sources.h"
#include "build/chown_spec.h"
#include "build/copy_step.h"
#include "build/git_source.h"
#include "build/remote_source.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/path.h"
#include "error_of.h"

namespace mini::build {
namespace {


TEST(ChmodMode, OctalAndSymbolic) {
  EXPECT_EQ(ChmodMode::Parse("0755").Apply(0644, false), 0755u);
  EXPECT_EQ(ChmodMode::Parse("4755").Apply(0, false), 04755u);
  EXPECT_EQ(*ChmodMode::Parse("640").octal(), 0640u);
  EXPECT_EQ(ChmodMode::Parse("u=rwx,go=rx").Apply(0600, false), 0755u);
  EXPECT_EQ(ChmodMode::Parse("+x").Apply(0644, false), 0755u);
  EXPECT_EQ(ChmodMode::Parse("a-w").Apply(0664, false), 0444u);
  EXPECT_EQ(ChmodMode::Parse("go-rwx").Apply(0755, false), 0700u);
  EXPECT_EQ(ChmodMode::Parse("g=u").Apply(0740, false), 0770u);
  EXPECT_EQ(ChmodMode::Parse("u+s").Apply(0755, false), 04755u);
  EXPECT_EQ(ChmodMode::Parse("+t").Apply(0777, true), 01777u);
  EXPECT_EQ(ChmodMode::Parse("o=").Apply(0777, false), 0770u);
  EXPECT_EQ(ChmodMode::Parse("u=rw,g+r-w").Apply(0070, false), 0650u);
  // X: execute only for directories and entries someone may execute already.
  EXPECT_EQ(ChmodMode::Parse("a+X").Apply(0644, false), 0644u);
  EXPECT_EQ(ChmodMode::Parse("a+X").Apply(0644, true), 0755u);
  EXPECT_EQ(ChmodMode::Parse("a+X").Apply(0744, false), 0755u);
  EXPECT_FALSE(ChmodMode::Parse("u+x").octal());
}

TEST(ChmodMode, BuildKitMessages) {
  EXPECT_EQ(ErrorOf([] { ChmodMode::Parse("17777"); }),
            "invalid chmod parameter: '17777'. it should be octal string and between 0 and 07777");
  EXPECT_EQ(ErrorOf([] { ChmodMode::Parse("8"); }),
            "invalid chmod parameter: '8'. it should be octal string and between 0 and 07777");
  EXPECT_EQ(ErrorOf([] { ChmodMode::Parse("0x1"); }),
            "invalid chmod parameter: '0x1'. it should be octal string and between 0 and 07777");
  for (const char* bad : {"u=rwz", "u", "x+r", "u+r,", "", "+r,,g+w"})
    EXPECT_EQ(ErrorOf([&] { ChmodMode::Parse(bad); }), std::string("invalid chmod parameter: '") + bad + "': invalid syntax")
        << bad;
}

TEST(CopyParents, SplitAtThePivot) {
  std::vector<std::string> pivot;
  std::string pattern;
  SplitParentsSource("x/y/*.txt", &pivot, &pattern);
  EXPECT_TRUE(pivot.empty());
  EXPECT_EQ(pattern, "x/y/*.txt");
  SplitParentsSource("./src/./app/**/*.go", &pivot, &pattern);
  EXPECT_EQ(pivot, std::vector<std::string>{"src"});
  EXPECT_EQ(pattern, "app/**/*.go");
  SplitParentsSource("/a/b/./c", &pivot, &pattern);
  EXPECT_EQ(pivot, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(pattern, "c");
}

class CopyTree : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* d : {"x/y", "x/z", "w"}) MakeDirs(dir_.path() + "/" + d);
    for (const char* f : {"x/y/a.txt", "x/y/b.md", "x/z/c.txt", "top.txt", "w/deep.txt"}) Write(f, f);
    tree_ = std::make_unique<ContextTree>(dir_.path(), IgnorePatterns());
  }
  void Write(const std::string& rel, const std::string& data) { WriteFileAtomic(dir_.path() + "/" + rel, data); }
  /// "path->under" of each expanded source.
  std::string Expand(const std::vector<std::string>& srcs, const CopyOptions& o) {
    std::string out;
    for (const auto& e : ExpandSources(*tree_, srcs, o))
      out += (out.empty() ? "" : " ") + JoinPath(e.path) + (e.keep_parents ? "->" + JoinPath(e.under) : "");
    return out;
  }
  TempDir dir_{"/tmp", "mini-copybk-"};
  std::unique_ptr<ContextTree> tree_;
};

TEST_F(CopyTree, ParentsMatchesBelowThePivot) {
  CopyOptions o;
  o.parents = true;
  EXPECT_EQ(Expand({"x/y/a.txt"}, o), "x/y/a.txt->x/y/a.txt");
  EXPECT_EQ(Expand({"x/*/*.txt"}, o), "x/y/a.txt->x/y/a.txt x/z/c.txt->x/z/c.txt");
  EXPECT_EQ(Expand({"./x/./y/*.md"}, o), "x/y/b.md->y/b.md");
  EXPECT_EQ(Expand({"**/*.txt"}, o), "top.txt->top.txt w/deep.txt->w/deep.txt x/y/a.txt->x/y/a.txt x/z/c.txt->x/z/c.txt");
  EXPECT_EQ(Expand({"x/*"}, o), "x/y->x/y x/z->x/z");  // a matched directory is taken whole
  EXPECT_EQ(Expand({"nomatch/*"}, o), "");                 // a wildcard may match nothing
  EXPECT_EQ(ErrorOf([&] { Expand({"x/none.txt"}, o); }),
            "COPY failed: file not found in build context or excluded by .miniignore: x/none.txt");
}

TEST_F(CopyTree, ExcludeAppliesBelowEachSourceAndIsNotKeyedOnTimes) {
  CopyOptions o;
  auto key = [&](const std::string& src) { return HashSources(ExpandSources(*tree_, {src}, o), o).str(); };
  std::string all = key("x");
  o.excludes = IgnorePatterns::Parse("**/*.md\n");
  std::string no_md = key("x");
  EXPECT_NE(all, no_md);
  // An excluded file's change does not matter; an included one's does.
  Write("x/y/b.md", "changed");
  EXPECT_EQ(key("x"), no_md);
  // Times are not part of the key; content, mode and owner are.
  struct timespec ts[2] = {{1000000, 0}, {1000000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, (dir_.path() + "/x/y/a.txt").c_str(), ts, 0), 0);
  ASSERT_EQ(utimensat(AT_FDCWD, (dir_.path() + "/x/z").c_str(), ts, 0), 0);
  EXPECT_EQ(key("x"), no_md);
  ASSERT_EQ(chmod((dir_.path() + "/x/y/a.txt").c_str(), 0600), 0);
  std::string moded = key("x");
  EXPECT_NE(moded, no_md);
  Write("x/y/a.txt", "other");
  ASSERT_EQ(chmod((dir_.path() + "/x/y/a.txt").c_str(), 0600), 0);
  EXPECT_NE(key("x"), moded);
  // The source itself is never excluded, even when a pattern names it.
  o.excludes = IgnorePatterns::Parse("*.txt\n");
  EXPECT_EQ(Expand({"top.txt"}, o), "top.txt");
}

TEST_F(CopyTree, ChownFollowsBuildKit) {
  MakeDirs(dir_.path() + "/etc");
  Write("etc/passwd", "root:x:0:0::/:/bin/sh\nbob:x:1001:50::/:/bin/sh\n");
  Write("etc/group", "root:x:0:\nstaff:x:50:\nbob:x:77:\n");
  uid_t u;
  gid_t g;
  ResolveChown("bob", *tree_, &u, &g);
  EXPECT_EQ(u, 1001u);
  EXPECT_EQ(g, 50u);  // the passwd entry's group, not the group named like the user
  ResolveChown("1000", *tree_, &u, &g);
  EXPECT_EQ(g, 1000u);
  ResolveChown("bob:bob", *tree_, &u, &g);
  EXPECT_EQ(g, 77u);
  ResolveChown("root:staff", *tree_, &u, &g);
  EXPECT_EQ(u, 0u);
  EXPECT_EQ(g, 50u);
  ResolveChown("5:6", *tree_, &u, &g);
  EXPECT_EQ(u, 5u);
  EXPECT_EQ(g, 6u);
  EXPECT_EQ(ErrorOf([&] { ResolveChown("nobody", *tree_, &u, &g); }),
            "unable to find user nobody: no matching entries in passwd file");
  EXPECT_EQ(ErrorOf([&] { ResolveChown("bob:wheel", *tree_, &u, &g); }),
            "unable to find group wheel: no matching entries in group file");
}

TEST(RemoteSource, FileNameAndDates) {
  EXPECT_EQ(UrlFileName("https://example.com/a/b/file.tar.gz?x=1#f"), "file.tar.gz");
  EXPECT_EQ(UrlFileName("http://example.com/dir/"), "dir");
  EXPECT_EQ(UrlFileName("http://example.com/"), "__unnamed__");
  EXPECT_EQ(UrlFileName("http://example.com"), "__unnamed__");
  EXPECT_EQ(UrlFileName("http://h/a%20b.txt"), "a b.txt");
  EXPECT_EQ(UrlFileName("http://h/x%2F..%2F..%2Fetc%2Fpasswd"), "passwd");
  EXPECT_EQ(UrlFileName("http://h/x/..%2F"), "__unnamed__");
  EXPECT_EQ(UrlFileName("http://h/a%00b"), "__unnamed__");
  EXPECT_TRUE(IsHttpUrl("https://x/y"));
  EXPECT_FALSE(IsHttpUrl("ftp://x/y"));
  EXPECT_EQ(ParseHttpDate("Sat, 03 Feb 2001 04:05:06 GMT"), std::optional<time_t>(981173106));
  EXPECT_EQ(ParseHttpDate("Saturday, 03-Feb-01 04:05:06 GMT"), std::optional<time_t>(981173106));
  EXPECT_EQ(ParseHttpDate("Sat Feb  3 04:05:06 2001"), std::optional<time_t>(981173106));
  EXPECT_FALSE(ParseHttpDate("yesterday"));
}

TEST(GitSource, BuildKitsUrlRules) {
  auto g = ParseGitRef("git@github.com:moby/buildkit.git#v0.10.0:docs");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->remote, "git@github.com:moby/buildkit.git");
  EXPECT_EQ(g->ref, "v0.10.0");
  EXPECT_EQ(g->subdir, "docs");
  g = ParseGitRef("https://host/org/repo.git#main:/a/../b/");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->remote, "https://host/org/repo.git");
  EXPECT_EQ(g->ref, "main");
  EXPECT_EQ(g->subdir, "b");
  g = ParseGitRef("https://host/org/repo.git?tag=v1&subdir=x&keep-git-dir=true&checksum=abc");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->ref, "refs/tags/v1");
  EXPECT_EQ(g->subdir, "x");
  EXPECT_EQ(g->checksum, "abc");
  EXPECT_EQ(g->keep_git_dir, std::optional<bool>(true));
  g = ParseGitRef("file:///srv/repo.git#v1");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->remote, "file:///srv/repo.git");
  EXPECT_TRUE(ParseGitRef("ssh://git@host/repo"));
  EXPECT_TRUE(ParseGitRef("git://host/repo"));
  // Not git: an http URL of a file, local paths, github.com/ without a scheme, other schemes.
  EXPECT_FALSE(ParseGitRef("https://host/file.tar.gz"));
  EXPECT_FALSE(ParseGitRef("./repo.git"));
  EXPECT_FALSE(ParseGitRef("github.com/moby/buildkit"));
  EXPECT_FALSE(ParseGitRef("ftp://host/repo.git"));
  EXPECT_FALSE(ParseGitRef("dir/file.txt"));
  EXPECT_EQ(ErrorOf([] { ParseGitRef("https://h/r.git?nope=1"); }), "unexpected query \"nope\"");
  EXPECT_EQ(ErrorOf([] { ParseGitRef("https://h/r.git?tag=a&branch=b"); }), "branch conflicts with tag");
  EXPECT_EQ(ErrorOf([] { ParseGitRef("https://h/r.git#x?ref=y"); }), "(no error)");
  EXPECT_EQ(ErrorOf([] { ParseGitRef("https://h/r.git?ref=y#x"); }), "ref conflicts: \"x\" vs \"y\"");
}

TEST(Heredoc, NamesAndExpansion) {
  EXPECT_EQ(HeredocName("<<EOF"), std::optional<std::string>("EOF"));
  EXPECT_EQ(HeredocName("<<-\"END\""), std::optional<std::string>("END"));
  EXPECT_EQ(HeredocName("<<'X'"), std::optional<std::string>("X"));
  EXPECT_FALSE(HeredocName("file.txt"));
  EXPECT_FALSE(HeredocName("<<"));
  VarLookup vars = [](const std::string& n) -> std::optional<std::string> {
    if (n == "WHO") return std::string("world");
    return std::nullopt;
  };
  EXPECT_EQ(ExpandHeredocBody("hi $WHO ${WHO}!\n", vars), "hi world world!\n");
  EXPECT_EQ(ExpandHeredocBody("'$WHO' \"$WHO\"\n", vars), "'world' \"world\"\n");
  EXPECT_EQ(ExpandHeredocBody("\\$WHO ${NONE:-dflt}\n", vars), "$WHO dflt\n");
}

}  // namespace
}  // namespace mini::build
