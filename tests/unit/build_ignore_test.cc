/// Table tests for .miniignore/.dockerignore patterns (Docker's patternmatcher rules) and COPY
/// source globs.
#include <gtest/gtest.h>

#include "build/ignore_patterns.h"

namespace mini::build {
namespace {

struct Case {
  std::string patterns, path;
  bool excluded;
};

TEST(BuildIgnore, Table) {
  std::vector<Case> cases = {
      {"*.log", "a.log", true},
      {"*.log", "dir/a.log", false},
      {"**/*.log", "dir/sub/a.log", true},
      {"**/*.log", "a.log", true},
      {"dir", "dir/anything/below", true},
      {"/dir", "dir/x", true},
      {"./dir/../other", "other/x", true},
      {"dir/*", "dir/x", true},
      {"dir/*", "dirx", false},
      {"a?c", "abc", true},
      {"a?c", "a/c", false},
      {"[a-c].txt", "b.txt", true},
      {"[!a-c].txt", "b.txt", false},
      {"*.md\n!README.md", "README.md", false},
      {"*.md\n!README.md", "x.md", true},
      {"!README.md\n*.md", "README.md", true},
      {"**\n!keep/**", "keep/a/b", false},
      {"**\n!keep/**", "other", true},
      {"# comment\n\n  spaced  ", "spaced", true},
      {"docs/**/*.png", "docs/a/b/c.png", true},
      {"docs/**/*.png", "docs/c.png", true},
      {"docs/**/*.png", "src/c.png", false},
      {"a.b", "axb", false},
  };
  for (const auto& c : cases) {
    auto ip = IgnorePatterns::Parse(c.patterns);
    EXPECT_EQ(ip.Excluded(c.path), c.excluded) << "patterns [" << c.patterns << "] path " << c.path;
  }
}

TEST(BuildIgnore, Glob) {
  EXPECT_TRUE(GlobMatch("*.txt", "a.txt"));
  EXPECT_FALSE(GlobMatch("*.txt", "d/a.txt"));
  EXPECT_TRUE(GlobMatch("file?.c", "file1.c"));
  EXPECT_TRUE(HasGlob("a*"));
  EXPECT_FALSE(HasGlob("plain/path"));
}

}  // namespace
}  // namespace mini::build
