// mini: one daemonless binary for container images. Parses the command line, runs one command,
// turns errors into `mini: error: ...` and Docker's exit codes (125 tool failure, 2 usage).
#include <cstdio>
#include <cstdlib>

#include "cli/cli.h"
#include "cli/rootless_entry.h"
#include "common/error.h"
#include "common/log.h"
#include "common/rootless.h"

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
  app.parse_complete_callback([&g, &app] {
    mini::SetDebug(g.debug);
    if (g.root.empty()) g.root = mini::DefaultStoreRoot();
    // Rootless: into the user namespace before any command touches the store.
    if (!app.get_subcommands().empty()) mini::cli::EnterRootlessForCommand(app.get_subcommands()[0]->get_name());
  });
  mini::cli::RegisterImageCommands(app, g);
  mini::cli::RegisterRunCommands(app, g);
  mini::cli::RegisterRegistryCommands(app, g);
  mini::cli::RegisterBuildCommands(app, g);
  mini::cli::RegisterNetworkCommands(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "mini: error: %s\nSee 'mini --help'.\n", e.what());
    return 2;
  } catch (const mini::Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "mini: error: %s\n", e.what());
    return 125;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "mini: error: %s\n", e.what());
    return 125;
  }
  return g.exit_code;
}
