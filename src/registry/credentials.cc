// Reading and writing registry credentials (see credentials.h).
#include "registry/credentials.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "registry/config_paths.h"
#include "registry/credential_helper.h"

namespace mini::registry {

using nlohmann::json;

namespace {

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

std::string AuthFilePath() { return UserConfigHome() + "/mini/auth.json"; }

std::string DockerConfigPath() {
  const char* d = std::getenv("DOCKER_CONFIG");
  return (d && *d ? std::string(d) : HomeDir() + "/.docker") + "/config.json";
}

std::vector<std::string> CredentialFiles() {
  std::vector<std::string> files{AuthFilePath()};
  if (const char* f = std::getenv("REGISTRY_AUTH_FILE"); f && *f) {
    files.push_back(f);
    return files;
  }
  if (const char* r = std::getenv("XDG_RUNTIME_DIR"); r && *r) files.push_back(std::string(r) + "/containers/auth.json");
  files.push_back(UserConfigHome() + "/containers/auth.json");
  files.push_back(DockerConfigPath());
  return files;
}

std::string HelperServerUrl(const std::string& domain) {
  std::string k = RegistryKey(domain);
  return k == "docker.io" ? "https://index.docker.io/v1/" : k;
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
      if (entry.contains("identitytoken") && entry["identitytoken"].is_string()) c.identity_token = entry["identitytoken"];
    } else if (entry.contains("identitytoken") && entry["identitytoken"].is_string()) {
      c.identity_token = entry["identitytoken"];
    } else if (entry.contains("username") && entry["username"].is_string()) {
      c.username = entry["username"];
      if (entry.contains("password") && entry["password"].is_string()) c.password = entry["password"];
    }
    if (!c.empty()) return c;
  }
  return std::nullopt;
}

std::optional<Credential> FindCredentialInConfig(const json& doc, const std::string& domain, const HelperRunner& run) {
  if (!doc.is_object()) return std::nullopt;
  std::string want = RegistryKey(domain);
  if (doc.contains("credHelpers") && doc["credHelpers"].is_object()) {
    for (const auto& [key, helper] : doc["credHelpers"].items())
      if (RegistryKey(key) == want && helper.is_string() && !helper.get<std::string>().empty())
        return run(helper.get<std::string>(), HelperServerUrl(domain));
  }
  if (doc.contains("credsStore") && doc["credsStore"].is_string() && !doc["credsStore"].get<std::string>().empty()) {
    if (auto c = run(doc["credsStore"].get<std::string>(), HelperServerUrl(domain))) return c;
  }
  return FindCredential(doc, domain);
}

std::optional<Credential> LookupCredential(const std::string& domain, const HelperRunner& run) {
  for (const auto& path : CredentialFiles()) {
    try {
      auto doc = ReadJsonFile(path);
      if (!doc) continue;
      if (auto c = FindCredentialInConfig(*doc, domain, run); c && !c->empty()) {
        Debug("using credentials for " + RegistryKey(domain) + " from " + path);
        return c;
      }
    } catch (const Error& e) {
      Warn(path + ": " + e.what() + ", ignored");
    }
  }
  return std::nullopt;
}

std::optional<Credential> LookupCredential(const std::string& domain) { return LookupCredential(domain, CredentialFromHelper); }

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
