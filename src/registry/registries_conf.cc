// registries.conf and daemon.json: loading, merging and resolving (see registries_conf.h).
#include "registry/registries_conf.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "registry/config_paths.h"
#include "registry/toml_subset.h"

namespace mini::registry {

using nlohmann::json;

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

[[noreturn]] void Bad(const std::string& source, const std::string& what) {
  throw Error(ErrorKind::kInvalidInput, source + ": " + what);
}

bool Bool(const json& t, const char* key, const std::string& where, const std::string& source) {
  if (!t.contains(key)) return false;
  if (!t[key].is_boolean()) Bad(source, where + ": \"" + key + "\" must be true or false");
  return t[key].get<bool>();
}

std::string Str(const json& t, const char* key, const std::string& where, const std::string& source) {
  if (!t.contains(key)) return "";
  if (!t[key].is_string()) Bad(source, where + ": \"" + key + "\" must be a string");
  return t[key].get<std::string>();
}

std::vector<std::string> Strings(const json& v, const std::string& where, const std::string& source) {
  if (!v.is_array()) Bad(source, where + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (!s.is_string()) Bad(source, where + " must be an array of strings");
    out.push_back(s.get<std::string>());
  }
  return out;
}

void WarnUnknown(const json& t, std::initializer_list<const char*> known, const std::string& where,
                 const std::string& source) {
  for (const auto& item : t.items()) {
    const std::string& k = item.key();  // a named variable: clang's lambdas cannot capture bindings
    if (std::none_of(known.begin(), known.end(), [&](const char* n) { return k == n; }))
      Warn(source + ": " + where + "\"" + k + "\" is not supported by mini, ignored");
  }
}

RegistryEntry ParseEntry(const json& t, const std::string& source) {
  const std::string where = "[[registry]]";
  if (!t.is_object()) Bad(source, where + " must be a table");
  RegistryEntry e;
  e.source = source;
  e.prefix = Str(t, "prefix", where, source);
  e.location = Str(t, "location", where, source);
  e.insecure = Bool(t, "insecure", where, source);
  e.blocked = Bool(t, "blocked", where, source);
  if (e.prefix.empty() && e.location.empty()) Bad(source, where + " needs a prefix or a location");
  if (e.prefix.empty()) e.prefix = e.location;
  bool wildcard = e.prefix.rfind("*.", 0) == 0;
  if (wildcard && !e.location.empty()) Bad(source, where + " with the wildcard prefix \"" + e.prefix + "\" cannot have a location");
  if (e.location.empty() && !wildcard) e.location = e.prefix;
  for (const auto* s : {&e.prefix, &e.location})
    if (s->find("://") != std::string::npos) Bad(source, where + ": \"" + *s + "\" must not have a scheme");
  std::string by_digest_all = Bool(t, "mirror-by-digest-only", where, source) ? "digest-only" : "all";
  if (t.contains("mirror")) {
    if (!t["mirror"].is_array()) Bad(source, where + ": \"mirror\" must be an array of tables ([[registry.mirror]])");
    for (const auto& m : t["mirror"]) {
      const std::string mwhere = "[[registry.mirror]]";
      MirrorEntry me;
      me.location = Str(m, "location", mwhere, source);
      if (me.location.empty()) Bad(source, mwhere + " needs a location");
      me.insecure = Bool(m, "insecure", mwhere, source);
      std::string mode = Str(m, "pull-from-mirror", mwhere, source);
      if (mode.empty()) mode = by_digest_all;
      if (mode != "all" && mode != "digest-only" && mode != "tag-only")
        Bad(source, mwhere + ": \"pull-from-mirror\" must be all, digest-only or tag-only");
      me.pull_from = mode;
      WarnUnknown(m, {"location", "insecure", "pull-from-mirror"}, mwhere + " ", source);
      e.mirrors.push_back(me);
    }
  }
  WarnUnknown(t, {"prefix", "location", "insecure", "blocked", "mirror", "mirror-by-digest-only"}, where + " ", source);
  return e;
}

/// How much of `name` the prefix matches (0 when it does not).
size_t MatchLength(const std::string& prefix, const std::string& name) {
  if (prefix.rfind("*.", 0) == 0) {
    std::string host = name.substr(0, name.find('/'));
    std::string bare = host.substr(0, host.rfind(':') == std::string::npos || host.back() == ']' ? host.size() : host.rfind(':'));
    return EndsWith(bare, prefix.substr(1)) ? host.size() : 0;
  }
  if (name == prefix) return prefix.size();
  if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 && name[prefix.size()] == '/')
    return prefix.size();
  return 0;
}

