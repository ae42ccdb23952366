#include "run/launch/namespaces.h"

#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common/error.h"
#include "common/fs.h"

namespace mini::run {
namespace {

int Trampoline(void* arg) {
  auto* fn = static_cast<const std::function<int()>*>(arg);
  _exit((*fn)());
}

}  // namespace

pid_t CloneChild(int flags, const std::function<int()>& fn) {
  // Without CLONE_VM the child gets a copy-on-write copy of this stack; it is unmapped in the
  // parent right after clone, the child keeps its own copy.
  const size_t kStack = 1 << 20;
  void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) ThrowErrno("mmap clone stack");
  pid_t pid = clone(Trampoline, static_cast<char*>(stack) + kStack, flags | SIGCHLD,
                    const_cast<std::function<int()>*>(&fn));
  int err = errno;
  munmap(stack, kStack);
  if (pid < 0) ThrowErrno("clone", err);
  return pid;
}

void BringUpLoopback() {
  UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) ThrowErrno("socket");
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof(ifr));
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) ThrowErrno("get lo flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) ThrowErrno("bring lo up");
}

void SetHostname(const std::string& name) {
  if (sethostname(name.data(), name.size()) != 0) ThrowErrno("sethostname " + name);
}

}  // namespace mini::run
