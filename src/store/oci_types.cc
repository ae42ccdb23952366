#include "store/oci_types.h"

#include "common/error.h"

namespace mini {

using nlohmann::json;

Descriptor ParseDescriptor(const json& j) {
  if (!j.is_object()) throw Error("descriptor is not an object");
  Descriptor d;
  if (j.contains("mediaType") && j["mediaType"].is_string()) d.media_type = j["mediaType"];
  if (!j.contains("digest") || !j["digest"].is_string()) throw Error("descriptor has no digest");
  d.digest = Digest::Parse(j["digest"].get<std::string>());
  if (!j.contains("size") || !j["size"].is_number_integer() || j["size"].get<int64_t>() < 0)
    throw Error("descriptor " + d.digest.str() + " has no valid size");
  d.size = j["size"].get<uint64_t>();
  if (j.contains("platform")) d.platform = j["platform"];
  if (j.contains("annotations")) d.annotations = j["annotations"];
  return d;
}

json DescriptorToJson(const Descriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.platform.is_null()) j["platform"] = d.platform;
  if (!d.annotations.is_null()) j["annotations"] = d.annotations;
  return j;
}

bool IsIndexMediaType(const std::string& t) {
  return t == media::kOciIndex || t == media::kDockerManifestList;
}

bool IsManifestMediaType(const std::string& t) {
  return t == media::kOciManifest || t == media::kDockerManifest;
}

json ParseJson(const std::string& bytes, const std::string& what) {
  try {
    return json::parse(bytes);
  } catch (const json::exception& e) {
    throw Error(what + ": invalid JSON: " + e.what());
  }
}

Manifest ParseManifest(const std::string& bytes, const std::string& content_type) {
  json j = ParseJson(bytes, "manifest");
  if (!j.is_object()) throw Error("manifest: not a JSON object");
  Manifest m;
  std::string declared = j.contains("mediaType") && j["mediaType"].is_string() ? j["mediaType"].get<std::string>() : "";
  if (!declared.empty() && !content_type.empty() && declared != content_type)
    throw Error("manifest: mediaType " + declared + " disagrees with content type " + content_type);
  m.media_type = !declared.empty() ? declared : (!content_type.empty() ? content_type : media::kOciManifest);
  if (!IsManifestMediaType(m.media_type)) throw Error("manifest: unsupported media type " + m.media_type);
  if (j.contains("manifests")) throw Error("manifest: has a \"manifests\" field (an index posing as a manifest)");
  if (!j.contains("config") || !j.contains("layers") || !j["layers"].is_array())
    throw Error("manifest: missing config or layers");
  if (j.contains("artifactType") && j["artifactType"].is_string()) m.artifact_type = j["artifactType"].get<std::string>();
  m.config = WithContext("manifest config", [&] { return ParseDescriptor(j["config"]); });
  for (const auto& l : j["layers"]) m.layers.push_back(WithContext("manifest layer", [&] { return ParseDescriptor(l); }));
  return m;
}

Index ParseIndex(const std::string& bytes, const std::string& content_type) {
  json j = ParseJson(bytes, "index");
  if (!j.is_object()) throw Error("index: not a JSON object");
  Index idx;
  std::string declared = j.contains("mediaType") && j["mediaType"].is_string() ? j["mediaType"].get<std::string>() : "";
  if (!declared.empty() && !content_type.empty() && declared != content_type)
    throw Error("index: mediaType " + declared + " disagrees with content type " + content_type);
  idx.media_type = !declared.empty() ? declared : (!content_type.empty() ? content_type : media::kOciIndex);
  if (!IsIndexMediaType(idx.media_type)) throw Error("index: unsupported media type " + idx.media_type);
  if (j.contains("layers") || j.contains("config")) throw Error("index: has \"layers\" or \"config\" (a manifest posing as an index)");
  if (!j.contains("manifests") || !j["manifests"].is_array()) throw Error("index: missing manifests");
  for (const auto& m : j["manifests"]) idx.manifests.push_back(WithContext("index entry", [&] { return ParseDescriptor(m); }));
  return idx;
}

std::string CanonicalJson(const json& j) { return j.dump(); }

}  // namespace mini
