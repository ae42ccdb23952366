// JSON forms of a container's config.json and state.json (Docker's field names where they exist).
#include <optional>

#include "run/container.h"

#include "common/error.h"

namespace mini::run {
namespace {

nlohmann::json MountsJson(const std::vector<MountRequest>& ms) {
  auto a = nlohmann::json::array();
  for (const auto& m : ms)
    a.push_back({{"Type", m.kind == MountRequest::Kind::kBind ? "bind" : m.kind == MountRequest::Kind::kVolume ? "volume" : "tmpfs"},
                 {"Source", m.source}, {"Destination", m.target}, {"RW", !m.read_only}, {"Options", m.options},
                 {"Propagation", m.propagation}, {"NonRecursive", m.non_recursive},
                 {"NoCopy", m.no_copy}});
  return a;
}

std::vector<MountRequest> MountsFromJson(const nlohmann::json& a) {
  std::vector<MountRequest> out;
  if (!a.is_array()) return out;
  for (const auto& j : a) {
    MountRequest m;
    std::string t = j.value("Type", "bind");
    m.kind = t == "volume" ? MountRequest::Kind::kVolume : t == "tmpfs" ? MountRequest::Kind::kTmpfs : MountRequest::Kind::kBind;
    m.source = j.value("Source", "");
    m.target = j.value("Destination", "");
    m.read_only = !j.value("RW", true);
    m.options = j.value("Options", "");
    m.propagation = j.value("Propagation", "");
    m.non_recursive = j.value("NonRecursive", false);
    m.no_copy = j.value("NoCopy", false);
    out.push_back(m);
  }
  return out;
}

nlohmann::json PortRequestsJson(const std::vector<net::PortRequest>& rs) {
  auto a = nlohmann::json::array();
  for (const auto& r : rs)
    a.push_back({{"HostIp", r.host_ip}, {"HostPort", r.host_port}, {"HostPortEnd", r.host_port_end},
                 {"ContainerPort", r.container_port}, {"Proto", r.proto}});
  return a;
}

std::vector<net::PortRequest> PortRequestsFromJson(const nlohmann::json& a) {
  std::vector<net::PortRequest> out;
  if (!a.is_array()) return out;
  for (const auto& j : a) {
    net::PortRequest r;
    r.host_ip = j.value("HostIp", "");
    r.host_port = j.value("HostPort", uint16_t{0});
    r.host_port_end = j.value("HostPortEnd", uint16_t{0});
    r.container_port = j.value("ContainerPort", uint16_t{0});
    r.proto = j.value("Proto", "tcp");
    out.push_back(r);
  }
  return out;
}

template <class T>
void PutOpt(nlohmann::json& j, const char* k, const std::optional<T>& v) {
  if (v) j[k] = *v;
}
template <class T>
void GetOpt(const nlohmann::json& j, const char* k, std::optional<T>* v) {
  if (j.contains(k) && !j[k].is_null()) *v = j[k].get<T>();
}

template <class T>
void PutNonEmpty(nlohmann::json& j, const char* k, const T& v) {
  if (!v.empty()) j[k] = v;
}
template <class T>
void GetIf(const nlohmann::json& j, const char* k, T* v) {
  if (j.contains(k) && !j[k].is_null()) *v = j[k].get<T>();
}

nlohmann::json SuperviseJson(const SuperviseSpec& s) {
  nlohmann::json j = {{"Restart", s.restart}};
  PutOpt(j, "HealthCmd", s.health_cmd);
  PutNonEmpty(j, "HealthInterval", s.health_interval);
  PutNonEmpty(j, "HealthTimeout", s.health_timeout);
  PutNonEmpty(j, "HealthStartPeriod", s.health_start_period);
  PutNonEmpty(j, "HealthStartInterval", s.health_start_interval);
  PutOpt(j, "HealthRetries", s.health_retries);
  if (s.no_healthcheck) j["NoHealthcheck"] = true;
  if (s.init) j["Init"] = true;
  PutNonEmpty(j, "StopSignal", s.stop_signal);
  PutOpt(j, "StopTimeout", s.stop_timeout);
  return j;
}

SuperviseSpec SuperviseFromJson(const nlohmann::json& j) {
  SuperviseSpec s;
  if (!j.is_object()) return s;
  GetIf(j, "Restart", &s.restart);
  GetOpt(j, "HealthCmd", &s.health_cmd);
  GetIf(j, "HealthInterval", &s.health_interval);
  GetIf(j, "HealthTimeout", &s.health_timeout);
  GetIf(j, "HealthStartPeriod", &s.health_start_period);
  GetIf(j, "HealthStartInterval", &s.health_start_interval);
  GetOpt(j, "HealthRetries", &s.health_retries);
  GetIf(j, "NoHealthcheck", &s.no_healthcheck);
  GetIf(j, "Init", &s.init);
  GetIf(j, "StopSignal", &s.stop_signal);
  GetOpt(j, "StopTimeout", &s.stop_timeout);
  return s;
}

nlohmann::json LogJson(const LogSpec& s) {
  nlohmann::json j = {{"Driver", s.driver}};
  PutNonEmpty(j, "Opts", s.opts);
  PutNonEmpty(j, "DetachKeys", s.detach_keys);
  return j;
}

LogSpec LogFromJson(const nlohmann::json& j) {
  LogSpec s;
  if (!j.is_object()) return s;
  GetIf(j, "Driver", &s.driver);
  GetIf(j, "Opts", &s.opts);
  GetIf(j, "DetachKeys", &s.detach_keys);
  return s;
}

nlohmann::json ViewJson(const ViewSpec& s) {
  nlohmann::json j = nlohmann::json::object();
  PutNonEmpty(j, "Domainname", s.domainname);
  PutNonEmpty(j, "ExtraHosts", s.add_hosts);
  PutNonEmpty(j, "Dns", s.dns);
  PutNonEmpty(j, "DnsSearch", s.dns_search);
  PutNonEmpty(j, "DnsOptions", s.dns_options);
  PutNonEmpty(j, "Ulimits", s.ulimits);
  PutNonEmpty(j, "ShmSize", s.shm_size);
  PutNonEmpty(j, "Devices", s.devices);
  PutNonEmpty(j, "GroupAdd", s.group_add);
  PutNonEmpty(j, "Sysctls", s.sysctls);
  PutNonEmpty(j, "Labels", s.labels);
  PutNonEmpty(j, "ContainerIDFile", s.cidfile);
  PutNonEmpty(j, "PidMode", s.pid_mode);
  PutNonEmpty(j, "IpcMode", s.ipc_mode);
  return j;
}

ViewSpec ViewFromJson(const nlohmann::json& j) {
  ViewSpec s;
  if (!j.is_object()) return s;
  GetIf(j, "Domainname", &s.domainname);
  GetIf(j, "ExtraHosts", &s.add_hosts);
  GetIf(j, "Dns", &s.dns);
  GetIf(j, "DnsSearch", &s.dns_search);
  GetIf(j, "DnsOptions", &s.dns_options);
  GetIf(j, "Ulimits", &s.ulimits);
  GetIf(j, "ShmSize", &s.shm_size);
  GetIf(j, "Devices", &s.devices);
  GetIf(j, "GroupAdd", &s.group_add);
  GetIf(j, "Sysctls", &s.sysctls);
  GetIf(j, "Labels", &s.labels);
  GetIf(j, "ContainerIDFile", &s.cidfile);
  GetIf(j, "PidMode", &s.pid_mode);
  GetIf(j, "IpcMode", &s.ipc_mode);
  return s;
}

}  // namespace

nlohmann::json ToJson(const ContainerConfig& c) {
  const RunSpec& s = c.spec;
  nlohmann::json host = {{"AutoRemove", s.remove}, {"NetworkMode", s.network}, {"Privileged", s.privileged},
                         {"ReadonlyRootfs", s.read_only}, {"CapAdd", s.cap_add}, {"CapDrop", s.cap_drop},
                         {"Mounts", MountsJson(s.mounts)}, {"Tty", s.tty}, {"Interactive", s.interactive},
                         {"Detach", s.detach}, {"Seccomp", s.seccomp}};
  if (s.build) host["BuildStep"] = true;
  if (!c.cgroup_manager.empty()) host["CgroupManager"] = c.cgroup_manager;
  if (c.idmap.enabled()) {
    host["UsernsMode"] = s.userns;
    host["IdMap"] = {{"UidBase", c.idmap.uid_base}, {"GidBase", c.idmap.gid_base}, {"Size", c.idmap.size}};
  }
  if (!s.ip.empty()) host["IPAddress"] = s.ip;
  if (!s.network_aliases.empty()) host["NetworkAliases"] = s.network_aliases;
  if (!s.ports.empty()) host["Ports"] = PortRequestsJson(s.ports);
  if (s.publish_all) host["PublishAllPorts"] = true;
  const Resources& r = s.resources;
  PutOpt(host, "Memory", r.memory);
  PutOpt(host, "MemorySwap", r.memory_swap);
  PutOpt(host, "NanoCpus", r.cpus ? std::optional<int64_t>(static_cast<int64_t>(*r.cpus * 1e9)) : std::nullopt);
  PutOpt(host, "CpuShares", r.cpu_shares);
  PutOpt(host, "CpusetCpus", r.cpuset_cpus);
  PutOpt(host, "CpusetMems", r.cpuset_mems);
  PutOpt(host, "PidsLimit", r.pids_limit);
  if (r.oom_kill_disable) host["OomKillDisable"] = true;
  host["Supervise"] = SuperviseJson(s.supervise);
  host["Log"] = LogJson(s.log);
  host["View"] = ViewJson(s.view);
  nlohmann::json cfg = {{"Hostname", c.hostname}, {"Cmd", c.process.argv}, {"Env", c.process.env},
                        {"WorkingDir", c.process.cwd}, {"User", c.process.user}, {"Args", s.args},
                        {"UserEnv", s.env}};
  PutOpt(cfg, "Entrypoint", s.entrypoint);
  return {{"Id", c.id}, {"Name", "/" + c.name}, {"Created", c.created}, {"Image", c.image.id},
          {"ImageName", c.image.name}, {"Lowers", c.image.lowers}, {"TopLayer", c.image.top_layer},
          {"ImageConfig", c.image.config},
          {"Config", cfg}, {"HostConfig", host}};
}

ContainerConfig ConfigFromJson(const nlohmann::json& j) {
  ContainerConfig c;
  c.id = j.at("Id").get<std::string>();
  c.name = j.value("Name", "/");
  if (!c.name.empty() && c.name[0] == '/') c.name.erase(0, 1);
  c.created = j.value("Created", "");
  c.image.id = j.value("Image", "");
  c.image.name = j.value("ImageName", "");
  c.image.lowers = j.value("Lowers", std::vector<std::string>{});
  c.image.top_layer = j.value("TopLayer", "");
  c.image.config = j.value("ImageConfig", nlohmann::json());
  const auto& cfg = j.at("Config");
  c.hostname = cfg.value("Hostname", "");
  c.process.argv = cfg.value("Cmd", std::vector<std::string>{});
  c.process.env = cfg.value("Env", std::vector<std::string>{});
  c.process.cwd = cfg.value("WorkingDir", "/");
  c.process.user = cfg.value("User", "");
  c.spec.args = cfg.value("Args", std::vector<std::string>{});
  c.spec.env = cfg.value("UserEnv", std::vector<std::string>{});
  GetOpt(cfg, "Entrypoint", &c.spec.entrypoint);
  const auto& h = j.at("HostConfig");
  RunSpec& s = c.spec;
  s.remove = h.value("AutoRemove", false);
  s.build = h.value("BuildStep", false);
  c.cgroup_manager = h.value("CgroupManager", "");
  s.network = h.value("NetworkMode", "none");
  s.privileged = h.value("Privileged", false);
  s.read_only = h.value("ReadonlyRootfs", false);
  s.cap_add = h.value("CapAdd", std::vector<std::string>{});
  s.cap_drop = h.value("CapDrop", std::vector<std::string>{});
  s.mounts = MountsFromJson(h.value("Mounts", nlohmann::json::array()));
  s.tty = h.value("Tty", false);
  s.interactive = h.value("Interactive", false);
  s.detach = h.value("Detach", false);
  s.seccomp = h.value("Seccomp", "default");
  s.userns = h.value("UsernsMode", "host");
  if (h.contains("IdMap") && h["IdMap"].is_object()) {
    const auto& m = h["IdMap"];
    c.idmap = {m.value("UidBase", 0u), m.value("GidBase", 0u), m.value("Size", 0u)};
  }
  s.ip = h.value("IPAddress", "");
  s.network_aliases = h.value("NetworkAliases", std::vector<std::string>{});
  s.ports = PortRequestsFromJson(h.value("Ports", nlohmann::json::array()));
  s.publish_all = h.value("PublishAllPorts", false);
  Resources& r = s.resources;
  GetOpt(h, "Memory", &r.memory);
  GetOpt(h, "MemorySwap", &r.memory_swap);
  if (h.contains("NanoCpus")) r.cpus = h["NanoCpus"].get<int64_t>() / 1e9;
  GetOpt(h, "CpuShares", &r.cpu_shares);
  GetOpt(h, "CpusetCpus", &r.cpuset_cpus);
  GetOpt(h, "CpusetMems", &r.cpuset_mems);
  GetOpt(h, "PidsLimit", &r.pids_limit);
  r.oom_kill_disable = h.value("OomKillDisable", false);
  s.supervise = SuperviseFromJson(h.value("Supervise", nlohmann::json()));
  s.log = LogFromJson(h.value("Log", nlohmann::json()));
  s.view = ViewFromJson(h.value("View", nlohmann::json()));
  return c;
}

const char* ToString(ContainerStatus s) {
  switch (s) {
    case ContainerStatus::kCreated: return "created";
    case ContainerStatus::kRunning: return "running";
    case ContainerStatus::kExited: return "exited";
    case ContainerStatus::kRestarting: return "restarting";
  }
  return "created";
}

ContainerStatus ContainerStatusFromString(std::string_view name) {
  for (auto s : {ContainerStatus::kCreated, ContainerStatus::kRunning, ContainerStatus::kExited, ContainerStatus::kRestarting})
    if (name == ToString(s)) return s;
  throw Error("unknown container status \"" + std::string(name) + "\"");
}

void to_json(nlohmann::json& j, ContainerStatus s) { j = ToString(s); }

void from_json(const nlohmann::json& j, ContainerStatus& s) {
  if (!j.is_string()) throw Error("container status is not a string: " + j.dump());
  s = ContainerStatusFromString(j.get<std::string>());
}

nlohmann::json ToJson(const ContainerState& s) {
  nlohmann::json j = {{"Status", s.status}, {"Running", s.status == ContainerStatus::kRunning}, {"Pid", s.pid}, {"PidStart", s.pid_start},
          {"MonitorPid", s.monitor_pid}, {"MonitorStart", s.monitor_start}, {"OwnerPid", s.owner_pid},
          {"OwnerStart", s.owner_start}, {"ExitCode", s.exit_code},
          {"OOMKilled", s.oom_killed}, {"StartedAt", s.started_at}, {"FinishedAt", s.finished_at},
          {"Error", s.error}, {"CgroupPaths", s.cgroup_paths}};
  if (s.restart_count) j["RestartCount"] = s.restart_count;
  if (s.network) {
    const net::NetworkSettings& n = *s.network;
    j["Network"] = {{"Name", n.network}, {"Id", n.network_id}, {"EndpointId", n.endpoint_id}, {"Bridge", n.bridge},
                    {"HostVeth", n.host_veth}, {"IPAddress", n.ip}, {"Gateway", n.gateway}, {"MacAddress", n.mac},
                    {"IPPrefixLen", n.prefix}, {"Aliases", n.aliases}, {"Ports", net::PortMappingsJson(n.ports)},
                    {"Default", n.default_network}};
  }
  return j;
}

ContainerState StateFromJson(const nlohmann::json& j) {
  ContainerState s;
  if (j.contains("Status")) s.status = j["Status"].get<ContainerStatus>();
  s.pid = j.value("Pid", 0);
  s.pid_start = j.value("PidStart", uint64_t{0});
  s.monitor_pid = j.value("MonitorPid", 0);
  s.monitor_start = j.value("MonitorStart", uint64_t{0});
  s.owner_pid = j.value("OwnerPid", 0);
  s.owner_start = j.value("OwnerStart", uint64_t{0});
  s.exit_code = j.value("ExitCode", 0);
  s.oom_killed = j.value("OOMKilled", false);
  s.restart_count = j.value("RestartCount", 0);
  s.started_at = j.value("StartedAt", "");
  s.finished_at = j.value("FinishedAt", "");
  s.error = j.value("Error", "");
  s.cgroup_paths = j.value("CgroupPaths", std::vector<std::string>{});
  if (j.contains("Network") && j["Network"].is_object()) {
    const auto& n = j["Network"];
    net::NetworkSettings ns;
    ns.network = n.value("Name", "");
    ns.network_id = n.value("Id", "");
    ns.endpoint_id = n.value("EndpointId", "");
    ns.bridge = n.value("Bridge", "");
    ns.host_veth = n.value("HostVeth", "");
    ns.ip = n.value("IPAddress", "");
    ns.gateway = n.value("Gateway", "");
    ns.mac = n.value("MacAddress", "");
    ns.prefix = n.value("IPPrefixLen", 0);
    ns.aliases = n.value("Aliases", std::vector<std::string>{});
    ns.ports = net::PortMappingsFromJson(n.value("Ports", nlohmann::json::array()));
    ns.default_network = n.value("Default", false);
    s.network = ns;
  }
  return s;
}

}  // namespace mini::run
