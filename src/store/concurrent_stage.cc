#include "store/concurrent_stage.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace mini {

namespace {
/// Small writes (tar headers) are appended to the last chunk up to this size.
constexpr size_t kCoalesce = 256 << 10;
}  // namespace

class ConcurrentStage::Reader : public ByteSource {
 public:
  explicit Reader(ConcurrentStage& s) : s_(s) {}
  size_t Read(void* buf, size_t n) override { return s_.Read(buf, n); }

 private:
  ConcurrentStage& s_;
};

ConcurrentStage::ConcurrentStage(LayerStore& layers, const UnpackOptions& opts)
    : thread_([this, &layers, opts] { Run(layers, opts); }) {}

ConcurrentStage::~ConcurrentStage() {
  if (thread_.joinable()) {
    Close(/*abandoned=*/true);
    thread_.join();
  }
}

void ConcurrentStage::Run(LayerStore& layers, UnpackOptions opts) {
  try {
    Reader r(*this);
    opts.hash_blob = false;  // the input is the tar itself: diff_id covers it
    StagedLayer s = layers.StageFromStream(r, std::nullopt, std::nullopt, std::nullopt, opts);
    std::lock_guard<std::mutex> l(mu_);
    staged_ = std::move(s);
    reader_done_ = true;
  } catch (...) {
    std::lock_guard<std::mutex> l(mu_);
    error_ = std::current_exception();
    reader_done_ = true;
  }
  cv_.notify_all();
}

size_t ConcurrentStage::Read(void* buf, size_t n) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return !queue_.empty() || closed_; });
  if (abandoned_) throw Error("unpack: the tar stream was abandoned");
  if (queue_.empty()) return 0;
  const std::string& front = queue_.front();
  size_t k = std::min(n, front.size() - front_pos_);
  std::memcpy(buf, front.data() + front_pos_, k);
  front_pos_ += k;
  queued_ -= k;
  if (front_pos_ == front.size()) {
    queue_.pop_front();
    front_pos_ = 0;
  }
  cv_.notify_all();
  return k;
}

void ConcurrentStage::Write(const void* data, size_t n) {
  if (n == 0) return;
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [&] { return queued_ < kMaxQueued || reader_done_; });
  if (error_) std::rethrow_exception(error_);
  if (reader_done_) throw Error("unpack: the layer ended before the tar stream did");
  const char* p = static_cast<const char*>(data);
  if (!queue_.empty() && queue_.back().size() + n <= kCoalesce) queue_.back().append(p, n);
  else queue_.emplace_back(p, n);
  queued_ += n;
  cv_.notify_all();
}

void ConcurrentStage::Close(bool abandoned) {
  std::lock_guard<std::mutex> l(mu_);
  closed_ = true;
  abandoned_ = abandoned_ || abandoned;
  cv_.notify_all();
}

StagedLayer ConcurrentStage::Finish() {
  Close(/*abandoned=*/false);
  thread_.join();
  if (error_) std::rethrow_exception(error_);
  return std::move(staged_);
}

}  // namespace mini
