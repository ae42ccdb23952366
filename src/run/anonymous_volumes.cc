// Anonymous volumes: named at create time, removed with their container by rm -v and --rm.
#include "run/anonymous_volumes.h"

#include <algorithm>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/path.h"
#include "run/volumes.h"

namespace mini::run {

std::vector<std::string> UncoveredImageVolumes(const nlohmann::json& image_config, const std::vector<MountRequest>& mounts) {
  std::vector<std::string> out;
  if (!image_config.is_object() || !image_config.contains("Volumes") || !image_config["Volumes"].is_object()) return out;
  for (const auto& [path, _] : image_config["Volumes"].items()) {
    if (path.empty() || path[0] != '/') continue;
    std::string target = CleanAbsPath(path);
    if (target == "/") continue;
    bool covered = std::any_of(mounts.begin(), mounts.end(), [&](const MountRequest& m) { return m.target == target; });
    if (!covered && std::find(out.begin(), out.end(), target) == out.end()) out.push_back(target);
  }
  std::sort(out.begin(), out.end());
  return out;
}

AnonymousVolumes::AnonymousVolumes(const Layout& layout, const nlohmann::json& image_config, RunSpec* spec) : layout_(layout) {
  if (!spec->build)
    for (const auto& target : UncoveredImageVolumes(image_config, spec->mounts)) {
      MountRequest m;
      m.kind = MountRequest::Kind::kVolume;
      m.target = target;
      spec->mounts.push_back(m);
    }
  try {
    for (auto& m : spec->mounts) {
      if (m.kind != MountRequest::Kind::kVolume) continue;
      if (m.source.empty()) {
        m.source = NewRandomId();
        auto labels = m.volume_labels;
        labels[kAnonymousVolumeLabel] = "";
        CreateVolume(layout, m.source, labels, m.volume_options);
        made_.push_back(m.source);
      } else if ((!m.volume_options.empty() || !m.volume_labels.empty()) && !VolumeExists(layout, m.source)) {
        // --mount's volume-opt= and volume-label= apply when the mount creates the volume.
        CreateVolume(layout, m.source, m.volume_labels, m.volume_options);
        made_.push_back(m.source);
      }
    }
  } catch (...) {
    Undo();
    throw;
  }
}

void AnonymousVolumes::Undo() {
  for (const auto& name : made_) {
    try {
      RemoveVolume(layout_, name);
    } catch (const Error& e) {
      Warn("remove volume " + name + ": " + e.what());
    }
  }
  made_.clear();
}

void RemoveAnonymousVolumes(const Layout& layout, const ContainerConfig& c) {
  for (const auto& m : c.spec.mounts) {
    if (m.kind != MountRequest::Kind::kVolume || m.source.empty()) continue;
    try {
      VolumeInfo v = InspectVolume(layout, m.source);
      if (!v.labels.count(kAnonymousVolumeLabel)) continue;
      RemoveVolume(layout, m.source);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kNotFound) continue;
      Warn("remove volume " + m.source + ": " + e.what());
    }
  }
}

}  // namespace mini::run