/// "host/path" -> Endpoint; throws when there is no repository path.
Endpoint Split(const std::string& name, const std::string& source) {
  size_t slash = name.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == name.size())
    throw Error(ErrorKind::kInvalidInput, source + ": \"" + name + "\" is not a registry/repository name");
  Endpoint e;
  e.domain = name.substr(0, slash);
  e.repo = name.substr(slash + 1);
  return e;
}

/// "https://mirror.example:5000/" -> "mirror.example:5000"
std::string MirrorHost(const std::string& url) {
  std::string h = url;
  for (const char* p : {"https://", "http://"})
    if (h.rfind(p, 0) == 0) h = h.substr(std::strlen(p));
  while (!h.empty() && h.back() == '/') h.pop_back();
  return h;
}

/// An IP literal host (without port or brackets) in a CIDR "a.b.c.d/n" or "x::/n".
bool InCidr(const std::string& host, const std::string& cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos) return false;
  unsigned char net[16], ip[16];
  int bits = 0;
  try {
    bits = std::stoi(cidr.substr(slash + 1));
  } catch (...) {
    return false;
  }
  std::string base = cidr.substr(0, slash);
  int len = 0;
  if (inet_pton(AF_INET, base.c_str(), net) == 1 && inet_pton(AF_INET, host.c_str(), ip) == 1) len = 4;
  else if (inet_pton(AF_INET6, base.c_str(), net) == 1 && inet_pton(AF_INET6, host.c_str(), ip) == 1) len = 16;
  if (len == 0 || bits < 0 || bits > len * 8) return false;
  for (int i = 0; i < len; i++) {
    int b = std::min(8, std::max(0, bits - i * 8));
    unsigned char mask = static_cast<unsigned char>(b == 0 ? 0 : 0xFF << (8 - b));
    if ((net[i] & mask) != (ip[i] & mask)) return false;
  }
  return true;
}

std::string HostOf(const std::string& host_port) {
  if (!host_port.empty() && host_port[0] == '[') return host_port.substr(1, host_port.find(']') - 1);
  if (std::count(host_port.begin(), host_port.end(), ':') == 1) return host_port.substr(0, host_port.find(':'));
  return host_port;
}

bool IsShortName(const std::string& input) {
  size_t slash = input.find('/');
  if (slash == std::string::npos) return true;
  std::string first = input.substr(0, slash);
  return first.find_first_of(".:") == std::string::npos && first != "localhost";
}

}  // namespace

void MergeRegistriesConf(RegistriesConfig& conf, const json& doc, const std::string& source) {
  conf.files.push_back(source);
  if (doc.contains("registries") && doc["registries"].is_object()) {
    Warn(source + ": the v1 format ([registries.search] ...) is not supported by mini, ignored");
    return;
  }
  if (doc.contains("unqualified-search-registries"))
    conf.search = Strings(doc["unqualified-search-registries"], "\"unqualified-search-registries\"", source);
  if (doc.contains("registry")) {
    if (!doc["registry"].is_array()) Bad(source, "\"registry\" must be an array of tables ([[registry]])");
    for (const auto& t : doc["registry"]) {
      RegistryEntry e = ParseEntry(t, source);
      auto same = std::find_if(conf.registries.begin(), conf.registries.end(), [&](const RegistryEntry& r) { return r.prefix == e.prefix; });
      if (same != conf.registries.end()) *same = std::move(e);
      else conf.registries.push_back(std::move(e));
    }
  }
  if (doc.contains("aliases")) {
    if (!doc["aliases"].is_object()) Bad(source, "[aliases] must be a table");
    for (const auto& [k, v] : doc["aliases"].items()) {
      if (!v.is_string()) Bad(source, "[aliases] \"" + k + "\" must be a string");
      conf.aliases[k] = v.get<std::string>();
    }
  }
  WarnUnknown(doc, {"unqualified-search-registries", "registry", "aliases", "short-name-mode", "credential-helpers"}, "", source);
}

