// Named build contexts and base images (see base_resolver.h).
#include "build/base_resolver.h"

#include <algorithm>
#include <unistd.h>

#include <cstdlib>

#include "common/error.h"
#include "registry/configured_pull.h"
#include "registry/http_client.h"
#include "registry/platform.h"
#include "registry/progress.h"
#include "registry/puller.h"
#include "registry/registry_client.h"
#include "store/reference.h"

namespace mini::build {

namespace {

constexpr const char* kImageScheme = "docker-image://";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Error Bad(const std::string& value, const std::string& why) {
  return Error(ErrorKind::kInvalidInput, "invalid --build-context \"" + value + "\": " + why);
}

}  // namespace

std::map<std::string, NamedContext> ParseBuildContexts(const std::vector<std::string>& values) {
  std::map<std::string, NamedContext> out;
  for (const auto& v : values) {
    size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
      throw Bad(v, "expected NAME=DIR or NAME=docker-image://REF");
    std::string name = v.substr(0, eq), source = v.substr(eq + 1);
    NamedContext c;
    if (source.rfind(kImageScheme, 0) == 0) {
      c.kind = NamedContext::Kind::kImage;
      c.value = source.substr(std::string(kImageScheme).size());
      if (c.value.empty()) throw Bad(v, "docker-image:// needs a reference");
      WithContext("invalid --build-context \"" + v + "\"", [&] { ParseReference(c.value); });
    } else if (source.find("://") != std::string::npos || source.rfind("target:", 0) == 0) {
      throw Bad(v, "unsupported source \"" + source + "\" (a directory or docker-image://REF)");
    } else {
      c.kind = NamedContext::Kind::kDir;
      c.value = source;
    }
    if (!out.emplace(name, c).second) throw Bad(v, "duplicate name \"" + name + "\"");
  }
  return out;
}

const NamedContext* FindNamedContext(const std::map<std::string, NamedContext>& contexts, const std::string& name) {
  if (contexts.empty()) return nullptr;
  if (auto it = contexts.find(name); it != contexts.end()) return &it->second;
  for (const auto& [k, c] : contexts)
    if (Lower(k) == Lower(name)) return &c;
  if (auto ref = TryParseReference(name)) {
    std::string familiar = ref->Familiar();
    if (familiar.size() > 7 && familiar.compare(familiar.size() - 7, 7, ":latest") == 0)
      familiar.resize(familiar.size() - 7);
    for (const auto& [k, c] : contexts) {
      auto kref = TryParseReference(k);
      if (k == familiar || (kref && kref->String() == ref->String())) return &c;
    }
  }
  return nullptr;
}

bool BaseResolver::IsPullable(const std::string& name) const {
  if (Digest::TryParse(name) || Digest::IsValidHex(name)) return false;  // an image id
  return TryParseReference(name).has_value();
}

bool BaseResolver::WillPull(const std::string& name) const {
  if (!IsPullable(name)) return false;
  if (pulled_.count(ParseReference(name).String())) return false;
  return pull_always_ || !images_.Find(name);
}

ImageRecord BaseResolver::Get(const std::string& name, const std::string& platform, FILE* progress) {
  if (!WillPull(name)) {
    if (auto rec = images_.Find(name)) return *rec;
    throw Error(ErrorKind::kNotFound, "No such image: " + name);
  }
  Reference ref = ParseReference(name);
  try {
    registry::RegistriesConfig conf = registry::LoadRegistriesConfig();
    registry::PullOptions po;
    if (!platform.empty()) po.platform = registry::ParsePlatform(platform);
    registry::Progress p(progress ? registry::Progress::Mode::kPlain : registry::Progress::Mode::kQuiet,
                         progress ? progress : stderr);
    registry::ConfiguredPull r = registry::PullAsConfigured(conf, name, registry::RegistryOptionsFromEnv(true), layout_,
                                                            layers_, images_, po, p);
    p.Finish();
    p.Message("Digest: " + r.result.pulled_digest.str());
    pulled_.insert(ref.String());
    return images_.Resolve(r.result.image_id.str());
  } catch (const Error& e) {
    throw e.WithMessage("failed to pull " + ref.Familiar() + ": " + e.what());
  }
}

ImageRecord BaseResolver::Get(const std::string& name, const std::string& platform, BuildProgress& progress) {
  if (!WillPull(name)) return Get(name, platform, static_cast<FILE*>(nullptr));
  auto ref = TryParseReference(name);
  int v = progress.Start("[internal] load metadata for " + (ref ? ref->String() : name));
  std::optional<ImageRecord> rec;
  try {
    VertexOutput out(progress, v);
    FILE* f = fdopen(dup(out.fd()), "w");
    if (!f) ThrowErrno("fdopen");
    try {
      rec = Get(name, platform, f);
    } catch (...) {
      std::fclose(f);
      throw;
    }
    std::fclose(f);  // flushed into the pipe before `out` waits for its end
  } catch (const std::exception& e) {
    progress.Fail(v, e.what());
    throw;
  }
  progress.Done(v);
  return *rec;
}

}  // namespace mini::build
