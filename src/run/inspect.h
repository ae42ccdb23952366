#pragma once
/// `mini inspect CONTAINER`: the container in the shape of `docker inspect` (Id, Name, Created,
/// Path, Args, State, Image, Config, HostConfig, Mounts, GraphDriver, ...), built from
/// config.json, the current state and the layer directories.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "run/container.h"

namespace mini::run {

/// Pure: the JSON for a container given its config, state and overlay directories.
struct LayerDirs {
  std::string lower;  ///< "init:layer1:layer2" (top first), absolute
  std::string upper, merged, work;
};
nlohmann::json ContainerInspectJson(const ContainerConfig& c, const ContainerState& st, const LayerDirs& dirs,
                                    const std::string& volumes_dir, const std::string& log_path);

/// The id of the container named `name_or_id` (ContainerStore::Resolve), nullopt if none.
std::optional<std::string> FindContainer(const Layout& layout, const std::string& name_or_id);

/// Loads container `id` and builds its JSON. Throws Error("No such container: ...").
nlohmann::json InspectContainer(const Layout& layout, const std::string& id);

}  // namespace mini::run
