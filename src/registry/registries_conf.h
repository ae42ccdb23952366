#pragma once
/// Registry configuration where users already keep it: containers-registries.conf(5) v2
/// (unqualified-search-registries, [[registry]] with prefix/location/insecure/blocked and
/// [[registry.mirror]], [aliases]) and Docker's daemon.json (registry-mirrors for docker.io,
/// insecure-registries as host[:port] or CIDR). Loading reads files; resolving is pure.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/reference.h"

namespace mini::registry {

struct MirrorEntry {
  std::string location;  ///< host[:port][/path]
  bool insecure = false;
  std::string pull_from = "all";  ///< pull-from-mirror: all, digest-only, tag-only
};

struct RegistryEntry {
  std::string prefix;    ///< what it applies to: host[:port][/path], or *.domain
  std::string location;  ///< where the prefix really lives (the prefix itself when unset)
  bool insecure = false;
  bool blocked = false;
  std::vector<MirrorEntry> mirrors;
  std::string source;  ///< the file that defined it
};

struct RegistriesConfig {
  std::vector<std::string> search;  ///< unqualified-search-registries (empty: Docker's docker.io)
  std::vector<RegistryEntry> registries;
  std::map<std::string, std::string> aliases;
  std::vector<std::string> docker_mirrors;       ///< daemon.json registry-mirrors (URLs)
  std::vector<std::string> insecure_registries;  ///< daemon.json insecure-registries
  std::vector<std::string> files;                ///< the files read, in order
};

/// Merges one parsed registries.conf into `conf` with the drop-in rule of registries.conf(5):
/// a [[registry]] replaces an earlier one with the same prefix, a set
/// unqualified-search-registries replaces the earlier list, aliases are merged key by key.
/// Throws Error("<source>: ...") for unknown keys, wrong types, the v1 format, a location on a
/// wildcard prefix.
void MergeRegistriesConf(RegistriesConfig& conf, const nlohmann::json& doc, const std::string& source);
/// Adds daemon.json's registry-mirrors and insecure-registries; other keys are ignored.
void MergeDaemonJson(RegistriesConfig& conf, const nlohmann::json& doc, const std::string& source);

/// Reads registries.conf, its drop-ins (sorted by name) and daemon.json (config_paths.h).
/// Missing files are fine; an unparsable one is an error naming it.
RegistriesConfig LoadRegistriesConfig();

/// The [[registry]] entry for a repository name ("host/path", no tag): the longest matching
/// prefix (a prefix matches the name itself or the name up to a '/'; *.domain matches hosts
/// under domain). nullptr when none matches.
const RegistryEntry* FindRegistry(const RegistriesConfig& conf, const std::string& name);

/// Whether TLS may be skipped for `host_port`: insecure in registries.conf, or listed in
/// daemon.json's insecure-registries (host[:port], or a CIDR holding an IP-literal host).
bool IsInsecureRegistry(const RegistriesConfig& conf, const std::string& host_port);

/// Throws Error `registry "PREFIX" is blocked in FILE` when `ref`'s registry is blocked.
void CheckNotBlocked(const RegistriesConfig& conf, const Reference& ref);

/// One place to pull a repository from.
struct Endpoint {
  std::string domain;  ///< as Reference::domain
  std::string repo;    ///< the repository path there
  bool insecure = false;
  bool mirror = false;
};

/// Where to pull `ref` from, in order: its mirrors (registries.conf, then daemon.json's for
/// docker.io), then its location. Throws Error when it is blocked.
std::vector<Endpoint> PullEndpoints(const RegistriesConfig& conf, const Reference& ref);

/// The references a name typed by the user stands for, in the order to try them. A name with a
/// registry (a first component with '.' or ':', or localhost) is itself; a short name is its
/// alias when [aliases] has one, else one candidate per unqualified-search-registries entry,
/// else Docker's docker.io (library/ for one component). Tag and digest are kept.
std::vector<Reference> ShortNameCandidates(const RegistriesConfig& conf, const std::string& input);

/// The lines `mini info` prints under "Registry Mirrors:" and "Insecure Registries:".
std::vector<std::string> MirrorLines(const RegistriesConfig& conf);
std::vector<std::string> InsecureLines(const RegistriesConfig& conf);

}  // namespace mini::registry
