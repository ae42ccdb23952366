// Layer compression for export (see layer_compression.h).
#include "store/layer_compression.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "store/blob_store.h"
#include "store/deferred_layer.h"

namespace mini {

namespace {

constexpr int kMaxZstdLevel = 20;  // podman's range; 21-22 need --ultra windows readers may refuse

Error Invalid(const std::string& msg) { return Error(ErrorKind::kInvalidInput, msg); }

const char* ZstdOrGzipMediaType(Compression c, bool docker) {
  if (c == Compression::kZstd) return media::kOciLayerZstd;
  if (c == Compression::kGzip) return docker ? media::kDockerLayerGzip : media::kOciLayerGzip;
  return docker ? media::kDockerLayer : media::kOciLayer;
}

/// Streams the layer's tar (from its stored blob, decompressed and checked, or generated from
/// its directory when deferred) through `format` into a new blob; returns it, stored and
/// recorded. Throws Error.
LayerBlob MakeBlob(const Layout& layout, LayerStore& layers, const LayerInfo& info, const Descriptor& current,
                   Compression format, int level) {
  auto start = std::chrono::steady_clock::now();
  BlobStore blobs(layout);
  std::string name = "layer " + info.chain_id.str();
  TempDir tmp(layout.TmpDir(), "compress-");
  std::string path = tmp.path() + "/blob";
  UniqueFd out(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!out) ThrowErrno("create " + path);
  Sha256 sha;
  uint64_t size = 0;
  auto emit = [&](const void* data, size_t n) {
    sha.Update(data, n);
    size += n;
    WriteAll(out.get(), data, n, path);
  };
  std::unique_ptr<CompressingSink> sink = format == Compression::kZstd ? NewZstdLayerSink(emit, name, level)
                                                                       : NewCompressingSinkTo(Compression::kGzip, emit, name);
  auto write = [&](const void* data, size_t n) { sink->Write(data, n); };
  if (blobs.Has(current.digest)) {
    UniqueFd in(open(blobs.Path(current.digest).c_str(), O_RDONLY | O_CLOEXEC));
    if (!in) ThrowErrno("open blob " + current.digest.str());
    FdSource raw(in.get(), "blob " + current.digest.str());
    auto tar = NewDecompressingSource(raw, "blob " + current.digest.str());
    Sha256 tar_sha;
    uint64_t tar_size = 0;
    std::string buf(1 << 20, '\0');
    while (size_t n = tar->Read(buf.data(), buf.size())) {
      tar_sha.Update(buf.data(), n);
      tar_size += n;
      write(buf.data(), n);
    }
    Digest diff_id = tar_sha.Finish();
    if (!(diff_id == info.diff_id) || tar_size != info.tar_size)
      throw Error(name + ": blob " + current.digest.str() + " decompresses to " + diff_id.str() + ", not to its diff id " +
                  info.diff_id.str());
  } else {
    GenerateLayerTar(layers, info, write);
  }
  sink->Finish();
  if (fsync(out.get()) != 0) ThrowErrno("fsync " + path);
  out.reset();
  LayerBlob b{format, format == Compression::kZstd ? level : 0, sha.Finish(), size};
  blobs.Adopt(path, b.digest);  // in the lease first
  b = layers.RecordExtraBlob(info.chain_id, b);
  if (DebugEnabled()) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Debug("compressed layer " + info.chain_id.str() + " to " + CompressionName(format) + ": " +
          std::to_string(info.tar_size) + " bytes of tar -> " + std::to_string(b.size) + " bytes in " +
          std::to_string(static_cast<long>(s * 1000)) + " ms");
  }
  return b;
}

/// The compression of a stored blob, from its first bytes.
Compression BlobCompression(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) ThrowErrno("open " + path);
  unsigned char head[4];
  ssize_t n = pread(fd.get(), head, sizeof head, 0);
  if (n < 0) ThrowErrno("read " + path);
  return DetectCompression(head, static_cast<size_t>(n));
}

/// A Docker schema2 manifest becomes OCI (it cannot name zstd layers).
void ConvertToOci(nlohmann::json& m) {
  m["mediaType"] = media::kOciManifest;
  if (m.contains("config")) m["config"]["mediaType"] = media::kOciConfig;
  for (auto& l : m["layers"]) {
    std::string t = l.value("mediaType", "");
    if (t == media::kDockerLayerGzip) l["mediaType"] = media::kOciLayerGzip;
    else if (t == media::kDockerLayer) l["mediaType"] = media::kOciLayer;
  }
}

}  // namespace

std::unique_ptr<CompressingSink> NewZstdLayerSink(ChunkWriter out, const std::string& name, int level, unsigned workers) {
  if (workers == 0) workers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  return NewZstdSinkTo(std::move(out), name, level, workers);
}

