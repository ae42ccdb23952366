/// Tests of SaveImages / LoadImages: round trips between two fresh stores in both formats, and
/// hostile or broken archives that must be refused without leaving anything behind.
#include "store/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/error.h"
#include "common/fs.h"
#include "store/blob_store.h"
#include "store/importer.h"
#include "store/tar_generate.h"
#include "temp_store.h"

namespace mini {
namespace {

using nlohmann::json;

using Store = test::TempStore;  // a private store root under /tmp, removed afterwards

void WriteFile(const std::string& path, const std::string& data) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) ThrowErrno("create " + path);
  WriteAll(fd.get(), data.data(), data.size(), path);
}

/// Packs a one-file tree as a layer tar (uncompressed or gzip); returns the packed bytes.
std::string PackOneFile(const std::string& tmp, const std::string& name, const std::string& content, Compression c,
                        PackResult* res) {
  std::string dir = test::MakeTempDir("mini-arc-tree-");
  WriteFile(dir + "/" + name, content);
  std::string out = tmp + "/packed";
  UniqueFd fd(open(out.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  PackOptions opts;
  opts.compression = c;
  *res = PackLayer(dir, fd.get(), opts);
  RemoveTree(dir);
  return ReadFile(out);
}

/// Makes a two-layer image (gzip blobs) tagged busybox:latest and busybox:1.
Digest MakeImage(Store& s) {
  std::vector<Descriptor> descs;
  std::optional<Digest> parent;
  json diff_ids = json::array();
  BlobStore blobs(s.layout);
  for (int i = 0; i < 2; i++) {
    PackResult pr;
    std::string blob = PackOneFile(s.root, "file" + std::to_string(i), "layer " + std::to_string(i) + "\n", Compression::kGzip, &pr);
    StringSource src(blob);
    LayerInfo info = s.layers.CreateFromStream(src, parent, pr.blob_digest, pr.blob_size, pr.diff_id);
    blobs.PutBytes(blob, pr.blob_digest);
    descs.push_back({media::kOciLayerGzip, pr.blob_digest, pr.blob_size, nullptr, nullptr});
    diff_ids.push_back(pr.diff_id.str());
    parent = info.chain_id;
  }
  json config = {{"architecture", HostArchitecture()},
                 {"os", "linux"},
                 {"created", "2024-01-02T03:04:05Z"},
                 {"config", {{"Cmd", {"sh"}}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  Digest id = s.images.CreateImage(config, descs);
  s.images.Tag(ParseReference("busybox:latest"), id);
  s.images.Tag(ParseReference("busybox:1"), id);
  return id;
}

std::string Save(Store& s, const std::vector<std::string>& names, ArchiveFormat f) {
  std::string path = s.root + "/out.tar";
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  SaveImages(s.layout, s.images, s.layers, names, f, fd.get());
  return path;
}

std::vector<std::string> Load(Store& s, const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) ThrowErrno("open " + path);
  FdSource src(fd.get(), path);
  return LoadImages(s.layout, s.images, s.layers, src);
}

struct Entry {
  Entry(std::string n, std::string d = "", mode_t t = AE_IFREG, std::string l = "")
      : name(std::move(n)), data(std::move(d)), type(t), link(std::move(l)) {}
  std::string name;
  std::string data;
  mode_t type;
  std::string link;  ///< symlink target
};

/// Writes a tar of `entries` with libarchive.
void WriteTar(const std::string& path, const std::vector<Entry>& entries) {
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& e : entries) {
    archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.name.c_str());
    archive_entry_set_filetype(ae, e.type);
    archive_entry_set_perm(ae, 0644);
    if (e.type == AE_IFLNK) archive_entry_set_symlink(ae, e.link.c_str());
    archive_entry_set_size(ae, e.type == AE_IFREG ? e.data.size() : 0);
    archive_write_header(a, ae);
    if (e.type == AE_IFREG) archive_write_data(a, e.data.data(), e.data.size());
    archive_entry_free(ae);
  }
  archive_write_close(a);
  archive_write_free(a);
}

/// A hand-made docker-archive of one uncompressed layer; `diff_id` goes into the config.
std::vector<Entry> DockerArchive(const std::string& layer_tar, const Digest& diff_id, const std::string& layer_name = "l/layer.tar") {
  json config = {{"architecture", "amd64"}, {"os", "linux"}, {"rootfs", {{"type", "layers"}, {"diff_ids", {diff_id.str()}}}}};
  std::string cbytes = config.dump();
  std::string cname = Sha256Of(cbytes).hex() + ".json";
  json manifest = json::array({{{"Config", cname}, {"RepoTags", {"evil:1"}}, {"Layers", {layer_name}}}});
  return {{cname, cbytes}, {"l/layer.tar", layer_tar}, {"manifest.json", manifest.dump()}};
}

/// The store holds nothing: no image, layer, blob, tag or staging leftover.
void ExpectEmpty(Store& s) {
  EXPECT_TRUE(s.images.List().empty());
  EXPECT_TRUE(s.layers.List().empty());
  EXPECT_TRUE(BlobStore(s.layout).List().empty());
  EXPECT_FALSE(s.images.Find("evil:1").has_value());
  EXPECT_FALSE(s.images.Find("busybox:latest").has_value());
  EXPECT_EQ(RemoveStaleEntries(s.layout.TmpDir()), 0) << "tmp/ is not empty";
}

std::string LoadError(Store& s, const std::string& path) {
  try {
    Load(s, path);
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "load of " << path << " succeeded";
  return "";
}

class ArchiveTest : public ::testing::Test {
 protected:
  Store a{test::MakeTempDir("mini-arc-a-")};
  Store b{test::MakeTempDir("mini-arc-b-")};
};

TEST_F(ArchiveTest, DockerArchiveRoundTrip) {
  Digest id = MakeImage(a);
  std::string tar = Save(a, {"busybox:latest"}, ArchiveFormat::kDockerArchive);
  EXPECT_EQ(Load(b, tar), std::vector<std::string>{"Loaded image: busybox:latest"});
  ImageRecord ra = a.images.Get(id), rb = b.images.Resolve("busybox:latest");
  EXPECT_EQ(rb.id, id);
  EXPECT_EQ(rb.diff_ids, ra.diff_ids);
  EXPECT_EQ(rb.chain_ids, ra.chain_ids);
  EXPECT_EQ(rb.repo_tags, std::vector<std::string>{"busybox:latest"});
  EXPECT_EQ(RemoveStaleEntries(b.layout.TmpDir()), 0);
  // Loading again is idempotent.
  EXPECT_EQ(Load(b, tar), std::vector<std::string>{"Loaded image: busybox:latest"});
}

TEST_F(ArchiveTest, SaveByIdKeepsAllTags) {
  Digest id = MakeImage(a);
  std::string tar = Save(a, {id.hex().substr(0, 12)}, ArchiveFormat::kDockerArchive);
  auto lines = Load(b, tar);
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"Loaded image: busybox:1", "Loaded image: busybox:latest"}));
  EXPECT_EQ(b.images.Resolve("busybox:1").id, id);
}

