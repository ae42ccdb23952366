// Platform selection, document classification (type vs shape), manifest/config verification,
// retries and Range resume, against a fake registry.
#include <gtest/gtest.h>

#include "common/error.h"
#include "registry/platform.h"
#include "registry/pusher.h"
#include "registry/resolver.h"
#include "registry_fake_http.h"

namespace mini::registry {
namespace {

using nlohmann::json;
using testing::FakeHttp;
using testing::Reply;

std::string Msg(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

Descriptor Entry(const std::string& os, const std::string& arch, const std::string& variant, char hex) {
  Descriptor d;
  d.media_type = media::kOciManifest;
  d.digest = Digest::Parse("sha256:" + std::string(64, hex));
  d.size = 10;
  d.platform = {{"os", os}, {"architecture", arch}};
  if (!variant.empty()) d.platform["variant"] = variant;
  return d;
}

TEST(Platform, ParseAndNormalize) {
  EXPECT_EQ(ParsePlatform("linux/amd64").String(), "linux/amd64");
  EXPECT_EQ(ParsePlatform("linux/x86_64").String(), "linux/amd64");
  EXPECT_EQ(ParsePlatform("linux/aarch64").String(), "linux/arm64");
  EXPECT_EQ(ParsePlatform("linux/arm64/v8").String(), "linux/arm64");
  EXPECT_EQ(ParsePlatform("linux/arm").String(), "linux/arm/v7");
  EXPECT_EQ(ParsePlatform("arm64").String(), "linux/arm64");
  EXPECT_EQ(Msg([] { ParsePlatform("linux//x"); }), "invalid platform \"linux//x\"");
  EXPECT_EQ(Msg([] { ParsePlatform("a/b/c/d"); }), "invalid platform \"a/b/c/d\"");
}

TEST(Platform, SelectsExactThenCompatibleVariants) {
  std::vector<Descriptor> idx{Entry("linux", "arm", "v6", '1'), Entry("linux", "arm64", "v8", '2'),
                              Entry("linux", "amd64", "", '3'), Entry("windows", "amd64", "", '4'),
                              Entry("linux", "arm", "v7", '5')};
  EXPECT_EQ(SelectPlatform(idx, ParsePlatform("linux/amd64")).digest.hex()[0], '3');
  EXPECT_EQ(SelectPlatform(idx, ParsePlatform("linux/arm64")).digest.hex()[0], '2');
  EXPECT_EQ(SelectPlatform(idx, ParsePlatform("linux/arm/v7")).digest.hex()[0], '5');
  EXPECT_EQ(SelectPlatform(idx, ParsePlatform("linux/arm/v6")).digest.hex()[0], '1');
  EXPECT_EQ(SelectPlatform(idx, ParsePlatform("windows/amd64")).digest.hex()[0], '4');
  std::vector<Descriptor> only_v6{Entry("linux", "arm", "v6", '1')};
  EXPECT_EQ(SelectPlatform(only_v6, ParsePlatform("linux/arm/v7")).digest.hex()[0], '1');  // v7 runs v6
  std::vector<Descriptor> only_v7{Entry("linux", "arm", "v7", '5')};
  EXPECT_EQ(Msg([&] { SelectPlatform(only_v7, ParsePlatform("linux/arm/v6")); }),
            "no matching manifest for linux/arm/v6 in the manifest list entries");
  std::vector<Descriptor> attest{Entry("unknown", "unknown", "", '9')};
  EXPECT_EQ(Msg([&] { SelectPlatform(attest, ParsePlatform("linux/amd64")); }),
            "no matching manifest for linux/amd64 in the manifest list entries");
}

TEST(ClassifyDocument, ByContentTypeThenDeclaredTypeThenShape) {
  std::string t;
  EXPECT_EQ(ClassifyDocument("{}", media::kOciIndex, &t), DocumentKind::kIndex);
  EXPECT_EQ(t, media::kOciIndex);
  EXPECT_EQ(ClassifyDocument("{}", media::kDockerManifest, &t), DocumentKind::kManifest);
  EXPECT_EQ(ClassifyDocument(R"({"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json"})",
                             "application/json", &t),
            DocumentKind::kIndex);
  EXPECT_EQ(t, "");
  EXPECT_EQ(ClassifyDocument(R"({"manifests":[]})", "", &t), DocumentKind::kIndex);
  EXPECT_EQ(ClassifyDocument(R"({"layers":[],"config":{}})", "", &t), DocumentKind::kManifest);
  EXPECT_EQ(Msg([&] { ClassifyDocument(R"({"layers":[],"manifests":[]})", "", &t); }),
            "manifest: neither an image manifest nor an index");
  EXPECT_EQ(Msg([&] { ClassifyDocument("{}", "application/vnd.docker.distribution.manifest.v1+prettyjws", &t); }),
            "Docker schema 1 manifests are not supported (application/vnd.docker.distribution.manifest.v1+prettyjws)");
  EXPECT_EQ(Msg([&] { ClassifyDocument(R"({"schemaVersion":1})", "", &t); }), "Docker schema 1 manifests are not supported");
}

/// An in-memory registry: repository "x" with documents and blobs by URL suffix.
struct FakeRegistry {
  std::map<std::string, std::pair<std::string, std::string>> manifests;  // ref -> (content type, bytes)
  std::map<std::string, std::string> blobs;                              // digest -> bytes
  int fail_first = 0;            // answer 503 this many times first
  size_t cut_blob_after = 0;     // > 0: the first blob GET breaks after this many bytes
  std::vector<std::string> ranges;

  HttpResponse operator()(const HttpRequest& r) {
    if (fail_first > 0) {
      fail_first--;
      return Reply(503, "busy");
    }
    std::string prefix = "https://reg.example/v2/x/";
    if (r.url.rfind(prefix + "manifests/", 0) == 0) {
      auto it = manifests.find(r.url.substr(prefix.size() + 10));
      if (it == manifests.end()) return Reply(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})");
      return Reply(200, it->second.second, {{"content-type", it->second.first}});
    }
    if (r.url.rfind(prefix + "blobs/", 0) == 0) {
      auto it = blobs.find(r.url.substr(prefix.size() + 6));
      if (it == blobs.end()) return Reply(404, R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]})");
      std::string range = FakeHttp::HeaderOf(r, "Range");
      ranges.push_back(range);
      if (cut_blob_after > 0) {
        // Deliver a prefix, then report a broken connection.
        std::string part = it->second.substr(0, cut_blob_after);
        cut_blob_after = 0;
        r.on_data(200, part.data(), part.size());
        HttpResponse broken;
        broken.error = TransportError::kPartial;
        broken.error_message = "connection reset";
        broken.streamed = part.size();
        return broken;
      }
      if (!range.empty()) {
        size_t from = std::stoul(range.substr(6));
        return Reply(206, it->second.substr(from));
      }
      return Reply(200, it->second);
    }
    return Reply(404);
  }
};

