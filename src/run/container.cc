#include "run/container.h"

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
#include "run/cgroup.h"
#include "run/init_layer.h"

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

nlohmann::json MountsJson(const std::vector<MountRequest>& ms) {
  auto a = nlohmann::json::array();
  for (const auto& m : ms)
    a.push_back({{"Type", m.kind == MountRequest::Kind::kBind ? "bind" : m.kind == MountRequest::Kind::kVolume ? "volume" : "tmpfs"},
                 {"Source", m.source}, {"Destination", m.target}, {"RW", !m.read_only}, {"Options", m.options}});
  return a;
}

std::vector<MountRequest> MountsFromJson(const nlohmann::json& a) {
  std::vector<MountRequest> out;
  if (!a.is_array()) return out;
  for (const auto& j : a) {
    MountRequest m;
    std::string t = j.value("Type", "bind");
    m.kind = t == "volume" ? MountRequest::Kind::kVolume : t == "tmpfs" ? MountRequest::Kind::kTmpfs : MountRequest::Kind::kBind;
    m.source = j.value("Source", "");
    m.target = j.value("Destination", "");
    m.read_only = !j.value("RW", true);
    m.options = j.value("Options", "");
    out.push_back(m);
  }
  return out;
}

template <class T>
void PutOpt(nlohmann::json& j, const char* k, const std::optional<T>& v) {
  if (v) j[k] = *v;
}
template <class T>
void GetOpt(const nlohmann::json& j, const char* k, std::optional<T>* v) {
  if (j.contains(k) && !j[k].is_null()) *v = j[k].get<T>();
}

}  // namespace

nlohmann::json ToJson(const ContainerConfig& c) {
  const RunSpec& s = c.spec;
  nlohmann::json host = {{"AutoRemove", s.remove}, {"NetworkMode", s.network}, {"Privileged", s.privileged},
                         {"ReadonlyRootfs", s.read_only}, {"CapAdd", s.cap_add}, {"CapDrop", s.cap_drop},
                         {"Mounts", MountsJson(s.mounts)}, {"Tty", s.tty}, {"Interactive", s.interactive},
                         {"Detach", s.detach}};
  const Resources& r = s.resources;
  PutOpt(host, "Memory", r.memory);
  PutOpt(host, "MemorySwap", r.memory_swap);
  PutOpt(host, "NanoCpus", r.cpus ? std::optional<int64_t>(static_cast<int64_t>(*r.cpus * 1e9)) : std::nullopt);
  PutOpt(host, "CpuShares", r.cpu_shares);
  PutOpt(host, "CpusetCpus", r.cpuset_cpus);
  PutOpt(host, "CpusetMems", r.cpuset_mems);
  PutOpt(host, "PidsLimit", r.pids_limit);
  nlohmann::json cfg = {{"Hostname", c.hostname}, {"Cmd", c.process.argv}, {"Env", c.process.env},
                        {"WorkingDir", c.process.cwd}, {"User", c.process.user}, {"Args", s.args},
                        {"UserEnv", s.env}};
  PutOpt(cfg, "Entrypoint", s.entrypoint);
  return {{"Id", c.id}, {"Name", "/" + c.name}, {"Created", c.created}, {"Image", c.image.id},
          {"ImageName", c.image.name}, {"Lowers", c.image.lowers}, {"ImageConfig", c.image.config},
          {"Config", cfg}, {"HostConfig", host}};
}

