#pragma once
/// The container lifecycle without a daemon: create, run attached (this process is the
/// monitor), run detached (a double-forked, setsid'ed monitor keeps the log and records the
/// exit), stop, kill, wait, remove.
#include <string>

#include "run/container.h"
#include "run/launch/launcher.h"
#include "store/layout.h"

namespace mini::run {

/// New container from an image: its lease (store/lease.h), id, name, hostname, process
/// (Docker's rules), init layer and upper dirs, config.json and state.json. `start_now`: the
/// caller starts it right away (`run`, a build step), so a --rm or build container whose
/// caller dies before that is collected. Throws Error (and leaves nothing behind).
ContainerConfig CreateContainer(const Layout& layout, const ImageInfo& image, const RunSpec& spec,
                                const std::string& name, bool start_now = true);

/// Runs it in the foreground: a monitor process in a session of its own runs the container,
/// copies a tty, records the end (removes it when --rm); this process forwards signals to it
/// and returns the container's status (Docker's rules). The monitor outlives this process: a
/// kill -9 of `mini run` leaves the container running to its end (and removed then, --rm), as
/// a container survives its `docker run` client with dockerd, or podman's with conmon.
/// Throws StartError when it could not start (state records the error).
int RunAttached(const Layout& layout, const ContainerConfig& c, const IoSpec& io);

/// The same with this process as the monitor: the container dies with it (a build step).
int RunInProcess(const Layout& layout, const ContainerConfig& c, const IoSpec& io);

/// Collects what dead processes left: --rm and build-step containers whose monitor (or, not yet
/// started, their owner) is gone are removed with their layers, cgroups and lease; and
/// containers of a store from before leases get theirs. Cheap when there is nothing to do.
void CollectContainers(const Layout& layout);

/// Starts a monitor process (double fork + setsid; output to containers/<id>/log) and returns
/// once the command runs. Throws StartError if it could not start.
void RunDetached(const Layout& layout, const ContainerConfig& c);

/// `mini start`: runs an existing (created or exited) container again, with its stored config
/// and layers, through the same monitor path as run: attached (this process is the monitor,
/// `*exit_code` gets the container's status) or detached. A running container is left alone.
/// Throws StartError when it cannot start.
void StartContainer(const Layout& layout, const std::string& id, bool attach, bool interactive, int* exit_code);

/// The stop signal (--stop-signal, the image's StopSignal, else SIGTERM), then SIGKILL after
/// `timeout_s` (< 0: --stop-timeout, else 10); returns when the monitor has recorded the exit.
/// Ends a restart policy (run/supervisor.h), also for a container that is restarting.
void StopContainer(const Layout& layout, const std::string& id, int timeout_s);
/// Sends `sig` to the container's init (and ends a restart policy: a restarting container is
/// only marked); throws Error if it is not running.
void KillContainer(const Layout& layout, const std::string& id, int sig);
/// Blocks until the container is not running (with a restart policy: until its run ends);
/// returns its exit code.
int WaitContainer(const Layout& layout, const std::string& id);
/// Removes a container; a running one only with `force` (killed first). `volumes` (`rm -v`):
/// its anonymous volumes too (run/anonymous_volumes.h).
void RemoveContainer(const Layout& layout, const std::string& id, bool force, bool volumes = false);
/// `pause` / `unpause` through the cgroup freezer (run/cgroup/freezer.h). Throws
/// Error(kConflict) with Docker's words: "Container <id> is not running", "... is already
/// paused", "... is not paused".
void PauseContainer(const Layout& layout, const std::string& id);
void UnpauseContainer(const Layout& layout, const std::string& id);
/// True while a running container is frozen (the second form with the state already read).
bool IsPaused(const Layout& layout, const std::string& id);
bool IsPaused(const std::string& id, const ContainerState& st);
/// `restart`: stop (if running; SIGTERM, SIGKILL after `timeout_s`), then start detached.
void RestartContainer(const Layout& layout, const std::string& id, int timeout_s);

}  // namespace mini::run
