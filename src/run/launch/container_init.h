#pragma once
/// The container's first process, between clone and exec: waits for the parent, sets up the
/// rootfs, hostname, loopback, user, privileges, then execs the command. Failures go back to
/// the parent over a close-on-exec pipe as one message: "S<text>" (setup failed, 125) or
/// "X<errno> <text>" (exec failed, 126/127); EOF with nothing means exec succeeded.
#include <signal.h>

#include <string>

#include "net/network_endpoint.h"
#include "run/cgroup/cgroup.h"
#include "run/launch/join_namespaces.h"
#include "run/process_spec.h"
#include "run/rootfs/rootfs.h"
#include "run/security/capabilities.h"
#include "run/security/seccomp_filter.h"

namespace mini::run {

struct ChildArgs {
  RootfsConfig rootfs;
  std::string hostname;
  bool new_net = true;
  std::optional<net::ContainerNetConfig> net;  ///< eth0 to configure (bridge networks)
  ProcessSpec process;
  CapSet caps = 0;
  int last_cap = 40;
  /// Read end: one byte when the parent is done with the id maps, then (with `net`) a second
  /// one when eth0 is in the netns, read just before configuring it, so the parent makes the
  /// veth while the child sets up its root. EOF = abort.
  int sync_fd = -1;
  int err_fd = -1;              ///< write end, O_CLOEXEC
  int stdio[3] = {-1, -1, -1};  ///< fds to put on 0 1 2 (ignored with a tty)
  int tty_slave = -1;           ///< the pty slave for -t, made the controlling terminal
  sigset_t mask;                ///< signal mask to restore before exec
  Cgroup* cgroup = nullptr;     ///< joined first thing (the parent created it)
  const SeccompProgram* seccomp = nullptr;  ///< compiled by the parent before clone
  bool init = false;            ///< --init: stay as PID 1, the reaper (launch/reaper.h)
  const ChildView* view = nullptr;          ///< joined namespaces, ulimits, domain name, groups
};

/// What the container's first process and `mini exec` have in common, once they are inside
/// the container's namespaces (and "/" is its root).
struct ExecParams {
  const ProcessSpec& process;
  CapSet caps;
  int last_cap;
  const sigset_t& mask;  ///< signal mask to restore
  bool create_cwd;       ///< mkdir -p the working directory (first process) or require it (exec)
  const SeccompProgram* seccomp = nullptr;  ///< loaded right before execve (none = unconfined)
  bool init = false;     ///< --init: fork right before execve, the parent staying as the reaper
  const std::vector<std::string>* group_add = nullptr;  ///< --group-add (names from /etc/group)
};

/// Resolves the user in the image's /etc/passwd and /etc/group, sets HOME, enters the working
/// directory (by fd, inside the root), applies ApplyPrivileges, marks fds close-on-exec, resets
/// signals, loads the seccomp filter (after no_new_privs, as late as possible) and execs with
/// the container's PATH. Throws Error on a setup failure; returns the
/// errno of a failed exec.
int ExecProcess(const ExecParams& p);

/// The pty slave (setsid + controlling terminal) or the given fds on 0 1 2. Throws Error.
void SetupStdio(int tty_slave, const int stdio[3]);

/// Writes one failure message ("S<text>" or "X<errno> <argv0>") to the parent's pipe.
void Report(int fd, const std::string& msg);

/// Runs in the cloned child; returns the exit status for _exit when it fails.
int ChildMain(const ChildArgs& a);

/// Parses a message from ChildMain: the exit code mini should report and the error text.
void ParseChildError(const std::string& msg, const std::string& argv0, int* code, std::string* text);

}  // namespace mini::run
