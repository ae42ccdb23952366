// cgroup v1 (and hybrid) driver: one directory mini/<id> per controller used.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "common/error.h"
#include "common/fs.h"
#include "common/strings.h"
#include "run/cgroup/cgroup.h"

namespace mini::run {
namespace {

std::string RuleV1(const DeviceRule& r) {
  auto num = [](long n) { return n < 0 ? std::string("*") : std::to_string(n); };
  if (r.type == 'a') return "a";
  return std::string(1, r.type) + " " + num(r.major) + ":" + num(r.minor) + " " + r.access;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class CgroupV1 : public Cgroup {
 public:
  CgroupV1(std::string root, std::string id) : root_(std::move(root)), id_(std::move(id)) {}
  ~CgroupV1() override { Destroy(); }

  /// The controller's mount point with symlinks resolved (cpu -> cpu,cpuacct), or "" when the
  /// controller is not mounted.
  std::string MountOf(const std::string& ctrl) const {
    char real[PATH_MAX];
    std::string base = root_ + "/" + ctrl;
    return realpath(base.c_str(), real) ? std::string(real) : std::string();
  }

  /// Creates mini/<id> under the controller mounted at `base` (MountOf) and returns its path;
  /// the parent mini/ is made on first use.
  std::string Make(const std::string& base, bool cpuset) {
    for (const auto& d : dirs_)
      if (d == base + "/mini/" + id_) return d;  // co-mounted controllers share one directory
    std::string parent = base + "/mini";
    if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) ThrowErrno("mkdir " + parent);
    if (cpuset) InheritCpuset(base, parent);
    std::string dir = parent + "/" + id_;
    if (mkdir(dir.c_str(), 0755) != 0) ThrowErrno("mkdir " + dir);
    dirs_.push_back(dir);
    if (cpuset) InheritCpuset(parent, dir);
    return dir;
  }

  /// A new cpuset cgroup starts with empty cpus/mems: copy the parent's where unset.
  static void InheritCpuset(const std::string& from, const std::string& to) {
    for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
      std::string cur = Trim(ReadFile(to + "/" + f));
      if (cur.empty()) WriteCgroupFile(to, f, Trim(ReadFile(from + "/" + f)));
    }
  }

