#pragma once
/// The builder's dispatch state, shared by builder.cc (stages, metadata, cache, result),
/// builder_run.cc (RUN) and builder_copy.cc (COPY/ADD, and what COPY --from and RUN --mount
/// from= name). Only those three files include it.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "build/base_resolver.h"
#include "build/build_cache.h"
#include "build/build_output.h"
#include "build/builder.h"
#include "build/copy_step.h"
#include "build/file_hash_cache.h"
#include "build/instructions.h"
#include "build/minifile_parser.h"
#include "build/progress.h"
#include "build/run_mount.h"
#include "build/run_mount_setup.h"
#include "build/stage_graph.h"
#include "build/stage_state.h"
#include "build/substitution.h"
#include "common/error.h"

namespace mini::build::detail {

/// A RUN failure: its message is used as it is, without the FILE:LINE prefix.
class RunFailed : public Error {
 public:
  using Error::Error;
};

using Ref = StageRef;

class Builder {
 public:
  Builder(const Layout& layout, LayerStore& layers, ImageStore& images, const BuildOptions& o, BuildProgress& progress,
          const OutputSpec& output)
      : layout_(layout), layers_(layers), images_(images), o_(o), progress_(progress), output_(output), cache_(layout),
        bases_(layout, layers, images, o.pull), contexts_(ParseBuildContexts(o.build_contexts)) {}
  /// The file hashes learnt are kept even when the build fails: the files were read either way.
  ~Builder() { file_hashes_.Save(); }

  Digest Run();

 private:
  /// A line outside the steps (warnings).
  void Say(const std::string& line) { progress_.Log(0, line); }

  void Load();

  std::string Where(const Node& n) const { return mf_.file + ":" + std::to_string(n.start_line); }

  Ref Resolve(const std::string& name, int before) const { return graph_->Resolve(name, before); }
  Ref CopyFromRef(const std::string& from, int stage) const { return graph_->FromRef(from, stage); }

  /// Starts the vertex of a step with a filesystem result (RUN, COPY, ADD, WORKDIR).
  void BeginStep(int s, const Command& c);

  /// Runs one instruction as its vertex: done, cached, or failed with the error.
  void Step(int s, StageState& st, const Command& c);

  /// The image `name` (pulled when missing, or with --pull, in a step of its own), held by the
  /// build's lease: untagged or removed meanwhile, it stays for this build.
  ImageRecord GetImage(const std::string& name, const std::string& platform);

  /// A stage's base from a --build-context directory: its files (root-owned, as COPY makes
  /// them) in one layer over an empty config, cached by their content.
  StageState StateFromDir(const NamedContext& c);

  /// A stage: its base (a stage, a context directory, scratch or an image), ONBUILD triggers, then
  /// each instruction as a step.
  void BuildStage(int s);

  /// Docker's ONBUILD: the base's triggers run right after FROM, in order, against this build's
  /// context; they are consumed (the new image does not inherit them).
  void RunTriggers(int s, StageState& st);

  /// Looks the key up (not with --no-cache, nor in a --no-cache-filter stage).
  std::optional<CacheEntry> Cached(const Digest& key);

  /// One instruction: metadata (a history entry and a new key; WORKDIR's mkdir layer), RUN or COPY/ADD.
  void Dispatch(int s, StageState& st, const Command& c);

  std::optional<Digest> Top(const StageState& st) const {
    if (st.layers.empty()) return std::nullopt;
    return st.layers.back().chain_id;
  }

  /// The stage's layer directories so far, top first.
  std::vector<std::string> StageDirs(const StageState& st) const {
    std::vector<std::string> dirs;
    for (auto it = st.layers.rbegin(); it != st.layers.rend(); ++it) dirs.push_back(layers_.DiffDir(it->chain_id));
    return dirs;
  }
  /// The stage's merged filesystem so far.
  LayerView StageView(const StageState& st) const { return LayerView(StageDirs(st)); }

  /// A step that makes a layer: a cache hit reuses the cached layer (held from here; one
  /// collected since the lookup is a miss), else `make` builds it. `linked` (COPY --link): the
  /// key does not chain on the stage, so a hit made over another base is reused by registering
  /// its diff on this stage's top layer, and the stage's key after the step chains on both, as
  /// BuildKit's merge does. Otherwise a hit must sit on this stage's top layer (a
  /// --no-cache-filter rebuild below may have changed it), else it is a miss.
  void AddLayerStep(StageState& st, const Digest& key, const std::string& history,
                    const std::function<LayerRef()>& make, bool linked = false);

  /// The host directories (top first) of a RUN --mount's `from` tree and the text keying it;
  /// the context's content is hashed like COPY's sources.
  std::vector<std::string> MountTree(int s, const RunMount& m, std::string* key_input);

  /// RUN: its key (command, network, mounts, security), then the step through the runner
  /// (builder_run.cc).
  void DoRun(int s, StageState& st, const RunCmd& r);

  /// COPY and ADD: the sources (context, stage, image, URL, git, here-documents) copied into a
  /// new layer, or --link's layer on its own (builder_copy.cc).
  void DoCopy(int s, StageState& st, const CopyCmd& cp);

  /// What `from` names in stage `s` (COPY --from, RUN --mount from=): an earlier stage (by name
  /// or index), a --build-context (a directory, or an image), or an image (pulled when missing).
  /// Returns its layer directories, top first (a context directory is its one "layer");
  /// `cache_id` receives what identifies its content for cache keys. Throws Error.
  std::vector<std::string> SourceDirs(const std::string& from, int s, std::string* cache_id);

  /// The result, as --output says (see DeliverBuild).
  Digest Finish(StageState& st);

  const Layout& layout_;
  LayerStore& layers_;
  ImageStore& images_;
  const BuildOptions& o_;
  BuildProgress& progress_;
  const OutputSpec& output_;
  BuildCache cache_;
  BaseResolver bases_;
  std::map<std::string, NamedContext> contexts_;
  std::map<std::string, std::string> context_digests_;  ///< a context directory -> its content digest
  FileHashCache file_hashes_{layout_.BuildCacheDir() + "/file-hashes"};
  ParsedFile pf_;
  Minifile mf_;
  ShellLex lex_;
  std::unique_ptr<ContextTree> context_;
  std::string ignore_name_;
  std::map<std::string, std::string> global_args_;
  std::vector<std::string> global_vars_;
  std::map<std::string, bool> used_args_;
  std::vector<std::optional<StageState>> states_;
  std::unique_ptr<StageGraph> graph_;  ///< after Load
  bool name_stages_ = false;    ///< steps are "[NAME i/n]"
  StepNamer steps_;             ///< the current stage's step names
  int vtx_ = -1;                ///< the running step's vertex
  bool in_trigger_ = false;     ///< an ONBUILD trigger runs
  bool no_cache_stage_ = false; ///< the stage is in --no-cache-filter
  // RUN --mount=type=secret|ssh and --security/--network entitlements: read at the start.
  BuildSecrets secrets_{o_.secrets, o_.ssh};
  Entitlements entitlements_{ParseAllow(o_.allow)};
};

}  // namespace mini::build::detail