TEST_F(ArchiveTest, OciArchiveRoundTripKeepsManifestDigest) {
  Digest id = MakeImage(a);
  std::string tar = Save(a, {"busybox:1"}, ArchiveFormat::kOciArchive);
  EXPECT_EQ(Load(b, tar), std::vector<std::string>{"Loaded image: busybox:1"});
  ImageRecord ra = a.images.Get(id), rb = b.images.Resolve("busybox:1");
  EXPECT_EQ(rb.id, id);
  EXPECT_EQ(rb.manifest_digest, ra.manifest_digest);
  EXPECT_EQ(rb.diff_ids, ra.diff_ids);
  EXPECT_EQ(rb.repo_tags, std::vector<std::string>{"busybox:1"});
}

TEST_F(ArchiveTest, UntaggedImageLoadsById) {
  Digest id = MakeImage(a);
  ASSERT_TRUE(a.images.Untag(ParseReference("busybox:latest")));
  ASSERT_TRUE(a.images.Untag(ParseReference("busybox:1")));
  std::string tar = Save(a, {id.str()}, ArchiveFormat::kOciArchive);
  EXPECT_EQ(Load(b, tar), std::vector<std::string>{"Loaded image ID: " + id.str()});
}

TEST_F(ArchiveTest, RefusesDotDotEntry) {
  std::string tar = b.root + "/evil.tar";
  WriteTar(tar, {{"manifest.json", "[]"}, {"../x", "boom"}});
  EXPECT_EQ(LoadError(b, tar), "load: entry \"../x\": name with \"..\"");
  EXPECT_FALSE(PathExists(b.layout.TmpDir() + "/x"));
  ExpectEmpty(b);
}

