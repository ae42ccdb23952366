#include "store/compression.h"

#include <zlib.h>
#include <zstd.h>
#ifdef MINI_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "store/parallel_gzip.h"

namespace mini {
namespace {

constexpr size_t kChunk = 64 * 1024;
/// Compressed input is read in pieces this big (the network delivers less per call anyway).
constexpr size_t kInputChunk = 256 * 1024;
constexpr size_t kMagicLen = 4;

/// Serves the bytes already read for detection, then the rest of `inner`. Used by every
/// decompressor as its input so that detection does not lose data.
class InputBuffer {
 public:
  InputBuffer(ByteSource& inner, std::string head) : inner_(inner), buf_(std::move(head)) {}

  /// Makes more input available if everything buffered was consumed; false at end of stream.
  bool Fill() {
    if (pos_ < buf_.size()) return true;
    if (eof_) return false;
    buf_.resize(kInputChunk);
    size_t n = inner_.Read(buf_.data(), buf_.size());
    buf_.resize(n);
    pos_ = 0;
    if (n == 0) eof_ = true;
    return n > 0;
  }
  /// Makes at least `n` bytes available at once (reading more as needed); false if the stream
  /// ends first.
  bool Peek(size_t n) {
    while (size() < n) {
      if (eof_) return false;
      buf_.erase(0, pos_);
      pos_ = 0;
      size_t old = buf_.size();
      buf_.resize(old + kInputChunk);
      size_t k = inner_.Read(buf_.data() + old, kInputChunk);
      buf_.resize(old + k);
      if (k == 0) eof_ = true;
    }
    return true;
  }
  const unsigned char* data() const { return reinterpret_cast<const unsigned char*>(buf_.data()) + pos_; }
  size_t size() const { return buf_.size() - pos_; }
  void Consume(size_t n) { pos_ += n; }

 private:
  ByteSource& inner_;
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
};

/// Between two gzip members: false at the end of the input, true when another member starts.
/// Trailing zero bytes (padding) are accepted; anything after them is corrupt.
bool NextMemberStarts(InputBuffer& in, bool* padding, const std::string& name) {
  for (;;) {
    if (!in.Fill()) return false;
    if (!*padding && in.data()[0] != 0) return true;
    *padding = true;
    for (size_t i = 0; i < in.size(); i++)
      if (in.data()[i] != 0) throw Error(name + ": corrupt gzip data (garbage after the end)");
    in.Consume(in.size());
  }
}

class PlainSource : public ByteSource {
 public:
  PlainSource(ByteSource& inner, std::string head) : in_(inner, std::move(head)) {}
  size_t Read(void* buf, size_t n) override {
    if (n == 0 || !in_.Fill()) return 0;
    size_t k = std::min(n, in_.size());
    std::memcpy(buf, in_.data(), k);
    in_.Consume(k);
    return k;
  }

 private:
  InputBuffer in_;
};

GzipDecoder g_gzip_decoder =
#ifdef MINI_HAVE_ISAL
    GzipDecoder::kIsal;
#else
    GzipDecoder::kZlib;
#endif

/// gzip, possibly several members back to back (as `cat a.gz b.gz`). Zero bytes after the last
/// member are tolerated (some tools pad); anything else is corrupt data. zlib checks each member's
/// trailer (CRC-32 and length of the output).
class GzipSource : public ByteSource {
 public:
  GzipSource(ByteSource& inner, std::string head, std::string name)
      : in_(inner, std::move(head)), name_(std::move(name)) {
    std::memset(&zs_, 0, sizeof zs_);
    if (inflateInit2(&zs_, 15 + 16) != Z_OK) throw Error(name_ + ": cannot initialise zlib");
  }
  ~GzipSource() override { inflateEnd(&zs_); }

