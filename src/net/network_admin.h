#pragma once
/// What `mini network ls|inspect|rm|prune` do, in Docker's shapes: the listing rows (with
/// Docker's predefined `host` and `none` rows), the inspect JSON (IPAM config, containers),
/// removal (refused while a container uses the network; the bridge and its NAT rules go too).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "net/network_settings.h"
#include "net/network_store.h"
#include "store/layout.h"

namespace mini::net {

struct NetworkRow {
  std::string id, name, driver, scope = "local";
};

/// Every network, the default one (made if missing), `host` and `none`, sorted by name.
std::vector<NetworkRow> ListNetworkRows(const Layout& layout);

/// `docker network inspect` for one network (name, id or id prefix). Throws Error
/// ("network x not found").
nlohmann::json InspectNetwork(const Layout& layout, const std::string& name_or_id);

/// Removes a user network: refused for predefined ones and while containers are attached.
void RemoveNetwork(const Layout& layout, const std::string& name_or_id);

/// Removes every user network without containers; returns their names.
std::vector<std::string> PruneNetworks(const Layout& layout);

/// Pure: Docker's NetworkSettings of a container from its recorded settings (none = not on a
/// bridge network or not running); `mode` is its --network.
nlohmann::json NetworkSettingsJson(const std::string& mode, const NetworkSettings* s);

}  // namespace mini::net
