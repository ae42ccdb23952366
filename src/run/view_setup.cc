#include "run/view_setup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/fs.h"
#include "net/network_store.h"
#include "run/launch/join_namespaces.h"
#include "run/runtime_dir.h"

namespace mini::run {

View CheckViewRequest(const Layout& layout, ContainerConfig* c) {
  View v = ParseView(c->spec);
  for (const auto& d : v.devices) DevicesFromPath(d);  // Docker's checks, at create time
  const std::string& cid = c->spec.view.cidfile;
  if (!cid.empty() && PathExists(cid))
    throw Error(ErrorKind::kInvalidInput,
                "Container ID file found, make sure the other container isn't running or delete " + cid);
  if (v.net_container) {
    ContainerStore store(layout);
    c->hostname = store.LoadConfig(store.Resolve(*v.net_container)).hostname;
  }
  return v;
}

void ApplyViewToInitLayer(const Layout& layout, const ContainerConfig& c, const View& view,
                          const std::string& filtered_host, InitLayerFiles* files) {
  const ViewSpec& s = c.spec.view;
  if (view.net_container) {
    // The joined container's files, as they are now (Docker shares them).
    ContainerStore store(layout);
    std::string id = store.Resolve(*view.net_container);
    ContainerConfig other = store.LoadConfig(id);
    std::string init = other.spec.remove ? EphemeralLayersFor(layout, id, store.RuntimeDir(id)).init
                                         : layout.LayerDiff(id + "-init");
    files->hosts = ReadFileIfExists(init + "/etc/hosts", 1 << 20).value_or(files->hosts);
    files->resolv_conf = ReadFileIfExists(init + "/etc/resolv.conf", 1 << 20).value_or(files->resolv_conf);
    return;
  }
  if (!s.dns.empty() || !s.dns_search.empty() || !s.dns_options.empty())
    files->resolv_conf = BuildResolvConf(filtered_host, s.dns, s.dns_search, s.dns_options);
  // Bridge networks: the endpoint writes the hosts file (with these lines) at every start.
  if (net::UsesBridgeNetwork(c.spec.network) || view.extra_hosts.empty()) return;
  std::string gateway;
  for (const auto& h : view.extra_hosts)
    if (h.ip == "host-gateway" && gateway.empty())
      gateway = net::NetworkStore(layout).Get(net::NetworkNameFor("bridge")).gateway;
  files->hosts += ExtraHostsLines(view.extra_hosts, gateway);
}

void WriteCidFile(const ContainerConfig& c) {
  const std::string& path = c.spec.view.cidfile;
  if (path.empty()) return;
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd) {
    if (errno == EEXIST)
      throw Error(ErrorKind::kInvalidInput,
                  "Container ID file found, make sure the other container isn't running or delete " + path);
    ThrowErrno("Failed to create the container ID file " + path);
  }
  WriteAll(fd.get(), c.id.data(), c.id.size(), path);
}

}  // namespace mini::run
