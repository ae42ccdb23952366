#include "net/hosts_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/error.h"
#include "common/fs.h"

namespace mini::net {
namespace {

/// "ip\tname1 name2 ..." without repeated names; empty names are skipped.
std::string Line(const std::string& ip, const std::vector<std::string>& names) {
  std::vector<std::string> seen;
  std::string out = ip + "\t";
  for (const auto& n : names) {
    if (n.empty() || std::find(seen.begin(), seen.end(), n) != seen.end()) continue;
    out += (seen.empty() ? "" : " ") + n;
    seen.push_back(n);
  }
  return out + "\n";
}

}  // namespace

std::string DefaultHostsContent() {
  return "127.0.0.1\tlocalhost\n"
         "::1\tlocalhost ip6-localhost ip6-loopback\n"
         "fe00::0\tip6-localnet\n"
         "ff00::0\tip6-mcastprefix\n"
         "ff02::1\tip6-allnodes\n"
         "ff02::2\tip6-allrouters\n";
}

std::string HostsContentFor(const Lease& self, const std::vector<Lease>& members, bool with_peers) {
  std::string out = DefaultHostsContent() + self.extra_hosts;
  std::string fqdn = self.domainname.empty() ? "" : self.hostname + "." + self.domainname;
  if (!with_peers) return out + Line(self.ip, {fqdn, self.hostname});
  std::vector<std::string> own = {fqdn, self.hostname, self.name};
  own.insert(own.end(), self.aliases.begin(), self.aliases.end());
  out += Line(self.ip, own);
  std::vector<const Lease*> peers;
  for (const auto& m : members)
    if (m.container_id != self.container_id) peers.push_back(&m);
  std::sort(peers.begin(), peers.end(), [](const Lease* a, const Lease* b) { return a->name < b->name; });
  for (const Lease* p : peers) {
    std::vector<std::string> names = {p->name, p->hostname};
    names.insert(names.end(), p->aliases.begin(), p->aliases.end());
    out += Line(p->ip, names);
  }
  return out;
}

bool RewriteInPlace(const std::string& path, const std::string& content) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    ThrowErrno("open " + path);
  }
  WriteAll(fd.get(), content.data(), content.size(), path);
  return true;
}

void RefreshPeerHosts(const Layout& layout, const std::string& network) {
  std::vector<Lease> all = ListLeases(layout, network), live;
  for (auto& l : all)
    if (LeaseAlive(l)) live.push_back(l);
  for (const auto& l : live) {
    if (l.hosts_file.empty()) continue;
    try {
      RewriteInPlace(l.hosts_file, HostsContentFor(l, live, true));
    } catch (const Error&) {
      // A peer being removed right now; its own teardown does not need the update.
    }
  }
}

}  // namespace mini::net
