#pragma once
/// Runtime state lives on tmpfs, not in the store: /run/mini/<hash of the store root>/
/// containers/<id>/ holds state.json (rewritten at every transition, never fsynced), and for
/// --rm containers their config.json and init layer too (small files mini writes). File data a
/// container writes is always on the store's filesystem (see EphemeralLayers). $MINI_RUNTIME_DIR overrides
/// /run/mini. When /run/mini is not on a tmpfs (this host's /run is ext4), one is mounted there.
/// Rootless, the base is $XDG_RUNTIME_DIR/mini or /tmp/mini-run-<uid> (common/rootless.h), never mounted on.
#include <cstdint>
#include <string>

#include "store/layout.h"

namespace mini::run {

/// 16 hex digits naming a store root (FNV-1a of the absolute path). Pure.
std::string RootHash(const std::string& root);
/// The runtime root of the store at `layout`: "<base>/<RootHash(root)>", base = $MINI_RUNTIME_DIR or
/// /run/mini. Pure but for the environment; the store root is made absolute lexically.
std::string RuntimeRoot(const Layout& layout);

/// Makes sure RuntimeRoot(layout)/containers exists, on a tmpfs when possible: if the base is
/// not on tmpfs/ramfs, mounts a tmpfs (mode 0711) there under an flock, so two concurrent
/// callers never stack two mounts. When mounting is refused (no privilege) the directory is
/// used as it is. Cached per process. Throws Error when the directory cannot be created.
void EnsureRuntimeRoot(const Layout& layout);

/// A --rm container's directories (absolute paths). Its writable layer (upper, work) is on the
/// store's filesystem like any container's, in overlay2/<id>/: what it writes is disk, never
/// RAM charged to its memory cgroup. Only mini's own small files are on tmpfs, in its runtime
/// dir: the init layer (hosts, hostname, resolv.conf, empty mount points) and the mount point.
struct EphemeralLayers {
  std::string init;    ///< the init layer (its content, used as the top lower dir)
  std::string upper;   ///< overlay upperdir
  std::string work;    ///< overlay workdir
  std::string merged;  ///< mount point
};
/// The paths for container `id` whose runtime dir is `runtime_dir`. Pure.
EphemeralLayers EphemeralLayersFor(const Layout& layout, const std::string& id, const std::string& runtime_dir);

}  // namespace mini::run
