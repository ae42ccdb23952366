#include "build/builder.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

#include "build/automatic_args.h"
#include "build/build_cache.h"
#include "build/chown_spec.h"
#include "build/copy_plan.h"
#include "build/copy_step.h"
#include "build/file_hash_cache.h"
#include "build/instructions.h"
#include "build/link_layer.h"
#include "build/minifile_parser.h"
#include "build/run_mount.h"
#include "build/run_mount_setup.h"
#include "build/run_step.h"
#include "build/stage_state.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/human.h"
#include "common/path.h"
#include "store/importer.h"
#include "store/lease.h"

namespace mini::build {

using nlohmann::json;

namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

/// A RUN failure: its message is used as it is, without the FILE:LINE prefix.
class RunFailed : public Error {
 public:
  using Error::Error;
};

/// Where a stage's base or a COPY --from points.
struct Ref {
  int stage = -1;       ///< an earlier stage
  std::string image;    ///< else an image name ("scratch" for none)
};

class Builder {
 public:
  Builder(const Layout& layout, LayerStore& layers, ImageStore& images, const BuildOptions& o, FILE* out)
      : layout_(layout), layers_(layers), images_(images), o_(o), out_(out), cache_(layout) {}
  /// The file hashes learnt are kept even when the build fails: the files were read either way.
  ~Builder() { file_hashes_.Save(); }

  Digest Run() {
    Load();
    std::vector<bool> needed(mf_.stages.size(), false);
    int target = TargetStage();
    Need(target, needed);
    total_ = 0;
    for (size_t i = 0; i < mf_.stages.size(); ++i)
      if (needed[i]) total_ += 1 + static_cast<int>(mf_.stages[i].commands.size());
    states_.resize(mf_.stages.size());
    for (size_t i = 0; i < mf_.stages.size(); ++i)
      if (needed[i]) BuildStage(static_cast<int>(i));
    std::vector<std::string> unused;
    for (const auto& [k, v] : o_.build_args)
      if (!used_args_[k]) unused.push_back(k);
    if (!unused.empty() && !o_.quiet) {
      std::string list;
      for (const auto& u : unused) list += (list.empty() ? "" : " ") + u;
      std::fprintf(stderr, "[Warning] One or more build-args [%s] were not consumed\n", list.c_str());
    }
    return Finish(*states_[target]);
  }

 private:
  void Say(const std::string& line) {
    if (o_.quiet) return;
    std::fprintf(out_, "%s\n", line.c_str());
    std::fflush(out_);
  }

  void Load() {
    std::string path = FindMinifile(o_.context, o_.file);
    pf_ = ParseMinifile(ReadFile(path, 16 << 20), path);
    for (const auto& w : pf_.warnings) Say("[Warning] " + w);
    mf_ = ParseStages(pf_);
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
    }
  }

  std::string Where(const Node& n) const { return mf_.file + ":" + std::to_string(n.start_line); }

  Ref Resolve(const std::string& name, int before) const {
    std::string l = Lower(name);
    for (int i = 0; i < before; ++i)
      if (!mf_.stages[i].from.name.empty() && mf_.stages[i].from.name == l) return {i, ""};
    return {-1, name};
  }

  Ref CopyFromRef(const std::string& from, int stage) const {
    if (AllDigits(from)) {
      int idx = std::stoi(from);
      if (idx >= stage) throw Error("COPY --from=" + from + ": invalid stage index (must refer to an earlier stage)");
      return {idx, ""};
    }
    return Resolve(from, stage);
  }

  int TargetStage() const {
    if (o_.target.empty()) return static_cast<int>(mf_.stages.size()) - 1;
    for (size_t i = 0; i < mf_.stages.size(); ++i)
      if (mf_.stages[i].from.name == Lower(o_.target)) return static_cast<int>(i);
    throw Error("target stage \"" + o_.target + "\" could not be found");
  }

