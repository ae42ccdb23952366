// The push flow (see pusher.h).
#include "registry/pusher.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "store/blob_store.h"
#include "store/deferred_layer.h"
#include "store/lease.h"
#include "store/oci_types.h"

namespace mini::registry {

using nlohmann::json;

std::string ConvertManifest(const std::string& bytes, const std::string& media_type, PushFormat format,
                            std::string* out_media_type) {
  *out_media_type = media_type;
  bool is_docker = media_type == media::kDockerManifest;
  if (format == PushFormat::kKeep || (format == PushFormat::kDocker) == is_docker) return bytes;
  json m = ParseJson(bytes, "manifest");
  bool to_docker = format == PushFormat::kDocker;
  m["mediaType"] = to_docker ? media::kDockerManifest : media::kOciManifest;
  m["config"]["mediaType"] = to_docker ? media::kDockerConfig : media::kOciConfig;
  for (auto& l : m["layers"]) {
    std::string t = l.value("mediaType", "");
    if (to_docker) {
      if (t == media::kOciLayerGzip) l["mediaType"] = media::kDockerLayerGzip;
      else if (t == media::kOciLayer) l["mediaType"] = media::kDockerLayer;
      else if (t != media::kDockerLayerGzip && t != media::kDockerLayer)
        throw Error("layer " + l.value("digest", "") + ": " + t + " cannot be pushed in Docker format (use --format oci)");
    } else {
      if (t == media::kDockerLayerGzip) l["mediaType"] = media::kOciLayerGzip;
      else if (t == media::kDockerLayer) l["mediaType"] = media::kOciLayer;
    }
  }
  *out_media_type = m["mediaType"];
  return m.dump(3);
}

namespace {

/// Other repositories of the same registry that hold this image: candidates for a mount.
std::vector<std::string> MountSources(const ImageRecord& rec, const Reference& dest) {
  std::vector<std::string> out;
  auto consider = [&](const std::string& name) {
    auto r = TryParseReference(name);
    if (r && r->domain == dest.domain && r->path != dest.path &&
        std::find(out.begin(), out.end(), r->path) == out.end())
      out.push_back(r->path);
  };
  for (const auto& t : rec.repo_digests) consider(t);
  for (const auto& t : rec.repo_tags) consider(t);
  return out;
}

}  // namespace

void CheckPushOptions(const PushOptions& opts) {
  if (opts.format == PushFormat::kDocker && opts.compression.format == Compression::kZstd)
    throw Error(ErrorKind::kInvalidInput,
                "--compression-format zstd needs an OCI manifest: a Docker schema2 manifest cannot carry zstd layers "
                "(use --format oci, or leave --format out)");
}

PushResult PushImage(RegistryClient& client, const Layout& layout, ImageStore& images, const ImageRecord& rec,
                     const Reference& dest, const PushOptions& opts, Progress& progress) {
  CheckPushOptions(opts);
  LeaseScope scope(layout, "push");  // an rmi or prune meanwhile leaves the blobs being sent
  images.Hold(scope.lease(), rec);
  BlobStore blobs(layout);
  // Layers committed without a blob (commit, build steps) are compressed now, once; with a
  // compression format, layers in another one too (store/layer_compression.h).
  std::string stored_type;
  std::string stored = ManifestWithCompression(layout, images, rec, blobs.Read(rec.manifest_digest), opts.compression,
                                               &stored_type);
  std::string media_type;
  std::string bytes = ConvertManifest(stored, stored_type, opts.format, &media_type);
  Manifest m = ParseManifest(bytes, media_type);
  std::vector<std::string> sources = MountSources(rec, dest);

  struct Item {
    Descriptor desc;
    int row = -1;
  };
  std::vector<Item> items;
  for (const auto& l : m.layers) {
    if (!blobs.Has(l.digest)) throw Error("layer " + l.digest.str() + ": blob not in the store, cannot push");
    if (std::any_of(items.begin(), items.end(), [&](const Item& i) { return i.desc.digest == l.digest; })) continue;
    items.push_back({l, progress.Add(l.digest.Short(), "Preparing", l.size)});
  }
  if (!blobs.Has(m.config.digest)) throw Error("config " + m.config.digest.str() + ": not in the store");
  items.push_back({m.config, -1});

  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::string error;
  auto push_one = [&](const Item& it) {
    const Digest& d = it.desc.digest;
    if (client.BlobSize(d)) {
      progress.State(it.row, "Layer already exists");
      return;
    }
    for (const auto& from : sources) {
      if (client.MountBlob(d, from)) {
        progress.State(it.row, "Mounted from " + from);
        return;
      }
    }
    progress.State(it.row, "Pushing");
    uint64_t size = blobs.Size(d);
    if (size != it.desc.size)
      throw Error("blob " + d.str() + ": stored size " + std::to_string(size) + " differs from the manifest's " +
                  std::to_string(it.desc.size));
    client.UploadBlob(d, layout.Blob(d), size, opts.chunk_size, [&](uint64_t done) { progress.Bytes(it.row, done); });
    progress.State(it.row, "Pushed");
  };
  auto worker = [&] {
    for (;;) {
      size_t i = next++;
      if (i >= items.size() || failed) return;
      try {
        push_one(items[i]);
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu);
        if (!failed) error = e.what();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, opts.max_concurrent); t++) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (failed) throw Error(error);
  progress.Finish();

  std::string reference = !dest.tag.empty() ? dest.tag : dest.digest->str();
  Digest local = Sha256Of(bytes);
  if (dest.digest && !(*dest.digest == local))
    throw Error("manifest digest " + local.str() + " does not match the reference " + dest.digest->str());
  std::string remote = client.PutManifest(reference, media_type, bytes);
  if (!remote.empty() && remote != local.str())
    throw Error("registry stored the manifest as " + remote + ", expected " + local.str());
  Reference by_digest = dest;
  by_digest.tag.clear();
  by_digest.digest = local;
  images.AddDigestRef(by_digest, rec.id);
  return {local, bytes.size()};
}

}  // namespace mini::registry