void MergeDaemonJson(RegistriesConfig& conf, const json& doc, const std::string& source) {
  if (!doc.is_object()) Bad(source, "not a JSON object");
  conf.files.push_back(source);
  if (doc.contains("registry-mirrors")) {
    for (const auto& m : Strings(doc["registry-mirrors"], "\"registry-mirrors\"", source)) {
      if (m.rfind("https://", 0) != 0 && m.rfind("http://", 0) != 0)
        Bad(source, "registry mirror \"" + m + "\" must be an http:// or https:// URL");
      std::string host = MirrorHost(m);
      if (host.empty() || host.find('/') != std::string::npos)
        Bad(source, "registry mirror \"" + m + "\": a path is not supported");
      conf.docker_mirrors.push_back(m);
    }
  }
  if (doc.contains("insecure-registries"))
    for (const auto& r : Strings(doc["insecure-registries"], "\"insecure-registries\"", source))
      conf.insecure_registries.push_back(MirrorHost(r));
}

RegistriesConfig LoadRegistriesConfig() {
  RegistriesConfig conf;
  auto merge_toml = [&](const std::string& path) {
    if (auto text = ReadFileIfExists(path, 4 << 20)) MergeRegistriesConf(conf, ParseTomlSubset(*text, path), path);
  };
  merge_toml(RegistriesConfPath());
  for (const auto& dir : RegistriesConfDirs()) {
    std::vector<std::string> names = ListDirNames(dir);
    std::sort(names.begin(), names.end());
    for (const auto& n : names)
      if (EndsWith(n, ".conf")) merge_toml(dir + "/" + n);
  }
  std::string daemon = DaemonJsonPath();
  if (auto text = ReadFileIfExists(daemon, 4 << 20)) {
    json doc;
    try {
      doc = json::parse(*text);
    } catch (const json::exception& e) {
      Bad(daemon, std::string("invalid JSON: ") + e.what());
    }
    MergeDaemonJson(conf, doc, daemon);
  }
  return conf;
}

const RegistryEntry* FindRegistry(const RegistriesConfig& conf, const std::string& name) {
  const RegistryEntry* best = nullptr;
  size_t best_len = 0;
  for (const auto& r : conf.registries) {
    size_t n = MatchLength(r.prefix, name);
    if (n > best_len) {
      best = &r;
      best_len = n;
    }
  }
  return best;
}

namespace {

/// The addresses `host` stands for: itself when it is an IP literal, else what the resolver
/// says (nothing when it cannot be resolved: then no CIDR matches, as with Docker).
std::vector<std::string> AddressesOf(const std::string& host) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1) return {host};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) return {};
  std::vector<std::string> out;
  for (addrinfo* a = res; a; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN];
    const void* addr = a->ai_family == AF_INET ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr)
                                               : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr);
    if ((a->ai_family == AF_INET || a->ai_family == AF_INET6) && inet_ntop(a->ai_family, addr, text, sizeof text))
      out.push_back(text);
  }
  freeaddrinfo(res);
  return out;
}

}  // namespace

bool IsInsecureRegistry(const RegistriesConfig& conf, const std::string& host_port) {
  if (const RegistryEntry* e = FindRegistry(conf, host_port); e && e->insecure) return true;
  bool any_cidr = false;
  for (const auto& r : conf.insecure_registries) {
    if (r == host_port) return true;
    any_cidr = any_cidr || r.find('/') != std::string::npos;
  }
  if (!any_cidr) return false;
  // Docker's rule: a CIDR entry matches a host by any of the addresses it resolves to.
  for (const std::string& addr : AddressesOf(HostOf(host_port)))
    for (const auto& r : conf.insecure_registries)
      if (InCidr(addr, r)) return true;
  return false;
}

