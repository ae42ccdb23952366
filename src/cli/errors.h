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
inline constexpr int kExitFlag = 125;      ///< a flag did not parse (unknown, bad value): Docker's status

/// Docker's exit status for `command` (the first command word, "run", "rm", ...) that failed
/// with `e`: the status the error carries (126/127 when a container's command could not be
/// executed, 125 for a bad flag value), else 125 for run and create (the status of `docker
/// run` when the tool itself failed; also when the command is not known yet), else 1, as
/// Docker's CLI exits for every other command. Verbs over several names exit kExitSomeFailed
/// (ForEachName).
int ExitCodeFor(const Error& e, const std::string& command);

/// Runs `fn`, which checks flag values: an Error it throws exits kExitFlag (Docker's status for
/// a bad flag value, for every command).
template <class F>
auto CheckingFlags(F fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (Error& e) {
    e.WithExitCode(kExitFlag);
    throw;
  }
}

/// Prints "mini: error: <message>" on stderr, after flushing what stdout holds so the lines
/// come out in order.
void PrintError(const std::string& message);
inline void PrintError(const std::exception& e) { PrintError(std::string(e.what())); }
/// A command line that did not parse, reported the way Docker's CLI reports it; returns the
/// exit status. An unknown command: "mini: 'foo' is not a mini command." and the help hint,
/// status 1. An unknown flag or a bad flag value: "unknown flag: --foo", the command's usage
/// line and "See 'mini CMD --help'.", status 125. A missing or extra argument: the message and
/// the hint, status 1. `argv` finds the command the user meant.
int ReportParseError(CLI::App& app, const CLI::ParseError& e, int argc, char** argv);

/// For commands that take the rest of the line (run, create, exec): a first word that looks like
/// a flag is an unknown flag of the command, not an image or container name. Throws the parse
/// error ReportParseError turns into "unknown flag: ...".
void RefuseUnknownFlag(const std::vector<std::string>& rest);

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
