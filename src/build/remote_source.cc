#include "build/remote_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "common/error.h"
#include "common/fs.h"
#include "registry/http_client.h"

namespace mini::build {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

bool IsHttpUrl(const std::string& src) { return src.rfind("http://", 0) == 0 || src.rfind("https://", 0) == 0; }

std::string UrlFileName(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t path_at = url.find('/', start);
  if (path_at == std::string::npos) return "__unnamed__";
  std::string path = url.substr(path_at);
  path = path.substr(0, path.find_first_of("?#"));
  path = PercentDecode(path);
  // path.Base: trailing slashes are dropped first; "/" and "" give no name.
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  std::string base = path.substr(path.rfind('/') + 1);
  if (base.empty() || base == "." || base == ".." || base.find('\0') != std::string::npos) return "__unnamed__";
  return base;
}

std::optional<time_t> ParseHttpDate(const std::string& s) {
  for (const char* fmt : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    struct tm tm;
    std::memset(&tm, 0, sizeof(tm));
    const char* end = strptime(s.c_str(), fmt, &tm);
    if (end && *end == '\0') return timegm(&tm);
  }
  return std::nullopt;
}

HttpDownload DownloadHttp(registry::HttpClient& http, const std::string& url, const std::string& dir,
                          const std::optional<Digest>& checksum, const std::optional<HttpValidators>& known) {
  HttpDownload d;
  d.name = UrlFileName(url);
  d.path = dir + "/" + d.name;
  std::string at = url;
  for (int hop = 0;; ++hop) {
    UniqueFd out(open(d.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) ThrowErrno("create " + d.path);
    Sha256 sha;
    registry::HttpRequest req;
    req.url = at;
    req.stall_timeout_s = 60;
    if (known && !known->etag.empty()) req.headers.emplace_back("If-None-Match", known->etag);
    if (known && !known->last_modified.empty()) req.headers.emplace_back("If-Modified-Since", known->last_modified);
    std::string write_error;
    req.on_data = [&](long, const char* data, size_t n) {
      try {
        WriteAll(out.get(), data, n, d.path);
      } catch (const Error& e) {
        write_error = e.what();
        return false;
      }
      sha.Update(data, n);
      return true;
    };
    registry::HttpResponse resp = http.Do(req);
    if (!write_error.empty()) throw Error("ADD " + url + ": " + write_error);
    if (resp.error != registry::TransportError::kNone)
      throw Error(ErrorKind::kRetryable, "ADD " + url + ": " + (resp.error_message.empty() ? "transfer failed" : resp.error_message));
    if (resp.status >= 300 && resp.status < 400 && !resp.Header("location").empty()) {
      if (hop >= 10) throw Error("ADD " + url + ": stopped after 10 redirects");
      at = registry::ResolveUrl(at, resp.Header("location"));
      if (!IsHttpUrl(at)) throw Error("ADD " + url + ": redirected to a URL that is not http(s): " + at);
      continue;
    }
    if (resp.status == 304 && known) {
      out.reset();
      unlink(d.path.c_str());
      d.not_modified = true;
      return d;
    }
    if (!resp.ok()) {
      std::string line = std::to_string(resp.status);
      if (resp.status == 404) line += " Not Found";
      throw Error("ADD " + url + ": " + line);
    }
    if (fsync(out.get()) != 0) ThrowErrno("fsync " + d.path);
    d.digest = sha.Finish();
    d.last_modified = resp.Header("last-modified");
    d.etag = resp.Header("etag");
    break;
  }
  if (checksum && *checksum != d.digest)
    throw Error(ErrorKind::kInvalidInput,
                "digest mismatch for " + url + ": " + d.digest.str() + " (expected: " + checksum->str() + ")");
  if (auto t = ParseHttpDate(d.last_modified)) {
    struct timespec ts[2] = {{*t, 0}, {*t, 0}};
    if (utimensat(AT_FDCWD, d.path.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) ThrowErrno("utimens " + d.path);
  }
  return d;
}

}  // namespace mini::build
