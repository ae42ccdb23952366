#pragma once
/// Docker's default seccomp profile (moby profiles/seccomp/default.json) in our model, and the
/// `--security-opt seccomp=...` option that picks a profile.
#include <optional>
#include <string>

#include "run/security/seccomp_profile.h"

namespace mini::run {

/// Docker's default: deny with EPERM what is not listed; an allow-list of ~370 syscalls; clone
/// without namespace flags and clone3 -> ENOSYS (so glibc falls back to clone) unless
/// CAP_SYS_ADMIN; personality only for the harmless personas and the 0xffffffff query; socket
/// for every family but AF_VSOCK; mount/unshare/setns/... only with CAP_SYS_ADMIN, ptrace and
/// process_vm_* with CAP_SYS_PTRACE (or kernel >= 4.8), reboot with CAP_SYS_BOOT, module calls
/// with CAP_SYS_MODULE, and so on. keyctl, add_key, request_key, kexec_*, bpf (without
/// CAP_BPF/CAP_SYS_ADMIN), userfaultfd, ... are never allowed.
const SeccompProfile& DefaultSeccompProfile();

/// The value of `--security-opt seccomp=VALUE`: "unconfined" -> nullopt (no filter); "" or
/// "default" -> the default profile; anything else is the path of a Docker-format JSON profile
/// (at most 4 MiB). Throws Error("seccomp profile <path>: ...") naming the file.
/// `--privileged` is the caller's business: it does not call this.
std::optional<SeccompProfile> SeccompProfileFromOption(const std::string& value);

}  // namespace mini::run
