#include "store/lease.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/log.h"
#include "store/store_lock.h"

namespace mini {

using nlohmann::json;

namespace {

/// A ".new-" file older than this is the leftover of a process killed while creating a lease.
constexpr time_t kNewFileGraceSeconds = 600;

std::atomic<Lease*> g_current{nullptr};

/// Temporary leases are named op-<kind>-<random>, so a collector finds them by name.
constexpr const char kTemporaryPrefix[] = "op-";

json DigestsJson(const std::set<Digest>& s) {
  json a = json::array();
  for (const auto& d : s) a.push_back(d.str());
  return a;
}

void DigestsFrom(const json& j, const char* key, std::set<Digest>* out) {
  if (!j.contains(key) || !j[key].is_array()) return;
  for (const auto& v : j[key])
    if (v.is_string())
      if (auto d = Digest::TryParse(v.get<std::string>())) out->insert(*d);
}

std::string Serialize(const std::string& kind, const std::string& owner, bool persistent, const LeaseResources& r) {
  json j = {{"kind", kind},
            {"owner", owner},
            {"persistent", persistent},
            {"images", DigestsJson(r.images)},
            {"layers", DigestsJson(r.layers)},
            {"blobs", DigestsJson(r.blobs)},
            {"dirs", r.dirs}};
  return j.dump() + "\n";
}

/// Rewrites the whole file behind `fd` in place (the inode, and with it the flock, stays).
void Rewrite(int fd, const std::string& data, const std::string& what) {
  if (ftruncate(fd, 0) != 0) ThrowErrno("truncate " + what);
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = pwrite(fd, data.data() + off, data.size() - off, static_cast<off_t>(off));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("write " + what);
    }
    off += static_cast<size_t>(n);
  }
}

bool LockHeldByOthers(int fd, int how) {
  if (flock(fd, how | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
    return false;
  }
  return errno == EWOULDBLOCK;
}

}  // namespace

void LeaseResources::Merge(const LeaseResources& o) {
  images.insert(o.images.begin(), o.images.end());
  layers.insert(o.layers.begin(), o.layers.end());
  blobs.insert(o.blobs.begin(), o.blobs.end());
  dirs.insert(o.dirs.begin(), o.dirs.end());
}

Lease::Lease(const Layout& layout, std::string name, std::string kind, std::string owner, bool persistent)
    : layout_(layout), name_(std::move(name)), kind_(std::move(kind)), owner_(std::move(owner)), persistent_(persistent) {}

Lease::~Lease() {
  Lease* self = this;
  g_current.compare_exchange_strong(self, nullptr);
  if (!persistent_ && fd_) {
    // Unlinked while still locked: a collector never sees it unlocked.
    unlink(layout_.LeaseFile(name_).c_str());
  }
}

std::unique_ptr<Lease> Lease::Temporary(const Layout& layout, const std::string& kind) {
  MakeDirs(layout.LeasesDir());
  std::string name = kTemporaryPrefix + kind + "-" + RandomString(16);
  std::unique_ptr<Lease> l(new Lease(layout, name, kind, std::to_string(getpid()), false));
  std::string tmp = layout.LeasesDir() + "/.new-" + name;
  l->fd_.reset(open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!l->fd_) ThrowErrno("create lease " + tmp);
  try {
    if (flock(l->fd_.get(), LOCK_EX) != 0) ThrowErrno("lock lease " + tmp);
    Rewrite(l->fd_.get(), Serialize(kind, l->owner_, false, {}), tmp);
    // Renamed once locked: a collector never meets it unlocked.
    if (rename(tmp.c_str(), layout.LeaseFile(name).c_str()) != 0) ThrowErrno("create lease " + name);
  } catch (...) {
    unlink(tmp.c_str());
    l->fd_.reset();
    throw;
  }
  return l;
}

std::unique_ptr<Lease> Lease::CreatePersistent(const Layout& layout, const std::string& name, const std::string& kind,
                                               const std::string& owner, const LeaseResources& res) {
  MakeDirs(layout.LeasesDir());
  std::unique_ptr<Lease> l(new Lease(layout, name, kind, owner, true));
  l->res_ = res;
  StoreLock lock(layout);
  for (const auto& c : res.layers)
    if (!PathExists(layout.LayerMeta(c) + "/diff-id"))
      throw Error("layer " + c.str() + ": not in the store (was its image just removed?)");
  for (const auto& id : res.images)
    if (!PathExists(layout.ImageDir(id) + "/manifest")) throw Error(ErrorKind::kNotFound, "No such image: " + id.str());
  // Written whole and renamed: readers never see a torn record. No fsync: like the container
  // records it belongs to (a container does not outlive a crash of the machine it ran on).
  std::string path = layout.LeaseFile(name), tmp = layout.LeasesDir() + "/.new-" + name;
  {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) ThrowErrno("create lease " + tmp);
    std::string data = Serialize(kind, owner, true, res);
    WriteAll(fd.get(), data.data(), data.size(), tmp);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    ThrowErrno("create lease " + name, err);
  }
  return l;
}

void Lease::RemovePersistent(const Layout& layout, const std::string& name) {
  if (unlink(layout.LeaseFile(name).c_str()) != 0 && errno != ENOENT) ThrowErrno("remove lease " + name);
}

