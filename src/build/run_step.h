#pragma once
/// RUN through the runner library: a throw-away container over the stage's layers, with the
/// stage's env, workdir, user and shell; on success its upper dir becomes the new layer (moved,
/// never copied). The container is removed whatever happens.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "build/layer_commit.h"
#include "store/layer_store.h"
#include "store/layout.h"

namespace mini::build {

struct RunStepSpec {
  std::vector<std::string> argv;        ///< the full command (shell + string, or exec form)
  std::vector<std::string> extra_env;   ///< build args in scope (NAME=VALUE)
  nlohmann::json image_config;          ///< the stage's "config" object (Env, WorkingDir, User)
  std::string image_id;                 ///< for the container record; may be empty
  std::optional<Digest> top_layer;      ///< the stage's top layer; none for an empty scratch stage
  std::string network = "bridge";       ///< bridge | none | host | a network name
  int out_fd = 1, err_fd = 2;           ///< where the command's output goes
};

/// Runs the command. Exit 0: returns the new layer on top of `top_layer` (a RUN that changes
/// nothing still gets its (empty) layer, as Docker does). Non-zero: throws
/// Error("exit code N"). Nothing of the container is left behind in either case.
LayerRef RunStep(const Layout& layout, LayerStore& layers, const RunStepSpec& spec);

}  // namespace mini::build
