#include "net/network_endpoint.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <cstdio>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "common/process.h"
#include "common/timing.h"
#include "net/hosts_file.h"
#include "net/nat.h"
#include "net/netlink.h"

namespace mini::net {
namespace {

/// The bridge of `n`, made (up, with the gateway address) when missing, e.g. after a reboot.
/// Returns its index. An existing bridge whose route_localnet is off never had its NAT rules
/// made (EnsureNetworkRules turns it on), e.g. one made by an older mini: they are made now.
int EnsureBridgeOf(Netlink& nl, const NetworkConfig& n) {
  if (int index = nl.LinkIndex(n.bridge)) {
    auto flag = ReadFileIfExists("/proc/sys/net/ipv4/conf/" + n.bridge + "/route_localnet", 16);
    if (flag && flag->rfind("1", 0) != 0) EnsureNetworkRules(n.bridge, n.subnet);
    return index;
  }
  int index = nl.EnsureBridge(n.bridge);
  try {
    nl.AddAddress(index, n.gw, n.prefix, "bridge " + n.bridge, true);
    EnsureNetworkRules(n.bridge, n.subnet);
  } catch (...) {
    nl.DeleteLink(n.bridge);  // a bridge without its rules (or address) is not left behind
    throw;
  }
  return index;
}

/// Everything a lease stands for, once its container is gone. Call under the network's lock.
void ReleaseEndpoint(const Layout& layout, const std::string& network, const Lease& l, bool refresh_peers) {
  if (!l.ports.empty()) {
    try {
      RemovePortForwards(l.ip, l.ports);
    } catch (const Error& e) {
      Warn(e.what());
    }
  }
  if (!l.host_veth.empty()) {
    try {
      Netlink().DeleteLink(l.host_veth);
    } catch (const Error& e) {
      Warn(e.what());
    }
  }
  ReleaseLeaseOf(layout, network, l.ip, l.container_id);
  if (refresh_peers) RefreshPeerHosts(layout, network);
}

/// Collects the dead leases of one network; call under its lock.
void CollectLocked(const Layout& layout, const NetworkConfig& n) {
  bool any = false;
  for (const auto& l : ListLeases(layout, n.name)) {
    if (LeaseAlive(l)) continue;
    ReleaseEndpoint(layout, n.name, l, false);
    any = true;
  }
  if (any && !n.is_default()) RefreshPeerHosts(layout, n.name);
}

}  // namespace

std::string HostVethName(const std::string& endpoint_id) { return "veth" + endpoint_id.substr(0, 11); }

std::string MacForIp(uint32_t ip) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "02:42:%02x:%02x:%02x:%02x", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
  return buf;
}

Endpoint::Endpoint(const Layout& layout, const EndpointRequest& req, const std::string& hosts_path)
    : layout_(layout) {
  net_ = NetworkStore(layout).Get(NetworkNameFor(req.network));
  TimingMark("network: load");
  std::optional<uint32_t> requested;
  if (!req.ip.empty()) requested = ParseIpv4(req.ip);
  Lease want;
  want.container_id = req.container_id;
  want.name = req.name;
  want.hostname = req.hostname;
  want.aliases = req.aliases;
  want.hosts_file = hosts_path;
  want.domainname = req.domainname;
  for (const auto& [name, ip] : req.extra_hosts)
    want.extra_hosts += (ip == "host-gateway" ? net_.gateway : ip) + "\t" + name + "\n";
  want.endpoint_id = NewRandomId();
  // Named after the endpoint, not the container: a restart never meets the pair of its
  // previous run that is still being deleted.
  want.host_veth = HostVethName(want.endpoint_id);
  want.monitor_pid = getpid();
  want.monitor_start = ProcessStartTime(want.monitor_pid);
  // Host ports first: a port already taken fails before anything else was made.
  if (!req.ports.empty()) {
    ports_ = ReservePorts(req.ports);
    want.ports = ports_.mappings();
  }
  {
    Netlink nl;
    bridge_index_ = EnsureBridgeOf(nl, net_);
  }
  TimingMark("network: bridge");
  FileLock lock(layout.NetworkLock(net_.name));
  TimingMark("network: lock");
  CollectLocked(layout, net_);
  TimingMark("network: collect");
  lease_ = AllocateLease(layout, net_, want, requested, &lease_hold_);
  TimingMark("network: allocate");
  uint32_t ip = ParseIpv4(lease_.ip);
  lease_.mac = MacForIp(ip);
  try {
    // The container's own /etc/hosts, then (user networks) its peers'.
    std::vector<Lease> members = net_.is_default() ? std::vector<Lease>{lease_} : ListLeases(layout, net_.name);
    RewriteInPlace(hosts_path, HostsContentFor(lease_, members, !net_.is_default()));
    if (!net_.is_default()) RefreshPeerHosts(layout, net_.name);
    if (!lease_.ports.empty()) {
      EnsureNetworkRules(net_.bridge, net_.subnet);
      forwarded_ = true;
      AddPortForwards(lease_.ip, lease_.ports);
    }
  } catch (...) {
    if (forwarded_) {
      try {
        RemovePortForwards(lease_.ip, lease_.ports);
      } catch (const Error& e) {
        Warn(e.what());
      }
    }
    ReleaseLease(layout, net_.name, lease_.ip);
    if (!net_.is_default()) RefreshPeerHosts(layout, net_.name);
    throw;
  }
  settings_.network = net_.name;
  settings_.network_id = net_.id;
  settings_.endpoint_id = lease_.endpoint_id;
  settings_.bridge = net_.bridge;
  settings_.host_veth = lease_.host_veth;
  settings_.ip = lease_.ip;
  settings_.gateway = net_.gateway;
  settings_.prefix = net_.prefix;
  settings_.mac = lease_.mac;
  settings_.aliases = lease_.aliases;
  settings_.ports = lease_.ports;
  settings_.default_network = net_.is_default();
  TimingMark("network: lease, hosts");
}

