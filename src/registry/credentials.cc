// Reading and writing registry credentials (see credentials.h).
#include "registry/credentials.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"

namespace mini::registry {

using nlohmann::json;

namespace {

std::string Home() {
  const char* h = std::getenv("HOME");
  return h && *h ? h : "/root";
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

/// "https://host:port/v1/" -> "host:port"
std::string StripUrl(std::string k) {
  k = Lower(k);
  for (const char* p : {"https://", "http://"})
    if (k.rfind(p, 0) == 0) k = k.substr(std::string(p).size());
  size_t slash = k.find('/');
  if (slash != std::string::npos) k = k.substr(0, slash);
  return k;
}

std::optional<json> ReadJsonFile(const std::string& path) {
  auto data = ReadFileIfExists(path, 1 << 20);
  if (!data) return std::nullopt;
  try {
    return json::parse(*data);
  } catch (const json::exception& e) {
    Warn(path + ": invalid JSON, ignored");
    return std::nullopt;
  }
}

}  // namespace

std::string AuthFilePath() {
  const char* x = std::getenv("XDG_CONFIG_HOME");
  std::string base = x && *x ? x : Home() + "/.config";
  return base + "/mini/auth.json";
}

std::string DockerConfigPath() {
  const char* d = std::getenv("DOCKER_CONFIG");
  return (d && *d ? std::string(d) : Home() + "/.docker") + "/config.json";
}

std::string RegistryKey(const std::string& domain) {
  std::string k = StripUrl(domain);
  if (k == "index.docker.io" || k == "registry-1.docker.io" || k == "docker.io") return "docker.io";
  return k;
}

std::optional<Credential> FindCredential(const json& doc, const std::string& domain) {
  if (!doc.is_object() || !doc.contains("auths") || !doc["auths"].is_object()) return std::nullopt;
  std::string want = RegistryKey(domain);
  for (const auto& [key, entry] : doc["auths"].items()) {
    if (RegistryKey(key) != want || !entry.is_object()) continue;
    Credential c;
    if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty()) {
      auto dec = Base64Decode(entry["auth"].get<std::string>());
      if (!dec || dec->find(':') == std::string::npos) {
        Warn("credentials for " + key + ": invalid \"auth\" value, ignored");
        continue;
      }
      c.username = dec->substr(0, dec->find(':'));
      c.password = dec->substr(dec->find(':') + 1);
    } else if (entry.contains("username") && entry["username"].is_string()) {
      c.username = entry["username"];
      if (entry.contains("password") && entry["password"].is_string()) c.password = entry["password"];
    }
    if (!c.empty()) return c;
  }
  return std::nullopt;
}

std::optional<Credential> LookupCredential(const std::string& domain) {
  for (const auto& path : {AuthFilePath(), DockerConfigPath()}) {
    try {
      auto doc = ReadJsonFile(path);
      if (!doc) continue;
      if (auto c = FindCredential(*doc, domain)) {
        Debug("using credentials for " + RegistryKey(domain) + " from " + path);
        return c;
      }
    } catch (const Error& e) {
      Warn(std::string(e.what()) + ", ignored");
    }
  }
  return std::nullopt;
}

void StoreCredential(const std::string& domain, const Credential& cred) {
  std::string path = AuthFilePath();
  std::string dir = path.substr(0, path.rfind('/'));
  MakeDirs(dir, 0700);
  json doc = ReadJsonFile(path).value_or(json::object());
  if (!doc.is_object()) doc = json::object();
  if (!doc.contains("auths") || !doc["auths"].is_object()) doc["auths"] = json::object();
  doc["auths"][RegistryKey(domain)] = {{"auth", Base64Encode(cred.username + ":" + cred.password)}};
  WriteFileAtomic(path, doc.dump(1, '\t') + "\n", 0600);
  chmod(path.c_str(), 0600);
}

bool RemoveCredential(const std::string& domain) {
  std::string path = AuthFilePath();
  auto doc = ReadJsonFile(path);
  if (!doc || !doc->is_object() || !doc->contains("auths") || !(*doc)["auths"].is_object()) return false;
  std::string want = RegistryKey(domain);
  bool removed = false;
  for (auto it = (*doc)["auths"].begin(); it != (*doc)["auths"].end();) {
    if (RegistryKey(it.key()) == want) {
      it = (*doc)["auths"].erase(it);
      removed = true;
    } else {
      ++it;
    }
  }
  if (removed) WriteFileAtomic(path, doc->dump(1, '\t') + "\n", 0600);
  return removed;
}

}  // namespace mini::registry
