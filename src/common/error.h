#pragma once
/// Errors in mini: one exception type carrying a human message that grows context as it climbs
/// ("pull x: layer sha256:ab..: digest mismatch"). Modules throw `Error`; the CLI catches it,
/// prints `mini: error: <message>` and exits 125.
#include <stdexcept>
#include <string>
#include <utility>

namespace mini {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

/// Throws Error("<what>: <strerror(errno)>").
[[noreturn]] void ThrowErrno(const std::string& what);
/// Same, with an explicit errno value.
[[noreturn]] void ThrowErrno(const std::string& what, int err);

/// Runs f(); an Error thrown inside gets "<context>: " put in front of its message.
template <class F>
auto WithContext(const std::string& context, F&& f) -> decltype(f()) {
  try {
    return std::forward<F>(f)();
  } catch (const Error& e) {
    throw Error(context + ": " + e.what());
  }
}

}  // namespace mini