struct Image {
  std::string config, manifest;
  Digest config_digest, manifest_digest;
};

Image MakeImage(FakeRegistry& reg, const std::string& arch, const std::string& manifest_type = media::kOciManifest) {
  Image img;
  std::string layer = "layer-bytes-" + arch;
  Digest ld = Sha256Of(layer);
  reg.blobs[ld.str()] = layer;
  img.config = json{{"architecture", arch}, {"os", "linux"},
                    {"rootfs", {{"type", "layers"}, {"diff_ids", {Sha256Of("tar").str()}}}}}.dump();
  img.config_digest = Sha256Of(img.config);
  reg.blobs[img.config_digest.str()] = img.config;
  img.manifest = json{{"schemaVersion", 2},
                      {"mediaType", manifest_type},
                      {"config", {{"mediaType", media::kOciConfig}, {"digest", img.config_digest.str()}, {"size", img.config.size()}}},
                      {"layers", {{{"mediaType", media::kOciLayerGzip}, {"digest", ld.str()}, {"size", layer.size()}}}}}
                     .dump();
  img.manifest_digest = Sha256Of(img.manifest);
  reg.manifests[img.manifest_digest.str()] = {manifest_type, img.manifest};
  return img;
}

RegistryOptions Fast() {
  RegistryOptions o;
  o.backoff = std::chrono::milliseconds(1);
  return o;
}

