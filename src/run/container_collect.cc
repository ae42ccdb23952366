// Collection of what dead processes left: --rm and build-step containers whose monitor or owner
// died, and leases for containers of a store from before leases.
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/process.h"
#include "common/rootless.h"
#include "run/anonymous_volumes.h"
#include "run/cgroup/cgroup.h"
#include "run/container.h"
#include "run/lifecycle.h"
#include "run/userns/rootless_userns.h"
#include "store/lease.h"

namespace mini::run {
namespace {

/// The lease of a container made before leases existed: its image and top layer from its
/// config (the first lower link names the top layer's directory).
void EnsureContainerLease(const Layout& layout, const ContainerConfig& c) {
  if (PathExists(layout.LeaseFile(ContainerLeaseName(c.id)))) return;
  std::string top = c.image.top_layer;
  if (top.empty() && !c.image.lowers.empty()) {
    char buf[512];
    ssize_t n = readlink((layout.Overlay2Dir() + "/" + c.image.lowers[0]).c_str(), buf, sizeof buf - 1);
    std::string target = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";  // ../<chain hex>/diff
    if (target.size() == 3 + 64 + 5 && target.compare(0, 3, "../") == 0) top = "sha256:" + target.substr(3, 64);
  }
  LeaseResources held = ContainerLeaseResources(c.id, c.image.id, top, c.spec.build);
  try {
    mini::Lease::CreatePersistent(layout, ContainerLeaseName(c.id), "container", c.id, held);
  } catch (const Error& e) {
    Warn("container " + c.id.substr(0, 12) + ": " + e.what());
  }
}

}  // namespace

void CollectContainers(const Layout& layout) {
  ContainerStore store(layout);
  store.ForEach([&](const std::string& id, const ContainerConfig& c, const ContainerState& st) {
    bool monitor_gone = st.status == ContainerStatus::kExited && !ProcessAlive(st.monitor_pid, st.monitor_start);
    bool owner_gone = st.status == ContainerStatus::kCreated && st.owner_pid != 0 && !ProcessAlive(st.owner_pid, st.owner_start);
    if ((c.spec.remove || c.spec.build) && (monitor_gone || owner_gone)) {
      Debug("collecting container " + id.substr(0, 12) + " (its " + (owner_gone ? "owner" : "monitor") + " is gone)");
      try {
        // A monitor or owner killed while it made the cgroups had not recorded them yet.
        if (!IsRootless()) RemoveCgroupPaths(CgroupfsDirsOf(id));
        RunInRootlessUserNamespace([&] { store.Remove(id); });
        RemoveAnonymousVolumes(layout, c);
      } catch (const Error& e) {
        Warn("remove container " + id.substr(0, 12) + ": " + e.what());
      }
      return;
    }
    EnsureContainerLease(layout, c);
  });
}

}  // namespace mini::run
