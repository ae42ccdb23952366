#include "build/build_cache.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "store/blob_store.h"
#include "store/deferred_layer.h"

namespace mini::build {

Digest BuildCache::Key(const Digest& parent, const std::string& instruction, const std::string& inputs,
                       const std::vector<std::string>& args) {
  std::vector<std::string> sorted = args;
  std::sort(sorted.begin(), sorted.end());
  nlohmann::json j = {{"parent", parent.empty() ? "" : parent.str()},
                      {"instruction", instruction},
                      {"inputs", inputs},
                      {"args", sorted}};
  return Sha256Of(j.dump());
}

std::optional<CacheEntry> BuildCache::Lookup(const Digest& key, const LayerStore& layers, const Layout& layout) const {
  auto text = ReadFileIfExists(dir_ + "/" + key.hex(), 1 << 16);
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("created")) return std::nullopt;
  CacheEntry e;
  e.created = j["created"].get<std::string>();
  if (j.contains("layer") && j["layer"].is_string()) {
    auto d = Digest::TryParse(j["layer"].get<std::string>());
    if (!d || !layers.Has(*d)) return std::nullopt;
    LayerInfo info = layers.Get(*d);
    BlobStore blobs(layout);
    if (!blobs.Has(info.blob_digest) && !IsDeferredLayer(blobs, info)) return std::nullopt;
    e.chain_id = *d;
  }
  return e;
}

void BuildCache::Store(const Digest& key, const CacheEntry& e) const {
  nlohmann::json j = {{"created", e.created}};
  if (e.chain_id) j["layer"] = e.chain_id->str();
  try {
    MakeDirs(dir_, 0700);
    WriteFileAtomic(dir_ + "/" + key.hex(), j.dump());
  } catch (const Error& err) {
    Warn(std::string("build cache: ") + err.what());
  }
}

}  // namespace mini::build
