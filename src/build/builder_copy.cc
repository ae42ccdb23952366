// The builder's COPY and ADD, and the trees COPY --from and RUN --mount from= name.
#include "build/builder_internal.h"

#include "build/chown_spec.h"
#include "build/copy_plan.h"
#include "build/copy_sources.h"
#include "build/copy_step.h"
#include "common/fs.h"

namespace mini::build::detail {

using nlohmann::json;

void Builder::DoCopy(int s, StageState& st, const CopyCmd& cp) {
  auto vars_vec = st.SubstitutionVars();
  VarLookup vars = LookupIn(vars_vec);
  // The source tree: the context, an earlier stage, or an image.
  CopyFrom from;
  from.tree = context_.get();
  std::unique_ptr<SourceTree> other;
  if (!cp.from.empty()) {
    from.from = lex_.ProcessWord(cp.from, vars);
    std::vector<std::string> dirs =
        WithContext("COPY --from=" + from.from, [&] { return SourceDirs(from.from, s, &from.inputs); });
    other = std::make_unique<LayerView>(dirs);
    from.tree = other.get();
    from.is_context = false;
  }
  ExtraSources extra(layout_.TmpDir(), layout_.BuildCacheDir() + "/urls");
  CopyPlan plan = PlanCopy(cp, lex_, vars, st.Workdir(), ignore_name_, from, extra, &file_hashes_);
  auto build = [&](const LayerView& image) {
    if (!plan.chown.empty()) {
      uid_t uid;
      gid_t gid;
      ResolveChown(plan.chown, image, &uid, &gid);
      plan.opts.uid = uid;
      plan.opts.gid = gid;
    }
    extra.Materialize(plan.sources);
    TempDir staging(layout_.TmpDir(), "copy-");
    std::string diff = staging.path() + "/diff";
    MakeDirs(diff, 0755);
    CopyToLayer(plan.sources, plan.dest, image, diff, plan.opts);
    return CommitLayerDir(layout_, layers_, diff, Top(st));
  };
  if (plan.link) {
    // The layer never looks below: --chown names are resolved in the stage now, and the ids
    // go into the key.
    std::string ids;
    if (!plan.chown.empty()) {
      uid_t uid;
      gid_t gid;
      ResolveChown(plan.chown, StageView(st), &uid, &gid);
      plan.chown = std::to_string(uid) + ":" + std::to_string(gid);
      ids = " ids=" + plan.chown;
    }
    Digest key = BuildCache::Key(Digest(), plan.text + " --link dest=" + plan.dest + ids, plan.inputs, st.ArgEnv());
    return AddLayerStep(st, key, plan.text, [&] { return build(LayerView({})); }, true);
  }
  Digest key = BuildCache::Key(st.key, plan.text, plan.inputs, st.ArgEnv());
  AddLayerStep(st, key, plan.text, [&] { return build(StageView(st)); });
}

/// What `from` names in stage `s` (COPY --from, RUN --mount from=): an earlier stage (by name
/// or index), a --build-context (a directory, or an image), or an image (pulled when missing).
/// Returns its layer directories, top first (a context directory is its one "layer");
/// `cache_id` receives what identifies its content for cache keys. Throws Error.
std::vector<std::string> Builder::SourceDirs(const std::string& from, int s, std::string* cache_id) {
  Ref ref = CopyFromRef(from, s);
  std::vector<std::string> dirs;
  if (ref.stage >= 0) {
    const StageState& fs = *states_[ref.stage];
    dirs = StageDirs(fs);
    // By content (its top layer's chain id), not by its key: a stage rebuilt by --no-cache-filter
    // keeps its keys but may have new files.
    *cache_id = "stage " + (fs.layers.empty() ? fs.key.str() : fs.layers.back().chain_id.str());
  } else if (ref.dir) {
    if (!IsDirectory(ref.dir->value)) throw Error("build context \"" + ref.dir->value + "\" is not a directory");
    dirs.push_back(ref.dir->value);
    std::string& digest = context_digests_[ref.dir->value];
    if (digest.empty()) {
      LayerView tree(dirs);
      digest = HashSources(ExpandSources(tree, {"."}, CopyOptions()), CopyOptions(), &file_hashes_).str();
    }
    *cache_id = "context " + digest;
  } else {
    ImageRecord rec = GetImage(ref.image, "");
    for (auto it = rec.chain_ids.rbegin(); it != rec.chain_ids.rend(); ++it) dirs.push_back(layers_.DiffDir(*it));
    *cache_id = "image " + rec.id.str();
  }
  return dirs;
}

}  // namespace mini::build::detail