  size_t Read(void* buf, size_t n) override {
    if (n == 0) return 0;
    for (;;) {
      if (member_done_) {
        if (!NextMemberStarts(in_, &padding_, name_)) return 0;
        if (inflateReset(&zs_) != Z_OK) throw Error(name_ + ": corrupt gzip data");
        member_done_ = false;
      }
      bool have_input = in_.Fill();
      zs_.next_in = const_cast<unsigned char*>(in_.data());
      zs_.avail_in = static_cast<uInt>(in_.size());
      zs_.next_out = static_cast<unsigned char*>(buf);
      zs_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
      uInt avail_before = zs_.avail_in;
      uInt out_before = zs_.avail_out;
      int r = inflate(&zs_, Z_NO_FLUSH);
      in_.Consume(avail_before - zs_.avail_in);
      size_t produced = out_before - zs_.avail_out;
      if (r == Z_STREAM_END) {
        member_done_ = true;
      } else if (r != Z_OK && !(r == Z_BUF_ERROR && !have_input)) {
        throw Error(name_ + ": corrupt gzip data");
      }
      if (produced > 0) return produced;
      if (!have_input && !member_done_) throw Error(name_ + ": truncated gzip data");
    }
  }

 private:
  InputBuffer in_;
  std::string name_;
  z_stream zs_;
  bool member_done_ = false;
  bool padding_ = false;
};

#ifdef MINI_HAVE_ISAL
/// A gzip member header with a header CRC (FHCRC) is made available in one piece: ISA-L 2.30
/// computes that CRC wrongly when the header reaches it over several isal_inflate calls (as it
/// always did here: detection reads the first 4 bytes on their own), and refuses the member.
/// Headers without FHCRC, cut short or longer than 1 MiB are left to igzip as they are.
void PeekHcrcHeader(InputBuffer& in) {
  constexpr size_t kMaxHeader = 1 << 20;
  if (!in.Peek(10) || !(in.data()[3] & 0x02)) return;
  unsigned char flags = in.data()[3];
  size_t len = 10;
  if (flags & 0x04) {  // FEXTRA: 2-byte length, then the field
    if (!in.Peek(len + 2)) return;
    len += 2 + (in.data()[len] | static_cast<size_t>(in.data()[len + 1]) << 8);
  }
  for (unsigned char zero_terminated : {0x08, 0x10}) {  // FNAME, FCOMMENT
    if (!(flags & zero_terminated)) continue;
    do {
      if (len >= kMaxHeader || !in.Peek(len + 1)) return;
    } while (in.data()[len++] != 0);
  }
  if (len + 2 <= kMaxHeader) in.Peek(len + 2);
}

/// The same gzip contract as GzipSource, decoded by ISA-L's igzip (several times zlib's speed).
/// With crc_flag ISAL_GZIP igzip parses each member's header and checks its trailer (CRC-32 and
/// length), like zlib; at the end of a member it hands back the input it read ahead.
class IsalGzipSource : public ByteSource {
 public:
  IsalGzipSource(ByteSource& inner, std::string head, std::string name)
      : in_(inner, std::move(head)), name_(std::move(name)) {
    StartMember();
  }

  size_t Read(void* buf, size_t n) override {
    if (n == 0) return 0;
    for (;;) {
      if (member_done_) {
        if (!NextMemberStarts(in_, &padding_, name_)) return 0;
        // What is not a gzip magic is corrupt now (zlib says so too), not truncated later.
        if (in_.data()[0] != 0x1f) throw Error(name_ + ": corrupt gzip data");
        StartMember();
      }
      bool have_input = in_.Fill();
      if (header_next_) {
        PeekHcrcHeader(in_);
        header_next_ = false;
      }
      st_.next_in = const_cast<uint8_t*>(in_.data());
      st_.avail_in = static_cast<uint32_t>(in_.size());
      st_.next_out = static_cast<uint8_t*>(buf);
      st_.avail_out = static_cast<uint32_t>(std::min<size_t>(n, 1u << 30));
      uint32_t in_before = st_.avail_in;
      uint32_t out_before = st_.avail_out;
      int r = isal_inflate(&st_);
      in_.Consume(in_before - st_.avail_in);
      size_t produced = out_before - st_.avail_out;
      if (r != ISAL_DECOMP_OK) throw Error(name_ + ": corrupt gzip data");
      if (st_.block_state == ISAL_BLOCK_FINISH) member_done_ = true;
      if (produced > 0) return produced;
      // No output and no progress on the input: igzip needs more bytes than there are.
      if (!have_input && !member_done_ && in_before == st_.avail_in) throw Error(name_ + ": truncated gzip data");
    }
  }

