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
  bool quiet = false;                           ///< -q: no progress, RUN output discarded (--progress=quiet)
  std::string network = "bridge";               ///< default network for RUN (bridge|none|host|name)
  // BuildKit's flags; the specs are kept as the user wrote them and parsed by the builder.
  std::vector<std::string> secrets;             ///< --secret id=x[,src=FILE|,env=VAR]
  std::vector<std::string> ssh;                 ///< --ssh default|ID[=PATH[,PATH]]
  std::vector<std::string> build_contexts;      ///< --build-context NAME=DIR|docker-image://REF
  std::vector<std::string> outputs;             ///< --output type=local,dest=DIR|type=tar,dest=F|type=image|DIR
  std::string iidfile;                          ///< --iidfile: write the image id there
  std::map<std::string, std::string> labels;    ///< --label KEY=VALUE
  bool pull = false;                            ///< --pull: pull every base image even if present
  std::vector<std::string> no_cache_filter;     ///< --no-cache-filter: stages built without cache
  std::string progress = "auto";                ///< --progress auto|plain|tty|quiet
  std::vector<std::string> allow;               ///< --allow security.insecure|network.host
};

/// Builds the target stage (and only the stages it needs) and records and tags the image, or
/// writes its filesystem out (--output); BuildKit's progress (and RUN output) goes to `out`
/// (stderr for the CLI). Returns the image id, empty when no image was made (--output
/// local/tar without a tag). Throws Error: bad flags before any work ("invalid --output ..."),
/// parse errors name FILE:LINE, a failing RUN gives "RUN <cmd>: exit code N".
Digest BuildImage(const Layout& layout, LayerStore& layers, ImageStore& images, const BuildOptions& opts,
                  FILE* out);

}  // namespace mini::build
