#pragma once
/// `pause` / `unpause`: the cgroup freezer. On v2 the container's own cgroup has cgroup.freeze.
/// On v1 mini does not make a freezer cgroup at every start (it would cost each `run`): the first
/// pause makes freezer/mini/<id> and moves the container's processes into it (their children
/// follow them), then freezes it. Whether a container is paused is read from the kernel, never
/// stored, so a monitor writing the state meanwhile cannot lose it.
#include <string>
#include <vector>

namespace mini::run {

/// Freezes (or thaws) the processes of the container whose cgroup directories are `paths`, and
/// waits until the kernel reports it done. Throws Error naming the file.
void SetFrozen(const std::string& id, const std::vector<std::string>& paths, bool frozen);
/// True while the container's cgroup is frozen.
bool IsFrozen(const std::string& id, const std::vector<std::string>& paths);
/// v1: freezer/mini/<id> (made by the first pause; removed with the container).
std::string V1FreezerDir(const std::string& id);

}  // namespace mini::run
