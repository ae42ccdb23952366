/// Tests of UnpackLayer against hostile tars: every case asserts what landed inside `dest` and
/// that nothing changed outside it (the rest of the sandbox, and a decoy directory beside it).
/// Each runs twice: with openat2 and with the manual resolution walk.
#include "store/tar_extract.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/error.h"
#include "common/in_root.h"
#include "tar_test_util.h"

namespace mini {
namespace {

using testutil::Exists;
using testutil::Sandbox;
using testutil::Snapshot;
using testutil::TarBuilder;

std::string Xattr(const std::string& path, const std::string& name) {
  char v[256];
  ssize_t n = lgetxattr(path.c_str(), name.c_str(), v, sizeof v);
  return n < 0 ? "(none)" : std::string(v, static_cast<size_t>(n));
}

mode_t TypeOf(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & S_IFMT;
}

std::string Target(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n < 0 ? "(not a link)" : std::string(buf, static_cast<size_t>(n));
}

class UnpackTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    SetOpenat2Enabled(GetParam());
    dest_ = sb_ / "root";
    outside_ = sb_.path() + "-outside";
    MakeDirs(dest_);
    WriteFileAtomic(sb_ / "sibling.txt", "sibling");
    MakeDirs(outside_);
    WriteFileAtomic(outside_ + "/victim", "original");
    sandbox_before_ = Outside();
  }
  void TearDown() override {
    EXPECT_EQ(Outside(), sandbox_before_) << "something changed outside dest";
    EXPECT_FALSE(Exists("/tmp/evil"));
    RemoveTree(outside_);
    SetOpenat2Enabled(true);
  }

  /// Everything outside dest: the sandbox minus dest, and the decoy directory (with its own mode).
  std::map<std::string, std::string> Outside() {
    auto snap = Snapshot(sb_.path());
    for (auto it = snap.begin(); it != snap.end();)
      it = (it->first == "root" || it->first.rfind("root/", 0) == 0) ? snap.erase(it) : std::next(it);
    for (auto& [k, v] : Snapshot(outside_)) snap["outside:" + k] = v;
    struct stat st;
    lstat(outside_.c_str(), &st);
    snap["outside:."] = std::to_string(st.st_mode) + " " + std::to_string(st.st_mtim.tv_sec) + "." +
                        std::to_string(st.st_mtim.tv_nsec);
    return snap;
  }

