#pragma once
/// A small client of systemd's D-Bus API (org.freedesktop.systemd1.Manager) over sd-bus, for the
/// systemd cgroup driver: start a transient unit and stop a unit, each waiting for its job to
/// finish (the JobRemoved signal) within a timeout. Without libsystemd at build time
/// (MINI_HAVE_SYSTEMD unset) Connect() throws.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

struct sd_bus;
struct sd_bus_slot;

namespace mini::run {

/// One property of a transient unit (StartTransientUnit's a(sv)): D-Bus types b, t, s, au.
struct UnitProperty {
  using Value = std::variant<bool, uint64_t, std::string, std::vector<uint32_t>>;
  std::string name;
  Value value;
};

class SystemdBus {
 public:
  /// Connects to systemd: its private socket /run/systemd/private (root; no bus daemon in
  /// between), else the system bus. Throws Error naming both attempts.
  static std::unique_ptr<SystemdBus> Connect();
  /// Connects to the calling user's systemd instance: <runtime_dir>/systemd/private (the
  /// user's $XDG_RUNTIME_DIR, /run/user/<uid>), else the user bus (rootless mini's own scope,
  /// cgroup_rootless.h). Throws Error like Connect.
  static std::unique_ptr<SystemdBus> ConnectUser(const std::string& runtime_dir);
  ~SystemdBus();
  SystemdBus(const SystemdBus&) = delete;
  SystemdBus& operator=(const SystemdBus&) = delete;

  /// StartTransientUnit(unit, "fail", props) and waits up to `timeout_ms` for its job. Throws
  /// Error "systemd: start <unit>: <D-Bus error name>: <message>" or naming the job's result
  /// ("failed", "timeout", ...). A unit that already exists: the D-Bus error
  /// org.freedesktop.systemd1.UnitExists.
  void StartTransientUnit(const std::string& unit, const std::vector<UnitProperty>& props, int timeout_ms);
  /// StopUnit(unit, "replace") and waits for its job; false when the unit is not loaded.
  /// Throws Error like StartTransientUnit.
  bool StopUnit(const std::string& unit, int timeout_ms);

 private:
  SystemdBus(sd_bus* bus, bool bus_client) : bus_(bus), bus_client_(bus_client) {}
  /// Connect and ConnectUser: the private socket `path`, else the system or the user bus.
  static std::unique_ptr<SystemdBus> ConnectAt(const std::string& path, bool user);
  /// Waits for JobRemoved of `job`; returns its result ("done", "failed", ...).
  std::string WaitForJob(const std::string& verb, const std::string& unit, const std::string& job, int timeout_ms);

  sd_bus* bus_;
  bool bus_client_;  ///< through a bus daemon (signals have a sender) or direct
  std::vector<std::string> removed_;  ///< "<job path> <result>" seen by the JobRemoved match
  sd_bus_slot* match_ = nullptr;  ///< the JobRemoved match
};

}  // namespace mini::run
