#include "store/layer_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "store/lease.h"
#include "store/store_lock.h"

namespace mini {

namespace {

std::string ReadTrimmed(const std::string& path) {
  std::string s = ReadFile(path, 1 << 16);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

Digest LayerStore::ChainId(const std::optional<Digest>& parent, const Digest& diff_id) {
  if (!parent) return diff_id;
  return Sha256Of(parent->str() + " " + diff_id.str());
}

bool LayerStore::Has(const Digest& chain_id) const {
  return PathExists(layout_.LayerMeta(chain_id) + "/diff-id");
}

LayerInfo LayerStore::Get(const Digest& chain_id) const {
  if (!Has(chain_id)) throw Error("layer " + chain_id.str() + ": not found");
  std::string meta = layout_.LayerMeta(chain_id);
  LayerInfo info;
  info.chain_id = chain_id;
  info.diff_id = Digest::Parse(ReadTrimmed(meta + "/diff-id"));
  if (auto p = ReadFileIfExists(meta + "/parent")) {
    if (!p->empty()) info.parent = Digest::Parse(*p);
  }
  info.blob_digest = Digest::Parse(ReadTrimmed(meta + "/blob-digest"));
  info.blob_size = std::stoull(ReadTrimmed(meta + "/blob-size"));
  info.tar_size = std::stoull(ReadTrimmed(meta + "/tar-size"));
  info.size = std::stoull(ReadTrimmed(meta + "/size"));
  info.short_id = ReadTrimmed(layout_.LayerDir(chain_id.hex()) + "/link");
  if (auto extra = ReadFileIfExists(meta + "/" + kLayerBlobsFile))
    info.extra_blobs = WithContext("layer " + chain_id.str(), [&] { return ParseLayerBlobs(*extra); });
  return info;
}

std::vector<LayerInfo> LayerStore::List() const {
  std::vector<LayerInfo> out;
  for (const auto& n : ListDirNames(layout_.LayersMetaDir())) {
    if (!Digest::IsValidHex(n)) continue;
    Digest d = Digest::FromHex(n);
    if (Has(d)) out.push_back(Get(d));
  }
  return out;
}

std::vector<std::string> LayerStore::LowerLinks(const Digest& chain_id) const {
  std::string dir = layout_.LayerDir(chain_id.hex());
  std::vector<std::string> out{"l/" + ReadTrimmed(dir + "/link")};
  if (auto lower = ReadFileIfExists(dir + "/lower")) {
    size_t start = 0;
    while (start < lower->size()) {
      size_t end = lower->find(':', start);
      if (end == std::string::npos) end = lower->size();
      std::string part = lower->substr(start, end - start);
      while (!part.empty() && part.back() == '\n') part.pop_back();
      if (!part.empty()) out.push_back(part);
      start = end + 1;
    }
  }
  return out;
}

namespace {

/// Turns a staging dir holding diff/ into overlay2/<chain hex> with link, lower, work/ and the
/// l/ link, then writes the layers/<chain hex> record last. Caller holds the store lock.
void CommitLayerDir(const Layout& layout, const LayerStore& store, TempDir& staging, const LayerInfo& info) {
  std::string hex = info.chain_id.hex();
  std::string final_dir = layout.LayerDir(hex);
  if (PathExists(final_dir)) {
    // A leftover of a crash between the rename and the record: it was never visible. Replace it.
    if (auto old = ReadFileIfExists(final_dir + "/link")) unlink(layout.Link(*old).c_str());
    RemoveTree(final_dir);
  }
  std::string lower;
  if (info.parent) {
    auto links = store.LowerLinks(*info.parent);
    for (size_t i = 0; i < links.size(); i++) lower += (i ? ":" : "") + links[i];
  }
  std::string short_id;
  for (;;) {
    short_id = RandomString(26, /*upper=*/true);
    if (!PathExists(layout.Link(short_id))) break;
  }
  WriteFileAtomic(staging.path() + "/link", short_id);
  if (!lower.empty()) WriteFileAtomic(staging.path() + "/lower", lower);
  MakeDirs(staging.path() + "/work");
  chmod(staging.path().c_str(), 0700);
  if (rename(staging.path().c_str(), final_dir.c_str()) != 0) ThrowErrno("rename layer into " + final_dir);
  staging.Release();
  MakeDirs(layout.LinksDir());
  if (symlink(("../" + hex + "/diff").c_str(), layout.Link(short_id).c_str()) != 0)
    ThrowErrno("link " + layout.Link(short_id));

  TempDir meta(layout.LayersMetaDir(), kLayerRecordTmpPrefix);
  WriteFileAtomic(meta.path() + "/diff-id", info.diff_id.str());
  WriteFileAtomic(meta.path() + "/parent", info.parent ? info.parent->str() : "");
  WriteFileAtomic(meta.path() + "/blob-digest", info.blob_digest.str());
  WriteFileAtomic(meta.path() + "/blob-size", std::to_string(info.blob_size));
  WriteFileAtomic(meta.path() + "/tar-size", std::to_string(info.tar_size));
  WriteFileAtomic(meta.path() + "/size", std::to_string(info.size));
  std::string meta_final = layout.LayerMeta(info.chain_id);
  RemoveTree(meta_final);
  if (rename(meta.path().c_str(), meta_final.c_str()) != 0) ThrowErrno("rename " + meta_final);
  meta.Release();
}

/// The operation making `info` references it (and its blob) before it becomes visible, in the
/// same store-lock section. Caller holds the store lock.
void HoldInCurrentLease(const LayerInfo& info) {
  Lease* lease = CurrentLease();
  if (!lease) return;
  LeaseResources r;
  r.layers.insert(info.chain_id);
  r.blobs.insert(info.blob_digest);
  for (const auto& b : info.extra_blobs) r.blobs.insert(b.digest);
  lease->AddLocked(r);
}

}  // namespace

StagedLayer::StagedLayer() = default;
StagedLayer::StagedLayer(StagedLayer&&) noexcept = default;
StagedLayer& StagedLayer::operator=(StagedLayer&&) noexcept = default;
StagedLayer::~StagedLayer() = default;

LayerInfo LayerStore::CreateFromStream(ByteSource& src, const std::optional<Digest>& parent,
                                       const std::optional<Digest>& expect_blob,
                                       const std::optional<uint64_t>& expect_blob_size,
                                       const std::optional<Digest>& expect_diff_id,
                                       const UnpackOptions& opts) {
  if (parent && !Has(*parent)) throw Error("parent layer " + parent->str() + ": not found");
  StagedLayer staged = StageFromStream(src, expect_blob, expect_blob_size, expect_diff_id, opts);
  return CommitStaged(staged, parent);
}

StagedLayer LayerStore::StageFromStream(ByteSource& src, const std::optional<Digest>& expect_blob,
                                        const std::optional<uint64_t>& expect_blob_size,
                                        const std::optional<Digest>& expect_diff_id, const UnpackOptions& opts) {
  StagedLayer staged;
  staged.dir = std::make_unique<TempDir>(layout_.TmpDir(), "layer-");
  std::string diff = staged.dir->path() + "/diff";
  if (mkdir(diff.c_str(), 0755) != 0) ThrowErrno("mkdir " + diff);
  UnpackResult r = UnpackLayer(src, diff, opts);
  std::string name = "layer " + (expect_blob ? expect_blob->str() : r.blob_digest.str());
  if (expect_blob_size && r.blob_size != *expect_blob_size)
    throw Error(name + ": size mismatch: expected " + std::to_string(*expect_blob_size) + " bytes, got " +
                std::to_string(r.blob_size));
  if (expect_blob && opts.hash_blob && !(r.blob_digest == *expect_blob))
    throw Error(name + ": digest mismatch: got " + r.blob_digest.str());
  if (expect_diff_id && !(r.diff_id == *expect_diff_id))
    throw Error(name + ": diff id mismatch: expected " + expect_diff_id->str() + ", got " + r.diff_id.str());
  staged.result = r;
  staged.size = r.tree_size ? *r.tree_size : TreeSize(diff);  // the unpack counted it, mostly
  Debug("unpacked " + name + " (" + std::to_string(r.tar_size) + " bytes of tar)");
  return staged;
}

LayerInfo LayerStore::CommitStaged(StagedLayer& staged, const std::optional<Digest>& parent) {
  if (!staged.dir) throw Error("layer: nothing staged");
  if (parent && !Has(*parent)) throw Error("parent layer " + parent->str() + ": not found");
  const UnpackResult& r = staged.result;
  LayerInfo info;
  info.chain_id = ChainId(parent, r.diff_id);
  info.diff_id = r.diff_id;
  info.parent = parent;
  info.blob_digest = r.blob_digest;
  info.blob_size = r.blob_size;
  info.tar_size = r.tar_size;
  info.size = staged.size;
  Debug("committing layer " + r.blob_digest.str() + " as " + info.chain_id.str());

  StoreLock lock(layout_);
  HoldInCurrentLease(info);
  if (Has(info.chain_id)) return Get(info.chain_id);  // someone else made it meanwhile
  CommitLayerDir(layout_, *this, *staged.dir, info);
  staged.dir.reset();
  return Get(info.chain_id);
}

LayerInfo LayerStore::CreateFromDiffDir(const std::string& diff_dir, const std::optional<Digest>& parent,
                                        const Digest& blob_digest, uint64_t blob_size, const Digest& diff_id,
                                        uint64_t tar_size, std::optional<uint64_t> tree_size) {
  if (parent && !Has(*parent)) throw Error("parent layer " + parent->str() + ": not found");
  LayerInfo info;
  info.chain_id = ChainId(parent, diff_id);
  info.diff_id = diff_id;
  info.parent = parent;
  info.blob_digest = blob_digest;
  info.blob_size = blob_size;
  info.tar_size = tar_size;
  info.size = tree_size ? *tree_size : TreeSize(diff_dir);
  TempDir staging(layout_.TmpDir(), "layer-");
  StoreLock lock(layout_);
  HoldInCurrentLease(info);
  if (Has(info.chain_id)) return Get(info.chain_id);
  if (rename(diff_dir.c_str(), (staging.path() + "/diff").c_str()) != 0) ThrowErrno("move " + diff_dir);
  CommitLayerDir(layout_, *this, staging, info);
  return Get(info.chain_id);
}

void LayerStore::RecordBlob(const Digest& chain_id, const Digest& blob_digest, uint64_t blob_size) {
  StoreLock lock(layout_);
  if (!Has(chain_id)) throw Error("layer " + chain_id.str() + ": not found");
  LayerInfo info = Get(chain_id);
  info.blob_digest = blob_digest;
  HoldInCurrentLease(info);
  std::string meta = layout_.LayerMeta(chain_id);
  WriteFileAtomic(meta + "/blob-size", std::to_string(blob_size));
  WriteFileAtomic(meta + "/blob-digest", blob_digest.str());
}

LayerBlob LayerStore::RecordExtraBlob(const Digest& chain_id, const LayerBlob& blob) {
  StoreLock lock(layout_);
  if (!Has(chain_id)) throw Error("layer " + chain_id.str() + ": not found");
  LayerInfo info = Get(chain_id);
  if (auto have = FindLayerBlob(info.extra_blobs, blob.format, blob.level)) {
    info.extra_blobs = {*have};
    HoldInCurrentLease(info);
    return *have;
  }
  info.extra_blobs.push_back(blob);
  HoldInCurrentLease(info);
  WriteFileAtomic(layout_.LayerMeta(chain_id) + "/" + kLayerBlobsFile, FormatLayerBlobs(info.extra_blobs));
  return blob;
}

void LayerStore::Remove(const Digest& chain_id) {
  std::string hex = chain_id.hex();
  RemoveTreeAway(layout_.LayerMeta(chain_id), kLayerRecordTmpPrefix);
  if (auto link = ReadFileIfExists(layout_.LayerDir(hex) + "/link")) {
    if (!link->empty() && link->find('/') == std::string::npos) unlink(layout_.Link(*link).c_str());
  }
  RemoveTree(layout_.LayerDir(hex));
}

}  // namespace mini
