// The paths of registry configuration files (see config_paths.h).
#include "registry/config_paths.h"

#include <cstdlib>

#include "common/fs.h"
#include "common/rootless.h"

namespace mini::registry {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : "";
}

}  // namespace

std::string SystemConfigPath(const std::string& path) { return Env("MINI_CONFIG_ROOT") + path; }

std::string HomeDir() {
  std::string h = Env("HOME");
  return h.empty() ? "/root" : h;
}

std::string UserConfigHome() {
  std::string x = Env("XDG_CONFIG_HOME");
  return x.empty() ? HomeDir() + "/.config" : x;
}

std::vector<std::string> CertsDirs() {
  std::vector<std::string> dirs;
  std::string own = Env("MINI_CERTS_DIR");
  dirs.push_back(own.empty() ? SystemConfigPath("/etc/mini/certs.d") : own);
  if (IsRootless()) dirs.push_back(UserConfigHome() + "/containers/certs.d");
  dirs.push_back(SystemConfigPath("/etc/containers/certs.d"));
  dirs.push_back(SystemConfigPath("/etc/docker/certs.d"));
  return dirs;
}

std::string RegistriesConfPath() {
  if (std::string e = Env("CONTAINERS_REGISTRIES_CONF"); !e.empty()) return e;
  std::string user = UserConfigHome() + "/containers/registries.conf";
  if (PathExists(user)) return user;
  return SystemConfigPath("/etc/containers/registries.conf");
}

std::vector<std::string> RegistriesConfDirs() {
  std::vector<std::string> dirs;
  std::string user_conf = UserConfigHome() + "/containers/registries.conf";
  if (!Env("CONTAINERS_REGISTRIES_CONF").empty() || !PathExists(user_conf))
    dirs.push_back(SystemConfigPath("/etc/containers/registries.conf.d"));
  dirs.push_back(UserConfigHome() + "/containers/registries.conf.d");
  return dirs;
}

std::string DaemonJsonPath() { return SystemConfigPath("/etc/docker/daemon.json"); }

}  // namespace mini::registry
