// The distribution API requests and their policy (see registry_client.h).
#include "registry/registry_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/error.h"
#include "common/fs.h"
#include "common/log.h"
#include "registry/certs_d.h"
#include "store/blob_store.h"
#include "store/oci_types.h"

namespace mini::registry {

namespace {

std::string HostPortOf(const std::string& origin) {
  size_t p = origin.find("://");
  return p == std::string::npos ? origin : origin.substr(p + 3);
}

std::string WithQuery(const std::string& url, const std::string& kv) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + kv;
}

std::string StripParams(std::string ct) {
  size_t semi = ct.find(';');
  if (semi != std::string::npos) ct = ct.substr(0, semi);
  while (!ct.empty() && ct.back() == ' ') ct.pop_back();
  return ct;
}

}  // namespace

bool IsRetryable(const HttpResponse& r) {
  switch (r.error) {
    case TransportError::kConnect:
    case TransportError::kTimeout:
    case TransportError::kPartial:
      return true;
    case TransportError::kNone:
      return r.status == 429 || r.status >= 500;
    default:
      return false;
  }
}

std::string DescribeFailure(const HttpResponse& r) {
  if (r.error != TransportError::kNone) return r.error_message;
  std::string msg;
  try {
    auto j = nlohmann::json::parse(r.body);
    if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
      const auto& e = j["errors"][0];
      std::string code = e.value("code", "");
      std::string m = e.value("message", "");
      std::transform(code.begin(), code.end(), code.begin(), [](unsigned char c) { return c == '_' ? ' ' : std::tolower(c); });
      msg = code.empty() ? m : (m.empty() || m == code ? code : code + ": " + m);
    }
  } catch (const nlohmann::json::exception&) {
  }
  if (msg.empty()) msg = "HTTP " + std::to_string(r.status);
  return msg;
}

RegistryClient::RegistryClient(HttpClient& http, std::string domain, std::string repo, RegistryOptions opts,
                               std::optional<Credential> cred, TokenCache& tokens)
    : http_(http),
      domain_(std::move(domain)),
      api_host_(domain_ == "docker.io" ? "registry-1.docker.io" : domain_),
      repo_(std::move(repo)),
      opts_(std::move(opts)),
      auth_(http, std::move(cred), tokens, [this](const std::string& url) { return TlsFor(url); }) {}

TlsOptions RegistryClient::TlsFor(const std::string& url) const {
  TlsOptions t = CertsFor(opts_.certs_dirs, HostPortOf(OriginOf(url)));
  t.verify = opts_.tls_verify;
  return t;
}

std::string RegistryClient::BaseUrl() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!base_url_.empty()) return base_url_;
  std::string https = "https://" + api_host_;
  if (opts_.tls_verify && !IsLoopbackHost(api_host_)) return base_url_ = https;
  // An insecure registry (loopback, or --tls-verify=false) may speak plain HTTP: try TLS first
  // and fall back only when the peer does not speak TLS at all (a certificate that fails
  // verification is an error, not a reason to drop TLS).
  HttpRequest req;
  req.url = https + "/v2/";
  req.tls = TlsFor(req.url);
  req.connect_timeout_s = 10;
  HttpResponse r = http_.Do(req);
  if (r.error == TransportError::kTlsHandshake) {
    Debug(api_host_ + " does not speak TLS; using plain HTTP");
    return base_url_ = "http://" + api_host_;
  }
  return base_url_ = https;
}

std::vector<std::string> RegistryClient::PullScope() const { return {"repository:" + repo_ + ":pull"}; }
std::vector<std::string> RegistryClient::PushScope() const { return {"repository:" + repo_ + ":pull,push"}; }

std::string RegistryClient::BlobUrl(const Digest& d) { return BaseUrl() + "/v2/" + repo_ + "/blobs/" + d.str(); }

