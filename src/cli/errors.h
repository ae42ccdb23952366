#pragma once
/// How the CLI reports failures: one printer (`mini: error: ...` on stderr) and one place that
/// turns an Error into Docker's exit status.
#include <exception>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "common/error.h"

namespace mini::cli {

inline constexpr int kExitSomeFailed = 1;  ///< a verb over several names (rm, stop, rmi...) where one failed
inline constexpr int kExitUsage = 2;       ///< the command line did not parse (unknown flag/command, missing argument)

/// Docker's exit status for a command that failed with `e`: the status the error carries
/// (126/127 when a container's command could not be executed, its own 125), else 125, the
/// status of `docker run` when the tool itself failed, which mini uses for every command
/// that fails outright. Verbs over several names exit kExitSomeFailed instead (ForEachName).
int ExitCodeFor(const Error& e);

/// Prints "mini: error: <message>" on stderr, after flushing what stdout holds so the lines
/// come out in order.
void PrintError(const std::string& message);
inline void PrintError(const std::exception& e) { PrintError(std::string(e.what())); }
/// A command line that did not parse: the message and "See 'mini --help'."
void PrintUsageError(const std::string& message);

/// Runs fn(name) for each name, Docker's way for verbs over several objects (rm, stop, kill,
/// wait, start, rmi, network rm): a failure is printed as it happens, the other names still
/// run, and the exit status is kExitSomeFailed if any failed.
template <class F>
void ForEachName(Globals& g, const std::vector<std::string>& names, F fn) {
  bool failed = false;
  for (const auto& n : names) {
    try {
      fn(n);
    } catch (const Error& e) {
      PrintError(e);
      failed = true;
    }
  }
  if (failed) g.exit_code = kExitSomeFailed;
}

}  // namespace mini::cli
