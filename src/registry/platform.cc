// Platform parsing, normalization and index entry selection (see platform.h).
#include "registry/platform.h"

#include <algorithm>

#include "common/error.h"
#include "common/strings.h"
#include "store/importer.h"

namespace mini::registry {

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// Variants an arm machine of `variant` can run, best first.
std::vector<std::string> CompatibleVariants(const Platform& p) {
  if (p.architecture == "arm") {
    if (p.variant == "v8") return {"v8", "v7", "v6", "v5"};
    if (p.variant == "v7" || p.variant.empty()) return {"v7", "v6", "v5"};
    if (p.variant == "v6") return {"v6", "v5"};
    return {p.variant};
  }
  return {p.variant};
}

}  // namespace

Platform NormalizePlatform(Platform p) {
  p.os = Lower(p.os);
  p.architecture = Lower(p.architecture);
  p.variant = Lower(p.variant);
  if (p.os == "macos") p.os = "darwin";
  const std::string& a = p.architecture;
  if (a == "x86_64" || a == "x86-64") {
    p.architecture = "amd64";
  } else if (a == "i386" || a == "i686") {
    p.architecture = "386";
  } else if (a == "aarch64") {
    p.architecture = "arm64";
  } else if (a == "armhf") {
    p.architecture = "arm";
    if (p.variant.empty()) p.variant = "v7";
  } else if (a == "armel") {
    p.architecture = "arm";
    if (p.variant.empty()) p.variant = "v6";
  }
  if (p.architecture == "amd64") p.variant.clear();  // amd64 micro-architecture levels are ignored
  if (p.architecture == "arm64" && p.variant == "v8") p.variant.clear();
  if (p.architecture == "arm" && p.variant.empty()) p.variant = "v7";
  if (p.architecture == "arm" && (p.variant == "7" || p.variant == "6" || p.variant == "5" || p.variant == "8"))
    p.variant = "v" + p.variant;
  return p;
}

Platform ParsePlatform(const std::string& s) {
  std::vector<std::string> parts = Split(s, '/');  // empty parts kept: "linux//arm" is refused
  for (const auto& p : parts)
    if (p.empty()) throw Error(ErrorKind::kInvalidInput, "invalid platform \"" + s + "\"");
  Platform p;
  if (parts.size() == 1) {
    p = {"linux", parts[0], ""};
  } else if (parts.size() == 2) {
    p = {parts[0], parts[1], ""};
  } else if (parts.size() == 3) {
    p = {parts[0], parts[1], parts[2]};
  } else {
    throw Error(ErrorKind::kInvalidInput, "invalid platform \"" + s + "\"");
  }
  return NormalizePlatform(p);
}

Platform HostPlatform() { return NormalizePlatform({"linux", HostArchitecture(), ""}); }

Descriptor SelectPlatform(const std::vector<Descriptor>& manifests, const Platform& want_in) {
  Platform want = NormalizePlatform(want_in);
  std::vector<std::pair<Platform, const Descriptor*>> candidates;
  for (const auto& d : manifests) {
    if (!d.platform.is_object()) continue;
    Platform p{d.platform.value("os", ""), d.platform.value("architecture", ""), d.platform.value("variant", "")};
    candidates.push_back({NormalizePlatform(p), &d});
  }
  for (const auto& variant : CompatibleVariants(want)) {
    for (const auto& [p, d] : candidates) {
      if (p.os == want.os && p.architecture == want.architecture && p.variant == variant) return *d;
    }
  }
  throw Error("no matching manifest for " + want.String() + " in the manifest list entries");
}

}  // namespace mini::registry
