#pragma once
/// `container prune` and `system prune`: every stopped (created or exited) container goes, with
/// its layers and lease; running ones and build steps stay.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/error.h"
#include "store/layout.h"

namespace mini::run {

/// Removes the stopped containers; returns their ids and adds the bytes of their writable layers
/// to `reclaimed`. A container started or removed meanwhile is skipped, its error passed to
/// `on_error` (the CLI prints it).
std::vector<std::string> PruneContainers(const Layout& layout, uint64_t* reclaimed,
                                         const std::function<void(const Error&)>& on_error);

}  // namespace mini::run
