// Fuzzes the layer decompressors (gzip by zlib and by ISA-L's igzip, zstd, plain): any input
// decodes or throws mini::Error, and both gzip back ends agree, byte for byte, on what they
// produce and on whether the stream is valid. Each input is decoded twice per back end: in one
// piece, and fed in small chunks read out in small pieces (the network's shape).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "common/error.h"
#include "store/compression.h"

namespace {

/// Serves `s` at most `chunk` bytes per Read.
class ChunkSource : public mini::ByteSource {
 public:
  ChunkSource(const std::string& s, size_t chunk) : s_(s), chunk_(chunk) {}
  size_t Read(void* buf, size_t n) override {
    size_t k = std::min({n, chunk_, s_.size() - pos_});
    std::memcpy(buf, s_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  const std::string& s_;
  size_t chunk_;
  size_t pos_ = 0;
};

/// Output beyond this is not read (a small zstd frame can claim gigabytes).
constexpr size_t kMaxOut = 8 << 20;

/// The decoded bytes, or nullopt when the decoder threw.
std::optional<std::string> Decode(const std::string& in, size_t in_chunk, size_t out_chunk) {
  ChunkSource src(in, in_chunk);
  std::string out;
  try {
    auto d = mini::NewDecompressingSource(src, "fuzz");
    std::string buf(out_chunk, '\0');
    while (out.size() < kMaxOut) {
      size_t k = d->Read(buf.data(), buf.size());
      if (k == 0) break;
      if (k > buf.size()) std::abort();
      out.append(buf.data(), k);
    }
  } catch (const mini::Error&) {
    return std::nullopt;
  }
  return out.substr(0, kMaxOut);
}

void Agree(const std::optional<std::string>& a, const std::optional<std::string>& b, const char* what) {
  if (a == b) return;
  std::fprintf(stderr, "decompress_fuzz: %s: %s (%zu bytes) vs %s (%zu bytes)\n", what, a ? "ok" : "error",
               a ? a->size() : 0, b ? "ok" : "error", b ? b->size() : 0);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  size_t small = 1 + (size ? data[size - 1] % 61 : 0);
  mini::SetGzipDecoder(mini::GzipDecoder::kZlib);
  std::optional<std::string> zlib_whole = Decode(in, in.size() + 1, 1 << 16);
  std::optional<std::string> zlib_small = Decode(in, small, 1 + small % 7);
  Agree(zlib_whole, zlib_small, "zlib: whole vs chunked");
  if (mini::SetGzipDecoder(mini::GzipDecoder::kIsal)) {
    std::optional<std::string> isal_whole = Decode(in, in.size() + 1, 1 << 16);
    std::optional<std::string> isal_small = Decode(in, small, 1 + small % 7);
    Agree(isal_whole, isal_small, "isal: whole vs chunked");
    Agree(zlib_whole, isal_whole, "zlib vs isal");
  }
  return 0;
}
