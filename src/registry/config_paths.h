#pragma once
/// Where registry configuration is read from: the one place that names those files.
///
/// System paths (/etc/...) are taken under $MINI_CONFIG_ROOT when it is set: a prefix meant for
/// tests, so they never read or write the host's /etc. User paths follow $HOME,
/// $XDG_CONFIG_HOME, $XDG_RUNTIME_DIR, $DOCKER_CONFIG as the tools that own them do.
#include <string>
#include <vector>

namespace mini::registry {

/// A system path under $MINI_CONFIG_ROOT ("/etc/x" -> "$MINI_CONFIG_ROOT/etc/x").
std::string SystemConfigPath(const std::string& path);
std::string HomeDir();
/// $XDG_CONFIG_HOME, else ~/.config.
std::string UserConfigHome();

/// The certs.d directories, in order of precedence: mini's own (/etc/mini/certs.d, or
/// $MINI_CERTS_DIR), then (rootless only) $XDG_CONFIG_HOME/containers/certs.d, then
/// /etc/containers/certs.d and /etc/docker/certs.d.
std::vector<std::string> CertsDirs();

/// registries.conf: $CONTAINERS_REGISTRIES_CONF, else ~/.config/containers/registries.conf when
/// it exists, else /etc/containers/registries.conf (containers-registries.conf(5)).
std::string RegistriesConfPath();
/// The drop-in directories, read in this order: /etc/containers/registries.conf.d (unless the
/// user's own registries.conf is used), then ~/.config/containers/registries.conf.d.
std::vector<std::string> RegistriesConfDirs();
/// /etc/docker/daemon.json
std::string DaemonJsonPath();

}  // namespace mini::registry
