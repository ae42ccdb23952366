#pragma once
/// ADD's remote sources, with BuildKit's rules for telling them apart: an http(s) URL is a file
/// to download (unless it names a git repository, see git_source.h). The download goes through
/// the registry module's HTTP client (redirects followed here, at most 10), lands in a directory
/// of the caller as one file named after the URL's last path segment, mode 0600, its mtime from
/// Last-Modified; an archive is never unpacked. Errors name the URL.
#include <ctime>
#include <optional>
#include <string>

#include "common/digest.h"

namespace mini::registry {
class HttpClient;
}

namespace mini::build {

/// True for "http://..." and "https://..." (a git URL among them is told apart by the caller).
bool IsHttpUrl(const std::string& src);

/// BuildKit's file name for a URL: the last segment of its (decoded) path, "__unnamed__" when
/// there is none. Pure.
std::string UrlFileName(const std::string& url);

/// An HTTP date (RFC 1123, RFC 850 or asctime form) as a time; nullopt when unparsable. Pure.
std::optional<time_t> ParseHttpDate(const std::string& s);

struct HttpDownload {
  std::string path;           ///< dir/<name>
  std::string name;           ///< UrlFileName(url)
  Digest digest;              ///< sha256 of the content
  std::string last_modified;  ///< the header as sent, "" if none
  std::string etag;           ///< the ETag header, "" if none
  bool not_modified = false;  ///< 304 to a conditional request: no file, digest unset
};

/// What an earlier download of a URL answered, for a conditional request (BuildKit re-checks a
/// URL on every build with If-None-Match / If-Modified-Since).
struct HttpValidators {
  std::string etag, last_modified;
};

/// Downloads `url` into `dir`/UrlFileName(url). With `checksum` ("sha256:<hex>"), a different
/// content is refused: Error("digest mismatch for URL: sha256:GOT (expected: sha256:WANT)")
/// (BuildKit's message). With `known`, the request is conditional and a 304 answer returns
/// not_modified (nothing written). Throws Error("ADD URL: ...") for transport failures and
/// other non-2xx answers ("ADD URL: 404 Not Found").
HttpDownload DownloadHttp(registry::HttpClient& http, const std::string& url, const std::string& dir,
                          const std::optional<Digest>& checksum, const std::optional<HttpValidators>& known = {});

}  // namespace mini::build
