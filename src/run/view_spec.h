#pragma once
/// What the container sees of its host (`RunSpec::view`, raw flag values) parsed into typed
/// values with Docker's rules and error messages. Pure (no syscalls); the same parse runs at
/// create time (to refuse bad input with kInvalidInput before anything exists) and again at
/// start (the stored raw values are the record). Unit-tested.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "run/run_spec.h"

namespace mini::run {

/// Docker's default /dev/shm size: 64 MiB.
constexpr int64_t kDefaultShmSize = 64 << 20;

struct ExtraHost {
  std::string name;
  std::string ip;  ///< an address, or "host-gateway" (resolved at create time)
};

struct Ulimit {
  std::string name;  ///< Docker's name: "nofile"
  int resource = 0;  ///< RLIMIT_*
  int64_t soft = 0, hard = 0;  ///< -1 = unlimited
};

struct DeviceMapping {
  std::string host;       ///< PathOnHost (absolute)
  std::string container;  ///< PathInContainer (absolute; the host path when not given)
  std::string perms = "rwm";  ///< CgroupPermissions
};

/// --pid / --ipc / --network container:NAME.
struct NamespaceMode {
  enum class Kind { kPrivate, kHost, kContainer, kShareable, kNone };
  Kind kind = Kind::kPrivate;
  std::string container;  ///< kContainer: the other container's name or id
};

struct View {
  std::vector<ExtraHost> extra_hosts;
  std::vector<Ulimit> ulimits;
  int64_t shm_size = kDefaultShmSize;
  std::vector<DeviceMapping> devices;
  std::vector<std::pair<std::string, std::string>> sysctls;  ///< in the given order
  std::map<std::string, std::string> labels;
  NamespaceMode pid, ipc;
  std::optional<std::string> net_container;  ///< --network container:NAME
};

/// Parses and checks every field of `spec.view` against the rest of `spec` (network mode,
/// ports, hostname). Throws Error(kInvalidInput) with Docker's message, e.g.
///   invalid argument "x" for "--add-host" flag: bad format for add-host: "x"
///   invalid argument "nofile=1:x" for "--ulimit" flag: invalid ulimit argument: nofile=1:x
///   invalid argument "kernel.hostname=x" for "--sysctl" flag: sysctl 'kernel.hostname=x' is not whitelisted
///   conflicting options: hostname and the network mode
/// Host paths (devices, cidfile) are not looked at here.
View ParseView(const RunSpec& spec);

/// The container-side path of `--network container:NAME`: NAME, or nullopt for other modes.
std::optional<std::string> NetworkContainer(const std::string& network);

/// `--ulimit` names -> RLIMIT_*; -1 when unknown.
int UlimitResource(const std::string& name);

/// Docker's resolv.conf when --dns, --dns-search or --dns-option is given: each list replaces
/// the host's (`host` is its resolv.conf, already without loopback nameservers on a bridge);
/// "search ." means none. Pure.
std::string BuildResolvConf(const std::string& host, const std::vector<std::string>& dns,
                            const std::vector<std::string>& search, const std::vector<std::string>& options);

/// The /etc/hosts lines of --add-host entries ("IP\tNAME\n" each); host-gateway -> `gateway`.
std::string ExtraHostsLines(const std::vector<ExtraHost>& hosts, const std::string& gateway);

/// --group-add entries -> gids: numbers as they are, names looked up in the container's
/// /etc/group content (nullopt: no file). Throws Error("Unable to find group NAME").
std::vector<uint32_t> ResolveGroupAdd(const std::vector<std::string>& groups,
                                      const std::optional<std::string>& group_file);

}  // namespace mini::run
