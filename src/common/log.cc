#include "common/log.h"

#include <atomic>
#include <cstdio>

namespace mini {

static std::atomic<bool> g_debug{false};

void SetDebug(bool on) { g_debug = on; }
bool DebugEnabled() { return g_debug; }
void Debug(const std::string& msg) {
  if (g_debug) std::fprintf(stderr, "mini: debug: %s\n", msg.c_str());
}
void Warn(const std::string& msg) { std::fprintf(stderr, "mini: warning: %s\n", msg.c_str()); }

}  // namespace mini
