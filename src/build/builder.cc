#include "build/builder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "build/automatic_args.h"
#include "build/base_resolver.h"
#include "build/build_cache.h"
#include "build/build_output.h"
#include "build/chown_spec.h"
#include "build/copy_plan.h"
#include "build/copy_step.h"
#include "build/file_hash_cache.h"
#include "build/instructions.h"
#include "build/link_layer.h"
#include "build/minifile_parser.h"
#include "build/progress.h"
#include "build/run_mount.h"
#include "build/run_mount_setup.h"
#include "build/run_step.h"
#include "build/stage_graph.h"
#include "build/stage_state.h"
#include "build/workdir_step.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "common/path.h"
#include "common/strings.h"
#include "store/importer.h"
#include "store/lease.h"

namespace mini::build {

using nlohmann::json;

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

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

  Digest Run() {
    Load();
    int target = graph_->Target(o_.target);
    std::vector<bool> needed = graph_->Needed(target);
    states_.resize(mf_.stages.size());
    for (size_t i = 0; i < mf_.stages.size(); ++i)
      if (needed[i]) BuildStage(static_cast<int>(i));
    std::vector<std::string> unused;
    for (const auto& [k, v] : o_.build_args)
      if (!used_args_[k]) unused.push_back(k);
    if (!unused.empty()) {
      std::string list;
      for (const auto& u : unused) list += (list.empty() ? "" : " ") + u;
      Say("[Warning] One or more build-args [" + list + "] were not consumed");
    }
    return Finish(*states_[target]);
  }

 private:
  /// A line outside the steps (warnings).
  void Say(const std::string& line) { progress_.Log(0, line); }

  void Load() {
    std::string path = FindMinifile(o_.context, o_.file);
    int v = progress_.Start("[internal] load build definition from " + BaseName(path));
    std::string text = ReadFile(path, 16 << 20);
    progress_.Status(v, "transferring dockerfile: " + std::to_string(text.size()) + "B done");
    pf_ = ParseMinifile(text, path);
    mf_ = ParseStages(pf_);
    progress_.Done(v);
    for (const auto& w : pf_.warnings) Say("[Warning] " + w);
    lex_ = ShellLex(mf_.escape);
    context_ = OpenContext(o_.context, &ignore_name_);
    // ARGs before the first FROM: visible to FROM lines (and to stage ARGs that redeclare them).
    std::vector<std::string> vars;
    for (const auto& [k, v] : AutomaticPlatformArgs(HostArchitecture(), "", o_.target.empty() ? mf_.stages.back().from.name : o_.target, o_.build_args)) {
      global_args_[k] = v;  // BuildKit's automatic platform ARGs: global, declared or not
      vars.push_back(k + "=" + v);
      if (o_.build_args.count(k)) used_args_[k] = true;
    }
    for (const auto& [k, v] : o_.build_args)
      if (IsProxyArg(k)) used_args_[k] = true;  // reach every RUN undeclared (ProxyEnv)
    for (size_t i = 0; i < mf_.meta_args.size(); ++i)
      for (const auto& a : mf_.meta_args[i].args) {
        std::optional<std::string> v;
        if (auto it = o_.build_args.find(a.name); it != o_.build_args.end()) {
          v = it->second;
          used_args_[a.name] = true;
        } else if (a.value) {
          v = WithContext(Where(mf_.meta_arg_nodes[i]), [&] { return lex_.ProcessWord(*a.value, LookupIn(vars)); });
        }
        if (v) {
          global_args_[a.name] = *v;
          vars.push_back(a.name + "=" + *v);
        }
      }
    global_vars_ = vars;
    for (auto& st : mf_.stages) {
      st.from.image = WithContext(Where(st.from_node), [&] { return lex_.ProcessWord(st.from.image, LookupIn(global_vars_)); });
      if (st.from.image.empty()) throw Error(Where(st.from_node) + ": base name (" + st.from_node.args[0] + ") should not be blank");
      st.from.platform = WithContext(Where(st.from_node), [&] { return lex_.ProcessWord(st.from.platform, LookupIn(global_vars_)); });
    }
    // BuildKit names the steps "[NAME i/n]" ("stage-N" for an unnamed stage) unless the build has
    // one stage and no COPY --from an image (an image source counts as a stage there).
    name_stages_ = mf_.stages.size() > 1;
    for (size_t s = 0; s < mf_.stages.size() && !name_stages_; ++s)
      for (const auto& c : mf_.stages[s].commands)
        if (auto* cp = std::get_if<CopyCmd>(&c.ins); cp && !cp->from.empty()) name_stages_ = true;
    graph_ = std::make_unique<StageGraph>(mf_, contexts_, lex_, global_vars_);
  }

