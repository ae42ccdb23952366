#include "run/volumes.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "run/container.h"
#include "run/volume_mounts.h"
#include "store/event_log.h"
#include "store/store_lock.h"

namespace mini::run {

using nlohmann::json;

namespace {

std::string Dir(const Layout& layout, const std::string& name) { return layout.VolumesDir() + "/" + name; }

/// A volume's labels.json or options.json: string keys to string values; none when absent.
std::map<std::string, std::string> ReadStringMap(const Layout& layout, const std::string& name, const char* file) {
  std::map<std::string, std::string> out;
  auto s = ReadFileIfExists(Dir(layout, name) + "/" + file, 1 << 20);
  if (!s) return out;
  json j = json::parse(*s, nullptr, false);
  if (j.is_object())
    for (const auto& [k, val] : j.items())
      if (val.is_string()) out[k] = val.get<std::string>();
  return out;
}

VolumeInfo Load(const Layout& layout, const std::string& name) {
  VolumeInfo v;
  v.name = name;
  v.mountpoint = Dir(layout, name) + "/_data";
  struct stat st;
  if (stat(v.mountpoint.c_str(), &st) != 0) throw Error(ErrorKind::kNotFound, "get " + name + ": no such volume");
  v.created = FormatRfc3339Nano(st.st_mtim);
  v.labels = ReadStringMap(layout, name, "labels.json");
  v.options = ReadStringMap(layout, name, "options.json");
  return v;
}

}  // namespace

json VolumeJson(const VolumeInfo& v) {
  return {{"CreatedAt", v.created}, {"Driver", "local"}, {"Labels", v.labels.empty() ? json(nullptr) : json(v.labels)},
          {"Mountpoint", v.mountpoint}, {"Name", v.name},
          {"Options", v.options.empty() ? json(nullptr) : json(v.options)}, {"Scope", "local"}};
}

void CheckVolumeName(const std::string& name) {
  bool ok = name.size() >= 2 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  if (!ok)
    throw Error(ErrorKind::kInvalidInput, "create " + name + ": \"" + name +
                                              "\" includes invalid characters for a local volume name, only "
                                              "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed");
}

void CheckVolumeOptions(const std::map<std::string, std::string>& options) {
  for (const auto& [k, v] : options)
    if (k != "type" && k != "device" && k != "o") throw Error(ErrorKind::kInvalidInput, "invalid option key: \"" + k + "\"");
}

std::map<std::string, std::string> VolumeOptions(const Layout& layout, const std::string& name) {
  return ReadStringMap(layout, name, "options.json");
}

bool VolumeExists(const Layout& layout, const std::string& name) { return IsDirectory(Dir(layout, name) + "/_data"); }

VolumeInfo CreateVolume(const Layout& layout, const std::string& name, const std::map<std::string, std::string>& labels,
                        const std::map<std::string, std::string>& options) {
  CheckVolumeName(name);
  CheckVolumeOptions(options);
  layout.Ensure();
  StoreLock lock(layout);
  std::string dir = Dir(layout, name);
  MakeDirs(layout.VolumesDir(), 0700);
  bool fresh = !IsDirectory(dir + "/_data");
  if (fresh) {
    MakeDirs(dir, 0755);
    if (!labels.empty()) WriteFileAtomic(dir + "/labels.json", json(labels).dump());
    if (!options.empty()) WriteFileAtomic(dir + "/options.json", json(options).dump());
    MakeDirs(dir + "/_data", 0755);
    RecordEvent(layout, {"volume", "create", name, {{"driver", "local"}}});
  }
  return Load(layout, name);
}

std::vector<VolumeInfo> ListVolumes(const Layout& layout) {
  std::vector<VolumeInfo> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(layout.VolumesDir(), ec)) {
    std::string name = e.path().filename().string();
    if (name.starts_with(".")) continue;
    try {
      out.push_back(Load(layout, name));
    } catch (const Error&) {
      // half made or being removed
    }
  }
  std::sort(out.begin(), out.end(), [](const VolumeInfo& a, const VolumeInfo& b) { return a.name < b.name; });
  return out;
}

VolumeInfo InspectVolume(const Layout& layout, const std::string& name) { return Load(layout, name); }

std::map<std::string, std::vector<std::string>> VolumeUsers(const Layout& layout) {
  std::map<std::string, std::vector<std::string>> users;
  ContainerStore store(layout);
  for (const auto& id : store.ListIds()) {
    try {
      ContainerConfig c = store.LoadConfig(id);
      std::set<std::string> named;
      for (const auto& m : c.spec.mounts)
        if (m.kind == MountRequest::Kind::kVolume && named.insert(m.source).second) users[m.source].push_back(id);
    } catch (const Error&) {
    }
  }
  return users;
}

namespace {

/// Under the store lock: moves the volume out of sight first, so that no reader sees half of it.
uint64_t RemoveLocked(const Layout& layout, const std::string& name) {
  std::string dir = Dir(layout, name);
  // A driver mount left by a monitor that was killed: never delete through it (an nfs export).
  UnmountStaleVolume(dir + "/_data");
  uint64_t size = TreeSize(dir + "/_data");
  std::string gone = layout.VolumesDir() + "/.removing-" + name;
  if (rename(dir.c_str(), gone.c_str()) != 0) ThrowErrno("remove volume " + name);
  RemoveTree(gone);
  RecordEvent(layout, {"volume", "destroy", name, {{"driver", "local"}}});
  return size;
}

}  // namespace

void RemoveVolume(const Layout& layout, const std::string& name) {
  StoreLock lock(layout);
  Load(layout, name);
  auto all = VolumeUsers(layout);
  if (auto it = all.find(name); it != all.end()) {
    std::string list;
    for (const auto& u : it->second) list += (list.empty() ? "" : ", ") + u;
    throw Error(ErrorKind::kConflict, "remove " + name + ": volume is in use - [" + list + "]");
  }
  RemoveLocked(layout, name);
}

std::vector<std::string> PruneVolumes(const Layout& layout, uint64_t* reclaimed) {
  StoreLock lock(layout);
  std::vector<std::string> removed;
  auto users = VolumeUsers(layout);
  for (const auto& v : ListVolumes(layout)) {
    if (users.count(v.name)) continue;
    *reclaimed += RemoveLocked(layout, v.name);
    removed.push_back(v.name);
  }
  return removed;
}

}  // namespace mini::run
