#include "net/rootless_net.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "common/rootless.h"

namespace mini::net {

std::string RootlessNetworkMode(const std::string& requested) {
  if (requested == "none" || requested == "host") return requested;
  if (requested != "" && requested != "bridge" && requested != "default" && requested != kSlirpNetwork)
    return requested;
  const char* why = nullptr;
  if (access(kSlirpBinary, X_OK) != 0)
    why = "slirp4netns is not installed";
  else if (access("/dev/net/tun", R_OK | W_OK) != 0)
    why = "/dev/net/tun is not accessible";  // slirp4netns needs a tap device
  if (!why) return kSlirpNetwork;
  // Asked for by name: every time; the default network: once per user.
  if (requested == kSlirpNetwork || RootlessFirstTime("noticed-no-network"))
    std::fprintf(stderr, "mini: notice: rootless: %s, the container gets no network (--network none)\n", why);
  return "none";
}

void SlirpNetwork::Start(pid_t target) {
  UniqueFd ready_r, ready_w, exit_r;
  Pipe(&ready_r, &ready_w);
  Pipe(&exit_r, &exit_w_);
  std::vector<std::string> args = {kSlirpBinary,  "--configure", "--mtu=65520", "--disable-host-loopback",
                                   "--ready-fd",  std::to_string(ready_w.get()), "--exit-fd",
                                   std::to_string(exit_r.get()), std::to_string(target), "tap0"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  bool debug = DebugEnabled();  // --debug: slirp4netns's stderr stays ours
  pid_t pid = fork();
  if (pid < 0) ThrowErrno("fork slirp4netns");
  if (pid == 0) {
    // The one program run for a rootless network: a user namespace cannot get a host-side
    // network any other way (no veth to the host), and slirp4netns has no library form. Exec'd
    // by absolute path with an argv, no shell. Only its two pipe ends stay open; its chatter
    // goes to /dev/null (the container's log is on our stdout) unless --debug.
    fcntl(ready_w.get(), F_SETFD, 0);
    fcntl(exit_r.get(), F_SETFD, 0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      if (!debug) dup2(null, 2);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    char* envp[] = {nullptr};
    execve(kSlirpBinary, argv.data(), envp);
    _exit(127);
  }
  pid_ = pid;
  ready_w.reset();
  exit_r.reset();
  struct pollfd p = {ready_r.get(), POLLIN, 0};
  int r;
  do r = poll(&p, 1, 10000);
  while (r < 0 && errno == EINTR);
  char c = 0;
  if (r <= 0 || read(ready_r.get(), &c, 1) != 1 || c != '1')
    throw Error("rootless network: slirp4netns did not come up");
}

SlirpNetwork::~SlirpNetwork() {
  if (pid_ <= 0) return;
  exit_w_.reset();  // slirp4netns exits when its exit fd is closed
  int status;
  for (int i = 0; i < 200; i++) {  // up to 2 s, then kill it
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) return;
    usleep(10000);
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
}

}  // namespace mini::net
