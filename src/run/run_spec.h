#pragma once
/// What the user asked `mini run` for: a plain description, filled by the CLI, read by the
/// runner. No behaviour here.
#include <cstdint>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "net/port_spec.h"

namespace mini::run {

/// One `-v` or `--tmpfs` request, or a build step's RUN --mount.
struct MountRequest {
  enum class Kind { kBind, kVolume, kTmpfs, kLayered };
  Kind kind = Kind::kBind;
  /// host path (bind), volume name, or for kLayered the path inside the merged view; empty for tmpfs
  std::string source;
  std::string target;  ///< absolute path inside the container
  bool read_only = false;
  std::string options;  ///< tmpfs options ("size=64m,mode=1777", "exec" drops noexec), else empty
  /// kLayered (build steps only, never written to config.json): the merged view of `lowers`
  /// (host directories, top first; a single one is used as it is), `source` resolved inside it
  /// (never out of it), bound on `target`. Writable only with !read_only, and then into a
  /// throw-away overlay upper under `scratch` (an empty host directory on a real filesystem);
  /// with no `scratch`, writable in place (a cache mount's own directory).
  std::vector<std::string> lowers;
  std::string scratch;
  /// `-v /host/path:...`: a missing host directory is made at create time, as Docker does
  /// (`--mount type=bind` requires it to exist).
  bool create_source = false;
  /// Binds: "" (rprivate), private, rprivate, shared, rshared, slave, rslave
  /// (run/rootfs/mount_propagation.h).
  std::string propagation;
  /// Binds: `bind-nonrecursive`, the mounts under the source are not bound along.
  bool non_recursive = false;
  /// Volumes: `nocopy` / `volume-nocopy`, an empty volume is not seeded from the image.
  bool no_copy = false;
  /// Volumes: `volume-opt=` and `volume-label=` of --mount, used when this mount creates the
  /// volume (create time only; not kept in config.json).
  std::map<std::string, std::string> volume_options, volume_labels;
};

/// Resource limits; unset fields mean "no limit".
struct Resources {
  std::optional<int64_t> memory;       ///< bytes
  std::optional<int64_t> memory_swap;  ///< bytes of memory+swap; -1 = unlimited swap
  std::optional<double> cpus;          ///< fractional cpus -> cfs quota/period
  std::optional<int64_t> cpu_shares;
  std::optional<std::string> cpuset_cpus;
  std::optional<std::string> cpuset_mems;
  std::optional<int64_t> pids_limit;   ///< <= 0 = unlimited
  bool oom_kill_disable = false;       ///< v1 memory.oom_control; cgroup v2 has no such knob
};

/// Supervision by the container's monitor (restart policy, healthcheck, init, stop). Raw
/// flag values as the user typed them; the runner validates them at create time.
struct SuperviseSpec {
  std::string restart = "no";               ///< --restart no|on-failure[:N]|always|unless-stopped
  std::optional<std::string> health_cmd;    ///< --health-cmd (a shell command: CMD-SHELL)
  std::string health_interval, health_timeout, health_start_period, health_start_interval;  ///< durations ("30s")
  std::optional<int> health_retries;        ///< --health-retries
  bool no_healthcheck = false;              ///< --no-healthcheck
  bool init = false;                        ///< --init
  std::string stop_signal;                  ///< --stop-signal (empty: the image's, else SIGTERM)
  std::optional<int> stop_timeout;          ///< --stop-timeout seconds (empty: 10)
};

/// Where the container's output goes, and how a client detaches.
struct LogSpec {
  std::string driver = "json-file";         ///< --log-driver json-file|none
  std::vector<std::string> opts;            ///< --log-opt KEY=VALUE (max-size=, max-file=)
  std::string detach_keys;                  ///< --detach-keys (empty: ctrl-p,ctrl-q)
};

/// What the container sees of its host: names, resolver, limits, devices, namespaces shared.
/// Raw flag values; the runner validates them at create time.
struct ViewSpec {
  std::string domainname;                   ///< --domainname
  std::vector<std::string> add_hosts;       ///< --add-host NAME:IP
  std::vector<std::string> dns, dns_search, dns_options;  ///< --dns, --dns-search, --dns-option
  std::vector<std::string> ulimits;         ///< --ulimit NAME=SOFT[:HARD]
  std::string shm_size;                     ///< --shm-size (e.g. 64m)
  std::vector<std::string> devices;         ///< --device HOST[:CTR[:PERMS]]
  std::vector<std::string> group_add;       ///< --group-add GROUP
  std::vector<std::string> sysctls;         ///< --sysctl KEY=VALUE
  std::vector<std::string> labels;          ///< --label KEY=VALUE and --label-file lines
  std::string cidfile;                      ///< --cidfile
  std::string pid_mode;                     ///< --pid host|container:NAME (empty: private)
  std::string ipc_mode;                     ///< --ipc private|shareable|host|container:NAME|none
};

struct RunSpec {
  // Process, with Docker's override rules applied later against the image config.
  std::vector<std::string> args;               ///< trailing args (replace Cmd)
  std::optional<std::string> entrypoint;       ///< --entrypoint ("" clears it)
  std::vector<std::string> env;                ///< -e and --env-file entries, in order
  std::optional<std::string> workdir;          ///< -w
  std::optional<std::string> user;             ///< -u user[:group]
  std::string hostname;                        ///< --hostname; default short id
  /// "bridge" (the default network `mini`), "none" (lo only), "host", or a network's name.
  std::string network = "bridge";
  std::string ip;                              ///< --ip: a fixed address on a user network
  std::vector<std::string> network_aliases;    ///< --network-alias (user networks)
  std::vector<net::PortRequest> ports;         ///< -p (and -P, expanded at create time)
  bool publish_all = false;                    ///< -P (recorded; already expanded into ports)
  bool interactive = false;                    ///< -i
  bool tty = false;                            ///< -t
  bool detach = false;                         ///< -d
  bool remove = false;                         ///< --rm
  /// A build step's container: not listed by `ps`, and removed (like --rm) by the next
  /// collection once the builder that runs it is gone.
  bool build = false;
  bool read_only = false;                      ///< --read-only
  bool privileged = false;
  std::vector<std::string> cap_add, cap_drop;
  /// --security-opt seccomp=...: "default" (Docker's profile), "unconfined", or the text of a
  /// custom JSON profile (read when the container is created, so `mini start` reuses it).
  /// --privileged turns seccomp off whatever this says.
  std::string seccomp = "default";
  std::vector<MountRequest> mounts;
  Resources resources;
  /// --userns: "host" (no user namespace), "auto" or "remap:UID:GID:SIZE" (run/userns/userns.h); the
  /// map chosen at create time is kept in ContainerConfig::idmap.
  std::string userns = "host";
  SuperviseSpec supervise;
  LogSpec log;
  ViewSpec view;
};

}  // namespace mini::run
