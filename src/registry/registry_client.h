#pragma once
/// The OCI distribution API of one repository: manifests and blobs, down and up. Owns the
/// per-request policy: scheme choice (HTTPS; plain HTTP only for loopback registries or with
/// tls_verify off), TLS options from certs.d, authorization, retries with backoff on connection
/// errors, 429 and 5xx, redirects (credentials only to the registry's own origin), resumable
/// blob downloads with Range requests.
///
/// Thread-safe: concurrent layer downloads share one client.
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/digest.h"
#include "registry/auth.h"
#include "registry/config_paths.h"
#include "registry/http_client.h"

namespace mini::registry {

struct RegistryOptions {
  bool tls_verify = true;  ///< false: skip certificate checks and allow plain HTTP (--tls-verify=false)
  std::vector<std::string> certs_dirs = CertsDirs();  ///< certs.d roots, first match wins
  int max_attempts = 5;  ///< per request, for retryable failures
  std::chrono::milliseconds backoff{500};  ///< first retry delay, doubled each time (max 8 s)
  int stall_timeout_s = 30;
};

/// A fetched manifest or index.
struct FetchedDocument {
  std::string bytes;
  std::string content_type;   ///< without parameters
  std::string digest_header;  ///< Docker-Content-Digest, may be empty
};

class RegistryClient {
 public:
  /// `domain` as in Reference::domain ("docker.io" means registry-1.docker.io), `repo` the path.
  RegistryClient(HttpClient& http, std::string domain, std::string repo, RegistryOptions opts,
                 std::optional<Credential> cred, TokenCache& tokens);

  const std::string& domain() const { return domain_; }
  const std::string& repo() const { return repo_; }

  /// GET /v2/<repo>/manifests/<tag or digest> with an Accept of every supported type; the body
  /// is capped at 4 MiB. Throws Error("manifest unknown" / "unauthorized: ..." / HTTP status).
  FetchedDocument GetManifest(const std::string& reference);

  /// GET a blob, streaming its bytes to `sink` in order, exactly once each: a broken transfer is
  /// resumed from the last byte with a Range request (or by skipping what was already seen when
  /// the server ignores Range). `sink` returns false to cancel (then Error("cancelled") is
  /// thrown). `progress` (optional) is called with the running total.
  void FetchBlob(const Digest& d, const std::function<bool(const char*, size_t)>& sink);

  /// HEAD of a blob: its size if the registry has it, nullopt on 404.
  std::optional<uint64_t> BlobSize(const Digest& d);

  /// Tries a cross-repository mount of `d` from `from_repo`; true if the registry mounted it.
  bool MountBlob(const Digest& d, const std::string& from_repo);

  /// Uploads a blob stored in `path` (`size` bytes): POST then one PUT, or PATCH chunks of
  /// `chunk_size` then PUT when chunk_size > 0. Retries the whole upload on transient failures.
  void UploadBlob(const Digest& d, const std::string& path, uint64_t size, uint64_t chunk_size = 0,
                  const std::function<void(uint64_t)>& progress = {});

  /// PUT /v2/<repo>/manifests/<reference>; returns the digest the registry reports (or ours).
  std::string PutManifest(const std::string& reference, const std::string& media_type, const std::string& bytes);

  /// GET /v2/: checks the registry is reachable and the credentials work (for `mini login`).
  void Ping();

  /// The base URL chosen (e.g. "https://registry-1.docker.io"), deciding it on first use.
  std::string BaseUrl();

 private:
  /// One logical request: auth, redirects and retries. `retry` allows re-sending after a
  /// transient failure (only when no streamed byte was delivered).
  HttpResponse Send(HttpRequest req, const std::vector<std::string>& scopes, bool retry = true);
  TlsOptions TlsFor(const std::string& url) const;
  std::vector<std::string> PullScope() const;
  std::vector<std::string> PushScope() const;
  std::string BlobUrl(const Digest& d);
  void Backoff(int attempt, const HttpResponse& r) const;
  void UploadOnce(const Digest& d, const std::string& path, uint64_t size, uint64_t chunk_size,
                  const std::function<void(uint64_t)>& progress);

  HttpClient& http_;
  std::string domain_;
  std::string api_host_;
  std::string repo_;
  RegistryOptions opts_;
  Authorizer auth_;
  std::mutex mu_;
  std::string base_url_;
};

/// Whether a failed exchange is worth retrying (connection errors, timeouts, 429, 5xx).
bool IsRetryable(const HttpResponse& r);
/// "HTTP 404: manifest unknown" from a registry error body, or the transport error message.
std::string DescribeFailure(const HttpResponse& r);

}  // namespace mini::registry
