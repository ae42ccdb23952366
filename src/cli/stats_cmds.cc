// `mini stats` (Docker's columns, one sample or redrawn every second) and `mini update`.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/for_each_container.h"
#include "cli/list_format.h"
#include "cli/store_handle.h"
#include "common/error.h"
#include "common/human.h"
#include "common/process.h"
#include "run/container.h"
#include "run/container_stats.h"
#include "run/container_update.h"
#include "run/rootfs/mount_plan.h"

namespace mini::cli {
namespace {

using nlohmann::json;

constexpr const char* kDefaultStatsFormat =
    "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/// One container being watched: what the user called it, its id, its last sample.
struct Watched {
  std::string given, id, name;
  std::optional<run::StatsSample> prev, cur;
};

/// Takes a new sample of `w` (none when it is not running).
void Sample(const run::ContainerStore& store, Watched* w) {
  w->prev = w->cur;
  w->cur.reset();
  try {
    run::ContainerState st = store.LoadState(w->id);
    if (st.status != run::ContainerStatus::kRunning || !ProcessAlive(st.pid, st.pid_start)) return;
    run::ContainerConfig c = store.LoadConfig(w->id);
    w->name = c.name;
    w->cur = run::ReadContainerStats(st, c.spec.network == "host");
  } catch (const Error&) {
  }
}

json Row(const Watched& w, bool no_trunc) {
  char cpu[32] = "0.00%", memp[32] = "0.00%";
  std::string mem = "0B / 0B", net = "0B / 0B", blk = "0B / 0B", pids = "0";
  if (w.cur) {
    const run::StatsSample& s = *w.cur;
    if (w.prev) snprintf(cpu, sizeof cpu, "%.2f%%", run::CpuPercent(*w.prev, s));
    if (s.mem_limit) snprintf(memp, sizeof memp, "%.2f%%", 100.0 * static_cast<double>(s.mem_usage) / static_cast<double>(s.mem_limit));
    mem = run::BinarySize(static_cast<double>(s.mem_usage)) + " / " + run::BinarySize(static_cast<double>(s.mem_limit));
    net = HumanSize(s.net_rx) + " / " + HumanSize(s.net_tx);
    blk = HumanSize(s.blk_read) + " / " + HumanSize(s.blk_write);
    pids = std::to_string(s.pids);
  }
  return {{"Container", w.given.empty() ? w.id.substr(0, 12) : w.given},
          {"ID", no_trunc ? w.id : w.id.substr(0, 12)},
          {"Name", w.name},
          {"CPUPerc", cpu},
          {"MemUsage", mem},
          {"MemPerc", memp},
          {"NetIO", net},
          {"BlockIO", blk},
          {"PIDs", pids}};
}

void Print(const std::string& format, const std::vector<Watched>& ws, bool no_trunc) {
  std::vector<json> rows;
  for (const auto& w : ws) rows.push_back(Row(w, no_trunc));
  json headers = {{"Container", "CONTAINER"}, {"ID", "CONTAINER ID"}, {"Name", "NAME"}, {"CPUPerc", "CPU %"},
                  {"MemUsage", "MEM USAGE / LIMIT"}, {"MemPerc", "MEM %"}, {"NetIO", "NET I/O"},
                  {"BlockIO", "BLOCK I/O"}, {"PIDs", "PIDS"}};
  std::string f = format.empty() || format == "table" ? kDefaultStatsFormat : format;
  PrintRows(f, rows, headers, [] {});
  std::fflush(stdout);
}

void RegisterStats(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    bool no_stream = false, no_trunc = false, all = false;
    std::string format;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("stats", "Display a live stream of container(s) resource usage statistics");
  cmd->add_flag("-a,--all", o->all, "show all containers (default shows just running)");
  cmd->add_flag("--no-stream", o->no_stream, "disable streaming stats and only pull the first result");
  cmd->add_flag("--no-trunc", o->no_trunc, "do not truncate output");
  cmd->add_option("--format", o->format, "pretty-print stats using a Go template");
  cmd->add_option("container", o->names, "containers (default: every running one)");
  cmd->callback([&g, o] {
    std::string body;  // a bad template fails now, not after the first second
    if (!o->format.empty() && o->format != "table" && o->format != "json") GoTemplate check(IsTable(o->format, &body) ? body : o->format);
    StoreHandle s(g.root);
    run::ContainerStore store(s.layout);
    std::vector<Watched> ws;
    if (!o->names.empty()) {
      ForEachName(g, o->names, [&](const std::string& n) { ws.push_back({n, store.Resolve(n), "", {}, {}}); });
      if (ws.empty()) return;
    } else {
      for (const auto& id : store.ListIds()) {
        try {
          run::ContainerConfig c = store.LoadConfig(id);
          if (c.spec.build) continue;
          if (!o->all && store.LoadState(id).status != run::ContainerStatus::kRunning) continue;
          ws.push_back({"", id, c.name, {}, {}});
        } catch (const Error&) {
        }
      }
    }
    // CPU % needs two samples: the first is taken now, the numbers shown come a second later
    // (Docker's daemon keeps the previous sample of its 1 s collector for the same purpose).
    for (auto& w : ws) Sample(store, &w);
    for (;;) {
      usleep(1000 * 1000);
      for (auto& w : ws) Sample(store, &w);
      if (o->no_stream) return Print(o->format, ws, o->no_trunc);
      std::fputs("\033[2J\033[H", stdout);
      Print(o->format, ws, o->no_trunc);
    }
  });
}

void RegisterUpdate(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    std::string memory, memory_swap, restart;
    std::optional<double> cpus;
    std::optional<int64_t> cpu_shares, pids_limit;
    std::optional<std::string> cpuset_cpus, cpuset_mems;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("update", "Update configuration of one or more containers");
  cmd->add_option("-m,--memory", o->memory, "memory limit");
  cmd->add_option("--memory-swap", o->memory_swap, "swap limit equal to memory plus swap: -1 to enable unlimited swap");
  cmd->add_option("--cpus", o->cpus, "number of CPUs");
  cmd->add_option("-c,--cpu-shares", o->cpu_shares, "CPU shares (relative weight)");
  cmd->add_option("--cpuset-cpus", o->cpuset_cpus, "CPUs in which to allow execution (0-3, 0,1)");
  cmd->add_option("--cpuset-mems", o->cpuset_mems, "MEMs in which to allow execution (0-3, 0,1)");
  cmd->add_option("--pids-limit", o->pids_limit, "tune container pids limit (set -1 for unlimited)");
  cmd->add_option("--restart", o->restart, "restart policy to apply when a container exits");
  cmd->add_option("container", o->names, "container names or ids")->required();
  cmd->callback([&g, o] {
    run::UpdateRequest req;
    if (!o->memory.empty()) req.resources.memory = run::ParseSize(o->memory);
    if (!o->memory_swap.empty()) req.resources.memory_swap = run::ParseMemorySwap(o->memory_swap);
    req.resources.cpus = o->cpus;
    req.resources.cpu_shares = o->cpu_shares;
    req.resources.cpuset_cpus = o->cpuset_cpus;
    req.resources.cpuset_mems = o->cpuset_mems;
    req.resources.pids_limit = o->pids_limit;
    if (!o->restart.empty()) req.restart = o->restart;
    const run::Resources& r = req.resources;
    if (!r.memory && !r.memory_swap && !r.cpus && !r.cpu_shares && !r.cpuset_cpus && !r.cpuset_mems && !r.pids_limit &&
        !req.restart)
      throw Error(ErrorKind::kInvalidInput, "you must provide one or more flags when using this command");
    ForEachContainer(g, o->names, true, [&](const Layout& l, const std::string& id) { run::UpdateContainer(l, id, req); });
  });
}

}  // namespace

void RegisterStatsCommands(CLI::App& app, Globals& g) {
  RegisterStats(app, g);
  RegisterUpdate(app, g);
}

}  // namespace mini::cli
