/// Tests of CheckStore / PlanRepair / RepairStore on small stores made in /tmp (no root needed):
/// each corruption gives its exact fault line, and a repair leaves a clean store.
#include "store/store_check.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "common/error.h"
#include "common/fs.h"
#include "store/blob_store.h"
#include "store/image_store.h"
#include "store/lease.h"
#include "store/store_check_internal.h"
#include "temp_store.h"

namespace mini {
namespace {

using nlohmann::json;

/// A store with a two-layer image "two" (bottom, top) over layers made from plain directories.
struct TwoLayerStore {
  std::string root = test::MakeTempDir("mini-check-");
  Layout layout{root};
  LayerStore layers{layout};
  ImageStore images{layout, layers};
  Digest image, bottom, top, bottom_blob, top_blob;

  TwoLayerStore() {
    layout.Ensure();
    BlobStore blobs(layout);
    std::vector<Descriptor> descs;
    std::optional<Digest> parent;
    json diff_ids = json::array();
    for (const char* name : {"bottom", "top"}) {
      std::string content = std::string("blob of ") + name;
      Digest blob = blobs.PutBytes(content);
      Digest diff = Sha256Of(std::string("diff of ") + name);
      std::string dir = root + "/tmp/" + name;
      MakeDirs(dir);
      WriteFileAtomic(dir + "/" + name + ".txt", name);
      LayerInfo info = layers.CreateFromDiffDir(dir, parent, blob, content.size(), diff, 1024);
      parent = info.chain_id;
      descs.push_back({media::kOciLayerGzip, blob, content.size(), nullptr, nullptr});
      diff_ids.push_back(diff.str());
      (bottom.empty() ? bottom : top) = info.chain_id;
      (bottom_blob.empty() ? bottom_blob : top_blob) = blob;
    }
    image = images.CreateImage({{"architecture", "amd64"}, {"os", "linux"}, {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}},
                               descs);
    images.Tag(ParseReference("two:latest"), image);
  }
  ~TwoLayerStore() { RemoveTree(root); }

