#pragma once
/// Where the images and named contexts of a build come from: `--build-context NAME=DIR` or
/// `NAME=docker-image://REF` (parsed here), and the images that FROM, COPY --from and RUN
/// --mount from= name, taken from the store or pulled as `mini pull` does (same verification),
/// BuildKit's way: an image that is not in the store is pulled, and with --pull every image is
/// pulled again (once per build).
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "build/progress.h"
#include "store/image_store.h"
#include "store/layer_store.h"
#include "store/layout.h"

namespace mini::build {

/// One --build-context.
struct NamedContext {
  enum class Kind { kDir, kImage };
  Kind kind = Kind::kDir;
  std::string value;  ///< kDir: the directory as given; kImage: the reference after docker-image://
};

/// Parses the --build-context values into name -> context (names are kept as written; a stage
/// name matches case-insensitively, see FindNamedContext). Throws Error (kInvalidInput):
/// `invalid --build-context "x": expected NAME=DIR or NAME=docker-image://REF`,
/// `... unsupported source "oci-layout://..." (a directory or docker-image://REF)`,
/// `... duplicate name "x"`, and a reference's own error for a bad docker-image:// reference.
/// Pure (a directory's existence is checked when it is used).
std::map<std::string, NamedContext> ParseBuildContexts(const std::vector<std::string>& values);

/// The context that overrides `name` as FROM or COPY --from wrote it: by the name itself, its
/// lower case (stage names) or, for an image reference, its familiar form without ":latest"
/// ("docker.io/library/alpine:latest" -> "alpine"), as buildx matches them. Pure.
const NamedContext* FindNamedContext(const std::map<std::string, NamedContext>& contexts, const std::string& name);

/// Finds base images, pulling what is missing (or everything, with `pull_always`).
class BaseResolver {
 public:
  BaseResolver(const Layout& layout, LayerStore& layers, ImageStore& images, bool pull_always)
      : layout_(layout), layers_(layers), images_(images), pull_always_(pull_always) {}

  /// True when Get(name) would pull (so the caller can show a vertex for it).
  bool WillPull(const std::string& name) const;
  /// The image `name` (a reference or an image id) from the store, pulled first when missing or
  /// with --pull; `platform` ("" = the host's) picks from a multi-platform index. Pull progress
  /// goes to `progress` (nullptr: none). Throws Error("No such image: x") for an id that is not
  /// there, Error("failed to pull NAME: reason") when the pull fails.
  ImageRecord Get(const std::string& name, const std::string& platform, FILE* progress);
  /// Get, a pull shown as BuildKit does: a step "[internal] load metadata for REF" whose lines
  /// are the pull's progress (failed with the error when the pull fails).
  ImageRecord Get(const std::string& name, const std::string& platform, BuildProgress& progress);

 private:
  bool IsPullable(const std::string& name) const;

  const Layout& layout_;
  LayerStore& layers_;
  ImageStore& images_;
  bool pull_always_;
  std::set<std::string> pulled_;  ///< references pulled by this build
};

}  // namespace mini::build