ContainerConfig ConfigFromJson(const nlohmann::json& j) {
  ContainerConfig c;
  c.id = j.at("Id").get<std::string>();
  c.name = j.value("Name", "/");
  if (!c.name.empty() && c.name[0] == '/') c.name.erase(0, 1);
  c.created = j.value("Created", "");
  c.image.id = j.value("Image", "");
  c.image.name = j.value("ImageName", "");
  c.image.lowers = j.value("Lowers", std::vector<std::string>{});
  c.image.config = j.value("ImageConfig", nlohmann::json());
  const auto& cfg = j.at("Config");
  c.hostname = cfg.value("Hostname", "");
  c.process.argv = cfg.value("Cmd", std::vector<std::string>{});
  c.process.env = cfg.value("Env", std::vector<std::string>{});
  c.process.cwd = cfg.value("WorkingDir", "/");
  c.process.user = cfg.value("User", "");
  c.spec.args = cfg.value("Args", std::vector<std::string>{});
  c.spec.env = cfg.value("UserEnv", std::vector<std::string>{});
  GetOpt(cfg, "Entrypoint", &c.spec.entrypoint);
  const auto& h = j.at("HostConfig");
  RunSpec& s = c.spec;
  s.remove = h.value("AutoRemove", false);
  s.network = h.value("NetworkMode", "none");
  s.privileged = h.value("Privileged", false);
  s.read_only = h.value("ReadonlyRootfs", false);
  s.cap_add = h.value("CapAdd", std::vector<std::string>{});
  s.cap_drop = h.value("CapDrop", std::vector<std::string>{});
  s.mounts = MountsFromJson(h.value("Mounts", nlohmann::json::array()));
  s.tty = h.value("Tty", false);
  s.interactive = h.value("Interactive", false);
  s.detach = h.value("Detach", false);
  Resources& r = s.resources;
  GetOpt(h, "Memory", &r.memory);
  GetOpt(h, "MemorySwap", &r.memory_swap);
  if (h.contains("NanoCpus")) r.cpus = h["NanoCpus"].get<int64_t>() / 1e9;
  GetOpt(h, "CpuShares", &r.cpu_shares);
  GetOpt(h, "CpusetCpus", &r.cpuset_cpus);
  GetOpt(h, "CpusetMems", &r.cpuset_mems);
  GetOpt(h, "PidsLimit", &r.pids_limit);
  return c;
}

nlohmann::json ToJson(const ContainerState& s) {
  return {{"Status", s.status}, {"Running", s.status == "running"}, {"Pid", s.pid}, {"PidStart", s.pid_start},
          {"MonitorPid", s.monitor_pid}, {"MonitorStart", s.monitor_start}, {"ExitCode", s.exit_code},
          {"OOMKilled", s.oom_killed}, {"StartedAt", s.started_at}, {"FinishedAt", s.finished_at},
          {"Error", s.error}, {"CgroupPaths", s.cgroup_paths}};
}

ContainerState StateFromJson(const nlohmann::json& j) {
  ContainerState s;
  s.status = j.value("Status", "created");
  s.pid = j.value("Pid", 0);
  s.pid_start = j.value("PidStart", uint64_t{0});
  s.monitor_pid = j.value("MonitorPid", 0);
  s.monitor_start = j.value("MonitorStart", uint64_t{0});
  s.exit_code = j.value("ExitCode", 0);
  s.oom_killed = j.value("OOMKilled", false);
  s.started_at = j.value("StartedAt", "");
  s.finished_at = j.value("FinishedAt", "");
  s.error = j.value("Error", "");
  s.cgroup_paths = j.value("CgroupPaths", std::vector<std::string>{});
  return s;
}

uint64_t ProcessStartTime(pid_t pid) {
  if (pid <= 0) return 0;
  auto s = ReadFileIfExists("/proc/" + std::to_string(pid) + "/stat", 4096);
  if (!s) return 0;
  size_t p = s->rfind(')');  // comm may contain spaces and parentheses
  if (p == std::string::npos) return 0;
  // Fields after comm start at field 3 (state); starttime is field 22.
  size_t pos = p + 2;
  for (int field = 3; field < 22 && pos != std::string::npos; field++) pos = s->find(' ', pos) + 1;
  return pos == 0 ? 0 : std::strtoull(s->c_str() + pos, nullptr, 10);
}

bool ProcessAlive(pid_t pid, uint64_t start) {
  if (pid <= 0) return false;
  uint64_t now = ProcessStartTime(pid);
  if (now == 0 || (start != 0 && now != start)) return false;
  // A zombie is not alive.
  auto s = ReadFileIfExists("/proc/" + std::to_string(pid) + "/stat", 4096);
  size_t p = s ? s->rfind(')') : std::string::npos;
  return p != std::string::npos && p + 2 < s->size() && (*s)[p + 2] != 'Z';
}