void CheckNotBlocked(const RegistriesConfig& conf, const Reference& ref) {
  const RegistryEntry* e = FindRegistry(conf, ref.Name());
  if (e && e->blocked) throw Error("registry \"" + e->prefix + "\" is blocked in " + e->source);
}

std::vector<Endpoint> PullEndpoints(const RegistriesConfig& conf, const Reference& ref) {
  CheckNotBlocked(conf, ref);
  const std::string name = ref.Name();
  const RegistryEntry* e = FindRegistry(conf, name);
  std::vector<Endpoint> out;
  // The part of the name the entry's prefix stands for is replaced by a mirror's location.
  size_t matched = e ? MatchLength(e->prefix, name) : 0;
  if (e) {
    for (const auto& m : e->mirrors) {
      if ((m.pull_from == "digest-only" && !ref.digest) || (m.pull_from == "tag-only" && ref.digest)) continue;
      Endpoint ep = Split(m.location + name.substr(matched), e->source);
      ep.insecure = m.insecure || IsInsecureRegistry(conf, ep.domain);
      ep.mirror = true;
      out.push_back(ep);
    }
  }
  if (ref.domain == "docker.io") {
    for (const auto& url : conf.docker_mirrors) {
      Endpoint ep{MirrorHost(url), ref.path, false, true};
      ep.insecure = url.rfind("http://", 0) == 0 || IsInsecureRegistry(conf, ep.domain);
      out.push_back(ep);
    }
  }
  Endpoint origin;
  if (e && !e->location.empty()) {
    origin = Split(e->location + name.substr(matched), e->source);
  } else {
    origin.domain = ref.domain;
    origin.repo = ref.path;
  }
  origin.insecure = (e && e->insecure) || IsInsecureRegistry(conf, origin.domain);
  out.push_back(origin);
  return out;
}

std::vector<Reference> ShortNameCandidates(const RegistriesConfig& conf, const std::string& input) {
  Reference plain = ParseReference(input);  // the input's own errors first, as Docker reports them
  if (!IsShortName(input)) return {plain};
  size_t at = input.find('@');
  std::string named = input.substr(0, at);
  size_t colon = named.rfind(':');
  if (colon != std::string::npos && named.find('/', colon) == std::string::npos) named = named.substr(0, colon);
  std::string tail = input.substr(named.size());
  if (auto it = conf.aliases.find(named); it != conf.aliases.end()) {
    auto ref = TryParseReference(it->second + tail);
    if (!ref || IsShortName(it->second))
      throw Error(ErrorKind::kInvalidInput, "alias \"" + named + "\" = \"" + it->second + "\" is not a fully qualified image name");
    return {*ref};
  }
  if (conf.search.empty()) return {plain};
  std::vector<Reference> out;
  for (const auto& r : conf.search) {
    auto ref = TryParseReference(r + "/" + input);
    if (!ref) throw Error(ErrorKind::kInvalidInput, "unqualified-search-registries: \"" + r + "\" is not a registry");
    out.push_back(*ref);
  }
  return out;
}

std::vector<std::string> MirrorLines(const RegistriesConfig& conf) {
  std::vector<std::string> out;
  for (const auto& r : conf.registries)
    for (const auto& m : r.mirrors) out.push_back(m.location + " (for " + r.prefix + ")");
  for (const auto& m : conf.docker_mirrors) out.push_back(EndsWith(m, "/") ? m : m + "/");
  return out;
}

std::vector<std::string> InsecureLines(const RegistriesConfig& conf) {
  std::vector<std::string> out{"127.0.0.0/8", "::1/128"};
  for (const auto& r : conf.registries) {
    if (r.insecure) out.push_back(r.location.empty() ? r.prefix : r.location);
    for (const auto& m : r.mirrors)
      if (m.insecure) out.push_back(m.location);
  }
  for (const auto& r : conf.insecure_registries)
    if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  return out;
}

}  // namespace mini::registry
