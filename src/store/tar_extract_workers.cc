#include "store/tar_extract_workers.h"

#include <algorithm>

namespace mini {

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
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    s.wake.wait(l, [&] { return stop_ || !s.queue.empty(); });
    if (stop_) return;
    Task t = std::move(s.queue.front());
    s.queue.pop_front();
    s.running = true;
    if (!error_) {
      l.unlock();
      std::exception_ptr err;
      try {
        t.job->Run();
      } catch (...) {
        err = std::current_exception();
      }
      t.job.reset();  // the job's data is freed before its cost is given back
      l.lock();
      if (err && !error_) error_ = err;
    }
    s.bytes -= t.cost;
    s.running = false;
    // The caller waits for room (woken at half full, not after every file: a context switch a
    // file would cost more than the file), or for the end of a drain, or for a failure.
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
  }
  std::rethrow_exception(error_);
}

void ExtractWorkers::Submit(size_t key, size_t cost, std::unique_ptr<Job> job) {
  Shard& s = shards_[key % shards_.size()];
  std::unique_lock<std::mutex> l(mu_);
  idle_.wait(l, [&] {
    if (error_ || s.queue.empty() || (s.bytes + cost <= max_bytes_ && s.queue.size() < max_tasks_)) return true;
    s.caller_waits = true;
    return false;
  });
  ThrowIfFailed();
  s.queue.push_back({cost, std::move(job)});
  s.bytes += cost;
  submitted_ = true;
  s.wake.notify_one();
}

void ExtractWorkers::Drain() {
  std::unique_lock<std::mutex> l(mu_);
  idle_.wait(l, [&] {
    if (error_) return true;
    for (auto& s : shards_)
      if (!s.queue.empty() || s.running) return false;
    return true;
  });
  submitted_ = false;
  if (error_) {
    ThrowIfFailed();
  }
}

}  // namespace mini
