#include "run/view_inspect.h"

#include "common/error.h"
#include "run/view_spec.h"

namespace mini::run {
namespace {

using nlohmann::json;

json ListOrNull(const std::vector<std::string>& v) { return v.empty() ? json(nullptr) : json(v); }

}  // namespace

json ContainerLabels(const ContainerConfig& c) {
  const json& icfg = c.image.config;
  json labels = icfg.is_object() && icfg.contains("Labels") && icfg["Labels"].is_object() ? icfg["Labels"]
                                                                                          : json::object();
  for (const auto& l : c.spec.view.labels) {
    size_t eq = l.find('=');
    labels[l.substr(0, eq)] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  return labels;
}

void AddViewToInspect(const ContainerConfig& c, json* j) {
  const ViewSpec& s = c.spec.view;
  View v;
  try {
    v = ParseView(c.spec);
  } catch (const Error&) {
  }
  json& h = (*j)["HostConfig"];
  h["ContainerIDFile"] = s.cidfile;
  h["ExtraHosts"] = ListOrNull(s.add_hosts);
  h["Dns"] = json(s.dns);
  h["DnsSearch"] = json(s.dns_search);
  h["DnsOptions"] = json(s.dns_options);
  json ulimits = json::array();
  for (const auto& u : v.ulimits) ulimits.push_back({{"Name", u.name}, {"Hard", u.hard}, {"Soft", u.soft}});
  h["Ulimits"] = ulimits.empty() ? json(nullptr) : ulimits;
  h["ShmSize"] = v.shm_size;
  json devices = json::array();
  for (const auto& d : v.devices)
    devices.push_back({{"PathOnHost", d.host}, {"PathInContainer", d.container}, {"CgroupPermissions", d.perms}});
  h["Devices"] = devices;
  h["GroupAdd"] = ListOrNull(s.group_add);
  json sysctls = json::object();
  for (const auto& [k, val] : v.sysctls) sysctls[k] = val;
  if (!sysctls.empty()) h["Sysctls"] = sysctls;
  h["PidMode"] = s.pid_mode;
  h["IpcMode"] = s.ipc_mode.empty() ? "private" : s.ipc_mode;
  json& cfg = (*j)["Config"];
  cfg["Domainname"] = s.domainname;
  cfg["Labels"] = ContainerLabels(c);
}

}  // namespace mini::run
