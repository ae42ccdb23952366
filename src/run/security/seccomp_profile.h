#pragma once
/// A seccomp profile in Docker's JSON format (moby profiles/seccomp): the model, its parser and a
/// canonical serialisation. Pure: no syscalls, no libseccomp, testable without root.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mini::run {

/// What the kernel does with a matching syscall (the SCMP_ACT_* names of the JSON format).
enum class SeccompAction { kKillThread, kKillProcess, kTrap, kErrno, kTrace, kAllow, kLog };

/// Argument comparison (SCMP_CMP_*). kMaskedEqual: (arg & value) == value_two.
enum class SeccompOp { kNotEqual, kLessThan, kLessEqual, kEqualTo, kGreaterEqual, kGreaterThan, kMaskedEqual };

/// One condition on one syscall argument.
struct SeccompArg {
  unsigned index = 0;  ///< 0..5
  uint64_t value = 0;
  uint64_t value_two = 0;
  SeccompOp op = SeccompOp::kEqualTo;
};

/// Conditions under which a rule applies (`includes`) or does not (`excludes`). Arch names are
/// Go's GOARCH-like names of the Docker format ("amd64", "x86", "arm64", "s390x", ...); caps are
/// "CAP_*" names; min_kernel is "major.minor" or "major.minor.patch".
struct SeccompFilter {
  std::vector<std::string> caps;
  std::vector<std::string> arches;
  std::string min_kernel;
  bool empty() const { return caps.empty() && arches.empty() && min_kernel.empty(); }
};

/// One entry of `syscalls[]`. Several args on the same index are OR-ed (one rule each, like runc);
/// args on different indexes are AND-ed.
struct SeccompRule {
  std::vector<std::string> names;
  SeccompAction action = SeccompAction::kAllow;
  std::optional<uint32_t> errno_ret;  ///< for kErrno (default EPERM) and kTrace (message)
  std::vector<SeccompArg> args;
  SeccompFilter includes;
  SeccompFilter excludes;
};

/// `archMap[]`: the native arch and the sub-architectures to add with it (x86_64 -> x86, x32).
struct SeccompArchMapEntry {
  std::string arch;  ///< SCMP_ARCH_* name
  std::vector<std::string> sub_arches;
};

/// The whole profile. `architectures` and `arch_map` are exclusive (Docker's rule).
struct SeccompProfile {
  SeccompAction default_action = SeccompAction::kErrno;
  std::optional<uint32_t> default_errno_ret;
  std::vector<std::string> architectures;  ///< SCMP_ARCH_* names
  std::vector<SeccompArchMapEntry> arch_map;
  std::vector<std::string> flags;  ///< SECCOMP_FILTER_FLAG_{LOG,SPEC_ALLOW}
  std::vector<SeccompRule> syscalls;
};

/// Parses Docker's JSON profile. Unknown keys are ignored (as Go's decoder does); known keys are
/// type-checked. Returns nullopt when the profile disables seccomp (no defaultAction and no
/// syscalls, as Docker reads it). Throws Error("<source>: <where>: <what>"), for example
/// `p.json: syscalls[1].args[0].op: unknown operator "SCMP_CMP_FOO"`.
std::optional<SeccompProfile> ParseSeccompProfile(std::string_view json, const std::string& source);

/// Serialises the model to JSON with sorted keys: equal profiles give equal bytes (cache keys).
std::string CanonicalSeccompJson(const SeccompProfile& profile);

/// "SCMP_ACT_ALLOW" etc.
const char* SeccompActionName(SeccompAction action);
const char* SeccompOpName(SeccompOp op);

/// Parses "4.8" / "5.10.3" / a uname release like "6.1.0-18-amd64" into a comparable number
/// (major << 32 | minor << 16 | patch); nullopt if it does not start with major.minor.
std::optional<uint64_t> ParseKernelVersion(std::string_view v);

}  // namespace mini::run
