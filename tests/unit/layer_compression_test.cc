/// Tests of layer compression for export (store/layer_compression.h, store/layer_blobs.h): the
/// flags' rules and messages, the compressed-blobs record (format, parse, old records without
/// it), and a committed layer exported as zstd: an OCI manifest of a zstd blob that inflates to
/// the layer's tar, made once and recorded, the same bytes in another store, the image's own
/// manifest untouched, and a gzip layer recompressed only when forced.
#include "store/layer_compression.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_output.h"
#include "build/layer_commit.h"
#include "common/fs.h"
#include "error_of.h"
#include "store/blob_store.h"
#include "store/deferred_layer.h"
#include "store/layer_blobs.h"
#include "temp_store.h"

namespace mini {
namespace {

TEST(CompressionOptions, Defaults) {
  CompressionOptions o = ParseCompressionOptions("", std::nullopt, std::nullopt);
  EXPECT_FALSE(o.format);
  EXPECT_FALSE(o.force);
  o = ParseCompressionOptions("zstd", std::nullopt, std::nullopt);
  EXPECT_EQ(o.format, Compression::kZstd);
  EXPECT_EQ(o.level, 3);
  EXPECT_TRUE(o.force);  // podman: an explicit format forces it
  o = ParseCompressionOptions("zstd", 19, false);
  EXPECT_EQ(o.level, 19);
  EXPECT_FALSE(o.force);
  o = ParseCompressionOptions("gzip", std::nullopt, std::nullopt);
  EXPECT_EQ(o.format, Compression::kGzip);
  EXPECT_TRUE(o.force);
  EXPECT_FALSE(ParseCompressionOptions("", std::nullopt, false).force);
}

TEST(CompressionOptions, ExactErrors) {
  EXPECT_EQ(ErrorOf([] { ParseCompressionOptions("lz4", std::nullopt, std::nullopt); }),
            "invalid --compression-format \"lz4\": use gzip or zstd");
  EXPECT_EQ(ErrorOf([] { ParseCompressionOptions("zstd", 0, std::nullopt); }),
            "invalid --compression-level 0: zstd levels are 1-20");
  EXPECT_EQ(ErrorOf([] { ParseCompressionOptions("zstd", 21, std::nullopt); }),
            "invalid --compression-level 21: zstd levels are 1-20");
  EXPECT_EQ(ErrorOf([] { ParseCompressionOptions("gzip", 6, std::nullopt); }),
            "--compression-level applies to zstd only (--compression-format zstd): mini's gzip has one level, "
            "libdeflate 3 in parallel members");
  EXPECT_EQ(ErrorOf([] { ParseCompressionOptions("", std::nullopt, true); }),
            "--force-compression needs --compression-format (gzip or zstd)");
  EXPECT_EQ(ErrorOf([] { ParseCompressionOptions("zstd:chunked", std::nullopt, std::nullopt); }),
            "invalid --compression-format \"zstd:chunked\": mini makes gzip or zstd layers");
  // build --output keys have no "--" and call the format "compression".
  EXPECT_EQ(ErrorOf([] { ParseCompressionOptions("xz", std::nullopt, std::nullopt, ""); }),
            "invalid compression \"xz\": use gzip or zstd");
  try {
    ParseCompressionOptions("lz4", std::nullopt, std::nullopt);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
  }
}

TEST(CompressionOptions, BuildOutputKeys) {
  build::OutputSpec o = build::ParseOutputSpecs(
      {"type=image,name=a,compression=zstd,compression-level=12,force-compression=false,oci-mediatypes=true"});
  EXPECT_EQ(o.compression.format, Compression::kZstd);
  EXPECT_EQ(o.compression.level, 12);
  EXPECT_FALSE(o.compression.force);
  o = build::ParseOutputSpecs({"type=oci,dest=x.tar,compression=gzip"});
  EXPECT_EQ(o.type, build::OutputSpec::Type::kOci);
  EXPECT_EQ(o.dest, "x.tar");
  EXPECT_EQ(o.compression.format, Compression::kGzip);
  EXPECT_TRUE(o.compression.force);
  EXPECT_FALSE(build::ParseOutputSpecs({"type=image"}).compression.format);
  EXPECT_EQ(ErrorOf([] { build::ParseOutputSpecs({"type=oci"}); }), "invalid --output \"type=oci\": dest is required for type=oci");
  EXPECT_EQ(ErrorOf([] { build::ParseOutputSpecs({"type=image,compression=estargz"}); }),
            "invalid --output \"type=image,compression=estargz\": invalid compression \"estargz\": use gzip or zstd");
  EXPECT_EQ(ErrorOf([] { build::ParseOutputSpecs({"type=image,compression=zstd,compression-level=x"}); }),
            "invalid --output \"type=image,compression=zstd,compression-level=x\": compression-level must be a number, not \"x\"");
  EXPECT_EQ(ErrorOf([] { build::ParseOutputSpecs({"type=image,compression=zstd,compression-level=25"}); }),
            "invalid --output \"type=image,compression=zstd,compression-level=25\": invalid compression-level 25: zstd levels are 1-20");
  EXPECT_EQ(ErrorOf([] { build::ParseOutputSpecs({"type=image,oci-mediatypes=false"}); }),
            "invalid --output \"type=image,oci-mediatypes=false\": oci-mediatypes=false is not supported: mini's images are OCI");
  EXPECT_EQ(ErrorOf([] { build::ParseOutputSpecs({"type=local,dest=d,compression=zstd"}); }),
            "invalid --output \"type=local,dest=d,compression=zstd\": unknown key \"compression\" for type=local");
  EXPECT_EQ(ErrorOf([] { build::ParseOutputSpecs({"type=image,force-compression=yes"}); }),
            "invalid --output \"type=image,force-compression=yes\": force-compression must be true or false, not \"yes\"");
}

TEST(ZstdLayerSink, TheBytesDoNotDependOnTheNumberOfThreads) {
  std::string input;
  for (int i = 0; input.size() < (24u << 20); i++) input += std::to_string(i * 2654435761u) + (i % 7 ? " " : "\n");
  auto compress = [&](unsigned workers, int level) {
    std::string out;
    auto sink = NewZstdLayerSink([&](const void* d, size_t n) { out.append(static_cast<const char*>(d), n); }, "t",
                                 level, workers);
    for (size_t off = 0; off < input.size(); off += 100000) sink->Write(input.data() + off, std::min<size_t>(100000, input.size() - off));
    sink->Finish();
    return out;
  };
  std::string one = compress(1, 3);
  ASSERT_GE(one.size(), 4u);
  EXPECT_EQ(DetectCompression(one.data(), one.size()), Compression::kZstd);
  EXPECT_EQ(Sha256Of(compress(2, 3)), Sha256Of(one));
  EXPECT_EQ(Sha256Of(compress(5, 3)), Sha256Of(one));
  EXPECT_NE(Sha256Of(compress(2, 4)), Sha256Of(one));
  // It inflates back to the input.
  StringSource src(one);
  auto in = NewDecompressingSource(src, "t");
  std::string back, buf(1 << 16, '\0');
  while (size_t n = in->Read(buf.data(), buf.size())) back.append(buf.data(), n);
  EXPECT_EQ(back, input);
}

TEST(LayerBlobs, FormatIsSortedAndParsesBack) {
  Digest a = Sha256Of("a"), b = Sha256Of("b");
  std::vector<LayerBlob> v{{Compression::kZstd, 19, b, 7}, {Compression::kGzip, 0, a, 5}, {Compression::kZstd, 3, a, 6}};
  std::string text = FormatLayerBlobs(v);
  EXPECT_EQ(text, "gzip 0 " + a.str() + " 5\nzstd 3 " + a.str() + " 6\nzstd 19 " + b.str() + " 7\n");
  std::vector<LayerBlob> back = ParseLayerBlobs(text);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(FormatLayerBlobs(back), text);
  EXPECT_EQ(FindLayerBlob(back, Compression::kZstd, 19)->digest, b);
  EXPECT_EQ(FindLayerBlob(back, Compression::kGzip, 0)->size, 5u);
  EXPECT_FALSE(FindLayerBlob(back, Compression::kZstd, 5));
  EXPECT_TRUE(ParseLayerBlobs("").empty());
  EXPECT_EQ(FormatLayerBlobs({}), "");
}

TEST(LayerBlobs, ExactParseErrors) {
  std::string d = Sha256Of("a").str();
  EXPECT_EQ(ErrorOf([&] { ParseLayerBlobs("gzip 0 " + d + " 5\nlz4 0 " + d + " 5\n"); }),
            "compressed-blobs line 2: \"lz4 0 " + d + " 5\": unknown format \"lz4\"");
  EXPECT_EQ(ErrorOf([&] { ParseLayerBlobs("zstd x " + d + " 5"); }),
            "compressed-blobs line 1: \"zstd x " + d + " 5\": bad level \"x\"");
  EXPECT_EQ(ErrorOf([] { ParseLayerBlobs("zstd 3 sha256:zz 5"); }),
            "compressed-blobs line 1: \"zstd 3 sha256:zz 5\": bad digest \"sha256:zz\"");
  EXPECT_EQ(ErrorOf([&] { ParseLayerBlobs("zstd 3 " + d + " -1"); }),
            "compressed-blobs line 1: \"zstd 3 " + d + " -1\": bad size \"-1\"");
  EXPECT_EQ(ErrorOf([] { ParseLayerBlobs("zstd 3"); }),
            "compressed-blobs line 1: \"zstd 3\": expected \"FORMAT LEVEL DIGEST SIZE\"");
}

using Store = test::TempStore;

build::LayerRef CommitTree(Store& s) {
  std::string dir = s.layout.TmpDir() + "/tree";
  MakeDirs(dir + "/d");
  std::string big;
  for (int i = 0; i < 300000; i++) big += std::to_string(i * 7) + "\n";
  WriteFileAtomic(dir + "/d/big", big);
  struct timespec t[2] = {{1700000000, 0}, {1700000000, 0}};
  for (const char* p : {"/d/big", "/d"})
    if (utimensat(AT_FDCWD, (dir + p).c_str(), t, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("utimensat");
  return build::CommitLayerDir(s.layout, s.layers, dir, std::nullopt);
}

ImageRecord ImageOf(Store& s, const build::LayerRef& l) {
  nlohmann::json config = {{"architecture", "amd64"}, {"os", "linux"},
                           {"rootfs", {{"type", "layers"}, {"diff_ids", {l.diff_id.str()}}}}};
  return s.images.Get(s.images.CreateImage(config, {l.blob}));
}

Digest InflatedDigest(const Layout& layout, const Digest& blob) {
  UniqueFd fd(open(layout.Blob(blob).c_str(), O_RDONLY | O_CLOEXEC));
  FdSource raw(fd.get(), "blob");
  Compression c;
  auto src = NewDecompressingSource(raw, "blob", &c);
  EXPECT_EQ(c, Compression::kZstd);
  Sha256 h;
  std::string buf(1 << 16, '\0');
  while (size_t n = src->Read(buf.data(), buf.size())) h.Update(buf.data(), n);
  return h.Finish();
}

TEST(LayerCompression, ADeferredLayerExportsAsZstdOnceAndTheSameEverywhere) {
  Store s(test::MakeTempDir("mini-zstd-"));
  BlobStore blobs(s.layout);
  build::LayerRef l = CommitTree(s);
  ImageRecord rec = ImageOf(s, l);
  std::string stored = blobs.Read(rec.manifest_digest);
  CompressionOptions zstd = ParseCompressionOptions("zstd", std::nullopt, std::nullopt);
  std::string type;
  std::string out = ManifestWithCompression(s.layout, s.images, rec, stored, zstd, &type);
  EXPECT_EQ(type, media::kOciManifest);
  Manifest m = ParseManifest(out);
  ASSERT_EQ(m.layers.size(), 1u);
  EXPECT_EQ(m.layers[0].media_type, media::kOciLayerZstd);
  EXPECT_EQ(blobs.Size(m.layers[0].digest), m.layers[0].size);
  EXPECT_EQ(InflatedDigest(s.layout, m.layers[0].digest), l.diff_id);
  // Recorded beside the layer; the layer stays deferred for gzip; the image keeps its manifest.
  LayerInfo info = s.layers.Get(l.chain_id);
  ASSERT_EQ(info.extra_blobs.size(), 1u);
  EXPECT_EQ(info.extra_blobs[0], (LayerBlob{Compression::kZstd, 3, m.layers[0].digest, m.layers[0].size}));
  EXPECT_TRUE(IsDeferredLayer(blobs, info));
  EXPECT_EQ(s.images.Get(rec.id).manifest_digest, rec.manifest_digest);
  // Again: the same bytes, nothing new. Another level: another blob.
  EXPECT_EQ(ManifestWithCompression(s.layout, s.images, rec, stored, zstd, &type), out);
  EXPECT_EQ(s.layers.Get(l.chain_id).extra_blobs.size(), 1u);
  std::string out9 = ManifestWithCompression(s.layout, s.images, rec, stored,
                                             ParseCompressionOptions("zstd", 9, std::nullopt), &type);
  EXPECT_NE(out9, out);
  EXPECT_EQ(s.layers.Get(l.chain_id).extra_blobs.size(), 2u);

  // Another store, the same files: the same manifest.
  Store s2(test::MakeTempDir("mini-zstd-"));
  build::LayerRef l2 = CommitTree(s2);
  ImageRecord rec2 = ImageOf(s2, l2);
  EXPECT_EQ(ManifestWithCompression(s2.layout, s2.images, rec2, BlobStore(s2.layout).Read(rec2.manifest_digest), zstd, &type),
            out);

  // gzip (the default export) next: gzip manifest; then zstd without force keeps that gzip
  // layer, with force (the default once named) it is zstd again, the recorded blob reused.
  std::string gz = ManifestForExport(s.layout, s.images, rec, stored);
  ImageRecord after = s.images.Get(rec.id);
  std::string gz_stored = blobs.Read(after.manifest_digest);
  EXPECT_EQ(gz_stored, gz);
  EXPECT_EQ(ManifestWithCompression(s.layout, s.images, after, gz_stored,
                                    ParseCompressionOptions("zstd", std::nullopt, false), &type),
            gz_stored);
  EXPECT_EQ(ManifestWithCompression(s.layout, s.images, after, gz_stored, zstd, &type), out);

  // An image whose manifest names the zstd blob (a build output), forced back to gzip: the
  // layer's first blob (that gzip), no second gzip blob.
  s.images.ReplaceManifest(rec.id, blobs.PutBytes(out));
  ImageRecord z = s.images.Get(rec.id);
  EXPECT_EQ(ManifestWithCompression(s.layout, s.images, z, out, ParseCompressionOptions("gzip", std::nullopt, std::nullopt),
                                    &type),
            gz);
  EXPECT_FALSE(FindLayerBlob(s.layers.Get(l.chain_id).extra_blobs, Compression::kGzip, 0));
}

TEST(LayerCompression, ADockerManifestBecomesOciForZstdAndStaysDockerForGzip) {
  Store s(test::MakeTempDir("mini-zstd-"));
  BlobStore blobs(s.layout);
  build::LayerRef l = CommitTree(s);
  ImageRecord oci = ImageOf(s, l);
  nlohmann::json m = ParseJson(blobs.Read(oci.manifest_digest), "manifest");
  m["mediaType"] = media::kDockerManifest;
  m["config"]["mediaType"] = media::kDockerConfig;
  m["layers"][0]["mediaType"] = media::kDockerLayer;
  std::string docker_bytes = CanonicalJson(m);
  s.images.ReplaceManifest(oci.id, blobs.PutBytes(docker_bytes));
  ImageRecord rec = s.images.Get(oci.id);
  ASSERT_EQ(rec.manifest_media_type, media::kDockerManifest);
  std::string type;
  nlohmann::json z = ParseJson(ManifestWithCompression(s.layout, s.images, rec, docker_bytes,
                                                       ParseCompressionOptions("zstd", std::nullopt, std::nullopt), &type),
                               "zstd");
  EXPECT_EQ(type, media::kOciManifest);
  EXPECT_EQ(z["mediaType"], media::kOciManifest);
  EXPECT_EQ(z["config"]["mediaType"], media::kOciConfig);
  EXPECT_EQ(z["layers"][0]["mediaType"], media::kOciLayerZstd);
  nlohmann::json g = ParseJson(ManifestWithCompression(s.layout, s.images, rec, docker_bytes,
                                                       ParseCompressionOptions("gzip", std::nullopt, std::nullopt), &type),
                               "gzip");
  EXPECT_EQ(type, media::kDockerManifest);
  EXPECT_EQ(g["mediaType"], media::kDockerManifest);
  EXPECT_EQ(g["layers"][0]["mediaType"], media::kDockerLayerGzip);
  EXPECT_EQ(g["layers"][0]["digest"], s.layers.Get(l.chain_id).blob_digest.str());  // the layer's first blob
}

TEST(LayerCompression, ARecordWithoutCompressedBlobsLoadsAndABadOneNamesTheLayer) {
  Store s(test::MakeTempDir("mini-zstd-"));
  build::LayerRef l = CommitTree(s);
  std::string file = s.layout.LayerMeta(l.chain_id) + "/" + kLayerBlobsFile;
  EXPECT_FALSE(PathExists(file));  // a commit writes none: older stores look the same
  EXPECT_TRUE(s.layers.Get(l.chain_id).extra_blobs.empty());
  WriteFileAtomic(file, "zstd 3 nonsense 1\n");
  EXPECT_EQ(ErrorOf([&] { s.layers.Get(l.chain_id); }),
            "layer " + l.chain_id.str() + ": compressed-blobs line 1: \"zstd 3 nonsense 1\": bad digest \"nonsense\"");
}

}  // namespace
}  // namespace mini
