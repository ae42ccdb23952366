#include "run/cgroup/freezer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "common/strings.h"
#include "run/cgroup/cgroup.h"

namespace mini::run {

namespace {

constexpr const char kV1Root[] = "/sys/fs/cgroup/freezer";

/// The v2 directory among `paths` (the one with cgroup.freeze), or "".
std::string V2Dir(const std::vector<std::string>& paths) {
  for (const auto& p : paths)
    if (PathExists(p + "/cgroup.freeze")) return p;
  return "";
}

std::set<std::string> Procs(const std::string& dir) {
  std::set<std::string> out;
  auto text = ReadFileIfExists(dir + "/cgroup.procs");
  if (!text) return out;
  for (const auto& l : Split(*text, '\n'))
    if (!TrimSpace(l).empty()) out.insert(TrimSpace(l));
  return out;
}

/// Polls `done` for up to ~5 s (freezing waits for every task to reach a safe point).
void WaitUntil(const std::function<bool()>& done, const std::string& what) {
  for (int i = 0; i < 500; i++) {
    if (done()) return;
    usleep(10000);
  }
  throw Error("timed out waiting for " + what);
}

}  // namespace

std::string V1FreezerDir(const std::string& id) { return std::string(kV1Root) + "/mini/" + id; }

bool IsFrozen(const std::string& id, const std::vector<std::string>& paths) {
  if (std::string v2 = V2Dir(paths); !v2.empty()) {
    auto ev = ReadFileIfExists(v2 + "/cgroup.events");
    return ev && ev->find("frozen 1") != std::string::npos;
  }
  auto st = ReadFileIfExists(V1FreezerDir(id) + "/freezer.state");
  return st && TrimSpace(*st) == "FROZEN";
}

void SetFrozen(const std::string& id, const std::vector<std::string>& paths, bool frozen) {
  if (std::string v2 = V2Dir(paths); !v2.empty()) {
    WriteCgroupFile(v2, "cgroup.freeze", frozen ? "1" : "0");
    WaitUntil([&] { return IsFrozen(id, paths) == frozen; }, std::string(frozen ? "the freeze of " : "the thaw of ") + v2);
    return;
  }
  if (!IsDirectory(kV1Root)) throw Error("pause needs the freezer cgroup controller, which is not mounted at " + std::string(kV1Root));
  std::string dir = V1FreezerDir(id);
  if (!frozen) {
    if (IsDirectory(dir)) WriteCgroupFile(dir, "freezer.state", "THAWED");
    return;
  }
  // Any directory of the container lists its processes (each controller holds them all).
  std::string source;
  for (const auto& p : paths)
    if (PathExists(p + "/cgroup.procs")) source = p;
  if (source.empty()) throw Error("container " + id.substr(0, 12) + " has no cgroup to find its processes in");
  std::string parent = std::string(kV1Root) + "/mini";
  if (mkdir(parent.c_str(), 0755) != 0 && errno != EEXIST) ThrowErrno("mkdir " + parent);
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) ThrowErrno("mkdir " + dir);
  // Move until stable: a process forked before its parent moved may still be outside.
  for (int round = 0; round < 100; round++) {
    std::set<std::string> inside = Procs(dir), missing;
    for (const auto& p : Procs(source))
      if (!inside.count(p)) missing.insert(p);
    if (missing.empty()) break;
    for (const auto& p : missing) {
      try {
        WriteCgroupFile(dir, "cgroup.procs", p);
      } catch (const Error&) {
        // exited meanwhile
      }
    }
  }
  WriteCgroupFile(dir, "freezer.state", "FROZEN");
  WaitUntil([&] { return IsFrozen(id, paths); }, "the freeze of " + dir);
}

}  // namespace mini::run
