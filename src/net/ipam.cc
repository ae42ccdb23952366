#include "net/ipam.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/fs.h"
#include "net/netlink.h"

namespace mini::net {
namespace {

using nlohmann::json;

std::string LeaseText(const Lease& l) {
  return json{{"ContainerId", l.container_id}, {"Name", l.name},         {"Hostname", l.hostname},
              {"Aliases", l.aliases},         {"HostVeth", l.host_veth}, {"HostsFile", l.hosts_file},
              {"Domainname", l.domainname},   {"ExtraHosts", l.extra_hosts},
              {"MacAddress", l.mac},          {"EndpointId", l.endpoint_id},
              {"MonitorPid", l.monitor_pid},  {"MonitorStart", l.monitor_start}, {"Ports", PortMappingsJson(l.ports)}}
      .dump();
}

std::optional<Lease> ParseLease(const std::string& ip, const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  Lease l;
  l.ip = ip;
  l.container_id = j.value("ContainerId", "");
  l.name = j.value("Name", "");
  l.hostname = j.value("Hostname", "");
  l.aliases = j.value("Aliases", std::vector<std::string>{});
  l.host_veth = j.value("HostVeth", "");
  l.hosts_file = j.value("HostsFile", "");
  l.domainname = j.value("Domainname", "");
  l.extra_hosts = j.value("ExtraHosts", "");
  l.mac = j.value("MacAddress", "");
  l.endpoint_id = j.value("EndpointId", "");
  l.monitor_pid = j.value("MonitorPid", 0);
  l.monitor_start = j.value("MonitorStart", uint64_t{0});
  l.ports = PortMappingsFromJson(j.value("Ports", json::array()));
  return l;
}

/// A complete temp file next to the leases, already flocked (shared) through `*fd`, to be
/// linked into place.
std::string WriteTemp(const std::string& dir, const Lease& l, UniqueFd* fd) {
  std::string tmp = dir + "/.tmp-" + std::to_string(getpid()) + "-" + RandomString(6);
  fd->reset(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!*fd) ThrowErrno("create " + tmp);
  if (flock(fd->get(), LOCK_SH) != 0) ThrowErrno("lock " + tmp);
  std::string text = LeaseText(l);
  WriteAll(fd->get(), text.data(), text.size(), tmp);
  return tmp;
}

/// Is the lease file at `path` held by its owner? (An exclusive try-lock fails while the
/// owner's shared lock is there.)
bool Held(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) return false;
  return flock(fd.get(), LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
}

}  // namespace

Lease AllocateLease(const Layout& layout, const NetworkConfig& n, Lease lease, std::optional<uint32_t> requested,
                    UniqueFd* hold) {
  std::string dir = layout.NetworkLeasesDir(n.name);
  uint32_t bcast = n.net | ~PrefixMask(n.prefix);
  if (requested) {
    if ((*requested & PrefixMask(n.prefix)) != n.net || *requested == n.net || *requested == bcast)
      throw Error("no available IPv4 addresses on this network's address pools: " + n.name + " (" +
                  FormatIpv4(*requested) + " is not a host address of " + n.subnet + ")");
    if (*requested == n.gw) throw Error("Address already in use: " + FormatIpv4(*requested) + " is the gateway of " + n.name);
  }
  MakeDirs(dir, 0700);
  std::string tmp = WriteTemp(dir, lease, hold);
  struct Unlink {
    std::string p;
    ~Unlink() { unlink(p.c_str()); }
  } cleanup{tmp};
  auto try_take = [&](uint32_t ip) {
    lease.ip = FormatIpv4(ip);
    std::string path = dir + "/" + lease.ip;
    if (link(tmp.c_str(), path.c_str()) == 0) return true;
    if (errno != EEXIST) ThrowErrno("create lease " + path);
    return false;
  };
  if (requested) {
    if (try_take(*requested)) return lease;
    throw Error("Address already in use: " + FormatIpv4(*requested) + " on network " + n.name);
  }
  // Round robin from the address after the last one handed out (as Docker's and CNI's
  // allocators do): an address just released, whose old veth may still exist for a few ms,
  // is not the first one handed out again.
  uint32_t first = n.net + 1, count = bcast - first;
  uint32_t start = 0;
  std::string last_path = layout.NetworkLastIp(n.name);
  if (auto last = ReadFileIfExists(last_path, 64)) {
    in_addr a;
    std::string text = last->substr(0, last->find_first_of(" \n"));
    if (inet_pton(AF_INET, text.c_str(), &a) == 1) {
      uint32_t l = ntohl(a.s_addr);
      if (l >= first && l < bcast) start = l - first + 1;
    }
  }
  for (uint32_t i = 0; i < count; i++) {
    uint32_t ip = first + (start + i) % count;
    if (ip == n.gw) continue;
    if (try_take(ip)) {
      // A fixed-size record rewritten in place: no O_TRUNC (ext4 flushes a truncated and
      // rewritten file at close).
      std::string rec = lease.ip + std::string(16 - lease.ip.size(), ' ') + "\n";
      UniqueFd fd(open(last_path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
      if (fd) (void)!pwrite(fd.get(), rec.data(), rec.size(), 0);  // only a hint
      return lease;
    }
  }
  throw Error("no available IPv4 addresses on this network's address pools: " + n.name + " (" + n.subnet + ")");
}

void ReleaseLease(const Layout& layout, const std::string& network, const std::string& ip) {
  std::string path = layout.NetworkLease(network, ip);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) ThrowErrno("remove lease " + path);
}

void ReleaseLeaseOf(const Layout& layout, const std::string& network, const std::string& ip,
                    const std::string& container_id) {
  auto text = ReadFileIfExists(layout.NetworkLease(network, ip), 1 << 20);
  if (!text) return;
  auto l = ParseLease(ip, *text);
  if (l && l->container_id != container_id) return;
  ReleaseLease(layout, network, ip);
}

void RemoveStaleLeaseTemps(const Layout& layout, const std::string& network) {
  std::string dir = layout.NetworkLeasesDir(network);
  for (const auto& name : ListDirNames(dir))
    if (name.rfind(".tmp-", 0) == 0 && !Held(dir + "/" + name)) unlink((dir + "/" + name).c_str());
}

std::vector<Lease> ListLeases(const Layout& layout, const std::string& network) {
  std::vector<Lease> out;
  std::string dir = layout.NetworkLeasesDir(network);
  for (const auto& name : ListDirNames(dir)) {
    if (name.empty() || name[0] == '.') continue;
    auto text = ReadFileIfExists(dir + "/" + name, 1 << 20);
    if (!text) continue;
    if (auto l = ParseLease(name, *text)) {
      l->alive = Held(dir + "/" + name);
      out.push_back(*l);
    }
  }
  return out;
}

}  // namespace mini::net
