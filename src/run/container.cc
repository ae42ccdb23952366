#include "run/container.h"

#include <sys/mount.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cctype>
#include <cstring>
#include <dirent.h>
#include <ctime>

#include "common/error.h"
#include "common/fs.h"
#include "run/cgroup/cgroup.h"
#include "run/cgroup/cgroup_systemd.h"
#include "run/cgroup/freezer.h"
#include "run/rootfs/init_layer.h"
#include "run/runtime_dir.h"
#include "store/lease.h"

namespace mini::run {
namespace {

/// Runtime state needs no fsync (it describes processes that do not survive a reboot anyway):
/// temp file + rename is enough for readers to never see a torn file.
void WriteFast(const std::string& path, const std::string& data) {
  std::string tmp = path + ".tmp" + std::to_string(getpid());
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) ThrowErrno("create " + tmp);
  WriteAll(fd.get(), data.data(), data.size(), tmp);
  fd.reset();
  if (rename(tmp.c_str(), path.c_str()) != 0) ThrowErrno("rename " + tmp);
}

/// flock on containers/.lock for name allocation and removal.
class StoreLock {
 public:
  explicit StoreLock(const std::string& dir) : fd_(open((dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (!fd_) ThrowErrno("open " + dir + "/.lock");
    while (flock(fd_.get(), LOCK_EX) != 0)
      if (errno != EINTR) ThrowErrno("lock " + dir);
  }

 private:
  UniqueFd fd_;
};

std::string GenerateName() {
  static const char* kAdj[] = {"brave", "calm", "eager", "fervent", "gentle", "happy", "jolly", "keen",
                               "lucid", "modest", "nifty", "quirky", "serene", "tender", "vivid", "witty"};
  static const char* kNoun[] = {"babbage", "curie", "darwin", "euler", "fermi", "galileo", "hopper", "knuth",
                                "lovelace", "noether", "pascal", "ritchie", "shannon", "thompson", "turing", "wozniak"};
  unsigned char r[3];
  if (getrandom(r, sizeof(r), 0) != 3) ThrowErrno("getrandom");
  return std::string(kAdj[r[0] % 16]) + "_" + kNoun[r[1] % 16] + std::to_string(r[2] % 100);
}

bool ValidName(const std::string& n) {
  if (n.empty() || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

}  // namespace

std::string ContainerLeaseName(const std::string& id) { return "container-" + id; }

LeaseResources ContainerLeaseResources(const std::string& id, const std::string& image_id, const std::string& top_layer,
                                       bool build_step) {
  LeaseResources held;
  if (auto t = Digest::TryParse(top_layer)) held.layers.insert(*t);
  if (auto img = Digest::TryParse(image_id); img && !build_step) held.images.insert(*img);
  held.dirs = {id, id + "-init"};
  return held;
}

ContainerStore::ContainerStore(const Layout& layout) : layout_(layout), runtime_(RuntimeRoot(layout)) {
  EnsureRuntimeRoot(layout);
}

std::string ContainerStore::RuntimeDir(const std::string& id) const { return runtime_ + "/containers/" + id; }

bool ContainerStore::Ephemeral(const std::string& id) const {
  return PathExists(RuntimeDir(id) + "/config.json");
}

std::string ContainerStore::ConfigPath(const std::string& id) const {
  std::string rt = RuntimeDir(id) + "/config.json";
  return PathExists(rt) ? rt : Dir(id) + "/config.json";
}

std::string ContainerStore::LogPath(const std::string& id) const {
  return (IsDirectory(Dir(id)) ? Dir(id) : RuntimeDir(id)) + "/" + id + "-json.log";
}

std::string ContainerStore::LegacyLogPath(const std::string& id) const {
  return (IsDirectory(Dir(id)) ? Dir(id) : RuntimeDir(id)) + "/log";
}

std::string ContainerStore::UpperDir(const std::string& id) const {
  return Ephemeral(id) ? EphemeralLayersFor(layout_, id, RuntimeDir(id)).upper : layout_.LayerDiff(id);
}

namespace {

void AddIds(const std::string& dir, std::vector<std::string>* out) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() == 64 && n.find_first_not_of("0123456789abcdef") == std::string::npos) out->push_back(n);
  }
  closedir(d);
}

}  // namespace

std::vector<std::string> ContainerStore::ListIds() const {
  std::vector<std::string> out;
  AddIds(layout_.ContainersDir(), &out);
  AddIds(runtime_ + "/containers", &out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void ContainerStore::ForEach(
    const std::function<void(const std::string& id, const ContainerConfig& c, const ContainerState& st)>& fn) const {
  for (const auto& id : ListIds()) {
    ContainerConfig c;
    ContainerState st;
    try {
      c = LoadConfig(id);
      st = LoadState(id);
    } catch (const Error&) {
      continue;  // being created or removed
    }
    fn(id, c, st);
  }
}

void ContainerStore::Create(ContainerConfig* cfg, bool owned) {
  if (!cfg->name.empty() && !ValidName(cfg->name))
    throw Error(ErrorKind::kInvalidInput, "Invalid container name (" + cfg->name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  StoreLock lock(layout_.ContainersDir());
  std::vector<std::string> names;
  std::vector<std::string> ids = ListIds();
  for (const auto& id : ids) {
    auto j = ReadFileIfExists(ConfigPath(id), 4 << 20);
    if (!j) continue;
    std::string n = nlohmann::json::parse(*j, nullptr, false).value("Name", "/");
    if (n == "/" + cfg->name)
      throw Error(ErrorKind::kConflict, "Conflict. The container name \"/" + cfg->name + "\" is already in use by container \"" + id +
                  "\". You have to remove (or rename) that container to be able to reuse that name.");
    names.push_back(n);
  }
  if (cfg->name.empty()) {
    for (int i = 0; i < 100 && cfg->name.empty(); i++) {
      std::string n = GenerateName();
      if (std::find(names.begin(), names.end(), "/" + n) == names.end()) cfg->name = n;
    }
    if (cfg->name.empty()) cfg->name = "mini_" + cfg->id.substr(0, 12);
  }
  // --rm containers live on tmpfs only; the others keep config.json (and their final state
  // and log) in the store, and their current state on tmpfs.
  std::string rt = RuntimeDir(cfg->id);
  if (mkdir(rt.c_str(), 0700) != 0 && errno != EEXIST) ThrowErrno("mkdir " + rt);
  std::string dir = cfg->spec.remove ? rt : Dir(cfg->id);
  if (!cfg->spec.remove && mkdir(dir.c_str(), 0700) != 0) ThrowErrno("mkdir " + dir);
  WriteFast(dir + "/config.json", ToJson(*cfg).dump());
  ContainerState st;
  if (owned) {
    st.owner_pid = getpid();
    st.owner_start = ProcessStartTime(st.owner_pid);
  }
  WriteFast(rt + "/state.json", ToJson(st).dump());
}

void ContainerStore::Rename(const std::string& id, const std::string& name) {
  if (!ValidName(name))
    throw Error(ErrorKind::kInvalidInput, "Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  StoreLock lock(layout_.ContainersDir());
  ContainerConfig c = LoadConfig(id);
  if (c.name == name)
    throw Error(ErrorKind::kConflict, "Renaming a container with the same name as its current name");
  for (const auto& other : ListIds()) {
    auto j = ReadFileIfExists(ConfigPath(other), 4 << 20);
    if (j && nlohmann::json::parse(*j, nullptr, false).value("Name", "") == "/" + name)
      throw Error(ErrorKind::kConflict, "Error when allocating new name: Conflict. The container name \"/" + name +
                                            "\" is already in use by container \"" + other +
                                            "\". You have to remove (or rename) that container to be able to reuse that name.");
  }
  c.name = name;
  SaveConfig(c);
}

void ContainerStore::SaveConfig(const ContainerConfig& c) const {
  WriteFast(ConfigPath(c.id), ToJson(c).dump());
}

std::string ContainerStore::Resolve(const std::string& key) const {
  if (key.empty()) throw Error(ErrorKind::kNotFound, "No such container: ");
  std::vector<std::string> ids = ListIds();
  for (const auto& id : ids)
    if (id == key) return id;
  for (const auto& id : ids) {
    auto j = ReadFileIfExists(ConfigPath(id), 4 << 20);
    if (j && nlohmann::json::parse(*j, nullptr, false).value("Name", "") == "/" + key) return id;
  }
  std::string match;
  for (const auto& id : ids)
    if (id.compare(0, key.size(), key) == 0) {
      if (!match.empty()) throw Error(ErrorKind::kInvalidInput, "multiple containers found with provided prefix: " + key);
      match = id;
    }
  if (match.empty()) throw Error(ErrorKind::kNotFound, "No such container: " + key);
  return match;
}

ContainerConfig ContainerStore::LoadConfig(const std::string& id) const {
  return WithContext("container " + id.substr(0, 12), [&] {
    auto j = nlohmann::json::parse(ReadFile(ConfigPath(id), 4 << 20), nullptr, false);
    if (j.is_discarded()) throw Error("corrupt config.json");
    return ConfigFromJson(j);
  });
}

ContainerState ContainerStore::LoadState(const std::string& id) const {
  auto text = ReadFileIfExists(RuntimeDir(id) + "/state.json", 1 << 20);
  // After a reboot only the store has the container: its last recorded end, or "created".
  if (!text) text = ReadFileIfExists(Dir(id) + "/state.json", 1 << 20);
  if (!text && !PathExists(ConfigPath(id))) throw Error(ErrorKind::kNotFound, "No such container: " + id);
  auto j = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  ContainerState s = j.is_object() ? StateFromJson(j) : ContainerState{};
  bool live = s.status == ContainerStatus::kRunning || s.status == ContainerStatus::kRestarting;
  if (live && !ProcessAlive(s.monitor_pid, s.monitor_start)) {
    // The monitor died without recording the end; the container died with it (PDEATHSIG).
    s.status = ContainerStatus::kExited;
    if (!ProcessAlive(s.pid, s.pid_start)) s.exit_code = 137;
    s.error = "monitor exited unexpectedly";
  }
  return s;
}

void ContainerStore::SaveState(const std::string& id, const ContainerState& s) const {
  std::string text = ToJson(s).dump();
  std::string rt = RuntimeDir(id);
  if (mkdir(rt.c_str(), 0700) != 0 && errno != EEXIST) ThrowErrno("mkdir " + rt);
  WriteFast(rt + "/state.json", text);
  // A container's end is kept in the store too, so that it survives a reboot.
  bool live = s.status == ContainerStatus::kRunning || s.status == ContainerStatus::kRestarting;
  if (!live && IsDirectory(Dir(id))) WriteFast(Dir(id) + "/state.json", text);
}

void ContainerStore::Remove(const std::string& id) const {
  StoreLock lock(layout_.ContainersDir());
  for (const std::string& dir : {RuntimeDir(id), Dir(id)}) {
    auto text = ReadFileIfExists(dir + "/state.json", 1 << 20);
    if (!text) continue;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object()) RemoveCgroupPaths(StateFromJson(j).cgroup_paths);
  }
  RemoveCgroupPaths({V1FreezerDir(id)});  // made by a pause on cgroup v1 (run/cgroup/freezer.h)
  StopSystemdScope(id);                   // the systemd driver's scope, if still there
  RemoveContainerLayers(layout_, id);
  umount2((RuntimeDir(id) + "/shm").c_str(), MNT_DETACH);  // --ipc shareable (a killed monitor's)
  RemoveTree(RuntimeDir(id));
  RemoveTree(Dir(id));
  mini::Lease::RemovePersistent(layout_, ContainerLeaseName(id));  // last: what it held may go now
}

}  // namespace mini::run
