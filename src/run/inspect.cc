#include "run/inspect.h"

#include <unistd.h>

#include "common/error.h"
#include "net/network_admin.h"
#include "run/cgroup/freezer.h"
#include "run/health.h"
#include "run/health_checker.h"
#include "run/restart_policy.h"
#include "run/runtime_dir.h"
#include "run/view_inspect.h"

namespace mini::run {
namespace {

using nlohmann::json;

json OrNull(const json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) && !obj[key].is_null() ? obj[key] : json(nullptr);
}

/// Docker's Config.Entrypoint / Config.Cmd: the image's, with --entrypoint and trailing args
/// applied (a new entrypoint clears the image's Cmd).
void EntrypointAndCmd(const ContainerConfig& c, json* entrypoint, json* cmd) {
  *entrypoint = OrNull(c.image.config, "Entrypoint");
  *cmd = OrNull(c.image.config, "Cmd");
  if (c.spec.entrypoint) {
    *entrypoint = c.spec.entrypoint->empty() ? json(nullptr) : json::array({*c.spec.entrypoint});
    *cmd = nullptr;
  }
  if (!c.spec.args.empty()) *cmd = c.spec.args;
}

/// HostConfig.RestartPolicy, Init; Config.Healthcheck, StopSignal, StopTimeout (Docker leaves
/// the unset ones out).
void AddSupervise(const ContainerConfig& c, json* host, json* config) {
  const SuperviseSpec& sv = c.spec.supervise;
  RestartPolicy p;
  try {
    p = ParseRestartPolicy(sv.restart);
  } catch (const Error&) {
  }
  (*host)["RestartPolicy"] = RestartPolicyJson(p);
  if (sv.init) (*host)["Init"] = true;
  try {
    if (auto h = HealthConfigFor(sv, c.image.config)) (*config)["Healthcheck"] = HealthConfigJson(*h);
    else if (sv.no_healthcheck) (*config)["Healthcheck"] = {{"Test", {"NONE"}}};
  } catch (const Error&) {
  }
  std::string sig = sv.stop_signal;
  if (sig.empty() && c.image.config.is_object() && c.image.config.contains("StopSignal")) sig = c.image.config.value("StopSignal", "");
  if (!sig.empty()) (*config)["StopSignal"] = sig;
  if (sv.stop_timeout) (*config)["StopTimeout"] = *sv.stop_timeout;
}

json HostConfigJson(const ContainerConfig& c, const std::string& volumes_dir) {
  const RunSpec& s = c.spec;
  const Resources& r = s.resources;
  json binds = json::array(), tmpfs = json::object();
  for (const auto& m : s.mounts) {
    if (m.kind == MountRequest::Kind::kTmpfs)
      tmpfs[m.target] = m.options;
    else
      binds.push_back(m.source + ":" + m.target + (m.read_only ? ":ro" : ""));
  }
  (void)volumes_dir;
  json bindings = json::object();
  for (const auto& p : s.ports) {
    json& list = bindings[std::to_string(p.container_port) + "/" + p.proto];
    if (!list.is_array()) list = json::array();
    std::string hp = p.host_port ? std::to_string(p.host_port) : "";
    if (p.host_port_end > p.host_port) hp += "-" + std::to_string(p.host_port_end);
    list.push_back({{"HostIp", p.host_ip}, {"HostPort", hp}});
  }
  return {{"Binds", binds.empty() ? json(nullptr) : binds},
          {"NetworkMode", s.network},
          {"PortBindings", bindings},
          {"PublishAllPorts", s.publish_all},
          {"AutoRemove", s.remove},
          {"Privileged", s.privileged},
          {"ReadonlyRootfs", s.read_only},
          {"CapAdd", s.cap_add.empty() ? json(nullptr) : json(s.cap_add)},
          {"CapDrop", s.cap_drop.empty() ? json(nullptr) : json(s.cap_drop)},
          {"Tmpfs", tmpfs.empty() ? json(nullptr) : tmpfs},
          {"SecurityOpt", s.seccomp == "default" || s.seccomp.empty() ? json(nullptr)
                                                                       : json::array({"seccomp=" + s.seccomp})},
          {"Memory", r.memory.value_or(0)},
          // Swap is off unless --memory-swap: memory+swap = memory.
          {"MemorySwap", r.memory_swap.value_or(r.memory.value_or(0))},
          {"NanoCpus", r.cpus ? static_cast<int64_t>(*r.cpus * 1e9 + 0.5) : 0},
          {"CpuShares", r.cpu_shares.value_or(0)},
          {"CpusetCpus", r.cpuset_cpus.value_or("")},
          {"CpusetMems", r.cpuset_mems.value_or("")},
          {"PidsLimit", r.pids_limit ? json(*r.pids_limit) : json(nullptr)},
          {"OomKillDisable", r.oom_kill_disable},
          // Docker's field ("" = host); the map itself is mini's.
          {"UsernsMode", c.idmap.enabled() ? s.userns : ""},
          {"IdMap", c.idmap.enabled() ? json{{"UidBase", c.idmap.uid_base}, {"GidBase", c.idmap.gid_base},
                                             {"Size", c.idmap.size}}
                                      : json(nullptr)}};
}

json MountsJson(const ContainerConfig& c, const std::string& volumes_dir) {
  json out = json::array();
  for (const auto& m : c.spec.mounts) {
    if (m.kind == MountRequest::Kind::kBind) {
      out.push_back({{"Type", "bind"}, {"Source", m.source}, {"Destination", m.target},
                     {"Mode", m.read_only ? "ro" : ""}, {"RW", !m.read_only},
                     {"Propagation", m.propagation.empty() ? "rprivate" : m.propagation}});
    } else if (m.kind == MountRequest::Kind::kVolume) {
      out.push_back({{"Type", "volume"}, {"Name", m.source}, {"Source", volumes_dir + "/" + m.source + "/_data"},
                     {"Destination", m.target}, {"Driver", "local"}, {"Mode", m.read_only ? "ro" : "z"},
                     {"RW", !m.read_only}, {"Propagation", ""}});
    }
  }
  return out;
}

/// overlay2/l/<short> -> overlay2/<chain id>/diff (what the link points at).
std::string LinkTarget(const std::string& overlay2, const std::string& lower) {
  std::string link = overlay2 + "/" + lower;
  char buf[4096];
  ssize_t n = readlink(link.c_str(), buf, sizeof(buf) - 1);
  if (n <= 3 || std::string(buf, 3) != "../") return link;
  return overlay2 + "/" + std::string(buf + 3, static_cast<size_t>(n) - 3);
}

}  // namespace