  void Need(int s, std::vector<bool>& needed) const {
    if (needed[s]) return;
    needed[s] = true;
    const Stage& st = mf_.stages[s];
    Ref base = Resolve(st.from.image, s);
    if (base.stage >= 0) Need(base.stage, needed);
    for (const auto& c : st.commands)
      if (auto* cp = std::get_if<CopyCmd>(&c.ins); cp && !cp->from.empty()) {
        Ref r = CopyFromRef(lex_.ProcessWord(cp->from, LookupIn(global_vars_)), s);
        if (r.stage >= 0) Need(r.stage, needed);
      } else if (auto* run = std::get_if<RunCmd>(&c.ins)) {
        for (const auto& from : RunMountFroms(run->mounts)) {
          Ref r = CopyFromRef(from, s);
          if (r.stage >= 0) Need(r.stage, needed);
        }
      }
  }

  std::string StepHeader(const std::string& original) { return "Step " + std::to_string(++step_) + "/" + std::to_string(total_) + " : " + original; }

  void BuildStage(int s) {
    const Stage& stage = mf_.stages[s];
    Say(StepHeader(stage.from_node.original));
    Ref base = Resolve(stage.from.image, s);
    StageState st;
    if (base.stage >= 0) {
      st = *states_[base.stage];
      st.args.clear();
      st.cmd_set = false;
      Say(" ---> " + st.key.Short());
    } else if (Lower(base.image) == "scratch") {
      st = ScratchState(HostArchitecture());
      st.key = BuildCache::Key(Digest(), "FROM scratch", "", {});
      Say(" ---> " + st.key.Short());
    } else {
      auto rec = images_.Find(base.image);
      if (!rec) throw Error(ErrorKind::kNotFound, Where(stage.from_node) + ": FROM " + base.image + ": No such image: " + base.image + " (pull it first with `mini pull`)");
      images_.Hold(*CurrentLease(), *rec);  // untagged or removed meanwhile, it stays for this build
      st = StateFromImage(rec->config);
      st.image_id = rec->id.str();
      const json& ml = rec->manifest["layers"];
      for (size_t i = 0; i < rec->chain_ids.size(); ++i) {
        LayerRef r{rec->chain_ids[i], rec->diff_ids[i], {}};
        if (ml.is_array() && i < ml.size()) r.blob = ParseDescriptor(ml[i]);
        st.layers.push_back(r);
      }
      st.key = BuildCache::Key(Digest(), "FROM " + rec->id.str(), "", {});
      Say(" ---> " + rec->id.Short());
    }
    RunTriggers(s, st);
    for (const auto& c : stage.commands) {
      Say(StepHeader(c.node.original));
      try {
        Dispatch(s, st, c);
      } catch (const RunFailed&) {
        throw;
      } catch (const Error& e) {
        throw Error(Where(c.node) + ": " + e.what());
      }
    }
    states_[s] = std::move(st);
  }

  /// Docker's ONBUILD: the base's triggers run right after FROM, in order, against this build's
  /// context; they are consumed (the new image does not inherit them).
  void RunTriggers(int s, StageState& st) {
    std::vector<std::string> triggers = st.TypedConfig().on_build.value_or(std::vector<std::string>{});
    st.Cfg().erase("OnBuild");
    if (triggers.empty()) return;
    const Node& from = mf_.stages[s].from_node;
    Say("# Executing " + std::to_string(triggers.size()) + " build trigger" + (triggers.size() == 1 ? "" : "s"));
    for (const auto& t : triggers) {
      try {
        Command c = ParseTrigger(t, from.start_line);
        Say(" ---> Running trigger: " + c.node.original);
        Dispatch(s, st, c);
      } catch (const RunFailed&) {
        throw;
      } catch (const Error& e) {
        throw Error(Where(from) + ": ONBUILD " + t + ": " + e.what());
      }
    }
  }

  /// Looks the key up; on a hit prints and returns the entry.
  std::optional<CacheEntry> Cached(const Digest& key) {
    if (o_.no_cache) return std::nullopt;
    auto e = cache_.Lookup(key, layers_, layout_);
    if (e) Say(" ---> Using cache (CACHED)");
    return e;
  }

