// BlobPipe: bounded producer/consumer byte pipe (see blob_pipe.h).
#include "registry/blob_pipe.h"

#include <cstring>

#include "common/error.h"

namespace mini::registry {

bool BlobPipe::Write(const char* data, size_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return cancelled_ || buffered_ < capacity_; });
  if (cancelled_) return false;
  chunks_.emplace_back(data, n);
  buffered_ += n;
  cv_.notify_all();
  return true;
}

void BlobPipe::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

void BlobPipe::Fail(const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  error_ = message.empty() ? "download failed" : message;
  cv_.notify_all();
}

void BlobPipe::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  chunks_.clear();
  buffered_ = 0;
  cv_.notify_all();
}

size_t BlobPipe::Read(void* buf, size_t n) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return cancelled_ || !chunks_.empty() || closed_; });
  if (cancelled_) throw Error("cancelled");
  if (!error_.empty()) throw Error(error_);
  if (chunks_.empty()) return 0;  // closed and drained
  size_t done = 0;
  auto* out = static_cast<char*>(buf);
  while (done < n && !chunks_.empty()) {
    std::string& c = chunks_.front();
    size_t take = std::min(n - done, c.size() - front_pos_);
    std::memcpy(out + done, c.data() + front_pos_, take);
    done += take;
    front_pos_ += take;
    if (front_pos_ == c.size()) {
      chunks_.pop_front();
      front_pos_ = 0;
    }
  }
  buffered_ -= done;
  cv_.notify_all();
  return done;
}

}  // namespace mini::registry
