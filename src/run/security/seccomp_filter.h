#pragma once
/// Turns a SeccompProfile into a classic-BPF seccomp program with libseccomp, caches the program
/// in the store, and loads it with one seccomp(2) call.
///
/// How the runner uses it:
///   parent, before clone:  auto prog = SeccompProgram::ForProfile(layout, profile, caps);
///   child, after capset and PR_SET_NO_NEW_PRIVS, right before execve:
///                          if (int err = prog.Load()) { report err; _exit(...); }
/// Everything that allocates, reads files or talks to libseccomp happens in ForProfile; Load
/// only makes the syscall on a buffer prepared earlier, so it is safe after clone/fork.
#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/digest.h"
#include "run/security/capabilities.h"
#include "run/security/seccomp_profile.h"
#include "store/layout.h"

namespace mini::run {

/// A compiled seccomp filter ready to load. Default-constructed = empty = unconfined.
class SeccompProgram {
 public:
  SeccompProgram() = default;

  /// The program for `profile` given the container's effective (= bounding) capabilities, for
  /// `arch` (an SCMP_ARCH_* name such as "SCMP_ARCH_X86_64"; empty = this machine's). Reads
  /// `<root>/seccomp/<key>.bpf` when present and well-formed, else compiles and writes it
  /// atomically. Throws Error("seccomp: ...") when the profile cannot be compiled.
  static SeccompProgram ForProfile(const Layout& layout, const SeccompProfile& profile,
                                   CapSet effective_caps, const std::string& arch = "");

  /// Compiles without the cache. Same errors as ForProfile.
  static SeccompProgram Compile(const SeccompProfile& profile, CapSet effective_caps,
                                const std::string& arch = "");

  /// Installs the filter on the calling thread (all threads with SECCOMP_FILTER_FLAG_TSYNC in
  /// the profile's flags). The caller must have set no_new_privs or hold CAP_SYS_ADMIN.
  /// Async-signal-safe: one syscall, no allocation. Returns 0 or an errno value; an empty
  /// program returns 0 and loads nothing.
  int Load() const noexcept;

  bool empty() const { return insns_.empty(); }
  size_t instructions() const { return insns_.size(); }
  /// True when ForProfile found the program in the store.
  bool from_cache() const { return from_cache_; }
  /// The raw program: sock_filter records in host byte order (the .bpf file's content).
  std::string Bytes() const;

 private:
  std::vector<sock_filter> insns_;
  unsigned int flags_ = 0;
  bool from_cache_ = false;
};

/// The cache key: sha256 over the canonical profile JSON, the capability set, the arch, the
/// libseccomp version and the kernel release (minKernel rules depend on it).
Digest SeccompCacheKey(const SeccompProfile& profile, CapSet effective_caps, const std::string& arch = "");

/// libseccomp's version, "2.5.4".
std::string LibseccompVersion();

}  // namespace mini::run
