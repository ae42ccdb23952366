/// Tests of the pure path functions: splitting, Docker's rooted cleaning, joining, and the
/// symlink-in-scope walk against an in-memory tree of symlinks.
#include "common/path.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>

namespace mini {
namespace {

using Comps = std::vector<std::string>;

TEST(PathTest, SplitDropsEmptyAndDotKeepsDotDot) {
  EXPECT_EQ(SplitPath("/a//./b/../c/"), (Comps{"a", "b", "..", "c"}));
  EXPECT_EQ(SplitPath(""), Comps{});
  EXPECT_EQ(SplitPath("/"), Comps{});
  EXPECT_EQ(SplitPath("./."), Comps{});
  EXPECT_EQ(SplitPath("..."), Comps{"..."});
}

TEST(PathTest, CleansLikeARootedPath) {
  EXPECT_EQ(JoinPath(CleanPathComponents("../../evil")), "evil");
  EXPECT_EQ(JoinPath(CleanPathComponents("/abs//x/./y/")), "abs/x/y");
  EXPECT_EQ(JoinPath(CleanPathComponents("a/b/../../../c")), "c");
  EXPECT_EQ(JoinPath(CleanPathComponents("./")), "");
  EXPECT_EQ(JoinPath(CleanPathComponents("")), "");
  EXPECT_EQ(JoinPath(CleanPathComponents("..wh.")), "..wh.");
}

TEST(PathTest, CleanAbsPathNeverClimbsAboveRoot) {
  EXPECT_EQ(CleanAbsPath("/../../etc"), "/etc");
  EXPECT_EQ(CleanAbsPath(""), "/");
  EXPECT_EQ(CleanAbsPath("//x//y/"), "/x/y");
  EXPECT_EQ(CleanAbsPath("/a/./b/../c//"), "/a/c");
  EXPECT_EQ(CleanAbsPath("rel/x"), "/rel/x");
}

TEST(PathTest, EscapesLexically) {
  EXPECT_TRUE(EscapesLexically(".."));
  EXPECT_TRUE(EscapesLexically("../x"));
  EXPECT_TRUE(EscapesLexically("a/../../x"));
  EXPECT_TRUE(EscapesLexically("./a/./../.."));
  EXPECT_FALSE(EscapesLexically("a/../x"));
  EXPECT_FALSE(EscapesLexically("a/b/../../x"));
  EXPECT_FALSE(EscapesLexically("/../../x"));  // absolute: ".." stops at the root
  EXPECT_FALSE(EscapesLexically(""));
  EXPECT_FALSE(EscapesLexically("..x/y"));
}

TEST(PathTest, BaseName) {
  EXPECT_EQ(BaseName("a/b"), "b");
  EXPECT_EQ(BaseName("b"), "b");
  EXPECT_EQ(BaseName("a/"), "");
  EXPECT_EQ(BaseName("/x"), "x");
}

/// A tree given as symlinks only ("path" -> target); every other name is a directory.
class FakeTree {
 public:
  explicit FakeTree(std::map<std::string, std::string> links) : links_(std::move(links)) {}
  ScopeLookup Lookup() {
    return [this](const Comps& at, bool) -> ScopeEntry {
      seen_.push_back(JoinPath(at));
      auto it = links_.find(JoinPath(at));
      if (it == links_.end()) return {};
      return {0, it->second};
    };
  }
  std::vector<std::string> seen_;

 private:
  std::map<std::string, std::string> links_;
};

std::string Resolved(FakeTree& t, const std::string& path, bool follow_last = true) {
  ScopedPath r = ResolveInScope(SplitPath(path), follow_last, 40, t.Lookup());
  if (r.error != 0) return "error " + std::to_string(r.error);
  return "/" + JoinPath(r.comps);
}

TEST(ResolveInScopeTest, SymlinksStayInsideTheScope) {
  FakeTree t({{"abs", "/etc"}, {"up", "../../../.."}, {"rel", "x/y"}, {"chain", "abs/../rel"},
              {"x/y/back", "../.."}, {"x/y/abs", "/etc"}, {"dot", "."}, {"empty", ""}});
  struct Case { const char* path; const char* want; } cases[] = {
      {"abs/passwd", "/etc/passwd"},
      {"up/etc/passwd", "/etc/passwd"},
      {"../../up/x", "/x"},
      {"rel/z", "/x/y/z"},
      {"rel/../z", "/x/z"},  // ".." after a symlink goes up from its target, as the kernel does
      {"chain", "/x/y"},
      {"x/y/back/abs", "/etc"},
      {"x/y/abs/passwd", "/etc/passwd"},
      {"dot/dot/a", "/a"},
      {"empty/a", "/a"},
      {"/", "/"},
  };
  for (const auto& c : cases) EXPECT_EQ(Resolved(t, c.path), c.want) << c.path;
}

TEST(ResolveInScopeTest, LastComponentFollowedOnlyWhenAsked) {
  FakeTree t({{"a", "/b"}, {"d/l", "../t"}});
  EXPECT_EQ(Resolved(t, "a", false), "/a");
  EXPECT_EQ(Resolved(t, "a", true), "/b");
  EXPECT_EQ(Resolved(t, "d/l", false), "/d/l");
  EXPECT_EQ(Resolved(t, "d/l", true), "/t");
  EXPECT_EQ(Resolved(t, "a/c", false), "/b/c");
}

TEST(ResolveInScopeTest, LoopsStopWithEloop) {
  FakeTree t({{"a", "b"}, {"b", "a"}, {"self", "self/x"}});
  EXPECT_EQ(Resolved(t, "a"), "error " + std::to_string(ELOOP));
  EXPECT_EQ(Resolved(t, "self"), "error " + std::to_string(ELOOP));
  EXPECT_EQ(Resolved(t, "a", false), "/a");
}

TEST(ResolveInScopeTest, LooksAtEachPrefixOnceAndStopsAtAnError) {
  FakeTree t(std::map<std::string, std::string>{{"p/l", "m"}});
  EXPECT_EQ(Resolved(t, "p/l/q"), "/p/m/q");
  EXPECT_EQ(t.seen_, (Comps{"p", "p/l", "p/m", "p/m/q"}));
  ScopedPath r = ResolveInScope(SplitPath("a/b/c"), true, 40, [](const Comps& at, bool last) -> ScopeEntry {
    if (at.size() == 2) {
      EXPECT_FALSE(last);
      return {ENOTDIR, std::nullopt};
    }
    return {};
  });
  EXPECT_EQ(r.error, ENOTDIR);
  EXPECT_EQ(r.comps, (Comps{"a", "b"}));
}

}  // namespace
}  // namespace mini
