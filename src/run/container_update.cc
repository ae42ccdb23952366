// `mini update`: merge, check, write the cgroup of a running container, record in config.json.
#include "run/container_update.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "common/error.h"
#include "common/process.h"
#include "run/cgroup/cgroup.h"
#include "run/container.h"
#include "run/container_events.h"

namespace mini::run {

Resources MergeResources(const Resources& cur, const Resources& req, int online_cpus) {
  auto invalid = [](const std::string& m) { return Error(ErrorKind::kInvalidInput, m); };
  Resources out = cur;
  if (req.memory && *req.memory != 0 && *req.memory < 6 * 1024 * 1024) throw invalid("Minimum memory limit allowed is 6MB");
  if (req.memory) {
    // Docker: a new memory limit above the memory+swap limit set before needs a new one too.
    if (!req.memory_swap && cur.memory_swap && *cur.memory_swap > 0 && *req.memory > *cur.memory_swap)
      throw Error(ErrorKind::kConflict,
                  "Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time");
    out.memory = req.memory;
  }
  if (req.memory_swap) {
    if (!out.memory) throw invalid("You should always set the Memory limit when using Memoryswap limit");
    if (*req.memory_swap > 0 && *req.memory_swap < *out.memory)
      throw invalid("Minimum memoryswap limit should be larger than memory limit, see usage");
    out.memory_swap = req.memory_swap;
  }
  if (req.cpus) {
    if (*req.cpus < 0.01 || *req.cpus > online_cpus) {
      char m[160];
      snprintf(m, sizeof m, "Range of CPUs is from 0.01 to %d.00, as there are only %d CPUs available", online_cpus, online_cpus);
      throw invalid(m);
    }
    out.cpus = req.cpus;
  }
  if (req.cpu_shares) out.cpu_shares = req.cpu_shares;
  if (req.cpuset_cpus) out.cpuset_cpus = req.cpuset_cpus;
  if (req.cpuset_mems) out.cpuset_mems = req.cpuset_mems;
  if (req.pids_limit) out.pids_limit = req.pids_limit;
  return out;
}

void CheckRestartPolicy(const std::string& p) {
  if (p == "no" || p == "always" || p == "unless-stopped" || p == "on-failure") return;
  if (p.rfind("on-failure:", 0) == 0) {
    std::string n = p.substr(11);
    char* end = nullptr;
    long v = std::strtol(n.c_str(), &end, 10);
    if (!n.empty() && *end == 0) {
      if (v < 0) throw Error(ErrorKind::kInvalidInput, "maximum retry count cannot be negative");
      return;
    }
  }
  throw Error(ErrorKind::kInvalidInput, "invalid restart policy '" + p + "'");
}

void UpdateContainer(const Layout& layout, const std::string& id, const UpdateRequest& req) {
  ContainerStore store(layout);
  ContainerConfig c = store.LoadConfig(id);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (req.restart) {
    CheckRestartPolicy(*req.restart);
    if (c.spec.remove && *req.restart != "no")
      throw Error(ErrorKind::kInvalidInput, "Restart policy cannot be updated because AutoRemove is enabled for the container");
  }
  Resources merged;
  try {
    merged = MergeResources(c.spec.resources, req.resources, cpus > 0 ? static_cast<int>(cpus) : 1);
  } catch (const Error& e) {
    // Docker: the settings' own checks speak alone, a conflict with the container's names it.
    if (e.kind() != ErrorKind::kConflict) throw;
    throw Error(ErrorKind::kConflict, "Cannot update container " + id + ": " + e.what());
  }
  ContainerState st = store.LoadState(id);
  if (st.status == ContainerStatus::kRunning && ProcessAlive(st.pid, st.pid_start)) {
    // What changes, with what v1 needs beside it to keep memory <= memory+swap.
    Resources apply = req.resources;
    if (apply.memory_swap && !apply.memory) apply.memory = merged.memory;
    if (apply.memory && !apply.memory_swap) apply.memory_swap = merged.memory_swap;
    WithContext("Cannot update container " + id, [&] { UpdateCgroupResources(st.cgroup_paths, apply); });
  }
  c.spec.resources = merged;
  if (req.restart) c.spec.supervise.restart = *req.restart;
  store.SaveConfig(c);
  RecordContainerEvent(layout, c, "update");
}

}  // namespace mini::run
