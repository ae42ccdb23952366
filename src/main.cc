// mini: one daemonless binary for container images. Parses the command line, runs one command,
// turns errors into `mini: error: ...` and Docker's exit codes (cli/errors.h).
#include <cstdio>
#include <cstdlib>

#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/rootless_entry.h"
#include "common/error.h"
#include "common/log.h"
#include "common/rootless.h"
#include "run/cgroup/cgroup_manager.h"

int main(int argc, char** argv) {
  mini::IsRootless();  // decided once, before any namespace changes; forks inherit it
  mini::cli::Globals g;
  CLI::App app{"mini: build, pull, push and run container images, daemonless", "mini"};
  app.require_subcommand(1);
  app.fallthrough();
  const char* env_root = std::getenv("MINI_ROOT");
  g.root = env_root && *env_root ? env_root : "";  // empty: mini::DefaultStoreRoot(), after parsing
  app.add_option("--root", g.root, "store root (default /var/lib/mini, ~/.local/share/mini rootless, or $MINI_ROOT)");
  app.add_flag("--debug", g.debug, "print debug output");
  app.add_option("--cgroup-manager", g.cgroup_manager,
                 "cgroupfs or systemd: who makes new containers' cgroups (default: $MINI_CGROUP_MANAGER, else "
                 "systemd on a pure cgroup v2 host booted by systemd, else cgroupfs)");
  app.set_version_flag("-v,--version", mini::cli::VersionLine(), "print the version and exit");
  app.parse_complete_callback([&g, &app] {
    mini::SetDebug(g.debug);
    try {
      mini::run::SetCgroupManagerFlag(g.cgroup_manager);
    } catch (mini::Error& e) {
      e.WithExitCode(mini::cli::kExitFlag);  // a bad flag value, for every command
      throw;
    }
    if (g.root.empty()) g.root = mini::DefaultStoreRoot();
    // Rootless: into the user namespace before any command touches the store.
    if (!app.get_subcommands().empty()) mini::cli::EnterRootlessForCommand(app.get_subcommands()[0]->get_name());
  });
  std::vector<std::string> words = mini::cli::RewriteManagementAliases(argc, argv);
  g.command = mini::cli::CommandWord(words);
  mini::cli::RegisterImageCommands(app, g);
  mini::cli::RegisterRunCommands(app, g);
  mini::cli::RegisterRegistryCommands(app, g);
  mini::cli::RegisterBuildCommands(app, g);
  mini::cli::RegisterNetworkCommands(app, g);
  mini::cli::RegisterVersionCommands(app, g);
  mini::cli::RegisterContainerCommands(app, g);
  mini::cli::RegisterManagementCommands(app, g);
  mini::cli::RegisterEventsCommands(app, g);
  mini::cli::RegisterStatsCommands(app, g);
  mini::cli::RegisterCpCommands(app, g);
  std::vector<char*> wargv;
  for (auto& w : words) wargv.push_back(w.data());
  argc = static_cast<int>(wargv.size());
  wargv.push_back(nullptr);
  argv = wargv.data();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    std::printf("%s\n", mini::cli::VersionLine().c_str());
    return 0;
  } catch (const CLI::ParseError& e) {
    return mini::cli::ReportParseError(app, e, argc, argv);
  } catch (const mini::Error& e) {
    mini::cli::PrintError(e);
    return mini::cli::ExitCodeFor(e, g.command);
  } catch (const std::exception& e) {
    mini::cli::PrintError(e);
    return mini::cli::ExitCodeFor(mini::Error(e.what()), g.command);
  }
  return g.exit_code;
}
