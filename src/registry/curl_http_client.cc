// HttpClient over libcurl: one easy handle per thread (kept for connection reuse), no redirect
// following, transport errors mapped to TransportError for the caller's retry policy.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <mutex>

#include "common/error.h"
#include "common/fs.h"
#include "registry/http_client.h"

namespace mini::registry {

namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

/// State shared with the libcurl callbacks of one transfer.
struct Transfer {
  const HttpRequest* req = nullptr;
  HttpResponse* resp = nullptr;
  CURL* easy = nullptr;
  bool aborted = false;
  bool too_large = false;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

size_t OnHeader(char* data, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->resp->headers.clear();  // a new response (after 100 Continue): forget the old headers
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = Lower(Trim(line.substr(0, colon)));
  std::string value = Trim(line.substr(colon + 1));
  auto& slot = t->resp->headers[name];
  if (slot.empty()) slot = value;
  else slot += (name == "www-authenticate" ? "\n" : ", ") + value;
  return size * n;
}

size_t OnData(char* data, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  size_t len = size * n;
  long code = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
  if (code >= 200 && code < 300 && t->req->on_data) {
    if (!t->req->on_data(code, data, len)) {
      t->aborted = true;
      return 0;
    }
    t->resp->streamed += len;
    return len;
  }
  if (t->resp->body.size() + len > t->req->max_body) {
    t->too_large = true;
    return 0;
  }
  t->resp->body.append(data, len);
  return len;
}

size_t OnRead(char* buf, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  try {
    return t->req->upload(buf, size * n);
  } catch (...) {
    t->aborted = true;
    return CURL_READFUNC_ABORT;
  }
}

/// The system CAs followed by `extra` as one PEM bundle, built once per set of files: curl takes
/// a single CA source, and CURLOPT_CAINFO alone would replace the system's CAs.
std::shared_ptr<const std::string> CaBundle(CURL* c, const std::vector<std::string>& extra) {
  static std::mutex mu;
  static std::map<std::vector<std::string>, std::shared_ptr<const std::string>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(extra); it != cache.end()) return it->second;
  char* system = nullptr;
  curl_easy_getinfo(c, CURLINFO_CAINFO, &system);
  std::string pem = ReadFileIfExists(system ? system : "/etc/ssl/certs/ca-certificates.crt", 16 << 20).value_or("");
  for (const auto& f : extra) {
    auto data = ReadFileIfExists(f, 1 << 20);
    if (!data) throw Error("read CA certificate " + f + ": not found");
    if (!pem.empty() && pem.back() != '\n') pem += '\n';
    pem += *data;
  }
  return cache[extra] = std::make_shared<const std::string>(std::move(pem));
}

TransportError MapError(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
      return TransportError::kConnect;
    case CURLE_SSL_CONNECT_ERROR:
      return TransportError::kTlsHandshake;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return TransportError::kTlsVerify;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::kTimeout;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TransportError::kPartial;
    default:
      return TransportError::kOther;
  }
}

class CurlHttpClient : public HttpClient {
 public:
  CurlHttpClient() { GlobalInit(); }

  HttpResponse Do(const HttpRequest& req) override {
    thread_local std::unique_ptr<CURL, EasyDeleter> handle(curl_easy_init());
    CURL* c = handle.get();
    if (!c) throw Error("libcurl: cannot create a handle");
    curl_easy_reset(c);
    HttpResponse resp;
    Transfer t{&req, &resp, c};
    char errbuf[CURL_ERROR_SIZE] = {};

    std::unique_ptr<curl_slist, SlistDeleter> headers;
    auto add_header = [&](const std::string& h) { headers.reset(curl_slist_append(headers.release(), h.c_str())); };
    for (const auto& [k, v] : req.headers) add_header(k + ": " + v);
    add_header("Expect:");  // no 100-continue round trip on uploads

    curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mini/0.1");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(req.connect_timeout_s));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(req.stall_timeout_s));
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnData);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, req.tls.verify ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, req.tls.verify ? 2L : 0L);
    std::shared_ptr<const std::string> bundle;
    curl_blob blob{};
    if (!req.tls.ca_files.empty()) {
      bundle = CaBundle(c, req.tls.ca_files);
      blob.data = const_cast<char*>(bundle->data());
      blob.len = bundle->size();
      blob.flags = CURL_BLOB_NOCOPY;
      curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (!req.tls.cert_file.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, req.tls.cert_file.c_str());
    if (!req.tls.key_file.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, req.tls.key_file.c_str());

    if (req.method == "HEAD") {
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (req.upload) {
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_READFUNCTION, OnRead);
      curl_easy_setopt(c, CURLOPT_READDATA, &t);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.upload_size));
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    } else if (req.method != "GET") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, req.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
      curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_OK) {
      resp.status = code;
      return resp;
    }
    resp.status = 0;
    if (t.aborted) {
      resp.error = TransportError::kAborted;
    } else if (t.too_large) {
      resp.error = TransportError::kTooLarge;
    } else {
      resp.error = MapError(rc);
      // A reply that started and then broke is a partial transfer whatever curl calls it.
      if (code != 0 && resp.error == TransportError::kConnect) resp.error = TransportError::kPartial;
    }
    resp.error_message = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (resp.error == TransportError::kTooLarge) resp.error_message = "response larger than " + std::to_string(req.max_body) + " bytes";
    return resp;
  }
};

}  // namespace

std::unique_ptr<HttpClient> NewCurlHttpClient() { return std::make_unique<CurlHttpClient>(); }

std::string OriginOf(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return "";
  char *scheme = nullptr, *host = nullptr, *port = nullptr;
  std::string out;
  if (curl_url_get(u.get(), CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    out = Lower(scheme) + "://" + Lower(host) + ":" + port;
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  return out;
}

std::string ResolveUrl(const std::string& base, const std::string& location) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) throw Error("invalid URL " + base);
  if (curl_url_set(u.get(), CURLUPART_URL, location.c_str(), 0) != CURLUE_OK)
    throw Error("invalid redirect location " + location);
  char* out = nullptr;
  if (curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK) throw Error("invalid URL " + location);
  std::string s = out;
  curl_free(out);
  return s;
}

std::string UrlEncode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

}  // namespace mini::registry
