// Pulls through mirrors and search registries (see configured_pull.h).
#include "registry/configured_pull.h"

#include <cstdlib>

#include "common/error.h"
#include "common/log.h"
#include "registry/credentials.h"
#include "store/event_log.h"

namespace mini::registry {

RegistryOptions RegistryOptionsFromEnv(bool tls_verify) {
  RegistryOptions o;
  o.tls_verify = tls_verify;
  if (const char* b = std::getenv("MINI_REGISTRY_BACKOFF_MS")) o.backoff = std::chrono::milliseconds(std::atoi(b));
  if (const char* s = std::getenv("MINI_REGISTRY_STALL_TIMEOUT")) o.stall_timeout_s = std::max(1, std::atoi(s));
  return o;
}

RegistryOptions OptionsForRegistry(const RegistriesConfig& conf, const std::string& name, RegistryOptions base) {
  const RegistryEntry* e = FindRegistry(conf, name);
  if (e && e->blocked) throw Error("registry \"" + e->prefix + "\" is blocked in " + e->source);
  if ((e && e->insecure) || IsInsecureRegistry(conf, name.substr(0, name.find('/')))) base.tls_verify = false;
  return base;
}

namespace {

PullResult PullFromEndpoints(const RegistriesConfig& conf, const Reference& ref, const RegistryOptions& base,
                             const Layout& layout, LayerStore& layers, ImageStore& images, const PullOptions& opts,
                             Progress& progress) {
  std::vector<Endpoint> endpoints = PullEndpoints(conf, ref);
  auto http = NewCurlHttpClient();
  for (size_t i = 0;; i++) {
    const Endpoint& ep = endpoints[i];
    RegistryOptions o = base;
    if (ep.insecure) o.tls_verify = false;
    // A mirror gets one try, no retry with backoff (Docker's rule): the origin is the real source.
    if (ep.mirror) o.max_attempts = 1;
    TokenCache tokens;
    RegistryClient client(*http, ep.domain, ep.repo, o, LookupCredential(ep.domain), tokens);
    if (i + 1 == endpoints.size()) return PullImage(client, layout, layers, images, ref, opts, progress);
    try {
      Debug("pulling " + ref.String() + " from mirror " + ep.domain + "/" + ep.repo);
      return PullImage(client, layout, layers, images, ref, opts, progress);
    } catch (const Error& e) {
      // Docker's rule: whatever went wrong with a mirror (unreachable, lacking the image, 401
      // or 403, a TLS error, bytes that fail verification) the next endpoint is tried; only
      // what would fail at the origin as well (a full disk, a bad reference) stops the pull.
      if (e.kind() == ErrorKind::kNoSpace || e.kind() == ErrorKind::kInvalidInput) throw;
      Debug("mirror " + ep.domain + ": " + e.what() + "; trying " + (i + 2 == endpoints.size() ? "the origin" : "the next mirror"));
    }
  }
}

}  // namespace

ConfiguredPull PullAsConfigured(const RegistriesConfig& conf, const std::string& input, const RegistryOptions& base,
                                const Layout& layout, LayerStore& layers, ImageStore& images, const PullOptions& opts,
                                Progress& progress, const std::function<void(const Reference&)>& on_candidate) {
  std::vector<Reference> candidates = ShortNameCandidates(conf, input);
  for (size_t i = 0;; i++) {
    const Reference& ref = candidates[i];
    if (on_candidate) on_candidate(ref);
    try {
      return {ref, PullFromEndpoints(conf, ref, base, layout, layers, images, opts, progress)};
    } catch (const Error& e) {
      Error named = e.WithMessage(ref.Familiar() + ": " + e.what());
      if (i + 1 == candidates.size()) {
        if (candidates.size() == 1) throw;
        throw named;
      }
      Debug(std::string(named.what()) + "; trying the next search registry");
    }
  }
}

ConfiguredPull PullShowingStatus(const RegistriesConfig& conf, const std::string& input, const RegistryOptions& base,
                                 const Layout& layout, LayerStore& layers, ImageStore& images, const PullOptions& opts,
                                 Progress& progress) {
  ConfiguredPull r = PullAsConfigured(conf, input, base, layout, layers, images, opts, progress, [&](const Reference& c) {
    progress.Message((c.digest ? c.digest->str() : c.tag) + ": Pulling from " + c.path);
  });
  progress.Finish();
  progress.Message("Digest: " + r.result.pulled_digest.str());
  progress.Message(std::string(r.result.updated ? "Status: Downloaded newer image for " : "Status: Image is up to date for ") +
                   r.ref.Familiar());
  // Docker's event for every pull, `mini pull`'s and run/create/build's pulls on demand alike.
  RecordEvent(layout, {"image", "pull", r.ref.Familiar(), {{"name", r.ref.FamiliarName()}}});
  return r;
}

}  // namespace mini::registry
