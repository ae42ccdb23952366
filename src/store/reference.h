#pragma once
/// Image references with Docker's full grammar and normalization (docker/distribution
/// reference): "busybox" == "docker.io/library/busybox:latest". Pure; no I/O.
#include <optional>
#include <string>
#include <string_view>

#include "common/digest.h"

namespace mini {

struct Reference {
  std::string domain;  ///< "docker.io", "localhost:5000", "127.0.0.1:5000", "[::1]:5000", ...
  std::string path;    ///< "library/busybox", "ns/repo"
  std::string tag;     ///< empty when the reference has only a digest
  std::optional<Digest> digest;

  /// domain/path, e.g. "docker.io/library/busybox"
  std::string Name() const;
  /// Name()[:tag][@digest], fully qualified.
  std::string String() const;
  /// Docker's familiar form: "busybox:latest", "ns/repo:1", "localhost:5000/x:y", with digest.
  std::string Familiar() const;
  /// Familiar name without tag/digest: "busybox".
  std::string FamiliarName() const;
};

/// Parses and normalizes. When the input has neither tag nor digest, tag becomes "latest".
/// Throws Error with a message naming the input, e.g.
///   invalid reference format "Busybox": repository name must be lowercase
///   invalid reference format "a:b:c"
/// Digest references must use sha256 with 64 lowercase hex characters.
Reference ParseReference(std::string_view s);
/// Like ParseReference, nullopt instead of throwing.
std::optional<Reference> TryParseReference(std::string_view s);

}  // namespace mini
