#pragma once
/// The launch side of a container's view (run/view_spec.h): the namespaces of another running
/// container it joins (--network/--ipc/--pid container:NAME), the namespaces it shares with the
/// host (--pid/--ipc host), its device nodes and rules, and what its first process applies
/// itself (ulimits, domain name, supplementary groups).
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "common/fs.h"
#include "run/cgroup/cgroup.h"
#include "run/container.h"
#include "run/rootfs/view_mounts.h"
#include "run/view_spec.h"
#include "store/layout.h"

namespace mini::run {

/// What ChildMain applies (container_init.cc).
struct ChildView {
  int join_net = -1, join_ipc = -1;  ///< fds of /proc/<pid>/ns/{net,ipc} of the other container
  std::vector<Ulimit> ulimits;
  std::string domainname;
  std::vector<std::string> group_add;
};

/// --ipc shareable: the container's /dev/shm, a tmpfs on the host at <runtime dir>/shm that
/// joiners bind too; unmounted (detached) when the container's launch ends.
struct SharedShm {
  std::string path;
  SharedShm() = default;
  SharedShm(SharedShm&& o) noexcept : path(std::move(o.path)) { o.path.clear(); }
  SharedShm& operator=(SharedShm&&) = delete;
  ~SharedShm();
};

struct LaunchView {
  SharedShm shm;
  UniqueFd net, ipc, pid;  ///< the other containers' namespaces (kept open until the clone)
  ChildView child;
  int no_new = 0;          ///< CLONE_NEW* flags the container must not get (shared or joined)
  std::vector<DeviceRule> device_rules;  ///< the --device nodes' cgroup rules
};

/// Parses `c.spec.view`, opens the namespaces to join (the other container must be running:
/// Docker's "cannot join network of a non running container: NAME"), stats the --device nodes
/// and fills `rootfs` (devices, sysctls, /dev/shm). Throws Error.
LaunchView PrepareLaunchView(const Layout& layout, const ContainerConfig& c, RootfsView* rootfs);

/// In the container's first process, first thing: setns into the joined net and ipc
/// namespaces. Throws Error.
void EnterJoinedNamespaces(const ChildView& v);

/// setdomainname (after the hostname). Throws Error.
void SetDomainname(const std::string& name);

/// setrlimit of each --ulimit (before the privileges are dropped). Throws Error.
void ApplyUlimits(const std::vector<Ulimit>& ulimits);

/// The device nodes --device `d` names, as Docker's DevicesFromPath: the node itself (a symlink
/// to one followed), or for a directory every character or block node under it (symlinks not
/// followed), each at the same place under `d.container`. Throws Error, with Docker's "error
/// gathering device information while adding custom device" message, when there is none.
std::vector<DeviceNode> DevicesFromPath(const DeviceMapping& d);

/// --network container:NAME: binds of the other container's /etc/hosts and /etc/resolv.conf
/// (the files of its init layer, which its network rewrites in place), as Docker shares them;
/// none for a path the container mounts something on itself. Empty for other network modes.
std::vector<MountRequest> SharedNetworkFileBinds(const Layout& layout, const RunSpec& spec);

/// Runs `clone_fn` with the children's pid namespace set to `pid_ns` (an open ns fd; -1: as
/// is), then restores our own. Throws Error.
pid_t CloneInPidNamespace(int pid_ns, const std::function<pid_t()>& clone_fn);

}  // namespace mini::run