void RegistryClient::Backoff(int attempt, const HttpResponse& r) const {
  auto delay = opts_.backoff * (1 << std::min(attempt - 1, 4));
  if (std::string ra = r.Header("retry-after"); !ra.empty() && std::all_of(ra.begin(), ra.end(), ::isdigit) && ra.size() < 4)
    delay = std::chrono::milliseconds(std::min(std::stoi(ra), 30) * 1000);
  Debug("retrying in " + std::to_string(delay.count()) + " ms after: " + DescribeFailure(r));
  std::this_thread::sleep_for(delay);
}

HttpResponse RegistryClient::Send(HttpRequest req, const std::vector<std::string>& scopes, bool retry) {
  const std::string registry_origin = OriginOf(BaseUrl());
  const std::string first_url = req.url;
  const auto base_headers = req.headers;
  const std::string method = req.method;
  int attempt = 0, auth_rounds = 0, redirects = 0;
  for (;;) {
    req.headers = base_headers;
    req.tls = TlsFor(req.url);
    req.stall_timeout_s = opts_.stall_timeout_s;
    bool own_origin = OriginOf(req.url) == registry_origin;
    // SECURITY.md: credentials never go over plain HTTP to a non-loopback host, whatever
    // --tls-verify says.
    std::string origin = OriginOf(req.url);
    bool plain_remote = origin.rfind("http://", 0) == 0 && !IsLoopbackHost(HostPortOf(origin).substr(0, HostPortOf(origin).rfind(':')));
    std::string sent;
    if (own_origin && !plain_remote) {
      sent = auth_.HeaderFor(scopes);
      if (!sent.empty()) req.headers.push_back({"Authorization", sent});
    }
    Debug(req.method + " " + req.url);
    HttpResponse r = http_.Do(req);
    if (r.error == TransportError::kNone && r.status == 401 && own_origin && plain_remote)
      throw Error(api_host_ + " asks for credentials, which mini does not send over plain HTTP to a non-loopback host");
    if (r.error == TransportError::kNone && r.status == 401 && own_origin && auth_rounds < 3) {
      auth_rounds++;
      if (auth_.OnUnauthorized(r.Header("www-authenticate"), scopes, sent)) continue;
      return r;
    }
    if (r.error == TransportError::kNone && r.status >= 300 && r.status < 400 && r.status != 304 &&
        !r.Header("location").empty()) {
      if (++redirects > 10) throw Error("too many redirects from " + first_url);
      req.url = ResolveUrl(req.url, r.Header("location"));
      if (r.status == 303 && method != "HEAD") req.method = "GET";
      continue;  // credentials are added above only when the new URL is the registry's own origin
    }
    if (retry && r.streamed == 0 && IsRetryable(r) && ++attempt < opts_.max_attempts) {
      Backoff(attempt, r);
      req.url = first_url;
      req.method = method;
      continue;
    }
    return r;
  }
}

namespace {

[[noreturn]] void Fail(const HttpResponse& r, const std::string& what, bool has_cred) {
  if (r.error == TransportError::kNone && r.status == 401)
    throw Error(what + ": " + (has_cred ? "unauthorized: incorrect username or password, or no access"
                                        : "unauthorized: authentication required"));
  if (r.error == TransportError::kNone && r.status == 403) throw Error(what + ": denied: " + DescribeFailure(r));
  // Kinds a caller with another source (a mirror, then the origin) falls back on.
  throw Error(IsRetryable(r) ? ErrorKind::kRetryable : ErrorKind::kInternal, what + ": " + DescribeFailure(r));
}

}  // namespace

void RegistryClient::Ping() {
  HttpRequest req;
  req.url = BaseUrl() + "/v2/";
  HttpResponse r = Send(req, {});
  if (!r.ok()) Fail(r, "login " + domain_, auth_.has_credentials());
}

