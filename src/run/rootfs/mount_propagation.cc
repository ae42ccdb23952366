#include "run/rootfs/mount_propagation.h"

#include <sys/mount.h>

#include <climits>
#include <cstdlib>
#include <sstream>

#include "common/error.h"
#include "common/fs.h"

namespace mini::run {
namespace {

bool Slave(const std::string& p) { return p == "slave" || p == "rslave"; }
bool Shared(const std::string& p) { return p == "shared" || p == "rshared"; }

/// mountinfo's octal escapes (\040 for a space) undone.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out.push_back(static_cast<char>(std::strtol(s.substr(i + 1, 3).c_str(), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

/// The mount point holding `path` (longest prefix in mountinfo, the last one mounted wins) and
/// its optional fields ("shared:3 master:1").
void MountOf(const std::string& path, std::string* point, std::string* fields) {
  std::istringstream in(ReadFile("/proc/self/mountinfo", 4 << 20));
  std::string line;
  size_t best = 0;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, dev, root, mp, opts, field, optional;
    f >> id >> parent >> dev >> root >> mp >> opts;
    while (f >> field && field != "-") optional += (optional.empty() ? "" : " ") + field;
    mp = Unescape(mp);
    bool under = mp == "/" || path == mp || (path.compare(0, mp.size(), mp) == 0 && path[mp.size()] == '/');
    if (under && mp.size() >= best) {
      best = mp.size();
      *point = mp;
      *fields = optional;
    }
  }
}

}  // namespace

void CheckPropagationName(const std::string& p) {
  if (p != "private" && p != "rprivate" && !Slave(p) && !Shared(p))
    throw Error(ErrorKind::kInvalidInput, "invalid propagation mode: " + p);
}

std::string RootPropagation(const std::vector<MountRequest>& mounts) {
  std::string mode = "private";
  for (const auto& m : mounts) {
    if (Shared(m.propagation)) return "shared";
    if (Slave(m.propagation)) mode = "slave";
  }
  return mode;
}

void PrepareRootPropagation(const std::string& root_mode, const std::string& rootfs_dir) {
  if (root_mode == "private") {
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) ThrowErrno("make mounts private");
    return;
  }
  if (root_mode == "slave") {
    if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) ThrowErrno("make mounts slaves of the host's");
    return;
  }
  // "shared": the host's mounts stay peers; only the one holding the rootfs leaves its group,
  // so the overlay and all the container's own mounts stay in the container.
  char real[PATH_MAX];
  if (!realpath(rootfs_dir.c_str(), real)) ThrowErrno("resolve " + rootfs_dir);
  std::string point, fields;
  MountOf(real, &point, &fields);
  if (mount(nullptr, point.c_str(), nullptr, MS_PRIVATE, nullptr) != 0) ThrowErrno("make " + point + " private");
}

void CheckSourcePropagation(const std::string& source, const std::string& p) {
  if (!Slave(p) && !Shared(p)) return;
  char real[PATH_MAX];
  if (!realpath(source.c_str(), real)) ThrowErrno("bind source " + source);
  std::string point, fields;
  MountOf(real, &point, &fields);
  bool shared = fields.find("shared:") != std::string::npos;
  bool slave = fields.find("master:") != std::string::npos;
  if (Shared(p) && !shared)
    throw Error(ErrorKind::kInvalidInput, "path " + source + " is mounted on " + point + " but it is not a shared mount");
  if (Slave(p) && !shared && !slave)
    throw Error(ErrorKind::kInvalidInput,
                "path " + source + " is mounted on " + point + " but it is not a shared or slave mount");
}

void ApplyPropagation(const std::string& target, const std::string& p) {
  if (p.empty()) return;  // rprivate: what the bind already is under a private root
  unsigned long flags = (p[0] == 'r' ? MS_REC : 0) |
                        (Shared(p) ? MS_SHARED : Slave(p) ? MS_SLAVE : MS_PRIVATE);
  if (mount(nullptr, target.c_str(), nullptr, flags, nullptr) != 0) ThrowErrno("set propagation " + p);
}

}  // namespace mini::run
