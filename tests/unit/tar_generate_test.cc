/// Tests of PackLayer, mostly as round trips through UnpackLayer: every file type and piece of
/// metadata survives, whiteouts convert both ways, output is deterministic, digests agree.
#include "store/tar_generate.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/error.h"
#include "store/tar_extract.h"
#include "tar_test_util.h"

namespace mini {
namespace {

using testutil::Sandbox;
using testutil::Snapshot;

void Check(int r, const std::string& what) {
  if (r != 0) ThrowErrno(what);
}

void Touch(const std::string& path, const std::string& data, mode_t mode) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) ThrowErrno("create " + path);
  WriteAll(fd.get(), data.data(), data.size(), path);
  Check(fchmod(fd.get(), mode), "chmod " + path);
}

void SetTime(const std::string& path, time_t sec, long nsec) {
  timespec ts[2] = {{sec, nsec}, {sec, nsec}};
  Check(utimensat(AT_FDCWD, path.c_str(), ts, AT_SYMLINK_NOFOLLOW), "utimensat " + path);
}

/// Every kind of node the packer must keep, with owners, modes, xattrs and exact times.
void MakeTree(const std::string& r, bool whiteouts) {
  for (const char* d : {"a", "a/b", "a/b/c", "tmp"}) Check(mkdir((r + "/" + d).c_str(), 0755), d);
  Check(chmod((r + "/tmp").c_str(), 01777), "chmod tmp");
  Touch(r + "/a/file", "hello\n", 0644);
  Check(setxattr((r + "/a/file").c_str(), "user.test", "value", 5, 0), "setxattr");
  Check(setxattr((r + "/a/b").c_str(), "trusted.mini", "t", 1, 0), "setxattr");
  Touch(r + "/empty", "", 0600);
  Touch(r + "/suid", "#!/bin/sh\n", 04755);
  Touch(r + "/owned", "mine", 0640);
  Check(chown((r + "/owned").c_str(), 1234, 5678), "chown");
  Check(chmod((r + "/owned").c_str(), 02750), "chmod owned");  // setgid survives the chown order
  Check(symlink("file", (r + "/a/link").c_str()), "symlink");
  Check(symlink("/does/not/exist", (r + "/dangling").c_str()), "symlink");
  Check(lsetxattr((r + "/a/link").c_str(), "trusted.onlink", "L", 1, 0), "lsetxattr");  // on the link itself
  Check(link((r + "/a/file").c_str(), (r + "/a/b/hard").c_str()), "link");
  Check(mkfifo((r + "/fifo").c_str(), 0640), "mkfifo");
  Check(mknod((r + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), "mknod");
  Check(chmod((r + "/null").c_str(), 0666), "chmod null");
  Check(mknod((r + "/a/b/c/blk").c_str(), S_IFBLK | 0600, makedev(7, 200)), "mknod blk");
  Touch(r + "/a/b/c/deep", std::string(100000, 'x'), 0755);
  std::string big_name(200, 'n');  // longer than ustar's 100-byte name field
  Touch(r + "/a/" + big_name, "long", 0644);
  if (whiteouts) {
    Check(mknod((r + "/gone").c_str(), S_IFCHR, makedev(0, 0)), "mknod whiteout");
    Check(mkdir((r + "/opaque").c_str(), 0750), "mkdir opaque");
    Check(setxattr((r + "/opaque").c_str(), "trusted.overlay.opaque", "y", 1, 0), "setxattr opaque");
    Touch(r + "/opaque/keep", "kept", 0644);
  }
  time_t t = 1500000000;
  for (const char* p : {"a/file", "empty", "suid", "owned", "a/link", "dangling", "fifo", "null", "a/b/c/blk",
                        "a/b/c/deep", "gone", "opaque/keep"}) {
    if (!testutil::Exists(r + "/" + p)) continue;
    SetTime(r + "/" + p, t++, 123456789);
  }
  SetTime(r + "/a/" + big_name, t++, 0);
  for (const char* d : {"a/b/c", "a/b", "a", "tmp", "opaque"})
    if (testutil::Exists(r + "/" + d)) SetTime(r + "/" + d, t++, 5000);
}

PackOptions Opts(Compression c, bool convert_whiteouts) {
  PackOptions o;
  o.compression = c;
  o.convert_whiteouts = convert_whiteouts;
  return o;
}

PackResult PackToFile(const std::string& dir, const std::string& out, const PackOptions& opts) {
  UniqueFd fd(open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) ThrowErrno("create " + out);
  return PackLayer(dir, fd.get(), opts);
}

UnpackResult UnpackFile(const std::string& blob, const std::string& dest, const UnpackOptions& opts = {}) {
  UniqueFd fd(open(blob.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) ThrowErrno("open " + blob);
  FdSource src(fd.get(), blob);
  MakeDirs(dest);
  return UnpackLayer(src, dest, opts);
}

/// Entry names of a tar, in order, with "uname/gname" when set.
std::vector<std::string> ListTar(const std::string& tar) {
  std::vector<std::string> names;
  struct archive* a = archive_read_new();
  archive_read_support_format_tar(a);
  archive_read_open_memory(a, tar.data(), tar.size());
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    std::string n = archive_entry_pathname(e);
    if (archive_entry_uname(e) && *archive_entry_uname(e)) n += " uname";
    if (archive_entry_atime_is_set(e) || archive_entry_ctime_is_set(e)) n += " xtime";
    if (archive_entry_hardlink(e)) n += std::string(" -> ") + archive_entry_hardlink(e);
    names.push_back(n);
  }
  archive_read_free(a);
  return names;
}

class PackTest : public ::testing::Test {
 protected:
  Sandbox sb_;
};

TEST_F(PackTest, RoundTripKeepsEveryTypeAndAllMetadata) {
  for (bool whiteouts : {false, true}) {
    SCOPED_TRACE(whiteouts ? "with whiteouts" : "plain");
    std::string src = sb_ / (whiteouts ? "src-wh" : "src"), dst = sb_ / (whiteouts ? "dst-wh" : "dst");
    MakeDirs(src);
    MakeTree(src, whiteouts);
    std::string blob = sb_ / (whiteouts ? "layer-wh.tar.gz" : "layer.tar.gz");
    PackResult p = PackToFile(src, blob, {});
    UnpackResult u = UnpackFile(blob, dst);
    EXPECT_EQ(u.compression, Compression::kGzip);
    EXPECT_EQ(p.blob_digest, u.blob_digest);
    EXPECT_EQ(p.blob_digest, Sha256OfFile(blob));
    EXPECT_EQ(p.blob_size, u.blob_size);
    EXPECT_EQ(p.diff_id, u.diff_id);
    EXPECT_EQ(p.tar_size, u.tar_size);
    EXPECT_EQ(p.tar_size % 512, 0u);
    EXPECT_EQ(p.tree_size, TreeSize(src));  // what registering the tree would walk it for
    auto want = Snapshot(src), got = Snapshot(dst);
    EXPECT_EQ(want, got);
    EXPECT_EQ(got.size(), whiteouts ? 19u : 16u);
    if (whiteouts) {
      struct stat st;
      ASSERT_EQ(lstat((dst + "/gone").c_str(), &st), 0);
      EXPECT_TRUE(S_ISCHR(st.st_mode));
      EXPECT_EQ(st.st_rdev, makedev(0, 0));
      EXPECT_NE(got["opaque"].find("xattr:trusted.overlay.opaque=y"), std::string::npos);
    }
  }
}

TEST_F(PackTest, OutputIsDeterministicForEveryCompression) {
  std::string src = sb_ / "src";
  MakeDirs(src);
  MakeTree(src, true);
  std::optional<Digest> diff_id;
  for (Compression c : {Compression::kGzip, Compression::kZstd, Compression::kNone}) {
    SCOPED_TRACE(CompressionName(c));
    std::string b1 = sb_ / (std::string("one.") + CompressionName(c));
    std::string b2 = sb_ / (std::string("two.") + CompressionName(c));
    PackResult p1 = PackToFile(src, b1, Opts(c, true));
    PackResult p2 = PackToFile(src, b2, Opts(c, true));
    EXPECT_EQ(p1.blob_digest, p2.blob_digest);
    EXPECT_EQ(ReadFile(b1), ReadFile(b2));
    std::string bytes = ReadFile(b1);
    EXPECT_EQ(DetectCompression(bytes.data(), bytes.size()), c);
    if (!diff_id) diff_id = p1.diff_id;
    EXPECT_EQ(p1.diff_id, *diff_id);  // same tar whatever the compression
    if (c == Compression::kNone) {
      EXPECT_EQ(p1.blob_digest, p1.diff_id);
    }
    UnpackResult u = UnpackFile(b1, sb_ / (std::string("dst.") + CompressionName(c)));
    EXPECT_EQ(u.compression, c);
    EXPECT_EQ(u.diff_id, p1.diff_id);
    EXPECT_EQ(u.blob_digest, p1.blob_digest);
  }
}

TEST_F(PackTest, EntriesAreSortedDepthFirstWithCleanHeaders) {
  std::string src = sb_ / "src";
  MakeDirs(src + "/b/z");
  MakeDirs(src + "/a");
  Touch(src + "/b/a", "", 0644);
  Touch(src + "/B", "", 0644);
  Touch(src + "/b/z/f", "", 0644);
  Check(link((src + "/b/a").c_str(), (src + "/c").c_str()), "link");
  Check(mknod((src + "/b/wh").c_str(), S_IFCHR, makedev(0, 0)), "mknod");
  Check(setxattr((src + "/a").c_str(), "trusted.overlay.opaque", "y", 1, 0), "setxattr");
  Check(setxattr((src + "/b/a").c_str(), "user.overlay.x", "1", 1, 0), "setxattr");
  Check(setxattr((src + "/b/a").c_str(), "trusted.overlay.origin", "1", 1, 0), "setxattr");
  PackResult p = PackToFile(src, sb_ / "out.tar", Opts(Compression::kNone, true));
  std::string tar = ReadFile(sb_ / "out.tar");
  EXPECT_EQ(ListTar(tar), (std::vector<std::string>{"B", "a/", "a/.wh..wh..opq", "b/", "b/a", "b/.wh.wh",
                                                    "b/z/", "b/z/f", "c -> b/a"}));
  EXPECT_EQ(tar.find("overlay"), std::string::npos);  // no overlay xattr in any header
  EXPECT_EQ(p.tar_size, tar.size());

  PackToFile(src, sb_ / "raw.tar", Opts(Compression::kNone, false));
  EXPECT_EQ(ListTar(ReadFile(sb_ / "raw.tar")),
            (std::vector<std::string>{"B", "a/", "b/", "b/a", "b/wh", "b/z/", "b/z/f", "c -> b/a"}));
}

TEST_F(PackTest, NonAsciiNamesRoundTrip) {
  std::string src = sb_ / "src", dst = sb_ / "dst";
  MakeDirs(src + "/caf\xc3\xa9");
  Touch(src + "/caf\xc3\xa9/\xff\xfe-raw", "bytes", 0644);
  Check(symlink("caf\xc3\xa9/\xff\xfe-raw", (src + "/l\xc3\xbc").c_str()), "symlink");
  PackResult p = PackToFile(src, sb_ / "out.tar", Opts(Compression::kNone, true));
  UnpackResult u = UnpackFile(sb_ / "out.tar", dst);
  EXPECT_EQ(p.diff_id, u.diff_id);
  EXPECT_EQ(Snapshot(src), Snapshot(dst));
}

TEST_F(PackTest, MissingDirectoryFails) {
  try {
    PackToFile(sb_ / "nope", sb_ / "out", {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pack: open"), std::string::npos);
  }
}

}  // namespace
}  // namespace mini