  void Apply(const Resources& res, bool privileged, const std::vector<DeviceRule>& devices) {
    std::string dev_base = MountOf("devices");
    if (dev_base.empty()) throw Error("the devices controller is not mounted under " + root_);
    std::string dev = Make(dev_base, false);
    if (privileged) {
      WriteCgroupFile(dev, "devices.allow", "a");
    } else {
      WriteCgroupFile(dev, "devices.deny", "a");
      // One open for the whole list: the kernel takes one rule per write.
      std::string allow = dev + "/devices.allow";
      UniqueFd fd(open(allow.c_str(), O_WRONLY | O_CLOEXEC));
      if (!fd) ThrowErrno("write " + allow);
      auto put = [&](const DeviceRule& r) {
        std::string rule = RuleV1(r);
        if (write(fd.get(), rule.data(), rule.size()) < 0) ThrowErrno("write " + allow + " (" + rule + ")");
      };
      for (const auto& r : DefaultDeviceRules()) put(r);
      for (const auto& r : devices) put(r);
    }
    // Every accounting controller, limited or not, and the freezer (Docker's way): `stats` reads them,
    // `update` writes limits into them later, `pause` freezes the container where it already is.
    for (const char* ctrl : {"memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "freezer"}) {
      std::string base = MountOf(ctrl);
      if (base.empty()) continue;  // not mounted
      std::string dir = Make(base, std::string(ctrl) == "cpuset");
      if (std::string(ctrl) == "memory") memory_ = dir;
    }
    ApplyResourcesV1(dirs_, res, /*update=*/false);
  }

  void AddProcess(pid_t pid) override {
    for (const auto& d : dirs_) WriteCgroupFile(d, "cgroup.procs", std::to_string(pid));
  }

  void JoinSelf() override {
    for (const auto& d : dirs_) WriteCgroupFile(d, "tasks", "0");
  }

  bool OomKilled() const override {
    if (memory_.empty()) return false;
    auto s = ReadFileIfExists(memory_ + "/memory.oom_control");
    if (!s) return false;
    size_t p = s->find("oom_kill ");
    return p != std::string::npos && std::atoll(s->c_str() + p + 9) > 0;
  }

  void Destroy() override {
    RemoveCgroupPaths(dirs_);
    dirs_.clear();
  }

  std::vector<std::string> Paths() const override { return dirs_; }

 private:
  std::string root_, id_;
  std::vector<std::string> dirs_;
  std::string memory_;
};

}  // namespace

std::string CgroupV1DirFor(const std::vector<std::string>& dirs, const std::string& ctrl) {
  for (const auto& d : dirs) {
    size_t m = d.rfind("/mini/");
    size_t b = m == std::string::npos ? std::string::npos : d.rfind('/', m - 1);
    if (b == std::string::npos) continue;
    for (const std::string& c : Split(d.substr(b + 1, m - b - 1), ','))
      if (c == ctrl) return d;
  }
  return "";
}

void ApplyResourcesV1(const std::vector<std::string>& dirs, const Resources& res, bool update) {
  auto need = [&](const char* ctrl) {
    std::string d = CgroupV1DirFor(dirs, ctrl);
    if (d.empty()) throw Error(std::string("no ") + ctrl + " cgroup for this container");
    return d;
  };
  if (res.memory) {
    std::string mem = need("memory");
    int64_t memsw = res.memory_swap.value_or(*res.memory);
    bool has_memsw = PathExists(mem + "/memory.memsw.limit_in_bytes");
    // memory <= memsw at every step: raise memsw first when it grows, else memory first.
    bool memsw_first = false;
    if (update && has_memsw && memsw > 0) {
      auto cur = ReadFileIfExists(mem + "/memory.memsw.limit_in_bytes");
      memsw_first = cur && memsw > std::atoll(cur->c_str());
    }
    if (has_memsw && memsw < 0 && update) WriteCgroupFile(mem, "memory.memsw.limit_in_bytes", "-1");
    if (memsw_first) WriteCgroupFile(mem, "memory.memsw.limit_in_bytes", std::to_string(memsw));
    WriteCgroupFile(mem, "memory.limit_in_bytes", std::to_string(*res.memory));
    if (memsw > 0 && has_memsw) {
      if (!memsw_first) WriteCgroupFile(mem, "memory.memsw.limit_in_bytes", std::to_string(memsw));
    } else if (!res.memory_swap && !update) {
      WriteCgroupFile(mem, "memory.swappiness", "0");
    }
  }
  if (res.oom_kill_disable) WriteCgroupFile(need("memory"), "memory.oom_control", "1");
  if (res.cpus || res.cpu_shares) {
    std::string cpu = need("cpu");
    if (res.cpus) {
      const int64_t period = 100000;
      WriteCgroupFile(cpu, "cpu.cfs_period_us", std::to_string(period));
      WriteCgroupFile(cpu, "cpu.cfs_quota_us", std::to_string(std::llround(*res.cpus * period)));
    }
    if (res.cpu_shares) WriteCgroupFile(cpu, "cpu.shares", std::to_string(*res.cpu_shares));
  }
  if (res.cpuset_cpus || res.cpuset_mems) {
    std::string cs = need("cpuset");
    if (res.cpuset_cpus) WriteCgroupFile(cs, "cpuset.cpus", *res.cpuset_cpus);
    if (res.cpuset_mems) WriteCgroupFile(cs, "cpuset.mems", *res.cpuset_mems);
  }
  if (res.pids_limit)
    WriteCgroupFile(need("pids"), "pids.max", *res.pids_limit > 0 ? std::to_string(*res.pids_limit) : "max");
}

std::unique_ptr<Cgroup> CreateCgroupV1(const std::string& root, const std::string& id,
                                       const Resources& res, bool privileged,
                                       const std::vector<DeviceRule>& devices) {
  auto cg = std::make_unique<CgroupV1>(root, id);
  WithContext("cgroup", [&] { cg->Apply(res, privileged, devices); });
  return cg;
}

}  // namespace mini::run
