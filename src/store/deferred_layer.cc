#include "store/deferred_layer.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "store/tar_generate.h"

namespace mini {

namespace {

bool IsTarMediaType(const std::string& t) { return t == media::kOciLayer || t == media::kDockerLayer; }

void CheckPacked(const LayerInfo& info, const PackResult& pr) {
  if (!(pr.diff_id == info.diff_id) || pr.tar_size != info.tar_size)
    throw Error("layer " + info.chain_id.str() + ": its directory packs to " + pr.diff_id.str() + " (" +
                std::to_string(pr.tar_size) + " bytes of tar), not to its diff id " + info.diff_id.str() + " (" +
                std::to_string(info.tar_size) + " bytes)");
}

}  // namespace

bool IsDeferredLayer(const BlobStore& blobs, const LayerInfo& info) {
  return info.blob_digest == info.diff_id && !blobs.Has(info.diff_id);
}

Descriptor StoredLayerDescriptor(const BlobStore& blobs, const LayerInfo& info) {
  // A record cut between its two writes (blob-size, then blob-digest) is still deferred: the
  // tar's own size then, never blob-size.
  if (IsDeferredLayer(blobs, info)) return {media::kOciLayer, info.diff_id, info.tar_size, nullptr, nullptr};
  const char* type = info.blob_digest == info.diff_id ? media::kOciLayer : media::kOciLayerGzip;
  return {type, info.blob_digest, info.blob_size, nullptr, nullptr};
}

void GenerateLayerTar(const LayerStore& layers, const LayerInfo& info,
                      const std::function<void(const void* data, size_t n)>& write) {
  PackOptions po;
  po.tar_copy = write;
  PackResult pr = WithContext("layer " + info.chain_id.str(), [&] { return PackLayer(layers.DiffDir(info.chain_id), -1, po); });
  CheckPacked(info, pr);
}

Descriptor EnsureLayerBlob(const Layout& layout, LayerStore& layers, const Digest& chain_id) {
  BlobStore blobs(layout);
  LayerInfo info = layers.Get(chain_id);
  if (!IsDeferredLayer(blobs, info)) return StoredLayerDescriptor(blobs, info);
  auto start = std::chrono::steady_clock::now();
  TempDir tmp(layout.TmpDir(), "compress-");
  std::string path = tmp.path() + "/blob";
  PackResult pr;
  {
    UniqueFd out(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!out) ThrowErrno("create " + path);
    pr = WithContext("layer " + chain_id.str(), [&] { return PackLayer(layers.DiffDir(chain_id), out.get()); });
    if (fsync(out.get()) != 0) ThrowErrno("fsync " + path);
  }
  CheckPacked(info, pr);
  blobs.Adopt(path, pr.blob_digest);  // in the lease first; replaces a copy made meanwhile (same bytes)
  layers.RecordBlob(chain_id, pr.blob_digest, pr.blob_size);
  if (DebugEnabled()) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Debug("compressed deferred layer " + chain_id.str() + ": " + std::to_string(pr.tar_size) + " bytes of tar -> " +
          std::to_string(pr.blob_size) + " bytes of gzip in " + std::to_string(static_cast<long>(s * 1000)) + " ms");
  }
  return {media::kOciLayerGzip, pr.blob_digest, pr.blob_size, nullptr, nullptr};
}

std::string ManifestForExport(const Layout& layout, ImageStore& images, const ImageRecord& rec,
                              const std::string& stored) {
  BlobStore blobs(layout);
  LayerStore& layers = images.layers();
  nlohmann::json m = ParseJson(stored, "manifest " + rec.manifest_digest.str());
  if (!m.contains("layers") || !m["layers"].is_array()) return stored;
  nlohmann::json& ls = m["layers"];
  bool changed = false;
  for (size_t i = 0; i < ls.size(); i++) {
    Descriptor d = ParseDescriptor(ls[i]);
    if (!IsTarMediaType(d.media_type) || blobs.Has(d.digest)) continue;
    if (i >= rec.chain_ids.size() || i >= rec.diff_ids.size() || !(rec.diff_ids[i] == d.digest))
      throw Error("layer " + d.digest.str() + ": blob not in the store");
    Descriptor gz = EnsureLayerBlob(layout, layers, rec.chain_ids[i]);
    ls[i]["mediaType"] = d.media_type == media::kDockerLayer ? media::kDockerLayerGzip : gz.media_type;
    ls[i]["digest"] = gz.digest.str();
    ls[i]["size"] = gz.size;
    changed = true;
  }
  if (!changed) return stored;
  std::string bytes = CanonicalJson(m);
  images.ReplaceManifest(rec.id, blobs.PutBytes(bytes));  // in the lease (Put) before it is named
  return bytes;
}

}  // namespace mini
