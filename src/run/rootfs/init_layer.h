#pragma once
/// A container's own layers: overlay2/<cid>-init/diff (Docker's init layer: /etc/hosts,
/// /etc/hostname, /etc/resolv.conf and empty mount points) and overlay2/<cid>/{diff,work,merged}.
#include <string>

#include "run/runtime_dir.h"
#include "store/layout.h"

namespace mini::run {

/// The host's resolv.conf without loopback nameservers (unreachable from a new net namespace);
/// Google's resolvers when nothing is left, as Docker does. Pure.
std::string FilterResolvConf(const std::string& host_resolv);

struct InitLayerFiles {
  std::string hostname;
  std::string hosts;
  std::string resolv_conf;
};

/// Creates both directories of container `cid`. Throws Error; on failure removes what it made.
void CreateContainerLayers(const Layout& layout, const std::string& cid, const InitLayerFiles& files);
/// The same for a --rm container: the init layer in its runtime dir (tmpfs), upper and work in
/// overlay2/<id>/ (see EphemeralLayers); removed with both. Throws Error.
void CreateEphemeralLayers(const EphemeralLayers& layers, const InitLayerFiles& files);
/// Removes overlay2/<cid> and overlay2/<cid>-init (missing is fine).
void RemoveContainerLayers(const Layout& layout, const std::string& cid);

}  // namespace mini::run
