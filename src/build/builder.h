#pragma once
/// `mini build`: Minifile -> stages -> for each needed stage and instruction: cache key, then
/// a cache hit (reuse the layer) or the step itself (metadata, COPY/ADD into a new layer, RUN in
/// a container) -> the final image config and image record -> tags.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "common/digest.h"
#include "store/image_store.h"
#include "store/layer_store.h"
#include "store/layout.h"

namespace mini::build {

struct BuildOptions {
  std::string context;                          ///< the context directory
  std::string file;                             ///< -f; empty: Minifile, else Dockerfile in context
  std::vector<std::string> tags;                ///< -t
  std::map<std::string, std::string> build_args;  ///< --build-arg
  std::string target;                           ///< --target stage name
  bool no_cache = false;
  bool quiet = false;                           ///< -q: no progress, RUN output discarded
  std::string network = "bridge";               ///< default network for RUN (bridge|none|host|name)
};

/// Builds and tags the image; progress goes to `out` (unless quiet). Returns the image id.
/// Throws Error: parse errors name FILE:LINE, a failing RUN gives "RUN <cmd>: exit code N".
Digest BuildImage(const Layout& layout, LayerStore& layers, ImageStore& images, const BuildOptions& opts,
                  FILE* out);

}  // namespace mini::build
