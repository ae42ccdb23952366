#include "cli/cli.h"

namespace mini::cli {

void RegisterBuildCommands(CLI::App& app, Globals& g) {}

}  // namespace mini::cli
