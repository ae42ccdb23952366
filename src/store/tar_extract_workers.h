#pragma once
/// Worker threads that write the small regular files of a layer while the extractor goes on
/// reading the tar (store/tar_extract.cc). Creating a file costs the kernel far more than the tar
/// costs to read (a directory lookup and insert, an inode, the page cache): ~30 us a file on one
/// core; on two, files in different directories are made side by side (ext4 locks a directory,
/// not the filesystem, while it adds a name).
///
/// Tasks are sharded by a key (the file's directory): tasks of one shard run one after another,
/// in order, on the same thread, so two entries of one path land in tar order. Everything else
/// about ordering is the caller's: it drains the pool before an entry that may touch what a
/// queued task touches.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace mini {

class ExtractWorkers {
 public:
  /// One task: the file it writes is its own data.
  struct Job {
    virtual ~Job() = default;
    virtual void Run() = 0;
  };

  /// `threads` workers; each queues up to `max_bytes` of task cost (the file data it holds) and
  /// `max_tasks` tasks before Submit waits.
  ExtractWorkers(int threads, size_t max_bytes, size_t max_tasks);
  /// Drops what is still queued and joins the workers (after a failure on the caller's side).
  ~ExtractWorkers();
  ExtractWorkers(const ExtractWorkers&) = delete;
  ExtractWorkers& operator=(const ExtractWorkers&) = delete;

  /// Queues `job` (which holds `cost` bytes) on the shard of `key`; waits while that shard is
  /// full. Throws the first error a job threw, if one did (the job is then not queued). Jobs
  /// are handed to the worker in batches: only Drain makes sure all of them run.
  void Submit(size_t key, size_t cost, std::unique_ptr<Job> job);
  /// Waits until every queued task has run; throws the first error a task threw. Tasks queued
  /// after a failure are dropped, not run.
  void Drain();
  /// Whether anything was submitted since the last Drain.
  bool busy() const { return submitted_; }

 private:
  struct Task {
    size_t cost;
    std::unique_ptr<Job> job;
  };
  struct Shard {
    std::vector<Task> batch;  ///< the caller's, not yet queued (no lock)
    size_t batch_bytes = 0;
    std::deque<Task> queue;
    size_t bytes = 0;
    bool running = false;
    bool caller_waits = false;  ///< Submit waits for room in this shard
    std::condition_variable wake;  ///< the worker: a task or the stop
  };
  void Loop(Shard& s);
  /// Queues the shard's batch; waits while the shard is full.
  void Flush(Shard& s);
  void ThrowIfFailed();  // with mu_ held

  const size_t max_bytes_;
  const size_t max_tasks_;
  std::mutex mu_;
  std::condition_variable idle_;  ///< the caller: room in a shard, a shard done, or a failure
  std::vector<Shard> shards_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};  ///< error_ is set (read without the lock)
  bool stop_ = false;
  bool submitted_ = false;
  std::vector<std::thread> threads_;  // last: started once everything above exists
};

}  // namespace mini
