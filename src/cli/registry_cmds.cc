#include "cli/cli.h"

namespace mini::cli {

void RegisterRegistryCommands(CLI::App& app, Globals& g) {}

}  // namespace mini::cli