  std::string Link(const Digest& chain) { return ReadFile(layout.LayerDir(chain.hex()) + "/link"); }
};

std::vector<std::string> Lines(const StoreCheck& c) {
  std::vector<std::string> out;
  for (const auto& f : c.faults) out.push_back(f.Line());
  return out;
}

void FlipFirstByte(const std::string& path) {
  std::string data = ReadFile(path);
  data[0] ^= 1;
  chmod(path.c_str(), 0644);
  WriteFileAtomic(path, data);
}

/// Repairs, then expects a clean check.
RepairResult RepairAndExpectClean(TwoLayerStore& s, const CheckOptions& opts = {}) {
  RepairResult r = RepairStore(s.layout, opts);
  StoreCheck again = CheckStore(s.layout, opts);
  EXPECT_TRUE(again.clean()) << ::testing::PrintToString(Lines(again));
  return r;
}

bool Has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

TEST(StoreCheck, CleanStoreHasNoFaults) {
  TwoLayerStore s;
  StoreCheck c = CheckStore(s.layout);
  EXPECT_TRUE(c.clean()) << ::testing::PrintToString(Lines(c));
  EXPECT_EQ(c.blobs, 4u);  // two layer blobs, config, manifest
  EXPECT_EQ(c.layers, 2u);
  EXPECT_EQ(c.images, 1u);
  EXPECT_TRUE(PlanRepair(c, nullptr).empty());
}

TEST(StoreCheck, CorruptLayerBlobTakesTheImageButNotTheLayers) {
  TwoLayerStore s;
  FlipFirstByte(s.layout.Blob(s.top_blob));
  std::string content = ReadFile(s.layout.Blob(s.top_blob));
  StoreCheck c = CheckStore(s.layout);
  EXPECT_EQ(Lines(c), std::vector<std::string>{"blob " + s.top_blob.str() + ": digest mismatch (content is " +
                                               Sha256Of(content).str() + ")"});
  RepairPlan p = PlanRepair(c, nullptr);
  EXPECT_EQ(p.blobs, std::vector<Digest>{s.top_blob});
  EXPECT_EQ(p.images, std::vector<Digest>{s.image});
  EXPECT_TRUE(p.layers.empty());
  RepairResult r = RepairAndExpectClean(s);
  EXPECT_TRUE(Has(r.lines, "removed image " + s.image.str() + " (docker.io/library/two:latest)"))
      << ::testing::PrintToString(r.lines);
  EXPECT_TRUE(Has(r.lines, "removed blob " + s.top_blob.str()));
  EXPECT_TRUE(s.layers.Has(s.top));
  EXPECT_FALSE(s.images.Find("two").has_value());
}

TEST(StoreCheck, MissingDiffTakesTheLayersAboveAndTheImage) {
  TwoLayerStore s;
  RemoveTree(s.layout.LayerDiff(s.bottom.hex()));
  StoreCheck c = CheckStore(s.layout);
  EXPECT_EQ(Lines(c), std::vector<std::string>{"layer " + s.bottom.str() + ": diff/ missing"});
  RepairPlan p = PlanRepair(c, nullptr);
  EXPECT_EQ(p.layers, (std::vector<Digest>{s.top, s.bottom}));  // top first
  EXPECT_EQ(p.images, std::vector<Digest>{s.image});
  RepairAndExpectClean(s);
  EXPECT_FALSE(s.layers.Has(s.bottom));
  EXPECT_TRUE(ListDirNames(s.layout.LinksDir()).empty());
}

TEST(StoreCheck, LinkAndLowerFaults) {
  TwoLayerStore s;
  std::string short_top = s.Link(s.top), short_bottom = s.Link(s.bottom);
  unlink(s.layout.Link(short_top).c_str());
  WriteFileAtomic(s.layout.LayerDir(s.top.hex()) + "/lower", "l/AAAAAAAAAAAAAAAAAAAAAAAAAA");
  StoreCheck c = CheckStore(s.layout);
  EXPECT_EQ(Lines(c), (std::vector<std::string>{
                          "layer " + s.top.str() + ": l/" + short_top + " link missing",
                          "layer " + s.top.str() + ": lower is \"l/AAAAAAAAAAAAAAAAAAAAAAAAAA\", expected \"l/" +
                              short_bottom + "\""}));
  RepairPlan p = PlanRepair(c, nullptr);
  EXPECT_EQ(p.layers, std::vector<Digest>{s.top});
  RepairAndExpectClean(s);
  EXPECT_TRUE(s.layers.Has(s.bottom));
}

TEST(StoreCheck, DeletedRecordLeavesOrphanDirAndBrokenChild) {
  TwoLayerStore s;
  RemoveTree(s.layout.LayerMeta(s.bottom));
  StoreCheck c = CheckStore(s.layout);
  std::string short_bottom = s.Link(s.bottom);
  EXPECT_EQ(Lines(c), (std::vector<std::string>{
                          "layer " + s.top.str() + ": parent " + s.bottom.str() + " has no layer record",
                          "image " + s.image.str() + ": layer " + s.bottom.str() + " missing",
                          "overlay2/" + s.bottom.hex() + ": directory without a layer record",
                          "overlay2/l/" + short_bottom + ": link to ../" + s.bottom.hex() +
                              "/diff, which has no layer record"}));
  RepairAndExpectClean(s);
  EXPECT_TRUE(ListDirNames(s.layout.LayersMetaDir()).empty());
}

TEST(StoreCheck, ContainerDirsAreNotOrphans) {
  TwoLayerStore s;
  std::string cid(64, 'c');
  MakeDirs(s.layout.LayerDiff(cid));
  MakeDirs(s.layout.LayerDiff(cid + "-init"));
  MakeDirs(s.layout.LayerDiff("junk"));
  CheckOptions opts;
  opts.is_container_dir = [&](const std::string& n) { return n == cid || n == cid + "-init"; };
  StoreCheck c = CheckStore(s.layout, opts);
  EXPECT_EQ(Lines(c), std::vector<std::string>{"overlay2/junk: directory without a layer record"});
  RepairAndExpectClean(s, opts);
  EXPECT_TRUE(IsDirectory(s.layout.LayerDiff(cid)));
  EXPECT_FALSE(PathExists(s.layout.LayerDir("junk")));
}

TEST(StoreCheck, CorruptConfigAndDanglingRef) {
  TwoLayerStore s;
  FlipFirstByte(s.layout.Blob(s.image));
  json refs = json::parse(ReadFile(s.layout.RefsFile()));
  Digest gone = Sha256Of("gone");
  refs["tags"]["docker.io/library/gone:1"] = gone.str();
  WriteFileAtomic(s.layout.RefsFile(), refs.dump());
  StoreCheck c = CheckStore(s.layout);
  ASSERT_EQ(c.faults.size(), 2u) << ::testing::PrintToString(Lines(c));
  EXPECT_EQ(c.faults[0].Line().substr(0, 80), ("blob " + s.image.str() + ": digest mismatch (content is ").substr(0, 80));
  EXPECT_EQ(c.faults[1].Line(), "refs.json: tag docker.io/library/gone:1 points at missing image " + gone.str());
  RepairResult r = RepairAndExpectClean(s);
  EXPECT_TRUE(Has(r.lines, "removed refs.json entry docker.io/library/gone:1")) << ::testing::PrintToString(r.lines);
  EXPECT_EQ(json::parse(ReadFile(s.layout.RefsFile()))["tags"].size(), 0u);
}

TEST(StoreCheck, SizeMismatchWithTheManifest) {
  TwoLayerStore s;
  // The image's manifest replaced by one that claims a wrong size for the bottom blob.
  ImageRecord rec = s.images.Get(s.image);
  json m = rec.manifest;
  m["layers"][0]["size"] = 999;
  m["config"]["digest"] = s.image.str();
  BlobStore blobs(s.layout);
  Digest md = blobs.PutBytes(CanonicalJson(m));
  WriteFileAtomic(s.layout.ImageDir(s.image) + "/manifest", md.str());
  StoreCheck c = CheckStore(s.layout);
  EXPECT_EQ(Lines(c), std::vector<std::string>{"image " + s.image.str() + ": manifest " + md.str() + " gives blob " +
                                               s.bottom_blob.str() + " 999 bytes, it has 14"});
  RepairPlan p = PlanRepair(c, nullptr);
  EXPECT_EQ(p.images, std::vector<Digest>{s.image});
  EXPECT_TRUE(p.blobs.empty());  // its bytes are right
}

TEST(StoreCheck, LayersInUseAreKept) {
  TwoLayerStore s;
  RemoveTree(s.layout.LayerDiff(s.bottom.hex()));
  CheckOptions opts;
  opts.layer_in_use = [&](const Digest& c) { return c == s.top; };
  RepairResult r = RepairStore(s.layout, opts);
  EXPECT_TRUE(r.plan.layers.empty());
  EXPECT_EQ(r.plan.kept_layers.size(), 2u);
  EXPECT_EQ(r.plan.kept_images, std::vector<Digest>{s.image});
  EXPECT_TRUE(Has(r.lines, "kept layer " + s.bottom.str() + ": in use, not removed")) << ::testing::PrintToString(r.lines);
  EXPECT_TRUE(s.layers.Has(s.top));
  EXPECT_EQ(CheckStore(s.layout, opts).faults.size(), 1u);
}

TEST(StoreCheck, ExpectedLowerAndShortIds) {
  using check_internal::LayerFacts;
  std::map<Digest, LayerFacts> layers;
  Digest a = Sha256Of("a"), b = Sha256Of("b"), c = Sha256Of("c");
  layers[a].parent_known = true;
  layers[a].link = "AAAAAAAAAAAAAAAAAAAAAAAAAA";
  layers[b].parent_known = true;
  layers[b].parent = a;
  layers[b].link = "BBBBBBBBBBBBBBBBBBBBBBBBBB";
  layers[c].parent_known = true;
  layers[c].parent = b;
  EXPECT_EQ(check_internal::ExpectedLower(layers, a), "");
  EXPECT_EQ(check_internal::ExpectedLower(layers, c), "l/BBBBBBBBBBBBBBBBBBBBBBBBBB:l/AAAAAAAAAAAAAAAAAAAAAAAAAA");
  layers[a].link.reset();
  EXPECT_EQ(check_internal::ExpectedLower(layers, c), std::nullopt);
  EXPECT_TRUE(check_internal::IsShortId("ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
  EXPECT_FALSE(check_internal::IsShortId("ABCDEFGHIJKLMNOPQRSTUVWXY1"));
  EXPECT_FALSE(check_internal::IsShortId("ABC"));
}

// An image record is made and removed whole (renamed in and out of place as a ".tmp-" entry):
// a kill never leaves images/<id> without its manifest. A live entry is not a fault; one left
// by a killed process is, until the next operation's CollectStale sweeps it.
TEST(StoreCheck, ImageRecordsAreMadeAndRemovedWhole) {
  TwoLayerStore s;
  {
    TempDir live(s.layout.ImagesDir(), kImageRecordTmpPrefix);
    EXPECT_TRUE(CheckStore(s.layout).clean());
  }
  std::string dead = s.layout.ImagesDir() + "/" + kImageRecordTmpPrefix + "killed";
  MakeDirs(dead);
  WriteFileAtomic(dead + "/manifest", "x");
  EXPECT_EQ(Lines(CheckStore(s.layout)),
            std::vector<std::string>{std::string("images/") + kImageRecordTmpPrefix + "killed: not an image record"});
  CollectStale(s.layout);
  EXPECT_FALSE(PathExists(dead));
  EXPECT_TRUE(CheckStore(s.layout).clean());

  // An image directory without its manifest (an older mini killed between the two) is replaced.
  Digest m = ImageStore(s.layout, s.layers).Get(s.image).manifest_digest;
  RemoveTree(s.layout.ImageDir(s.image) + "/manifest");
  EXPECT_FALSE(CheckStore(s.layout).clean());
  EXPECT_EQ(s.images.AddImage(m), s.image);
  EXPECT_TRUE(CheckStore(s.layout).clean());

  s.images.Delete("two:latest", false);
  EXPECT_FALSE(PathExists(s.layout.ImageDir(s.image)));
  EXPECT_EQ(ListDirNames(s.layout.ImagesDir()), std::vector<std::string>{"refs.json"});
}

}  // namespace
}  // namespace mini
