/// Tests of InRoot against a root full of hostile symlinks: every lookup lands inside the root
/// and nothing outside it changes. Each test runs twice: with openat2 and with the fallback walk.
#include "common/in_root.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "tar_test_util.h"

namespace mini {
namespace {

using testutil::Exists;
using testutil::Sandbox;
using testutil::Snapshot;

int CountFds() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

class InRootTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    SetOpenat2Enabled(GetParam());
    fds_before_ = CountFds();
    root_ = sb_ / "root";
    outside_ = sb_ / "outside";
    MakeDirs(outside_);
    WriteFileAtomic(outside_ + "/victim", "host");
    MakeDirs(R("etc"));
    MakeDirs(R("d"));
    MakeDirs(R("outside"));
    WriteFileAtomic(R("etc/passwd"), "inside");
    WriteFileAtomic(R("outside/victim"), "in-root victim");
    WriteFileAtomic(R("file"), "f");
    Link(outside_, "abs");            // absolute, to a host directory
    Link("/etc", "etcabs");           // absolute, to the host's /etc
    Link("../../../..", "up");        // climbing far above the root
    Link("../outside", "uprel");      // to the sandbox's outside/ when followed on the host
    Link("../../outside", "d/dotdot");
    Link("/etc", "d/etcabs");         // absolute, one level down: restarts at the root
    Link("loop", "loop");
    host_before_ = Snapshot(outside_);
  }
  void TearDown() override {
    EXPECT_EQ(Snapshot(outside_), host_before_) << "something changed outside the root";
    EXPECT_FALSE(Exists("/etc/newdir"));
    EXPECT_FALSE(Exists("/etc/mnt"));
    EXPECT_EQ(CountFds(), fds_before_) << "a lookup leaked an fd";
    SetOpenat2Enabled(true);
  }

  std::string R(const std::string& rel) { return root_ + "/" + rel; }
  void Link(const std::string& target, const std::string& name) {
    if (symlink(target.c_str(), R(name).c_str()) != 0) ThrowErrno("symlink " + name);
  }
  /// The content of the file Open() finds at `path`, or "errno <name>".
  std::string ReadVia(const std::string& path) {
    InRoot root(root_);
    UniqueFd fd = root.Open(path, O_RDONLY);
    if (!fd) return std::string("errno ") + strerrorname_np(errno);
    char buf[64];
    ssize_t n = read(fd.get(), buf, sizeof buf);
    return n < 0 ? "read failed" : std::string(buf, static_cast<size_t>(n));
  }
  template <class F>
  std::string ErrorOf(F f) {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  static std::string Mode(const std::string& path) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return "missing";
    char buf[16];
    snprintf(buf, sizeof buf, "%s %04o", S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other",
             st.st_mode & 07777);
    return buf;
  }
  static bool SameFile(int fd, const std::string& path) {
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  }

  Sandbox sb_;
  std::string root_, outside_;
  std::map<std::string, std::string> host_before_;
  int fds_before_ = 0;
};

INSTANTIATE_TEST_SUITE_P(InRoot, InRootTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "openat2" : "walk"; });

TEST_P(InRootTest, OpenResolvesEscapingPathsInsideTheRoot) {
  struct Case { const char* path; const char* want; } cases[] = {
      {"etc/passwd", "inside"},
      {"/etc/passwd", "inside"},
      {"../../etc/passwd", "inside"},
      {"etc/../../etc/./passwd", "inside"},
      {"etcabs/passwd", "inside"},
      {"up/etc/passwd", "inside"},
      {"d/etcabs/passwd", "inside"},
      {"up/../../up/etc/passwd", "inside"},
      {"uprel/victim", "in-root victim"},
      {"d/dotdot/victim", "in-root victim"},
      {"abs/victim", "errno ENOENT"},  // the host path taken inside the root, where it is missing
      {"loop", "errno ELOOP"},
      {"loop/x", "errno ELOOP"},
      {"file/x", "errno ENOTDIR"},
      {"missing", "errno ENOENT"},
      {"missing/x", "errno ENOENT"},
  };
  for (const auto& c : cases) EXPECT_EQ(ReadVia(c.path), c.want) << c.path;
}

