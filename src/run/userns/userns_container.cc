#include "run/userns/userns_container.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "common/error.h"
#include "run/container.h"

namespace mini::run {

IdMapLease::IdMapLease(const Layout& layout) {
  std::string path = layout.ContainersDir() + "/.userns.lock";
  fd_.reset(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd_) ThrowErrno("open " + path);
  while (flock(fd_.get(), LOCK_EX) != 0)
    if (errno != EINTR) ThrowErrno("lock " + path);
}

std::vector<IdMap> UsedIdMaps(const Layout& layout) {
  ContainerStore store(layout);
  std::vector<IdMap> out;
  for (const auto& id : store.ListIds()) {
    try {
      IdMap m = store.LoadConfig(id).idmap;
      if (m.enabled()) out.push_back(m);
    } catch (const Error&) {
      // being created or removed
    }
  }
  return out;
}

IdMap ChooseContainerIdMap(const Layout& layout, const std::string& mode_text, IdMapLease* lease) {
  UsernsMode mode = ParseUsernsMode(mode_text);
  if (mode.kind == UsernsMode::Kind::kHost) return {};
  CheckUsernsSupported();
  SubIdRange uids, gids;
  EnsureMiniSubIds(&uids, &gids);
  if (mode.kind == UsernsMode::Kind::kRemap) {
    CheckRemapInside(mode.remap, uids, gids);
    return mode.remap;
  }
  *lease = IdMapLease(layout);
  return ChooseAutoSlice(uids, gids, UsedIdMaps(layout));
}

}  // namespace mini::run
