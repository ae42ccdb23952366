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
#include "store/layer_store.h"

namespace mini::build {

struct OutputSpec {
  enum class Type { kImage, kLocal, kTar };
  Type type = Type::kImage;
  std::string dest;                ///< local: the directory; tar: the file, "-" for stdout
  std::vector<std::string> names;  ///< image: name=a,b (more tags)
};

/// Parses the --output values: "type=local,dest=DIR", "type=tar,dest=FILE|-", "type=image[,name=N]"
/// ("type=docker" is the same), a bare "DIR" (local) or "-" (tar to stdout); none means image.
/// Throws Error (kInvalidInput) naming the value: `invalid --output "type=zip": unknown type
/// "zip" (local, tar or image)`, `... dest is required for type=local`, `... unknown key "k"`,
/// and "only one --output is supported" for several. Pure.
OutputSpec ParseOutputSpecs(const std::vector<std::string>& values);

/// Writes the merged filesystem of `diff_dirs_top_first` as `spec` (local or tar) says: local
/// creates the directory if needed and extracts into it (paths resolved inside it, owners and
/// modes kept); tar writes a deterministic tar to the file (written beside it and renamed) or
/// to stdout, refusing a terminal. Throws Error naming the destination.
void ExportFilesystem(const std::vector<std::string>& diff_dirs_top_first, const OutputSpec& spec);

/// The end of a build, each part a step of `progress`: the filesystem of `layers` written out
/// (local, tar), the image recorded from `config` (the stage's config document; `labels` added
/// after its own, rootfs and created filled in) and tagged with `tags` and the output's names
/// (for an image output, or when there are names), and `iidfile` written with its id. Returns
/// the image id, empty when none was recorded. Throws Error.
Digest DeliverBuild(ImageStore& images, const LayerStore& layer_store, const nlohmann::json& config,
                    const std::vector<LayerRef>& layers, const std::map<std::string, std::string>& labels,
                    const OutputSpec& output, const std::vector<std::string>& tags, const std::string& iidfile,
                    BuildProgress& progress);

}  // namespace mini::build
