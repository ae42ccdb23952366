/// `mini save`: images -> one outer tar, as docker-archive (what Docker 20.10's `docker load` and
/// skopeo's docker-archive: read) or as an OCI image layout (skopeo/containerd oci-archive:).
/// The outer tar is written with libarchive; every blob is re-verified while it is streamed out.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "store/archive.h"
#include "store/blob_store.h"
#include "store/compression.h"
#include "store/deferred_layer.h"
#include "store/layer_compression.h"
#include "store/lease.h"
#include "store/oci_types.h"

namespace mini {

using nlohmann::json;

namespace {

constexpr size_t kChunk = 1 << 20;

/// A tar being written to an fd with deterministic headers (uid/gid 0, no user names, fixed
/// modes, given mtimes). Owns the libarchive handle.
class TarWriter {
 public:
  explicit TarWriter(int fd) : a_(archive_write_new()) {
    if (!a_) throw Error("out of memory");
    if (archive_write_set_format_pax_restricted(a_) != ARCHIVE_OK ||
        archive_write_set_bytes_in_last_block(a_, 1) != ARCHIVE_OK || archive_write_open_fd(a_, fd) != ARCHIVE_OK)
      Fail("open output");
  }
  ~TarWriter() {
    if (entry_) archive_entry_free(entry_);
    archive_write_free(a_);
  }
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  void AddDir(const std::string& name, time_t mtime) { Header(name, AE_IFDIR, 0755, 0, mtime); }
  void AddFile(const std::string& name, std::string_view data, time_t mtime) {
    Header(name, AE_IFREG, 0644, data.size(), mtime);
    Data(data.data(), data.size());
  }
  /// Starts a regular file of exactly `size` bytes; the caller then writes them with Data().
  void BeginFile(const std::string& name, uint64_t size, time_t mtime) { Header(name, AE_IFREG, 0644, size, mtime); }
  void Data(const void* p, size_t n) {
    if (n && archive_write_data(a_, p, n) < 0) Fail("write " + name_);
  }
  /// Writes the end-of-archive blocks and flushes.
  void Close() {
    if (archive_write_close(a_) != ARCHIVE_OK) Fail("finish archive");
  }

 private:
  void Header(const std::string& name, mode_t type, mode_t perm, uint64_t size, time_t mtime) {
    name_ = name;
    if (!entry_) entry_ = archive_entry_new();
    archive_entry_clear(entry_);
    archive_entry_set_pathname(entry_, name.c_str());
    archive_entry_set_filetype(entry_, type);
    archive_entry_set_perm(entry_, perm);
    archive_entry_set_size(entry_, static_cast<la_int64_t>(size));
    archive_entry_set_mtime(entry_, mtime, 0);
    archive_entry_set_uid(entry_, 0);
    archive_entry_set_gid(entry_, 0);
    if (archive_write_header(a_, entry_) != ARCHIVE_OK) Fail("write header of " + name);
  }
  [[noreturn]] void Fail(const std::string& what) {
    const char* msg = archive_error_string(a_);
    throw Error(what + ": " + (msg ? msg : "libarchive error"));
  }

