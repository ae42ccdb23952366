// Fuzzes the layer extractor on a scratch directory and checks that nothing escaped it. The
// process first gets a private mount namespace with its own empty /tmp (a bind mount of
// $MINI_FUZZ_SCRATCH, or of a new /var/tmp/mini-tar-fuzz-* dir), holding
//   /tmp/decoy, /tmp/s/decoy, /tmp/s/s/decoy  (must stay unchanged regular files)
//   /tmp/s/s/root                             (the layer root, emptied after each input)
// After each input nothing but "root" may have appeared in /tmp, /tmp/s, /tmp/s/s (a `..` or
// relative symlink escape), nothing new in /tmp's chain or in / (an absolute symlink escape),
// and every inode with several links under root must have all its links under root (no hard
// link to an outside inode). A violation abort()s, so libFuzzer reports it. Runs as root (chown,
// mknod, xattrs). libFuzzer's paths must be relative (its cwd stays valid; /tmp is another dir).
#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "common/in_root.h"
#include "store/tar_extract.h"

namespace {

std::string g_base;
std::set<std::string> g_root_names, g_tmp_names;  // before the first input

[[noreturn]] void Violation(const std::string& what) {
  std::fprintf(stderr, "tar_extract_fuzz: ESCAPE: %s\n", what.c_str());
  std::abort();
}

std::set<std::string> Names(const std::string& dir) {
  std::vector<std::string> v = mini::ListDirNames(dir);
  return {v.begin(), v.end()};
}

void CheckDecoy(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_size != 5)
    Violation(path + " was replaced, linked or changed");
  if (mini::ReadFile(path) != "decoy") Violation(path + " was written to");
}

/// Counts the links of every non-directory inode found under `dir`, without following symlinks.
void CountLinks(const std::string& dir, std::map<std::pair<dev_t, ino_t>, std::pair<nlink_t, nlink_t>>* seen) {
  for (const std::string& n : mini::ListDirNames(dir)) {
    std::string p = dir + "/" + n;
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      CountLinks(p, seen);
    } else {
      auto& e = (*seen)[{st.st_dev, st.st_ino}];
      e.first = st.st_nlink;
      e.second++;
    }
  }
}

void CheckNoNewNames(const std::string& dir, const std::set<std::string>& before) {
  for (const std::string& n : Names(dir))
    if (!before.count(n)) Violation(dir + "/" + n + " appeared");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (geteuid() != 0) {
    std::fprintf(stderr, "tar_extract_fuzz: must run as root\n");
    std::exit(1);
  }
  // A private /tmp: nothing else writes there, so anything new in it came from the layer.
  std::string scratch;
  if (const char* e = std::getenv("MINI_FUZZ_SCRATCH")) {
    scratch = e;
    mini::MakeDirs(scratch);
  } else {
    char tmpl[] = "/var/tmp/mini-tar-fuzz-XXXXXX";
    if (!mkdtemp(tmpl)) std::abort();
    scratch = tmpl;
  }
  if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      mount(scratch.c_str(), "/tmp", nullptr, MS_BIND, nullptr) != 0) {
    std::perror("tar_extract_fuzz: private /tmp");
    std::exit(1);
  }
  g_base = "/tmp";
  for (const std::string& n : Names(g_base)) mini::RemoveTree(g_base + "/" + n);  // a previous run's
  std::string d = g_base;
  for (int i = 0; i < 3; i++) {
    mini::WriteFileAtomic(d + "/decoy", "decoy");
    if (i < 2) {
      d += "/s";
      mini::MakeDirs(d);
    }
  }
  g_root_names = Names("/");
  g_tmp_names = Names("/tmp");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  std::string scratch = g_base + "/s/s";
  std::string root = scratch + "/root";
  mini::MakeDirs(root);
  // Both path resolvers (openat2 RESOLVE_IN_ROOT and the manual walk), with and without
  // whiteout conversion, chosen by the input's length so every input always takes one path.
  mini::SetOpenat2Enabled(size % 2 == 0);
  mini::UnpackOptions opts;
  opts.convert_whiteouts = size % 4 < 2;
  try {
    mini::StringSource src(in);
    mini::UnpackLayer(src, root, opts);
  } catch (const mini::Error&) {
  }

  if (Names(g_base) != std::set<std::string>{"decoy", "s"}) Violation(g_base + " gained an entry");
  if (Names(g_base + "/s") != std::set<std::string>{"decoy", "s"}) Violation(g_base + "/s gained an entry");
  if (Names(scratch) != std::set<std::string>{"decoy", "root"}) Violation(scratch + " gained an entry");
  struct stat st;
  if (lstat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) Violation("root is no longer a directory");
  CheckDecoy(g_base + "/decoy");
  CheckDecoy(g_base + "/s/decoy");
  CheckDecoy(scratch + "/decoy");
  std::map<std::pair<dev_t, ino_t>, std::pair<nlink_t, nlink_t>> links;
  CountLinks(root, &links);
  for (const auto& [ino, n] : links)
    if (n.first > n.second) Violation("an inode under root has links outside it");
  CheckNoNewNames("/", g_root_names);
  CheckNoNewNames("/tmp", g_tmp_names);
  mini::RemoveTree(root);
  return 0;
}