TEST_F(ArchiveTest, RefusesLinksOutOfTheArchiveAndDevices) {
  std::string tar = b.root + "/evil.tar";
  WriteTar(tar, {{"manifest.json", "", AE_IFLNK, "/etc/passwd"}});
  EXPECT_EQ(LoadError(b, tar), "load: entry \"manifest.json\": link to \"/etc/passwd\" outside the archive");
  WriteTar(tar, {{"a/manifest.json", "", AE_IFLNK, "../../x"}});
  EXPECT_EQ(LoadError(b, tar), "load: entry \"a/manifest.json\": link to \"../../x\" outside the archive");
  WriteTar(tar, {{"fifo", "", AE_IFIFO}});
  EXPECT_EQ(LoadError(b, tar), "load: entry \"fifo\": a fifo is not allowed");
  WriteTar(tar, {{"/abs", "x"}});
  EXPECT_EQ(LoadError(b, tar), "load: entry \"/abs\": absolute name");
  ExpectEmpty(b);
}

TEST_F(ArchiveTest, RefusesLayerThatDoesNotMatchDiffId) {
  PackResult pr;
  std::string layer = PackOneFile(b.root, "f", "data\n", Compression::kNone, &pr);
  Digest wrong = Sha256Of("something else");
  std::string tar = b.root + "/bad.tar";
  WriteTar(tar, DockerArchive(layer, wrong));
  std::string err = LoadError(b, tar);
  EXPECT_NE(err.find("load: manifest.json image 1: layer \"l/layer.tar\""), std::string::npos) << err;
  EXPECT_NE(err.find("diff id mismatch: expected " + wrong.str()), std::string::npos) << err;
  ExpectEmpty(b);
}

TEST_F(ArchiveTest, RollsBackEarlierLayersWhenALaterOneFails) {
  Digest id = MakeImage(a);
  std::string tar = Save(a, {"busybox"}, ArchiveFormat::kOciArchive);
  // Corrupt the top layer blob of the saved archive: the bottom one is committed first.
  ImageRecord rec = a.images.Get(id);
  std::string top = rec.manifest["layers"][1]["digest"];
  std::vector<Entry> entries;
  archive* r = archive_read_new();
  archive_read_support_format_tar(r);
  ASSERT_EQ(archive_read_open_filename(r, tar.c_str(), 10240), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
    Entry x{archive_entry_pathname(e), "", archive_entry_filetype(e), ""};
    x.data.resize(archive_entry_size(e));
    if (!x.data.empty()) archive_read_data(r, x.data.data(), x.data.size());
    if (x.name == "blobs/sha256/" + top.substr(7)) x.data[x.data.size() / 2] ^= 1;
    entries.push_back(x);
  }
  archive_read_free(r);
  WriteTar(tar, entries);
  std::string err = LoadError(b, tar);
  EXPECT_NE(err.find("load: manifest " + rec.manifest_digest.str() + ": layer \"blobs/sha256/" + top.substr(7) + "\""),
            std::string::npos) << err;
  ExpectEmpty(b);
}

TEST_F(ArchiveTest, RefusesManifestNamingAMissingFile) {
  PackResult pr;
  std::string layer = PackOneFile(b.root, "f", "data\n", Compression::kNone, &pr);
  std::string tar = b.root + "/missing.tar";
  WriteTar(tar, DockerArchive(layer, pr.diff_id, "nope/layer.tar"));
  EXPECT_EQ(LoadError(b, tar), "load: manifest.json image 1: layer \"nope/layer.tar\": \"nope/layer.tar\": no such file in the archive");
  WriteTar(tar, {{"x", "y"}});
  EXPECT_EQ(LoadError(b, tar), "load: archive has neither index.json nor manifest.json: not an image archive");
  ExpectEmpty(b);
}

TEST_F(ArchiveTest, FollowsDockerStyleLayerSymlinks) {
  // docker 20.10 writes a repeated layer as a symlink to the first copy.
  PackResult pr;
  std::string layer = PackOneFile(b.root, "f", "data\n", Compression::kNone, &pr);
  auto entries = DockerArchive(layer, pr.diff_id, "m/layer.tar");
  entries.push_back({"m/layer.tar", "", AE_IFLNK, "../l/layer.tar"});
  std::string tar = b.root + "/link.tar";
  WriteTar(tar, entries);
  EXPECT_EQ(Load(b, tar), std::vector<std::string>{"Loaded image: evil:1"});
  EXPECT_EQ(b.images.Resolve("evil:1").diff_ids, std::vector<Digest>{pr.diff_id});
}

}  // namespace
}  // namespace mini