  archive* a_;
  archive_entry* entry_ = nullptr;
  std::string name_;
};

/// One image to save and the tags it is saved under (in the order they were named).
struct SaveItem {
  ImageRecord rec;
  std::vector<Reference> tags;
};

/// True if the user spelled a tag or digest ("busybox:1", "x@sha256:.."), not just a repository.
bool NamesTagOrDigest(const std::string& name) {
  if (name.find('@') != std::string::npos) return true;
  size_t colon = name.rfind(':'), slash = name.rfind('/');
  return colon != std::string::npos && (slash == std::string::npos || colon > slash);
}

/// Docker's rules (image/tarexport/save.go parseNames): "repo:tag" saves that tag; a bare "repo"
/// saves every tag of the repository; an id (or unique prefix) saves the image with all its tags;
/// "repo@digest" saves the image untagged.
std::vector<SaveItem> ResolveNames(ImageStore& images, const std::vector<std::string>& names) {
  std::vector<SaveItem> items;
  auto add = [&](const ImageRecord& rec, const std::optional<Reference>& tag) {
    auto it = std::find_if(items.begin(), items.end(), [&](const SaveItem& i) { return i.rec.id == rec.id; });
    if (it == items.end()) it = items.insert(items.end(), SaveItem{rec, {}});
    if (tag && std::none_of(it->tags.begin(), it->tags.end(), [&](const Reference& r) { return r.String() == tag->String(); }))
      it->tags.push_back(*tag);
  };
  for (const auto& name : names) {
    bool id_like = Digest::TryParse(name) || Digest::IsValidHex(name);
    auto ref = id_like ? std::nullopt : TryParseReference(name);
    if (ref && !ref->digest) {
      if (!NamesTagOrDigest(name)) {
        std::vector<std::pair<std::string, ImageRecord>> found;
        for (const auto& rec : images.List())
          for (const auto& t : rec.repo_tags)
            if (auto tr = TryParseReference(t); tr && tr->Name() == ref->Name()) found.emplace_back(tr->String(), rec);
        std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [tag, rec] : found) add(rec, ParseReference(tag));
        if (!found.empty()) continue;
      } else if (auto rec = images.Find(name)) {
        const auto& tags = rec->repo_tags;
        if (std::find(tags.begin(), tags.end(), ref->Familiar()) != tags.end()) {
          add(*rec, *ref);
          continue;
        }
      }
    }
    ImageRecord rec = images.Resolve(name);
    add(rec, std::nullopt);
    if (ref && ref->digest) continue;
    for (const auto& t : rec.repo_tags)
      if (auto tr = TryParseReference(t)) add(rec, *tr);
  }
  return items;
}

time_t CreatedTime(const ImageRecord& rec) {
  auto t = ParseRfc3339(rec.created);
  return t && *t > 0 ? static_cast<time_t>(*t) : 0;
}

UniqueFd OpenBlob(const Layout& layout, const Digest& d) {
  UniqueFd fd(open(layout.Blob(d).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) ThrowErrno("blob " + d.str());
  return fd;
}

/// Copies blob `d` as-is into the tar entry `name`, checking its digest on the way.
void WriteBlob(TarWriter& w, const Layout& layout, const Digest& d, const std::string& name, time_t mtime) {
  UniqueFd fd = OpenBlob(layout, d);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) ThrowErrno("blob " + d.str());
  uint64_t size = static_cast<uint64_t>(st.st_size), total = 0;
  w.BeginFile(name, size, mtime);
  Sha256 h;
  std::string buf(kChunk, '\0');
  while (total < size) {
    size_t n = ReadSome(fd.get(), buf.data(), std::min<uint64_t>(buf.size(), size - total), layout.Blob(d));
    if (n == 0) throw Error("blob " + d.str() + ": truncated while saving");
    h.Update(buf.data(), n);
    w.Data(buf.data(), n);
    total += n;
  }
  if (!(h.Finish() == d)) throw Error("blob " + d.str() + ": content does not match its digest");
}

/// Writes the uncompressed tar of one layer: the stored blob decompressed on the fly, `tar_size`
/// bytes that must hash to the layer's diff id (else the output is abandoned with an error).
void WriteLayerTar(TarWriter& w, const Layout& layout, LayerStore& layers, const Digest& blob, const LayerInfo& info,
                   const std::string& name, time_t mtime) {
  std::string what = "layer " + info.diff_id.str();
  BlobStore blobs(layout);
  if (blob == info.diff_id && !blobs.Has(blob)) {  // a deferred layer's tar: from the layer's directory
    w.BeginFile(name, info.tar_size, mtime);
    GenerateLayerTar(layers, info, [&w](const void* data, size_t n) { w.Data(data, n); });
    return;
  }
  UniqueFd fd = OpenBlob(layout, blob);
  FdSource raw(fd.get(), layout.Blob(blob));
  auto src = NewDecompressingSource(raw, "blob " + blob.str());
  w.BeginFile(name, info.tar_size, mtime);
  Sha256 h;
  uint64_t total = 0;
  std::string buf(kChunk, '\0');
  while (size_t n = src->Read(buf.data(), buf.size())) {
    total += n;
    if (total > info.tar_size) throw Error(what + ": blob " + blob.str() + " is longer than the recorded tar size");
    h.Update(buf.data(), n);
    w.Data(buf.data(), n);
  }
  if (total != info.tar_size)
    throw Error(what + ": blob " + blob.str() + " has " + std::to_string(total) + " bytes of tar, expected " +
                std::to_string(info.tar_size));
  Digest got = h.Finish();
  if (!(got == info.diff_id)) throw Error(what + ": blob " + blob.str() + " decompresses to " + got.str());
}

std::vector<Descriptor> ManifestLayers(const ImageRecord& rec) {
  return WithContext("image " + rec.id.str(), [&] { return ParseManifest(rec.manifest.dump()).layers; });
}

void SaveDockerArchive(TarWriter& w, const Layout& layout, LayerStore& layers, const std::vector<SaveItem>& items) {
  json manifest = json::array();
  json repositories = json::object();
  std::set<std::string> written;
  for (const auto& item : items) {
    const ImageRecord& rec = item.rec;
    auto descs = ManifestLayers(rec);
    if (descs.size() != rec.chain_ids.size())
      throw Error("image " + rec.id.str() + ": manifest and config disagree on the number of layers");
    time_t mtime = CreatedTime(rec);
    json layer_paths = json::array();
    // Layer directories are named by chain id: unique per position in a stack, so two images (or
    // one image with a repeated diff id) never produce two different entries with one name.
    std::string parent;
    for (size_t i = 0; i < descs.size(); i++) {
      std::string id = rec.chain_ids[i].hex();
      layer_paths.push_back(id + "/layer.tar");
      if (written.insert(id).second) {
        LayerInfo info = layers.Get(rec.chain_ids[i]);
        json v1 = {{"id", id}};
        if (!parent.empty()) v1["parent"] = parent;
        if (!rec.created.empty()) v1["created"] = rec.created;
        w.AddDir(id, mtime);
        w.AddFile(id + "/VERSION", "1.0", mtime);
        w.AddFile(id + "/json", v1.dump(), mtime);
        WriteLayerTar(w, layout, layers, descs[i].digest, info, id + "/layer.tar", mtime);
      }
      parent = id;
    }
    std::string config_name = rec.id.hex() + ".json";
    if (written.insert(config_name).second) WriteBlob(w, layout, rec.id, config_name, mtime);
    json tags = json::array();
    for (const auto& t : item.tags) {
      tags.push_back(t.Familiar());
      if (!parent.empty()) repositories[t.FamiliarName()][t.tag] = parent;
    }
    manifest.push_back({{"Config", config_name}, {"RepoTags", tags.empty() ? json(nullptr) : tags}, {"Layers", layer_paths}});
  }
  w.AddFile("manifest.json", manifest.dump(), 0);
  if (!repositories.empty()) w.AddFile("repositories", repositories.dump(), 0);
}

void SaveOciArchive(TarWriter& w, const Layout& layout, ImageStore& images, const std::vector<SaveItem>& items,
                    const CompressionOptions& compression) {
  json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", json::array()}};
  // Also a manifest.json, as newer `docker save` writes, so Docker's loader can read this archive.
  json docker_manifest = json::array();
  std::vector<Digest> blobs;
  auto add_blob = [&](const Digest& d) {
    if (std::find(blobs.begin(), blobs.end(), d) == blobs.end()) blobs.push_back(d);
  };
  BlobStore store(layout);
  std::map<Digest, std::string> unstored;  // manifests made for another compression (not in the store)
  for (const auto& item : items) {
    const ImageRecord& rec = item.rec;
    // Layers committed without a blob (commit, build steps) are compressed now, once.
    std::string stored = store.Read(rec.manifest_digest);
    std::string media_type;
    std::string bytes = ManifestWithCompression(layout, images, rec, stored, compression, &media_type);
    Digest md = bytes == stored ? rec.manifest_digest : Sha256Of(bytes);  // stored by now, unless recompressed
    if (!store.Has(md)) unstored[md] = bytes;
    Descriptor desc{media_type, md, bytes.size(), nullptr, nullptr};
    if (item.tags.empty()) index["manifests"].push_back(DescriptorToJson(desc));
    for (const auto& t : item.tags) {
      desc.annotations = {{"io.containerd.image.name", t.String()}, {"org.opencontainers.image.ref.name", t.tag}};
      index["manifests"].push_back(DescriptorToJson(desc));
    }
    add_blob(md);
    add_blob(rec.id);
    json layer_paths = json::array();
    for (const auto& l : WithContext("image " + rec.id.str(), [&] { return ParseManifest(bytes).layers; })) {
      add_blob(l.digest);
      layer_paths.push_back("blobs/sha256/" + l.digest.hex());
    }
    json tags = json::array();
    for (const auto& t : item.tags) tags.push_back(t.Familiar());
    docker_manifest.push_back({{"Config", "blobs/sha256/" + rec.id.hex()},
                               {"RepoTags", tags.empty() ? json(nullptr) : tags},
                               {"Layers", layer_paths}});
  }
  w.AddFile("oci-layout", R"({"imageLayoutVersion":"1.0.0"})", 0);
  w.AddFile("index.json", index.dump(), 0);
  w.AddFile("manifest.json", docker_manifest.dump(), 0);
  w.AddDir("blobs", 0);
  w.AddDir("blobs/sha256", 0);
  for (const auto& d : blobs) {
    if (auto it = unstored.find(d); it != unstored.end()) w.AddFile("blobs/sha256/" + d.hex(), it->second, 0);
    else WriteBlob(w, layout, d, "blobs/sha256/" + d.hex(), 0);
  }
}

}  // namespace

void SaveImages(const Layout& layout, ImageStore& images, LayerStore& layers, const std::vector<std::string>& names,
                ArchiveFormat format, int out_fd, const CompressionOptions& compression) {
  if (names.empty()) throw Error("save: no images given");
  if (compression.format && format != ArchiveFormat::kOciArchive)
    throw Error(ErrorKind::kInvalidInput, "save: --compression-format applies to --format oci-archive only "
                                          "(a docker-archive holds uncompressed layers)");
  std::vector<SaveItem> items = ResolveNames(images, names);
  LeaseScope scope(layout, "save");  // what is saved, and the blobs compressed for it, stay meanwhile
  for (const auto& item : items) images.Hold(scope.lease(), item.rec);
  WithContext("save", [&] {
    TarWriter w(out_fd);
    if (format == ArchiveFormat::kDockerArchive)
      SaveDockerArchive(w, layout, layers, items);
    else
      SaveOciArchive(w, layout, images, items, compression);
    w.Close();
  });
}

}  // namespace mini
