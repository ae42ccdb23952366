#pragma once
/// Layer compression: detection by magic bytes, streaming decompression and compression.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/digest.h"
#include "common/io.h"

namespace mini {

enum class Compression { kNone, kGzip, kZstd };

/// Detects gzip (1f 8b) and zstd (28 b5 2f fd) by their magic; anything else is kNone.
Compression DetectCompression(const void* head, size_t n);
const char* CompressionName(Compression c);

/// A ByteSource that hashes everything it reads from `inner` (the blob digest) and counts it
/// (with `hash` false it only counts).
class HashingSource : public ByteSource {
 public:
  explicit HashingSource(ByteSource& inner, bool hash = true) : inner_(inner), hash_(hash) {}
  size_t Read(void* buf, size_t n) override;
  uint64_t count() const { return count_; }
  Digest Finish() { return sha_.Finish(); }

 private:
  ByteSource& inner_;
  bool hash_;
  Sha256 sha_;
  uint64_t count_ = 0;
};

/// Who inflates gzip: ISA-L's igzip when mini was built with it (libisal-dev), else zlib. Both
/// check every member's trailer (CRC-32 and length); the layer's diff_id is checked on top.
enum class GzipDecoder { kZlib, kIsal };
GzipDecoder ActiveGzipDecoder();
/// Switches the decoder for later sources (tests, benchmarks); false if `d` was not built in.
/// Not thread-safe: call before any decompression starts.
bool SetGzipDecoder(GzipDecoder d);

/// Decompresses `inner` (gzip, zstd or plain, detected from the first bytes) as a stream.
/// Read returns decompressed bytes; corrupt input throws Error("...: corrupt gzip data" ...).
std::unique_ptr<ByteSource> NewDecompressingSource(ByteSource& inner, const std::string& name);
/// Same; reads the first bytes of `inner` at once and stores what it detected in *detected.
std::unique_ptr<ByteSource> NewDecompressingSource(ByteSource& inner, const std::string& name,
                                                   Compression* detected);

/// Writes compressed output to an fd as data is pushed in. Finish() flushes the trailer.
class CompressingSink {
 public:
  virtual ~CompressingSink() = default;
  virtual void Write(const void* data, size_t n) = 0;
  virtual void Finish() = 0;
};
/// gzip with a zero mtime and no name, so the same input always gives the same bytes.
std::unique_ptr<CompressingSink> NewCompressingSink(Compression c, int out_fd, const std::string& name);
/// Same, handing every compressed chunk to `out` instead of writing an fd (to hash it on the way).
using ChunkWriter = std::function<void(const void* data, size_t n)>;
/// gzip is compressed on every core in 1 MiB members (store/parallel_gzip.h). kDefault stays
/// within ~6% of `gzip -6` (what Docker pushes) at ~5x zlib's speed per core; kFastest, ~7-11%
/// larger and faster again, is used where a whole rootfs is compressed at once (import).
enum class CompressionSpeed { kDefault, kFastest };
std::unique_ptr<CompressingSink> NewCompressingSinkTo(Compression c, ChunkWriter out, const std::string& name,
                                                      CompressionSpeed speed = CompressionSpeed::kDefault);
/// zstd at `level` with a checksum and no sizes or timestamps in the frame; `workers` > 0 makes
/// it multi-threaded (libzstd's bytes then depend on the input and level only, not on the
/// number of workers; single-threaded ones differ). NewCompressingSinkTo's zstd is level 3,
/// single-threaded. Throws Error.
std::unique_ptr<CompressingSink> NewZstdSinkTo(ChunkWriter out, const std::string& name, int level, unsigned workers);

}  // namespace mini
