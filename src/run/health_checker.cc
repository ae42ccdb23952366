#include "run/health_checker.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/fs.h"
#include "common/human.h"
#include "run/cgroup/freezer.h"
#include "run/container.h"
#include "run/launch/exec.h"
#include "run/runtime_dir.h"
#include "store/event_log.h"

namespace mini::run {
namespace {

constexpr size_t kMaxOutput = 4096;

int64_t NowNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string HealthPath(const Layout& layout, const std::string& id) {
  return RuntimeRoot(layout) + "/containers/" + id + "/health.json";
}

void SaveHealth(const Layout& layout, const std::string& id, const HealthState& s) {
  std::string dir = RuntimeRoot(layout) + "/containers/" + id;
  if (!IsDirectory(dir)) return;  // removed meanwhile
  WriteFileAtomic(HealthPath(layout, id), HealthStateJson(s).dump(), 0600);
}

/// Closes every fd but 0-2 and `keep` (the checker must not hold the monitor's pipes or locks).
void CloseFdsExcept(int keep) {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return;
  std::vector<int> fds;
  while (struct dirent* e = readdir(d)) {
    int fd = atoi(e->d_name);
    if (fd > 2 && fd != keep && fd != dirfd(d)) fds.push_back(fd);
  }
  closedir(d);
  for (int fd : fds) close(fd);
}

void SleepNs(int64_t ns) {
  struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

[[noreturn]] void CheckerMain(const Layout& layout, const ContainerConfig& c, const HealthConfig& h, int64_t started_ns) {
  HealthState state;
  std::vector<std::string> argv = HealthCommand(h, c.image.config);
  for (;;) {
    bool in_start = state.status == "starting" && NowNs(CLOCK_REALTIME) - started_ns < h.StartPeriodNs();
    SleepNs(in_start && h.start_interval > 0 ? h.StartIntervalNs() : h.IntervalNs());
    // Docker stops probing a paused container (its monitor runs only while running and not
    // paused): no failed exec counted against it.
    try {
      if (IsFrozen(c.id, ContainerStore(layout).LoadState(c.id).cgroup_paths)) continue;
    } catch (const std::exception&) {
    }
    int64_t begin = NowNs(CLOCK_REALTIME);
    HealthResult r = RunHealthCheck(layout, c.id, argv, h.TimeoutNs());
    try {
      if (AddHealthResult(&state, r, begin - started_ns, h))
        RecordEvent(layout, {.type = "container", .action = "health_status: " + state.status, .id = c.id,
                             .attributes = {{"name", c.name}, {"image", c.image.name}}});
      SaveHealth(layout, c.id, state);
    } catch (const std::exception&) {
    }
  }
}

}  // namespace

std::string FormatGoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-ns) : static_cast<uint64_t>(ns);
  auto frac = [](uint64_t v, uint64_t unit) {
    std::string s = std::to_string(v / unit);
    uint64_t rest = v % unit;
    if (rest) {
      std::string f = std::to_string(unit + rest).substr(1);
      while (!f.empty() && f.back() == '0') f.pop_back();
      s += "." + f;
    }
    return s;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + frac(u, 1000) + "\xc2\xb5s";
  if (u < 1000000000) return sign + frac(u, 1000000) + "ms";
  uint64_t secs = u / 1000000000, h = secs / 3600, m = secs / 60 % 60;
  std::string s = frac(u % 60000000000, 1000000000) + "s";
  if (h) return sign + std::to_string(h) + "h" + std::to_string(m) + "m" + s;
  if (secs >= 60) return sign + std::to_string(m) + "m" + s;
  return sign + s;
}

HealthResult RunHealthCheck(const Layout& layout, const std::string& id, const std::vector<std::string>& argv,
                            int64_t timeout_ns) {
  HealthResult r;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  r.start = FormatRfc3339Nano(ts);
  UniqueFd out_r, out_w, res_r, res_w;
  Pipe(&out_r, &out_w);
  Pipe(&res_r, &res_w);
  pid_t helper = fork();
  if (helper < 0) ThrowErrno("fork health check");
  if (helper == 0) {
    // Its own process group, killed as a whole on timeout (the check is in it too).
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    out_r.reset();
    res_r.reset();
    std::string msg;
    try {
      ExecSpec spec;
      spec.argv = argv;
      IoSpec io;
      io.out = io.err = out_w.get();
      msg = "R" + std::to_string(ExecInContainer(layout, id, spec, io));
    } catch (const std::exception& e) {
      msg = std::string("E") + e.what();
    }
    (void)!write(res_w.get(), msg.data(), msg.size());
    _exit(0);
  }
  setpgid(helper, helper);  // both sides, so the group exists before a kill
  out_w.reset();
  res_w.reset();
  int64_t deadline = NowNs(CLOCK_MONOTONIC) + timeout_ns;
  bool timed_out = false;
  std::string output;
  for (;;) {
    int64_t left = deadline - NowNs(CLOCK_MONOTONIC);
    if (left <= 0) {
      timed_out = true;
      break;
    }
    struct pollfd p = {out_r.get(), POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(std::min<int64_t>(left / 1000000 + 1, 1000)));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    char buf[4096];
    ssize_t got = read(out_r.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: the check and its helper closed their ends
    if (output.size() < kMaxOutput) output.append(buf, std::min(static_cast<size_t>(got), kMaxOutput - output.size()));
  }
  if (timed_out) kill(-helper, SIGKILL);
  while (waitpid(helper, nullptr, 0) < 0 && errno == EINTR) {
  }
  std::string res = timed_out ? "" : ReadAllFd(res_r.get());
  clock_gettime(CLOCK_REALTIME, &ts);
  r.end = FormatRfc3339Nano(ts);
  if (timed_out) {
    r.exit_code = -1;
    r.output = "Health check exceeded timeout (" + FormatGoDuration(timeout_ns) + ")";
  } else if (res.size() > 1 && res[0] == 'R') {
    r.exit_code = atoi(res.c_str() + 1);
    r.output = output;
  } else {
    r.exit_code = -1;
    r.output = res.size() > 1 ? res.substr(1) : "health check did not report a result";
  }
  return r;
}

void HealthChecker::Start(const Layout& layout, const ContainerConfig& c, const HealthConfig& h, int64_t started_ns) {
  Stop();
  SaveHealth(layout, c.id, HealthState{});
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) ThrowErrno("fork health checker");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) _exit(0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    CloseFdsExcept(-1);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) dup2(null, 0);
    try {
      CheckerMain(layout, c, h, started_ns);
    } catch (...) {
    }
    _exit(0);
  }
  pid_ = pid;
}

void HealthChecker::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::optional<HealthState> LoadHealth(const Layout& layout, const std::string& id) {
  auto text = ReadFileIfExists(HealthPath(layout, id), 1 << 20);
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return HealthStateFromJson(j);
}

}  // namespace mini::run
