// Container commands: run, ps, stop, kill, rm, wait.
#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/for_each_container.h"
#include "cli/go_template.h"
#include "cli/list_format.h"
#include "cli/store_handle.h"
#include "cli/table.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "common/timing.h"
#include "net/network_endpoint.h"
#include "registry/pull_on_demand.h"
#include "run/cgroup/cgroup.h"
#include "run/container.h"
#include "run/launch/exit_status.h"
#include "run/lifecycle.h"
#include "run/process_spec.h"
#include "run/rootfs/mount_plan.h"
#include "run/supervisor.h"
#include "run/security/seccomp_default.h"
#include "run/userns/userns.h"
#include "run/view_inspect.h"

namespace mini::cli {
namespace {

using run::ContainerStore;

struct RunOpts {
  run::RunSpec spec;
  std::string name, network = "bridge", memory, memory_swap, pull, platform;
  std::vector<std::string> env_files, volumes, tmpfs, security_opts, publish, mount_flags, label_files;
  std::optional<double> cpus;
};

/// --security-opt: seccomp=unconfined|default|PROFILE.json (the profile's text is kept in the
/// container's config) and no-new-privileges (always on in mini).
void ApplySecurityOpt(const std::string& opt, run::RunSpec* spec) {
  size_t sep = opt.find_first_of("=:");
  std::string key = opt.substr(0, sep), value = sep == std::string::npos ? "" : opt.substr(sep + 1);
  if (key == "no-new-privileges" && (value.empty() || value == "true" || value == "false")) return;
  if (key != "seccomp" || value.empty()) throw Error(ErrorKind::kInvalidInput, "invalid --security-opt: \"" + opt + "\"");
  if (value == "unconfined" || value == "default") {
    spec->seccomp = value;
    return;
  }
  // Validate now (errors name the file), keep the text for every later start.
  spec->seccomp = run::SeccompProfileFromOption(value) ? ReadFile(value, 4 << 20) : "unconfined";
}

void DoRun(Globals& g, RunOpts& o, const std::vector<std::string>& rest, bool create) {
  if (rest.empty()) throw Error(ErrorKind::kInvalidInput, std::string(create ? "\"mini create\"" : "\"mini run\"") + " requires at least 1 argument: IMAGE [COMMAND] [ARG...]");
  run::RunSpec& spec = o.spec;
  spec.args.assign(rest.begin() + 1, rest.end());
  spec.network = o.network == "default" ? "bridge" : o.network;
  for (const auto& f : o.env_files) {
    std::vector<std::string> lines;
    run::ParseEnvFile(ReadFile(f, 16 << 20), &lines);
    // --env-file comes before -e, so that -e wins.
    spec.env.insert(spec.env.begin(), lines.begin(), lines.end());
  }
  for (const auto& p : o.publish) {
    std::vector<net::PortRequest> rs = net::ParsePublish(p);
    spec.ports.insert(spec.ports.end(), rs.begin(), rs.end());
  }
  for (const auto& v : o.volumes) spec.mounts.push_back(run::ParseVolumeSpec(v));
  for (const auto& t : o.tmpfs) spec.mounts.push_back(run::ParseTmpfsSpec(t));
  for (const auto& m : o.mount_flags) spec.mounts.push_back(run::ParseMountFlag(m));
  if (!o.memory.empty()) spec.resources.memory = run::ParseSize(o.memory);
  if (!o.memory_swap.empty())
    spec.resources.memory_swap = run::ParseMemorySwap(o.memory_swap);
  if (spec.resources.memory_swap && !spec.resources.memory)
    throw Error("You should always set the Memory limit when using Memoryswap limit");
  for (const auto& w : run::DiscardUnsupported(&spec.resources)) std::cerr << "WARNING: " << w << "\n";
  for (const auto& so : o.security_opts) ApplySecurityOpt(so, &spec);
  for (const auto& f : o.label_files) {
    std::vector<std::string> lines;
    run::ParseEnvFile(ReadFile(f, 16 << 20), &lines);  // KEY=VALUE lines, # comments: Docker's format
    // --label-file comes before -l, so that -l wins.
    spec.view.labels.insert(spec.view.labels.begin(), lines.begin(), lines.end());
  }
  run::ParseUsernsMode(spec.userns);  // a bad --userns fails before anything is created
  registry::ParsePullPolicy(o.pull);
  if (o.cpus) {
    if (*o.cpus <= 0) throw Error(ErrorKind::kInvalidInput, "invalid --cpus: must be positive");
    spec.resources.cpus = o.cpus;
  }

  TimingMark("start: flags parsed");
  // mini needs no openssl.cnf: skipping it saves ~0.6 ms of the first digest (chain ids).
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
  StoreHandle s(g.root);
  ImageRecord img = registry::ImageForRun(s.layout, s.layers, s.images, rest[0], registry::ParsePullPolicy(o.pull),
                                          o.platform, stderr);
  run::ImageInfo info;
  info.id = img.id.str();
  info.name = rest[0];
  if (img.chain_ids.empty()) throw Error("image " + rest[0] + " has no layers");
  info.lowers = s.layers.LowerLinks(img.chain_ids.back());
  info.top_layer = img.chain_ids.back().str();
  if (img.config.contains("config")) info.config = img.config["config"];

  TimingMark("resolve image");
  run::ContainerConfig c = run::CreateContainer(s.layout, info, spec, o.name, /*start_now=*/!create);
  if (create) {
    std::cout << c.id << "\n";
    return;
  }
  try {
    if (spec.detach) {
      run::RunDetached(s.layout, c);
      std::cout << c.id << "\n";
      return;
    }
    run::IoSpec io;
    io.tty = spec.tty;
    io.in = spec.interactive ? 0 : -1;
    std::cout.flush();
    g.exit_code = run::RunAttached(s.layout, c, io);
  } catch (const run::StartError& e) {
    PrintError(e);
    g.exit_code = ExitCodeFor(e, g.command);
  }
}

/// `mini run`, or `mini create` (same flags; creates the container without starting it).
void RegisterRun(CLI::App& app, Globals& g, bool create) {
  auto o = std::make_shared<RunOpts>();
  auto* cmd = create ? app.add_subcommand("create", "Create a new container (start it with mini start)")
                     : app.add_subcommand("run", "Run a command in a new container");
  cmd->prefix_command();
  cmd->fallthrough(false);  // IMAGE and COMMAND stay with run, not the top-level app
  // Another command runs: this one is only listed in the help (its ~100 flags cost CLI11 ~0.3 ms).
  if (!g.command.empty() && g.command != cmd->get_name()) return;
  run::RunSpec& s = o->spec;
  cmd->add_flag("--rm", s.remove, "remove the container when it exits");
  cmd->add_flag("-d,--detach", s.detach, "run in the background and print the container id");
  cmd->add_flag("-i,--interactive", s.interactive, "keep stdin open");
  cmd->add_flag("-t,--tty", s.tty, "allocate a pseudo-terminal");
  cmd->add_option("--name", o->name, "container name");
  cmd->add_option("--pull", o->pull, "pull the image before running: missing (default), always, never");
  cmd->add_option("--platform", o->platform, "os/arch[/variant] to pick when the image is pulled");
  cmd->add_option("-e,--env", s.env, "set an environment variable (KEY=VALUE or KEY)")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--env-file", o->env_files, "read environment variables from a file")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("-w,--workdir", s.workdir, "working directory inside the container");
  cmd->add_option("-u,--user", s.user, "user[:group], by name or number");
  cmd->add_option("--entrypoint", s.entrypoint, "override the image's entrypoint");
  cmd->add_option("--hostname", s.hostname, "container host name (default: short id)");
  cmd->add_option("--network,--net", o->network, "bridge (default network), none (lo only), host, or a network name");
  cmd->add_option("-p,--publish", o->publish, "publish a container port: [IP:][HOST:]CTR[/tcp|udp]")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_flag("-P,--publish-all", s.publish_all, "publish every exposed port on a random host port");
  cmd->add_option("--ip", s.ip, "IPv4 address on a user-defined network");
  cmd->add_option("--network-alias", s.network_aliases, "extra name on a user-defined network (repeatable)")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("-m,--memory", o->memory, "memory limit (e.g. 32m)");
  cmd->add_option("--memory-swap", o->memory_swap, "memory+swap limit; -1 = unlimited swap");
  cmd->add_option("--cpus", o->cpus, "number of cpus (fractional)");
  cmd->add_option("-c,--cpu-shares", s.resources.cpu_shares, "cpu shares (relative weight)");
  cmd->add_option("--cpuset-cpus", s.resources.cpuset_cpus, "cpus allowed (0-3, 0,1)");
  cmd->add_option("--cpuset-mems", s.resources.cpuset_mems, "memory nodes allowed");
  cmd->add_option("--pids-limit", s.resources.pids_limit, "process limit (-1 = unlimited)");
  cmd->add_flag("--oom-kill-disable", s.resources.oom_kill_disable, "disable the OOM killer (cgroup v1 only)");
  cmd->add_option("--cap-add", s.cap_add, "add a capability")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--cap-drop", s.cap_drop, "drop a capability")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_flag("--privileged", s.privileged, "all capabilities, no masked paths, all devices");
  cmd->add_option("-v,--volume", o->volumes, "bind mount HOST:CTR[:ro] or named volume NAME:CTR")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--mount", o->mount_flags, "type=bind|volume|tmpfs,src=...,dst=...[,readonly][,tmpfs-size=...]")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--tmpfs", o->tmpfs, "mount a tmpfs: PATH[:OPTIONS]")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--userns", s.userns, "user namespace: host (default), auto, remap:UID:GID:SIZE");
  cmd->add_flag("--read-only", s.read_only, "mount the root filesystem read-only");
  cmd->add_option("--security-opt", o->security_opts, "seccomp=unconfined|PROFILE.json, no-new-privileges")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  // Supervision (run/ validates the values at create time).
  run::SuperviseSpec& sv = s.supervise;
  cmd->add_option("--restart", sv.restart, "restart policy: no, on-failure[:N], always, unless-stopped");
  cmd->add_option("--health-cmd", sv.health_cmd, "command to check health (run with /bin/sh -c)");
  cmd->add_option("--health-interval", sv.health_interval, "time between checks (ms|s|m|h), default 30s");
  cmd->add_option("--health-timeout", sv.health_timeout, "maximum time a check may run, default 30s");
  cmd->add_option("--health-start-period", sv.health_start_period, "time to start before failures count, default 0s");
  cmd->add_option("--health-start-interval", sv.health_start_interval, "time between checks during the start period, default 5s");
  cmd->add_option("--health-retries", sv.health_retries, "consecutive failures before unhealthy, default 3");
  cmd->add_flag("--no-healthcheck", sv.no_healthcheck, "disable the image's HEALTHCHECK");
  cmd->add_flag("--init", sv.init, "run an init inside the container that forwards signals and reaps processes");
  cmd->add_option("--stop-signal", sv.stop_signal, "signal to stop the container (default: the image's, else SIGTERM)");
  cmd->add_option("--stop-timeout", sv.stop_timeout, "seconds to wait for a stop before SIGKILL (default 10)");
  // Logs and attaching.
  cmd->add_option("--log-driver", s.log.driver, "logging driver: json-file (default), none");
  cmd->add_option("--log-opt", s.log.opts, "log driver option: max-size=SIZE, max-file=N")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--detach-keys", s.log.detach_keys, "key sequence to detach (default ctrl-p,ctrl-q)");
  // What the container sees (run/ validates the values at create time).
  run::ViewSpec& vw = s.view;
  cmd->add_option("--domainname", vw.domainname, "container NIS domain name");
  cmd->add_option("--add-host", vw.add_hosts, "add a line to /etc/hosts: NAME:IP (host-gateway for the host)")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--dns", vw.dns, "DNS server for /etc/resolv.conf")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--dns-search", vw.dns_search, "DNS search domain")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--dns-option,--dns-opt", vw.dns_options, "DNS option (ndots:2)")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--ulimit", vw.ulimits, "resource limit NAME=SOFT[:HARD] (nofile=1024:2048)")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--shm-size", vw.shm_size, "size of /dev/shm (default 64m)");
  cmd->add_option("--device", vw.devices, "add a host device: HOST[:CONTAINER[:PERMS]]")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--group-add", vw.group_add, "additional group to join")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--sysctl", vw.sysctls, "namespaced kernel parameter KEY=VALUE")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("-l,--label", vw.labels, "container label KEY=VALUE")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--label-file", o->label_files, "read labels from a file (KEY=VALUE lines)")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("--cidfile", vw.cidfile, "write the container id to this file");
  cmd->add_option("--pid", vw.pid_mode, "PID namespace: host, container:NAME (default private)");
  cmd->add_option("--ipc", vw.ipc_mode, "IPC namespace: private, shareable, host, container:NAME, none");
  cmd->callback([&g, o, cmd, create] {
    RefuseUnknownFlag(cmd->remaining());
    DoRun(g, *o, cmd->remaining(), create);
  });
}

