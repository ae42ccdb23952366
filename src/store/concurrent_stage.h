#pragma once
/// Stages a layer from a tar stream on a thread of its own while the caller is still producing
/// the stream: `commit` packs a container's upper dir into a blob and, from the same tar bytes as
/// they are made, unpacks the new layer, instead of inflating the blob again afterwards.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "store/layer_store.h"

namespace mini {

class ConcurrentStage {
 public:
  /// Starts the unpacking thread (LayerStore::StageFromStream, no expectations: the caller
  /// checks the digests it computed itself).
  ConcurrentStage(LayerStore& layers, const UnpackOptions& opts);
  /// Stops the thread if Finish was not reached (the staging dir is removed).
  ~ConcurrentStage();
  ConcurrentStage(const ConcurrentStage&) = delete;
  ConcurrentStage& operator=(const ConcurrentStage&) = delete;

  /// The next bytes of the tar; waits while too much is queued. Throws the unpacker's error if it
  /// failed (it has then stopped reading).
  void Write(const void* data, size_t n);
  /// The end of the tar: waits for the unpacker and returns the staged layer, or throws its error.
  StagedLayer Finish();

 private:
  class Reader;
  void Run(LayerStore& layers, UnpackOptions opts);
  /// Reader side: up to n bytes, 0 at the end; throws if the writer gave up.
  size_t Read(void* buf, size_t n);
  void Close(bool abandoned);

  static constexpr size_t kMaxQueued = 8 << 20;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  size_t queued_ = 0;
  size_t front_pos_ = 0;  ///< bytes of queue_.front() already read
  bool closed_ = false;
  bool abandoned_ = false;
  bool reader_done_ = false;
  std::exception_ptr error_;
  StagedLayer staged_;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace mini
