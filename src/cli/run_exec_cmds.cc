// Container commands that work on an existing container: exec, start.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/store_handle.h"
#include "common/error.h"
#include "run/container.h"
#include "run/launch/exec.h"
#include "run/lifecycle.h"
#include "run/boot_restart.h"

namespace mini::cli {
namespace {

using run::ContainerStore;

/// Prints an error of a command that attaches to the container's process and takes the
/// status it asks for (125/126/127), as `docker exec` and `docker start -a` do.
template <class F>
void WithStartStatus(Globals& g, F fn) {
  try {
    fn();
  } catch (const run::StartError& e) {
    PrintError(e);
    g.exit_code = ExitCodeFor(e, g.command);
  }
}

void RegisterExec(CLI::App& app, Globals& g) {
  struct Opts {
    run::ExecSpec spec;
    bool interactive = false, tty = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("exec", "Run a command in a running container");
  cmd->prefix_command();
  cmd->fallthrough(false);
  run::ExecSpec& s = o->spec;
  cmd->add_flag("-d,--detach", s.detach, "run the command in the background");
  cmd->add_flag("-i,--interactive", o->interactive, "keep stdin open");
  cmd->add_flag("-t,--tty", o->tty, "allocate a pseudo-terminal");
  cmd->add_flag("--privileged", s.privileged, "give the command all capabilities");
  cmd->add_option("-e,--env", s.env, "set an environment variable (KEY=VALUE or KEY)")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)->allow_extra_args(false);
  cmd->add_option("-w,--workdir", s.workdir, "working directory inside the container");
  cmd->add_option("-u,--user", s.user, "user[:group], by name or number");
  cmd->callback([&g, o, cmd] {
    std::vector<std::string> rest = cmd->remaining();
    RefuseUnknownFlag(rest);
    if (rest.size() < 2) throw Error(ErrorKind::kInvalidInput, "\"mini exec\" requires at least 2 arguments: CONTAINER COMMAND [ARG...]");
    o->spec.argv.assign(rest.begin() + 1, rest.end());
    StoreHandle st(g.root);
    std::string id = ContainerStore(st.layout).Resolve(rest[0]);
    if (run::IsPaused(st.layout, id))
      throw Error(ErrorKind::kConflict, "Container " + id + " is paused, unpause the container before exec");
    run::IoSpec io;
    io.tty = o->tty && !o->spec.detach;
    io.in = o->interactive ? 0 : -1;
    std::cout.flush();
    WithStartStatus(g, [&] { g.exit_code = run::ExecInContainer(st.layout, id, o->spec, io); });
  });
}

void RegisterStart(CLI::App& app, Globals& g) {
  struct Opts {
    std::vector<std::string> names;
    bool attach = false, interactive = false, all_restarting = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("start", "Start created or stopped containers");
  cmd->add_flag("-a,--attach", o->attach, "attach stdout/stderr and wait (exit status = the container's)");
  cmd->add_flag("-i,--interactive", o->interactive, "attach stdin");
  cmd->add_flag("--all-restarting", o->all_restarting,
                "start every container whose restart policy is always or unless-stopped (not stopped by the user), for boot");
  cmd->add_option("container", o->names);
  cmd->callback([&g, o] {
    if (o->all_restarting) {
      if (!o->names.empty() || o->attach || o->interactive)
        throw Error(ErrorKind::kInvalidInput, "--all-restarting takes no container names and no -a/-i");
      StoreHandle st(g.root);
      run::StartAllRestarting(
          st.layout, [](const std::string& n) { std::cout << n << std::endl; },
          [&g](const std::string& n, const std::string& err) {
            PrintError(Error(n + ": " + err));
            g.exit_code = 1;
          });
      return;
    }
    if (o->names.empty()) throw Error(ErrorKind::kInvalidInput, "\"mini start\" requires at least 1 argument");
    StoreHandle st(g.root);
    ContainerStore store(st.layout);
    if ((o->attach || o->interactive) && o->names.size() > 1)
      throw Error("you cannot start and attach multiple containers at once");
    if (o->attach || o->interactive) {
      std::string id = store.Resolve(o->names[0]);
      WithStartStatus(g, [&] { run::StartContainer(st.layout, id, true, o->interactive, &g.exit_code); });
      return;
    }
    ForEachName(g, o->names, [&](const std::string& n) {
      run::StartContainer(st.layout, store.Resolve(n), false, false, &g.exit_code);
      std::cout << n << std::endl;
    });
  });
}

}  // namespace

void RegisterExecStart(CLI::App& app, Globals& g) {
  RegisterExec(app, g);
  RegisterStart(app, g);
}

}  // namespace mini::cli
