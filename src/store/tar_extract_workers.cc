#include "store/tar_extract_workers.h"

#include <algorithm>

namespace mini {

namespace {
/// Tasks go from the caller to a shard, and from a shard to its worker, in batches of up to this
/// many: a lock and a wake-up for every file would cost more than many of the files.
constexpr size_t kBatch = 32;
/// A batch is also handed over once it holds this much data.
constexpr size_t kBatchBytes = 128 << 10;
}  // namespace

ExtractWorkers::ExtractWorkers(int threads, size_t max_bytes, size_t max_tasks)
    : max_bytes_(max_bytes), max_tasks_(max_tasks), shards_(static_cast<size_t>(std::max(1, threads))) {
  for (auto& s : shards_) threads_.emplace_back([this, &s] { Loop(s); });
}

ExtractWorkers::~ExtractWorkers() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    for (auto& s : shards_) s.wake.notify_all();
  }
  for (auto& t : threads_) t.join();
}

void ExtractWorkers::Loop(Shard& s) {
  std::vector<Task> batch;
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    s.wake.wait(l, [&] { return stop_ || !s.queue.empty(); });
    if (stop_) return;
    size_t n = std::min(s.queue.size(), kBatch);
    for (size_t i = 0; i < n; i++) {
      batch.push_back(std::move(s.queue.front()));
      s.queue.pop_front();
    }
    s.running = true;
    l.unlock();
    size_t cost = 0;
    std::exception_ptr err;
    for (auto& t : batch) {
      cost += t.cost;
      if (err || failed_) continue;  // after a failure nothing more is written
      try {
        t.job->Run();
      } catch (...) {
        err = std::current_exception();
      }
      t.job.reset();  // the job's data is freed before its cost is given back
    }
    batch.clear();
    l.lock();
    if (err && !error_) {
      error_ = err;
      failed_ = true;
    }
    s.bytes -= cost;
    s.running = false;
    // The caller waits for room (woken at half full, not after every batch), or for the end of a
    // drain, or for a failure.
    if (s.queue.empty() || error_ ||
        (s.caller_waits && s.bytes <= max_bytes_ / 2 && s.queue.size() <= max_tasks_ / 2)) {
      s.caller_waits = false;
      idle_.notify_all();
    }
  }
}

void ExtractWorkers::ThrowIfFailed() {
  if (!error_) return;
  // Whatever is queued will not run: a failed layer is removed by the caller.
  for (auto& s : shards_) {
    for (auto& t : s.queue) s.bytes -= t.cost;
    s.queue.clear();
    s.batch.clear();
    s.batch_bytes = 0;
  }
  std::rethrow_exception(error_);
}

void ExtractWorkers::Submit(size_t key, size_t cost, std::unique_ptr<Job> job) {
  if (failed_) {
    std::lock_guard<std::mutex> l(mu_);
    ThrowIfFailed();
  }
  Shard& s = shards_[key % shards_.size()];
  s.batch.push_back({cost, std::move(job)});
  s.batch_bytes += cost;
  submitted_ = true;
  if (s.batch.size() >= kBatch || s.batch_bytes >= kBatchBytes) Flush(s);
}

void ExtractWorkers::Flush(Shard& s) {
  if (s.batch.empty()) return;
  std::unique_lock<std::mutex> l(mu_);
  idle_.wait(l, [&] {
    if (error_ || s.queue.empty() ||
        (s.bytes + s.batch_bytes <= max_bytes_ && s.queue.size() + s.batch.size() <= max_tasks_))
      return true;
    s.caller_waits = true;
    return false;
  });
  ThrowIfFailed();
  for (auto& t : s.batch) s.queue.push_back(std::move(t));
  s.bytes += s.batch_bytes;
  s.batch.clear();
  s.batch_bytes = 0;
  s.wake.notify_one();
}

void ExtractWorkers::Drain() {
  for (auto& s : shards_) Flush(s);
  std::unique_lock<std::mutex> l(mu_);
  idle_.wait(l, [&] {
    if (error_) return true;
    for (auto& s : shards_)
      if (!s.queue.empty() || s.running) return false;
    return true;
  });
  submitted_ = false;
  ThrowIfFailed();
}

}  // namespace mini
