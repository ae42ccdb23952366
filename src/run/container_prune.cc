// Removing every stopped container.
#include "run/container_prune.h"

#include "common/fs.h"
#include "run/container.h"
#include "run/lifecycle.h"

namespace mini::run {

std::vector<std::string> PruneContainers(const Layout& layout, uint64_t* reclaimed,
                                         const std::function<void(const Error&)>& on_error) {
  CollectContainers(layout);
  std::vector<std::string> gone;
  ContainerStore(layout).ForEach([&](const std::string& id, const ContainerConfig& c, const ContainerState& st) {
    if (c.spec.build || st.status == ContainerStatus::kRunning || st.status == ContainerStatus::kRestarting) return;
    try {
      uint64_t size = TreeSize(layout.LayerDiff(id));
      RemoveContainer(layout, id, false);
      *reclaimed += size;
      gone.push_back(id);
    } catch (const Error& e) {
      on_error(e);  // started meanwhile, or being removed by someone else
    }
  });
  return gone;
}

}  // namespace mini::run
