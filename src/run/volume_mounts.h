#pragma once
/// Volumes with local driver options (`volume create -o type=tmpfs -o device=tmpfs -o
/// o=size=64m`, `--mount ...,volume-opt=`): the mount is made on volumes/<name>/_data by the
/// first container that starts with the volume and unmade when the last one ends, as Docker's
/// local driver does, so containers sharing the volume share the one mount. Without a daemon,
/// the users are files volumes/<name>/users/<container id> holding the monitor's pid and start
/// time, under a flock on volumes/<name>/mount.lock; entries of dead monitors do not count.
#include <map>
#include <string>

#include "store/layout.h"

namespace mini::run {

/// mount(2)'s flags and data from a local driver `o=` string, as `mount -o` reads it (ro,
/// nosuid, nodev, noexec, bind, rbind, ... become flags; the rest is data).
void ParseMountOptions(const std::string& o, unsigned long* flags, std::string* data);

/// Held by a container's monitor while the container runs: mounts the volume's driver mount
/// (when it is not there yet) and records the user; the destructor removes the user and
/// unmounts when no live user is left. Volumes without options need none.
class VolumeMountUse {
 public:
  /// Throws Error("error while mounting volume 'PATH': ...") when the mount fails.
  VolumeMountUse(const Layout& layout, const std::string& volume, const std::map<std::string, std::string>& options,
                 const std::string& container_id);
  ~VolumeMountUse();
  VolumeMountUse(const VolumeMountUse&) = delete;
  VolumeMountUse& operator=(const VolumeMountUse&) = delete;

 private:
  std::string dir_, container_id_;
};

/// `volume rm` and prune: unmounts `data_dir` when a driver mount is still on it (its users are
/// gone: the volume is not in use).
void UnmountStaleVolume(const std::string& data_dir);

}  // namespace mini::run