  void Dispatch(int s, StageState& st, const Command& c) {
    if (std::string f = UnexecutedFeature(c.ins); !f.empty()) throw Error(f + " is parsed but not executed by this build of mini yet");
    if (IsMetadata(c.ins)) {
      StageState next = st;
      std::string text = ApplyMetadata(next, c.ins, lex_, o_.build_args, global_args_, &used_args_);
      Digest key = BuildCache::Key(st.key, text, "", next.ArgEnv());
      if (std::holds_alternative<WorkdirCmd>(c.ins) && !StageView(next).Lstat(CleanPathComponents(next.Workdir()))) {
        // Docker creates a missing WORKDIR (root-owned, 0755) in a layer of its own.
        AddLayerStep(next, key, text, [&] {
          TempDir staging(layout_.TmpDir(), "workdir-");
          std::string diff = staging.path() + "/diff";
          MakeDirs(diff + next.Workdir(), 0755);
          return CommitLayerDir(layout_, layers_, diff, Top(next));
        });
        st = std::move(next);
        return;
      }
      auto hit = Cached(key);
      std::string created = hit ? hit->created : NowRfc3339();
      if (!hit) cache_.Store(key, {created, std::nullopt});
      next.AddHistory(text, created, true);
      next.key = key;
      st = std::move(next);
      Say(" ---> " + key.Short());
      return;
    }
    if (auto* r = std::get_if<RunCmd>(&c.ins)) return DoRun(s, st, *r);
    if (auto* cp = std::get_if<CopyCmd>(&c.ins)) return DoCopy(s, st, *cp);
    throw Error("unexpected instruction " + c.node.cmd);
  }

  std::optional<Digest> Top(const StageState& st) const {
    if (st.layers.empty()) return std::nullopt;
    return st.layers.back().chain_id;
  }

  /// The stage's merged filesystem so far.
  LayerView StageView(const StageState& st) const {
    std::vector<std::string> dirs;
    for (auto it = st.layers.rbegin(); it != st.layers.rend(); ++it) dirs.push_back(layers_.DiffDir(it->chain_id));
    return LayerView(dirs);
  }

