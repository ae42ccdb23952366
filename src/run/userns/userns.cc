#include "run/userns/userns.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "common/error.h"
#include "common/strings.h"
#include "run/launch/namespaces.h"

namespace mini::run {
namespace {

/// Parses a decimal uint32; false on anything else.
bool ParseU32(const std::string& s, uint32_t* out) {
  if (s.empty() || s.size() > 10 || s.find_first_not_of("0123456789") != std::string::npos) return false;
  uint64_t v = std::strtoull(s.c_str(), nullptr, 10);
  if (v > 0xffffffffull) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool Overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn) { return a < b + bn && b < a + an; }

std::string SubUidPath() {
  const char* e = getenv("MINI_SUBUID");
  return e && *e ? e : "/etc/subuid";
}
std::string SubGidPath() {
  const char* e = getenv("MINI_SUBGID");
  return e && *e ? e : "/etc/subgid";
}

const SubIdEntry* FindMini(const std::vector<SubIdEntry>& v) {
  for (const auto& e : v)
    if (e.name == "mini" && e.range.count > 0) return &e;
  return nullptr;
}

/// Appends "mini:start:count" to the file's text and replaces it atomically (mode kept).
void AppendEntry(const std::string& path, const std::string& text, uint32_t start, uint32_t count) {
  std::string out = text;
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += "mini:" + std::to_string(start) + ":" + std::to_string(count) + "\n";
  struct stat st;
  mode_t mode = stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
  WriteFileAtomic(path, out, mode);
}

}  // namespace

std::string IdMap::MapLine(bool gid) const {
  return "0 " + std::to_string(gid ? gid_base : uid_base) + " " + std::to_string(size) + "\n";
}

UsernsMode ParseUsernsMode(const std::string& s) {
  UsernsMode m;
  if (s.empty() || s == "host") return m;
  if (s == "auto") {
    m.kind = UsernsMode::Kind::kAuto;
    return m;
  }
  std::vector<std::string> p = Split(s, ':');
  if (p.size() == 4 && p[0] == "remap") {
    IdMap& r = m.remap;
    if (!ParseU32(p[1], &r.uid_base) || !ParseU32(p[2], &r.gid_base) || !ParseU32(p[3], &r.size) || r.size == 0)
      throw Error(ErrorKind::kInvalidInput, "invalid --userns \"" + s + "\": UID, GID and SIZE must be numbers, SIZE > 0");
    if (uint64_t{r.uid_base} + r.size > 0xffffffffull || uint64_t{r.gid_base} + r.size > 0xffffffffull)
      throw Error(ErrorKind::kInvalidInput, "invalid --userns \"" + s + "\": range exceeds 2^32-1");
    m.kind = UsernsMode::Kind::kRemap;
    return m;
  }
  throw Error(ErrorKind::kInvalidInput, "invalid --userns \"" + s + "\": use host, auto or remap:UID:GID:SIZE");
}

std::vector<SubIdEntry> ParseSubIdFile(const std::string& text) {
  std::vector<SubIdEntry> out;
  for (const std::string& line : Split(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f = Split(line, ':');
    SubIdEntry e;
    if (f.size() != 3 || !ParseU32(f[1], &e.range.start) || !ParseU32(f[2], &e.range.count)) continue;
    e.name = f[0];
    out.push_back(e);
  }
  return out;
}

uint32_t ChooseFreeBlock(const std::vector<SubIdEntry>& a, const std::vector<SubIdEntry>& b, uint32_t size) {
  for (uint64_t start = size; start + size <= 0xffffffffull; start += size) {
    bool free = true;
    for (const auto* v : {&a, &b})
      for (const auto& e : *v)
        if (Overlaps(start, size, e.range.start, e.range.count)) free = false;
    if (free) return static_cast<uint32_t>(start);
  }
  throw Error("no free block of " + std::to_string(size) + " subordinate ids for user mini");
}

void EnsureMiniSubIds(SubIdRange* uids, SubIdRange* gids) {
  std::string upath = SubUidPath(), gpath = SubGidPath();
  auto read = [](const std::string& p) { return ReadFileIfExists(p, 16 << 20).value_or(""); };
  std::vector<SubIdEntry> u = ParseSubIdFile(read(upath)), g = ParseSubIdFile(read(gpath));
  const SubIdEntry* mu = FindMini(u);
  const SubIdEntry* mg = FindMini(g);
  if (!mu || !mg) {
    // Not shadow-utils' /etc/subuid.lock (useradd refuses to run while that file exists).
    MakeDirs("/run/lock", 0755);
    UniqueFd lock(open("/run/lock/mini-subid.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!lock) ThrowErrno("open /run/lock/mini-subid.lock");
    while (flock(lock.get(), LOCK_EX) != 0)
      if (errno != EINTR) ThrowErrno("lock /run/lock/mini-subid.lock");
    std::string ut = read(upath), gt = read(gpath);
    u = ParseSubIdFile(ut);
    g = ParseSubIdFile(gt);
    mu = FindMini(u);
    mg = FindMini(g);
    if (!mu || !mg) {
      // One block free in both files, so that uid and gid ranges can be the same numbers.
      uint32_t start = ChooseFreeBlock(u, g, kMiniSubIdSize);
      WithContext("add user mini to " + upath, [&] {
        if (!mu) AppendEntry(upath, ut, start, kMiniSubIdSize);
      });
      WithContext("add user mini to " + gpath, [&] {
        if (!mg) AppendEntry(gpath, gt, start, kMiniSubIdSize);
      });
      u = ParseSubIdFile(read(upath));
      g = ParseSubIdFile(read(gpath));
      mu = FindMini(u);
      mg = FindMini(g);
      if (!mu || !mg) throw Error("could not add user mini to " + upath + " and " + gpath);
    }
  }
  *uids = mu->range;
  *gids = mg->range;
}

IdMap ChooseAutoSlice(const SubIdRange& uids, const SubIdRange& gids, const std::vector<IdMap>& used) {
  uint32_t n = std::min(uids.count, gids.count) / kAutoSliceSize;
  for (uint32_t i = 0; i < n; i++) {
    IdMap m{uids.start + i * kAutoSliceSize, gids.start + i * kAutoSliceSize, kAutoSliceSize};
    bool free = true;
    for (const auto& o : used)
      if (Overlaps(m.uid_base, m.size, o.uid_base, o.size) || Overlaps(m.gid_base, m.size, o.gid_base, o.size))
        free = false;
    if (free) return m;
  }
  throw Error("no free user namespace range: all " + std::to_string(n) + " slices of " +
              std::to_string(kAutoSliceSize) + " ids of user mini (/etc/subuid, /etc/subgid) are in use");
}

void CheckRemapInside(const IdMap& m, const SubIdRange& uids, const SubIdRange& gids) {
  auto inside = [&](uint32_t base, const SubIdRange& r) {
    return uint64_t{base} >= r.start && uint64_t{base} + m.size <= uint64_t{r.start} + r.count;
  };
  auto range = [](const SubIdRange& r) {
    return std::to_string(r.start) + "-" + std::to_string(uint64_t{r.start} + r.count - 1);
  };
  if (!inside(m.uid_base, uids))
    throw Error("--userns remap: uids " + std::to_string(m.uid_base) + "-" +
                std::to_string(uint64_t{m.uid_base} + m.size - 1) + " are not inside mini's subordinate uids " +
                range(uids) + " (" + SubUidPath() + ")");
  if (!inside(m.gid_base, gids))
    throw Error("--userns remap: gids " + std::to_string(m.gid_base) + "-" +
                std::to_string(uint64_t{m.gid_base} + m.size - 1) + " are not inside mini's subordinate gids " +
                range(gids) + " (" + SubGidPath() + ")");
}

void CheckUsernsSupported() {
  if (!PathExists("/proc/self/ns/user"))
    throw Error("user namespaces are not available: this kernel has no CONFIG_USER_NS");
  auto max = ReadFileIfExists("/proc/sys/user/max_user_namespaces", 64);
  if (max && std::atoll(max->c_str()) == 0)
    throw Error("user namespaces are disabled (/proc/sys/user/max_user_namespaces is 0)");
}

void WriteIdMaps(pid_t pid, const IdMap& m) {
  std::string base = "/proc/" + std::to_string(pid) + "/";
  for (bool gid : {false, true}) {
    std::string path = base + (gid ? "gid_map" : "uid_map");
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) ThrowErrno("open " + path);
    std::string line = m.MapLine(gid);
    if (write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      ThrowErrno("write " + path + " (" + line.substr(0, line.size() - 1) + ")");
  }
}

UniqueFd MakeUsernsFd(const IdMap& m) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) ThrowErrno("pipe");
  UniqueFd r(p[0]), w(p[1]);
  pid_t pid;
  try {
    pid = CloneChild(CLONE_NEWUSER, [&r] {
      char c;
      return static_cast<int>(read(r.get(), &c, 1));  // until the parent closes the pipe
    });
  } catch (const Error& e) {
    CheckUsernsSupported();
    throw Error(std::string("create a user namespace: ") + e.what());
  }
  UniqueFd ns;
  std::string err;
  try {
    WriteIdMaps(pid, m);
    ns.reset(open(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) ThrowErrno("open user namespace");
  } catch (const Error& e) {
    err = e.what();
  }
  w.reset();
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  if (!err.empty()) throw Error(err);
  return ns;
}

void BecomeRootInUserns(bool pdeath_kill) {
  if (setgroups(0, nullptr) != 0) ThrowErrno("setgroups in user namespace");
  if (setresgid(0, 0, 0) != 0) ThrowErrno("setgid 0 in user namespace");
  if (setresuid(0, 0, 0) != 0) ThrowErrno("setuid 0 in user namespace");
  if (pdeath_kill) prctl(PR_SET_PDEATHSIG, SIGKILL);
}

uint32_t UnshiftId(uint32_t host_id, uint32_t base, uint32_t size) {
  if (host_id >= base && uint64_t{host_id} < uint64_t{base} + size) return host_id - base;
  return 65534;
}

}  // namespace mini::run
