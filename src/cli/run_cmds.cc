#include "cli/cli.h"

namespace mini::cli {

void RegisterRunCommands(CLI::App& app, Globals& g) {}

}  // namespace mini::cli
