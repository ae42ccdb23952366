#include "store/store_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>
#include <thread>

#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "common/staging.h"
#include "store/blob_store.h"
#include "store/layer_store.h"
#include "store/lease.h"
#include "store/oci_types.h"
#include "store/store_check_internal.h"
#include "store/store_lock.h"

namespace mini {

using nlohmann::json;

std::string StoreFault::Line() const {
  switch (kind) {
    case Kind::kBlob: return "blob " + digest.str() + ": " + what;
    case Kind::kLayer: return "layer " + digest.str() + ": " + what;
    case Kind::kImage: return "image " + digest.str() + ": " + what;
    case Kind::kOrphanDir: return "overlay2/" + name + ": " + what;
    case Kind::kDanglingLink: return "overlay2/l/" + name + ": " + what;
    case Kind::kDanglingRef: return "refs.json: " + what;  // what names the entry
    case Kind::kStray: return name + ": " + what;
  }
  return what;
}

namespace {

std::string CountOf(size_t n, std::string what) {
  if (n != 1) what = what.back() == 'y' ? what.substr(0, what.size() - 1) + "ies" : what + "s";
  return std::to_string(n) + " " + what;
}

}  // namespace

std::string StoreCheck::Summary() const {
  return "checked " + CountOf(blobs, "blob") + " (" + HumanSize(blob_bytes) + "), " + CountOf(layers, "layer") + ", " +
         CountOf(images, "image") + ": " + (clean() ? "no faults" : CountOf(faults.size(), "fault"));
}

std::string RepairPlan::Summary() const {
  return "removed " + CountOf(images.size(), "image") + ", " + CountOf(layers.size(), "layer") + ", " +
         CountOf(blobs.size(), "blob") + ", " + CountOf(paths.size() + refs.size(), "garbage entry") + "; " +
         std::to_string(left()) + " left";
}

namespace check_internal {

bool IsShortId(const std::string& s) {
  if (s.size() != 26) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'); });
}

std::optional<std::string> ExpectedLower(const std::map<Digest, LayerFacts>& layers, const Digest& chain) {
  auto it = layers.find(chain);
  if (it == layers.end() || !it->second.parent_known) return std::nullopt;
  std::string lower;
  std::optional<Digest> p = it->second.parent;
  for (size_t steps = 0; p; steps++) {
    auto pit = layers.find(*p);
    if (pit == layers.end() || !pit->second.link || !pit->second.parent_known || steps > layers.size())
      return std::nullopt;
    lower += (lower.empty() ? "" : ":") + std::string("l/") + *pit->second.link;
    p = pit->second.parent;
  }
  return lower;
}

}  // namespace check_internal

namespace {

using check_internal::LayerFacts;

std::string Quote(const std::string& s) {
  std::string shown = s.size() > 80 ? s.substr(0, 80) + "..." : s;
  return "\"" + shown + "\"";
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

/// A small file's content (trimmed); nullopt if absent. `error` is set (and nullopt returned)
/// when it exists but cannot be read.
std::optional<std::string> ReadSmall(const std::string& path, std::string* error) {
  try {
    auto s = ReadFileIfExists(path, 1 << 16);
    if (!s) return std::nullopt;
    return Trimmed(*s);
  } catch (const Error& e) {
    *error = e.what();
    return std::nullopt;
  }
}

bool IsDecimal(const std::string& s) {
  return !s.empty() && s.size() < 20 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct BlobState {
  bool ok = false;  ///< hashes to its name
  uint64_t size = 0;
};

class Checker {
 public:
  Checker(const Layout& layout, const CheckOptions& opts, StoreCheck* out)
      : layout_(layout), opts_(opts), out_(out) {}

  /// Phase one, without the store lock: hashes every blob.
  void HashBlobs();
  /// Phase two, under the store lock: everything else.
  void CheckMetadata() {
    CheckLayerRecords();
    CheckLayerDirs();
    CheckImages();
    CheckRefs();
    CheckOverlayGarbage();
  }

 private:
  void Add(StoreFault::Kind k, const Digest& d, const std::string& what) { out_->faults.push_back({k, d, "", what}); }
  void AddNamed(StoreFault::Kind k, const std::string& name, const std::string& what) {
    out_->faults.push_back({k, Digest(), name, what});
  }
  void Layer(const Digest& d, const std::string& what) { Add(StoreFault::Kind::kLayer, d, what); }
  void Image(const Digest& d, const std::string& what) { Add(StoreFault::Kind::kImage, d, what); }
  /// The blob as hashed in phase one; one stored since (by a pull or build that finished in
  /// between) was verified by BlobStore when it was written and counts as good.
  const BlobState* Blob(const Digest& d) {
    auto it = blobs_.find(d);
    if (it != blobs_.end()) return &it->second;
    struct stat st;
    if (lstat(layout_.Blob(d).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
    return &(blobs_[d] = {true, static_cast<uint64_t>(st.st_size)});
  }
  bool BlobOk(const Digest& d) {
    const BlobState* b = Blob(d);
    return b && b->ok;
  }
  bool BlobPresent(const Digest& d) { return Blob(d) != nullptr; }
  /// A manifest descriptor's size against the blob's (when the blob is here and good). The blob
  /// hashes to its name, so its bytes are right and the manifest is what is wrong: a fault of the image.
  void CheckRecordedSize(const Digest& image, const Digest& blob, uint64_t recorded, const std::string& by) {
    const BlobState* b = Blob(blob);
    if (!b || !b->ok || b->size == recorded) return;
    Image(image, by + " gives blob " + blob.str() + " " + std::to_string(recorded) + " bytes, it has " +
                     std::to_string(b->size));
  }

  void CheckLayerRecords();
  void CheckLayerDirs();
  void CheckImages();
  void CheckImage(const Digest& id);
  void CheckRefs();
  void CheckOverlayGarbage();

  const Layout& layout_;
  const CheckOptions& opts_;
  StoreCheck* out_;
  std::map<Digest, BlobState> blobs_;
  std::map<Digest, LayerFacts> layers_;
};

void Checker::HashBlobs() {
  std::vector<std::string> names = ListDirNames(layout_.BlobsDir());
  std::sort(names.begin(), names.end());
  struct Result {
    bool present = true;
    Digest got;
    uint64_t size = 0;
    std::string error;
  };
  std::vector<Result> results(names.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next++) < names.size();) {
      if (!Digest::IsValidHex(names[i])) continue;
      std::string path = layout_.BlobsDir() + "/" + names[i];
      struct stat st;
      if (lstat(path.c_str(), &st) != 0) {
        results[i].present = false;  // removed meanwhile (rmi, prune)
        continue;
      }
      if (!S_ISREG(st.st_mode)) {
        results[i].error = "not a regular file";
        continue;
      }
      try {
        results[i].got = Sha256OfFile(path, &results[i].size);
      } catch (const Error& e) {
        results[i].error = e.what();
      }
    }
  };
  unsigned n = opts_.hash_threads ? opts_.hash_threads : std::min(4u, std::max(1u, std::thread::hardware_concurrency()));
  n = std::max(1u, std::min<unsigned>(n, names.size()));
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n; t++) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();

  for (size_t i = 0; i < names.size(); i++) {
    if (!Digest::IsValidHex(names[i])) {
      AddNamed(StoreFault::Kind::kStray, "blobs/sha256/" + names[i], "not a blob name");
      continue;
    }
    const Result& r = results[i];
    if (!r.present) continue;
    Digest d = Digest::FromHex(names[i]);
    out_->blobs++;
    out_->blob_bytes += r.size;
    if (!r.error.empty()) {
      blobs_[d] = {false, 0};
      Add(StoreFault::Kind::kBlob, d, "unreadable: " + r.error);
    } else if (!(r.got == d)) {
      blobs_[d] = {false, r.size};
      Add(StoreFault::Kind::kBlob, d, "digest mismatch (content is " + r.got.str() + ")");
    } else {
      blobs_[d] = {true, r.size};
    }
  }
}

void Checker::CheckLayerRecords() {
  std::vector<std::string> names = ListDirNames(layout_.LayersMetaDir());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (!Digest::IsValidHex(n)) {
      // A record being written (a live writer's, or a killed one's within the grace time, which
      // the stale-entry sweep removes later) is not a fault.
      if (n.find(kLayerRecordTmpPrefix) != std::string::npos && IsEntryBeingMade(layout_.LayersMetaDir(), n)) continue;
      AddNamed(StoreFault::Kind::kStray, "layers/" + n, "not a layer record");
      continue;
    }
    Digest chain = Digest::FromHex(n);
    out_->layers++;
    LayerFacts& f = layers_[chain];
    std::string meta = layout_.LayerMeta(chain);
    if (!IsDirectory(meta)) {
      Layer(chain, "record is not a directory");
      out_->layer_parent[chain] = std::nullopt;
      continue;
    }
    // Each record file: missing, unreadable or malformed is a fault of the layer.
    auto field = [&](const char* file) -> std::optional<std::string> {
      std::string err;
      auto v = ReadSmall(meta + "/" + file, &err);
      if (!v) Layer(chain, std::string("record file ") + file + (err.empty() ? " missing" : " unreadable: " + err));
      return v;
    };
    auto digest_field = [&](const char* file) -> std::optional<Digest> {
      auto v = field(file);
      if (!v) return std::nullopt;
      auto d = Digest::TryParse(*v);
      if (!d) Layer(chain, std::string("record file ") + file + " holds " + Quote(*v) + ", not a digest");
      return d;
    };
    f.diff_id = digest_field("diff-id");
    f.has_record = f.diff_id.has_value() || PathExists(meta + "/diff-id");
    if (auto p = field("parent")) {
      if (p->empty()) {
        f.parent_known = true;
      } else if (auto d = Digest::TryParse(*p)) {
        f.parent = d;
        f.parent_known = true;
      } else {
        Layer(chain, "record file parent holds " + Quote(*p) + ", not a digest");
      }
    }
    f.blob_digest = digest_field("blob-digest");
    for (const char* file : {"blob-size", "tar-size", "size"}) {
      auto v = field(file);
      if (v && !IsDecimal(*v)) Layer(chain, std::string("record file ") + file + " holds " + Quote(*v) + ", not a size");
      if (v && IsDecimal(*v) && std::string(file) == "blob-size") f.blob_size = std::stoull(*v);
    }
    if (f.diff_id && f.parent_known) {
      Digest want = LayerStore::ChainId(f.parent, *f.diff_id);
      if (!(want == chain))
        Layer(chain, "chain id does not match its parent and diff id (they give " + want.str() + ")");
    }
    // The link name, for the lower lists of the layers above.
    std::string err;
    f.link_raw = ReadSmall(layout_.LayerDir(n) + "/link", &err);
    f.link_error = err;
    if (f.link_raw && check_internal::IsShortId(*f.link_raw)) f.link = f.link_raw;
    out_->layer_parent[chain] = f.parent;
  }
}

void Checker::CheckLayerDirs() {
  for (const auto& [chain, f] : layers_) {
    std::string hex = chain.hex();
    if (f.parent && !(layers_.count(*f.parent) && layers_.at(*f.parent).has_record))
      Layer(chain, "parent " + f.parent->str() + " has no layer record");
    const BlobState* blob = f.blob_digest && f.blob_size ? Blob(*f.blob_digest) : nullptr;
    if (blob && blob->ok && blob->size != *f.blob_size)
      Layer(chain, "blob-size is " + std::to_string(*f.blob_size) + ", but blob " + f.blob_digest->str() + " has " +
                       std::to_string(blob->size) + " bytes");
    struct stat st;
    std::string dir = layout_.LayerDir(hex);
    if (lstat(dir.c_str(), &st) != 0) {
      Layer(chain, "overlay2/" + hex + " missing");
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      Layer(chain, "overlay2/" + hex + " is not a directory");
      continue;
    }
    if (lstat(layout_.LayerDiff(hex).c_str(), &st) != 0)
      Layer(chain, "diff/ missing");
    else if (!S_ISDIR(st.st_mode))
      Layer(chain, "diff/ is not a directory");

    if (!f.link_raw) {
      Layer(chain, f.link_error.empty() ? "link file missing" : "link file unreadable: " + f.link_error);
    } else if (!f.link) {
      Layer(chain, "link file holds " + Quote(*f.link_raw) + ", not a 26-character short id");
    } else {
      std::string l = layout_.Link(*f.link);
      std::string want = "../" + hex + "/diff";
      char buf[512];
      ssize_t len = readlink(l.c_str(), buf, sizeof(buf) - 1);
      if (len < 0 && (errno == ENOENT || errno == ENOTDIR))
        Layer(chain, "l/" + *f.link + " link missing");
      else if (len < 0 && errno == EINVAL)
        Layer(chain, "l/" + *f.link + " is not a symlink");
      else if (len < 0)
        Layer(chain, "l/" + *f.link + " unreadable: " + std::strerror(errno));
      else if (std::string(buf, len) != want)
        Layer(chain, "l/" + *f.link + " points at " + Quote(std::string(buf, len)) + ", not " + want);
    }

    std::string err;
    auto lower = ReadSmall(dir + "/lower", &err);
    if (!err.empty()) {
      Layer(chain, "lower file unreadable: " + err);
    } else if (f.parent_known && !f.parent) {
      if (lower && !lower->empty()) Layer(chain, "bottom layer has a lower file (" + Quote(*lower) + ")");
    } else if (auto want = check_internal::ExpectedLower(layers_, chain)) {
      if (!lower)
        Layer(chain, "lower file missing (expected " + Quote(*want) + ")");
      else if (*lower != *want)
        Layer(chain, "lower is " + Quote(*lower) + ", expected " + Quote(*want));
    }
  }
}

void Checker::CheckImages() {
  std::vector<std::string> names = ListDirNames(layout_.ImagesDir());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (n == "refs.json") continue;
    // An image record being made or removed (a live writer's; a killed one's is swept later).
    if (n.find(kImageRecordTmpPrefix) != std::string::npos && IsEntryBeingMade(layout_.ImagesDir(), n)) continue;
    if (Digest::IsValidHex(n))
      CheckImage(Digest::FromHex(n));
    else
      AddNamed(StoreFault::Kind::kStray, "images/" + n, "not an image record");
  }
}

void Checker::CheckImage(const Digest& id) {
  out_->images++;
  StoreCheck::ImageDeps& deps = out_->images_deps[id];
  std::string err;
  auto mref = ReadSmall(layout_.ImageDir(id) + "/manifest", &err);
  if (!mref) return Image(id, err.empty() ? "manifest file missing" : "manifest file unreadable: " + err);
  auto md = Digest::TryParse(*mref);
  if (!md) return Image(id, "manifest file holds " + Quote(*mref) + ", not a digest");
  deps.blobs.push_back(*md);
  deps.blobs.push_back(id);
  if (!BlobPresent(*md)) return Image(id, "manifest blob " + md->str() + " missing");
  if (!BlobOk(*md)) return;  // the blob's own fault; a repair takes the image with it
  Manifest m;
  try {
    m = ParseManifest(ReadFile(layout_.Blob(*md), kMaxDocumentSize));
  } catch (const std::exception& e) {
    return Image(id, "manifest blob " + md->str() + " does not parse: " + e.what());
  }
  for (const auto& l : m.layers) deps.blobs.push_back(l.digest);
  std::string by = "manifest " + md->str();
  if (!(m.config.digest == id)) Image(id, by + " names config " + m.config.digest.str() + ", not the image id");
  CheckRecordedSize(id, m.config.digest, m.config.size, by);
  std::vector<size_t> deferred;  // uncompressed tars without a blob: checked against the diff ids below
  for (size_t i = 0; i < m.layers.size(); i++) {
    const Descriptor& l = m.layers[i];
    if (BlobPresent(l.digest))
      CheckRecordedSize(id, l.digest, l.size, by);
    else if (l.media_type == media::kOciLayer || l.media_type == media::kDockerLayer)
      deferred.push_back(i);
    else
      Image(id, "layer blob " + l.digest.str() + " missing");
  }
  if (!BlobPresent(id)) return Image(id, "config blob missing");
  if (!BlobOk(id)) return;
  std::vector<Digest> diff_ids;
  try {
    json c = ParseJson(ReadFile(layout_.Blob(id), kMaxDocumentSize), "config");
    const json* ids = c.is_object() && c.contains("rootfs") && c["rootfs"].is_object() && c["rootfs"].contains("diff_ids")
                          ? &c["rootfs"]["diff_ids"]
                          : nullptr;
    if (!ids || !ids->is_array()) return Image(id, "config blob has no rootfs.diff_ids list");
    for (const auto& d : *ids) {
      auto dd = d.is_string() ? Digest::TryParse(d.get<std::string>()) : std::nullopt;
      if (!dd) return Image(id, "config blob lists an invalid diff id " + Quote(d.dump()));
      diff_ids.push_back(*dd);
    }
  } catch (const std::exception& e) {
    return Image(id, std::string("config blob does not parse: ") + e.what());
  }
  if (diff_ids.size() != m.layers.size())
    Image(id, "config lists " + std::to_string(diff_ids.size()) + " diff ids, the manifest " +
                  std::to_string(m.layers.size()) + " layers");
  // A layer committed without a blob (store/deferred_layer.h) is named by its diff id.
  for (size_t i : deferred)
    if (i >= diff_ids.size() || !(m.layers[i].digest == diff_ids[i]))
      Image(id, "layer blob " + m.layers[i].digest.str() + " missing");
  std::optional<Digest> chain;
  for (const auto& d : diff_ids) {
    chain = LayerStore::ChainId(chain, d);
    deps.chain_ids.push_back(*chain);
    auto it = layers_.find(*chain);
    if (it == layers_.end() || !it->second.has_record) Image(id, "layer " + chain->str() + " missing");
  }
}

void Checker::CheckRefs() {
  std::optional<std::string> data;
  json j;
  try {
    data = ReadFileIfExists(layout_.RefsFile(), kMaxDocumentSize);
    if (!data) return;
    j = ParseJson(*data, "refs");
  } catch (const Error& e) {
    return AddNamed(StoreFault::Kind::kStray, "images/refs.json", e.what());
  }
  for (const char* kind : {"tags", "digests"}) {
    if (!j.is_object() || !j.contains(kind)) continue;
    if (!j[kind].is_object()) {
      AddNamed(StoreFault::Kind::kStray, "images/refs.json", std::string(kind) + " is not an object");
      continue;
    }
    for (auto& [name, target] : j[kind].items()) {
      std::string t = target.is_string() ? target.get<std::string>() : target.dump();
      auto d = Digest::TryParse(t);
      if (d && PathExists(layout_.ImageDir(*d) + "/manifest")) continue;
      std::string what = std::string(kind == std::string("tags") ? "tag " : "digest reference ") + name +
                         " points at missing image " + t;
      AddNamed(StoreFault::Kind::kDanglingRef, std::string(kind) + ":" + name, what);
    }
  }
}

void Checker::CheckOverlayGarbage() {
  std::vector<std::string> names = ListDirNames(layout_.Overlay2Dir());
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (n == "l") continue;
    if (Digest::IsValidHex(n) && layers_.count(Digest::FromHex(n))) continue;  // a layer: checked above
    if (opts_.is_container_dir && opts_.is_container_dir(n)) continue;
    AddNamed(StoreFault::Kind::kOrphanDir, n, "directory without a layer record");
  }
  names = ListDirNames(layout_.LinksDir());
  std::sort(names.begin(), names.end());
  for (const auto& s : names) {
    char buf[512];
    ssize_t len = readlink(layout_.Link(s).c_str(), buf, sizeof(buf) - 1);
    if (len < 0) {
      AddNamed(StoreFault::Kind::kDanglingLink, s, errno == EINVAL ? "not a symlink" : std::strerror(errno));
      continue;
    }
    std::string t(buf, len);
    std::string hex = t.size() == 3 + 64 + 5 && t.rfind("../", 0) == 0 && t.substr(67) == "/diff" ? t.substr(3, 64) : "";
    if (!Digest::IsValidHex(hex)) {
      AddNamed(StoreFault::Kind::kDanglingLink, s, "link to " + Quote(t) + ", not to a layer's diff/");
      continue;
    }
    auto it = layers_.find(Digest::FromHex(hex));
    if (it == layers_.end()) {
      bool exists = PathExists(layout_.LayerDiff(hex));
      AddNamed(StoreFault::Kind::kDanglingLink, s,
               exists ? "link to " + t + ", which has no layer record" : "dangling link to " + t);
    } else if (it->second.link_raw && *it->second.link_raw != s) {
      AddNamed(StoreFault::Kind::kDanglingLink, s, "stale link to " + t + " (the layer's link is " + Quote(*it->second.link_raw) + ")");
    }
  }
}

}  // namespace

