#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/file_hash_cache.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/fs.h"

namespace mini::build {

TEST(FileHashCache, RemembersSettledFilesAndSeesEveryChange) {
  TempDir dir("/tmp", "mini-fhc-");
  std::string f = dir.path() + "/a";
  std::string db = dir.path() + "/cache/file-hashes";
  WriteFileAtomic(f, "one");
  struct stat st;
  ASSERT_EQ(stat(f.c_str(), &st), 0);
  FakeClock clock(st.st_mtim);  // "now" is the moment the file was written
  {
    FileHashCache c(db, clock);
    EXPECT_EQ(c.HashOf(f, st), Sha256Of("one").hex());
    c.Save();  // a file changed within 2 s is not remembered: nothing to write
  }
  EXPECT_FALSE(PathExists(db));
  clock.Advance(3);  // settled: older than 2 s
  {
    FileHashCache c(db, clock);
    EXPECT_EQ(c.HashOf(f, st), Sha256Of("one").hex());
    c.Save();
  }
  std::string saved = ReadFile(db);
  EXPECT_NE(saved.find(Sha256Of("one").hex() + "\t" + f + "\n"), std::string::npos) << saved;
  // Rewritten in place (same inode, same size) with its old mtime put back: the changed ctime
  // still makes it a miss.
  {
    UniqueFd fd(open(f.c_str(), O_WRONLY | O_TRUNC));
    ASSERT_TRUE(fd);
    WriteAll(fd.get(), "two", 3, f);
  }
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, f.c_str(), ts, 0), 0);
  ASSERT_EQ(stat(f.c_str(), &st), 0);
  FileHashCache c(db, clock);
  EXPECT_EQ(c.HashOf(f, st), Sha256Of("two").hex());
}

}  // namespace mini::build