 private:
  void StartMember() {
    isal_inflate_init(&st_);
    st_.crc_flag = ISAL_GZIP;
    member_done_ = false;
    header_next_ = true;
  }

  InputBuffer in_;
  std::string name_;
  inflate_state st_;
  bool member_done_ = false;
  bool header_next_ = true;  ///< the next input starts a member's header
  bool padding_ = false;
};
#endif

/// zstd, any number of frames (skippable frames included).
class ZstdSource : public ByteSource {
 public:
  ZstdSource(ByteSource& inner, std::string head, std::string name)
      : in_(inner, std::move(head)), name_(std::move(name)), ds_(ZSTD_createDStream()) {
    if (!ds_) throw Error(name_ + ": cannot initialise zstd");
  }
  ~ZstdSource() override { ZSTD_freeDStream(ds_); }

  size_t Read(void* buf, size_t n) override {
    if (n == 0) return 0;
    for (;;) {
      bool have_input = in_.Fill();
      ZSTD_inBuffer ib{in_.data(), in_.size(), 0};
      ZSTD_outBuffer ob{buf, n, 0};
      size_t r = ZSTD_decompressStream(ds_, &ob, &ib);
      in_.Consume(ib.pos);
      if (ZSTD_isError(r)) throw Error(name_ + ": corrupt zstd data (" + ZSTD_getErrorName(r) + ")");
      if (ib.pos > 0 || ob.pos > 0) frame_done_ = (r == 0);  // a call without progress says nothing
      if (ob.pos > 0) return ob.pos;
      if (!have_input) {
        if (frame_done_) return 0;
        throw Error(name_ + ": truncated zstd data");
      }
    }
  }

 private:
  InputBuffer in_;
  std::string name_;
  ZSTD_DStream* ds_;
  bool frame_done_ = false;
};

class PlainSink : public CompressingSink {
 public:
  explicit PlainSink(ChunkWriter out) : out_(std::move(out)) {}
  void Write(const void* data, size_t n) override {
    if (n) out_(data, n);
  }
  void Finish() override {}

 private:
  ChunkWriter out_;
};

/// gzip in independent members compressed on every core (store/parallel_gzip.h): mtime 0, no
/// name. Deterministic whatever the number of threads.
class GzipSink : public CompressingSink {
 public:
  GzipSink(ChunkWriter out, std::string name, CompressionSpeed speed)
      : gz_(std::move(out), std::move(name), speed == CompressionSpeed::kFastest) {}
  void Write(const void* data, size_t n) override { gz_.Write(data, n); }
  void Finish() override { gz_.Finish(); }

