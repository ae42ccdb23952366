#include "run/cgroup/cgroup_manager.h"

#include <sys/stat.h>

#include <cstdlib>
#include <optional>

#include "common/error.h"
#include "common/fs.h"
#include "common/rootless.h"
#include "run/cgroup/cgroup.h"
#include "run/cgroup/cgroup_systemd.h"

namespace mini::run {
namespace {

std::string& FlagValue() {
  static std::string v;
  return v;
}

bool IsSocket(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

const char* CgroupManagerName(CgroupManager m) { return m == CgroupManager::kSystemd ? "systemd" : "cgroupfs"; }

CgroupManager CgroupManagerFromRecord(const std::string& name) {
  return name == "systemd" ? CgroupManager::kSystemd : CgroupManager::kCgroupfs;
}

CgroupHost ProbeCgroupHost() {
  CgroupHost h;
#ifdef MINI_HAVE_SYSTEMD
  h.built_with_systemd = true;
#endif
  h.rootless = IsRootless();
  h.cgroup_v2 = DetectCgroupMode() == CgroupMode::kV2;
  h.pid1_systemd = ReadFileIfExists("/proc/1/comm", 64).value_or("") == "systemd\n";
  h.bus = IsSocket("/run/systemd/private") || IsSocket("/run/dbus/system_bus_socket");
  return h;
}

CgroupManager ChooseCgroupManager(const std::string& requested, const std::string& source, const CgroupHost& host) {
  if (requested == "cgroupfs") return CgroupManager::kCgroupfs;
  bool usable = host.built_with_systemd && !host.rootless && host.cgroup_v2 && host.pid1_systemd && host.bus;
  if (requested.empty()) return usable ? CgroupManager::kSystemd : CgroupManager::kCgroupfs;
  if (requested != "systemd")
    throw Error(ErrorKind::kInvalidInput, source + " \"" + requested + "\": want cgroupfs or systemd");
  std::string what = source + " systemd: ";
  const char* use = "; use cgroupfs";
  if (!host.built_with_systemd)
    throw Error(ErrorKind::kInvalidInput, what + "this mini was built without libsystemd (sd-bus)" + use);
  if (host.rootless)
    throw Error(ErrorKind::kInvalidInput, what + "not supported for rootless mini (systemd --user)" + use);
  if (!host.cgroup_v2)
    throw Error(ErrorKind::kInvalidInput, what + "needs a pure cgroup v2 host (this one has cgroup v1 controllers)" + use);
  if (!host.pid1_systemd || !host.bus)
    throw Error(ErrorKind::kInvalidInput,
                what + "needs systemd as PID 1 and its bus (/run/systemd/private or the system bus)" + use);
  return CgroupManager::kSystemd;
}

void SetCgroupManagerFlag(const std::string& name) {
  if (!name.empty() && name != "cgroupfs" && name != "systemd")
    throw Error(ErrorKind::kInvalidInput, "--cgroup-manager \"" + name + "\": want cgroupfs or systemd");
  FlagValue() = name;
}

CgroupManager CgroupManagerForNewContainers() {
  static std::optional<CgroupManager> chosen;
  if (!chosen) {
    std::string requested = FlagValue(), source = "--cgroup-manager";
    if (requested.empty()) {
      const char* e = getenv("MINI_CGROUP_MANAGER");
      if (e && *e) requested = e, source = "MINI_CGROUP_MANAGER";
    }
    chosen = ChooseCgroupManager(requested, source, ProbeCgroupHost());
  }
  return *chosen;
}

std::unique_ptr<Cgroup> CreateCgroup(const std::string& id, const Resources& res, bool privileged,
                                     const std::vector<DeviceRule>& devices, const std::string& manager) {
  if (IsRootless()) return CreateRootlessCgroup(id, res);
  if (CgroupManagerFromRecord(manager) == CgroupManager::kSystemd) return CreateSystemdCgroup(id, res, privileged, devices);
  if (DetectCgroupMode() == CgroupMode::kV2) return CreateCgroupV2("/sys/fs/cgroup", id, res, privileged, devices);
  return CreateCgroupV1("/sys/fs/cgroup", id, res, privileged, devices);
}

}  // namespace mini::run
