#pragma once
/// RUN through the runner library: a throw-away container over the stage's layers, with the
/// stage's env, workdir, user and shell; on success its upper dir becomes the new layer (moved,
/// never copied). The container is removed whatever happens.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "build/instructions.h"
#include "build/layer_commit.h"
#include "run/run_spec.h"
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
  /// RUN --mount (build/run_mount_setup.h): given to the runner in memory only.
  std::vector<run::MountRequest> mounts;
  /// NAME=VALUE set in the step's environment but never written anywhere (secrets with env=;
  /// SSH_AUTH_SOCK, which keeps a value the stage already has).
  std::vector<std::string> secret_env;
  /// Mount points the mounts will create (MissingMountPoints): removed from the layer after.
  std::vector<std::string> mount_points;
  bool privileged = false;              ///< RUN --security=insecure
};

/// What a RUN executes, BuildKit's dispatchRun: the shell form's string through the shell, the
/// exec form as it is. With heredocs: a lone `<<EOF` runs its body, as a script file
/// (/dev/pipes/EOF, mode 0755) when it starts with "#!", else as the shell's command string; any
/// other command line gets the bodies appended (each followed by its delimiter) and the shell
/// reads them itself (quoted delimiters, `<<-` and all). Bodies are not expanded by the builder.
struct RunPlan {
  std::vector<std::string> argv;
  std::string inline_target;   ///< "" or where the script file is mounted
  std::string inline_content;
  std::string text;            ///< the command as history and cache keys show it (bodies included)
};
/// Throws Error for heredocs on an exec-form RUN.
RunPlan PlanRun(const CommandLine& cmd, const std::vector<Heredoc>& heredocs, const std::vector<std::string>& shell);

/// Runs the command. Exit 0: returns the new layer on top of `top_layer` (a RUN that changes
/// nothing still gets its (empty) layer, as Docker does). Non-zero: throws
/// Error("exit code N"). Nothing of the container is left behind in either case.
LayerRef RunStep(const Layout& layout, LayerStore& layers, const RunStepSpec& spec);

}  // namespace mini::build
