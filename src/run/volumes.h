#pragma once
/// Named volumes (`mini volume ...`): volumes/<name>/_data in the store, made on first use by
/// `-v NAME:/path` or by `volume create`. A volume is in use while any container (running or
/// not) names it; such a volume is never removed.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/layout.h"

namespace mini::run {

struct VolumeInfo {
  std::string name;
  std::string mountpoint;  ///< volumes/<name>/_data
  std::string created;     ///< RFC 3339
  std::map<std::string, std::string> labels;
  /// The local driver's options (`-o type=tmpfs -o device=tmpfs -o o=size=64m`): the volume is
  /// that mount, made on _data while containers use it (run/volume_mounts.h).
  std::map<std::string, std::string> options;
};

/// Docker's local driver keys: type, device, o. Throws Error("invalid option key: ...").
void CheckVolumeOptions(const std::map<std::string, std::string>& options);

/// Docker's `volume inspect` object.
nlohmann::json VolumeJson(const VolumeInfo& v);

/// Docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+. Throws Error naming the rule.
void CheckVolumeName(const std::string& name);

/// Creates the volume (idempotent, as Docker: an existing volume keeps its labels and options);
/// labels and driver options are recorded. Returns it.
VolumeInfo CreateVolume(const Layout& layout, const std::string& name, const std::map<std::string, std::string>& labels,
                        const std::map<std::string, std::string>& options = {});
/// The driver options of a volume (none for a plain or a missing volume).
std::map<std::string, std::string> VolumeOptions(const Layout& layout, const std::string& name);
/// Whether the volume exists.
bool VolumeExists(const Layout& layout, const std::string& name);
/// Every volume, by name.
std::vector<VolumeInfo> ListVolumes(const Layout& layout);
/// Throws Error(kNotFound, "get NAME: no such volume").
VolumeInfo InspectVolume(const Layout& layout, const std::string& name);
/// For every volume some container names: the ids of those containers (every container config
/// read once).
std::map<std::string, std::vector<std::string>> VolumeUsers(const Layout& layout);
/// Removes a volume no container names. Throws Error(kConflict, "remove NAME: volume is in use -
/// [id, ...]") or Error(kNotFound, "get NAME: no such volume").
void RemoveVolume(const Layout& layout, const std::string& name);
/// Removes the volumes no container names (all of them: mini has no anonymous volumes); returns
/// their names and adds the bytes freed to `reclaimed`.
std::vector<std::string> PruneVolumes(const Layout& layout, uint64_t* reclaimed);

}  // namespace mini::run
