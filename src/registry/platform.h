#pragma once
/// Platforms ("linux/arm64/v8") and choosing one manifest from an index, with Docker's
/// normalization and variant matching (containerd's platforms package semantics): arm64's
/// default variant is v8, arm falls back from v7 to v6 to v5, amd64 ignores variants. Pure.
#include <optional>
#include <string>
#include <vector>

#include "store/oci_types.h"

namespace mini::registry {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;  ///< may be empty
  std::string String() const { return os + "/" + architecture + (variant.empty() ? "" : "/" + variant); }
};

/// Parses "os/arch[/variant]" (or "arch" alone, os linux) and normalizes it (x86_64 -> amd64,
/// aarch64 -> arm64, armhf -> arm/v7, ...). Throws Error on an empty or malformed value.
Platform ParsePlatform(const std::string& s);
Platform NormalizePlatform(Platform p);
/// linux/<host architecture>.
Platform HostPlatform();

/// Picks the descriptor of `manifests` that best matches `want`: exact (normalized) match first,
/// then for arm the older compatible variants. Entries without a platform, or of another OS,
/// never match. Throws Error("no matching manifest for linux/amd64 in the manifest list entries").
Descriptor SelectPlatform(const std::vector<Descriptor>& manifests, const Platform& want);

}  // namespace mini::registry
