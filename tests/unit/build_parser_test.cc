/// Golden tests for the Minifile parser (BuildKit's testfiles idea): every directory under
/// tests/build_testdata/parser/<case>/ holds a Minifile and the expected `result` (one line per
/// node: "<first line>-<last line> <dump>"); parser-negative/<case>/ holds a Minifile and the
/// exact expected `error`. MINI_UPDATE_GOLDEN=1 rewrites the result files.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "build/instructions.h"
#include "build/minifile_parser.h"
#include "common/error.h"
#include "common/fs.h"

namespace mini::build {
namespace {

std::string TestData() {
  std::string f = __FILE__;
  return f.substr(0, f.rfind("/unit/")) + "/build_testdata";
}

std::vector<std::string> Cases(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') out.push_back(e->d_name);
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

std::string Dump(const ParsedFile& pf) {
  std::string out;
  if (pf.escape != '\\') out += std::string("escape=") + pf.escape + "\n";
  for (const auto& n : pf.nodes)
    out += std::to_string(n.start_line) + "-" + std::to_string(n.end_line) + " " + n.Dump() + "\n";
  return out;
}

TEST(BuildParserGolden, Positive) {
  std::string root = TestData() + "/parser";
  auto cases = Cases(root);
  ASSERT_GE(cases.size(), 10u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c);
    std::string text = ReadFile(root + "/" + c + "/Minifile");
    ParsedFile pf;
    try {
      pf = ParseMinifile(text, "Minifile");
      ParseStages(pf);
    } catch (const Error& e) {
      ADD_FAILURE() << "unexpected error: " << e.what();
      continue;
    }
    std::string got = Dump(pf);
    if (getenv("MINI_UPDATE_GOLDEN")) WriteFileAtomic(root + "/" + c + "/result", got);
    EXPECT_EQ(got, ReadFile(root + "/" + c + "/result"));
  }
}

TEST(BuildParserGolden, Negative) {
  std::string root = TestData() + "/parser-negative";
  auto cases = Cases(root);
  ASSERT_GE(cases.size(), 10u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c);
    std::string text = ReadFile(root + "/" + c + "/Minifile");
    std::string want = ReadFile(root + "/" + c + "/error");
    while (!want.empty() && want.back() == '\n') want.pop_back();
    try {
      ParseStages(ParseMinifile(text, "Minifile"));
      ADD_FAILURE() << "no error, want: " << want;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), want);
    }
  }
}

// Instruction text goes into the image config as JSON: bytes that are not UTF-8 used to surface
// as nlohmann's "[json.exception.type_error.316] invalid UTF-8 byte" when the build wrote it.
TEST(BuildParser, InstructionsMustBeUtf8) {
  for (std::string ok : {"caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf"})
    EXPECT_NO_THROW(ParseMinifile("FROM a\nENV A=" + ok + "\n", "F")) << ok;
  for (std::string bad : {"\xe9", "\xc0\x80", "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                          "\xe0\x80\x80", "\xf0\x80\x80\x80", "\x80", "\xc3\xa9\xff"}) {
    try {
      ParseMinifile("FROM a\nENV A=" + bad + " B=1\n", "F");
      ADD_FAILURE() << "accepted: " << testing::PrintToString(bad);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "F:2: invalid UTF-8 in the instruction");
    }
  }
  EXPECT_NO_THROW(ParseMinifile("# caf\xe9\nFROM a\n", "F"));  // comments are not instructions
}

// Found by minifile_fuzz: "." and 400-digit numbers escaped as std::invalid_argument /
// std::out_of_range ("mini: error: stod"); a huge total was an undefined double->int64 cast.
TEST(BuildParser, GoDurations) {
  EXPECT_EQ(ParseGoDuration("1m30s"), 90000000000);
  EXPECT_EQ(ParseGoDuration(".5s"), 500000000);
  EXPECT_EQ(ParseGoDuration("1.s"), 1000000000);
  EXPECT_EQ(ParseGoDuration("2562047h"), 2562047LL * 3600 * 1000000000);
  for (std::string bad : std::vector<std::string>{".", ".s", "1.2.3s", "2562048h", std::string(400, '9') + "s", "1e3s", "-1s"}) {
    try {
      ParseGoDuration(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      std::string msg = e.what();
      EXPECT_EQ(msg.rfind("time: ", 0), 0u) << msg;
      EXPECT_NE(msg.find("duration \"" + bad + "\""), std::string::npos) << msg;
    }
  }
}

TEST(BuildParser, OriginalJoinsContinuations) {
  auto pf = ParseMinifile("FROM a\nRUN echo a \\\n  && echo b\n", "F");
  ASSERT_EQ(pf.nodes.size(), 2u);
  EXPECT_EQ(pf.nodes[1].original, "RUN echo a   && echo b");
  EXPECT_EQ(pf.nodes[1].start_line, 2);
  EXPECT_EQ(pf.nodes[1].end_line, 3);
}

TEST(BuildParser, HealthcheckDurations) {
  auto pf = ParseMinifile("FROM a\nHEALTHCHECK --interval=1m30s --timeout=500ms --retries=3 CMD true\n", "F");
  auto mf = ParseStages(pf);
  auto h = std::get<HealthcheckCmd>(mf.stages[0].commands[0].ins);
  EXPECT_EQ(h.interval_ns, 90000000000LL);
  EXPECT_EQ(h.timeout_ns, 500000000LL);
  EXPECT_EQ(h.retries, 3);
  EXPECT_EQ(h.test, (std::vector<std::string>{"CMD-SHELL", "true"}));
}

TEST(BuildParser, StagesAndMetaArgs) {
  auto mf = ParseStages(ParseMinifile("ARG V=1\nFROM a:${V} AS Build\nRUN x\nFROM scratch\nCOPY --from=build /a /b\n", "F"));
  ASSERT_EQ(mf.meta_args.size(), 1u);
  ASSERT_EQ(mf.stages.size(), 2u);
  EXPECT_EQ(mf.stages[0].from.name, "build");
  EXPECT_EQ(mf.stages[0].from.image, "a:${V}");
  EXPECT_EQ(std::get<CopyCmd>(mf.stages[1].commands[0].ins).from, "build");
}

}  // namespace
}  // namespace mini::build