TEST(ResolveImage, IndexPicksThePlatformAndKeepsTheIndexDigest) {
  FakeRegistry reg;
  Image amd = MakeImage(reg, "amd64"), arm = MakeImage(reg, "arm64");
  json idx = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", json::array()}};
  for (auto* i : {&amd, &arm}) {
    json p = {{"os", "linux"}, {"architecture", i == &amd ? "amd64" : "arm64"}};
    idx["manifests"].push_back({{"mediaType", media::kOciManifest}, {"digest", i->manifest_digest.str()},
                                {"size", i->manifest.size()}, {"platform", p}});
  }
  reg.manifests["latest"] = {media::kOciIndex, idx.dump()};
  FakeHttp http(std::ref(reg));
  TokenCache tokens;
  RegistryClient client(http, "reg.example", "x", Fast(), std::nullopt, tokens);
  ResolvedImage r = ResolveImage(client, ParseReference("reg.example/x:latest"), ParsePlatform("linux/arm64"));
  EXPECT_EQ(r.manifest_digest, arm.manifest_digest);
  EXPECT_EQ(r.pulled_digest, Sha256Of(idx.dump()));
  EXPECT_EQ(r.pulled_media_type, media::kOciIndex);
  EXPECT_EQ(r.config_bytes, arm.config);
  EXPECT_EQ(r.diff_ids.size(), 1u);
}

TEST(ResolveImage, RefusesDocumentsThatAreNotWhatTheySay) {
  FakeRegistry reg;
  Image img = MakeImage(reg, "amd64");
  // A manifest served with an index content type, with and without its own mediaType.
  reg.manifests["a"] = {media::kOciIndex, img.manifest};
  json bare = json::parse(img.manifest);
  bare.erase("mediaType");
  bare["manifests"] = json::array();
  reg.manifests["a2"] = {media::kOciIndex, bare.dump()};
  // An index declaring itself a manifest.
  reg.manifests["b"] = {media::kOciManifest,
                        json{{"mediaType", media::kOciManifest}, {"manifests", json::array()}, {"layers", json::array()}}.dump()};
  // Content type and declared mediaType disagree.
  json m = json::parse(img.manifest);
  m["mediaType"] = media::kDockerManifest;
  reg.manifests["c"] = {media::kOciManifest, m.dump()};
  FakeHttp http(std::ref(reg));
  TokenCache tokens;
  RegistryClient client(http, "reg.example", "x", Fast(), std::nullopt, tokens);
  auto pull = [&](const std::string& ref) { ResolveImage(client, ParseReference("reg.example/x:" + ref), HostPlatform()); };
  EXPECT_NE(Msg([&] { pull("a"); }).find("disagrees with content type"), std::string::npos) << Msg([&] { pull("a"); });
  EXPECT_NE(Msg([&] { pull("a2"); }).find("a manifest posing as an index"), std::string::npos) << Msg([&] { pull("a2"); });
  EXPECT_NE(Msg([&] { pull("b"); }).find("an index posing as a manifest"), std::string::npos) << Msg([&] { pull("b"); });
  EXPECT_NE(Msg([&] { pull("c"); }).find("disagrees with content type"), std::string::npos) << Msg([&] { pull("c"); });
}

