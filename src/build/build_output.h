#pragma once
/// `mini build --output`: where the result goes (buildx's syntax). An image in the store (the
/// default), the final stage's filesystem written into a directory, or that filesystem as a tar
/// (a file, or stdout for "-").
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "build/layer_commit.h"
#include "build/progress.h"
#include "common/digest.h"
#include "store/image_store.h"
#include "store/layer_compression.h"
#include "store/layer_store.h"

namespace mini::build {

struct OutputSpec {
  enum class Type { kImage, kLocal, kTar, kOci };
  Type type = Type::kImage;
  std::string dest;                ///< local: the directory; tar, oci: the file, "-" for stdout
  std::vector<std::string> names;  ///< image, oci: name=a,b (more tags)
  /// image, oci: BuildKit's compression=gzip|zstd, compression-level=N, force-compression=BOOL
  /// (store/layer_compression.h; an image output keeps its layers so compressed in the store).
  CompressionOptions compression;
};

/// Parses the --output values: "type=local,dest=DIR", "type=tar,dest=FILE|-",
/// "type=image[,name=N]" ("type=docker" is the same), "type=oci,dest=FILE|-" (an OCI layout tar
/// of the image, which is recorded too), a bare "DIR" (local) or "-" (tar to stdout); none means
/// image. image and oci also take compression=gzip|zstd, compression-level=N,
/// force-compression=true|false and oci-mediatypes=true (mini's images are OCI already).
/// Throws Error (kInvalidInput) naming the value: `invalid --output "type=zip": unknown type
/// "zip" (local, tar, oci or image)`, `... dest is required for type=local`, `... unknown key
/// "k"`, `... invalid compression "lz4": use gzip or zstd`, and "only one --output is
/// supported" for several. Pure.
OutputSpec ParseOutputSpecs(const std::vector<std::string>& values);

/// Writes the merged filesystem of `diff_dirs_top_first` as `spec` (local or tar) says: local
/// creates the directory if needed and extracts into it (paths resolved inside it, owners and
/// modes kept); tar writes a deterministic tar to the file (written beside it and renamed) or
/// to stdout, refusing a terminal. Throws Error naming the destination.
void ExportFilesystem(const std::vector<std::string>& diff_dirs_top_first, const OutputSpec& spec);

/// The end of a build, each part a step of `progress`: the filesystem of `layers` written out
/// (local, tar), the image recorded (its layers compressed as the output says), written as an
/// OCI archive (oci) from `config` (the stage's config document; `labels` added
/// after its own, rootfs and created filled in) and tagged with `tags` and the output's names
/// (for an image output, or when there are names), and `iidfile` written with its id. Returns
/// the image id, empty when none was recorded. Throws Error.
Digest DeliverBuild(ImageStore& images, const LayerStore& layer_store, const nlohmann::json& config,
                    const std::vector<LayerRef>& layers, const std::map<std::string, std::string>& labels,
                    const OutputSpec& output, const std::vector<std::string>& tags, const std::string& iidfile,
                    BuildProgress& progress);

}  // namespace mini::build
