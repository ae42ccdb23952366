#include "run/supervisor.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "common/log.h"
#include "run/container_events.h"
#include "run/health_checker.h"
#include "store/event_log.h"

namespace mini::run {
namespace {

std::string MarkerPath(const Layout& layout, const std::string& id) { return layout.ContainerDir(id) + "/manually-stopped"; }

}  // namespace

RestartPolicy RestartPolicyOf(const ContainerConfig& c) {
  if (c.spec.build || c.spec.remove) return {};
  try {
    return ParseRestartPolicy(c.spec.supervise.restart);
  } catch (const Error&) {
    return {};  // validated at create time; an old or edited config runs once
  }
}

bool HasRestartPolicy(const ContainerConfig& c) { return RestartPolicyOf(c).name != RestartPolicy::Name::kNo; }

Supervisor::Supervisor(const Layout& layout, const ContainerConfig& c) : layout_(layout), c_(c), backoff_(RestartPolicyOf(c)) {
  if (c.spec.build) return;
  try {
    health_ = HealthConfigFor(c.spec.supervise, c.image.config);
  } catch (const Error& e) {
    Warn("container " + c.id.substr(0, 12) + ": health check ignored: " + e.what());
  }
  if (HasRestartPolicy(c)) ClearManuallyStopped(layout, c.id);
}

Supervisor::~Supervisor() = default;

void Supervisor::Started(const ContainerState& st) {
  if (!health_) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  (void)st;
  if (!checker_) checker_ = std::make_unique<HealthChecker>();
  try {
    checker_->Start(layout_, c_, *health_, static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec);
  } catch (const Error& e) {
    Warn("container " + c_.id.substr(0, 12) + ": health checker: " + e.what());
  }
}

bool Supervisor::WillRestart(ContainerState* st, int64_t ran_ms) {
  if (checker_) checker_->Stop();
  if (!backoff_.Next(st->exit_code, ran_ms, ManuallyStopped(layout_, c_.id))) return false;
  st->status = ContainerStatus::kRestarting;
  st->restart_count = backoff_.restarts();
  st->pid = 0;
  st->pid_start = 0;
  ContainerStore(layout_).SaveState(c_.id, *st);
  RecordContainerEvent(layout_, c_, "die", {{"exitCode", std::to_string(st->exit_code)}});  // each run's end
  return true;
}

bool Supervisor::WaitBackoff() {
  // The marker is looked at every 50 ms: `mini stop` waits for this monitor to end.
  for (int64_t left = backoff_.delay_ms(); left > 0; left -= 50) {
    if (ManuallyStopped(layout_, c_.id)) return false;
    usleep(static_cast<useconds_t>(std::min<int64_t>(left, 50) * 1000));
  }
  return !ManuallyStopped(layout_, c_.id) && IsDirectory(layout_.ContainerDir(c_.id));
}

void MarkManuallyStopped(const Layout& layout, const ContainerConfig& c) {
  if (!HasRestartPolicy(c) || !IsDirectory(layout.ContainerDir(c.id))) return;
  WriteFileAtomic(MarkerPath(layout, c.id), "", 0600);
}

void ClearManuallyStopped(const Layout& layout, const std::string& id) { unlink(MarkerPath(layout, id).c_str()); }

bool ManuallyStopped(const Layout& layout, const std::string& id) { return PathExists(MarkerPath(layout, id)); }

void RedirectStdioToLog(const std::string& log) {
  UniqueFd null(open("/dev/null", O_RDWR | O_CLOEXEC));
  UniqueFd lf(open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (null) dup2(null.get(), 0);
  if (lf) {
    dup2(lf.get(), 1);
    dup2(lf.get(), 2);
  }
}

int64_t MonotonicNowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

int WaitForRunEnd(const Layout& layout, const std::string& id, const ContainerState& st) {
  // Docker's wait returns when the container goes "restarting" too.
  ContainerStore store(layout);
  for (;;) {
    ContainerState now = store.LoadState(id);
    bool live = now.status == ContainerStatus::kRunning || now.status == ContainerStatus::kRestarting;
    if (!live || (now.status == ContainerStatus::kRestarting && now.finished_at != st.finished_at)) return now.exit_code;
    usleep(50000);
  }
}

std::string HealthStatusOf(const Layout& layout, const ContainerConfig& c, const ContainerState& st) {
  if (st.status != ContainerStatus::kRunning) return "";
  std::optional<HealthConfig> h;
  try {
    h = HealthConfigFor(c.spec.supervise, c.image.config);
  } catch (const Error&) {
  }
  if (!h) return "";
  std::optional<HealthState> s = LoadHealth(layout, c.id);
  return s ? s->status : "starting";
}

}  // namespace mini::run
