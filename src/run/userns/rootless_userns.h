#pragma once
/// Rootless mode's user namespace (podman/buildah "unshare"): an ordinary user's mini moves
/// itself into a new user + mount namespace where it is root, container uid 0 -> the user's
/// uid and 1..65536 -> the user's /etc/subuid range (gids likewise), so all of the store and
/// runner code runs unchanged (chown of unpacked files works within the mapped range). The maps
/// are written by the setuid helpers newuidmap/newgidmap (Debian `uidmap`).
/// `mini exec` instead joins the user namespace of the running container.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "run/userns/userns.h"

namespace mini::run {

/// The first range for `user` (by name or by decimal uid) in the text of /etc/subuid or
/// /etc/subgid ("name:start:count" lines; malformed lines are skipped). Pure.
std::optional<SubIdRange> FindSubIdRange(const std::string& text, const std::string& user, unsigned long id);

/// The id map mini asks for: "0 <host id> 1" then, with a range, "1 <range start> <min(count,
/// 65536)>". Each entry is three numbers, as newuidmap/newgidmap take them after the pid. Pure.
std::vector<unsigned long> RootlessIdMap(unsigned long host_id, const std::optional<SubIdRange>& range);

/// When mini was started by a non-root user (geteuid() != 0) and has not done it yet, moves the
/// calling process (must be single-threaded) into a new user and mount namespace with the maps
/// above and makes it uid/gid 0 there. Without a subuid (subgid) entry only 0 -> the user is
/// mapped, with a warning on stderr (once per user: a marker in the runtime dir). A no-op for
/// root or when already inside. Throws Error.
void EnterRootlessUserNamespace();

/// Runs `fn` in a child process that has entered a fresh rootless user namespace, so that this
/// process stays outside (e.g. to go on signalling containers of other namespaces as their
/// owner); rethrows the child's error message as Error. Just runs `fn` unless rootless and
/// outside.
void RunInRootlessUserNamespace(const std::function<void()>& fn);

/// True if setgroups(2) is disabled in this user namespace (/proc/self/setgroups is "deny", as
/// in a rootless namespace mapped without sub-ids): the container keeps the groups it has.
bool SetgroupsDenied();

/// Joins the user namespace of process `pid` (a rootless container's first process; the user
/// owns that namespace so it has every capability in it). A no-op unless rootless and still in
/// the initial user namespace. Throws Error.
void JoinUserNamespaceOf(pid_t pid);

}  // namespace mini::run
