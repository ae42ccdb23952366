#include "build/run_step.h"

#include <fcntl.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "run/container.h"
#include "run/launch/launcher.h"
#include "run/lifecycle.h"

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

}  // namespace

LayerRef RunStep(const Layout& layout, LayerStore& layers, const RunStepSpec& spec) {
  Digest lower = spec.top_layer ? *spec.top_layer : EmptyLayer(layout, layers);
  run::ImageInfo image;
  image.id = spec.image_id;
  image.name = "mini-build";
  image.lowers = layers.LowerLinks(lower);
  image.config = spec.image_config;
  image.config.erase("Entrypoint");
  image.config.erase("Cmd");
  image.config.erase("Healthcheck");
  image.config.erase("Volumes");  // Docker does not mount volumes for build steps

  run::RunSpec rs;
  rs.args = spec.argv;
  rs.entrypoint = std::string();
  rs.env = spec.extra_env;
  rs.network = spec.network;
  rs.remove = false;

  run::ContainerConfig c = run::CreateContainer(layout, image, rs, "");
  ContainerGuard guard(layout, c.id);
  run::IoSpec io;
  io.in = -1;
  io.out = spec.out_fd;
  io.err = spec.err_fd;
  int code;
  try {
    code = run::RunAttached(layout, c, io);
  } catch (const run::StartError& e) {
    throw Error(std::string(e.what()) + " (exit code " + std::to_string(e.code()) + ")");
  }
  if (code != 0) throw Error("exit code " + std::to_string(code));
  std::string upper = layout.LayerDiff(c.id);
  std::optional<Digest> parent;
  if (spec.top_layer) parent = spec.top_layer;
  return CommitLayerDir(layout, layers, upper, parent);
}

}  // namespace mini::build
