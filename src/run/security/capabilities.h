#pragma once
/// Capability names and sets: Docker's 14 defaults, --cap-add/--cap-drop/--privileged. Pure.
#include <cstdint>
#include <string>
#include <vector>

namespace mini::run {

/// Bit mask over capability numbers (0..63).
using CapSet = uint64_t;

/// Docker's default set: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP
/// SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE = 0xa80425fb.
CapSet DefaultCaps();
/// All capabilities up to and including `last_cap` (from /proc/sys/kernel/cap_last_cap).
CapSet AllCaps(int last_cap);
/// "CAP_SYS_ADMIN", "sys_admin", "SYS_ADMIN" -> 21; -1 if unknown.
int CapFromName(const std::string& name);
/// Applies Docker's order: start from defaults (or all when privileged), add, then drop; "ALL"
/// is accepted in both lists. Throws Error("unknown capability: X").
CapSet ComputeCaps(bool privileged, const std::vector<std::string>& add,
                   const std::vector<std::string>& drop, int last_cap);

}  // namespace mini::run