FetchedDocument RegistryClient::GetManifest(const std::string& reference) {
  HttpRequest req;
  req.url = BaseUrl() + "/v2/" + repo_ + "/manifests/" + reference;
  req.headers.push_back({"Accept", std::string(media::kOciIndex) + ", " + media::kOciManifest + ", " +
                                       media::kDockerManifestList + ", " + media::kDockerManifest});
  req.max_body = kMaxDocumentSize;
  HttpResponse r = Send(req, PullScope());
  std::string what = "manifest " + repo_ + (reference.rfind("sha256:", 0) == 0 ? "@" : ":") + reference;
  if (r.error == TransportError::kTooLarge) throw Error(what + ": larger than " + std::to_string(kMaxDocumentSize) + " bytes");
  if (r.error == TransportError::kNone && r.status == 404) throw Error(ErrorKind::kNotFound, what + ": not found: " + DescribeFailure(r));
  if (!r.ok()) Fail(r, what, auth_.has_credentials());
  return {std::move(r.body), StripParams(r.Header("content-type")), r.Header("docker-content-digest")};
}

void RegistryClient::FetchBlob(const Digest& d, const std::function<bool(const char*, size_t)>& sink) {
  uint64_t delivered = 0;
  int failures = 0;
  for (;;) {
    HttpRequest req;
    req.url = BlobUrl(d);
    const uint64_t start = delivered;
    if (start > 0) req.headers.push_back({"Range", "bytes=" + std::to_string(start) + "-"});
    uint64_t pos = 0;  // position in this response's body when the server ignored Range
    bool cancelled = false;
    req.on_data = [&](long status, const char* p, size_t n) {
      if (status == 200 && start > 0) {
        if (pos + n <= start) {
          pos += n;
          return true;
        }
        size_t skip = pos < start ? static_cast<size_t>(start - pos) : 0;
        pos += n;
        p += skip;
        n -= skip;
      }
      if (!sink(p, n)) {
        cancelled = true;
        return false;
      }
      delivered += n;
      return true;
    };
    HttpResponse r = Send(req, PullScope());
    if (cancelled) throw Error("blob " + d.str() + ": cancelled");
    if (r.ok()) return;
    if (IsRetryable(r)) {
      if (delivered > start) failures = 0;
      if (++failures < opts_.max_attempts) {
        if (delivered > 0) Debug("blob " + d.str() + ": resuming at byte " + std::to_string(delivered));
        Backoff(failures, r);
        continue;
      }
    }
    if (r.error == TransportError::kNone && r.status == 404) throw Error("blob " + d.str() + ": not found: " + DescribeFailure(r));
    Fail(r, "blob " + d.str(), auth_.has_credentials());
  }
}

std::optional<uint64_t> RegistryClient::BlobSize(const Digest& d) {
  HttpRequest req;
  req.method = "HEAD";
  req.url = BlobUrl(d);
  HttpResponse r = Send(req, PushScope());
  if (r.error == TransportError::kNone && r.status == 404) return std::nullopt;
  if (!r.ok()) Fail(r, "blob " + d.str(), auth_.has_credentials());
  std::string len = r.Header("content-length");
  return len.empty() ? 0 : std::stoull(len);
}

bool RegistryClient::MountBlob(const Digest& d, const std::string& from_repo) {
  HttpRequest req;
  req.method = "POST";
  req.url = BaseUrl() + "/v2/" + repo_ + "/blobs/uploads/?mount=" + d.str() + "&from=" + UrlEncode(from_repo);
  auto scopes = PushScope();
  scopes.push_back("repository:" + from_repo + ":pull");
  HttpResponse r = Send(req, scopes);
  if (r.error == TransportError::kNone && r.status == 201) return true;
  if (r.error == TransportError::kNone && r.status == 202 && !r.Header("location").empty()) {
    // The registry opened an upload session instead; cancel it so it does not linger.
    HttpRequest del;
    del.method = "DELETE";
    del.url = ResolveUrl(BaseUrl() + "/", r.Header("location"));
    Send(del, PushScope(), false);
  }
  return false;
}

