#pragma once
/// What a container's endpoint on a bridge network is, as recorded in its state.json and shown
/// by `mini inspect` and `mini port`. Plain data.
#include <string>
#include <vector>

#include "net/port_spec.h"

namespace mini::net {

/// A container's place on a bridge network while it runs (Docker's NetworkSettings).
struct NetworkSettings {
  std::string network;      ///< network name ("mini" for the default)
  std::string network_id;
  std::string endpoint_id;
  std::string bridge;       ///< host bridge
  std::string host_veth;    ///< host end of the veth pair
  std::string ip, gateway, mac;
  int prefix = 0;
  std::vector<std::string> aliases;
  std::vector<PortMapping> ports;  ///< published ports with their real host ports
  bool default_network = false;
};

}  // namespace mini::net
