#pragma once
/// Which stages a build needs, BuildKit's way: the target (--target, else the last stage) and,
/// transitively, the stages its FROM, COPY --from and RUN --mount from= name; the others are
/// never built. Names resolve to a --build-context first (it overrides a stage or an image of
/// that name, as buildx does), then to an earlier stage (by name, or by index for --from), else
/// to an image. Pure.
#include <map>
#include <string>
#include <vector>

#include "build/base_resolver.h"
#include "build/instructions.h"
#include "build/substitution.h"

namespace mini::build {

/// What a name in FROM, COPY --from or RUN --mount from= refers to.
struct StageRef {
  int stage = -1;                     ///< an earlier stage
  std::string image;                  ///< else an image name ("scratch" for none)
  const NamedContext* dir = nullptr;  ///< else a --build-context NAME=DIR
};

/// BuildKit's step count of a stage: FROM an image, each RUN, COPY, ADD and WORKDIR, and each
/// ONBUILD trigger of the base (whatever its instruction).
int StepCount(const Stage& stage, bool from_image, size_t triggers);

class StageGraph {
 public:
  /// `mf` with its FROM names expanded; `global_vars` (NAME=VALUE of the ARGs before the first
  /// FROM) expand the --from values. Both must outlive the graph.
  StageGraph(const Minifile& mf, const std::map<std::string, NamedContext>& contexts, const ShellLex& lex,
             const std::vector<std::string>& global_vars)
      : mf_(mf), contexts_(contexts), lex_(lex), global_vars_(global_vars) {}

  /// A FROM name in stage `before` (only earlier stages count).
  StageRef Resolve(const std::string& name, int before) const;
  /// A --from value in stage `stage`: a number is a stage index. Throws Error("COPY --from=3:
  /// invalid stage index (must refer to an earlier stage)").
  StageRef FromRef(const std::string& from, int stage) const;
  /// The index of --target `target` (the last stage for ""). Throws Error(kInvalidInput,
  /// "target stage \"x\" could not be found").
  int Target(const std::string& target) const;
  /// needed[i]: stage i must be built for `target`.
  std::vector<bool> Needed(int target) const;

 private:
  void Need(int s, std::vector<bool>& needed) const;

  const Minifile& mf_;
  const std::map<std::string, NamedContext>& contexts_;
  const ShellLex& lex_;
  const std::vector<std::string>& global_vars_;
};

}  // namespace mini::build
