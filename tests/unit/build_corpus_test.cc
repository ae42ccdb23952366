/// The parser against a corpus of real Dockerfiles. tests/build_testdata/corpus/<case>/Dockerfile
/// (recipes written for mini in the shape of popular projects' Dockerfiles) must parse into
/// stages. When MINI_CORPUS_DIR names a directory, every Dockerfile under it is parsed too, and
/// BuildKit's parser golden files laid out as in moby/buildkit (testfiles/<case>/{Dockerfile,
/// result}, testfiles-negative/<case>/Dockerfile) are checked: positives give BuildKit's node
/// dump, negatives are refused. (Third-party files are not committed here; see the README.)
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
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

/// A directory, or a symlink to one (the external corpus may link its checkouts in).
bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// The names in `dir` but the hidden ones, sorted.
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out = ListDirNames(dir);
  std::erase_if(out, [](const std::string& n) { return n[0] == '.'; });
  std::sort(out.begin(), out.end());
  return out;
}

/// Every file named Dockerfile* or Minifile under `dir`.
void FindDockerfiles(const std::string& dir, std::vector<std::string>* out) {
  for (const auto& e : Entries(dir)) {
    std::string p = dir + "/" + e;
    if (IsDir(p)) FindDockerfiles(p, out);
    else if ((e.rfind("Dockerfile", 0) == 0 || e == "Minifile") && e.find(".template") == std::string::npos)
      out->push_back(p);
  }
}

/// Go's strconv.Quote for the text BuildKit's Dump writes (JSON's escapes, except \x for
/// other control bytes).
std::string GoQuote(const std::string& s) {
  std::string j = nlohmann::json(s).dump();
  std::string out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (j.compare(i, 4, "\\u00") == 0 && i + 6 <= j.size()) {
      out += "\\x" + j.substr(i + 4, 2);
      i += 5;
    } else {
      out += j[i];
    }
  }
  return out;
}

/// Our node in BuildKit's Dump format: flags as %q, ENV/LABEL as key value separator triples,
/// no json marker, ONBUILD's trigger nested.
std::string BuildkitDump(const Node& n) {
  std::string out = n.cmd;
  if (!n.flags.empty()) {
    out += " [";
    for (size_t i = 0; i < n.flags.size(); ++i) out += (i ? " " : "") + GoQuote(n.flags[i]);
    out += "]";
  }
  if (n.sub) return out + " (" + BuildkitDump(*n.sub) + ")";
  if (n.cmd == "env" || n.cmd == "label") {
    // The legacy form ("ENV k v") has no '=' in its first word; it has one pair.
    std::string rest = n.original.substr(n.cmd.size());
    size_t k = rest.find_first_not_of(" \t");
    bool legacy = n.args.size() == 2 && k != std::string::npos &&
                  rest.substr(k, rest.find_first_of(" \t", k) - k).find('=') == std::string::npos;
    for (size_t i = 0; i + 1 < n.args.size(); i += 2)
      out += " " + GoQuote(n.args[i]) + " " + GoQuote(n.args[i + 1]) + (legacy ? " \"\"" : " \"=\"");
    return out;
  }
  for (const auto& a : n.args) out += " " + GoQuote(a);
  return out;
}

TEST(BuildCorpus, OwnCorpusParses) {
  std::vector<std::string> files;
  FindDockerfiles(TestData() + "/corpus", &files);
  ASSERT_GE(files.size(), 10u);
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    try {
      auto mf = ParseStages(ParseMinifile(ReadFile(f), "Dockerfile"));
      EXPECT_FALSE(mf.stages.empty());
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

TEST(BuildCorpus, ExternalCorpus) {
  const char* dir = getenv("MINI_CORPUS_DIR");
  if (!dir || !IsDir(dir)) GTEST_SKIP() << "MINI_CORPUS_DIR is not set";
  int parsed = 0, golden = 0, refused = 0, other_frontend = 0;
  std::vector<std::string> files;
  FindDockerfiles(dir, &files);
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    if (f.find("/testfiles-negative/") != std::string::npos) {
      try {
        ParseStages(ParseMinifile(ReadFile(f), "Dockerfile"));
        ADD_FAILURE() << "accepted a negative test file";
      } catch (const Error&) {
        ++refused;
      }
      continue;
    }
    ParsedFile pf;
    std::string text = ReadFile(f);
    try {
      try {
        pf = ParseMinifile(text, "Dockerfile");
      } catch (const Error& e) {
        // Another frontend (dockerfile-upstream:master, the labs channel) is refused by design;
        // the rest of such a file is still checked, with the directive made a plain comment.
        if (std::string(e.what()).find(": syntax directive \"") == std::string::npos) throw;
        ++other_frontend;
        size_t s = text.find("syntax");
        pf = ParseMinifile(text.replace(s, 6, "syntaxx"), "Dockerfile");
      }
      ++parsed;
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    std::string result = f.substr(0, f.rfind('/')) + "/result";
    if (f.find("/testfiles/") != std::string::npos && access(result.c_str(), R_OK) == 0) {
      std::string got;
      for (const auto& n : pf.nodes) got += "(" + BuildkitDump(n) + ")\n";
      EXPECT_EQ(got, ReadFile(result));
      ++golden;
    } else {
      // A project's Dockerfile must also give typed stages.
      try {
        ParseStages(pf);
      } catch (const Error& e) {
        ADD_FAILURE() << e.what();
      }
    }
  }
  std::printf("[corpus] %d parsed (%d against BuildKit's result files, %d naming another frontend), %d negatives refused\n",
              parsed, golden, other_frontend, refused);
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace mini::build
