#include "build/run_step.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "run/container.h"
#include "run/launch/launcher.h"
#include "run/lifecycle.h"
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

  run::ContainerConfig c = run::CreateContainer(layout, image, rs, "");
  ContainerGuard guard(layout, c.id);
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
  std::optional<Digest> parent;
  if (spec.top_layer) parent = spec.top_layer;
  return CommitLayerDir(layout, layers, upper, parent);
}

}  // namespace mini::build
