// BlobPipe (the download -> unpack bridge) and the plain/quiet progress output.
#include <gtest/gtest.h>

#include <cstdio>
#include <thread>

#include "common/error.h"
#include "registry/blob_pipe.h"
#include "registry/progress.h"

namespace mini::registry {
namespace {

TEST(BlobPipe, DeliversEveryByteInOrderThroughASmallBuffer) {
  BlobPipe pipe(/*capacity=*/64);
  std::string sent;
  for (int i = 0; i < 5000; i++) sent += static_cast<char>('a' + i % 26);
  std::thread writer([&] {
    for (size_t off = 0; off < sent.size(); off += 37) ASSERT_TRUE(pipe.Write(sent.data() + off, std::min<size_t>(37, sent.size() - off)));
    pipe.Close();
  });
  std::string got;
  char buf[100];
  while (size_t n = pipe.Read(buf, sizeof buf)) got.append(buf, n);
  writer.join();
  EXPECT_EQ(got, sent);
}

TEST(BlobPipe, WriterFailureReachesTheReader) {
  BlobPipe pipe;
  pipe.Write("abc", 3);
  pipe.Fail("blob sha256:x: connection reset");
  char buf[8];
  try {
    pipe.Read(buf, sizeof buf);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "blob sha256:x: connection reset");
  }
}

TEST(BlobPipe, ReaderCancelUnblocksAFullWriter) {
  BlobPipe pipe(/*capacity=*/4);
  std::thread writer([&] {
    EXPECT_TRUE(pipe.Write("1234", 4));
    EXPECT_FALSE(pipe.Write("5678", 4));  // blocks until cancelled
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  pipe.Cancel();
  writer.join();
  char buf[8];
  EXPECT_THROW(pipe.Read(buf, sizeof buf), Error);
}

std::string Capture(Progress::Mode mode, const std::function<void(Progress&)>& f) {
  char* data = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&data, &size);
  {
    Progress p(mode, out);
    f(p);
  }
  std::fclose(out);
  std::string s(data, size);
  free(data);
  return s;
}

TEST(Progress, PlainLinesOnStateChangesOnly) {
  auto s = Capture(Progress::Mode::kPlain, [](Progress& p) {
    p.Message("1: Pulling from x");
    int a = p.Add("aaaaaaaaaaaa", "Waiting", 100);
    p.State(a, "Downloading");
    p.Bytes(a, 50);
    p.State(a, "Downloading");
    p.State(a, "Pull complete");
  });
  EXPECT_EQ(s, "1: Pulling from x\naaaaaaaaaaaa: Waiting\naaaaaaaaaaaa: Downloading\naaaaaaaaaaaa: Pull complete\n");
}

TEST(Progress, QuietPrintsNothing) {
  auto s = Capture(Progress::Mode::kQuiet, [](Progress& p) {
    p.Message("hello");
    p.State(p.Add("a", "Waiting"), "Pull complete");
  });
  EXPECT_EQ(s, "");
}

}  // namespace
}  // namespace mini::registry
