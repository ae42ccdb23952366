#pragma once
/// The view's fields of `inspect` with Docker's names and shapes: HostConfig.ExtraHosts, Dns,
/// DnsSearch, DnsOptions, Ulimits [{Name,Soft,Hard}], ShmSize (bytes), Devices
/// [{PathOnHost,PathInContainer,CgroupPermissions}], GroupAdd, Sysctls (map), PidMode,
/// IpcMode, ContainerIDFile; Config.Labels (the image's, with --label over them) and
/// Config.Domainname.
#include <nlohmann/json.hpp>

#include "run/container.h"

namespace mini::run {

/// The container's labels: the image's with --label merged over them.
nlohmann::json ContainerLabels(const ContainerConfig& c);

/// Sets those fields in `inspect` (the output of ContainerInspectJson). Stored values that no
/// longer parse are shown as given.
void AddViewToInspect(const ContainerConfig& c, nlohmann::json* inspect);

}  // namespace mini::run
