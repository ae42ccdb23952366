#pragma once
/// Leases: what keeps images, layers and blobs from garbage collection (containerd's model).
///
/// Whoever uses store content holds a lease on it: a container of any kind (persistent, until
/// the container is removed), a build, pull, load, import, commit or push (temporary, for as
/// long as the process runs). `rmi`, `image prune` and `system prune` run under the store lock
/// and keep everything a live lease names, plus the ancestors of its layers and their blobs.
/// The store never reads the runner's or builder's own files to find out what is in use: the
/// users tell it, here.
///
/// On disk: leases/<name>, a small JSON record (kind, owner, images, layers, blobs, dirs).
/// - A temporary lease is held with an flock by the process that made it (and the children it
///   forks); when that process dies, even by kill -9, the lock goes and the next collection
///   deletes the file. It is created under a temporary name and renamed into place once
///   locked, so a collector never sees it unlocked.
/// - A persistent lease stays until Remove(). Its holder may mark it *active* (a container that
///   is running) by holding an flock on it; `rmi` tells running from stopped containers by that.
/// Content changes are written in place (the flock is on the inode) under the store lock; every
/// reader that decides (GC, rmi) reads under the store lock too.
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/digest.h"
#include "common/fs.h"
#include "store/layout.h"

namespace mini {

/// What a lease keeps.
struct LeaseResources {
  std::set<Digest> images;  ///< image ids (config digests): `rmi` conflicts name their holders
  std::set<Digest> layers;  ///< chain ids; their ancestors and every kept layer's blob are kept too
  std::set<Digest> blobs;   ///< manifests, configs, layer blobs
  std::set<std::string> dirs;  ///< overlay2/<name> directories that are not layers (container layers)
  void Merge(const LeaseResources& o);
};

/// One lease as a collector sees it.
struct LeaseInfo {
  std::string name;
  std::string kind;   ///< "container", "build", "pull", ... (free text; `rmi` names containers)
  std::string owner;  ///< e.g. the container id
  bool persistent = false;
  bool active = false;  ///< a persistent lease whose holder runs (flock held)
  LeaseResources resources;
};

class Lease {
 public:
  /// A temporary lease owned by this process (see above). Throws Error.
  static std::unique_ptr<Lease> Temporary(const Layout& layout, const std::string& kind);
  /// Creates (or replaces) the persistent lease `name`. Throws Error.
  static std::unique_ptr<Lease> CreatePersistent(const Layout& layout, const std::string& name,
                                                 const std::string& kind, const std::string& owner,
                                                 const LeaseResources& res);
  /// Removes the persistent lease `name` (missing is fine).
  static void RemovePersistent(const Layout& layout, const std::string& name);
  /// Marks the persistent lease `name` active for as long as the returned fd stays open (and in
  /// every process that inherits it). An invalid fd when there is no such lease.
  static UniqueFd HoldActive(const Layout& layout, const std::string& name);

  ~Lease();
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  const std::string& name() const { return name_; }

  /// Adds resources; takes the store lock. Thread-safe. Throws Error.
  void Add(const LeaseResources& r);
  /// The same when the caller already holds the store lock.
  void AddLocked(const LeaseResources& r);
  void AddBlob(const Digest& d);
  /// Adds the layer `chain` (and its blob) if it exists; false if it does not. Store lock taken.
  bool AddLayerIfExists(const Digest& chain);

 private:
  Lease(const Layout& layout, std::string name, std::string kind, std::string owner, bool persistent);
  void WriteLocked();

  const Layout& layout_;
  std::string name_, kind_, owner_;
  bool persistent_;
  UniqueFd fd_;  ///< open (and flocked when temporary) lease file
  std::mutex mu_;
  LeaseResources res_;
};

/// The temporary lease the current operation records what it creates in (pulled layers and
/// blobs, built layers, loaded images): BlobStore, LayerStore and ImageStore add to it as they
/// commit, so nothing a running operation made can be collected before it is referenced.
/// One per process at a time; nullptr when none.
Lease* CurrentLease();

/// Removes what dead operations left: temporary leases whose process is gone and unlocked
/// staging entries in tmp/. Cheap (two directory listings when there is nothing to do).
void CollectStale(const Layout& layout);

/// Installs a new temporary lease of `kind` as CurrentLease() for its lifetime; first collects
/// what dead operations left (CollectStale), so the next operation after a kill -9 cleans up.
class LeaseScope {
 public:
  LeaseScope(const Layout& layout, const std::string& kind);
  ~LeaseScope();
  LeaseScope(const LeaseScope&) = delete;
  LeaseScope& operator=(const LeaseScope&) = delete;
  Lease& lease() { return *lease_; }

 private:
  std::unique_ptr<Lease> lease_;
  Lease* previous_;
};

/// Every live lease; deletes the files of dead temporary ones. Caller holds the store lock.
std::vector<LeaseInfo> LiveLeasesLocked(const Layout& layout);
/// The same, taking the store lock.
std::vector<LeaseInfo> LiveLeases(const Layout& layout);

}  // namespace mini
