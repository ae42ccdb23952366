#pragma once
/// Namespaces: the clone of the container's first process and what it does in its new UTS and
/// network namespaces.
#include <sys/types.h>

#include <functional>
#include <string>

namespace mini::run {

/// clone(2) with `flags` (CLONE_NEW* ...) | SIGCHLD on a private stack; the child runs `fn` and
/// _exits with its return value. Like fork: the child gets a copy of the address space, so `fn`
/// may use anything the parent built. Throws Error.
pid_t CloneChild(int flags, const std::function<int()>& fn);

/// Brings "lo" up in the current network namespace (ioctl SIOCSIFFLAGS). Throws Error.
void BringUpLoopback();

/// sethostname; throws Error.
void SetHostname(const std::string& name);

}  // namespace mini::run
