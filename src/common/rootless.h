#pragma once
/// Rootless mode: mini started by an ordinary user. Owns the predicate the other modules check
/// (IsRootless), the host ids of that user (which stay known once mini runs as root inside its
/// user namespace), and the per-user default directories (store, runtime state).
#include <sys/types.h>

#include <optional>
#include <string>

namespace mini {

/// True when mini was started by a non-root user, or runs in a user namespace other than the
/// initial one (then it cannot mknod, set trusted.* xattrs, write host cgroups, ...). Decided
/// once per process (the first call; main calls it before anything else) and inherited by forks.
bool IsRootless();

/// The host uid/gid of the user mini acts for: getuid()/getgid() before entering the user
/// namespace, the host id that 0 maps to afterwards (from /proc/self/{uid,gid}_map).
uid_t HostUid();
gid_t HostGid();

/// The host id that `inside` maps to in one /proc/<pid>/{uid,gid}_map text; nullopt if unmapped.
/// Pure.
std::optional<unsigned long> MapToHost(const std::string& map_text, unsigned long inside);

/// The default store root: /var/lib/mini for root, else $XDG_DATA_HOME/mini, else
/// $HOME/.local/share/mini (the home from the password database when $HOME is unset).
std::string DefaultStoreRoot();

/// Pure form of DefaultStoreRoot for tests: `xdg_data_home` and `home` may be empty.
std::string DefaultStoreRootFor(bool rootless, const std::string& xdg_data_home, const std::string& home);

/// The base of the runtime state directories in rootless mode: $XDG_RUNTIME_DIR/mini when
/// $XDG_RUNTIME_DIR is an absolute directory owned by the user, else /dev/shm/mini-run-<uid>
/// (when /dev/shm is a tmpfs) or /tmp/mini-run-<uid>.
/// Creates it (mode 0700) and checks that it is a real directory owned by the user with no
/// access for others, so another user cannot plant it first. Throws Error.
std::string RootlessRuntimeBase();

/// True the first time `marker` is asked for in this user's runtime dir (a marker file there),
/// so a rootless warning comes once, not on every command.
bool RootlessFirstTime(const std::string& marker);

}  // namespace mini
