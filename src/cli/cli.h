#pragma once
/// The CLI layer: parses flags with CLI11, calls one library function per command, prints.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace mini::cli {

/// Options shared by every command, filled before any command callback runs.
struct Globals {
  std::string root;  ///< store root: --root, else $MINI_ROOT, else DefaultStoreRoot() (common/rootless.h)
  bool debug = false;
  std::string cgroup_manager;  ///< --cgroup-manager (run/cgroup/cgroup_manager.h); "" when not given
  int exit_code = 0;  ///< a command sets this for a non-zero exit without an error (e.g. run)
  /// The command the command line names ("" when none, e.g. `mini --help`): a command with many
  /// flags registers them only when it is the one that runs (CLI11 checks every new flag against
  /// the others, which costs `run --rm` startup time).
  std::string command;
};

/// True for a global option whose value is the next word: --root, --cgroup-manager.
inline bool GlobalOptionTakesValue(const std::string& w) { return w == "--root" || w == "--cgroup-manager"; }

/// The command word of `words` (argv after the management aliases): the first word that is not
/// a global flag or its value; "" when there is none or a word is not understood.
std::string CommandWord(const std::vector<std::string>& words);

/// Each file in src/cli registers its commands here.
void RegisterImageCommands(CLI::App& app, Globals& g);  // images.cc
void RegisterRunCommands(CLI::App& app, Globals& g);    // run_cmds.cc
void RegisterRegistryCommands(CLI::App& app, Globals& g);  // registry_cmds.cc: pull, push, login, logout
void RegisterBuildCommands(CLI::App& app, Globals& g);     // build_cmds.cc: build, commit, diff
void RegisterNetworkCommands(CLI::App& app, Globals& g);   // network_cmds.cc: network *, port
void RegisterVersionCommands(CLI::App& app, Globals& g);   // version_cmds.cc: version, info
void RegisterContainerCommands(CLI::App& app, Globals& g);   // container_cmds.cc: pause, unpause, restart, rename, top
void RegisterManagementCommands(CLI::App& app, Globals& g);  // volume_cmds.cc: volume *, container/image prune
void RegisterEventsCommands(CLI::App& app, Globals& g);  // events_cmds.cc: events
void RegisterStatsCommands(CLI::App& app, Globals& g);   // stats_cmds.cc: stats, update
void RegisterCpCommands(CLI::App& app, Globals& g);      // cp_cmds.cc: cp
/// `mini image ls` -> `mini images`, `mini container rm` -> `mini rm`...: the words to parse
/// (argv itself when no alias applies).
std::vector<std::string> RewriteManagementAliases(int argc, char** argv);
/// "mini version 0.11.0, build abc1234" (`mini --version`).
std::string VersionLine();

}  // namespace mini::cli