  void AddLayerStep(StageState& st, const Digest& key, const std::string& history,
                    const std::function<LayerRef()>& make) {
    auto hit = Cached(key);
    // A cached layer is held from here; one collected since the lookup is a miss.
    if (hit && hit->chain_id && !CurrentLease()->AddLayerIfExists(*hit->chain_id)) hit.reset();
    std::string created;
    LayerRef ref;
    if (hit && hit->chain_id) {
      created = hit->created;
      ref = LayerRefOf(layers_, *hit->chain_id);
    } else {
      ref = make();
      created = NowRfc3339();
      cache_.Store(key, {created, ref.chain_id});
    }
    st.layers.push_back(ref);
    st.AddHistory(history, created, false);
    st.key = key;
    Say(" ---> " + key.Short());
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
      *key_input = "stage " + fs.key.str();
      return links_of(Top(fs));
    }
    auto rec = images_.Find(ref.image);
    if (!rec) throw Error(ErrorKind::kNotFound, "RUN --mount from=" + m.from + ": No such image: " + ref.image);
    images_.Hold(*CurrentLease(), *rec);
    *key_input = "image " + rec->id.str();
    return links_of(rec->chain_ids.empty() ? std::nullopt : std::optional<Digest>(rec->chain_ids.back()));
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
      UniqueFd devnull;
      if (o_.quiet) {
        devnull.reset(open("/dev/null", O_WRONLY | O_CLOEXEC));
        spec.out_fd = spec.err_fd = devnull.get();
      }
      std::fflush(out_);
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
      Ref ref = CopyFromRef(from.from, s);
      std::vector<std::string> dirs;
      if (ref.stage >= 0) {
        const StageState& fs = *states_[ref.stage];
        for (auto it = fs.layers.rbegin(); it != fs.layers.rend(); ++it) dirs.push_back(layers_.DiffDir(it->chain_id));
        from.inputs = "stage " + fs.key.str();
      } else {
        auto rec = images_.Find(ref.image);
        if (!rec) throw Error(ErrorKind::kNotFound, "COPY --from=" + from.from + ": No such image: " + ref.image);
        images_.Hold(*CurrentLease(), *rec);
        for (auto it = rec->chain_ids.rbegin(); it != rec->chain_ids.rend(); ++it) dirs.push_back(layers_.DiffDir(*it));
        from.inputs = "image " + rec->id.str();
      }
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
      return LinkedLayerStep(st, key, plan.text, [&] { return build(LayerView({})); });
    }
    Digest key = BuildCache::Key(st.key, plan.text, plan.inputs, st.ArgEnv());
    AddLayerStep(st, key, plan.text, [&] { return build(StageView(st)); });
  }

  /// COPY --link: `key` does not chain on the stage, so a hit made over another base is reused;
  /// its diff is then registered on this stage's top layer. The stage's key after the step
  /// chains on both, as BuildKit's merge does.
  void LinkedLayerStep(StageState& st, const Digest& key, const std::string& history,
                       const std::function<LayerRef()>& make) {
    auto hit = Cached(key);
    if (hit && hit->chain_id && !CurrentLease()->AddLayerIfExists(*hit->chain_id)) hit.reset();
    LayerRef ref;
    std::string created;
    if (hit && hit->chain_id) {
      created = hit->created;
      ref = RebaseLayer(layout_, layers_, *hit->chain_id, Top(st));
    } else {
      ref = make();
      created = NowRfc3339();
      cache_.Store(key, {created, ref.chain_id});
    }
    st.layers.push_back(ref);
    st.AddHistory(history, created, false);
    st.key = BuildCache::Key(st.key, "link " + key.str(), "", {});
    Say(" ---> " + st.key.Short());
  }

  Digest Finish(StageState& st) {
    json config = st.config;
    json diff_ids = json::array();
    std::vector<Descriptor> descs;
    for (const auto& l : st.layers) {
      diff_ids.push_back(l.diff_id.str());
      descs.push_back(l.blob);
    }
    config["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_ids}};
    const json& h = config["history"];
    config["created"] = h.is_array() && !h.empty() ? h.back().value("created", NowRfc3339()) : NowRfc3339();
    Digest id = images_.CreateImage(config, descs);
    Say("Successfully built " + id.Short());
    for (const auto& t : o_.tags) {
      Reference ref = ParseReference(t);
      images_.Tag(ref, id);
      Say("Successfully tagged " + ref.Familiar());
    }
    return id;
  }

  const Layout& layout_;
  LayerStore& layers_;
  ImageStore& images_;
  const BuildOptions& o_;
  FILE* out_;
  BuildCache cache_;
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
  int total_ = 0, step_ = 0;
  // RUN --mount=type=secret|ssh and --security/--network entitlements: read at the start.
  BuildSecrets secrets_{o_.secrets, o_.ssh};
  Entitlements entitlements_{ParseAllow(o_.allow)};
};

}  // namespace

Digest BuildImage(const Layout& layout, LayerStore& layers, ImageStore& images, const BuildOptions& opts, FILE* out) {
  layout.Ensure();
  BuildOptions o = opts;
  if (!IsDirectory(o.context)) throw Error("unable to prepare context: path \"" + o.context + "\" not found");
  for (const auto& t : o.tags) ParseReference(t);  // refuse bad tags before any work
  // Holds the bases and every layer made or reused until the image records them: a prune or
  // rmi meanwhile leaves them (and a kill -9 leaves a lease the next collection removes).
  LeaseScope scope(layout, "build");
  Builder b(layout, layers, images, o, out);
  return b.Run();
}

}  // namespace mini::build
