#pragma once
/// Registry authentication: WWW-Authenticate challenges, Basic, and the Bearer token flow
/// (challenge -> token endpoint with service and scope -> retry), with tokens cached per scope
/// for their lifetime. See the distribution spec's "Token Authentication Specification".
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "registry/http_client.h"

namespace mini::registry {

/// One challenge of a WWW-Authenticate header: scheme (lower case) and its auth-params
/// (names lower case, values unquoted).
struct Challenge {
  std::string scheme;
  std::map<std::string, std::string> params;
  std::string Param(const std::string& k) const {
    auto it = params.find(k);
    return it == params.end() ? std::string() : it->second;
  }
};

/// Parses RFC 7235 challenges; several may appear in one header value or on several lines
/// (HttpResponse joins repeated headers with "\n"). Malformed parts are skipped, never thrown.
std::vector<Challenge> ParseWwwAuthenticate(const std::string& header);

struct Credential {
  std::string username;
  std::string password;
  /// An identity (OAuth2 refresh) token, from a credential helper's "<token>" user or
  /// config.json's "identitytoken": exchanged at the token endpoint with a POST.
  std::string identity_token = {};
  bool empty() const { return username.empty() && password.empty() && identity_token.empty(); }
};

std::string Base64Encode(const std::string& s);
/// Returns nullopt on invalid input.
std::optional<std::string> Base64Decode(const std::string& s);

/// Bearer tokens by (realm, service, scopes). Thread-safe. The clock is injectable for tests.
class TokenCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  explicit TokenCache(Clock clock = [] { return std::chrono::steady_clock::now(); }) : clock_(std::move(clock)) {}
  std::optional<std::string> Get(const std::string& key) const;
  /// Stores a token valid for `lifetime` (a few seconds are taken off for safety).
  void Put(const std::string& key, const std::string& token, std::chrono::seconds lifetime);

 private:
  Clock clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>> tokens_;
};

/// Decides the Authorization header of requests to one registry. Thread-safe.
///
/// Starts anonymous; the first 401 teaches it the registry's scheme: Basic (then every request
/// carries the credentials) or Bearer (then a token is fetched per scope set and cached).
class Authorizer {
 public:
  /// `tls_for` gives the TLS options for a URL (the token realm may be another host).
  /// Credentials are never sent to a plain-HTTP realm on a non-loopback host.
  Authorizer(HttpClient& http, std::optional<Credential> cred, TokenCache& cache,
             std::function<TlsOptions(const std::string& url)> tls_for);

  /// Authorization header value for a request needing `scopes` ("" when anonymous so far).
  std::string HeaderFor(const std::vector<std::string>& scopes);

  /// Handles a 401: parses its challenges and gets what a retry needs. Returns false when a
  /// retry cannot do better (no supported challenge, or credentials already rejected). Throws
  /// Error for token endpoint failures (e.g. "unauthorized: incorrect username or password").
  /// `sent` is the Authorization value the refused request carried: when another thread has
  /// learnt something since (a token, the Basic scheme), a retry with the new value is allowed.
  bool OnUnauthorized(const std::string& www_authenticate, const std::vector<std::string>& scopes,
                      const std::string& sent);

  bool has_credentials() const { return cred_.has_value(); }

 private:
  std::string CacheKey(const std::vector<std::string>& scopes) const;
  std::string FetchToken(const std::vector<std::string>& scopes, std::chrono::seconds* lifetime);

  HttpClient& http_;
  std::optional<Credential> cred_;
  TokenCache& cache_;
  std::function<TlsOptions(const std::string&)> tls_for_;
  std::mutex mu_;
  std::optional<Challenge> bearer_;  ///< the registry's Bearer challenge, once seen
  bool basic_ = false;               ///< the registry asked for Basic
};

/// True for localhost, 127.0.0.0/8 and ::1 (with or without a port): registries Docker treats
/// as insecure by default.
bool IsLoopbackHost(const std::string& host_port);

}  // namespace mini::registry
