#pragma once
/// The only place that builds store paths (see DESIGN.md "On disk").
#include <string>

#include "common/digest.h"

namespace mini {

/// layers/<prefix><random>: a layer record being written (a TempDir, renamed into place whole)
/// or being removed (RemoveTreeAway); one left by a killed process is collected by
/// CollectStale (store/lease.h).
inline constexpr const char kLayerRecordTmpPrefix[] = ".tmp-";
/// images/<prefix><random>: the same for an image record (images/<id>/manifest).
inline constexpr const char kImageRecordTmpPrefix[] = ".tmp-";

/// Names every file and directory of one store root. Pure: creates nothing.
class Layout {
 public:
  explicit Layout(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }

  std::string BlobsDir() const { return root_ + "/blobs/sha256"; }
  std::string Blob(const Digest& d) const { return BlobsDir() + "/" + d.hex(); }

  std::string Overlay2Dir() const { return root_ + "/overlay2"; }
  /// overlay2/<id>: a layer (id = chain id hex) or a container layer (<cid>, <cid>-init).
  std::string LayerDir(const std::string& id) const { return Overlay2Dir() + "/" + id; }
  std::string LayerDiff(const std::string& id) const { return LayerDir(id) + "/diff"; }
  std::string LinksDir() const { return Overlay2Dir() + "/l"; }
  std::string Link(const std::string& short_id) const { return LinksDir() + "/" + short_id; }

  /// overlay2-idmap/<uid base>-<gid base>/<short id>: a layer's copy chowned for one user
  /// namespace range (--userns where idmapped mounts are not available).
  std::string IdmapCopiesDir() const { return root_ + "/overlay2-idmap"; }
  std::string IdmapRangeDir(unsigned uid_base, unsigned gid_base) const {
    return IdmapCopiesDir() + "/" + std::to_string(uid_base) + "-" + std::to_string(gid_base);
  }
  std::string IdmapCopy(unsigned uid_base, unsigned gid_base, const std::string& short_id) const {
    return IdmapRangeDir(uid_base, gid_base) + "/" + short_id;
  }

  std::string LayersMetaDir() const { return root_ + "/layers"; }
  std::string LayerMeta(const Digest& chain) const { return LayersMetaDir() + "/" + chain.hex(); }

  std::string ImagesDir() const { return root_ + "/images"; }
  std::string ImageDir(const Digest& config) const { return ImagesDir() + "/" + config.hex(); }
  std::string RefsFile() const { return ImagesDir() + "/refs.json"; }

  std::string ContainersDir() const { return root_ + "/containers"; }
  std::string ContainerDir(const std::string& id) const { return ContainersDir() + "/" + id; }
  std::string VolumesDir() const { return root_ + "/volumes"; }
  /// networks/<name>/{config.json,lock,last,leases/<ip>}: a network definition, the flock that
  /// serialises its members' /etc/hosts updates, and one lease file per address in use.
  std::string NetworksDir() const { return root_ + "/networks"; }
  std::string NetworksLock() const { return NetworksDir() + "/.lock"; }
  std::string NetworkDir(const std::string& name) const { return NetworksDir() + "/" + name; }
  std::string NetworkConfig(const std::string& name) const { return NetworkDir(name) + "/config.json"; }
  std::string NetworkLock(const std::string& name) const { return NetworkDir(name) + "/lock"; }
  std::string NetworkLeasesDir(const std::string& name) const { return NetworkDir(name) + "/leases"; }
  /// networks/<name>/last: the address handed out last (allocation goes on after it).
  std::string NetworkLastIp(const std::string& name) const { return NetworkDir(name) + "/last"; }
  std::string NetworkLease(const std::string& name, const std::string& ip) const {
    return NetworkLeasesDir(name) + "/" + ip;
  }
  std::string TmpDir() const { return root_ + "/tmp"; }
  /// seccomp/<key hex>.bpf: a compiled seccomp filter (key = sha256 of profile, caps, arch, ...).
  std::string SeccompDir() const { return root_ + "/seccomp"; }
  std::string SeccompBpf(const Digest& key) const { return SeccompDir() + "/" + key.hex() + ".bpf"; }
  /// build-cache/<key hex>: one small record per cached build step (see build/build_cache.h).
  std::string BuildCacheDir() const { return root_ + "/build-cache"; }
  /// build-cache-mounts/<32 hex of sha256(id)>/{id,<n>/{lock,data/}}: RUN --mount=type=cache
  /// directories kept across builds (build/cache_mounts.h); n > 0 are sharing=private extras.
  std::string BuildCacheMountsDir() const { return root_ + "/build-cache-mounts"; }
  std::string LockFile() const { return root_ + "/lock"; }
  /// The append-only event log (`mini events`; store/event_log.h) and its rotated predecessor.
  std::string EventLog() const { return root_ + "/events.log"; }
  /// leases/<name>: what keeps content from garbage collection (store/lease.h).
  std::string LeasesDir() const { return root_ + "/leases"; }
  std::string LeaseFile(const std::string& name) const { return LeasesDir() + "/" + name; }

  /// Creates the top-level directories if missing (mode 0700 for the root, like Docker's).
  void Ensure() const;

 private:
  std::string root_;
};

}  // namespace mini
