#pragma once
/// Debug logging to stderr, enabled by `mini --debug`.
#include <string>

namespace mini {

void SetDebug(bool on);
bool DebugEnabled();
/// Prints "mini: debug: <msg>" to stderr when debug output is on.
void Debug(const std::string& msg);
/// Prints "mini: warning: <msg>" to stderr.
void Warn(const std::string& msg);

}  // namespace mini
