#pragma once
/// Images that a command needs, pulled when missing as Docker's `run`, `create` and `build`
/// do: `--pull missing` (the default) pulls an image the store does not have, `always` pulls
/// every time (the store's copy is kept when the registry has the same), `never` only looks in
/// the store. The pull is `mini pull`'s (registries configuration, mirrors, verification); progress goes to `out` in
/// Docker's words ("Unable to find image 'busybox:latest' locally", "latest: Pulling from
/// library/busybox", ..., "Status: Downloaded newer image for busybox:latest").
#include <cstdio>
#include <string>

#include "store/image_store.h"
#include "store/layer_store.h"
#include "store/layout.h"

namespace mini::registry {

enum class PullPolicy { kMissing, kAlways, kNever };

/// "missing", "always", "never" (Docker's names; "" = missing). Throws Error (kInvalidInput):
/// `invalid pull option: 'x': must be one of "always", "missing" or "never"`.
PullPolicy ParsePullPolicy(const std::string& value);

/// The image `name` (a reference or an image id) from the store, pulled first as `policy` says.
/// `platform` ("" = the host's) picks from a multi-platform index. An image id is never pulled.
/// Throws Error(kNotFound, "No such image: NAME") under `never` (or for a missing id), and the
/// pull's own error otherwise.
ImageRecord ImageForRun(const Layout& layout, LayerStore& layers, ImageStore& images, const std::string& name,
                        PullPolicy policy, const std::string& platform, FILE* out);

}  // namespace mini::registry