std::string NewContainerId() {
  unsigned char b[32];
  if (getrandom(b, sizeof(b), 0) != static_cast<ssize_t>(sizeof(b))) ThrowErrno("getrandom");
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += kHex[c >> 4];
    s += kHex[c & 15];
  }
  return s;
}

namespace {

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

std::vector<std::string> ContainerStore::ListIds() const {
  std::vector<std::string> out;
  DIR* d = opendir(layout_.ContainersDir().c_str());
  if (!d) return out;
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() == 64 && n.find_first_not_of("0123456789abcdef") == std::string::npos) out.push_back(n);
  }
  closedir(d);
  return out;
}

void ContainerStore::Create(ContainerConfig* cfg) {
  if (!cfg->name.empty() && !ValidName(cfg->name))
    throw Error("Invalid container name (" + cfg->name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  StoreLock lock(layout_.ContainersDir());
  std::vector<std::string> names;
  std::vector<std::string> ids = ListIds();
  for (const auto& id : ids) {
    auto j = ReadFileIfExists(Dir(id) + "/config.json", 4 << 20);
    if (!j) continue;
    std::string n = nlohmann::json::parse(*j, nullptr, false).value("Name", "/");
    if (n == "/" + cfg->name)
      throw Error("Conflict. The container name \"/" + cfg->name + "\" is already in use by container \"" + id +
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
  std::string dir = Dir(cfg->id);
  if (mkdir(dir.c_str(), 0700) != 0) ThrowErrno("mkdir " + dir);
  WriteFast(dir + "/config.json", ToJson(*cfg).dump());
  WriteFast(dir + "/state.json", ToJson(ContainerState{}).dump());
}

std::string ContainerStore::Resolve(const std::string& key) const {
  if (key.empty()) throw Error("No such container: ");
  std::vector<std::string> ids = ListIds();
  for (const auto& id : ids)
    if (id == key) return id;
  for (const auto& id : ids) {
    auto j = ReadFileIfExists(Dir(id) + "/config.json", 4 << 20);
    if (j && nlohmann::json::parse(*j, nullptr, false).value("Name", "") == "/" + key) return id;
  }
  std::string match;
  for (const auto& id : ids)
    if (id.compare(0, key.size(), key) == 0) {
      if (!match.empty()) throw Error("multiple containers found with provided prefix: " + key);
      match = id;
    }
  if (match.empty()) throw Error("No such container: " + key);
  return match;
}

ContainerConfig ContainerStore::LoadConfig(const std::string& id) const {
  return WithContext("container " + id.substr(0, 12), [&] {
    auto j = nlohmann::json::parse(ReadFile(Dir(id) + "/config.json", 4 << 20), nullptr, false);
    if (j.is_discarded()) throw Error("corrupt config.json");
    return ConfigFromJson(j);
  });
}

ContainerState ContainerStore::LoadState(const std::string& id) const {
  auto text = ReadFileIfExists(Dir(id) + "/state.json", 1 << 20);
  if (!text) throw Error("No such container: " + id);
  auto j = nlohmann::json::parse(*text, nullptr, false);
  ContainerState s = j.is_discarded() ? ContainerState{} : StateFromJson(j);
  if (s.status == "running" && !ProcessAlive(s.monitor_pid, s.monitor_start)) {
    // The monitor died without recording the end; the container died with it (PDEATHSIG).
    s.status = "exited";
    if (!ProcessAlive(s.pid, s.pid_start)) s.exit_code = 137;
    s.error = "monitor exited unexpectedly";
  }
  return s;
}

void ContainerStore::SaveState(const std::string& id, const ContainerState& s) const {
  WriteFast(Dir(id) + "/state.json", ToJson(s).dump());
}

void ContainerStore::Remove(const std::string& id) const {
  StoreLock lock(layout_.ContainersDir());
  auto text = ReadFileIfExists(Dir(id) + "/state.json", 1 << 20);
  if (text) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_discarded()) RemoveCgroupPaths(StateFromJson(j).cgroup_paths);
  }
  RemoveContainerLayers(layout_, id);
  RemoveTree(Dir(id));
}

}  // namespace mini::run
