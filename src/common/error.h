#pragma once
/// Errors in mini: one exception type carrying a kind and a human message that grows context as
/// it climbs ("pull x: layer sha256:ab..: digest mismatch"). Modules throw `Error`; callers that
/// must react to a failure check its kind (containerd's errdefs), never its text. The CLI prints
/// every error through cli::PrintError and takes the exit status from cli::ExitCodeFor.
#include <stdexcept>
#include <string>
#include <utility>

namespace mini {

/// What went wrong, as far as a caller or the exit status cares. Kept small on purpose: a kind
/// exists only when some code checks it.
enum class ErrorKind {
  kInternal,      ///< anything else: mini or the host failed (the default)
  kNotFound,      ///< "No such image/container/network: x"
  kConflict,      ///< refused because of the state: in use, name taken, must be forced
  kInvalidInput,  ///< a bad flag, value, reference or argument
  kRetryable,     ///< a transient failure (network, 5xx): the same request may succeed later
  kNoSpace,       ///< ENOSPC / EDQUOT
  kPermission,    ///< EACCES / EPERM
};

/// The kind's name for messages and tests ("not found").
const char* ErrorKindName(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : Error(ErrorKind::kInternal, msg) {}
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}

  ErrorKind kind() const { return kind_; }
  /// A process exit status this error asks for (e.g. 126/127 when a container's command could
  /// not be executed); 0 when the status follows from the kind and the command alone.
  int exit_code() const { return exit_code_; }

  /// Sets exit_code(); returns *this for `throw Error(...).WithExitCode(127)`.
  Error& WithExitCode(int code) {
    exit_code_ = code;
    return *this;
  }
  /// The same error (kind, exit code) with another message.
  Error WithMessage(const std::string& msg) const {
    Error e(kind_, msg);
    e.exit_code_ = exit_code_;
    return e;
  }

 private:
  ErrorKind kind_;
  int exit_code_ = 0;
};

inline bool IsNotFound(const Error& e) { return e.kind() == ErrorKind::kNotFound; }
inline bool IsConflict(const Error& e) { return e.kind() == ErrorKind::kConflict; }
inline bool IsInvalidInput(const Error& e) { return e.kind() == ErrorKind::kInvalidInput; }
inline bool IsRetryable(const Error& e) { return e.kind() == ErrorKind::kRetryable; }
inline bool IsNoSpace(const Error& e) { return e.kind() == ErrorKind::kNoSpace; }
inline bool IsPermission(const Error& e) { return e.kind() == ErrorKind::kPermission; }

/// The kind an errno value means for a caller: ENOSPC/EDQUOT -> kNoSpace, EACCES/EPERM ->
/// kPermission, ENOENT -> kNotFound, anything else kInternal.
ErrorKind KindFromErrno(int err);

/// Throws Error(KindFromErrno(errno), "<what>: <strerror(errno)>").
[[noreturn]] void ThrowErrno(const std::string& what);
/// Same, with an explicit errno value.
[[noreturn]] void ThrowErrno(const std::string& what, int err);

/// Runs f(); an Error thrown inside gets "<context>: " put in front of its message and keeps
/// its kind and exit code.
template <class F>
auto WithContext(const std::string& context, F&& f) -> decltype(f()) {
  try {
    return std::forward<F>(f)();
  } catch (const Error& e) {
    throw e.WithMessage(context + ": " + e.what());
  }
}

}  // namespace mini
