#pragma once
/// Pull and push as the registries configuration says (registries_conf.h): a short name's
/// candidates in order, each from its mirrors first and its origin last, blocked registries
/// refused before any request, insecure ones allowed plain HTTP and unverified TLS. The image
/// keeps the name and digests of the reference it was asked for, whichever endpoint served it
/// (PullImage verifies every byte against the digests the manifest names).
#include <functional>
#include <string>

#include "registry/puller.h"
#include "registry/registries_conf.h"
#include "registry/registry_client.h"

namespace mini::registry {

struct ConfiguredPull {
  Reference ref;  ///< the candidate the image was stored under
  PullResult result;
};

/// Pulls what the user typed. `base` holds the command's options (tls_verify=false makes every
/// endpoint insecure). `on_candidate` is told each candidate before it is tried (progress
/// lines). A mirror that fails in any way the origin would not (unreachable, 404, 5xx, 401 or
/// 403, TLS, verification) is passed over; the last error is thrown, naming the reference. Credentials are looked up
/// per endpoint host.
ConfiguredPull PullAsConfigured(const RegistriesConfig& conf, const std::string& input, const RegistryOptions& base,
                                const Layout& layout, LayerStore& layers, ImageStore& images, const PullOptions& opts,
                                Progress& progress, const std::function<void(const Reference&)>& on_candidate = {});

/// PullAsConfigured with `mini pull`'s progress lines, in Docker's words: "TAG: Pulling from
/// PATH" for each candidate, the layers' rows, then "Digest: ..." and "Status: Downloaded newer
/// image for NAME" (or "Image is up to date for NAME"). `mini pull` and run's pull on demand.
ConfiguredPull PullShowingStatus(const RegistriesConfig& conf, const std::string& input, const RegistryOptions& base,
                                 const Layout& layout, LayerStore& layers, ImageStore& images, const PullOptions& opts,
                                 Progress& progress);

/// The options for talking to the registry of `name` ("host/repo", or "host" for login) itself:
/// insecure when configured so. Throws Error when it is blocked.
RegistryOptions OptionsForRegistry(const RegistriesConfig& conf, const std::string& name, RegistryOptions base);

/// The registry options from the environment's test knobs (MINI_REGISTRY_BACKOFF_MS,
/// MINI_REGISTRY_STALL_TIMEOUT) and --tls-verify.
RegistryOptions RegistryOptionsFromEnv(bool tls_verify);

}  // namespace mini::registry
