// Resolving a reference into verified manifest + config (see resolver.h).
#include "registry/resolver.h"

#include "common/error.h"
#include "common/log.h"
#include "store/blob_store.h"

namespace mini::registry {

using nlohmann::json;

namespace {

const char* kSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
const char* kSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// Fetches a blob of at most `desc.size` bytes into memory and verifies size and digest.
std::string FetchDocumentBlob(RegistryClient& client, const Descriptor& desc, const std::string& what) {
  if (desc.size > kMaxDocumentSize)
    throw Error(what + " " + desc.digest.str() + ": size " + std::to_string(desc.size) + " above the " +
                std::to_string(kMaxDocumentSize) + " byte limit");
  std::string out;
  bool too_big = false;
  try {
    client.FetchBlob(desc.digest, [&](const char* p, size_t n) {
      if (out.size() + n > desc.size) {
        too_big = true;
        return false;
      }
      out.append(p, n);
      return true;
    });
  } catch (const Error&) {
    if (!too_big) throw;
  }
  if (too_big || out.size() != desc.size)
    throw Error(what + " " + desc.digest.str() + ": size mismatch: expected " + std::to_string(desc.size) +
                " bytes, got " + (too_big ? "more" : std::to_string(out.size())));
  Digest got = Sha256Of(out);
  if (!(got == desc.digest)) throw Error(what + " " + desc.digest.str() + ": digest mismatch: got " + got.str());
  return out;
}

}  // namespace

DocumentKind ClassifyDocument(const std::string& bytes, const std::string& content_type, std::string* parse_type) {
  if (content_type == kSchema1 || content_type == kSchema1Signed)
    throw Error("Docker schema 1 manifests are not supported (" + content_type + ")");
  *parse_type = "";
  if (IsIndexMediaType(content_type)) {
    *parse_type = content_type;
    return DocumentKind::kIndex;
  }
  if (IsManifestMediaType(content_type)) {
    *parse_type = content_type;
    return DocumentKind::kManifest;
  }
  // A generic type (application/json, none): the document must say what it is.
  json j = ParseJson(bytes, "manifest");
  if (!j.is_object()) throw Error("manifest: not a JSON object");
  if (j.contains("schemaVersion") && j["schemaVersion"] == 1) throw Error("Docker schema 1 manifests are not supported");
  std::string declared = j.contains("mediaType") && j["mediaType"].is_string() ? j["mediaType"].get<std::string>() : "";
  if (IsIndexMediaType(declared)) return DocumentKind::kIndex;
  if (IsManifestMediaType(declared)) return DocumentKind::kManifest;
  if (!declared.empty()) throw Error("manifest: unsupported media type " + declared);
  if (j.contains("manifests") && !j.contains("layers")) return DocumentKind::kIndex;
  if (j.contains("layers") && !j.contains("manifests")) return DocumentKind::kManifest;
  throw Error("manifest: neither an image manifest nor an index");
}

bool IsSupportedLayerType(const std::string& t) {
  return t == media::kDockerLayerGzip || t == media::kDockerLayer || t == media::kOciLayer ||
         t == media::kOciLayerGzip || t == media::kOciLayerZstd ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" ||
         t == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
}

std::vector<Digest> CheckImage(const Manifest& m, const json& config) {
  const std::string& ct = m.config.media_type;
  if (!ct.empty() && ct != media::kDockerConfig && ct != media::kOciConfig)
    throw Error("config " + m.config.digest.str() + ": media type " + ct + " is not a container image config");
  for (const auto& l : m.layers)
    if (!IsSupportedLayerType(l.media_type))
      throw Error("layer " + l.digest.str() + ": unsupported media type \"" + l.media_type + "\"");
  if (!config.is_object()) throw Error("config " + m.config.digest.str() + ": not a JSON object");
  auto ids = config.value("/rootfs/diff_ids"_json_pointer, json());
  if (!ids.is_array() || ids.size() != m.layers.size())
    throw Error("config " + m.config.digest.str() + ": rootfs.diff_ids has " +
                std::to_string(ids.is_array() ? ids.size() : 0) + " entries for " + std::to_string(m.layers.size()) +
                " layers");
  std::vector<Digest> out;
  for (const auto& d : ids) {
    if (!d.is_string()) throw Error("config " + m.config.digest.str() + ": invalid diff id");
    out.push_back(WithContext("config " + m.config.digest.str(), [&] { return Digest::Parse(d.get<std::string>()); }));
  }
  return out;
}

ResolvedImage ResolveImage(RegistryClient& client, const Reference& ref, const Platform& platform) {
  ResolvedImage img;
  std::string reference = ref.digest ? ref.digest->str() : ref.tag;
  FetchedDocument doc = client.GetManifest(reference);
  Digest got = Sha256Of(doc.bytes);
  if (ref.digest && !(got == *ref.digest))
    throw Error("manifest " + ref.digest->str() + ": digest mismatch: got " + got.str());
  if (!ref.digest && !doc.digest_header.empty()) {
    auto hdr = Digest::TryParse(doc.digest_header);
    if (hdr && !(*hdr == got))
      throw Error("manifest " + ref.Familiar() + ": content does not match Docker-Content-Digest " + hdr->str());
  }
  img.pulled_digest = got;
  std::string parse_type;
  DocumentKind kind = ClassifyDocument(doc.bytes, doc.content_type, &parse_type);
  if (kind == DocumentKind::kIndex) {
    Index idx = WithContext("index " + got.str(), [&] { return ParseIndex(doc.bytes, parse_type); });
    img.pulled_media_type = idx.media_type;
    img.index_bytes = doc.bytes;
    Descriptor d = SelectPlatform(idx.manifests, platform);
    Debug("index " + got.str() + ": " + platform.String() + " -> " + d.digest.str());
    if (!d.media_type.empty() && !IsManifestMediaType(d.media_type))
      throw Error("index " + got.str() + ": entry " + d.digest.str() + " has media type " + d.media_type +
                  ", not an image manifest");
    if (d.size > kMaxDocumentSize) throw Error("manifest " + d.digest.str() + ": size above the limit");
    FetchedDocument inner = client.GetManifest(d.digest.str());
    if (inner.bytes.size() != d.size)
      throw Error("manifest " + d.digest.str() + ": size mismatch: expected " + std::to_string(d.size) + " bytes, got " +
                  std::to_string(inner.bytes.size()));
    Digest ig = Sha256Of(inner.bytes);
    if (!(ig == d.digest)) throw Error("manifest " + d.digest.str() + ": digest mismatch: got " + ig.str());
    std::string inner_type;
    if (ClassifyDocument(inner.bytes, inner.content_type, &inner_type) != DocumentKind::kManifest)
      throw Error("manifest " + d.digest.str() + ": an index inside an index is not supported");
    if (!inner_type.empty() && !d.media_type.empty() && inner_type != d.media_type)
      throw Error("manifest " + d.digest.str() + ": served as " + inner_type + " but the index says " + d.media_type);
    img.manifest_digest = ig;
    img.manifest_bytes = std::move(inner.bytes);
    img.manifest = WithContext("manifest " + ig.str(), [&] {
      return ParseManifest(img.manifest_bytes, inner_type.empty() ? d.media_type : inner_type);
    });
  } else {
    img.manifest_digest = got;
    img.manifest_bytes = std::move(doc.bytes);
    img.manifest = WithContext("manifest " + got.str(), [&] { return ParseManifest(img.manifest_bytes, parse_type); });
    img.pulled_media_type = img.manifest.media_type;
  }
  const Manifest& m = img.manifest;
  img.config_bytes = FetchDocumentBlob(client, m.config, "config");
  img.config = ParseJson(img.config_bytes, "config " + m.config.digest.str());
  img.diff_ids = CheckImage(m, img.config);
  std::string os = img.config.value("os", ""), arch = img.config.value("architecture", "");
  Platform got_p = NormalizePlatform({os, arch, img.config.value("variant", "")});
  Platform want = NormalizePlatform(platform);
  if (kind == DocumentKind::kManifest && (!os.empty() || !arch.empty()) &&
      (got_p.os != want.os || got_p.architecture != want.architecture))
    Warn("the requested image's platform (" + got_p.String() + ") does not match the detected host platform (" +
         want.String() + ")");
  return img;
}

}  // namespace mini::registry
