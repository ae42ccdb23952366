// cgroup v2 driver: one directory <root>/mini/<id> (or a given one); devices through a BPF program.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/fs.h"
#include "run/cgroup/cgroup.h"

namespace mini::run {
namespace {

/// Enables the controllers we use (and that exist) for the children of `dir`.
void EnableControllers(const std::string& dir, const std::vector<std::string>& want) {
  auto avail = ReadFileIfExists(dir + "/cgroup.controllers").value_or("");
  auto enabled = ReadFileIfExists(dir + "/cgroup.subtree_control").value_or("");
  auto has = [](const std::string& list, const std::string& c) {
    size_t p = 0;
    while ((p = list.find(c, p)) != std::string::npos) {
      bool start = p == 0 || list[p - 1] == ' ';
      bool end = p + c.size() == list.size() || list[p + c.size()] == ' ' || list[p + c.size()] == '\n';
      if (start && end) return true;
      p += c.size();
    }
    return false;
  };
  for (const auto& c : want)
    if (has(avail, c) && !has(enabled, c)) WriteCgroupFile(dir, "cgroup.subtree_control", "+" + c);
}

class CgroupV2 : public Cgroup {
 public:
  /// `chain`: the directories above `dir`, top first, each enabling controllers for the next
  /// (all but the first are made when missing).
  CgroupV2(std::vector<std::string> chain, std::string dir) : chain_(std::move(chain)), leaf_(std::move(dir)) {}
  ~CgroupV2() override { Destroy(); }

  void Apply(const Resources& res, bool privileged, const std::vector<DeviceRule>& devices) {
    std::vector<std::string> want;
    if (res.memory) want.push_back("memory");
    if (res.cpus || res.cpu_shares) want.push_back("cpu");
    if (res.cpuset_cpus || res.cpuset_mems) want.push_back("cpuset");
    if (res.pids_limit) want.push_back("pids");
    // The accounting controllers too, limited or not (Docker's way), for `stats` and `update`;
    // best effort: a host that refuses one still runs containers.
    try {
      for (size_t i = 0; i < chain_.size(); i++) {
        if (i > 0 && mkdir(chain_[i].c_str(), 0755) != 0 && errno != EEXIST) break;
        EnableControllers(chain_[i], {"memory", "pids", "io", "cpu"});
      }
    } catch (const Error&) {
    }
    for (size_t i = 0; i < chain_.size(); i++) {
      if (i > 0 && mkdir(chain_[i].c_str(), 0755) != 0 && errno != EEXIST) ThrowErrno("mkdir " + chain_[i]);
      if (!want.empty()) EnableControllers(chain_[i], want);
    }
    if (mkdir(leaf_.c_str(), 0755) != 0) ThrowErrno("mkdir " + leaf_);
    dir_ = leaf_;
    std::string dir = dir_;

    ApplyResourcesV2(dir, res);
    if (!privileged) {
      UniqueFd fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!fd) ThrowErrno("open " + dir);
      std::vector<DeviceRule> rules = DefaultDeviceRules();
      rules.insert(rules.end(), devices.begin(), devices.end());
      WithContext("device program", [&] { AttachDeviceProgram(fd.get(), rules); });
    }
  }

  void AddProcess(pid_t pid) override { WriteCgroupFile(dir_, "cgroup.procs", std::to_string(pid)); }

  void JoinSelf() override { WriteCgroupFile(dir_, "cgroup.procs", "0"); }

  bool OomKilled() const override {
    auto s = ReadFileIfExists(dir_ + "/memory.events");
    if (!s) return false;
    size_t p = s->find("oom_kill ");
    return p != std::string::npos && std::atoll(s->c_str() + p + 9) > 0;
  }

  void Destroy() override {
    if (!dir_.empty()) RemoveCgroupPaths({dir_});
    dir_.clear();
  }

  std::vector<std::string> Paths() const override {
    return dir_.empty() ? std::vector<std::string>{} : std::vector<std::string>{dir_};
  }

 private:
  std::vector<std::string> chain_;
  std::string leaf_, dir_;
};

}  // namespace

void ApplyResourcesV2(const std::string& dir, const Resources& res) {
  if (res.memory) {
    // memory.max first: swap.max is independent of it on v2.
    WriteCgroupFile(dir, "memory.max", std::to_string(*res.memory));
    int64_t memsw = res.memory_swap.value_or(*res.memory);
    if (PathExists(dir + "/memory.swap.max")) {
      std::string swap = memsw < 0 ? "max" : std::to_string(std::max<int64_t>(0, memsw - *res.memory));
      WriteCgroupFile(dir, "memory.swap.max", swap);
    }
  }
  if (res.cpus) {
    const int64_t period = 100000;
    WriteCgroupFile(dir, "cpu.max", std::to_string(std::llround(*res.cpus * period)) + " " + std::to_string(period));
  }
  if (res.cpu_shares)
    WriteCgroupFile(dir, "cpu.weight", std::to_string(SharesToWeight(static_cast<uint64_t>(*res.cpu_shares))));
  if (res.cpuset_cpus) WriteCgroupFile(dir, "cpuset.cpus", *res.cpuset_cpus);
  if (res.cpuset_mems) WriteCgroupFile(dir, "cpuset.mems", *res.cpuset_mems);
  if (res.pids_limit)
    WriteCgroupFile(dir, "pids.max", *res.pids_limit > 0 ? std::to_string(*res.pids_limit) : "max");
}

std::unique_ptr<Cgroup> CreateCgroupV2(const std::string& root, const std::string& id,
                                       const Resources& res, bool privileged,
                                       const std::vector<DeviceRule>& devices) {
  return CreateCgroupV2Under({root, root + "/mini"}, root + "/mini/" + id, res, privileged, devices);
}

std::unique_ptr<Cgroup> CreateCgroupV2Under(const std::vector<std::string>& chain, const std::string& dir,
                                            const Resources& res, bool privileged,
                                            const std::vector<DeviceRule>& devices) {
  auto cg = std::make_unique<CgroupV2>(chain, dir);
  WithContext("cgroup", [&] { cg->Apply(res, privileged, devices); });
  return cg;
}

}  // namespace mini::run
