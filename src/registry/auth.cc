// Challenge parsing, Basic and Bearer authorization for registry requests.
#include "registry/auth.h"

#include <arpa/inet.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/log.h"

namespace mini::registry {

namespace {

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

void SkipSpace(const std::string& s, size_t& i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
}

std::string ReadToken(const std::string& s, size_t& i) {
  size_t b = i;
  while (i < s.size() && IsTokenChar(s[i])) i++;
  return s.substr(b, i - b);
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Whether "type:name:a,b" is granted by one of `have` (same type and name, all actions).
bool ScopeCovered(const std::string& scope, const std::vector<std::string>& have) {
  auto split = [](const std::string& s, std::string* resource, std::vector<std::string>* actions) {
    size_t last = s.rfind(':');
    if (last == std::string::npos) return false;
    *resource = s.substr(0, last);
    std::string rest = s.substr(last + 1);
    size_t start = 0;
    for (;;) {
      size_t comma = rest.find(',', start);
      actions->push_back(rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) return true;
      start = comma + 1;
    }
  };
  std::string res;
  std::vector<std::string> acts;
  if (!split(scope, &res, &acts)) return false;
  for (const auto& h : have) {
    std::string hres;
    std::vector<std::string> hacts;
    if (!split(h, &hres, &hacts) || hres != res) continue;
    if (std::all_of(acts.begin(), acts.end(), [&](const std::string& a) {
          return std::find(hacts.begin(), hacts.end(), a) != hacts.end();
        }))
      return true;
  }
  return false;
}

}  // namespace

std::vector<Challenge> ParseWwwAuthenticate(const std::string& h) {
  std::vector<Challenge> out;
  size_t i = 0;
  while (i < h.size()) {
    SkipSpace(h, i);
    while (i < h.size() && (h[i] == ',' || h[i] == ' ' || h[i] == '\n')) i++;
    std::string scheme = ReadToken(h, i);
    if (scheme.empty()) {
      if (i < h.size()) i++;  // skip a stray character
      continue;
    }
    Challenge c{Lower(scheme), {}};
    // auth-params: name=value or name="quoted", separated by commas. A token followed by a
    // space and another token (no '=') starts the next challenge.
    for (;;) {
      SkipSpace(h, i);
      size_t save = i;
      std::string name = ReadToken(h, i);
      SkipSpace(h, i);
      if (name.empty() || i >= h.size() || h[i] != '=') {
        i = save;
        break;
      }
      i++;  // '='
      SkipSpace(h, i);
      std::string value;
      if (i < h.size() && h[i] == '"') {
        i++;
        while (i < h.size() && h[i] != '"') {
          if (h[i] == '\\' && i + 1 < h.size()) i++;
          value += h[i++];
        }
        if (i < h.size()) i++;  // closing quote
      } else {
        while (i < h.size() && h[i] != ',' && h[i] != ' ' && h[i] != '\n') value += h[i++];
      }
      c.params[Lower(name)] = value;
      SkipSpace(h, i);
      if (i < h.size() && h[i] == ',') {
        i++;
        continue;
      }
      break;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::string Base64Encode(const std::string& s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(n);
  return out;
}

std::optional<std::string> Base64Decode(const std::string& in) {
  std::string s;
  for (char c : in)
    if (!std::isspace(static_cast<unsigned char>(c))) s += c;
  if (s.size() % 4 != 0) return std::nullopt;
  std::string out(s.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0) return std::nullopt;
  size_t pad = 0;
  if (!s.empty() && s.back() == '=') pad++;
  if (s.size() > 1 && s[s.size() - 2] == '=') pad++;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::optional<std::string> TokenCache::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find(key);
  if (it == tokens_.end() || clock_() >= it->second.second) return std::nullopt;
  return it->second.first;
}

void TokenCache::Put(const std::string& key, const std::string& token, std::chrono::seconds lifetime) {
  auto margin = lifetime > std::chrono::seconds(20) ? std::chrono::seconds(10) : std::chrono::seconds(0);
  std::lock_guard<std::mutex> lock(mu_);
  tokens_[key] = {token, clock_() + lifetime - margin};
}

bool IsLoopbackHost(const std::string& host_port) {
  std::string host = host_port;
  if (!host.empty() && host[0] == '[') {
    size_t e = host.find(']');
    host = host.substr(1, e == std::string::npos ? std::string::npos : e - 1);
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    host = host.substr(0, host.find(':'));
  }
  host = Lower(host);
  if (host == "localhost" || host == "::1") return true;
  in_addr a;
  if (inet_pton(AF_INET, host.c_str(), &a) == 1) return (ntohl(a.s_addr) >> 24) == 127;
  return false;
}

Authorizer::Authorizer(HttpClient& http, std::optional<Credential> cred, TokenCache& cache,
                       std::function<TlsOptions(const std::string&)> tls_for)
    : http_(http), cred_(std::move(cred)), cache_(cache), tls_for_(std::move(tls_for)) {
  if (cred_ && cred_->empty()) cred_.reset();
}

std::string Authorizer::CacheKey(const std::vector<std::string>& scopes) const {
  std::string key = bearer_->Param("realm") + "|" + bearer_->Param("service") + "|" + (cred_ ? cred_->username : "");
  for (const auto& s : scopes) key += "|" + s;
  return key;
}

std::string Authorizer::HeaderFor(const std::vector<std::string>& scopes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (bearer_) {
    if (auto t = cache_.Get(CacheKey(scopes))) return "Bearer " + *t;
    std::chrono::seconds life{};
    std::string token = FetchToken(scopes, &life);
    cache_.Put(CacheKey(scopes), token, life);
    return "Bearer " + token;
  }
  if (basic_ && cred_) return "Basic " + Base64Encode(cred_->username + ":" + cred_->password);
  return "";
}

bool Authorizer::OnUnauthorized(const std::string& www_authenticate, const std::vector<std::string>& scopes,
                                const std::string& sent) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& c : ParseWwwAuthenticate(www_authenticate)) {
    if (c.scheme == "bearer" && !c.Param("realm").empty()) {
      bool had = bearer_.has_value() && bearer_->params == c.params;
      bearer_ = c;
      if (had) {
        // Refused with the token we hold for these scopes: it does not grant what is needed,
        // and a fresh one cannot do better. A request that went out before another thread got
        // the token may retry.
        auto cached = cache_.Get(CacheKey(scopes));
        return cached && sent != "Bearer " + *cached;
      }
      // Prefer the scope the registry asked for when it names more than we knew.
      std::vector<std::string> want = scopes;
      if (!c.Param("scope").empty() && !ScopeCovered(c.Param("scope"), want)) want.push_back(c.Param("scope"));
      std::chrono::seconds life{};
      std::string token = FetchToken(want, &life);
      cache_.Put(CacheKey(scopes), token, life);
      return true;
    }
  }
  for (const auto& c : ParseWwwAuthenticate(www_authenticate)) {
    if (c.scheme == "basic") {
      if (!cred_) return false;
      if (sent == "Basic " + Base64Encode(cred_->username + ":" + cred_->password)) return false;  // refused
      basic_ = true;
      return true;
    }
  }
  return false;
}

std::string Authorizer::FetchToken(const std::vector<std::string>& scopes, std::chrono::seconds* lifetime) {
  std::string realm = bearer_->Param("realm");
  if (realm.rfind("https://", 0) != 0 && realm.rfind("http://", 0) != 0)
    throw Error("token realm \"" + realm + "\" is not an http(s) URL");
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  bool first = true;
  auto add = [&](const std::string& k, const std::string& v) {
    url += (first ? "" : "&") + k + "=" + UrlEncode(v);
    first = false;
  };
  if (!bearer_->Param("service").empty()) add("service", bearer_->Param("service"));
  for (const auto& s : scopes) add("scope", s);
  if (cred_) add("account", cred_->username);
  HttpRequest req;
  req.url = url;
  req.max_body = 1 << 20;
  req.tls = tls_for_(url);
  std::string origin = OriginOf(url);
  bool plain = origin.rfind("http://", 0) == 0;
  if (cred_) {
    std::string host = origin.substr(origin.find("://") + 3);
    if (plain && !IsLoopbackHost(host.substr(0, host.rfind(':'))))
      throw Error("token realm " + realm + ": refusing to send credentials over plain HTTP");
    if (cred_->identity_token.empty()) {
      req.headers.push_back({"Authorization", "Basic " + Base64Encode(cred_->username + ":" + cred_->password)});
    } else {
      // OAuth2 refresh-token grant (the distribution token spec's POST form), as Docker does.
      std::string scope;
      for (const auto& s : scopes) scope += (scope.empty() ? "" : " ") + s;
      req.method = "POST";
      req.url = realm;
      req.body = "grant_type=refresh_token&client_id=mini&refresh_token=" + UrlEncode(cred_->identity_token);
      if (!bearer_->Param("service").empty()) req.body += "&service=" + UrlEncode(bearer_->Param("service"));
      if (!scope.empty()) req.body += "&scope=" + UrlEncode(scope);
      req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    }
  }
  Debug("fetching token: " + req.url);
  HttpResponse r;
  for (int attempt = 0; attempt < 3; attempt++) {
    r = http_.Do(req);
    if (r.error == TransportError::kNone && r.status < 500) break;
  }
  if (r.error != TransportError::kNone) throw Error("token endpoint " + realm + ": " + r.error_message);
  if (r.status == 401 || r.status == 403)
    throw Error(cred_ ? "unauthorized: incorrect username or password" : "unauthorized: authentication required");
  if (r.status != 200) throw Error("token endpoint " + realm + ": HTTP " + std::to_string(r.status));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(r.body);
  } catch (const nlohmann::json::exception&) {
    throw Error("token endpoint " + realm + ": invalid JSON");
  }
  std::string token;
  if (j.contains("token") && j["token"].is_string()) token = j["token"];
  if (token.empty() && j.contains("access_token") && j["access_token"].is_string()) token = j["access_token"];
  if (token.empty()) throw Error("token endpoint " + realm + ": no token in the response");
  int64_t expires = 60;
  if (j.contains("expires_in") && j["expires_in"].is_number_integer()) expires = std::max<int64_t>(j["expires_in"].get<int64_t>(), 60);
  *lifetime = std::chrono::seconds(expires);
  return token;
}

}  // namespace mini::registry