  std::string Where(const Node& n) const { return mf_.file + ":" + std::to_string(n.start_line); }

  Ref Resolve(const std::string& name, int before) const { return graph_->Resolve(name, before); }
  Ref CopyFromRef(const std::string& from, int stage) const { return graph_->FromRef(from, stage); }

  /// Starts the vertex of a step with a filesystem result (RUN, COPY, ADD, WORKDIR).
  void BeginStep(int s, const Command& c) {
    vtx_ = progress_.Start(steps_.Next((in_trigger_ ? "ONBUILD " : "") + c.node.original));
  }

  /// Runs one instruction as its vertex: done, cached, or failed with the error.
  void Step(int s, StageState& st, const Command& c) {
    vtx_ = -1;
    try {
      Dispatch(s, st, c);
    } catch (const std::exception& e) {
      progress_.Fail(vtx_, e.what());
      throw;
    }
    progress_.Done(vtx_);
    vtx_ = -1;
  }

  /// The image `name` (pulled when missing, or with --pull, in a step of its own), held by the
  /// build's lease: untagged or removed meanwhile, it stays for this build.
  ImageRecord GetImage(const std::string& name, const std::string& platform) {
    ImageRecord rec = bases_.Get(name, platform, progress_);
    images_.Hold(*CurrentLease(), rec);
    return rec;
  }

  /// A stage's base from a --build-context directory: its files (root-owned, as COPY makes
  /// them) in one layer over an empty config, cached by their content.
  StageState StateFromDir(const NamedContext& c) {
    if (!IsDirectory(c.value)) throw Error("build context \"" + c.value + "\" is not a directory");
    StageState st = ScratchState(HostArchitecture());
    ContextTree tree(c.value, IgnorePatterns());
    CopyOptions co;
    auto expanded = ExpandSources(tree, {"."}, co);
    Digest key = BuildCache::Key(Digest(), "FROM context", HashSources(expanded, co, &file_hashes_).str(), {});
    AddLayerStep(st, key, "FROM context " + c.value, [&] {
      TempDir staging(layout_.TmpDir(), "context-");
      std::string diff = staging.path() + "/diff";
      MakeDirs(diff, 0755);
      CopyToLayer(expanded, "/", LayerView({}), diff, co);
      return CommitLayerDir(layout_, layers_, diff, std::nullopt);
    });
    return st;
  }

  void BuildStage(int s) {
    const Stage& stage = mf_.stages[s];
    no_cache_stage_ = false;
    for (const auto& f : o_.no_cache_filter)
      if (!stage.from.name.empty() && Lower(f) == stage.from.name) no_cache_stage_ = true;
    Ref base = Resolve(stage.from.image, s);
    StageState st;
    std::string from_vertex;  // BuildKit shows FROM as a step only for an image base
    if (base.stage >= 0) {
      st = *states_[base.stage];
      st.args.clear();
      st.cmd_set = false;
    } else if (base.dir) {
      st = WithContext(Where(stage.from_node), [&] { return StateFromDir(*base.dir); });
    } else if (Lower(base.image) == "scratch") {
      st = ScratchState(HostArchitecture());
      st.key = BuildCache::Key(Digest(), "FROM scratch", "", {});
    } else {
      ImageRecord rec = WithContext(Where(stage.from_node) + ": FROM " + base.image,
                                    [&] { return GetImage(base.image, stage.from.platform); });
      st = StateFromImage(rec.config);
      st.image_id = rec.id.str();
      const json& ml = rec.manifest["layers"];
      for (size_t i = 0; i < rec.chain_ids.size(); ++i) {
        LayerRef r{rec.chain_ids[i], rec.diff_ids[i], {}};
        if (ml.is_array() && i < ml.size()) r.blob = ParseDescriptor(ml[i]);
        st.layers.push_back(r);
      }
      st.key = BuildCache::Key(Digest(), "FROM " + rec.id.str(), "", {});
      auto ref = TryParseReference(base.image);
      from_vertex = "FROM " + (ref ? ref->String() : base.image);
    }
    std::string name = mf_.stages[s].from.name.empty() ? "stage-" + std::to_string(s) : mf_.stages[s].from.name;
    size_t triggers = st.TypedConfig().on_build.value_or(std::vector<std::string>{}).size();
    steps_ = StepNamer(name_stages_ ? name : "", StepCount(stage, !from_vertex.empty(), triggers));
    if (!from_vertex.empty()) progress_.Done(progress_.Start(steps_.Next(from_vertex)));
    RunTriggers(s, st);
    for (const auto& c : stage.commands) {
      try {
        Step(s, st, c);
      } catch (const RunFailed&) {
        throw;
      } catch (const Error& e) {
        throw e.WithMessage(Where(c.node) + ": " + e.what());
      }
    }
    states_[s] = std::move(st);
  }

