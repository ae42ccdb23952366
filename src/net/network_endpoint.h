#pragma once
/// One container's attachment to a bridge network, for the runner: before clone, the network
/// (its bridge made when missing), an address lease and the container's /etc/hosts (and its
/// peers'); after clone, the veth pair with eth0 made directly in the container's netns; on
/// destruction (normal end or any failure) port forwards are removed, the lease released and
/// the peers' /etc/hosts updated, and a detached process deletes the host veth (that costs
/// ~15 ms of RCU waits in the kernel; the caller does not wait for it). Leases of dead monitors are collected by
/// CollectDeadEndpoints (called by later minis: allocation, ps, rm, network commands).
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "net/ipam.h"
#include "net/network_settings.h"
#include "net/network_store.h"
#include "net/port_reservation.h"
#include "store/layout.h"

namespace mini::net {

/// What the container's first process sets up in its own netns (after the sync byte).
struct ContainerNetConfig {
  std::string dev = "eth0";
  uint32_t ip = 0, gateway = 0;
  int prefix = 0;
};

/// Who asks for an endpoint: the container (its id, names) and what it asked for with
/// --network, --ip, --network-alias and -p.
struct EndpointRequest {
  std::string container_id;
  std::string name;  ///< container name
  std::string hostname;
  std::string network;  ///< the --network mode ("bridge" or a network's name)
  std::string ip;       ///< --ip, or empty
  std::vector<std::string> aliases;
  std::vector<PortRequest> ports;
  std::string domainname;  ///< --domainname
  /// --add-host (name, address or "host-gateway": the network's gateway), in order
  std::vector<std::pair<std::string, std::string>> extra_hosts;
};

/// A process that has nothing left to do after a container's end but exit (a `run --rm`
/// monitor) asks for the host veths to be kept until it calls DeleteDeferredVeths, after it
/// has let its client go; otherwise each endpoint hands its veth to a detached process. A
/// veth never leaks either way: the kernel deletes the pair when the container's netns dies.
void DeferVethDeletion();
/// Deletes the veths kept by DeferVethDeletion (~15 ms each, in the kernel). Never throws.
void DeleteDeferredVeths() noexcept;

class Endpoint {
 public:
  /// Makes the network ready, reserves the published host ports, takes the lease for
  /// container `req` (whose /etc/hosts, in its init layer, is `hosts_path`) and adds the port
  /// forwards. Throws Error (leaving nothing), e.g. "Bind for 127.0.0.1:80 failed: port is
  /// already allocated".
  Endpoint(const Layout& layout, const EndpointRequest& req, const std::string& hosts_path);
  ~Endpoint();
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;

  /// Creates the veth pair: eth0 in the netns of `pid`, host end on the bridge. Throws Error.
  void Plug(pid_t pid);
  ContainerNetConfig ChildConfig() const;
  const NetworkSettings& settings() const { return settings_; }
  const NetworkConfig& network() const { return net_; }

 private:
  void Teardown() noexcept;
  void DeleteVeth() noexcept;

  const Layout& layout_;
  NetworkConfig net_;
  Lease lease_;
  UniqueFd lease_hold_;  ///< shared flock on the lease file: "this lease is in use"
  NetworkSettings settings_;
  PortReservation ports_;  ///< host ports held while the container runs
  bool forwarded_ = false;
  int bridge_index_ = 0;
  bool plugged_ = false;
};

/// Host veth name of an endpoint: "veth" + the first 11 hex of its id (kept in the lease).
std::string HostVethName(const std::string& endpoint_id);
/// Docker's MAC for an address: 02:42 followed by the four address bytes.
std::string MacForIp(uint32_t ip);

/// Releases the leases (veth, port forwards, lease, peers' /etc/hosts) whose monitor is gone,
/// in network `network` or, when empty, in every network of the store. Best effort.
void CollectDeadEndpoints(const Layout& layout, const std::string& network = "");

/// Live leases of a network (after collecting the dead ones).
std::vector<Lease> ActiveEndpoints(const Layout& layout, const std::string& network);

/// Configures the container's interface from inside its netns (lo, address, default route).
void ConfigureContainerNetwork(const ContainerNetConfig& c);

}  // namespace mini::net
