#pragma once
/// A build step's RUN --mount=type=bind (and the inline files of RUN heredocs): the merged view
/// of a stage, an image or the context, a path resolved inside it, bound read-only or over a
/// throw-away overlay upper (MountRequest::Kind::kLayered, run_spec.h). Runs in the container's
/// mount namespace, as its first process, before pivot_root: every mount made here disappears
/// with the container.
#include "common/in_root.h"
#include "run/run_spec.h"

namespace mini::run {

/// Mounts `m` on m.target inside `root`. Throws Error ("<source>: not found in the mount's
/// source", "too many layers to mount").
void MountLayered(const InRoot& root, const MountRequest& m);

}  // namespace mini::run
