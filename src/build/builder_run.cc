// The builder's RUN: the step's key and its run through the runner, with its mounts.
#include "build/builder_internal.h"

#include <nlohmann/json.hpp>

#include "build/automatic_args.h"
#include "build/copy_step.h"
#include "build/run_mount.h"
#include "build/run_mount_setup.h"
#include "build/run_step.h"
#include "common/fs.h"
#include "common/path.h"

namespace mini::build::detail {

using nlohmann::json;

/// The host directories (top first) of a RUN --mount's `from` tree and the text keying it;
/// the context's content is hashed like COPY's sources.
std::vector<std::string> Builder::MountTree(int s, const RunMount& m, std::string* key_input) {
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

void Builder::DoRun(int s, StageState& st, const RunCmd& r) {
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

}  // namespace mini::build::detail
