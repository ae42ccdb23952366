#pragma once
/// Containers with a restart policy after a reboot (no monitor survives one): `mini start
/// --all-restarting`, run by a systemd unit or an @reboot line (README).
#include <functional>
#include <string>

#include "store/layout.h"

namespace mini::run {

/// `mini start --all-restarting` (for boot): starts, detached, every container whose policy
/// is always, or unless-stopped and not stopped by the user, that is not running. Calls
/// `started` with each name, `failed` with a name and its error; goes on past failures.
void StartAllRestarting(const Layout& layout, const std::function<void(const std::string&)>& started,
                        const std::function<void(const std::string&, const std::string&)>& failed);

}  // namespace mini::run
