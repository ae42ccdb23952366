#pragma once
/// The state of one stage while it is built: the image config document being grown (config,
/// history), its layers, its ARGs, its cache key; and the metadata instructions (ENV, LABEL,
/// WORKDIR, USER, EXPOSE, CMD, ENTRYPOINT, VOLUME, SHELL, STOPSIGNAL, HEALTHCHECK, ONBUILD,
/// MAINTAINER) applied to it with Docker's rules. Pure apart from the clock.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "build/instructions.h"
#include "build/layer_commit.h"
#include "build/substitution.h"
#include "common/digest.h"
#include "store/image_config.h"

namespace mini::build {

struct StageState {
  nlohmann::json config;  ///< the image config document (rootfs is filled in at the end)
  std::vector<LayerRef> layers;  ///< bottom first
  std::vector<std::pair<std::string, std::optional<std::string>>> args;  ///< declared ARGs
  Digest key;            ///< cache key of the last step
  bool cmd_set = false;  ///< CMD given in this stage (ENTRYPOINT resets an inherited one)
  std::string image_id;  ///< the base image id ("" for scratch)

  nlohmann::json& Cfg() { return config["config"]; }
  /// The "config" object, typed (a copy: writes go through Cfg()).
  ImageConfig TypedConfig() const;
  /// Config Env entries (KEY=VALUE).
  std::vector<std::string> Env() const;
  /// The variables for substitution: ARGs with values, then Env (ENV wins).
  std::vector<std::string> SubstitutionVars() const;
  /// NAME=VALUE of ARGs with a value that ENV does not override (what RUN sees and the key uses).
  std::vector<std::string> ArgEnv() const;
  /// config.Shell, or ["/bin/sh", "-c"].
  std::vector<std::string> Shell() const;
  /// config.WorkingDir, or "/".
  std::string Workdir() const;
  /// Appends a history entry.
  void AddHistory(const std::string& created_by, const std::string& created, bool empty_layer);
};

/// A fresh state for `FROM scratch` (Docker's default PATH) or from a base image's config
/// (its OnBuild triggers still in config.OnBuild, for the builder to run and remove).
StageState ScratchState(const std::string& arch);
StageState StateFromImage(const nlohmann::json& image_config);

/// Applies a metadata instruction after expanding its words with `lex` and `vars`; returns the
/// history text ("ENV A=1", "WORKDIR /app", "CMD [\"x\"]"). Throws Error for bad values.
/// ARG is handled here too (its values resolved against `build_args`; `used` records consumption).
std::string ApplyMetadata(StageState& st, const Instruction& ins, const ShellLex& lex,
                          const std::map<std::string, std::string>& build_args,
                          const std::map<std::string, std::string>& global_args, std::map<std::string, bool>* used);

/// True for the instructions ApplyMetadata handles.
bool IsMetadata(const Instruction& ins);

}  // namespace mini::build
