#include "run/userns/rootless_userns.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/rootless.h"
#include "run/launch/supervise.h"

namespace mini::run {
namespace {

constexpr unsigned long kMaxSubIds = 65536;

/// Forks a child that waits for one byte on `go` (this process has unshared its user namespace;
/// EOF on the pipe, whose write end is `go_w`, means give up), then execs one of the setuid map
/// helpers on `target`. This is the one exec of an outside program in the user namespace
/// set-up, and it cannot be avoided: only the setuid newuidmap/newgidmap may map ids other than
/// the user's own (the kernel requires CAP_SETUID/CAP_SETGID in the parent namespace for that).
/// They are exec'd by absolute path with an argv (no shell, no PATH search, empty environment),
/// with ids we computed ourselves. The child stays in our namespace (util-linux
/// `unshare --map-users` works the same way).
pid_t StartMapHelper(const char* path, pid_t target, const std::vector<unsigned long>& map, int go, int go_w) {
  std::vector<std::string> args = {path, std::to_string(target)};
  for (unsigned long v : map) args.push_back(std::to_string(v));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) ThrowErrno("fork");
  if (pid == 0) {
    close(go_w);  // so that our parent closing it means EOF here
    char c;
    ssize_t n;
    do n = read(go, &c, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1) _exit(1);
    char* envp[] = {nullptr};
    execve(path, argv.data(), envp);
    std::fprintf(stderr, "mini: error: exec %s: %s\n", path, std::strerror(errno));
    _exit(127);
  }
  return pid;
}

/// Waits for a helper; true if it exited with 0.
bool HelperSucceeded(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string MapText(const std::vector<unsigned long>& map) {
  std::string s;
  for (size_t i = 0; i + 2 < map.size(); i += 3)
    s += std::to_string(map[i]) + " " + std::to_string(map[i + 1]) + " " + std::to_string(map[i + 2]) + "\n";
  return s;
}

void WriteProcFile(const std::string& path, const std::string& text) {
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    ThrowErrno("write " + path);
}

bool entered = false;

}  // namespace

std::optional<SubIdRange> FindSubIdRange(const std::string& text, const std::string& user, unsigned long id) {
  const std::string id_text = std::to_string(id);
  for (const SubIdEntry& e : ParseSubIdFile(text))
    if (e.range.count > 0 && (e.name == id_text || (!user.empty() && e.name == user))) return e.range;
  return std::nullopt;
}

std::vector<unsigned long> RootlessIdMap(unsigned long host_id, const std::optional<SubIdRange>& range) {
  std::vector<unsigned long> m = {0, host_id, 1};
  if (range) m.insert(m.end(), {1, range->start, std::min<unsigned long>(range->count, kMaxSubIds)});
  return m;
}

void EnterRootlessUserNamespace() {
  if (entered || geteuid() == 0) return;
  if (!IsRootless()) return;  // fixes the host ids before we change them
  uid_t uid = getuid();
  gid_t gid = getgid();
  std::string name;
  if (struct passwd* pw = getpwuid(uid)) name = pw->pw_name;
  auto subuid = FindSubIdRange(ReadFileIfExists("/etc/subuid", 1 << 20).value_or(""), name, uid);
  auto subgid = FindSubIdRange(ReadFileIfExists("/etc/subgid", 1 << 20).value_or(""), name, uid);
  if ((!subuid || !subgid) && RootlessFirstTime("warned-no-subids"))
    Warn(std::string("no ") + (!subuid ? "/etc/subuid" : "/etc/subgid") + " entry for user " +
         (name.empty() ? std::to_string(uid) : name) + ": only uid " + std::to_string(uid) + " and gid " +
         std::to_string(gid) + " are mapped (to root); images with files owned by other users will fail");
  std::vector<unsigned long> umap = RootlessIdMap(uid, subuid), gmap = RootlessIdMap(gid, subgid);
  bool helpers = subuid && subgid;

  pid_t self = getpid();
  UniqueFd go_r, go_w;
  Pipe(&go_r, &go_w);
  pid_t uhelper = -1, ghelper = -1;
  if (helpers) {
    // Both run at once; each takes one byte from the pipe once we have unshared.
    uhelper = StartMapHelper("/usr/bin/newuidmap", self, umap, go_r.get(), go_w.get());
    ghelper = StartMapHelper("/usr/bin/newgidmap", self, gmap, go_r.get(), go_w.get());
    go_r.reset();
  }
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
    int err = errno;
    go_w.reset();  // EOF: the helpers exit without mapping anything
    if (helpers) {
      HelperSucceeded(uhelper);
      HelperSucceeded(ghelper);
    }
    ThrowErrno("rootless: create a user namespace", err);
  }
  if (helpers) {
    bool sent = write(go_w.get(), "11", 2) == 2;
    go_w.reset();
    bool ok = HelperSucceeded(uhelper);
    ok = HelperSucceeded(ghelper) && ok && sent;
    if (!ok)
      throw Error("rootless: newuidmap/newgidmap could not map the subordinate ids of user " + name +
                  " (is the `uidmap` package installed, and are /etc/subuid and /etc/subgid right?)");
  } else {
    // Only our own ids: the kernel lets us write these maps ourselves (setgroups denied first).
    WriteProcFile("/proc/self/setgroups", "deny");
    WriteProcFile("/proc/self/uid_map", MapText(umap));
    WriteProcFile("/proc/self/gid_map", MapText(gmap));
  }
  if (setresgid(0, 0, 0) != 0) ThrowErrno("rootless: setresgid 0");
  if (setresuid(0, 0, 0) != 0) ThrowErrno("rootless: setresuid 0");
  if (helpers) (void)setgroups(0, nullptr);  // drop the host's supplementary groups (unmapped)
  entered = true;
}

void RunInRootlessUserNamespace(const std::function<void()>& fn) {
  if (!IsRootless() || geteuid() == 0) {
    fn();
    return;
  }
  UniqueFd err_r, err_w;
  Pipe(&err_r, &err_w);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) ThrowErrno("fork");
  if (pid == 0) {
    err_r.reset();
    try {
      EnterRootlessUserNamespace();
      fn();
    } catch (const std::exception& e) {
      std::string m = e.what();
      (void)!write(err_w.get(), m.data(), m.size());
      _exit(1);
    }
    _exit(0);
  }
  err_w.reset();
  std::string msg = ReadAllFd(err_r.get());
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) ThrowErrno("wait");
  if (!msg.empty()) throw Error(msg);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error("rootless: helper process failed");
}

bool SetgroupsDenied() {
  auto s = ReadFileIfExists("/proc/self/setgroups", 64);
  return s && s->rfind("deny", 0) == 0;
}

void JoinUserNamespaceOf(pid_t pid) {
  if (!IsRootless() || geteuid() == 0) return;
  std::string path = "/proc/" + std::to_string(pid) + "/ns/user";
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) ThrowErrno("open " + path);
  if (setns(fd.get(), CLONE_NEWUSER) != 0) ThrowErrno("join the container's user namespace");
  entered = true;
}

}  // namespace mini::run