CompressionOptions ParseCompressionOptions(const std::string& format, std::optional<int> level,
                                           std::optional<bool> force, const std::string& flag_prefix) {
  CompressionOptions o;
  const std::string fmt_flag = flag_prefix + (flag_prefix.empty() ? "compression" : "compression-format");
  const std::string level_flag = flag_prefix + "compression-level";
  if (format == "gzip") o.format = Compression::kGzip;
  else if (format == "zstd") o.format = Compression::kZstd;
  else if (format == "zstd:chunked") throw Invalid("invalid " + fmt_flag + " \"zstd:chunked\": mini makes gzip or zstd layers");
  else if (!format.empty()) throw Invalid("invalid " + fmt_flag + " \"" + format + "\": use gzip or zstd");
  if (level) {
    if (o.format != Compression::kZstd)
      throw Invalid(level_flag + " applies to zstd only (" + fmt_flag +
                    " zstd): mini's gzip has one level, libdeflate 3 in parallel members");
    if (*level < 1 || *level > kMaxZstdLevel)
      throw Invalid("invalid " + level_flag + " " + std::to_string(*level) + ": zstd levels are 1-20");
    o.level = *level;
  }
  o.force = force ? *force : o.format.has_value();
  if (o.force && !o.format)
    throw Invalid(flag_prefix + "force-compression needs " + fmt_flag + " (gzip or zstd)");
  return o;
}

std::optional<Compression> LayerMediaCompression(const std::string& t) {
  if (t == media::kOciLayer || t == media::kDockerLayer) return Compression::kNone;
  if (t == media::kOciLayerGzip || t == media::kDockerLayerGzip) return Compression::kGzip;
  if (t == media::kOciLayerZstd) return Compression::kZstd;
  return std::nullopt;
}

Descriptor LayerBlobIn(const Layout& layout, LayerStore& layers, const Digest& chain_id, const Descriptor& current,
                       Compression format, int level) {
  BlobStore blobs(layout);
  if (LayerMediaCompression(current.media_type) == format && blobs.Has(current.digest)) return current;
  LayerInfo info = layers.Get(chain_id);
  bool deferred = !blobs.Has(current.digest);
  if (deferred && !(current.digest == info.diff_id))
    throw Error("layer " + current.digest.str() + ": blob not in the store");
  if (format == Compression::kGzip && deferred) return EnsureLayerBlob(layout, layers, chain_id);
  const char* type = ZstdOrGzipMediaType(format, false);
  int lvl = format == Compression::kZstd ? level : 0;
  if (auto b = FindLayerBlob(info.extra_blobs, format, lvl); b && blobs.Has(b->digest))
    return {type, b->digest, b->size, nullptr, nullptr};
  if (format == Compression::kGzip && info.blob_digest != info.diff_id && blobs.Has(info.blob_digest) &&
      LayerMediaCompression(current.media_type) != Compression::kGzip) {
    // A deferred layer's gzip made by an earlier push, named by the record only.
    if (BlobCompression(blobs.Path(info.blob_digest)) == Compression::kGzip)
      return {type, info.blob_digest, info.blob_size, nullptr, nullptr};
  }
  LayerBlob b = WithContext("compress layer " + chain_id.str() + " to " + CompressionName(format),
                            [&] { return MakeBlob(layout, layers, info, current, format, lvl); });
  return {type, b.digest, b.size, nullptr, nullptr};
}

std::string ManifestWithCompression(const Layout& layout, ImageStore& images, const ImageRecord& rec,
                                    const std::string& stored, const CompressionOptions& opts,
                                    std::string* media_type) {
  *media_type = rec.manifest_media_type;
  if (!opts.format) return ManifestForExport(layout, images, rec, stored);
  BlobStore blobs(layout);
  nlohmann::json m = ParseJson(stored, "manifest " + rec.manifest_digest.str());
  if (!m.contains("layers") || !m["layers"].is_array()) return stored;
  bool docker = rec.manifest_media_type == media::kDockerManifest;
  bool changed = false, any_zstd = false;
  nlohmann::json& ls = m["layers"];
  for (size_t i = 0; i < ls.size(); i++) {
    Descriptor d = ParseDescriptor(ls[i]);
    auto c = LayerMediaCompression(d.media_type);
    if (!c) continue;  // foreign layers travel as they are
    bool deferred = *c == Compression::kNone && !blobs.Has(d.digest);
    if (deferred || (opts.force && *c != *opts.format)) {
      if (i >= rec.chain_ids.size()) throw Error("manifest " + rec.manifest_digest.str() + ": more layers than the image");
      Descriptor nd = LayerBlobIn(layout, images.layers(), rec.chain_ids[i], d, *opts.format, opts.level);
      ls[i]["mediaType"] = ZstdOrGzipMediaType(*opts.format, docker);
      ls[i]["digest"] = nd.digest.str();
      ls[i]["size"] = nd.size;
      c = opts.format;
      changed = true;
    }
    any_zstd = any_zstd || *c == Compression::kZstd;
  }
  if (!changed) return stored;
  if (docker && any_zstd) {
    ConvertToOci(m);
    *media_type = media::kOciManifest;
  }
  return CanonicalJson(m);
}

}  // namespace mini
