#include "store/parallel_gzip.h"

#ifdef MINI_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#include <zlib.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "common/error.h"

namespace mini {
namespace {

/// libdeflate's level 3 stays within ~6% of `gzip -6` on text and ~1.5% on binaries at 4-5x
/// zlib's speed; level 1 (import: a whole rootfs at once) is ~7-11% larger and twice as fast
/// again. Without libdeflate, zlib's 6 and 1.
int LevelFor(bool fastest) {
#ifdef MINI_HAVE_LIBDEFLATE
  return fastest ? 1 : 3;
#else
  return fastest ? Z_BEST_SPEED : 6;
#endif
}

/// One worker's compressor: a whole block in, one gzip member out.
class BlockCompressor {
 public:
  BlockCompressor(int level, const std::string& name) : level_(level), name_(name) {
#ifdef MINI_HAVE_LIBDEFLATE
    c_ = libdeflate_alloc_compressor(level);
    if (!c_) throw Error(name_ + ": cannot initialise libdeflate");
#endif
  }
  ~BlockCompressor() {
#ifdef MINI_HAVE_LIBDEFLATE
    libdeflate_free_compressor(c_);
#endif
  }
  BlockCompressor(const BlockCompressor&) = delete;
  BlockCompressor& operator=(const BlockCompressor&) = delete;

  void Compress(const std::vector<unsigned char>& in, std::vector<unsigned char>* out) {
#ifdef MINI_HAVE_LIBDEFLATE
    out->resize(libdeflate_gzip_compress_bound(c_, in.size()));
    size_t n = libdeflate_gzip_compress(c_, in.data(), in.size(), out->data(), out->size());
    if (n == 0) throw Error(name_ + ": gzip compression failed");
    out->resize(n);
#else
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level_, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw Error(name_ + ": cannot initialise zlib");
    out->resize(deflateBound(&zs, in.size()));
    zs.next_in = const_cast<unsigned char*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = out->data();
    zs.avail_out = static_cast<uInt>(out->size());
    int r = deflate(&zs, Z_FINISH);
    out->resize(zs.total_out);
    deflateEnd(&zs);
    if (r != Z_STREAM_END) throw Error(name_ + ": gzip compression failed");
#endif
  }

 private:
  [[maybe_unused]] int level_;
  std::string name_;
#ifdef MINI_HAVE_LIBDEFLATE
  libdeflate_compressor* c_ = nullptr;
#endif
};

struct Block {
  std::vector<unsigned char> in;
  std::vector<unsigned char> out;
  bool done = false;
  std::exception_ptr error;
};

}  // namespace

class ParallelGzip::Impl {
 public:
  Impl(Writer out, std::string name, bool fastest, unsigned threads)
      : out_(std::move(out)), name_(std::move(name)), level_(LevelFor(fastest)) {
    if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    max_in_flight_ = 2 * threads + 1;
    cur_ = NewBlock();
    for (unsigned i = 0; i < threads; i++) workers_.emplace_back([this] { Work(); });
  }
  ~Impl() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  void Write(const void* data, size_t n) {
    const unsigned char* p = static_cast<const unsigned char*>(data);
    while (n > 0) {
      size_t k = std::min(n, kGzipBlockSize - cur_->in.size());
      cur_->in.insert(cur_->in.end(), p, p + k);
      p += k;
      n -= k;
      if (cur_->in.size() == kGzipBlockSize) Submit();
    }
  }

  void Finish() {
    if (!cur_->in.empty() || !submitted_any_) Submit();  // empty input: one empty member
    std::unique_lock<std::mutex> l(mu_);
    while (!pending_.empty()) EmitFront(l);
  }

 private:
  std::unique_ptr<Block> NewBlock() {
    std::unique_ptr<Block> b;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!free_.empty()) {
        b = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!b) b = std::make_unique<Block>();
    b->in.clear();
    b->in.reserve(kGzipBlockSize);
    b->done = false;
    b->error = nullptr;
    return b;
  }

  /// Queues the current block, first handing out the members already done (and waiting for the
  /// oldest when too many are in flight, which bounds the memory to max_in_flight_ blocks).
  void Submit() {
    submitted_any_ = true;
    {
      std::unique_lock<std::mutex> l(mu_);
      while (pending_.size() >= max_in_flight_ || (!pending_.empty() && pending_.front()->done)) EmitFront(l);
      Block* b = cur_.get();
      pending_.push_back(std::move(cur_));
      todo_.push_back(b);
    }
    work_cv_.notify_one();
    cur_ = NewBlock();
  }

  /// Waits for the oldest block, writes its member (without the lock) and recycles it.
  void EmitFront(std::unique_lock<std::mutex>& l) {
    done_cv_.wait(l, [&] { return pending_.front()->done; });
    std::unique_ptr<Block> b = std::move(pending_.front());
    pending_.pop_front();
    if (b->error) std::rethrow_exception(b->error);
    l.unlock();
    try {
      out_(b->out.data(), b->out.size());
    } catch (...) {
      l.lock();
      throw;
    }
    l.lock();
    free_.push_back(std::move(b));
  }

  void Work() {
    std::unique_ptr<BlockCompressor> c;
    for (;;) {
      Block* b;
      {
        std::unique_lock<std::mutex> l(mu_);
        work_cv_.wait(l, [&] { return stop_ || !todo_.empty(); });
        if (stop_) return;
        b = todo_.front();
        todo_.pop_front();
      }
      try {
        if (!c) c = std::make_unique<BlockCompressor>(level_, name_);
        c->Compress(b->in, &b->out);
      } catch (...) {
        b->error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> l(mu_);
        b->done = true;
      }
      done_cv_.notify_all();
    }
  }

  Writer out_;
  std::string name_;
  int level_;
  size_t max_in_flight_ = 1;
  bool submitted_any_ = false;
  std::unique_ptr<Block> cur_;  ///< being filled by Write (the writer's thread only)

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<std::unique_ptr<Block>> pending_;  ///< submitted, in input order
  std::deque<Block*> todo_;                     ///< submitted, not yet taken by a worker
  std::vector<std::unique_ptr<Block>> free_;    ///< emitted, buffers kept for reuse
  bool stop_ = false;
  std::vector<std::thread> workers_;  // last: joined (in the destructor) before the rest goes
};

ParallelGzip::ParallelGzip(Writer out, std::string name, bool fastest, unsigned threads)
    : impl_(std::make_unique<Impl>(std::move(out), std::move(name), fastest, threads)) {}
ParallelGzip::~ParallelGzip() = default;
void ParallelGzip::Write(const void* data, size_t n) { impl_->Write(data, n); }
void ParallelGzip::Finish() { impl_->Finish(); }

std::string GzipEncoderDescription(bool fastest) {
#ifdef MINI_HAVE_LIBDEFLATE
  return "libdeflate level " + std::to_string(LevelFor(fastest));
#else
  return "zlib level " + std::to_string(LevelFor(fastest));
#endif
}

}  // namespace mini
