#pragma once
/// Docker's exit status rules and signal names. Pure.
#include <string>

namespace mini::run {

inline constexpr int kExitMiniFailure = 125;
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

/// waitpid status -> the command's code, or 128+N when killed by signal N.
int ExitCodeFromWaitStatus(int status);
/// The status for a failed execve: ENOENT/ENOTDIR -> 127, anything else (EACCES, ENOEXEC,
/// EISDIR...) -> 126.
int ExitCodeForExecErrno(int err);
/// "TERM", "SIGTERM", "sigterm", "15" -> 15; -1 if unknown.
int ParseSignal(const std::string& s);

}  // namespace mini::run
