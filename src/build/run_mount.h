#pragma once
/// RUN --mount as BuildKit's Dockerfile frontend reads it (instructions/commands_runmount.go and
/// dockerfile2llb/convert_runmount.go): the CSV spec, its defaults (target against the workdir,
/// cache ids, secret targets, ssh sockets), the text a mount adds to the step's cache key, and
/// `mini build`'s --secret / --ssh / --allow values (docker buildx's rules). Pure; unit-tested.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mini::build {

enum class MountType { kBind, kCache, kTmpfs, kSecret, kSsh };
enum class CacheSharing { kShared, kPrivate, kLocked };

const char* ToString(MountType t);
const char* ToString(CacheSharing s);

struct RunMount {
  MountType type = MountType::kBind;
  std::string from;    ///< bind/cache: a stage name or index, an image; "" = the context (bind) / empty (cache)
  std::string source;  ///< path inside `from` (bind, cache); the secret id (secret, as BuildKit)
  std::string target;  ///< absolute after ResolveRunMount; may be "" for secrets exposed as env only
  std::string id;      ///< cache id, secret id, ssh id
  CacheSharing sharing = CacheSharing::kShared;
  bool sharing_set = false;
  bool read_only = true;  ///< BuildKit: ro by default but for cache and tmpfs
  bool required = false;  ///< secret, ssh
  int64_t size = 0;       ///< tmpfs: bytes, 0 = the kernel's default
  std::optional<std::string> env;  ///< secret: expose as this environment variable
  std::optional<uint32_t> mode, uid, gid;
};

/// `expand` turns one value into its expanded form (the stage's ARG/ENV); nullptr keeps values as
/// written. Throws Error with BuildKit's messages ("unexpected key 'x' in 'x=1'", "invalid value
/// for ro: maybe", "mode not allowed for \"bind\" type mounts", ...).
using ExpandFn = std::function<std::string(const std::string&)>;
RunMount ParseRunMount(const std::string& spec, const ExpandFn& expand);

/// ParseRunMount then ResolveRunMount of each of a RUN's --mount values (ssh mounts numbered in
/// order).
std::vector<RunMount> ParseRunMounts(const std::vector<std::string>& specs, const ExpandFn& expand,
                                     const std::string& workdir);

/// The from= values of a RUN's bind and cache mounts, as written (for the stages a build needs);
/// specs that do not parse are skipped here (the step reports them).
std::vector<std::string> RunMountFroms(const std::vector<std::string>& specs);

/// Applies dockerfile2llb's defaults: a relative target is joined to `workdir`; a cache id
/// defaults to the cleaned target as written; a secret's id is its source, else the target's base
/// name, and without env= its target defaults to /run/secrets/<id>; an ssh id defaults to
/// "default" and its target to /run/buildkit/ssh_agent.<ssh_index>. Throws Error ("invalid mount
/// target \"/\"", "ssh does not support source", "one of source, target required").
void ResolveRunMount(RunMount* m, const std::string& workdir, int ssh_index);

/// What the mount adds to the step's cache key: type, target, ids and options; never a secret's
/// value, never a cache mount's content (content of bind sources is keyed by the builder).
std::string RunMountKeyText(const RunMount& m);

/// `--secret id=ID[,src=FILE|,source=FILE][,env=VAR][,type=file|env]` (buildx): with neither src
/// nor env, the environment variable named ID if it is set, else the file named ID.
struct SecretSource {
  std::string id;
  std::string file;  ///< read from this file (at most 500 KB, as BuildKit)
  std::string env;   ///< or from this environment variable
};
SecretSource ParseSecretFlag(const std::string& spec, const std::function<bool(const std::string&)>& env_set);

/// `--ssh default|ID[=PATH[,PATH...]]`: PATH empty means $SSH_AUTH_SOCK (for any id, as buildx).
struct SshSource {
  std::string id;
  std::vector<std::string> paths;
};
SshSource ParseSshFlag(const std::string& spec);

/// `--allow` entitlements; throws Error("invalid entitlement: x") for others.
struct Entitlements {
  bool security_insecure = false;
  bool network_host = false;
};
Entitlements ParseAllow(const std::vector<std::string>& allow);

/// Splits one CSV record (Go's encoding/csv: commas, double-quoted fields with "" escapes).
/// Throws Error for a bare quote inside a field or an unterminated quote.
std::vector<std::string> SplitCsv(const std::string& s);

}  // namespace mini::build
