#include "run/boot_restart.h"

#include "run/container.h"
#include "run/lifecycle.h"
#include "run/restart_policy.h"
#include "run/supervisor.h"

namespace mini::run {

void StartAllRestarting(const Layout& layout, const std::function<void(const std::string&)>& started,
                        const std::function<void(const std::string&, const std::string&)>& failed) {
  ContainerStore(layout).ForEach([&](const std::string& id, const ContainerConfig& c, const ContainerState& st) {
    if (st.status == ContainerStatus::kRunning || st.status == ContainerStatus::kRestarting) return;
    if (!StartsAtBoot(RestartPolicyOf(c), ManuallyStopped(layout, id))) return;
    try {
      StartContainer(layout, id, false, false, nullptr);
      started(c.name);
    } catch (const std::exception& e) {
      failed(c.name, e.what());
    }
  });
}

}  // namespace mini::run
