// Pull on demand for run and create (Docker's --pull missing|always|never).
#include "registry/pull_on_demand.h"

#include "common/error.h"
#include "registry/configured_pull.h"
#include "registry/platform.h"
#include "registry/progress.h"
#include "registry/puller.h"
#include "store/reference.h"

namespace mini::registry {

PullPolicy ParsePullPolicy(const std::string& value) {
  if (value.empty() || value == "missing") return PullPolicy::kMissing;
  if (value == "always") return PullPolicy::kAlways;
  if (value == "never") return PullPolicy::kNever;
  throw Error(ErrorKind::kInvalidInput,
              "invalid pull option: '" + value + "': must be one of \"always\", \"missing\" or \"never\"");
}

ImageRecord ImageForRun(const Layout& layout, LayerStore& layers, ImageStore& images, const std::string& name,
                        PullPolicy policy, const std::string& platform, FILE* out) {
  std::optional<ImageRecord> have = images.Find(name);
  // An image id (or a prefix of one) names content, not a registry location.
  std::optional<Reference> ref = TryParseReference(name);
  bool is_id = have && ref && have->id.hex().rfind(name, 0) == 0;
  if (have && (policy != PullPolicy::kAlways || is_id || !ref)) return *have;
  if (!ref || policy == PullPolicy::kNever) throw Error(ErrorKind::kNotFound, "No such image: " + name);
  RegistriesConfig conf = LoadRegistriesConfig();
  PullOptions po;
  if (!platform.empty()) po.platform = ParsePlatform(platform);
  Progress progress(Progress::Mode::kPlain, out);
  if (!have) progress.Message("Unable to find image '" + ref->Familiar() + "' locally");
  ConfiguredPull r = WithContext("pull " + ref->Familiar(), [&] {
    return PullShowingStatus(conf, name, RegistryOptionsFromEnv(true), layout, layers, images, po, progress);
  });
  return images.Resolve(r.result.image_id.str());
}

}  // namespace mini::registry
