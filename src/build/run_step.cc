#include "build/run_step.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "build/run_mount_setup.h"
#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "run/container.h"
#include "run/launch/launcher.h"
#include "run/lifecycle.h"
#include "run/process_spec.h"
#include "store/image_config.h"

namespace mini::build {

namespace {

/// Removes the build container (state, cgroups, layers) when the step ends.
class ContainerGuard {
 public:
  ContainerGuard(const Layout& layout, std::string id) : layout_(layout), id_(std::move(id)) {}
  ~ContainerGuard() {
    try {
      run::ContainerStore(layout_).Remove(id_);
    } catch (const std::exception& e) {
      Warn(std::string("remove build container ") + id_.substr(0, 12) + ": " + e.what());
    }
  }

 private:
  const Layout& layout_;
  std::string id_;
};

/// An empty bottom layer, so that a RUN on an empty scratch stage has something to mount.
Digest EmptyLayer(const Layout& layout, LayerStore& layers) {
  TempDir tmp(layout.TmpDir(), "empty-");
  std::string diff = tmp.path() + "/diff";
  MakeDirs(diff, 0755);
  return CommitLayerDir(layout, layers, diff, std::nullopt).chain_id;
}

/// Why a step's command may have failed when it did not say: the store's filesystem, which holds
/// the step's upper dir, is full (what an unprivileged writer may use is gone, and root's reserve
/// is small), so its writes failed with ENOSPC inside the container.
std::string FullStoreHint(const std::string& upper) {
  struct statvfs s;
  if (statvfs(upper.c_str(), &s) != 0 || s.f_bavail > 0) return "";
  return " (no space left on device: the store's filesystem is full)";
}

}  // namespace

namespace {

/// The delimiter word when `line` is nothing but one heredoc marker (`<<EOF`, `<<-"EOF"`).
std::optional<std::string> LoneHeredocName(const std::string& line) {
  size_t b = line.find_first_not_of(" \t\r\n"), e = line.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) return std::nullopt;
  std::string t = line.substr(b, e - b + 1);
  if (t.compare(0, 2, "<<") != 0) return std::nullopt;
  size_t i = 2;
  if (i < t.size() && t[i] == '-') i++;
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t')) i++;
  std::string word = t.substr(i);
  if (word.empty() || word.find_first_of("< \t") != std::string::npos) return std::nullopt;
  std::string name;
  for (char c : word)
    if (c != '"' && c != '\'') name += c;
  return name;
}

}  // namespace

RunPlan PlanRun(const CommandLine& cmd, const std::vector<Heredoc>& heredocs, const std::vector<std::string>& shell) {
  RunPlan p;
  if (cmd.json) {
    if (!heredocs.empty()) throw Error("heredocs are not supported in the exec form of RUN");
    p.argv = cmd.args;
    p.text = nlohmann::json(cmd.args).dump();
    return p;
  }
  std::string line = cmd.args.empty() ? "" : cmd.args[0];
  std::string full = line;
  for (const auto& h : heredocs) full += "\n" + h.content + h.name;
  p.argv = shell;
  auto lone = heredocs.size() == 1 ? LoneHeredocName(line) : std::nullopt;
  if (lone && *lone == heredocs[0].name) {
    const std::string& body = heredocs[0].content;
    if (body.compare(0, 2, "#!") == 0) {
      p.inline_target = "/dev/pipes/" + heredocs[0].name;
      p.inline_content = body;
      p.argv.push_back(p.inline_target);
    } else {
      p.argv.push_back(body);
    }
  } else {
    p.argv.push_back(full);
  }
  for (size_t i = 0; i < shell.size(); ++i) p.text += (i ? " " : "") + shell[i];
  p.text += (shell.empty() ? "" : " ") + full;
  return p;
}

LayerRef RunStep(const Layout& layout, LayerStore& layers, const RunStepSpec& spec) {
  Digest lower = spec.top_layer ? *spec.top_layer : EmptyLayer(layout, layers);
  run::ImageInfo image;
  image.id = spec.image_id;
  image.name = "mini-build";
  image.lowers = layers.LowerLinks(lower);
  image.top_layer = lower.str();
  ImageConfig cfg = ImageConfigFromJson(spec.image_config);
  cfg.entrypoint.reset();
  cfg.cmd.reset();
  cfg.healthcheck.reset();
  cfg.volumes.reset();  // Docker does not mount volumes for build steps
  for (const char* k : {"Entrypoint", "Cmd", "Healthcheck", "Volumes"}) cfg.extra.erase(k);  // null or odd shapes
  image.config = ToJson(cfg);

  run::RunSpec rs;
  rs.args = spec.argv;
  rs.entrypoint = std::string();
  rs.env = spec.extra_env;
  rs.network = spec.network;
  rs.remove = false;
  rs.build = true;
  rs.privileged = spec.privileged;

  run::ContainerConfig c = run::CreateContainer(layout, image, rs, "");
  ContainerGuard guard(layout, c.id);
  // Added after config.json is written: secrets and mounts of a build step stay in memory.
  c.spec.mounts = spec.mounts;
  for (const auto& e : spec.secret_env) {
    size_t eq = e.find('=');
    std::string k = e.substr(0, eq);
    if (k == "SSH_AUTH_SOCK") run::DefaultEnv(&c.process.env, k, e.substr(eq + 1));
    else run::SetEnv(&c.process.env, k, e.substr(eq + 1));
  }
  run::IoSpec io;
  io.in = -1;
  io.out = spec.out_fd;
  io.err = spec.err_fd;
  int code;
  try {
    code = run::RunInProcess(layout, c, io);  // the step dies with the build
  } catch (const run::StartError& e) {
    throw Error(std::string(e.what()) + " (exit code " + std::to_string(e.code()) + ")");
  }
  std::string upper = layout.LayerDiff(c.id);
  if (code != 0) throw Error("exit code " + std::to_string(code) + FullStoreHint(upper));
  RemoveMountPoints(upper, spec.mount_points);
  // The step ran on a volatile overlay (launcher.cc): what it wrote, fsynced or not, reaches
  // the disk here, before it becomes a layer.
  {
    UniqueFd fd(open(upper.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || syncfs(fd.get()) != 0) ThrowErrno("sync " + upper);
  }
  std::optional<Digest> parent;
  if (spec.top_layer) parent = spec.top_layer;
  return CommitLayerDir(layout, layers, upper, parent);
}

}  // namespace mini::build