TEST_P(InRootTest, OpenOfTheRootAndOfDirectories) {
  InRoot root(root_);
  for (const char* p : {"", "/", ".", "..", "up", "/../.."}) {
    UniqueFd fd = root.Open(p, O_PATH | O_DIRECTORY);
    ASSERT_TRUE(fd) << p;
    EXPECT_TRUE(SameFile(fd.get(), root_)) << p;
  }
  UniqueFd etc = root.Open("etcabs", O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(etc);
  EXPECT_TRUE(SameFile(etc.get(), R("etc")));
  EXPECT_FALSE(root.Open("file", O_RDONLY | O_DIRECTORY));
  EXPECT_EQ(errno, ENOTDIR);
}

TEST_P(InRootTest, OpenDirCreatesMissingDirectoriesInsideTheRoot) {
  InRoot root(root_);
  UniqueFd a = root.OpenDir({"abs", "new", "deeper"}, true);
  EXPECT_TRUE(SameFile(a.get(), root_ + outside_ + "/new/deeper"));
  EXPECT_EQ(Mode(root_ + outside_ + "/new"), "dir 0755");
  UniqueFd b = root.OpenDir({"uprel", "n2"}, true);
  EXPECT_TRUE(SameFile(b.get(), R("outside/n2")));
  UniqueFd c = root.OpenDir({"etcabs", "newdir"}, true);
  EXPECT_TRUE(SameFile(c.get(), R("etc/newdir")));
  UniqueFd d = root.OpenDir({}, false);
  EXPECT_TRUE(SameFile(d.get(), root_));
  // An O_RDONLY directory fd: good for *at() calls that create.
  EXPECT_EQ(mkdirat(c.get(), "sub", 0700), 0);
}

TEST_P(InRootTest, OpenDirErrorsNameThePath) {
  InRoot root(root_);
  EXPECT_EQ(ErrorOf([&] { root.OpenDir({"file", "x"}, true); }), "file/x: Not a directory");
  EXPECT_EQ(ErrorOf([&] { root.OpenDir({"file"}, false); }), "file: Not a directory");
  EXPECT_EQ(ErrorOf([&] { root.OpenDir({"abs"}, false); }), "abs: No such file or directory");
  EXPECT_EQ(ErrorOf([&] { root.OpenDir({"loop", "x"}, true); }), "loop/x: Too many levels of symbolic links");
  EXPECT_FALSE(Exists(R("x")));
}

TEST_P(InRootTest, MkdirAllFollowsDanglingSymlinksInsideTheRoot) {
  InRoot root(root_);
  UniqueFd a = root.MkdirAll("/abs/vol", 0755);
  EXPECT_TRUE(SameFile(a.get(), root_ + outside_ + "/vol"));
  UniqueFd b = root.MkdirAll("etcabs/newdir/x");
  EXPECT_TRUE(SameFile(b.get(), R("etc/newdir/x")));
  UniqueFd c = root.MkdirAll("/");
  EXPECT_TRUE(SameFile(c.get(), root_));
  EXPECT_EQ(ErrorOf([&] { root.MkdirAll("/file/x"); }), "/file/x: Not a directory");
  EXPECT_EQ(ErrorOf([&] { root.MkdirAll("/loop"); }), "/loop: Too many levels of symbolic links");
}

TEST_P(InRootTest, EnsureMountTargetMakesFilesAndDirectoriesInsideTheRoot) {
  InRoot root(root_);
  UniqueFd f = root.EnsureMountTarget("/abs/sub/file", false);
  EXPECT_TRUE(SameFile(f.get(), root_ + outside_ + "/sub/file"));
  EXPECT_EQ(Mode(root_ + outside_ + "/sub/file").substr(0, 4), "file");
  UniqueFd d = root.EnsureMountTarget("/etcabs/mnt", true);
  EXPECT_TRUE(SameFile(d.get(), R("etc/mnt")));
  UniqueFd existing = root.EnsureMountTarget("/uprel/victim", false);
  EXPECT_TRUE(SameFile(existing.get(), R("outside/victim")));
  EXPECT_EQ(ReadFile(R("outside/victim")), "in-root victim");  // not truncated
  EXPECT_EQ(ErrorOf([&] { root.EnsureMountTarget("/file/x", false); }), "/file/x: Not a directory");
}

TEST_P(InRootTest, LstatDoesNotFollowTheLastComponent) {
  InRoot root(root_);
  auto l = root.Lstat("abs");
  ASSERT_TRUE(l);
  EXPECT_TRUE(S_ISLNK(l->st_mode));
  auto p = root.Lstat("up/etcabs/passwd");
  ASSERT_TRUE(p);
  EXPECT_TRUE(S_ISREG(p->st_mode));
  EXPECT_EQ(p->st_size, 6);
  EXPECT_FALSE(root.Lstat("abs/victim"));
  EXPECT_FALSE(root.Lstat("file/x"));
  auto top = root.Lstat("up/..");
  ASSERT_TRUE(top);
  struct stat rs;
  ASSERT_EQ(stat(root_.c_str(), &rs), 0);
  EXPECT_EQ(top->st_ino, rs.st_ino);
}

TEST(InRootRemoveTest, RemoveEntryAtNeverFollowsSymlinks) {
  Sandbox sb;
  MakeDirs(sb / "keep");
  WriteFileAtomic(sb / "keep/f", "x");
  MakeDirs(sb / "d/sub");
  WriteFileAtomic(sb / "d/sub/f", "y");
  ASSERT_EQ(symlink((sb / "keep").c_str(), (sb / "d/link").c_str()), 0);
  UniqueFd dir(open(sb.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  RemoveEntryAt(dir.get(), "d");
  RemoveEntryAt(dir.get(), "missing");
  EXPECT_FALSE(Exists(sb / "d"));
  EXPECT_EQ(ReadFile(sb / "keep/f"), "x");
}

}  // namespace
}  // namespace mini
