// Pull on demand for run and create (Docker's --pull missing|always|never).
#include "registry/pull_on_demand.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "common/error.h"
#include "registry/credentials.h"
#include "registry/http_client.h"
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

RegistryOptions DefaultRegistryOptions(bool tls_verify) {
  RegistryOptions o;
  o.tls_verify = tls_verify;
  if (const char* b = std::getenv("MINI_REGISTRY_BACKOFF_MS")) o.backoff = std::chrono::milliseconds(std::atoi(b));
  if (const char* s = std::getenv("MINI_REGISTRY_STALL_TIMEOUT")) o.stall_timeout_s = std::max(1, std::atoi(s));
  if (const char* c = std::getenv("MINI_CERTS_DIR"); c && *c) o.certs_dir = c;
  return o;
}

ImageRecord ImageForRun(const Layout& layout, LayerStore& layers, ImageStore& images, const std::string& name,
                        PullPolicy policy, const std::string& platform, FILE* out) {
  std::optional<ImageRecord> have = images.Find(name);
  // An image id (or a prefix of one) names content, not a registry location.
  std::optional<Reference> ref = TryParseReference(name);
  bool is_id = have && ref && have->id.hex().rfind(name, 0) == 0;
  if (have && (policy != PullPolicy::kAlways || is_id || !ref)) return *have;
  if (!ref || policy == PullPolicy::kNever) throw Error(ErrorKind::kNotFound, "No such image: " + name);
  auto http = NewCurlHttpClient();
  TokenCache tokens;
  RegistryClient client(*http, ref->domain, ref->path, DefaultRegistryOptions(), LookupCredential(ref->domain), tokens);
  PullOptions po;
  if (!platform.empty()) po.platform = ParsePlatform(platform);
  Progress progress(Progress::Mode::kPlain, out);
  if (!have) progress.Message("Unable to find image '" + ref->Familiar() + "' locally");
  progress.Message((ref->digest ? ref->digest->str() : ref->tag) + ": Pulling from " + ref->path);
  PullResult r = WithContext("pull " + ref->Familiar(), [&] {
    return PullImage(client, layout, layers, images, *ref, po, progress);
  });
  progress.Finish();
  progress.Message("Digest: " + r.pulled_digest.str());
  progress.Message(std::string(r.updated ? "Status: Downloaded newer image for " : "Status: Image is up to date for ") +
                   ref->Familiar());
  return images.Resolve(r.image_id.str());
}

}  // namespace mini::registry
