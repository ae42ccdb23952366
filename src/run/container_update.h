#pragma once
/// `mini update`: new resource limits and restart policy for a container. A running one gets
/// them in its cgroup at once (v1 or v2); every one keeps them in config.json, so the next
/// start applies them. Docker's checks and messages.
#include <optional>
#include <string>

#include "run/run_spec.h"
#include "store/layout.h"

namespace mini::run {

struct UpdateRequest {
  Resources resources;                 ///< the fields given; unset ones stay as they are
  std::optional<std::string> restart;  ///< --restart
};

/// The container's resources after `req` (pure). Throws Error(kInvalidInput) with Docker's
/// words: "Minimum memory limit allowed is 6MB", "Minimum memoryswap limit should be larger
/// than memory limit, see usage", "Memory limit should be smaller than already set memoryswap
/// limit, update the memoryswap at the same time", "You should always set the Memory limit
/// when using Memoryswap limit", "Range of CPUs is from 0.01 to N.00, as there are only N CPUs
/// available".
Resources MergeResources(const Resources& current, const Resources& req, int online_cpus);

/// Docker's restart policy syntax: no, always, unless-stopped, on-failure[:N]. Throws Error
/// ("invalid restart policy 'X'" / "maximum retry count cannot be negative").
void CheckRestartPolicy(const std::string& policy);

/// Applies `req` to container `id` (see the file comment) and records Docker's "update" event.
/// Throws Error naming what failed ("Cannot update container <id>: " before a conflict with
/// the container's settings, as Docker words it).
void UpdateContainer(const Layout& layout, const std::string& id, const UpdateRequest& req);

}  // namespace mini::run
