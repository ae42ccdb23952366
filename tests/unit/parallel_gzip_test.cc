/// Tests of store/parallel_gzip: deterministic members whatever the threads and write sizes,
/// readable by zlib and both of mini's decoders, sizes close to `gzip -6`, errors.
#include "store/parallel_gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <random>

#include "common/error.h"
#include "common/io.h"
#include "store/compression.h"

namespace mini {
namespace {

/// ~5.5 MiB: text-like and binary-like stretches, so blocks differ.
std::string Sample() {
  std::string s;
  std::mt19937 rng(42);
  while (s.size() < 5 * kGzipBlockSize + 12345) {
    for (int i = 0; i < 2000; i++) s += "line " + std::to_string(rng() % 5000) + " of some text\n";
    for (int i = 0; i < 20000; i++) s += static_cast<char>(rng() % 16);
  }
  return s;
}

std::string Gzip(const std::string& in, unsigned threads, size_t write_size, bool fastest = false) {
  std::string out;
  ParallelGzip gz([&](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }, "test", fastest,
                  threads);
  for (size_t i = 0; i < in.size(); i += write_size) gz.Write(in.data() + i, std::min(write_size, in.size() - i));
  gz.Finish();
  return out;
}

/// zlib's own reading of a multi-member stream: inflate member after member.
std::string ZlibInflateAll(const std::string& gz, int* members) {
  std::string out;
  *members = 0;
  size_t pos = 0;
  while (pos < gz.size()) {
    z_stream zs;
    std::memset(&zs, 0, sizeof zs);
    EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
    zs.next_in = reinterpret_cast<unsigned char*>(const_cast<char*>(gz.data() + pos));
    zs.avail_in = static_cast<uInt>(gz.size() - pos);
    char buf[1 << 16];
    int r;
    do {
      zs.next_out = reinterpret_cast<unsigned char*>(buf);
      zs.avail_out = sizeof buf;
      r = inflate(&zs, Z_NO_FLUSH);
      EXPECT_TRUE(r == Z_OK || r == Z_STREAM_END) << r;
      out.append(buf, sizeof buf - zs.avail_out);
    } while (r == Z_OK);
    pos = gz.size() - zs.avail_in;
    inflateEnd(&zs);
    ++*members;
    if (r != Z_STREAM_END) break;
  }
  return out;
}

std::string MiniInflate(const std::string& gz) {
  StringSource src(gz);
  auto d = NewDecompressingSource(src, "test");
  std::string out, buf(1 << 16, '\0');
  while (size_t n = d->Read(buf.data(), buf.size())) out.append(buf.data(), n);
  return out;
}

TEST(ParallelGzip, SameBytesWhateverTheThreadsAndWriteSizes) {
  std::string in = Sample();
  std::string ref = Gzip(in, 1, in.size());
  EXPECT_EQ(Gzip(in, 2, 4096), ref);
  EXPECT_EQ(Gzip(in, 3, 777777), ref);
  EXPECT_EQ(Gzip(in, 8, 1), ref);
  EXPECT_EQ(Gzip(in, 0, 65536), ref);
  EXPECT_NE(Gzip(in, 2, 65536, /*fastest=*/true), ref);  // the levels do differ
}

TEST(ParallelGzip, OneMemberPerBlockReadByZlibAndMini) {
  std::string in = Sample();
  std::string gz = Gzip(in, 2, 100000);
  ASSERT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  ASSERT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  int members = 0;
  EXPECT_EQ(ZlibInflateAll(gz, &members), in);
  EXPECT_EQ(members, static_cast<int>((in.size() + kGzipBlockSize - 1) / kGzipBlockSize));
  for (GzipDecoder d : {GzipDecoder::kZlib, GzipDecoder::kIsal}) {
    if (!SetGzipDecoder(d)) continue;
    EXPECT_EQ(MiniInflate(gz), in);
  }
  SetGzipDecoder(GzipDecoder::kIsal) || SetGzipDecoder(GzipDecoder::kZlib);
}

TEST(ParallelGzip, EmptyInputIsOneEmptyMember) {
  std::string gz = Gzip("", 2, 1);
  int members = 0;
  EXPECT_EQ(ZlibInflateAll(gz, &members), "");
  EXPECT_EQ(members, 1);
  EXPECT_EQ(MiniInflate(gz), "");
}

TEST(ParallelGzip, HeaderHasNoTimeNoName) {
  std::string gz = Gzip("hello", 1, 5);
  EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0'));  // MTIME
  EXPECT_EQ(gz[3] & 0x1e, 0);                         // no FEXTRA, FNAME, FCOMMENT, FHCRC
}

TEST(ParallelGzip, SizeCloseToZlibLevel6) {
  std::string in = Sample();
  uLongf bound = compressBound(in.size());
  std::string z6(bound, '\0');
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  ASSERT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = reinterpret_cast<unsigned char*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<unsigned char*>(z6.data());
  zs.avail_out = static_cast<uInt>(z6.size());
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  size_t z6_size = zs.total_out;
  deflateEnd(&zs);
  size_t ours = Gzip(in, 2, 65536).size();
  EXPECT_LE(ours, z6_size * 110 / 100) << "ours " << ours << " zlib -6 " << z6_size;
}

TEST(ParallelGzip, WriterErrorReachesTheCaller) {
  std::string in = Sample();
  int calls = 0;
  auto run = [&] {
    ParallelGzip gz(
        [&](const void*, size_t) {
          if (++calls == 2) throw Error("disk full");
        },
        "test", false, 2);
    gz.Write(in.data(), in.size());
    gz.Finish();
  };
  try {
    run();
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "disk full");
  }
}

TEST(ParallelGzip, DestroyedUnfinishedStopsItsWorkers) {
  std::string in = Sample();
  for (int i = 0; i < 3; i++) {
    ParallelGzip gz([](const void*, size_t) {}, "test", false, 4);
    gz.Write(in.data(), in.size());
  }  // no Finish: must not hang nor crash
  SUCCEED();
}

}  // namespace
}  // namespace mini
