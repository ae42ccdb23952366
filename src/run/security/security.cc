#include "run/security/security.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "common/error.h"
#include "common/fs.h"
#include "run/userns/rootless_userns.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace mini::run {

int LastCap() {
  auto s = ReadFileIfExists("/proc/sys/kernel/cap_last_cap");
  if (!s || s->empty()) return CAP_CHECKPOINT_RESTORE;
  return std::atoi(s->c_str());
}

void ApplyPrivileges(const ExecUser& user, CapSet caps, int last_cap) {
  // Never ask for more than mini itself has (e.g. --privileged on a host with a reduced
  // bounding set).
  {
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct cur[2] = {};
    if (syscall(SYS_capget, &hdr, cur) != 0) ThrowErrno("capget");
    caps &= (CapSet{cur[1].permitted} << 32) | cur[0].permitted;
  }
  for (int c = 0; c <= last_cap; c++)
    if (!(caps & (CapSet{1} << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno != EINVAL)
      ThrowErrno("drop capability " + std::to_string(c) + " from the bounding set");

  if (setgroups(user.sgids.size(), user.sgids.data()) != 0 && !(errno == EPERM && SetgroupsDenied()))
    ThrowErrno("setgroups");
  if (setresgid(user.gid, user.gid, user.gid) != 0) ThrowErrno("setgid " + std::to_string(user.gid));
  if (setresuid(user.uid, user.uid, user.uid) != 0) ThrowErrno("setuid " + std::to_string(user.uid));

  // Root keeps exactly `caps`; a non-root user lost its permitted set in setuid (like Docker
  // since 20.10, no effective capabilities for non-root users).
  if (user.uid == 0) {
    __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    data[0].effective = data[0].permitted = static_cast<uint32_t>(caps);
    data[1].effective = data[1].permitted = static_cast<uint32_t>(caps >> 32);
    if (syscall(SYS_capset, &hdr, data) != 0) ThrowErrno("capset");
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
    ThrowErrno("clear ambient capabilities");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ThrowErrno("set no_new_privs");
}

void CloseExtraFdsOnExec() {
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  DIR* d = opendir("/proc/self/fd");
  if (!d) ThrowErrno("open /proc/self/fd");
  int self = dirfd(d);
  while (struct dirent* e = readdir(d)) {
    int fd = std::atoi(e->d_name);
    if (fd >= 3 && fd != self) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  closedir(d);
}

}  // namespace mini::run
