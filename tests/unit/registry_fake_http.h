#pragma once
/// A scripted HttpClient for registry unit tests: a handler decides each response, and every
/// request is recorded for assertions (URL, method, headers).
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "registry/http_client.h"

namespace mini::registry::testing {

class FakeHttp : public HttpClient {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  explicit FakeHttp(Handler h) : handler_(std::move(h)) {}

  HttpResponse Do(const HttpRequest& req) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      log_.push_back(req);
    }
    HttpResponse r = handler_(req);
    // Deliver a 2xx body through on_data like the real client does.
    if (r.error == TransportError::kNone && r.status >= 200 && r.status < 300 && req.on_data && !r.body.empty()) {
      if (!req.on_data(r.status, r.body.data(), r.body.size())) {
        r.status = 0;
        r.error = TransportError::kAborted;
      } else {
        r.streamed = r.body.size();
      }
      r.body.clear();
    }
    return r;
  }

  std::vector<HttpRequest> log() {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }
  static std::string HeaderOf(const HttpRequest& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "";
  }

 private:
  Handler handler_;
  std::mutex mu_;
  std::vector<HttpRequest> log_;
};

inline HttpResponse Reply(long status, std::string body = "", std::map<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

}  // namespace mini::registry::testing
