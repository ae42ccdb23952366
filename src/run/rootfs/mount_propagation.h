#pragma once
/// Bind mount propagation (`--mount ...,bind-propagation=` and `-v SRC:DST:rslave`), Docker's
/// rules: the default is rprivate; slave/rslave needs the source on a shared or slave host
/// mount, shared/rshared on a shared one. The container's own mounts never reach the host
/// unless a bind asks for shared: the mount holding the rootfs is made private in the
/// container's namespace first (runc's way), so only the shared binds stay peers of the host.
#include <string>
#include <vector>

#include "run/run_spec.h"

namespace mini::run {

/// Throws Error for anything but private, rprivate, shared, rshared, slave, rslave.
void CheckPropagationName(const std::string& p);

/// What the container's mount namespace starts with: "private" (no bind asks for anything),
/// "slave" (a bind asks for slave), "shared" (a bind asks for shared).
std::string RootPropagation(const std::vector<MountRequest>& mounts);

/// In the new mount namespace, before anything is mounted: sets "/" to RootPropagation's
/// answer. With "shared", also makes the mount holding `rootfs_dir` private, so the rootfs and
/// everything under it stays out of the host.
void PrepareRootPropagation(const std::string& root_mode, const std::string& rootfs_dir);

/// Docker's checks of the host side of a bind: `source`'s mount must be shared (shared,
/// rshared) or shared or slave (slave, rslave). Reads /proc/self/mountinfo; call it before
/// PrepareRootPropagation changes anything.
void CheckSourcePropagation(const std::string& source, const std::string& propagation);

/// After the bind: gives the mount at `target` (a path, e.g. /proc/self/fd/N) its propagation.
void ApplyPropagation(const std::string& target, const std::string& propagation);

}  // namespace mini::run
