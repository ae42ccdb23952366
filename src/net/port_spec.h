#pragma once
/// Published ports, the pure part: Docker's `-p/--publish` and `-P` syntax turned into
/// requests, and the `mini port` output format. No syscalls here (see port_reservation.h for
/// binding host ports and nat.h for the nftables rules).
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mini::net {

/// One container port to publish, as asked on the command line (host port not yet bound).
struct PortRequest {
  std::string host_ip;          ///< IPv4 address in dotted form; "" = all addresses (also
                                ///< what `-p 0.0.0.0:...` gives).
  uint16_t host_port = 0;       ///< 0 = any free port chosen by the kernel.
  uint16_t host_port_end = 0;   ///< Last port of a host range to pick one from (`8000-8010:80`);
                                ///< equal to host_port (or 0 with it) for a single port.
  uint16_t container_port = 0;
  std::string proto = "tcp";    ///< "tcp" or "udp".
  bool operator==(const PortRequest&) const = default;
};

/// One published port once its host port is reserved: what the NAT rules forward and what
/// `mini port` / `mini inspect` show.
struct PortMapping {
  std::string host_ip;          ///< "" = all addresses.
  uint16_t host_port = 0;       ///< Never 0 once reserved.
  uint16_t container_port = 0;
  std::string proto = "tcp";
  bool operator==(const PortMapping&) const = default;
};

/// Parses one `-p` value with Docker's rules: `CTR`, `HOST:CTR`, `IP:HOST:CTR`, `IP::CTR`, each
/// with an optional `/tcp` or `/udp`, and ranges (`8000-8001:80-81`, `IP::80-81`: one request
/// per container port; `8000-8010:80`: one request that may use any port of the host range).
/// Only IPv4 host addresses are supported. Throws Error `invalid port "<spec>": <reason>`, e.g.
/// `invalid port "x": invalid containerPort: x`; sctp and IPv6 are refused with their own reason.
std::vector<PortRequest> ParsePublish(const std::string& spec);

/// `-P`: one request per entry of the image config's "ExposedPorts" ({"80/tcp": {}, "53/udp":
/// {}}; a key without protocol means tcp), on all addresses with a random host port, sorted by
/// (port, proto). Missing or null ExposedPorts -> empty. `image_config` is the config's "config"
/// object (Docker's ContainerConfig), or the whole image config JSON, which holds it under
/// "config". Throws Error naming a malformed key, or sctp.
std::vector<PortRequest> ExposedPortRequests(const nlohmann::json& image_config);

/// `docker port` line: `80/tcp -> 127.0.0.1:18080`, `53/udp -> 0.0.0.0:32768` (all addresses
/// print as 0.0.0.0).
std::string FormatPortMapping(const PortMapping& m);

/// Sorts mappings the way `docker port` prints them: by container port, then proto, then host
/// address and port.
void SortPortMappings(std::vector<PortMapping>& mappings);

/// Mappings as stored in state.json and leases: [{"HostIp", "HostPort", "ContainerPort",
/// "Proto"}]; a non-array reads as none.
nlohmann::json PortMappingsJson(const std::vector<PortMapping>& ms);
std::vector<PortMapping> PortMappingsFromJson(const nlohmann::json& a);

}  // namespace mini::net
