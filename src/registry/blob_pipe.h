#pragma once
/// A bounded in-memory pipe between a download thread (libcurl pushes bytes into Write) and an
/// unpacking thread (which pulls them through ByteSource::Read), so one pass over the bytes
/// hashes, decompresses and extracts while the network is still delivering.
///
/// Thread-safe for one writer and one reader. Either side can stop the other: the writer with
/// Close/Fail (the reader sees EOF or an Error), the reader with Cancel (Write returns false).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "common/io.h"

namespace mini::registry {

class BlobPipe : public ByteSource {
 public:
  /// 4 MiB smooths the network against extraction; each concurrent download holds one.
  explicit BlobPipe(size_t capacity = 4 << 20) : capacity_(capacity) {}

  /// Writer side. Blocks while the pipe is full. Returns false once the reader cancelled.
  bool Write(const char* data, size_t n);
  /// End of stream: the reader gets 0 after the buffered bytes.
  void Close();
  /// The writer failed: the reader throws Error(message) (after nothing more is delivered).
  void Fail(const std::string& message);

  /// Reader side. Blocks until bytes, EOF or failure. Throws Error on failure or cancel.
  size_t Read(void* buf, size_t n) override;
  /// The reader gives up: pending and future Writes return false.
  void Cancel();

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  size_t front_pos_ = 0;
  size_t buffered_ = 0;
  bool closed_ = false;
  bool cancelled_ = false;
  std::string error_;
};

}  // namespace mini::registry
