#pragma once
/// Containers on disk: containers/<id>/config.json (what to run; written once) and state.json
/// (status, pids, exit code; rewritten by the monitor), ids, unique names, lookup by name or id
/// prefix. A "running" state whose monitor is gone is reported as exited.
#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/human.h"
#include "common/process.h"
#include "net/network_settings.h"
#include "run/process_spec.h"
#include "run/run_spec.h"
#include "run/userns/userns.h"
#include "store/layout.h"
#include "store/lease.h"

namespace mini::run {

/// What the runner needs about the image; filled by the CLI from the image store.
struct ImageInfo {
  std::string id;    ///< "sha256:<64 hex>", the full image id
  std::string name;  ///< as the user typed it
  std::vector<std::string> lowers;  ///< "l/<short>" links, top first
  std::string top_layer;  ///< chain id ("sha256:...") of the top of `lowers`: the container's lease holds it
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
  IdMap idmap;  ///< the user namespace's map (size 0: none), chosen once at create time
  std::string cgroup_manager;  ///< "systemd" or "cgroupfs" ("" in older records): run/cgroup/cgroup_manager.h
};

/// A container's status; on disk and in `inspect` as Docker's names ("created", "running",
/// "restarting" (between two runs of a restart policy), "exited"). mini has no paused (read
/// live from the freezer), removing or dead states.
enum class ContainerStatus { kCreated, kRunning, kExited, kRestarting };

/// Docker's name of `s`.
const char* ToString(ContainerStatus s);
/// The status called `name`; throws Error for a name mini does not write.
ContainerStatus ContainerStatusFromString(std::string_view name);
/// nlohmann's JSON conversions: the name as a string.
void to_json(nlohmann::json& j, ContainerStatus s);
void from_json(const nlohmann::json& j, ContainerStatus& s);

struct ContainerState {
  ContainerStatus status = ContainerStatus::kCreated;
  pid_t pid = 0;                   ///< the container's init, host pid namespace
  uint64_t pid_start = 0;          ///< its start time (/proc/<pid>/stat field 22), against reuse
  pid_t monitor_pid = 0;
  uint64_t monitor_start = 0;
  /// `mini run` (or a build step) that created it and is about to start it: a --rm or build
  /// container still "created" when that process is gone is collected (CollectContainers).
  pid_t owner_pid = 0;
  uint64_t owner_start = 0;
  int exit_code = 0;
  bool oom_killed = false;
  int restart_count = 0;           ///< restarts by the policy since the user's last start
  std::string started_at, finished_at, error;
  std::vector<std::string> cgroup_paths;
  std::optional<net::NetworkSettings> network;  ///< set while running on a bridge network
};

nlohmann::json ToJson(const ContainerConfig& c);
ContainerConfig ConfigFromJson(const nlohmann::json& j);
nlohmann::json ToJson(const ContainerState& s);
ContainerState StateFromJson(const nlohmann::json& j);

/// The name of container `id`'s lease in the store (store/lease.h): it holds the image, the
/// layers under the container and its own layer directories for as long as the container exists.
std::string ContainerLeaseName(const std::string& id);
/// What a container's lease holds: its top layer (and so those under it), its image unless it is
/// a build step (`rmi` conflicts name containers users made), its own overlay2 directories.
LeaseResources ContainerLeaseResources(const std::string& id, const std::string& image_id, const std::string& top_layer,
                                       bool build_step);

/// Containers on disk and on tmpfs (see runtime_dir.h): a --rm container lives only in its
/// runtime dir; any other has containers/<id>/{config.json,<id>-json.log,state.json (its last end)} in
/// the store and its current state.json in the runtime dir.
class ContainerStore {
 public:
  /// Creates the runtime root if needed (runtime_dir.h).
  explicit ContainerStore(const Layout& layout);

  /// Assigns an id and a unique name (generated when `name` is empty; Docker's name rules),
  /// creates the container's directories with config.json and a "created" state. Throws Error
  /// ("Conflict. The container name \"/x\" is already in use by container \"<id>\"").
  /// `owned`: this process starts it right away (it is its owner until a monitor takes over).
  void Create(ContainerConfig* cfg, bool owned = false);
  /// Finds by full id, unique id prefix or name; throws Error("No such container: x").
  std::string Resolve(const std::string& name_or_id) const;
  std::vector<std::string> ListIds() const;
  /// Calls `fn` for every container whose config and state can be read; one being created or
  /// removed meanwhile is passed over.
  void ForEach(const std::function<void(const std::string& id, const ContainerConfig& c, const ContainerState& st)>& fn) const;
  ContainerConfig LoadConfig(const std::string& id) const;
  /// `rename`: Docker's name rules and conflict message (Create's); the old name is free after.
  void Rename(const std::string& id, const std::string& name);
  /// Rewrites config.json (e.g. `mini start` after the image config changed nothing else).
  void SaveConfig(const ContainerConfig& c) const;
  /// The state, with a dead monitor's "running" turned into "exited".
  ContainerState LoadState(const std::string& id) const;
  /// Writes state.json on tmpfs (no fsync); an end state also goes to the store.
  void SaveState(const std::string& id, const ContainerState& s) const;
  /// Removes cgroups left behind, the container layers, both directories and its lease. Not
  /// for running containers (the caller stops them first).
  void Remove(const std::string& id) const;

  /// containers/<id> in the store (absent for --rm containers).
  std::string Dir(const std::string& id) const { return layout_.ContainerDir(id); }
  /// <runtime root>/containers/<id> on tmpfs.
  std::string RuntimeDir(const std::string& id) const;
  /// True for a --rm container (everything on tmpfs).
  bool Ephemeral(const std::string& id) const;
  /// Its json-file log (Docker's name, <id>-json.log; run/log_file.h), rotated beside it.
  std::string LogPath(const std::string& id) const;
  /// The raw output file of a container from before json-file logs (`logs` prints it as is).
  std::string LegacyLogPath(const std::string& id) const;
  /// The container's overlay upper dir (its changes to the image).
  std::string UpperDir(const std::string& id) const;

 private:
  std::string ConfigPath(const std::string& id) const;

  const Layout& layout_;
  std::string runtime_;
};

}  // namespace mini::run
