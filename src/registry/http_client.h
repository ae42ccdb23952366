#pragma once
/// One HTTP exchange behind a small interface, so the registry code can be tested against a fake
/// (tests/unit/registry_fake_http.h) and run against libcurl (NewCurlHttpClient).
///
/// The client never follows redirects and never adds credentials by itself: the caller sees every
/// 3xx and decides which headers go to the next host (SECURITY.md: credentials never follow a
/// redirect to another host). Transport failures are reported in the response, not thrown, so
/// the caller can decide to retry.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mini::registry {

/// How to talk TLS to one host.
struct TlsOptions {
  bool verify = true;      ///< verify the peer certificate and host name
  std::vector<std::string> ca_files;  ///< extra CAs (certs.d/HOST:PORT/*.crt), added to the system CAs
  std::string cert_file;   ///< client certificate (certs.d/.../*.cert), optional
  std::string key_file;    ///< its key (certs.d/.../*.key)
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  ///< e.g. {"Accept", "..."}
  /// Small request body (manifests, PATCH chunks are streamed with `upload` instead).
  std::string body;
  /// Streaming request body: fills up to n bytes, returns how many (0 = end). With upload_size.
  std::function<size_t(char* buf, size_t n)> upload;
  uint64_t upload_size = 0;
  /// Streaming response body for 2xx answers: called per chunk with the response status; return
  /// false to abort the transfer (reported as TransportError::kAborted). Non-2xx bodies are
  /// always buffered.
  std::function<bool(long status, const char* data, size_t n)> on_data;
  /// Cap for a buffered body; a longer one aborts the transfer with kTooLarge.
  uint64_t max_body = 4 << 20;
  TlsOptions tls;
  /// Abort when fewer than 1 byte/s arrives for this long (stalled transfer).
  int stall_timeout_s = 30;
  int connect_timeout_s = 30;
};

enum class TransportError {
  kNone,
  kConnect,     ///< DNS, refused, reset before any response
  kTlsHandshake,///< the peer does not speak TLS (or the handshake failed)
  kTlsVerify,   ///< certificate not trusted / name mismatch
  kTimeout,     ///< connect or stall timeout
  kPartial,     ///< the connection broke in the middle of a response
  kAborted,     ///< on_data returned false
  kTooLarge,    ///< buffered body above max_body
  kOther,
};

struct HttpResponse {
  long status = 0;  ///< 0 when the transport failed
  TransportError error = TransportError::kNone;
  std::string error_message;
  /// Header names in lower case; repeated headers are joined with ", " except
  /// www-authenticate, whose values are joined with "\n" (challenges contain commas).
  std::map<std::string, std::string> headers;
  std::string body;  ///< buffered body (non-2xx, or 2xx without on_data)
  uint64_t streamed = 0;  ///< bytes handed to on_data

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  bool ok() const { return error == TransportError::kNone && status >= 200 && status < 300; }
};

/// Performs one request. Thread-safe: may be called from several threads at once.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResponse Do(const HttpRequest& req) = 0;
};

/// The libcurl implementation (HTTP/1.1 and HTTP/2, system CAs plus TlsOptions::ca_files).
std::unique_ptr<HttpClient> NewCurlHttpClient();

/// "https://host:port/x?y" -> "https://host:port" (scheme, host and port, lower-cased host);
/// used to decide whether two URLs belong to the same origin. Empty if unparsable.
std::string OriginOf(const std::string& url);
/// Resolves a Location header against the URL it came from.
std::string ResolveUrl(const std::string& base, const std::string& location);
/// Percent-encodes a query parameter value.
std::string UrlEncode(const std::string& s);

}  // namespace mini::registry