json ContainerInspectJson(const ContainerConfig& c, const ContainerState& st, const LayerDirs& dirs,
                          const std::string& volumes_dir, const std::string& log_path) {
  bool running = st.status == ContainerStatus::kRunning;
  bool restarting = st.status == ContainerStatus::kRestarting;
  json state = {{"Status", st.status},   {"Running", running || restarting},  {"Paused", false},
                {"Restarting", restarting},   {"OOMKilled", st.oom_killed},  {"Dead", false},
                {"Pid", running ? st.pid : 0}, {"ExitCode", st.exit_code}, {"Error", st.error},
                {"StartedAt", st.started_at.empty() ? "0001-01-01T00:00:00Z" : st.started_at},
                {"FinishedAt", st.finished_at.empty() ? "0001-01-01T00:00:00Z" : st.finished_at}};
  json entrypoint, cmd;
  EntrypointAndCmd(c, &entrypoint, &cmd);
  json config = {{"Hostname", c.hostname},
                 {"User", c.process.user},
                 {"Env", c.process.env},
                 {"Cmd", cmd},
                 {"Entrypoint", entrypoint},
                 {"WorkingDir", c.process.cwd},
                 {"Image", c.image.name},
                 {"Tty", c.spec.tty},
                 {"OpenStdin", c.spec.interactive},
                 {"Volumes", OrNull(c.image.config, "Volumes")},
                 {"Labels", OrNull(c.image.config, "Labels")}};
  json args = json::array();
  for (size_t i = 1; i < c.process.argv.size(); i++) args.push_back(c.process.argv[i]);
  json host = HostConfigJson(c, volumes_dir);
  AddSupervise(c, &host, &config);
  json graph = {{"Name", "overlay2"},
                {"Data", {{"LowerDir", dirs.lower}, {"UpperDir", dirs.upper}, {"MergedDir", dirs.merged},
                          {"WorkDir", dirs.work}}}};
  return {{"Id", c.id},
          {"Created", c.created},
          {"Path", c.process.argv.empty() ? "" : c.process.argv[0]},
          {"Args", args},
          {"State", state},
          {"Image", c.image.id},
          {"LogPath", log_path},
          {"Name", "/" + c.name},
          {"RestartCount", st.restart_count},
          {"Driver", "overlay2"},
          {"Platform", "linux"},
          {"HostConfig", host},
          {"GraphDriver", graph},
          {"Mounts", MountsJson(c, volumes_dir)},
          {"NetworkSettings", net::NetworkSettingsJson(c.spec.network, running && st.network ? &*st.network : nullptr)},
          {"Config", config}};
}

std::optional<std::string> FindContainer(const Layout& layout, const std::string& name_or_id) {
  try {
    return ContainerStore(layout).Resolve(name_or_id);
  } catch (const Error&) {
    return std::nullopt;
  }
}

json InspectContainer(const Layout& layout, const std::string& id) {
  ContainerStore store(layout);
  ContainerConfig c = store.LoadConfig(id);
  ContainerState st = store.LoadState(id);
  LayerDirs dirs;
  std::string init;
  if (store.Ephemeral(id)) {
    EphemeralLayers l = EphemeralLayersFor(layout, id, store.RuntimeDir(id));
    init = l.init;
    dirs = {"", l.upper, l.merged, l.work};
  } else {
    init = layout.LayerDiff(id + "-init");
    dirs = {"", layout.LayerDiff(id), layout.LayerDir(id) + "/merged", layout.LayerDir(id) + "/work"};
  }
  dirs.lower = init;
  for (const auto& l : c.image.lowers) dirs.lower += ":" + LinkTarget(layout.Overlay2Dir(), l);
  json j = ContainerInspectJson(c, st, dirs, layout.VolumesDir(), store.LogPath(id));
  if (j["Config"].contains("Healthcheck") && j["Config"]["Healthcheck"]["Test"] != json::array({"NONE"})) {
    // The checker's own file (run/health_checker.h), never state.json.
    std::optional<HealthState> h = LoadHealth(layout, id);
    j["State"]["Health"] = HealthStateJson(h.value_or(HealthState{}));
  }
  AddViewToInspect(c, &j);
  if (st.status == ContainerStatus::kRunning && IsFrozen(id, st.cgroup_paths)) {  // read live, never stored
    j["State"]["Status"] = "paused";
    j["State"]["Paused"] = true;
  }
  return j;
}

}  // namespace mini::run
