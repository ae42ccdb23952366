#include "cli/errors.h"

#include <cstdio>
#include <iostream>

#include "run/launch/exit_status.h"

namespace mini::cli {

int ExitCodeFor(const Error& e) {
  if (e.exit_code() != 0) return e.exit_code();
  // Every kind exits like `docker run` does when the tool failed; kinds matter to callers
  // (retry, conflict, not found) and to ForEachName's status, not to this one.
  return run::kExitMiniFailure;
}

void PrintError(const std::string& message) {
  std::cout.flush();
  std::fflush(stdout);
  std::fprintf(stderr, "mini: error: %s\n", message.c_str());
}

void PrintUsageError(const std::string& message) {
  PrintError(message + "\nSee 'mini --help'.");
}

}  // namespace mini::cli