UniqueFd Lease::HoldActive(const Layout& layout, const std::string& name) {
  UniqueFd fd(open(layout.LeaseFile(name).c_str(), O_RDONLY | O_CLOEXEC));
  if (fd) (void)flock(fd.get(), LOCK_EX | LOCK_NB);  // a second holder (it cannot run twice) adds nothing
  return fd;
}

void Lease::WriteLocked() { Rewrite(fd_.get(), Serialize(kind_, owner_, persistent_, res_), "lease " + name_); }

void Lease::AddLocked(const LeaseResources& r) {
  std::lock_guard<std::mutex> g(mu_);
  size_t before = res_.images.size() + res_.layers.size() + res_.blobs.size() + res_.dirs.size();
  res_.Merge(r);
  if (res_.images.size() + res_.layers.size() + res_.blobs.size() + res_.dirs.size() != before) WriteLocked();
}

void Lease::Add(const LeaseResources& r) {
  StoreLock lock(layout_);
  AddLocked(r);
}

void Lease::AddBlob(const Digest& d) {
  LeaseResources r;
  r.blobs.insert(d);
  Add(r);
}

bool Lease::AddLayerIfExists(const Digest& chain) {
  StoreLock lock(layout_);
  auto blob = ReadFileIfExists(layout_.LayerMeta(chain) + "/blob-digest", 1024);
  if (!blob) return false;
  LeaseResources r;
  r.layers.insert(chain);
  if (auto d = Digest::TryParse(*blob)) r.blobs.insert(*d);
  AddLocked(r);
  return true;
}

Lease* CurrentLease() { return g_current.load(); }

void CollectStale(const Layout& layout) {
  RemoveStaleEntries(layout.TmpDir());
  RemoveStaleEntries(layout.LayersMetaDir(), kLayerRecordTmpPrefix);  // a record being written
  {
    // Every writer of images/ (refs.json and images/<id>/manifest, each by WriteFileAtomic; an
    // image record made or removed whole, kImageRecordTmpPrefix) holds the store lock: a temp
    // entry seen under it was left by a killed process.
    StoreLock lock(layout);
    auto sweep = [](const std::string& dir) {
      for (const auto& n : ListDirNames(dir))
        if (n.find(".tmp-") != std::string::npos) RemoveTree(dir + "/" + n);
    };
    sweep(layout.ImagesDir());
    for (const auto& n : ListDirNames(layout.ImagesDir()))
      if (Digest::IsValidHex(n)) sweep(layout.ImagesDir() + "/" + n);
  }
  for (const auto& n : ListDirNames(layout.LeasesDir())) {
    if (n.rfind(kTemporaryPrefix, 0) != 0) continue;
    std::string path = layout.LeaseFile(n);
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    // Unlinked while holding the lock: its owner is dead, nobody can be adding to it.
    if (fd && flock(fd.get(), LOCK_EX | LOCK_NB) == 0) unlink(path.c_str());
  }
}

LeaseScope::LeaseScope(const Layout& layout, const std::string& kind)
    : lease_((CollectStale(layout), Lease::Temporary(layout, kind))), previous_(g_current.exchange(lease_.get())) {}

LeaseScope::~LeaseScope() {
  g_current.store(previous_);
}

std::vector<LeaseInfo> LiveLeasesLocked(const Layout& layout) {
  std::vector<LeaseInfo> out;
  std::string dir = layout.LeasesDir();
  for (const auto& n : ListDirNames(dir)) {
    std::string path = dir + "/" + n;
    if (n[0] == '.') {
      struct stat st;
      if (n.rfind(".new-", 0) == 0 && lstat(path.c_str(), &st) == 0 && st.st_mtime + kNewFileGraceSeconds < time(nullptr))
        unlink(path.c_str());
      continue;
    }
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) continue;
    std::string text;
    char buf[8192];
    for (size_t k; (k = ReadSome(fd.get(), buf, sizeof buf, path)) > 0;) text.append(buf, k);
    json j = json::parse(text, nullptr, false);
    LeaseInfo info;
    info.name = n;
    if (j.is_object()) {
      info.kind = j.value("kind", "");
      info.owner = j.value("owner", "");
      info.persistent = j.value("persistent", false);
      DigestsFrom(j, "images", &info.resources.images);
      DigestsFrom(j, "layers", &info.resources.layers);
      DigestsFrom(j, "blobs", &info.resources.blobs);
      if (j.contains("dirs") && j["dirs"].is_array())
        for (const auto& d : j["dirs"])
          if (d.is_string()) info.resources.dirs.insert(d.get<std::string>());
    } else {
      Warn("lease " + n + ": unreadable record, kept");
      info.persistent = true;
    }
    if (!info.persistent) {
      if (!LockHeldByOthers(fd.get(), LOCK_EX)) {
        Debug("lease " + n + ": its process is gone, removed");
        unlink(path.c_str());
        continue;
      }
      info.active = true;
    } else {
      info.active = LockHeldByOthers(fd.get(), LOCK_SH);
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<LeaseInfo> LiveLeases(const Layout& layout) {
  StoreLock lock(layout);
  return LiveLeasesLocked(layout);
}

}  // namespace mini
