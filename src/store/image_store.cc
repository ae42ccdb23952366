#include "store/image_store.h"


#include <algorithm>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "store/blob_store.h"
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
  for (const auto& d : diff_ids) {
    chain = LayerStore::ChainId(chain, Digest::Parse(d.get<std::string>()));
    if (!layers_.Has(*chain)) throw Error("layer " + chain->str() + ": not in the store");
  }
  for (const auto& l : m.layers)
    if (!blobs.Has(l.digest)) throw Error("blob " + l.digest.str() + ": not in the store");
  StoreLock lock(layout_);
  std::string dir = layout_.ImageDir(m.config.digest);
  if (!PathExists(dir + "/manifest")) {
    MakeDirs(dir);
    WriteFileAtomic(dir + "/manifest", manifest_digest.str());
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

void ImageStore::Tag(const Reference& ref, const Digest& id) {
  if (ref.tag.empty()) throw Error("cannot tag with a digest reference: " + ref.String());
  if (!PathExists(layout_.ImageDir(id) + "/manifest")) throw Error("No such image: " + id.str());
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
  if (!mref) throw Error("No such image: " + id.str());
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
      if (match) throw Error("image id prefix \"" + name + "\" is ambiguous");
      match = Digest::FromHex(n);
    }
    if (match && exists(*match)) return Get(*match);
  }
  return std::nullopt;
}

ImageRecord ImageStore::Resolve(const std::string& name) const {
  auto rec = Find(name);
  if (!rec) throw Error("No such image: " + name);
  return *rec;
}

std::vector<std::string> ImageStore::ContainersUsing(const Digest& id) const {
  std::vector<std::string> out;
  for (const auto& n : ListDirNames(layout_.ContainersDir())) {
    if (n[0] == '.') continue;  // the runner's ".lock"
    auto data = ReadFileIfExists(layout_.ContainerDir(n) + "/config.json", kMaxDocumentSize);
    if (!data) continue;
    try {
      json c = json::parse(*data);
      if (c.value("Image", "") == id.str()) out.push_back(n);
    } catch (const json::exception&) {
    }
  }
  return out;
}

std::vector<std::string> ImageStore::Delete(const std::string& name, bool force) {
  ImageRecord rec = Resolve(name);
  std::vector<std::string> out;
  auto users = ContainersUsing(rec.id);
  auto ref = TryParseReference(name);
  bool by_tag = ref && !ref->digest && !Digest::TryParse(name) && !Digest::IsValidHex(name) &&
                std::find(rec.repo_tags.begin(), rec.repo_tags.end(), ref->Familiar()) != rec.repo_tags.end();
  if (by_tag && rec.repo_tags.size() > 1) {
    Untag(*ref);
    return {"Untagged: " + ref->Familiar()};
  }
  if (!users.empty())
    throw Error("conflict: unable to delete " + rec.id.Short() + " (cannot be forced) - image is being used by container " +
                users[0].substr(0, 12));
  if (!by_tag && rec.repo_tags.size() > 1 && !force)
    throw Error("conflict: unable to delete " + rec.id.Short() +
                " (must be forced) - image is referenced in multiple repositories");
  StoreLock lock(layout_);
  for (const auto& t : rec.repo_tags) out.push_back("Untagged: " + t);
  for (const auto& t : rec.repo_digests) out.push_back("Untagged: " + t);
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
  RemoveTree(layout_.ImageDir(id));
  std::vector<Digest> blobs{rec.manifest_digest, rec.id};
  for (const auto& l : rec.manifest["layers"]) blobs.push_back(Digest::Parse(l["digest"].get<std::string>()));
  CollectGarbageLocked(&rec.chain_ids, &blobs);
}

ImageStore::PruneResult ImageStore::CollectGarbageLocked(const std::vector<Digest>* candidate_layers,
                                                         const std::vector<Digest>* candidate_blobs) {
  std::set<Digest> used_layers, used_blobs;
  for (const auto& rec : List()) {
    used_layers.insert(rec.chain_ids.begin(), rec.chain_ids.end());
    used_blobs.insert(rec.manifest_digest);
    used_blobs.insert(rec.id);
    for (const auto& l : rec.manifest["layers"]) used_blobs.insert(Digest::Parse(l["digest"].get<std::string>()));
  }
  // A layer is also needed by any layer above it that stays.
  for (const auto& l : layers_.List())
    if (used_layers.count(l.chain_id)) {
      for (auto p = l.parent; p; p = layers_.Has(*p) ? layers_.Get(*p).parent : std::nullopt) used_layers.insert(*p);
    }
  PruneResult res;
  std::vector<Digest> layer_list;
  if (candidate_layers) {
    layer_list = *candidate_layers;
  } else {
    for (const auto& l : layers_.List()) layer_list.push_back(l.chain_id);
  }
  // Top layers first so a parent is never removed before its child.
  std::reverse(layer_list.begin(), layer_list.end());
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

ImageStore::PruneResult ImageStore::Prune() {
  StoreLock lock(layout_);
  PruneResult res = CollectGarbageLocked(nullptr, nullptr);
  // Layer directories without a record (a crash between rename and record) and dangling links.
  // A container's rw layer overlay2/<container id> has a 64-hex name too, and no record.
  for (const auto& n : ListDirNames(layout_.Overlay2Dir())) {
    if (Digest::IsValidHex(n) && !layers_.Has(Digest::FromHex(n)) && !PathExists(layout_.ContainerDir(n))) {
      layers_.Remove(Digest::FromHex(n));
      res.layers++;
    }
  }
  RemoveStaleEntries(layout_.TmpDir());
  RemoveTree(layout_.BuildCacheDir());  // like `docker system prune`, which drops the build cache
  return res;
}

}  // namespace mini