namespace {

struct Deferred {
  bool active = false;
  std::vector<std::string> names;
};
Deferred& DeferredVeths() {
  static Deferred d;
  return d;
}

}  // namespace

void DeferVethDeletion() { DeferredVeths().active = true; }

void DeleteDeferredVeths() noexcept {
  Deferred& d = DeferredVeths();
  for (const auto& name : d.names) {
    try {
      Netlink().DeleteLink(name);
    } catch (const std::exception& e) {
      Warn(std::string("network teardown: ") + e.what());
    }
  }
  d.names.clear();
}

Endpoint::~Endpoint() { Teardown(); }

void Endpoint::Plug(pid_t pid) {
  Netlink nl;
  VethRequest v;
  int master = bridge_index_;
  v.host_name = lease_.host_veth;
  v.peer_netns_pid = pid;
  v.master_index = master;
  uint32_t ip = ParseIpv4(lease_.ip);
  v.peer_mac = {0x02, 0x42, static_cast<uint8_t>(ip >> 24), static_cast<uint8_t>(ip >> 16),
                static_cast<uint8_t>(ip >> 8), static_cast<uint8_t>(ip)};
  plugged_ = true;  // from here on a half-made pair is deleted too
  nl.CreateVeth(v);
  TimingMark("network: veth");
}

ContainerNetConfig Endpoint::ChildConfig() const {
  ContainerNetConfig c;
  c.ip = ParseIpv4(lease_.ip);
  c.gateway = net_.gw;
  c.prefix = net_.prefix;
  return c;
}

void Endpoint::Teardown() noexcept {
  // Port forwards go now, in the foreground, before the host ports are freed: a next
  // container may publish the same port right after this one.
  if (forwarded_) {
    try {
      RemovePortForwards(lease_.ip, lease_.ports);
    } catch (const std::exception& e) {
      Warn(std::string("network teardown: ") + e.what());
    }
    TimingMark("network: remove port forwards");
  }
  ports_.Release();
  try {
    FileLock lock(layout_.NetworkLock(net_.name));
    ReleaseLeaseOf(layout_, net_.name, lease_.ip, lease_.container_id);
    if (!net_.is_default()) RefreshPeerHosts(layout_, net_.name);
  } catch (const std::exception& e) {
    Warn(std::string("network teardown: ") + e.what());
  }
  lease_hold_.reset();
  TimingMark("network: release lease");
  if (!plugged_) return;
  if (DeferredVeths().active) {
    DeferredVeths().names.push_back(lease_.host_veth);
    return;
  }
  // Deleting a veth takes ~15 ms of kernel time (RCU barriers), longer than a whole
  // `run --rm`: a detached grandchild, in its own session, deletes it. (The address may be
  // leased again meanwhile: the allocator hands out the next address first, not this one.)
  pid_t child = fork();
  if (child == 0) {
    setsid();
    if (fork() != 0) _exit(0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3; fd++) dup2(null, fd);
    close_range(3, ~0U, 0);
    DeleteVeth();
    _exit(0);
  }
  if (child < 0) {
    DeleteVeth();
    return;
  }
  while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  TimingMark("network: veth deletion handed off");
}

void Endpoint::DeleteVeth() noexcept {
  try {
    Netlink().DeleteLink(lease_.host_veth);
  } catch (const std::exception& e) {
    Warn(std::string("network teardown: ") + e.what());
  }
}

void CollectDeadEndpoints(const Layout& layout, const std::string& network) {
  NetworkStore store(layout);
  for (const auto& n : store.List()) {
    if (!network.empty() && n.name != network) continue;
    try {
      FileLock lock(layout.NetworkLock(n.name));
      CollectLocked(layout, n);
      RemoveStaleLeaseTemps(layout, n.name);
    } catch (const Error& e) {
      Warn(e.what());
    }
  }
}

std::vector<Lease> ActiveEndpoints(const Layout& layout, const std::string& network) {
  CollectDeadEndpoints(layout, network);
  std::vector<Lease> out;
  for (auto& l : ListLeases(layout, network))
    if (LeaseAlive(l)) out.push_back(l);
  return out;
}

void ConfigureContainerNetwork(const ContainerNetConfig& c) {
  Netlink().ConfigureContainerInterface(c.dev, c.ip, c.prefix, c.gateway);
}

}  // namespace mini::net
