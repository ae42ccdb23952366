// Container verbs beyond run/exec/start/stop: pause, unpause, restart, rename, top.
#include <pwd.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/for_each_container.h"
#include "cli/store_handle.h"
#include "cli/table.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/strings.h"
#include "run/container.h"
#include "run/container_events.h"
#include "run/lifecycle.h"

namespace mini::cli {

namespace {

using run::ContainerStore;

/// `mini VERB CONTAINER...` printing each name on success, Docker's way.
void RegisterEach(CLI::App& app, Globals& g, const std::string& verb, const std::string& help,
                  void (*fn)(const Layout&, const std::string&)) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand(verb, help);
  cmd->add_option("container", *names, "container names or ids")->required();
  cmd->callback([&g, names, fn] { ForEachContainer(g, *names, true, fn); });
}

void RegisterRestart(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    int timeout = -1;  // the container's --stop-timeout, else 10
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("restart", "Restart containers (stop, then start detached)");
  cmd->add_option("-t,--time,--timeout", o->timeout, "seconds to wait for the stop before killing");
  cmd->add_option("container", o->names, "container names or ids")->required();
  cmd->callback([&g, o] {
    ForEachContainer(g, o->names, true, [&](const Layout& l, const std::string& id) { run::RestartContainer(l, id, o->timeout); });
  });
}

void RegisterRename(CLI::App& app, Globals& g) {
  struct Opts {
    std::string container, name;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("rename", "Rename a container");
  cmd->add_option("container", o->container, "container name or id")->required();
  cmd->add_option("new_name", o->name, "the new name")->required();
  cmd->callback([&g, o] {
    StoreHandle s(g.root);
    ContainerStore store(s.layout);
    std::string id = store.Resolve(o->container), old = store.LoadConfig(id).name;
    store.Rename(id, o->name);
    run::RecordContainerEvent(s.layout, id, "rename", {{"oldName", "/" + old}});
  });
}

/// One process as `ps -ef` shows it (what `docker top` prints by default), from /proc.
struct PsRow {
  std::string uid, pid, ppid, c, stime, tty, time, cmd;
};

std::optional<PsRow> ReadProc(const std::string& pid) {
  auto stat = ReadFileIfExists("/proc/" + pid + "/stat");
  auto status = ReadFileIfExists("/proc/" + pid + "/status");
  if (!stat || !status) return std::nullopt;
  size_t rp = stat->rfind(')');
  if (rp == std::string::npos) return std::nullopt;
  std::vector<std::string> f = Split(stat->substr(rp + 2), ' ');  // f[0] = state (field 3)
  if (f.size() < 20) return std::nullopt;
  PsRow r;
  r.pid = pid;
  r.ppid = f[1];
  long tty = std::atol(f[4].c_str());
  r.tty = tty == 0 ? "?" : (tty >> 8) == 136 ? "pts/" + std::to_string((tty & 0xff) | ((tty >> 12) & 0xfff00)) : "?";
  double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  double cpu_s = (std::atof(f[11].c_str()) + std::atof(f[12].c_str())) / hz;
  double start_s = std::atof(f[19].c_str()) / hz;
  struct sysinfo si {};
  sysinfo(&si);
  double age = static_cast<double>(si.uptime) - start_s;
  r.c = std::to_string(age > 0 ? static_cast<int>(cpu_s * 100 / age) : 0);
  time_t started = time(nullptr) - static_cast<time_t>(age);
  struct tm tm {};
  localtime_r(&started, &tm);
  char buf[32];
  strftime(buf, sizeof buf, age < 86400 ? "%H:%M" : "%b%d", &tm);
  r.stime = buf;
  long t = static_cast<long>(cpu_s);
  std::snprintf(buf, sizeof buf, "%02ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  r.time = buf;
  size_t u = status->find("\nUid:\t");
  uid_t uid = u == std::string::npos ? 0 : static_cast<uid_t>(std::atol(status->c_str() + u + 6));
  struct passwd pw {}, *res = nullptr;
  char pwbuf[1024];
  r.uid = getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &res) == 0 && res ? pw.pw_name : std::to_string(uid);
  auto cmdline = ReadFileIfExists("/proc/" + pid + "/cmdline");
  std::string cmd = cmdline ? *cmdline : "";
  while (!cmd.empty() && cmd.back() == '\0') cmd.pop_back();
  for (char& ch : cmd)
    if (ch == '\0') ch = ' ';
  if (cmd.empty()) {  // a kernel thread or a zombie: ps shows [comm]
    size_t lp = stat->find('(');
    cmd = "[" + stat->substr(lp + 1, rp - lp - 1) + "]";
  }
  r.cmd = cmd;
  return r;
}

void RegisterTop(CLI::App& app, Globals& g) {
  struct Opts {
    std::string container;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("top", "Display the running processes of a container (ps -ef columns)");
  cmd->add_option("container", o->container, "container name or id")->required();
  cmd->allow_extras();
  cmd->callback([&g, o, cmd] {
    if (!cmd->remaining().empty())
      throw Error(ErrorKind::kInvalidInput, "top: ps options are not supported (mini prints ps -ef's columns)");
    StoreHandle s(g.root);
    ContainerStore store(s.layout);
    std::string id = store.Resolve(o->container);
    run::ContainerState st = store.LoadState(id);
    if (st.status != run::ContainerStatus::kRunning)
      throw Error(ErrorKind::kConflict, "Container " + id + " is not running");
    std::string procs;
    for (const auto& p : st.cgroup_paths)
      if (auto t = ReadFileIfExists(p + "/cgroup.procs"); t && !t->empty()) {
        procs = *t;
        break;
      }
    if (procs.empty()) procs = std::to_string(st.pid) + "\n";  // no cgroup (rootless without delegation)
    Table t({"UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"});
    std::vector<std::pair<long, PsRow>> rows;
    for (const auto& pid : Split(procs, '\n'))
      if (!TrimSpace(pid).empty())
        if (auto r = ReadProc(TrimSpace(pid))) rows.push_back({std::atol(r->pid.c_str()), *r});
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [k, r] : rows) t.Add({r.uid, r.pid, r.ppid, r.c, r.stime, r.tty, r.time, r.cmd});
    std::fputs(t.Render().c_str(), stdout);
  });
}

}  // namespace

void RegisterContainerCommands(CLI::App& app, Globals& g) {
  RegisterEach(app, g, "pause", "Pause all processes within containers (cgroup freezer)", run::PauseContainer);
  RegisterEach(app, g, "unpause", "Unpause all processes within containers", run::UnpauseContainer);
  RegisterRestart(app, g);
  RegisterRename(app, g);
  RegisterTop(app, g);
}

}  // namespace mini::cli