TEST(ResolveImage, VerifiesDigestsAndSizes) {
  FakeRegistry reg;
  Image img = MakeImage(reg, "amd64");
  FakeHttp http(std::ref(reg));
  TokenCache tokens;
  RegistryClient client(http, "reg.example", "x", Fast(), std::nullopt, tokens);
  // By digest: the bytes must hash to it.
  std::string other = "sha256:" + std::string(64, 'e');
  reg.manifests[other] = {media::kOciManifest, img.manifest};
  EXPECT_EQ(Msg([&] { ResolveImage(client, ParseReference("reg.example/x@" + other), HostPlatform()); }),
            "manifest " + other + ": digest mismatch: got " + img.manifest_digest.str());
  // A config that is not what its descriptor says.
  reg.blobs[img.config_digest.str()] = img.config + " ";
  reg.manifests["t"] = {media::kOciManifest, img.manifest};
  EXPECT_EQ(Msg([&] { ResolveImage(client, ParseReference("reg.example/x:t"), HostPlatform()); }),
            "config " + img.config_digest.str() + ": size mismatch: expected " + std::to_string(img.config.size()) +
                " bytes, got more");
  reg.blobs[img.config_digest.str()] = std::string(img.config.size(), '{');
  EXPECT_EQ(Msg([&] { ResolveImage(client, ParseReference("reg.example/x:t"), HostPlatform()); }),
            "config " + img.config_digest.str() + ": digest mismatch: got " +
                Sha256Of(std::string(img.config.size(), '{')).str());
  EXPECT_EQ(Msg([&] { ResolveImage(client, ParseReference("reg.example/x:nope"), HostPlatform()); }),
            "manifest x:nope: not found: manifest unknown");
}

TEST(CheckImage, DiffIdsMustMatchLayers) {
  FakeRegistry reg;
  Image img = MakeImage(reg, "amd64");
  Manifest m = ParseManifest(img.manifest);
  json c = json::parse(img.config);
  EXPECT_EQ(CheckImage(m, c).size(), 1u);
  c["rootfs"]["diff_ids"].push_back(Sha256Of("x").str());
  EXPECT_EQ(Msg([&] { CheckImage(m, c); }),
            "config " + m.config.digest.str() + ": rootfs.diff_ids has 2 entries for 1 layers");
  m.layers[0].media_type = "application/vnd.example.weird";
  EXPECT_EQ(Msg([&] { CheckImage(m, json::parse(img.config)); }),
            "layer " + m.layers[0].digest.str() + ": unsupported media type \"application/vnd.example.weird\"");
}

TEST(RegistryClient, RetriesServerErrorsAndResumesBrokenBlobsWithRange) {
  FakeRegistry reg;
  Image img = MakeImage(reg, "amd64");
  reg.fail_first = 2;
  reg.cut_blob_after = 5;
  FakeHttp http(std::ref(reg));
  TokenCache tokens;
  RegistryClient client(http, "reg.example", "x", Fast(), std::nullopt, tokens);
  std::string got;
  client.FetchBlob(img.config_digest, [&](const char* p, size_t n) {
    got.append(p, n);
    return true;
  });
  EXPECT_EQ(got, img.config);
  ASSERT_EQ(reg.ranges.size(), 2u);
  EXPECT_EQ(reg.ranges[0], "");
  EXPECT_EQ(reg.ranges[1], "bytes=5-");
}

TEST(ConvertManifest, OciToDockerAndBack) {
  FakeRegistry reg;
  Image img = MakeImage(reg, "amd64");
  std::string type;
  EXPECT_EQ(ConvertManifest(img.manifest, media::kOciManifest, PushFormat::kKeep, &type), img.manifest);
  std::string docker = ConvertManifest(img.manifest, media::kOciManifest, PushFormat::kDocker, &type);
  EXPECT_EQ(type, media::kDockerManifest);
  Manifest m = ParseManifest(docker, type);
  EXPECT_EQ(m.layers[0].media_type, media::kDockerLayerGzip);
  EXPECT_EQ(m.config.media_type, media::kDockerConfig);
  json z = json::parse(img.manifest);
  z["layers"][0]["mediaType"] = media::kOciLayerZstd;
  EXPECT_NE(Msg([&] { ConvertManifest(z.dump(), media::kOciManifest, PushFormat::kDocker, &type); })
                .find("cannot be pushed in Docker format"),
            std::string::npos);
}

}  // namespace
}  // namespace mini::registry