std::string StatusText(const run::ContainerState& st, bool paused, const std::string& health) {
  auto since = [](const std::string& t) {
    auto v = ParseRfc3339(t);
    if (!v) return std::string("");
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    return HumanDuration(std::chrono::seconds(std::max<int64_t>(0, now.count() - *v)));
  };
  if (st.status == run::ContainerStatus::kRunning)
    return "Up " + since(st.started_at) + (paused ? " (Paused)" : health.empty() ? "" : " (" + run::HealthStatusText(health) + ")");
  if (st.status == run::ContainerStatus::kRestarting)
    return "Restarting (" + std::to_string(st.exit_code) + ") " + since(st.finished_at) + " ago";
  if (st.status == run::ContainerStatus::kExited)
    return "Exited (" + std::to_string(st.exit_code) + ") " + (st.finished_at.empty() ? "" : since(st.finished_at) + " ago");
  return "Created";
}

void RegisterPs(CLI::App& app, Globals& g) {
  struct Opts {
    bool all = false, quiet = false, no_trunc = false, latest = false;
    std::string format;
    std::vector<std::string> filters;
    int last = -1;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("ps", "List containers");
  cmd->add_flag("-a,--all", o->all, "show all containers (default: running)");
  cmd->add_flag("-q,--quiet", o->quiet, "only ids");
  cmd->add_flag("--no-trunc", o->no_trunc, "do not truncate output");
  cmd->add_option("--format", o->format, "table (default), json, a Go template ({{.Names}}) or table TEMPLATE");
  cmd->add_option("-f,--filter", o->filters, "status=, name=, id=, label=KEY[=VALUE], ancestor=IMAGE, exited=CODE, health=")
      ->allow_extra_args(false);
  cmd->add_option("-n,--last", o->last, "show the N last created containers (all states)");
  cmd->add_flag("-l,--latest", o->latest, "show the latest created container (all states)");
  cmd->callback([&g, o] {
    Filters f(o->filters, {"status", "name", "id", "label", "ancestor", "exited", "health"});
    static const std::set<std::string> kHealth = {"starting", "healthy", "unhealthy", "none"};
    for (const auto& v : f.Values("health"))
      if (!kHealth.count(v)) throw Error(ErrorKind::kInvalidInput, "Unrecognised filter value for health: " + v);
    static const std::set<std::string> kStatuses = {"created", "restarting", "running", "removing", "paused", "exited", "dead"};
    for (const auto& v : f.Values("status"))
      if (!kStatuses.count(v)) throw Error(ErrorKind::kInvalidInput, "invalid filter 'status=" + v + "'");
    if (!o->format.empty() && o->format != "json" && o->format != "table") GoTemplate check(o->format);
    int last = o->latest ? 1 : o->last;
    bool all = o->all || last > 0 || f.Has("status") || f.Has("exited");
    StoreHandle s(g.root);
    ContainerStore store(s.layout);
    net::CollectDeadEndpoints(s.layout);
    run::CollectContainers(s.layout);
    // ancestor=: the image's id (any of its names resolve to it).
    std::vector<std::string> ancestors;
    for (const auto& a : f.Values("ancestor"))
      if (auto rec = s.images.Find(a)) ancestors.push_back(rec->id.str());
    if (f.Has("ancestor") && ancestors.empty()) ancestors.push_back("-");  // no such image: nothing matches
    struct Row { std::string created; std::vector<std::string> cells; nlohmann::json doc; };
    std::vector<Row> rows;
    for (const auto& id : store.ListIds()) {
      run::ContainerConfig c;
      run::ContainerState st;
      try {
        c = store.LoadConfig(id);
        st = store.LoadState(id);
      } catch (const Error&) {
        continue;  // being created or removed
      }
      bool live = st.status == run::ContainerStatus::kRunning || st.status == run::ContainerStatus::kRestarting;
      if ((!all && !live) || c.spec.build) continue;
      bool paused = run::IsPaused(id, st);
      std::string status = paused ? "paused" : run::ToString(st.status);
      std::string health = run::HealthStatusOf(s.layout, c, st);
      nlohmann::json labels = run::ContainerLabels(c);  // the image's, with --label over them
      if (!f.Any("status", [&](const std::string& v) { return v == status; }) ||
          !f.Any("name", [&](const std::string& v) { return c.name.find(v) != std::string::npos; }) ||
          !f.Any("id", [&](const std::string& v) { return id.starts_with(v); }) ||
          !f.Any("exited", [&](const std::string& v) { return st.status == run::ContainerStatus::kExited && std::to_string(st.exit_code) == v; }) ||
          !f.Any("health", [&](const std::string& v) { return v == (health.empty() ? "none" : health); }) ||
          !f.MatchLabels(labels))
        continue;
      if (!ancestors.empty() && std::find(ancestors.begin(), ancestors.end(), c.image.id) == ancestors.end() &&
          std::find(ancestors.begin(), ancestors.end(), "sha256:" + c.image.id) == ancestors.end())
        continue;
      std::string cmdline;
      for (const auto& a : c.process.argv) cmdline += (cmdline.empty() ? "" : " ") + a;
      std::string shown = o->no_trunc ? id : id.substr(0, 12);
      auto created = ParseRfc3339(c.created);
      auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
      std::string ago = created ? HumanDuration(std::chrono::seconds(std::max<int64_t>(0, now.count() - *created))) + " ago" : "";
      std::string ports;
      if (st.status == run::ContainerStatus::kRunning && st.network) {
        std::vector<net::PortMapping> ms = st.network->ports;
        net::SortPortMappings(ms);
        for (const auto& m : ms)
          ports += (ports.empty() ? "" : ", ") + (m.host_ip.empty() ? std::string("0.0.0.0") : m.host_ip) + ":" +
                   std::to_string(m.host_port) + "->" + std::to_string(m.container_port) + "/" + m.proto;
      }
      std::string label_text;
      for (const auto& [k, v] : labels.items()) label_text += (label_text.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
      std::string quoted = "\"" + (o->no_trunc ? cmdline : Ellipsis(cmdline, 20)) + "\"";
      nlohmann::json doc = {{"Command", quoted}, {"CreatedAt", c.created}, {"ID", shown}, {"Image", c.image.name},
                            {"Labels", label_text}, {"LocalVolumes", "0"}, {"Mounts", ""}, {"Names", c.name},
                            {"Networks", c.spec.network}, {"Ports", ports}, {"RunningFor", ago}, {"Size", "N/A"},
                            {"State", status}, {"Status", StatusText(st, paused, health)}};
      rows.push_back({c.created, {shown, c.image.name, quoted, ago, StatusText(st, paused, health), ports, c.name}, doc});
    }
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.created > b.created; });
    if (last > 0 && rows.size() > static_cast<size_t>(last)) rows.resize(static_cast<size_t>(last));
    if (o->quiet) {
      for (const auto& r : rows) std::cout << r.cells[0] << "\n";
      return;
    }
    std::vector<nlohmann::json> docs;
    for (const auto& r : rows) docs.push_back(r.doc);
    static const nlohmann::json headers = {{"Command", "COMMAND"}, {"CreatedAt", "CREATED AT"}, {"ID", "CONTAINER ID"},
                                           {"Image", "IMAGE"}, {"Labels", "LABELS"}, {"LocalVolumes", "LOCAL VOLUMES"},
                                           {"Mounts", "MOUNTS"}, {"Names", "NAMES"}, {"Networks", "NETWORKS"},
                                           {"Ports", "PORTS"}, {"RunningFor", "CREATED"}, {"Size", "SIZE"},
                                           {"State", "STATE"}, {"Status", "STATUS"}};
    PrintRows(o->format, docs, headers, [&] {
      Table t({"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"});
      for (auto& r : rows) t.Add(r.cells);
      std::cout << t.Render();
    });
  });
}

