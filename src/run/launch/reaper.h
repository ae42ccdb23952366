#pragma once
/// `--init`: the container's first process stays in the container as PID 1 (mini's own code,
/// no binary is mounted in: it is the process image that set the container up), forks the
/// user's command, forwards the signals it gets to it, reaps every zombie, and exits with
/// the command's status (tini's semantics, Docker's `--init`). It runs with the privileges,
/// seccomp filter and user already applied to the command.
#include <signal.h>

namespace mini::run {

/// Called right before the command is exec'd. Returns in the forked child (with `mask`
/// restored, in a process group of its own, in the foreground of a tty), which then execs;
/// the parent never returns: it is the reaper and _exits with the child's status.
void BecomeInitReaper(const sigset_t& mask);

}  // namespace mini::run
