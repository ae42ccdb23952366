#pragma once
/// gzip on every core: the input is cut into blocks of kGzipBlockSize bytes and each block is
/// compressed on its own into one gzip member (mtime 0, no name) by a pool of worker threads; the
/// members reach the writer in input order. A stream of members is one gzip stream to every
/// reader (gzip -d, zlib, Go's compress/gzip that docker and skopeo use, mini's own).
/// The bytes depend only on the input, the speed and the engine (libdeflate when mini was built
/// with libdeflate-dev, else zlib): never on the number of threads or on timing.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace mini {

/// Input bytes per gzip member. Part of the output format: changing it changes every digest.
constexpr size_t kGzipBlockSize = size_t{1} << 20;

/// The engine's name and the level it uses, e.g. "libdeflate level 3".
std::string GzipEncoderDescription(bool fastest);

/// The compressor (compression.h's NewCompressingSinkTo hands it out as a CompressingSink).
class ParallelGzip {
 public:
  using Writer = std::function<void(const void* data, size_t n)>;
  /// `out` is called on the thread that calls Write and Finish, with the members in order, so it
  /// needs no locking. `fastest` picks the fast level (import), else the default (within ~6% of
  /// `gzip -6`). `threads` 0 means one per CPU (at most 8). The workers stop on destruction.
  ParallelGzip(Writer out, std::string name, bool fastest, unsigned threads = 0);
  ~ParallelGzip();
  ParallelGzip(const ParallelGzip&) = delete;
  ParallelGzip& operator=(const ParallelGzip&) = delete;

  /// Throws Error (out of memory, a failed block) or what `out` threw.
  void Write(const void* data, size_t n);
  /// Hands out the last members; an empty input gives one empty member. Throws as Write.
  void Finish();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mini