 private:
  ParallelGzip gz_;
};

class ZstdSink : public CompressingSink {
 public:
  ZstdSink(ChunkWriter out, std::string name, int level, unsigned workers)
      : out_(std::move(out)), name_(std::move(name)), cctx_(ZSTD_createCCtx()) {
    if (!cctx_) throw Error(name_ + ": cannot initialise zstd");
    try {
      Check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level));
      Check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1));
      // A libzstd built single-threaded refuses workers: better than other bytes.
      if (workers > 0) Check(ZSTD_CCtx_setParameter(cctx_, ZSTD_c_nbWorkers, static_cast<int>(workers)));
    } catch (...) {
      ZSTD_freeCCtx(cctx_);
      throw;
    }
  }
  ~ZstdSink() override { ZSTD_freeCCtx(cctx_); }
  ZstdSink(const ZstdSink&) = delete;
  ZstdSink& operator=(const ZstdSink&) = delete;
  void Write(const void* data, size_t n) override {
    ZSTD_inBuffer ib{data, n, 0};
    while (ib.pos < ib.size) Run(&ib, ZSTD_e_continue);
  }
  void Finish() override {
    ZSTD_inBuffer ib{nullptr, 0, 0};
    while (Run(&ib, ZSTD_e_end) != 0) {
    }
  }

 private:
  void Check(size_t r) {
    if (ZSTD_isError(r)) throw Error(name_ + ": zstd compression failed: " + ZSTD_getErrorName(r));
  }
  size_t Run(ZSTD_inBuffer* ib, ZSTD_EndDirective end) {
    unsigned char buf[kChunk];
    ZSTD_outBuffer ob{buf, sizeof buf, 0};
    size_t r = ZSTD_compressStream2(cctx_, &ob, ib, end);
    Check(r);
    if (ob.pos) out_(buf, ob.pos);
    return r;
  }
  ChunkWriter out_;
  std::string name_;
  ZSTD_CCtx* cctx_;
};

}  // namespace

Compression DetectCompression(const void* head, size_t n) {
  const unsigned char* p = static_cast<const unsigned char*>(head);
  if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) return Compression::kGzip;
  if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) return Compression::kZstd;
  return Compression::kNone;
}

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kNone: break;
  }
  return "none";
}

GzipDecoder ActiveGzipDecoder() { return g_gzip_decoder; }

bool SetGzipDecoder(GzipDecoder d) {
#ifndef MINI_HAVE_ISAL
  if (d == GzipDecoder::kIsal) return false;
#endif
  g_gzip_decoder = d;
  return true;
}

size_t HashingSource::Read(void* buf, size_t n) {
  size_t k = inner_.Read(buf, n);
  if (hash_) sha_.Update(buf, k);
  count_ += k;
  return k;
}

std::unique_ptr<ByteSource> NewDecompressingSource(ByteSource& inner, const std::string& name,
                                                   Compression* detected) {
  std::string head(kMagicLen, '\0');
  size_t got = 0;
  while (got < kMagicLen) {
    size_t k = inner.Read(head.data() + got, kMagicLen - got);
    if (k == 0) break;
    got += k;
  }
  head.resize(got);
  Compression c = DetectCompression(head.data(), head.size());
  if (detected) *detected = c;
  switch (c) {
    case Compression::kGzip:
#ifdef MINI_HAVE_ISAL
      if (g_gzip_decoder == GzipDecoder::kIsal) return std::make_unique<IsalGzipSource>(inner, std::move(head), name);
#endif
      return std::make_unique<GzipSource>(inner, std::move(head), name);
    case Compression::kZstd: return std::make_unique<ZstdSource>(inner, std::move(head), name);
    case Compression::kNone: break;
  }
  return std::make_unique<PlainSource>(inner, std::move(head));
}

std::unique_ptr<ByteSource> NewDecompressingSource(ByteSource& inner, const std::string& name) {
  return NewDecompressingSource(inner, name, nullptr);
}

std::unique_ptr<CompressingSink> NewCompressingSinkTo(Compression c, ChunkWriter out, const std::string& name,
                                                      CompressionSpeed speed) {
  switch (c) {
    case Compression::kGzip:
      return std::make_unique<GzipSink>(std::move(out), name, speed);
    case Compression::kZstd: return std::make_unique<ZstdSink>(std::move(out), name, 3, 0);
    case Compression::kNone: break;
  }
  return std::make_unique<PlainSink>(std::move(out));
}

std::unique_ptr<CompressingSink> NewZstdSinkTo(ChunkWriter out, const std::string& name, int level, unsigned workers) {
  return std::make_unique<ZstdSink>(std::move(out), name, level, workers);
}

std::unique_ptr<CompressingSink> NewCompressingSink(Compression c, int out_fd, const std::string& name) {
  return NewCompressingSinkTo(
      c, [out_fd, name](const void* data, size_t n) { WriteAll(out_fd, data, n, name); }, name);
}

}  // namespace mini