void RegisterLifecycle(CLI::App& app, Globals& g) {
  {
    struct Opts { std::vector<std::string> names; int timeout = -1; };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("stop", "Stop running containers (the stop signal, SIGTERM by default, then SIGKILL)");
    cmd->add_option("-t,--time", o->timeout, "seconds to wait before killing (default: --stop-timeout, else 10)");
    cmd->add_option("container", o->names)->required();
    cmd->callback([&g, o] {
      ForEachContainer(g, o->names, true, [&](const Layout& l, const std::string& id) { run::StopContainer(l, id, o->timeout); });
    });
  }
  {
    struct Opts { std::vector<std::string> names; std::string signal = "KILL"; };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("kill", "Send a signal to running containers");
    cmd->add_option("-s,--signal", o->signal, "signal (name or number, default KILL)");
    cmd->add_option("container", o->names)->required();
    cmd->callback([&g, o] {
      int sig = run::ParseSignal(o->signal);
      if (sig < 0) throw Error(ErrorKind::kInvalidInput, "invalid signal: " + o->signal);
      ForEachContainer(g, o->names, true, [&](const Layout& l, const std::string& id) { run::KillContainer(l, id, sig); });
    });
  }
  {
    struct Opts { std::vector<std::string> names; bool force = false, volumes = false; };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("rm", "Remove containers");
    cmd->add_flag("-f,--force", o->force, "kill a running container first");
    cmd->add_flag("-v,--volumes", o->volumes, "remove the container's anonymous volumes too");
    cmd->add_option("container", o->names)->required();
    cmd->callback([&g, o] {
      ForEachContainer(g, o->names, true,
                       [&](const Layout& l, const std::string& id) { run::RemoveContainer(l, id, o->force, o->volumes); });
    });
  }
  {
    struct Opts { std::vector<std::string> names; };
    auto o = std::make_shared<Opts>();
    auto* cmd = app.add_subcommand("wait", "Block until containers stop, print their exit codes");
    cmd->add_option("container", o->names)->required();
    cmd->callback([&g, o] {
      ForEachContainer(g, o->names, false, [&](const Layout& l, const std::string& id) {
        std::cout << run::WaitContainer(l, id) << std::endl;
      });
    });
  }
}

}  // namespace

void RegisterExecStart(CLI::App& app, Globals& g);  // run_exec_cmds.cc
void RegisterLogsCommands(CLI::App& app, Globals& g);  // logs_cmds.cc: logs, attach

void RegisterRunCommands(CLI::App& app, Globals& g) {
  RegisterRun(app, g, false);
  RegisterRun(app, g, true);
  RegisterExecStart(app, g);
  RegisterPs(app, g);
  RegisterLifecycle(app, g);
  RegisterLogsCommands(app, g);
}

}  // namespace mini::cli
