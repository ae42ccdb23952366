#pragma once
/// Containers on disk: containers/<id>/config.json (what to run; written once) and state.json
/// (status, pids, exit code; rewritten by the monitor), ids, unique names, lookup by name or id
/// prefix. A "running" state whose monitor is gone is reported as exited.
#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/human.h"
#include "run/process_spec.h"
#include "run/run_spec.h"
#include "store/layout.h"

namespace mini::run {

/// What the runner needs about the image; filled by the CLI from the image store.
struct ImageInfo {
  std::string id;    ///< "sha256:<64 hex>", the full image id
  std::string name;  ///< as the user typed it
  std::vector<std::string> lowers;  ///< "l/<short>" links, top first
  nlohmann::json config;  ///< the image config's "config" object
};

struct ContainerConfig {
  std::string id;  ///< 64 hex
  std::string name;
  std::string created;  ///< RFC 3339
  std::string hostname;
  ImageInfo image;
  RunSpec spec;
  ProcessSpec process;
};

struct ContainerState {
  std::string status = "created";  ///< created | running | exited
  pid_t pid = 0;                   ///< the container's init, host pid namespace
  uint64_t pid_start = 0;          ///< its start time (/proc/<pid>/stat field 22), against reuse
  pid_t monitor_pid = 0;
  uint64_t monitor_start = 0;
  int exit_code = 0;
  bool oom_killed = false;
  std::string started_at, finished_at, error;
  std::vector<std::string> cgroup_paths;
};

nlohmann::json ToJson(const ContainerConfig& c);
ContainerConfig ConfigFromJson(const nlohmann::json& j);
nlohmann::json ToJson(const ContainerState& s);
ContainerState StateFromJson(const nlohmann::json& j);

/// Start time of a process in clock ticks since boot, 0 if it does not exist.
uint64_t ProcessStartTime(pid_t pid);
/// True if `pid` exists and started at `start` (so it is still the same process).
bool ProcessAlive(pid_t pid, uint64_t start);
/// 64 random hex characters.
std::string NewContainerId();

class ContainerStore {
 public:
  explicit ContainerStore(const Layout& layout) : layout_(layout) {}

  /// Assigns an id and a unique name (generated when `name` is empty; Docker's name rules),
  /// creates containers/<id>/ with config.json and a "created" state. Throws Error
  /// ("Conflict. The container name \"/x\" is already in use by container \"<id>\"").
  void Create(ContainerConfig* cfg);
  /// Finds by full id, unique id prefix or name; throws Error("No such container: x").
  std::string Resolve(const std::string& name_or_id) const;
  std::vector<std::string> ListIds() const;
  ContainerConfig LoadConfig(const std::string& id) const;
  /// The state, with a dead monitor's "running" turned into "exited".
  ContainerState LoadState(const std::string& id) const;
  void SaveState(const std::string& id, const ContainerState& s) const;
  /// Removes cgroups left behind, the container layers and containers/<id>. Not for running
  /// containers (the caller stops them first).
  void Remove(const std::string& id) const;

  std::string Dir(const std::string& id) const { return layout_.ContainerDir(id); }
  std::string LogPath(const std::string& id) const { return Dir(id) + "/log"; }

 private:
  const Layout& layout_;
};

}  // namespace mini::run
