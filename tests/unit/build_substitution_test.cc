/// Table tests for Docker's word expansion (BuildKit shell lexer rules).
#include <gtest/gtest.h>

#include "build/substitution.h"
#include "common/error.h"

namespace mini::build {
namespace {

struct Case {
  std::string in, out;
};

TEST(BuildSubstitution, ProcessWord) {
  std::vector<std::string> env = {"A=a", "EMPTY=", "SP=x y", "PATH=/bin"};
  auto vars = LookupIn(env);
  std::vector<Case> cases = {
      {"plain", "plain"},
      {"$A", "a"},
      {"${A}", "a"},
      {"x${A}y", "xay"},
      {"$A$A", "aa"},
      {"$UNSET", ""},
      {"${UNSET:-def}", "def"},
      {"${EMPTY:-def}", "def"},
      {"${EMPTY-def}", ""},
      {"${UNSET-def}", "def"},
      {"${A:+alt}", "alt"},
      {"${EMPTY:+alt}", ""},
      {"${EMPTY+alt}", "alt"},
      {"${UNSET:+alt}", ""},
      {"${UNSET:-$A}", "a"},
      {"${UNSET:-\"q w\"}", "q w"},
      {"'$A'", "$A"},
      {"\"$A\"", "a"},
      {"\"a b\"", "a b"},
      {"\\$A", "$A"},
      {"\"\\$A\"", "$A"},
      {"\"\\x\"", "\\x"},
      {"a\\ b", "a b"},
      {"$", "$"},
      {"$-", "$-"},
      {"${PATH}:/usr/bin", "/bin:/usr/bin"},
      {"$SP", "x y"},
      {"''", ""},
  };
  ShellLex lex('\\');
  for (const auto& c : cases) EXPECT_EQ(lex.ProcessWord(c.in, vars), c.out) << c.in;
}

TEST(BuildSubstitution, BacktickEscape) {
  std::vector<std::string> env = {"A=a"};
  ShellLex lex('`');
  EXPECT_EQ(lex.ProcessWord("c:\\dir", LookupIn(env)), "c:\\dir");
  EXPECT_EQ(lex.ProcessWord("`$A", LookupIn(env)), "$A");
}

TEST(BuildSubstitution, ProcessWordsSplits) {
  std::vector<std::string> env = {"SP=x y", "P=80"};
  ShellLex lex;
  EXPECT_EQ(lex.ProcessWords("$P 443/tcp \"a b\" $SP", LookupIn(env)),
            (std::vector<std::string>{"80", "443/tcp", "a b", "x", "y"}));
}

TEST(BuildSubstitution, Errors) {
  std::vector<std::string> env;
  ShellLex lex;
  auto msg = [&](const std::string& w) {
    try {
      lex.ProcessWord(w, LookupIn(env));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(msg("${A"), "failed to process \"${A\": syntax error: missing '}'");
  EXPECT_EQ(msg("${A:?needs A}"), "failed to process \"${A:?needs A}\": A: needs A");
  EXPECT_EQ(msg("${}"), "failed to process \"${}\": bad substitution");
  EXPECT_EQ(msg("'open"), "failed to process \"'open\": unexpected end of statement while looking for matching single-quote");
}

}  // namespace
}  // namespace mini::build
