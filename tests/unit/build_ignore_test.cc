/// Table tests for .miniignore/.dockerignore patterns (Docker's patternmatcher rules) and COPY
/// source globs.
#include <gtest/gtest.h>

#include "build/ignore_patterns.h"
#include "common/error.h"

namespace mini::build {
namespace {

struct Case {
  std::string patterns, path;
  bool excluded;
};

// Found by ignore_fuzz: each "**" became a ".*" and std::regex backtracked through all of them;
// this pattern took longer than libFuzzer's 20 s limit on "a/b/c.txt" (now microseconds).
TEST(BuildIgnore, RunsOfStarsStayFast) {
  auto ip = IgnorePatterns::Parse(std::string(27, '*') + "\xff\xfe" "E\n" + std::string(40, '*') + "x\n" +
                                  "**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/**/y\n");
  for (std::string p : {"a", "a/b", "a/b/c.txt", "README.md", "dir/sub/x.log", "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q"})
    EXPECT_FALSE(ip.Excluded(p)) << p;
  EXPECT_TRUE(ip.Excluded("a/b/cx"));
  EXPECT_TRUE(ip.Excluded("a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/y"));
}

// Found by ignore_fuzz: "\\3333..." reached std::regex as a back-reference (with a signed
// overflow inside libstdc++ for a long number). Docker's Go regexp refuses it too.
TEST(BuildIgnore, BackslashDigitIsASyntaxError) {
  for (std::string p : {"a\\1", "\\33333333333333333333", "x/\\0"}) {
    try {
      IgnorePatterns::Parse(p);
      ADD_FAILURE() << "accepted: " << p;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "syntax error in pattern \"" + p + "\"");
    }
  }
  EXPECT_TRUE(IgnorePatterns::Parse("a\\*b").Excluded("a*b"));
  EXPECT_FALSE(IgnorePatterns::Parse("a\\*b").Excluded("axb"));
}

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
      {"***/x", "x", false},
      {"***/x", "a/b/x", true},
      {"**/**/x", "x", true},
      {"**/**/x", "a/b/x", true},
      {"a/***", "a/b/c", true},
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
