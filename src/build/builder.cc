#include "build/builder.h"
#include "build/builder_internal.h"

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
#include "build/copy_step.h"
#include "build/file_hash_cache.h"
#include "build/instructions.h"
#include "build/link_layer.h"
#include "build/minifile_parser.h"
#include "build/progress.h"
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

namespace detail {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Digest Builder::Run() {
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

void Builder::Load() {
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

/// Starts the vertex of a step with a filesystem result (RUN, COPY, ADD, WORKDIR).
void Builder::BeginStep(int s, const Command& c) {
  vtx_ = progress_.Start(steps_.Next((in_trigger_ ? "ONBUILD " : "") + c.node.original));
}

/// Runs one instruction as its vertex: done, cached, or failed with the error.
void Builder::Step(int s, StageState& st, const Command& c) {
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
ImageRecord Builder::GetImage(const std::string& name, const std::string& platform) {
  ImageRecord rec = bases_.Get(name, platform, progress_);
  images_.Hold(*CurrentLease(), rec);
  return rec;
}

/// A stage's base from a --build-context directory: its files (root-owned, as COPY makes
/// them) in one layer over an empty config, cached by their content.
StageState Builder::StateFromDir(const NamedContext& c) {
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

void Builder::BuildStage(int s) {
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
void Builder::RunTriggers(int s, StageState& st) {
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
std::optional<CacheEntry> Builder::Cached(const Digest& key) {
  if (o_.no_cache || no_cache_stage_) return std::nullopt;
  return cache_.Lookup(key, layers_, layout_);
}

void Builder::Dispatch(int s, StageState& st, const Command& c) {
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

/// A step that makes a layer: a cache hit reuses the cached layer (held from here; one
/// collected since the lookup is a miss), else `make` builds it. `linked` (COPY --link): the
/// key does not chain on the stage, so a hit made over another base is reused by registering
/// its diff on this stage's top layer, and the stage's key after the step chains on both, as
/// BuildKit's merge does. Otherwise a hit must sit on this stage's top layer (a
/// --no-cache-filter rebuild below may have changed it), else it is a miss.
void Builder::AddLayerStep(StageState& st, const Digest& key, const std::string& history,
                  const std::function<LayerRef()>& make, bool linked) {
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

/// The result, as --output says (see DeliverBuild).
Digest Builder::Finish(StageState& st) {
  return DeliverBuild(images_, layers_, st.config, st.layers, o_.labels, output_, o_.tags, o_.iidfile, progress_);
}

}  // namespace detail

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
  detail::Builder b(layout, layers, images, o, progress, output);
  return b.Run();
}

}  // namespace mini::build
