#pragma once
/// `mini commit` and `mini diff`: a container's upper dir (never its init layer) as a new layer
/// on top of its image, and the list of what it added, changed and deleted.
#include <string>
#include <vector>

#include "common/digest.h"
#include "store/image_store.h"
#include "store/layer_store.h"
#include "store/layout.h"

namespace mini::build {

struct CommitOptions {
  std::string message;
  std::string author;
  std::vector<std::string> changes;  ///< "CMD [...]", "ENV A=1", ... (Dockerfile syntax)
  bool pause = true;                 ///< freeze a running container's cgroup while packing
};

/// Packs the container's upper dir into a layer over its image's layers and records a new
/// image (history entry with the message; -c changes applied). Works on running containers
/// (frozen while packing unless pause is off). Returns the image id. Throws Error.
Digest CommitContainer(const Layout& layout, LayerStore& layers, ImageStore& images, const std::string& container,
                       const CommitOptions& opts);

/// Docker's `diff` lines ("A /path", "C /path", "D /path"), sorted by path.
std::vector<std::string> ContainerDiff(const Layout& layout, LayerStore& layers, const std::string& container);

/// Applies `-c` changes to an image config's "config" object (Dockerfile instructions; only
/// CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR, STOPSIGNAL,
/// HEALTHCHECK, SHELL). Throws Error naming the bad change.
void ApplyChanges(nlohmann::json* image_config, const std::vector<std::string>& changes);

}  // namespace mini::build
