#include "store/image_store.h"


#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "store/blob_store.h"
#include "store/lease.h"
#include "store/store_lock.h"

namespace mini {

using nlohmann::json;

namespace {

/// refs.json: {"tags": {"<full ref with tag>": "sha256:<id>"}, "digests": {"<name@digest>": "sha256:<id>"}}
json ReadRefs(const Layout& layout) {
  auto data = ReadFileIfExists(layout.RefsFile(), kMaxDocumentSize);
  json j = data ? ParseJson(*data, layout.RefsFile()) : json::object();
  if (!j.contains("tags")) j["tags"] = json::object();
  if (!j.contains("digests")) j["digests"] = json::object();
  return j;
}

void WriteRefs(const Layout& layout, const json& j) {
  MakeDirs(layout.ImagesDir());
  WriteFileAtomic(layout.RefsFile(), j.dump(2) + "\n");
}

std::string FamiliarOf(const std::string& stored) {
  auto r = TryParseReference(stored);
  return r ? r->Familiar() : stored;
}

bool IsHexPrefix(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

Digest ImageStore::AddImage(const Digest& manifest_digest) {
  BlobStore blobs(layout_);
  std::string mbytes = blobs.Read(manifest_digest);
  Manifest m = WithContext("manifest " + manifest_digest.str(), [&] { return ParseManifest(mbytes); });
  json config = ParseJson(blobs.Read(m.config.digest), "config " + m.config.digest.str());
  auto diff_ids = config.value("/rootfs/diff_ids"_json_pointer, json::array());
  if (!diff_ids.is_array() || diff_ids.size() != m.layers.size())
    throw Error("config " + m.config.digest.str() + ": rootfs.diff_ids does not match the manifest's layers");
  std::optional<Digest> chain;
  for (size_t i = 0; i < diff_ids.size(); i++) {
    Digest diff = Digest::Parse(diff_ids[i].get<std::string>());
    chain = LayerStore::ChainId(chain, diff);
    if (!layers_.Has(*chain)) throw Error("layer " + chain->str() + ": not in the store");
    // A layer committed without a blob (deferred_layer.h) is named by its tar: its diff id.
    const Descriptor& l = m.layers[i];
    bool deferred = (l.media_type == media::kOciLayer || l.media_type == media::kDockerLayer) && l.digest == diff;
    if (!deferred && !blobs.Has(l.digest)) throw Error("blob " + l.digest.str() + ": not in the store");
  }
  StoreLock lock(layout_);
  // Held by the operation that adds it until it is tagged (a prune meanwhile keeps it).
  if (Lease* lease = CurrentLease()) {
    LeaseResources r;
    r.images.insert(m.config.digest);
    r.blobs = {manifest_digest, m.config.digest};
    for (const auto& l : m.layers) r.blobs.insert(l.digest);
    if (chain) r.layers.insert(*chain);
    lease->AddLocked(r);
  }
  std::string dir = layout_.ImageDir(m.config.digest);
  if (!PathExists(dir + "/manifest")) {
    // Made whole, then renamed into place: a kill never leaves an image directory without
    // its manifest. One found here (left by an older mini) was never visible: replaced.
    TempDir staged(layout_.ImagesDir(), kImageRecordTmpPrefix);
    WriteFileAtomic(staged.path() + "/manifest", manifest_digest.str());
    RemoveTree(dir);
    if (rename(staged.path().c_str(), dir.c_str()) != 0) ThrowErrno("rename image record into " + dir);
    staged.Release();
  }
  return m.config.digest;
}

Digest ImageStore::CreateImage(const json& config, const std::vector<Descriptor>& layers) {
  BlobStore blobs(layout_);
  std::string cbytes = CanonicalJson(config);
  Digest cd = blobs.PutBytes(cbytes);
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", media::kOciManifest},
                   {"config", {{"mediaType", media::kOciConfig}, {"digest", cd.str()}, {"size", cbytes.size()}}},
                   {"layers", json::array()}};
  for (const auto& l : layers) manifest["layers"].push_back(DescriptorToJson(l));
  Digest md = blobs.PutBytes(CanonicalJson(manifest));
  return AddImage(md);
}

void ImageStore::ReplaceManifest(const Digest& id, const Digest& manifest_digest) {
  StoreLock lock(layout_);
  std::string file = layout_.ImageDir(id) + "/manifest";
  if (PathExists(file)) WriteFileAtomic(file, manifest_digest.str());
}

void ImageStore::Tag(const Reference& ref, const Digest& id) {
  if (ref.tag.empty()) throw Error(ErrorKind::kInvalidInput, "cannot tag with a digest reference: " + ref.String());
  if (!PathExists(layout_.ImageDir(id) + "/manifest")) throw Error(ErrorKind::kNotFound, "No such image: " + id.str());
  Reference r = ref;
  r.digest.reset();
  StoreLock lock(layout_);
  json refs = ReadRefs(layout_);
  refs["tags"][r.String()] = id.str();
  WriteRefs(layout_, refs);
}

void ImageStore::AddDigestRef(const Reference& ref, const Digest& id) {
  if (!ref.digest) throw Error("not a digest reference: " + ref.String());
  StoreLock lock(layout_);
  json refs = ReadRefs(layout_);
  refs["digests"][ref.Name() + "@" + ref.digest->str()] = id.str();
  WriteRefs(layout_, refs);
}

bool ImageStore::Untag(const Reference& ref) {
  StoreLock lock(layout_);
  json refs = ReadRefs(layout_);
  bool erased = refs["tags"].erase(ref.String()) > 0;
  if (erased) WriteRefs(layout_, refs);
  return erased;
}

ImageRecord ImageStore::Get(const Digest& id) const {
  std::string dir = layout_.ImageDir(id);
  auto mref = ReadFileIfExists(dir + "/manifest", 1024);
  if (!mref) throw Error(ErrorKind::kNotFound, "No such image: " + id.str());
  BlobStore blobs(layout_);
  ImageRecord rec;
  rec.id = id;
  rec.manifest_digest = Digest::Parse(*mref);
  std::string mbytes = blobs.Read(rec.manifest_digest);
  Manifest m = ParseManifest(mbytes);
  rec.manifest_media_type = m.media_type;
  rec.manifest = ParseJson(mbytes, "manifest");
  rec.config = ParseJson(blobs.Read(id), "config " + id.str());
  std::optional<Digest> chain;
  for (const auto& d : rec.config.value("/rootfs/diff_ids"_json_pointer, json::array())) {
    Digest diff = Digest::Parse(d.get<std::string>());
    chain = LayerStore::ChainId(chain, diff);
    rec.diff_ids.push_back(diff);
    rec.chain_ids.push_back(*chain);
    if (layers_.Has(*chain)) rec.size += layers_.Get(*chain).size;
  }
  if (rec.config.contains("created") && rec.config["created"].is_string()) rec.created = rec.config["created"];
  json refs = ReadRefs(layout_);
  for (auto& [name, target] : refs["tags"].items())
    if (target == id.str()) rec.repo_tags.push_back(FamiliarOf(name));
  for (auto& [name, target] : refs["digests"].items())
    if (target == id.str()) rec.repo_digests.push_back(FamiliarOf(name));
  return rec;
}

std::vector<ImageRecord> ImageStore::List() const {
  std::vector<ImageRecord> out;
  for (const auto& n : ListDirNames(layout_.ImagesDir())) {
    if (!Digest::IsValidHex(n)) continue;
    Digest id = Digest::FromHex(n);
    if (PathExists(layout_.ImageDir(id) + "/manifest")) out.push_back(Get(id));
  }
  return out;
}

std::optional<ImageRecord> ImageStore::Find(const std::string& name) const {
  auto exists = [&](const Digest& d) { return PathExists(layout_.ImageDir(d) + "/manifest"); };
  if (auto d = Digest::TryParse(name)) {
    if (exists(*d)) return Get(*d);
    return std::nullopt;
  }
  if (Digest::IsValidHex(name)) {
    Digest d = Digest::FromHex(name);
    if (exists(d)) return Get(d);
    return std::nullopt;
  }
  json refs = ReadRefs(layout_);
  if (auto ref = TryParseReference(name)) {
    if (ref->digest) {
      std::string key = ref->Name() + "@" + ref->digest->str();
      if (refs["digests"].contains(key)) return Get(Digest::Parse(refs["digests"][key].get<std::string>()));
      // name@<image id> or a digest we know from the image's own manifest.
      for (const auto& rec : List())
        if ((rec.manifest_digest == *ref->digest || rec.id == *ref->digest)) {
          for (const auto& t : rec.repo_tags)
            if (auto tr = TryParseReference(t); tr && tr->Name() == ref->Name()) return rec;
          for (const auto& t : rec.repo_digests)
            if (auto tr = TryParseReference(t); tr && tr->Name() == ref->Name()) return rec;
        }
    } else if (refs["tags"].contains(ref->String())) {
      return Get(Digest::Parse(refs["tags"][ref->String()].get<std::string>()));
    }
  }
  std::string prefix = name.rfind("sha256:", 0) == 0 ? name.substr(7) : name;
  if (IsHexPrefix(prefix)) {
    std::optional<Digest> match;
    for (const auto& n : ListDirNames(layout_.ImagesDir())) {
      if (!Digest::IsValidHex(n) || n.rfind(prefix, 0) != 0) continue;
      if (match) throw Error(ErrorKind::kInvalidInput, "image id prefix \"" + name + "\" is ambiguous");
      match = Digest::FromHex(n);
    }
    if (match && exists(*match)) return Get(*match);
  }
  return std::nullopt;
}

ImageRecord ImageStore::Resolve(const std::string& name) const {
  auto rec = Find(name);
  if (!rec) throw Error(ErrorKind::kNotFound, "No such image: " + name);
  return *rec;
}

LeaseResources ImageStore::ResourcesOf(const ImageRecord& rec) {
  LeaseResources r;
  r.images.insert(rec.id);
  r.blobs = {rec.manifest_digest, rec.id};
  if (rec.manifest.contains("layers") && rec.manifest["layers"].is_array())
    for (const auto& l : rec.manifest["layers"])
      if (auto d = Digest::TryParse(l.value("digest", ""))) r.blobs.insert(*d);
  if (!rec.chain_ids.empty()) r.layers.insert(rec.chain_ids.back());
  return r;
}

void ImageStore::Hold(Lease& lease, const ImageRecord& rec) {
  StoreLock lock(layout_);
  if (!PathExists(layout_.ImageDir(rec.id) + "/manifest")) throw Error(ErrorKind::kNotFound, "No such image: " + rec.id.str() + " (just removed)");
  lease.AddLocked(ResourcesOf(rec));
}

std::vector<ImageUser> ImageStore::UsersLocked(const Digest& id) const {
  std::vector<ImageUser> out;
  for (const auto& l : LiveLeasesLocked(layout_))
    if (l.kind == "container" && l.resources.images.count(id)) out.push_back({l.owner, l.active});
  // Running ones first: they decide the message, as in Docker.
  std::stable_sort(out.begin(), out.end(), [](const ImageUser& a, const ImageUser& b) { return a.running > b.running; });
  return out;
}

std::vector<ImageUser> ImageStore::Users(const Digest& id) const {
  StoreLock lock(layout_);
  return UsersLocked(id);
}

namespace {

/// Docker's isSingleReference: one tag (plus digest references of its repository), or only
/// digest references of one repository.
bool IsSingleReference(const ImageRecord& rec) {
  std::set<std::string> digest_repos;
  for (const auto& d : rec.repo_digests)
    if (auto r = TryParseReference(d)) digest_repos.insert(r->Name());
  if (rec.repo_tags.size() + rec.repo_digests.size() <= 1) return rec.repo_tags.size() + rec.repo_digests.size() == 1;
  if (rec.repo_tags.size() > 1) return false;
  std::string name;
  if (rec.repo_tags.size() == 1) {
    auto r = TryParseReference(rec.repo_tags[0]);
    name = r ? r->Name() : rec.repo_tags[0];
  } else if (auto r = TryParseReference(rec.repo_digests[0])) {
    name = r->Name();
  }
  return digest_repos.size() == 1 && digest_repos.count(name);
}

std::string Short(const std::string& id) { return id.substr(0, 12); }

}  // namespace

std::vector<std::string> ImageStore::Delete(const std::string& name, bool force) {
  ImageRecord rec = Resolve(name);
  std::vector<std::string> out;
  StoreLock lock(layout_);
  rec = Get(rec.id);  // as it is now, under the lock
  std::vector<ImageUser> users = UsersLocked(rec.id);
  auto ref = TryParseReference(name);
  std::string prefix = name.rfind("sha256:", 0) == 0 ? name.substr(7) : name;
  bool by_id = !ref || Digest::TryParse(name) || (IsHexPrefix(prefix) && rec.id.hex().rfind(prefix, 0) == 0);
  json refs = ReadRefs(layout_);
  std::string key = ref ? (ref->digest ? ref->Name() + "@" + ref->digest->str() : ref->String()) : "";
  const char* kind = ref && ref->digest ? "digests" : "tags";
  // name@<digest> that is no recorded reference (the image's own manifest digest): by id.
  if (ref && !by_id && !refs[kind].contains(key)) by_id = true;
  if (ref && !by_id) {
    // A repository reference: removed first; the image goes only if nothing else names it.
    // Removing the last name of an image a container uses would leave it dangling: must force.
    if (!force && IsSingleReference(rec) && !users.empty())
      throw Error(ErrorKind::kConflict, "conflict: unable to remove repository reference \"" + name + "\" (must force) - container " +
                  Short(users[0].container) + " is using its referenced image " + rec.id.Short());
    refs[kind].erase(key);
    out.push_back("Untagged: " + ref->Familiar());
    // The last tag of a repository takes that repository's digest references with it.
    bool repo_tag_left = false;
    for (auto& [t, target] : refs["tags"].items())
      if (auto r = TryParseReference(t); r && r->Name() == ref->Name() && target == rec.id.str()) repo_tag_left = true;
    if (!ref->digest && !repo_tag_left) {
      std::vector<std::string> drop;
      for (auto& [d, target] : refs["digests"].items())
        if (auto r = TryParseReference(d); r && r->Name() == ref->Name() && target == rec.id.str()) drop.push_back(d);
      for (const auto& d : drop) {
        refs["digests"].erase(d);
        out.push_back("Untagged: " + FamiliarOf(d));
      }
    }
    WriteRefs(layout_, refs);
    rec = Get(rec.id);
    if (!rec.repo_tags.empty() || !rec.repo_digests.empty()) return out;
    // Untagged by force while a running container uses it: the image stays (dangling), as in
    // Docker. A stopped container's image goes; its layers stay with the container's lease.
    if (!users.empty() && users[0].running) return out;
  } else {
    if (!users.empty() && users[0].running)
      throw Error(ErrorKind::kConflict, "conflict: unable to delete " + rec.id.Short() + " (cannot be forced) - image is being used by running container " +
                  Short(users[0].container));
    bool single = IsSingleReference(rec);
    if (!force && !users.empty())
      throw Error(ErrorKind::kConflict, "conflict: unable to delete " + rec.id.Short() + " (must be forced) - image is being used by stopped container " +
                  Short(users[0].container));
    if (!single && !force && !rec.repo_tags.empty())
      throw Error(ErrorKind::kConflict, "conflict: unable to delete " + rec.id.Short() +
                  " (must be forced) - image is referenced in multiple repositories");
    for (const auto& t : rec.repo_tags) out.push_back("Untagged: " + t);
    for (const auto& t : rec.repo_digests) out.push_back("Untagged: " + t);
  }
  // The image record goes; layers and blobs that a container (or a build, a pull...) still
  // holds stay until their lease is gone.
  RemoveImageLocked(rec.id);
  out.push_back("Deleted: " + rec.id.str());
  return out;
}

void ImageStore::RemoveImageLocked(const Digest& id) {
  ImageRecord rec = Get(id);
  json refs = ReadRefs(layout_);
  for (const char* kind : {"tags", "digests"}) {
    std::vector<std::string> drop;
    for (auto& [name, target] : refs[kind].items())
      if (target == id.str()) drop.push_back(name);
    for (const auto& n : drop) refs[kind].erase(n);
  }
  WriteRefs(layout_, refs);
  RemoveTreeAway(layout_.ImageDir(id), kImageRecordTmpPrefix);
  std::vector<Digest> blobs{rec.manifest_digest, rec.id};
  for (const auto& l : rec.manifest["layers"]) blobs.push_back(Digest::Parse(l["digest"].get<std::string>()));
  // A deferred layer's gzip blob, made for another image's push, is named by the layer record only.
  for (const auto& c : rec.chain_ids)
    if (layers_.Has(c)) {
      LayerInfo info = layers_.Get(c);
      blobs.push_back(info.blob_digest);
      for (const auto& b : info.extra_blobs) blobs.push_back(b.digest);  // zstd made for a push
    }
  CollectGarbageLocked(&rec.chain_ids, &blobs, nullptr);
}

ImageStore::PruneResult ImageStore::CollectGarbageLocked(const std::vector<Digest>* candidate_layers,
                                                         const std::vector<Digest>* candidate_blobs,
                                                         const Lease* ignore) {
  std::set<Digest> used_layers, used_blobs;
  for (const auto& rec : List()) {
    used_layers.insert(rec.chain_ids.begin(), rec.chain_ids.end());
    used_blobs.insert(rec.manifest_digest);
    used_blobs.insert(rec.id);
    for (const auto& l : rec.manifest["layers"]) used_blobs.insert(Digest::Parse(l["digest"].get<std::string>()));
  }
  // Whatever a live lease holds: containers, builds, pulls, loads in progress.
  for (const auto& l : LiveLeasesLocked(layout_)) {
    if (ignore && l.name == ignore->name()) continue;
    used_layers.insert(l.resources.layers.begin(), l.resources.layers.end());
    used_blobs.insert(l.resources.blobs.begin(), l.resources.blobs.end());
  }
  // A layer is also needed by any layer above it that stays, and a kept layer keeps its blob.
  std::vector<LayerInfo> all = layers_.List();
  std::map<Digest, const LayerInfo*> by_chain;
  for (const auto& l : all) by_chain[l.chain_id] = &l;
  std::vector<Digest> todo(used_layers.begin(), used_layers.end());
  while (!todo.empty()) {
    Digest c = todo.back();
    todo.pop_back();
    auto it = by_chain.find(c);
    if (it == by_chain.end()) continue;
    used_blobs.insert(it->second->blob_digest);
    for (const auto& b : it->second->extra_blobs) used_blobs.insert(b.digest);
    if (it->second->parent && used_layers.insert(*it->second->parent).second) todo.push_back(*it->second->parent);
  }
  PruneResult res;
  std::vector<Digest> layer_list;
  if (candidate_layers) {
    layer_list = *candidate_layers;
  } else {
    for (const auto& l : all) layer_list.push_back(l.chain_id);
  }
  // Children before parents, so a parent is never removed before its child.
  std::map<Digest, int> depth;
  std::function<int(const Digest&)> depth_of = [&](const Digest& c) -> int {
    auto d = depth.find(c);
    if (d != depth.end()) return d->second;
    auto it = by_chain.find(c);
    int v = it == by_chain.end() || !it->second->parent ? 0 : 1 + depth_of(*it->second->parent);
    depth[c] = v;
    return v;
  };
  std::sort(layer_list.begin(), layer_list.end(),
            [&](const Digest& a, const Digest& b) { return depth_of(a) > depth_of(b); });
  for (const auto& c : layer_list) {
    if (used_layers.count(c) || !layers_.Has(c)) continue;
    res.bytes += layers_.Get(c).size;
    layers_.Remove(c);
    res.layers++;
  }
  BlobStore blobs(layout_);
  std::vector<Digest> blob_list = candidate_blobs ? *candidate_blobs : blobs.List();
  for (const auto& b : blob_list) {
    if (used_blobs.count(b) || !blobs.Has(b)) continue;
    res.bytes += blobs.Size(b);
    blobs.Remove(b);
    res.blobs++;
  }
  return res;
}

ImageStore::PruneResult ImageStore::CollectUnused(const std::vector<Digest>& layers, const std::vector<Digest>& blobs) {
  StoreLock lock(layout_);
  return CollectGarbageLocked(&layers, &blobs, CurrentLease());
}

std::vector<std::string> ImageStore::PruneImages(bool all, uint64_t* reclaimed) {
  std::vector<std::string> out;
  StoreLock lock(layout_);
  std::set<Digest> held;
  for (const auto& l : LiveLeasesLocked(layout_)) held.insert(l.resources.images.begin(), l.resources.images.end());
  for (const auto& rec : List()) {
    if (held.count(rec.id) || (!all && !rec.repo_tags.empty())) continue;
    for (const auto& t : rec.repo_tags) out.push_back("Untagged: " + t);
    for (const auto& t : rec.repo_digests) out.push_back("Untagged: " + t);
    RemoveImageLocked(rec.id);
    out.push_back("Deleted: " + rec.id.str());
    if (reclaimed) *reclaimed += rec.size;
  }
  return out;
}

ImageStore::PruneResult ImageStore::Prune() {
  StoreLock lock(layout_);
  PruneResult res = CollectGarbageLocked(nullptr, nullptr, nullptr);
  // Directories in overlay2/ that are neither a layer nor held by a lease (a container's own
  // layers are): a crash between rename and record, or a container's layers left behind.
  std::set<std::string> held;
  for (const auto& l : LiveLeasesLocked(layout_)) held.insert(l.resources.dirs.begin(), l.resources.dirs.end());
  for (const auto& n : ListDirNames(layout_.Overlay2Dir())) {
    if (n == "l" || held.count(n)) continue;
    if (Digest::IsValidHex(n) && layers_.Has(Digest::FromHex(n))) continue;
    if (Digest::IsValidHex(n)) {
      layers_.Remove(Digest::FromHex(n));
      res.layers++;
    } else if (n.size() == 69 && n.compare(64, 5, "-init") == 0 && Digest::IsValidHex(n.substr(0, 64))) {
      RemoveTree(layout_.LayerDir(n));
    }
  }
  // Links whose layer is gone.
  for (const auto& n : ListDirNames(layout_.LinksDir())) {
    struct stat st;
    std::string link = layout_.Link(n);
    if (stat(link.c_str(), &st) != 0 && errno == ENOENT) unlink(link.c_str());
  }
  RemoveStaleEntries(layout_.TmpDir());
  RemoveStaleEntries(layout_.LayersMetaDir(), kLayerRecordTmpPrefix);
  RemoveTree(layout_.BuildCacheDir());  // like `docker system prune`, which drops the build cache
  return res;
}

}  // namespace mini