void RegistryClient::UploadBlob(const Digest& d, const std::string& path, uint64_t size, uint64_t chunk_size,
                                const std::function<void(uint64_t)>& progress) {
  for (int attempt = 1;; attempt++) {
    try {
      UploadOnce(d, path, size, chunk_size, progress);
      return;
    } catch (const Error& e) {
      // UploadOnce throws a kRetryable Error for transient failures.
      if (!IsRetryable(e)) throw;
      if (attempt >= opts_.max_attempts) throw Error("upload blob " + d.str() + ": " + e.what());
      Debug("upload of " + d.str() + " failed (" + e.what() + "), starting again");
      std::this_thread::sleep_for(opts_.backoff * attempt);
    }
  }
}

void RegistryClient::UploadOnce(const Digest& d, const std::string& path, uint64_t size, uint64_t chunk_size,
                                const std::function<void(uint64_t)>& progress) {
  std::string what = "upload blob " + d.str();
  auto check = [&](const HttpResponse& r, long want) {
    if (r.error == TransportError::kNone && r.status == want) return;
    if (IsRetryable(r)) throw Error(ErrorKind::kRetryable, DescribeFailure(r));
    Fail(r, what, auth_.has_credentials());
  };
  HttpRequest post;
  post.method = "POST";
  post.url = BaseUrl() + "/v2/" + repo_ + "/blobs/uploads/";
  HttpResponse r = Send(post, PushScope());
  check(r, 202);
  std::string location = ResolveUrl(post.url, r.Header("location"));

  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) ThrowErrno("open " + path);
  auto body_from = [&](HttpRequest& req, uint64_t off, uint64_t len) {
    auto pos = std::make_shared<uint64_t>(0);
    req.upload = [&, pos, off, len](char* buf, size_t n) -> size_t {
      size_t want = static_cast<size_t>(std::min<uint64_t>(n, len - *pos));
      if (want == 0) return 0;
      ssize_t got = pread(fd.get(), buf, want, static_cast<off_t>(off + *pos));
      if (got < 0) ThrowErrno("read " + path);
      if (got == 0) throw Error(path + ": unexpected end of file");
      *pos += static_cast<uint64_t>(got);
      if (progress) progress(off + *pos);
      return static_cast<size_t>(got);
    };
    req.upload_size = len;
    req.headers.push_back({"Content-Type", "application/octet-stream"});
  };

  uint64_t off = 0;
  if (chunk_size > 0) {
    while (off < size) {
      uint64_t len = std::min(chunk_size, size - off);
      HttpRequest patch;
      patch.method = "PATCH";
      patch.url = location;
      patch.headers.push_back({"Content-Range", std::to_string(off) + "-" + std::to_string(off + len - 1)});
      body_from(patch, off, len);
      r = Send(patch, PushScope(), false);
      check(r, 202);
      if (!r.Header("location").empty()) location = ResolveUrl(location, r.Header("location"));
      off += len;
    }
  }
  HttpRequest put;
  put.method = "PUT";
  put.url = WithQuery(location, "digest=" + UrlEncode(d.str()));
  if (off < size) {
    body_from(put, off, size - off);
  } else {
    put.headers.push_back({"Content-Type", "application/octet-stream"});
  }
  r = Send(put, PushScope(), false);
  check(r, 201);
}

std::string RegistryClient::PutManifest(const std::string& reference, const std::string& media_type,
                                        const std::string& bytes) {
  HttpRequest req;
  req.method = "PUT";
  req.url = BaseUrl() + "/v2/" + repo_ + "/manifests/" + reference;
  req.headers.push_back({"Content-Type", media_type});
  req.body = bytes;
  HttpResponse r = Send(req, PushScope());
  if (!(r.error == TransportError::kNone && r.status == 201))
    Fail(r, "put manifest " + repo_ + ":" + reference, auth_.has_credentials());
  return r.Header("docker-content-digest");
}

}  // namespace mini::registry
