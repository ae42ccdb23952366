#pragma once
/// Anonymous volumes, as Docker makes them: `-v /path`, `--mount type=volume,dst=/path` without
/// a source, and every VOLUME of the image that no mount of the container covers get a volume
/// of their own, named with 64 random hex digits and labelled `com.docker.volume.anonymous`
/// (Docker 23's label). They are seeded from the image on first use like any empty volume,
/// listed by `volume ls`, and removed with the container by `rm -v` and by `--rm`; a named
/// volume is never removed with a container.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "run/container.h"
#include "run/run_spec.h"
#include "store/layout.h"

namespace mini::run {

/// The label that marks an anonymous volume.
inline constexpr const char* kAnonymousVolumeLabel = "com.docker.volume.anonymous";

/// The targets of `image_config`'s Volumes ("Volumes": {"/data": {}}) that no mount in `mounts`
/// covers, sorted (Docker's map order). Pure.
std::vector<std::string> UncoveredImageVolumes(const nlohmann::json& image_config, const std::vector<MountRequest>& mounts);

/// Creates the anonymous volumes of a new container: names the source-less volume mounts of
/// `spec` and adds one for each uncovered image VOLUME (not for build steps, whose RUN sees the
/// image's directories as BuildKit does). Removes them again when destroyed before Keep().
class AnonymousVolumes {
 public:
  AnonymousVolumes(const Layout& layout, const nlohmann::json& image_config, RunSpec* spec);
  ~AnonymousVolumes() { Undo(); }
  AnonymousVolumes(const AnonymousVolumes&) = delete;
  AnonymousVolumes& operator=(const AnonymousVolumes&) = delete;
  /// The container that names them exists: they stay.
  void Keep() { made_.clear(); }

 private:
  void Undo();

  const Layout& layout_;
  std::vector<std::string> made_;
};

/// `rm -v` and `--rm`: removes the container's anonymous volumes that no other container names
/// (after the container itself is gone). Failures are warnings.
void RemoveAnonymousVolumes(const Layout& layout, const ContainerConfig& c);

}  // namespace mini::run
