#include "run/boot_restart.h"

#include "run/container.h"
#include "run/lifecycle.h"
#include "run/restart_policy.h"
#include "run/supervisor.h"

namespace mini::run {

void StartAllRestarting(const Layout& layout, const std::function<void(const std::string&)>& started,
                        const std::function<void(const std::string&, const std::string&)>& failed) {
  ContainerStore store(layout);
  for (const auto& id : store.ListIds()) {
    ContainerConfig c;
    ContainerState st;
    try {
      c = store.LoadConfig(id);
      st = store.LoadState(id);
    } catch (const Error&) {
      continue;
    }
    if (st.status == ContainerStatus::kRunning || st.status == ContainerStatus::kRestarting) continue;
    if (!StartsAtBoot(RestartPolicyOf(c), ManuallyStopped(layout, id))) continue;
    try {
      StartContainer(layout, id, false, false, nullptr);
      started(c.name);
    } catch (const std::exception& e) {
      failed(c.name, e.what());
    }
  }
}

}  // namespace mini::run
