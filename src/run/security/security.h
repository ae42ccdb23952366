#pragma once
/// The process's privileges before exec: user and groups, capabilities (bounding, effective,
/// permitted; inheritable empty, ambient cleared), no_new_privs, and no leaked fds. Direct
/// syscalls, no libcap. Runs in the child.
#include "run/security/capabilities.h"
#include "run/security/user_lookup.h"

namespace mini::run {

/// /proc/sys/kernel/cap_last_cap (40 when unreadable).
int LastCap();

/// Order matters and is all here: drop the bounding set, setgroups/setgid/setuid (the kernel
/// then clears the permitted set of a non-root user), capset for root, clear ambient, set
/// no_new_privs. Throws Error.
void ApplyPrivileges(const ExecUser& user, CapSet caps, int last_cap);

/// Marks every fd >= 3 close-on-exec (close_range, or a /proc/self/fd walk on old kernels).
void CloseExtraFdsOnExec();

}  // namespace mini::run
