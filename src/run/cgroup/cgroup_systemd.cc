#include "run/cgroup/cgroup_systemd.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <sstream>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"

namespace mini::run {
namespace {

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";
constexpr int kJobTimeoutMs = 30000;    // a scope's start is one job; systemd under load can be slow
constexpr uint64_t kStopTimeoutUs = 10ull * 1000 * 1000;  // the scope's stop (shutdown, rm): Docker's 10 s

std::string OwnCgroupDir() {
  auto path = CgroupV2PathOf(ReadFileIfExists("/proc/self/cgroup", 1 << 16).value_or(""));
  if (!path) throw Error("no cgroup v2 entry in /proc/self/cgroup");
  return kCgroupRoot + (*path == "/" ? "" : *path);
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

/// The scope's cgroup (this process having been moved there) with the monitor in monitor/.
std::string EnterScope(const std::string& id) {
  std::string unit = ScopeUnitName(id);
  std::string own = OwnCgroupDir();
  // A restart by the policy: this monitor is in the scope already.
  if (EndsWith(own, "/" + unit + "/monitor")) return own.substr(0, own.size() - 8);
  auto bus = SystemdBus::Connect();
  bus->StartTransientUnit(unit, ScopeProperties(id, getpid()), kJobTimeoutMs);
  std::string scope = OwnCgroupDir();
  if (!EndsWith(scope, "/" + unit)) throw Error("systemd: started " + unit + " but this process is in " + scope);
  // No process may stay in the scope's own cgroup: it hands controllers down to container/.
  std::string mon = scope + "/monitor";
  if (mkdir(mon.c_str(), 0755) != 0 && errno != EEXIST) ThrowErrno("mkdir " + mon);
  WriteCgroupFile(mon, "cgroup.procs", "0");
  return scope;
}

/// The container's cgroup (container/ of its scope); Destroy removes it, the scope stays with
/// its monitor until that exits.
class SystemdCgroup : public Cgroup {
 public:
  explicit SystemdCgroup(std::unique_ptr<Cgroup> inner) : inner_(std::move(inner)) {}
  void AddProcess(pid_t pid) override { inner_->AddProcess(pid); }
  void JoinSelf() override { inner_->JoinSelf(); }
  bool OomKilled() const override { return inner_->OomKilled(); }
  void Destroy() override { inner_->Destroy(); }
  std::vector<std::string> Paths() const override { return inner_->Paths(); }

 private:
  std::unique_ptr<Cgroup> inner_;
};

}  // namespace

std::string ScopeUnitName(const std::string& id) { return "mini-" + id + ".scope"; }

std::vector<UnitProperty> ScopeProperties(const std::string& id, pid_t pid) {
  return {
      {"Description", std::string("mini container ") + id.substr(0, 12)},
      {"Slice", std::string(kMiniSlice)},
      {"PIDs", std::vector<uint32_t>{static_cast<uint32_t>(pid)}},
      {"Delegate", true},
      {"TasksMax", UINT64_MAX},
      {"CollectMode", std::string("inactive-or-failed")},
      {"TimeoutStopUSec", kStopTimeoutUs},
  };
}

std::optional<std::string> CgroupV2PathOf(const std::string& proc_self_cgroup) {
  std::istringstream in(proc_self_cgroup);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0 && line.size() > 3 && line[3] == '/') return line.substr(3);
  return std::nullopt;
}

std::unique_ptr<Cgroup> CreateSystemdCgroup(const std::string& id, const Resources& res, bool privileged,
                                            const std::vector<DeviceRule>& devices) {
  std::string scope = EnterScope(id);
  return std::make_unique<SystemdCgroup>(
      CreateCgroupV2Under({scope}, scope + "/container", res, privileged, devices));
}

void StopSystemdScope(const std::string& id) {
  std::string unit = ScopeUnitName(id);
  std::string dir = std::string(kCgroupRoot) + "/" + kMiniSlice + "/" + unit;
  if (!PathExists(dir)) return;  // gone already (or never made: a cgroupfs container)
  try {
    if (OwnCgroupDir().rfind(dir + "/", 0) == 0) return;  // ours: it goes when we exit
    SystemdBus::Connect()->StopUnit(unit, kJobTimeoutMs);
  } catch (const Error& e) {
    Warn(std::string("remove the container's scope: ") + e.what());
  }
}

}  // namespace mini::run