  UnpackResult Unpack(const std::string& tar, const UnpackOptions& opts = {}) {
    StringSource src(tar);
    return UnpackLayer(src, dest_, opts);
  }
  /// The error message of unpacking `tar`, or "(no error)".
  std::string UnpackError(const std::string& tar) {
    try {
      Unpack(tar);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  std::string D(const std::string& rel) { return dest_ + "/" + rel; }
  /// The decoy dir's path as seen inside dest when a symlink to it is resolved in the root.
  std::string InRootOutside() { return dest_ + outside_; }

  Sandbox sb_;
  std::string dest_, outside_;
  std::map<std::string, std::string> sandbox_before_;
};

INSTANTIATE_TEST_SUITE_P(Unpack, UnpackTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "openat2" : "walk"; });

TEST_P(UnpackTest, DotDotAndAbsoluteNamesStayInside) {
  Unpack(TarBuilder().File("../../evil", "1").File("/abs/evil", "2").File("a/../../evil2", "3").Finish());
  EXPECT_EQ(ReadFile(D("evil")), "1");
  EXPECT_EQ(ReadFile(D("abs/evil")), "2");
  EXPECT_EQ(ReadFile(D("evil2")), "3");
  EXPECT_FALSE(Exists(D("a")));  // cleaned lexically: "a" is never made
}

TEST_P(UnpackTest, SymlinkToHostIsResolvedInsideTheRoot) {
  Unpack(TarBuilder().Symlink("link", outside_).File("link/evil", "x").Finish());
  EXPECT_EQ(Target(D("link")), outside_);
  EXPECT_EQ(ReadFile(InRootOutside() + "/evil"), "x");
  EXPECT_FALSE(Exists(outside_ + "/evil"));
}

TEST_P(UnpackTest, SymlinkChainUpwardsIsClampedAtTheRoot) {
  Unpack(TarBuilder().Symlink("a", "b").Symlink("b", "../..").File("a/evil", "x").Symlink("c", "/..").File("c/evil2", "y").Finish());
  EXPECT_EQ(ReadFile(D("evil")), "x");
  EXPECT_EQ(ReadFile(D("evil2")), "y");
}

TEST_P(UnpackTest, HardLinksCannotReachHostFiles) {
  EXPECT_EQ(UnpackError(TarBuilder().Hardlink("passwd", "/etc/passwd").Finish()),
            "layer entry \"passwd\": hard link target \"/etc/passwd\": etc: No such file or directory");
  EXPECT_EQ(UnpackError(TarBuilder().Symlink("link", outside_).Hardlink("hl", "link/victim").Finish()),
            "layer entry \"hl\": hard link target \"link/victim\": link: No such file or directory");
  EXPECT_EQ(UnpackError(TarBuilder().Symlink("up", "../../..").Hardlink("hl2", "up/" + outside_ + "/victim").Finish())
                .rfind("layer entry \"hl2\": hard link target", 0),
            0u);
  // A file of the same name that this layer did not create is not a valid target either.
  MakeDirs(D("etc"));
  WriteFileAtomic(D("etc/shadow"), "old");
  EXPECT_EQ(UnpackError(TarBuilder().Hardlink("s", "/etc/shadow").Finish()),
            "layer entry \"s\": hard link target \"/etc/shadow\" is not in this layer");
  struct stat st;
  ASSERT_EQ(stat("/etc/passwd", &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
}

TEST_P(UnpackTest, HardLinksInsideTheLayerWork) {
  Unpack(TarBuilder().File("f", "data").Symlink("s", "/nowhere").Hardlink("d/hf", "./f").Hardlink("hs", "s").Finish());
  struct stat a, b;
  ASSERT_EQ(lstat(D("f").c_str(), &a), 0);
  ASSERT_EQ(lstat(D("d/hf").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(Target(D("hs")), "/nowhere");
  EXPECT_EQ(UnpackError(TarBuilder().Dir("dir").Hardlink("hd", "dir").Finish()),
            "layer entry \"hd\": hard link target \"dir\" is a directory");
}

TEST_P(UnpackTest, WhiteoutsNeedARealName) {
  EXPECT_EQ(UnpackError(TarBuilder().File(".wh...").Finish()), "layer entry \".wh...\": whiteout without a valid name");
  EXPECT_EQ(UnpackError(TarBuilder().File("a/.wh.").Finish()), "layer entry \"a/.wh.\": whiteout without a valid name");
  EXPECT_EQ(UnpackError(TarBuilder().File(".wh..").Finish()), "layer entry \".wh..\": whiteout without a valid name");
  Unpack(TarBuilder().File("..wh.", "plain").Finish());
  EXPECT_EQ(ReadFile(D("..wh.")), "plain");
}

TEST_P(UnpackTest, WhiteoutsBecomeDevicesAndOpaqueXattrs) {
  Unpack(TarBuilder().File("sibling.txt", "mine").Dir("d").File("d/x").File("../.wh.sibling.txt")
             .File("d/.wh.x").File("o/.wh..wh..opq").Dir("p").File("p/keep").File("p/.wh..wh..opq").Finish());
  struct stat st;
  ASSERT_EQ(lstat(D("sibling.txt").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_EQ(TypeOf(D("d/x")), S_IFCHR);
  EXPECT_EQ(Xattr(D("o"), "trusted.overlay.opaque"), "y");
  EXPECT_EQ(Xattr(D("p"), "trusted.overlay.opaque"), "y");
  EXPECT_TRUE(Exists(D("p/keep")));  // opaque hides lower layers only
  EXPECT_FALSE(Exists(D("o/.wh..wh..opq")));
}

TEST_P(UnpackTest, WhiteoutsStayFilesWhenNotConverted) {
  Unpack(TarBuilder().File(".wh.x", "w").File("o/.wh..wh..opq").Finish(), UnpackOptions{false});
  EXPECT_EQ(ReadFile(D(".wh.x")), "w");
  EXPECT_EQ(TypeOf(D("o/.wh..wh..opq")), S_IFREG);
  EXPECT_EQ(Xattr(D("o"), "trusted.overlay.opaque"), "(none)");
}

TEST_P(UnpackTest, RootEntryStaysADirectory) {
  Unpack(TarBuilder().Symlink("./", outside_).Symlink(".", outside_).File("/", "file?").File("x", "in").Finish());
  EXPECT_EQ(TypeOf(dest_), S_IFDIR);
  EXPECT_EQ(ReadFile(D("x")), "in");
  Unpack(TarBuilder().Dir("./", 0710).Finish());
  struct stat st;
  ASSERT_EQ(lstat(dest_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFDIR | 0710u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
}

TEST_P(UnpackTest, DirectoryReplacedBySymlinkThenWrittenThrough) {
  Unpack(TarBuilder().Dir("d", 0700).File("d/f", "1").Symlink("d", outside_).File("d/evil", "2").Dir("d/sub", 0700).Finish());
  EXPECT_EQ(Target(D("d")), outside_);
  EXPECT_EQ(ReadFile(InRootOutside() + "/evil"), "2");
  EXPECT_EQ(TypeOf(InRootOutside() + "/sub"), S_IFDIR);
  // The deferred pass must not chmod/utime the decoy dir through the new symlink (checked in TearDown).
}

TEST_P(UnpackTest, TypeChangesReplaceEntries) {
  Unpack(TarBuilder().File("a", "file").Dir("a").File("a/in").Dir("b").File("b/x").File("b", "now a file")
             .Symlink("c", "a").Symlink("c", "b").Dir("e").Dir("e", 0700).Finish());
  EXPECT_EQ(TypeOf(D("a")), S_IFDIR);
  EXPECT_EQ(ReadFile(D("b")), "now a file");
  EXPECT_EQ(Target(D("c")), "b");
  EXPECT_EQ(TypeOf(D("a/in")), S_IFREG);
  struct stat st;
  ASSERT_EQ(lstat(D("e").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(UnpackError(TarBuilder().File("f").File("f/x").Finish()),
            "layer entry \"f/x\": f: Not a directory");
}

TEST_P(UnpackTest, OverlayXattrsAreDropped) {
  TarBuilder t;
  t.Entry("x", AE_IFREG, 0644, "", [](archive_entry* e) {
    archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1);
    archive_entry_xattr_add_entry(e, "trusted.overlay.redirect", "/etc", 4);
    archive_entry_xattr_add_entry(e, "user.overlay.opaque", "y", 1);
    archive_entry_xattr_add_entry(e, "user.keep", "k", 1);
  });
  t.Entry("d", AE_IFDIR, 0755, "", [](archive_entry* e) { archive_entry_xattr_add_entry(e, "trusted.overlay.opaque", "y", 1); });
  Unpack(t.Finish());
  EXPECT_EQ(Xattr(D("x"), "trusted.overlay.opaque"), "(none)");
  EXPECT_EQ(Xattr(D("x"), "trusted.overlay.redirect"), "(none)");
  EXPECT_EQ(Xattr(D("x"), "user.overlay.opaque"), "(none)");
  EXPECT_EQ(Xattr(D("x"), "user.keep"), "k");
  EXPECT_EQ(Xattr(D("d"), "trusted.overlay.opaque"), "(none)");
}

TEST_P(UnpackTest, TruncatedAndCorruptInputFails) {
  std::string tar = TarBuilder().File("small", "s").File("big", std::string(10000, 'b')).Finish();
  EXPECT_EQ(UnpackError(tar.substr(0, 3000)), "layer entry \"big\": read data: Truncated tar archive");
  EXPECT_EQ(UnpackError(tar.substr(0, 1024 + 200)).rfind("layer: after entry \"small\": ", 0), 0u);
  std::string gz = testutil::Compress(Compression::kGzip, tar);
  EXPECT_EQ(UnpackError(gz.substr(0, gz.size() / 2)).find("truncated gzip data") != std::string::npos, true);
  std::string bad = gz;
  for (size_t i = 12; i < 40; i++) bad[i] = static_cast<char>(~bad[i]);
  EXPECT_NE(UnpackError(bad).find("layer: corrupt gzip data"), std::string::npos);
  EXPECT_NE(UnpackError("this is not a tar file at all, not even close").find("layer"), std::string::npos);
}

TEST_P(UnpackTest, OverlongNamesAreRefused) {
  std::string name = "d/" + std::string(4100, 'n');
  EXPECT_EQ(UnpackError(TarBuilder().File(name).Finish()),
            "layer entry \"" + name + "\": path name longer than 4096 bytes");
}

TEST_P(UnpackTest, MetadataIsAppliedInTheRightOrder) {
  TarBuilder t;
  t.Entry("suid", AE_IFREG, 04755, "x", [](archive_entry* e) {
    archive_entry_set_uid(e, 1234);
    archive_entry_set_gid(e, 5678);
    archive_entry_set_mtime(e, 1234567890, 42);
  });
  t.Entry("dev", AE_IFCHR, 0620, "", [](archive_entry* e) { archive_entry_set_rdev(e, makedev(4, 5)); });
  t.Entry("fifo", AE_IFIFO, 0600, "", [](archive_entry*) {});
  t.Entry("d", AE_IFDIR, 03775, "", [](archive_entry* e) { archive_entry_set_mtime(e, 1000, 7); });
  t.File("d/child");  // created after d: its mtime must still be the tar's
  Unpack(t.Finish());
  struct stat st;
  ASSERT_EQ(lstat(D("suid").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFREG | 04755u);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
  EXPECT_EQ(st.st_mtim.tv_nsec, 42);
  ASSERT_EQ(lstat(D("dev").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFCHR | 0620u);
  EXPECT_EQ(st.st_rdev, makedev(4, 5));
  EXPECT_EQ(TypeOf(D("fifo")), S_IFIFO);
  ASSERT_EQ(lstat(D("d").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, S_IFDIR | 03775u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 7);
}

TEST_P(UnpackTest, DiffIdCoversPaddingAfterTheEnd) {
  std::string tar = TarBuilder().File("f", "data").Finish() + std::string(10 * 1024, '\0');
  UnpackResult r = Unpack(tar);
  EXPECT_EQ(r.diff_id, Sha256Of(tar));
  EXPECT_EQ(r.tar_size, tar.size());
  EXPECT_EQ(r.blob_digest, Sha256Of(tar));
  EXPECT_EQ(r.compression, Compression::kNone);
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    std::string blob = testutil::Compress(c, tar);
    UnpackResult z = Unpack(blob);
    EXPECT_EQ(z.compression, c);
    EXPECT_EQ(z.diff_id, Sha256Of(tar));
    EXPECT_EQ(z.tar_size, tar.size());
    EXPECT_EQ(z.blob_digest, Sha256Of(blob));
    EXPECT_EQ(z.blob_size, blob.size());
  }
}

}  // namespace
}  // namespace mini