namespace check_internal {

StoreCheck RunCheck(const Layout& layout, const CheckOptions& opts, const std::function<void(StoreCheck&)>& locked) {
  StoreCheck out;
  Checker c(layout, opts, &out);
  c.HashBlobs();
  StoreLock lock(layout);
  c.CheckMetadata();
  if (locked) locked(out);
  return out;
}

}  // namespace check_internal

CheckOptions CheckOptionsFromLeases(const Layout& layout) {
  auto layers = std::make_shared<std::set<Digest>>();
  auto dirs = std::make_shared<std::set<std::string>>();
  {
    LayerStore store(layout);
    for (const auto& l : LiveLeases(layout)) {
      dirs->insert(l.resources.dirs.begin(), l.resources.dirs.end());
      for (const auto& c : l.resources.layers) {
        // The layer and its ancestors, as far as their records go.
        for (std::optional<Digest> cur = c; cur && layers->insert(*cur).second;) {
          auto p = ReadFileIfExists(layout.LayerMeta(*cur) + "/parent", 1024);
          cur = p ? Digest::TryParse(*p) : std::nullopt;
        }
      }
    }
  }
  CheckOptions opts;
  opts.layer_in_use = [layers](const Digest& chain) { return layers->count(chain) > 0; };
  opts.is_container_dir = [dirs](const std::string& name) { return dirs->count(name) > 0; };
  return opts;
}

StoreCheck CheckStore(const Layout& layout, const CheckOptions& opts) {
  return check_internal::RunCheck(layout, opts, nullptr);
}

}  // namespace mini
