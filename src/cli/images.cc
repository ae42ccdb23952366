#include "cli/cli.h"

namespace mini::cli {

void RegisterImageCommands(CLI::App& app, Globals& g) {}

}  // namespace mini::cli
