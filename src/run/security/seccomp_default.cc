#include "run/security/seccomp_default.h"

#include <cerrno>
#include <initializer_list>

#include "common/error.h"
#include "common/fs.h"

namespace mini::run {
namespace {

/// Syscalls every container may make. Names a kernel or libseccomp does not know are skipped at
/// compile time, so 32-bit names (chown32, _llseek, ...) sit here beside the 64-bit ones.
constexpr const char* kAllowed[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
    "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
    "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
    "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv",
    "futex_wake", "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid",
    "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
    "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid", "getpriority",
    "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
    "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt", "get_thread_area",
    "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "inotify_add_watch",
    "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
    "io_getevents", "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set",
    "io_setup", "io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ipc",
    "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
    "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
    "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
    "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
    "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr",
    "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
    "mq_timedsend_time64", "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd",
    "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat",
    "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe",
    "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
    "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease", "pselect6",
    "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink",
    "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
    "remap_file_pages", "removexattr", "rename", "renameat", "renameat2", "restart_syscall",
    "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo",
    "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
    "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr", "sched_getparam",
    "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
    "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select", "semctl",
    "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64",
    "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid",
    "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
    "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid",
    "setreuid32", "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area",
    "set_tid_address", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget",
    "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall",
    "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink",
    "symlinkat", "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time",
    "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
    "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
    "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
    "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime", "utimensat",
    "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid", "waitpid", "write",
    "writev",
};

/// Namespace flags a process without CAP_SYS_ADMIN may not pass to clone:
/// NEWNS | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWCGROUP = 0x7e020000.
constexpr uint64_t kCloneNamespaceFlags = 0x7e020000;
constexpr uint64_t kAfVsock = 40;

SeccompRule Allow(std::initializer_list<const char*> names) {
  SeccompRule r;
  for (const char* n : names) r.names.emplace_back(n);
  r.action = SeccompAction::kAllow;
  return r;
}

/// Allowed only when the container holds capability `cap`.
SeccompRule AllowWithCap(const char* cap, std::initializer_list<const char*> names) {
  SeccompRule r = Allow(names);
  r.includes.caps = {cap};
  return r;
}

SeccompRule AllowOnArches(std::initializer_list<const char*> arches,
                          std::initializer_list<const char*> names) {
  SeccompRule r = Allow(names);
  for (const char* a : arches) r.includes.arches.emplace_back(a);
  return r;
}

SeccompRule AllowIfArg(const char* name, unsigned index, uint64_t value, SeccompOp op,
                       uint64_t value_two = 0) {
  SeccompRule r = Allow({name});
  r.args.push_back(SeccompArg{index, value, value_two, op});
  return r;
}

SeccompProfile BuildDefault() {
  SeccompProfile p;
  p.default_action = SeccompAction::kErrno;
  p.default_errno_ret = EPERM;
  p.arch_map = {
      {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
      {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
      {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
      {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
      {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
      {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
      {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
      {"SCMP_ARCH_RISCV64", {}},
  };
  auto& s = p.syscalls;

  SeccompRule base;
  base.action = SeccompAction::kAllow;
  for (const char* n : kAllowed) base.names.emplace_back(n);
  s.push_back(std::move(base));

  // ptrace is harmless without CAP_SYS_PTRACE since 4.8 closed the seccomp bypass through it.
  SeccompRule ptrace = Allow({"process_vm_readv", "process_vm_writev", "ptrace"});
  ptrace.includes.min_kernel = "4.8";
  s.push_back(std::move(ptrace));

  // Every socket family but AF_VSOCK, which would reach the host's hypervisor sockets.
  s.push_back(AllowIfArg("socket", 0, kAfVsock, SeccompOp::kNotEqual));

  // personality: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query.
  for (uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL})
    s.push_back(AllowIfArg("personality", 0, persona, SeccompOp::kEqualTo));

  s.push_back(AllowOnArches({"ppc64le"}, {"sync_file_range2", "swapcontext"}));
  s.push_back(AllowOnArches({"arm", "arm64"}, {"arm_fadvise64_64", "arm_sync_file_range",
                                                "sync_file_range2", "breakpoint", "cacheflush",
                                                "set_tls"}));
  s.push_back(AllowOnArches({"amd64", "x32"}, {"arch_prctl"}));
  s.push_back(AllowOnArches({"amd64", "x32", "x86"}, {"modify_ldt"}));
  s.push_back(AllowOnArches({"s390", "s390x"},
                            {"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"}));
  s.push_back(AllowOnArches({"riscv64"}, {"riscv_flush_icache"}));

  s.push_back(AllowWithCap("CAP_DAC_READ_SEARCH", {"open_by_handle_at"}));
  s.push_back(AllowWithCap(
      "CAP_SYS_ADMIN",
      {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
       "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
       "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount",
       "umount2", "unshare"}));

  // Without CAP_SYS_ADMIN: clone only without namespace flags (arg 0; arg 1 on s390)...
  SeccompRule clone = AllowIfArg("clone", 0, kCloneNamespaceFlags, SeccompOp::kMaskedEqual, 0);
  clone.excludes.caps = {"CAP_SYS_ADMIN"};
  clone.excludes.arches = {"s390", "s390x"};
  s.push_back(std::move(clone));
  SeccompRule clone_s390 = AllowIfArg("clone", 1, kCloneNamespaceFlags, SeccompOp::kMaskedEqual, 0);
  clone_s390.includes.arches = {"s390", "s390x"};
  clone_s390.excludes.caps = {"CAP_SYS_ADMIN"};
  s.push_back(std::move(clone_s390));
  // ...and clone3, whose flags live in memory seccomp cannot read, says ENOSYS: glibc then falls
  // back to clone, which the rule above checks. EPERM would make glibc give up instead.
  SeccompRule clone3;
  clone3.names = {"clone3"};
  clone3.action = SeccompAction::kErrno;
  clone3.errno_ret = ENOSYS;
  clone3.excludes.caps = {"CAP_SYS_ADMIN"};
  s.push_back(std::move(clone3));

  s.push_back(AllowWithCap("CAP_SYS_BOOT", {"reboot"}));
  s.push_back(AllowWithCap("CAP_SYS_CHROOT", {"chroot"}));
  s.push_back(AllowWithCap("CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}));
  s.push_back(AllowWithCap("CAP_SYS_PACCT", {"acct"}));
  s.push_back(AllowWithCap("CAP_SYS_PTRACE", {"kcmp", "pidfd_getfd", "process_madvise",
                                              "process_vm_readv", "process_vm_writev", "ptrace"}));
  s.push_back(AllowWithCap("CAP_SYS_RAWIO", {"iopl", "ioperm"}));
  s.push_back(AllowWithCap("CAP_SYS_TIME",
                           {"settimeofday", "stime", "clock_settime", "clock_settime64"}));
  s.push_back(AllowWithCap("CAP_SYS_TTY_CONFIG", {"vhangup"}));
  s.push_back(AllowWithCap("CAP_SYS_NICE",
                           {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}));
  s.push_back(AllowWithCap("CAP_SYSLOG", {"syslog"}));
  s.push_back(AllowWithCap("CAP_BPF", {"bpf"}));
  s.push_back(AllowWithCap("CAP_PERFMON", {"perf_event_open"}));
  return p;
}

}  // namespace

const SeccompProfile& DefaultSeccompProfile() {
  static const SeccompProfile profile = BuildDefault();
  return profile;
}

std::optional<SeccompProfile> SeccompProfileFromOption(const std::string& value) {
  if (value == "unconfined") return std::nullopt;
  if (value.empty() || value == "default") return DefaultSeccompProfile();
  const std::string source = "seccomp profile " + value;
  std::optional<std::string> text =
      WithContext(source, [&] { return ReadFileIfExists(value, 4 << 20); });
  if (!text) throw Error(source + ": no such file");
  std::optional<SeccompProfile> p = ParseSeccompProfile(*text, source);
  return p;  // nullopt: a profile with neither defaultAction nor syscalls means unconfined
}

}  // namespace mini::run