  /// Docker's ONBUILD: the base's triggers run right after FROM, in order, against this build's
  /// context; they are consumed (the new image does not inherit them).
  void RunTriggers(int s, StageState& st) {
    std::vector<std::string> triggers = st.TypedConfig().on_build.value_or(std::vector<std::string>{});
    st.Cfg().erase("OnBuild");
    const Node& from = mf_.stages[s].from_node;
    for (const auto& t : triggers) {
      try {
        Command c = ParseTrigger(t, from.start_line);
        in_trigger_ = true;
        Step(s, st, c);
        in_trigger_ = false;
      } catch (const RunFailed&) {
        in_trigger_ = false;
        throw;
      } catch (const Error& e) {
        in_trigger_ = false;
        throw e.WithMessage(Where(from) + ": ONBUILD " + t + ": " + e.what());
      }
    }
  }

  /// Looks the key up (not with --no-cache, nor in a --no-cache-filter stage).
  std::optional<CacheEntry> Cached(const Digest& key) {
    if (o_.no_cache || no_cache_stage_) return std::nullopt;
    return cache_.Lookup(key, layers_, layout_);
  }

  void Dispatch(int s, StageState& st, const Command& c) {
    if (std::string f = UnexecutedFeature(c.ins); !f.empty()) throw Error(f + " is parsed but not executed by this build of mini yet");
    if (IsMetadata(c.ins)) {
      StageState next = st;
      std::string text = ApplyMetadata(next, c.ins, lex_, o_.build_args, global_args_, &used_args_);
      Digest key = BuildCache::Key(st.key, text, "", next.ArgEnv());
      if (std::holds_alternative<WorkdirCmd>(c.ins) && next.Workdir() != "/") {
        // BuildKit's WORKDIR: a mkdir -p step with a layer of its own (empty when the directory exists).
        BeginStep(s, c);
        AddLayerStep(next, key, text, [&] {
          uid_t uid = 0;
          gid_t gid = 0;
          std::string user = next.TypedConfig().user.value_or("");
          LayerView view = StageView(next);
          if (!user.empty()) ResolveChown(user, view, &uid, &gid);
          TempDir staging(layout_.TmpDir(), "workdir-");
          std::string diff = staging.path() + "/diff";
          MakeDirs(diff, 0755);
          MakeWorkdirDiff(view, next.Workdir(), uid, gid, diff);
          return CommitLayerDir(layout_, layers_, diff, Top(next));
        });
        st = std::move(next);
        return;
      }
      if (std::holds_alternative<WorkdirCmd>(c.ins)) steps_.Skip();  // WORKDIR / counts, as in BuildKit
      auto hit = Cached(key);
      std::string created = hit ? hit->created : NowRfc3339();
      if (!hit) cache_.Store(key, {created, std::nullopt});
      next.AddHistory(text, created, true);
      next.key = key;
      st = std::move(next);
      return;
    }
    if (auto* r = std::get_if<RunCmd>(&c.ins)) {
      BeginStep(s, c);
      return DoRun(s, st, *r);
    }
    if (auto* cp = std::get_if<CopyCmd>(&c.ins)) {
      BeginStep(s, c);
      return DoCopy(s, st, *cp);
    }
    throw Error("unexpected instruction " + c.node.cmd);
  }

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
                    const std::function<LayerRef()>& make, bool linked = false) {
    auto hit = Cached(key);
    if (hit && hit->chain_id && !CurrentLease()->AddLayerIfExists(*hit->chain_id)) hit.reset();
    LayerRef ref;
    if (hit && hit->chain_id) {
      if (linked) {
        ref = RebaseLayer(layout_, layers_, *hit->chain_id, Top(st));
      } else {
        ref = LayerRefOf(layers_, *hit->chain_id);
        if (ref.chain_id != LayerStore::ChainId(Top(st), ref.diff_id)) hit.reset();
      }
    }
    std::string created;
    if (hit && hit->chain_id) {
      created = hit->created;
      progress_.Cached(vtx_);
    } else {
      ref = make();
      created = NowRfc3339();
      cache_.Store(key, {created, ref.chain_id});
    }
    st.layers.push_back(ref);
    st.AddHistory(history, created, false);
    Digest next = linked ? BuildCache::Key(st.key, "link " + key.str(), "", {}) : key;
    // A step rebuilt without the cache keys what follows by its result: later steps (of this
    // stage or of the stages built on it) hit the cache only when it made the same layer.
    st.key = no_cache_stage_ && !hit ? BuildCache::Key(next, "result " + ref.chain_id.str(), "", {}) : next;
  }

  /// The host directories (top first) of a RUN --mount's `from` tree and the text keying it;
  /// the context's content is hashed like COPY's sources.
  std::vector<std::string> MountTree(int s, const RunMount& m, std::string* key_input) {
    auto links_of = [&](const std::optional<Digest>& top) {
      std::vector<std::string> dirs;
      if (top)
        for (const auto& l : layers_.LowerLinks(*top)) dirs.push_back(layout_.Overlay2Dir() + "/" + l);
      if (m.type == MountType::kBind && !LayerView(dirs).Lstat(LayerView(dirs).Resolve(m.source, true)))
        throw Error("RUN --mount from=" + m.from + ": " + CleanAbsPath("/" + m.source) + ": not found");
      return dirs;
    };
    if (m.from.empty()) {
      CopyOptions co;
      co.what = "RUN --mount";
      co.ignore_name = ignore_name_;
      std::string src = CleanAbsPath("/" + m.source);
      auto expanded = ExpandSources(*context_, {src == "/" ? "." : src.substr(1)}, co);
      *key_input = "context " + HashSources(expanded, co, &file_hashes_).str();
      return {context_->dir()};
    }
    Ref ref = CopyFromRef(m.from, s);
    if (ref.stage >= 0) {
      if (!states_[ref.stage])
        throw Error("cannot mount from stage \"" + m.from + "\" to \"" + m.target + "\", stage needs to be defined before current command");
      const StageState& fs = *states_[ref.stage];
      *key_input = "stage " + (fs.layers.empty() ? fs.key.str() : fs.layers.back().chain_id.str());  // by content
      return links_of(Top(fs));
    }
    // A --build-context or an image (pulled when missing, held by the build's lease).
    std::vector<std::string> dirs = WithContext("RUN --mount from=" + m.from, [&] { return SourceDirs(m.from, s, key_input); });
    if (m.type == MountType::kBind && !LayerView(dirs).Lstat(LayerView(dirs).Resolve(m.source, true)))
      throw Error("RUN --mount from=" + m.from + ": " + CleanAbsPath("/" + m.source) + ": not found");
    return dirs;
  }

  void DoRun(int s, StageState& st, const RunCmd& r) {
    RunPlan plan = PlanRun(r.cmd, r.heredocs, st.Shell());
    const std::vector<std::string>& argv = plan.argv;
    std::string shown = r.cmd.json ? json(r.cmd.args).dump() : (r.cmd.args.empty() ? "" : r.cmd.args[0]);
    std::string network = r.network.empty() || r.network == "default" ? o_.network : r.network;
    if (!r.security.empty() && r.security != "sandbox" && r.security != "insecure")
      throw Error("unsupported security mode \"" + r.security + "\" (use sandbox or insecure)");
    bool insecure = r.security == "insecure";
    if (insecure && !entitlements_.security_insecure)
      throw Error("RUN --security=insecure is not allowed: build with `mini build --allow security.insecure`");
    auto args = st.ArgEnv();
    std::string history = "RUN ";
    if (!args.empty()) {
      history += "|" + std::to_string(args.size());
      for (const auto& a : args) history += " " + a;
      history += " ";
    }
    if (!r.heredocs.empty()) history += plan.text;
    else
      for (size_t i = 0; i < argv.size(); ++i) history += (i ? " " : "") + argv[i];
    // Mounts: values expanded against the stage's ARG/ENV (as BuildKit), defaults applied.
    auto vars_vec = st.SubstitutionVars();
    VarLookup vars = LookupIn(vars_vec);
    std::vector<RunMount> mounts =
        ParseRunMounts(r.mounts, [&](const std::string& v) { return lex_.ProcessWord(v, vars); }, st.Workdir());
    std::string extra;
    std::vector<std::vector<std::string>> trees(mounts.size());
    for (size_t i = 0; i < mounts.size(); ++i) {
      extra += " mount=" + RunMountKeyText(mounts[i]);
      if (mounts[i].type == MountType::kBind || (mounts[i].type == MountType::kCache && !mounts[i].from.empty())) {
        std::string input;
        trees[i] = MountTree(s, mounts[i], &input);
        extra += " " + input;
      }
    }
    if (insecure) extra += " security=insecure";
    if (!plan.inline_target.empty()) extra += " inline=" + json(plan.inline_content).dump();
    // Before bridge networks the default was host: the default keeps that key text, so that
    // existing build caches stay valid (the network, like in Docker's classic builder, is not
    // otherwise part of a step's result).
    std::string key_network = network == "bridge" ? "host" : network;
    Digest key = BuildCache::Key(st.key, "RUN " + json(argv).dump() + " network=" + key_network + extra, "", args);
    AddLayerStep(st, key, history, [&] {
      RunStepSpec spec;
      spec.argv = argv;
      spec.extra_env = args;
      for (const auto& p : ProxyEnv(o_.build_args)) spec.extra_env.push_back(p);  // not in history
      spec.image_config = st.Cfg();
      spec.image_id = st.image_id;
      spec.top_layer = Top(st);
      spec.network = network;
      spec.privileged = insecure;
      StepMounts sm(layout_);
      const ContextTree* filtered = PathExists(o_.context + "/" + ignore_name_) ? context_.get() : nullptr;
      spec.mount_points = sm.AddAll(mounts, trees, secrets_, StageView(st), filtered);
      if (!plan.inline_target.empty()) sm.AddInlineFile(plan.inline_target, plan.inline_content, 0755);
      spec.mounts = sm.mounts();
      spec.secret_env = sm.env();
      VertexOutput output(progress_, vtx_);  // the command's output: log lines of its step
      spec.out_fd = spec.err_fd = output.fd();
      try {
        return RunStep(layout_, layers_, spec);
      } catch (const Error& e) {
        // Only the runner's message: the FILE:LINE context is not what Docker users expect here.
        throw RunFailed("RUN " + shown + ": " + e.what());
      }
    });
  }

  void DoCopy(int s, StageState& st, const CopyCmd& cp) {
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

 public:
  /// What `from` names in stage `s` (COPY --from, RUN --mount from=): an earlier stage (by name
  /// or index), a --build-context (a directory, or an image), or an image (pulled when missing).
  /// Returns its layer directories, top first (a context directory is its one "layer");
  /// `cache_id` receives what identifies its content for cache keys. Throws Error.
  std::vector<std::string> SourceDirs(const std::string& from, int s, std::string* cache_id) {
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

  /// The result, as --output says (see DeliverBuild).
  Digest Finish(StageState& st) {
    return DeliverBuild(images_, layers_, st.config, st.layers, o_.labels, output_, o_.tags, o_.iidfile, progress_);
  }

 private:
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

}  // namespace

Digest BuildImage(const Layout& layout, LayerStore& layers, ImageStore& images, const BuildOptions& opts, FILE* out) {
  layout.Ensure();
  BuildOptions o = opts;
  // Bad flags are refused before any work.
  BuildProgress::Mode mode = BuildProgress::ParseMode(o.progress, o.quiet, out);
  OutputSpec output = ParseOutputSpecs(o.outputs);
  ParseBuildContexts(o.build_contexts);
  if (!IsDirectory(o.context)) throw Error("unable to prepare context: path \"" + o.context + "\" not found");
  for (const auto& t : o.tags) ParseReference(t);
  for (const auto& t : output.names) ParseReference(t);
  // Holds the bases and every layer made or reused until the image records them: a prune or
  // rmi meanwhile leaves them (and a kill -9 leaves a lease the next collection removes).
  LeaseScope scope(layout, "build");
  BuildProgress progress(mode, out);
  Builder b(layout, layers, images, o, progress, output);
  return b.Run();
}

}  // namespace mini::build
