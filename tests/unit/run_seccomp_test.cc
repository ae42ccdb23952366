// Seccomp: Docker-format profile parsing, the default profile, BPF compile + store cache, and
// the filter's behaviour in a forked child (needs root for the CAP_SYS_ADMIN cases).
#include <gtest/gtest.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <vector>

#include "common/error.h"
#include "common/fs.h"
#include "run/security/capabilities.h"
#include "run/security/seccomp_default.h"
#include "run/security/seccomp_filter.h"
#include "run/security/seccomp_profile.h"

namespace mini::run {
namespace {

constexpr CapSet kSysAdmin = CapSet{1} << 21;

std::string ParseError(const std::string& json) {
  try {
    ParseSeccompProfile(json, "p.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(SeccompProfile, ParsesDockerFormat) {
  auto p = ParseSeccompProfile(R"({
    "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
    "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}],
    "syscalls": [
      {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "ignored"},
      {"name": "clone", "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
       "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390x"]}},
      {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
       "includes": {"minKernel": "5.3"}}
    ]})",
                               "p.json");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->default_action, SeccompAction::kErrno);
  EXPECT_EQ(p->default_errno_ret, 1u);
  ASSERT_EQ(p->arch_map.size(), 1u);
  EXPECT_EQ(p->arch_map[0].sub_arches, std::vector<std::string>{"SCMP_ARCH_X86"});
  ASSERT_EQ(p->syscalls.size(), 3u);
  EXPECT_EQ(p->syscalls[0].names, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(p->syscalls[1].names, std::vector<std::string>{"clone"});
  ASSERT_EQ(p->syscalls[1].args.size(), 1u);
  EXPECT_EQ(p->syscalls[1].args[0].value, 0x7e020000u);
  EXPECT_EQ(p->syscalls[1].args[0].op, SeccompOp::kMaskedEqual);
  EXPECT_EQ(p->syscalls[1].excludes.caps, std::vector<std::string>{"CAP_SYS_ADMIN"});
  EXPECT_EQ(p->syscalls[2].errno_ret, 38u);
  EXPECT_EQ(p->syscalls[2].includes.min_kernel, "5.3");
  // Canonical form is stable through a round trip.
  std::string c = CanonicalSeccompJson(*p);
  EXPECT_EQ(CanonicalSeccompJson(*ParseSeccompProfile(c, "c")), c);
  // No defaultAction and no syscalls: Docker reads that as "no seccomp".
  EXPECT_FALSE(ParseSeccompProfile("{}", "p.json"));
}

TEST(SeccompProfile, ExactErrors) {
  EXPECT_EQ(ParseError("{"), "p.json: invalid JSON at byte 2");
  EXPECT_EQ(ParseError("[]"), "p.json: expected a JSON object");
  EXPECT_EQ(ParseError(R"({"defaultAction":"SCMP_ACT_NOPE"})"),
            "p.json: defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  EXPECT_EQ(ParseError(R"({"syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW"}]})"),
            "p.json: missing defaultAction");
  const std::string head = R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[)";
  EXPECT_EQ(ParseError(head + R"({"names":"mkdir","action":"SCMP_ACT_ALLOW"}]})"),
            "p.json: syscalls[0].names: expected an array of strings");
  EXPECT_EQ(ParseError(head + R"({"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]})"),
            "p.json: syscalls[0]: 'name' and 'names' were specified, use either 'name' or 'names'");
  EXPECT_EQ(ParseError(head + R"({"names":["a"]},{"names":[],"action":"SCMP_ACT_ALLOW"}]})"),
            "p.json: syscalls[0]: missing action");
  EXPECT_EQ(ParseError(head + R"({"names":["a"],"action":"SCMP_ACT_ALLOW"},{"names":[],"action":"SCMP_ACT_ALLOW"}]})"),
            "p.json: syscalls[1]: no syscall names");
  EXPECT_EQ(ParseError(head + R"({"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_FOO"}]}]})"),
            "p.json: syscalls[0].args[0].op: unknown operator \"SCMP_CMP_FOO\"");
  EXPECT_EQ(ParseError(head + R"({"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"op":"SCMP_CMP_EQ"}]}]})"),
            "p.json: syscalls[0].args[0].index: expected an integer from 0 to 5");
  EXPECT_EQ(ParseError(head + R"({"names":["a"],"action":"SCMP_ACT_ERRNO","errnoRet":-1}]})"),
            "p.json: syscalls[0].errnoRet: expected an integer from 0 to 4294967295");
  EXPECT_EQ(ParseError(head + R"({"names":["a"],"action":"SCMP_ACT_NOTIFY"}]})"),
            "p.json: syscalls[0].action: SCMP_ACT_NOTIFY is not supported");
  EXPECT_EQ(ParseError(head + R"({"names":["a"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"new"}}]})"),
            "p.json: syscalls[0].includes.minKernel: invalid kernel version \"new\"");
  EXPECT_EQ(ParseError(R"({"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86"],)"
                       R"("archMap":[{"architecture":"SCMP_ARCH_X86_64"}]})"),
            "p.json: 'architectures' and 'archMap' were specified, use either 'architectures' or 'archMap'");
}

TEST(SeccompProfile, KernelVersions) {
  EXPECT_EQ(ParseKernelVersion("4.8"), (4ULL << 32) | (8 << 16));
  EXPECT_EQ(ParseKernelVersion("6.1.0-18-amd64"), (6ULL << 32) | (1 << 16));
  EXPECT_EQ(ParseKernelVersion("5.10.3"), (5ULL << 32) | (10 << 16) | 3);
  EXPECT_FALSE(ParseKernelVersion("6"));
  EXPECT_FALSE(ParseKernelVersion("x.y"));
}

TEST(SeccompProfile, FromOption) {
  EXPECT_FALSE(SeccompProfileFromOption("unconfined"));
  ASSERT_TRUE(SeccompProfileFromOption("default"));
  EXPECT_EQ(CanonicalSeccompJson(*SeccompProfileFromOption("")), CanonicalSeccompJson(DefaultSeccompProfile()));
  try {
    SeccompProfileFromOption("/nonexistent/p.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "seccomp profile /nonexistent/p.json: no such file");
  }
  TempDir dir("/tmp", "mini-seccomp-test-");
  std::string bad = dir.path() + "/bad.json";
  WriteFileAtomic(bad, R"({"defaultAction": 7})");
  try {
    SeccompProfileFromOption(bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "seccomp profile " + bad + ": defaultAction: expected a string");
  }
  std::string good = dir.path() + "/good.json";
  WriteFileAtomic(good, R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]})");
  auto p = SeccompProfileFromOption(good);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->syscalls.at(0).names.at(0), "mkdir");
}

TEST(SeccompDefault, RoundTripsThroughDockerFormat) {
  const SeccompProfile& d = DefaultSeccompProfile();
  EXPECT_EQ(d.default_errno_ret, static_cast<uint32_t>(EPERM));
  std::string c = CanonicalSeccompJson(d);
  EXPECT_EQ(CanonicalSeccompJson(*ParseSeccompProfile(c, "default")), c);
}

TEST(SeccompFilter, CompilesDefaultForX86_64) {
  auto plain = SeccompProgram::Compile(DefaultSeccompProfile(), DefaultCaps(), "SCMP_ARCH_X86_64");
  auto admin = SeccompProgram::Compile(DefaultSeccompProfile(), DefaultCaps() | kSysAdmin, "SCMP_ARCH_X86_64");
  EXPECT_GT(plain.instructions(), 100u);
  EXPECT_GT(admin.instructions(), 100u);
  EXPECT_NE(plain.Bytes(), admin.Bytes());
  // Another target than this machine's compiles too (its own syscall numbers, arm sub-arch).
  EXPECT_GT(SeccompProgram::Compile(DefaultSeccompProfile(), DefaultCaps(), "SCMP_ARCH_AARCH64").instructions(), 100u);
  EXPECT_NE(SeccompCacheKey(DefaultSeccompProfile(), DefaultCaps(), "SCMP_ARCH_X86_64"),
            SeccompCacheKey(DefaultSeccompProfile(), DefaultCaps() | kSysAdmin, "SCMP_ARCH_X86_64"));
  std::printf("[ seccomp ] default profile: %zu BPF instructions (%zu with CAP_SYS_ADMIN), libseccomp %s\n",
              plain.instructions(), admin.instructions(), LibseccompVersion().c_str());
  try {
    SeccompProgram::Compile(DefaultSeccompProfile(), DefaultCaps(), "SCMP_ARCH_VAX");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "seccomp: unknown architecture \"SCMP_ARCH_VAX\"");
  }
}

double MicrosSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

TEST(SeccompFilter, CachesCompiledProgramInStore) {
  TempDir root("/tmp", "mini-seccomp-store-");
  Layout layout(root.path());
  auto t0 = std::chrono::steady_clock::now();
  auto first = SeccompProgram::ForProfile(layout, DefaultSeccompProfile(), DefaultCaps());
  double compile_us = MicrosSince(t0);
  EXPECT_FALSE(first.from_cache());
  std::string file = layout.SeccompBpf(SeccompCacheKey(DefaultSeccompProfile(), DefaultCaps()));
  ASSERT_TRUE(PathExists(file)) << file;
  EXPECT_EQ(ReadFile(file), first.Bytes());

  t0 = std::chrono::steady_clock::now();
  auto second = SeccompProgram::ForProfile(layout, DefaultSeccompProfile(), DefaultCaps());
  double hit_us = MicrosSince(t0);
  EXPECT_TRUE(second.from_cache());
  EXPECT_EQ(second.Bytes(), first.Bytes());
  std::printf("[ seccomp ] compile (cache miss): %.0f us, cache hit: %.0f us\n", compile_us, hit_us);

  // A damaged cache file is compiled again and replaced.
  WriteFileAtomic(file, "abc");
  auto third = SeccompProgram::ForProfile(layout, DefaultSeccompProfile(), DefaultCaps());
  EXPECT_FALSE(third.from_cache());
  EXPECT_EQ(ReadFile(file), first.Bytes());
}

/// Result of one check in the child: 0 on success, else errno.
int Try(long rc) { return rc < 0 ? errno : 0; }

struct ChildReport {
  int load_err = -1;
  double load_us = 0;
  std::vector<int> results;
};

/// Forks; the child sets no_new_privs, loads `prog`, runs the checks and sends the results back.
ChildReport RunConfined(const SeccompProgram& prog, const std::vector<std::function<int()>>& checks) {
  int fds[2];
  if (pipe(fds) != 0) ThrowErrno("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int out[66] = {};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    auto t0 = std::chrono::steady_clock::now();
    out[0] = prog.Load();
    out[1] = static_cast<int>(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count());
    for (size_t i = 0; i < checks.size() && i < 64; i++) out[2 + i] = out[0] ? -1 : checks[i]();
    (void)!write(fds[1], out, sizeof out);
    _exit(0);
  }
  close(fds[1]);
  int in[66] = {};
  ssize_t n = read(fds[0], in, sizeof in);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ChildReport r;
  if (n != static_cast<ssize_t>(sizeof in)) return r;
  r.load_err = in[0];
  r.load_us = in[1] / 1000.0;
  r.results.assign(in + 2, in + 2 + checks.size());
  return r;
}

int ReadWriteWorks() {
  int p[2];
  if (pipe(p) != 0) return errno;
  char c = 'x', d = 0;
  int rc = (write(p[1], &c, 1) == 1 && read(p[0], &d, 1) == 1 && d == 'x') ? 0 : EIO;
  close(p[0]);
  close(p[1]);
  return rc;
}

int ForkWorks() {
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) _exit(0);
  int st = 0;
  return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? 0 : ECHILD;
}

TEST(SeccompLoad, DefaultProfileWithDefaultCaps) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  auto prog = SeccompProgram::Compile(DefaultSeccompProfile(), DefaultCaps());
  ChildReport r = RunConfined(prog, {
      [] { return Try(unshare(CLONE_NEWUSER)); },
      [] { return Try(syscall(SYS_keyctl, 0 /*KEYCTL_GET_KEYRING_ID*/, -1, 0)); },
      [] { return Try(syscall(SYS_add_key, "user", "mini", "x", 1, -2)); },
      [] { return Try(syscall(SYS_kexec_load, 0, 0, nullptr, 0)); },
      // The test runs as root with CAP_SYS_ADMIN, but the profile was built without it.
      [] { return Try(mount("none", "/nonexistent-mini-seccomp", "tmpfs", 0, nullptr)); },
      [] { return Try(syscall(SYS_clone3, nullptr, 0)); },
      [] { return Try(personality(0xffffffff)); },
      [] { return Try(personality(ADDR_NO_RANDOMIZE)); },
      [] { return Try(getpid()); },
      ReadWriteWorks,
      [] { return Try(socket(AF_VSOCK, SOCK_STREAM, 0)); },
      [] { return Try(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)); },
      [] { return Try(syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0)); },
      ForkWorks,
      [] { return Try(syscall(SYS_setns, 0, 0)); },
  });
  ASSERT_EQ(r.load_err, 0);
  std::printf("[ seccomp ] Load() of the default profile: %.1f us\n", r.load_us);
  std::vector<int> want = {EPERM, EPERM, EPERM, EPERM, EPERM, ENOSYS, 0, EPERM,
                           0,     0,     EPERM, 0,     EPERM, 0,     EPERM};
  EXPECT_EQ(r.results, want);
}

TEST(SeccompLoad, DefaultProfileWithSysAdmin) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  auto prog = SeccompProgram::Compile(DefaultSeccompProfile(), DefaultCaps() | kSysAdmin);
  ChildReport r = RunConfined(prog, {
      [] { return Try(unshare(CLONE_NEWUTS)); },
      [] { return Try(mount("none", "/nonexistent-mini-seccomp", "tmpfs", 0, nullptr)); },
      [] { return Try(syscall(SYS_clone3, nullptr, 0)); },
      [] { return Try(syscall(SYS_keyctl, 0, -1, 0)); },
  });
  ASSERT_EQ(r.load_err, 0);
  // clone3 now reaches the kernel, which rejects the null argument.
  EXPECT_EQ(r.results, (std::vector<int>{0, ENOENT, EINVAL, EPERM}));
}

TEST(SeccompLoad, CustomProfileDeniesMkdir) {
  auto p = ParseSeccompProfile(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]})",
                               "deny-mkdir.json");
  ASSERT_TRUE(p);
  TempDir dir("/tmp", "mini-seccomp-mkdir-");
  std::string target = dir.path() + "/sub";
  auto prog = SeccompProgram::Compile(*p, DefaultCaps());
  ChildReport r = RunConfined(prog, {
      [&] { return Try(mkdir(target.c_str(), 0755)); },
      [&] { return Try(syscall(SYS_mkdirat, AT_FDCWD, target.c_str(), 0755)); },
      [] { return Try(getpid()); },
      ReadWriteWorks,
      [] { int fd = open("/dev/null", O_RDONLY | O_CLOEXEC); return fd < 0 ? errno : (close(fd), 0); },
  });
  ASSERT_EQ(r.load_err, 0);
  EXPECT_EQ(r.results[0], EPERM);
  EXPECT_EQ(r.results[1], EPERM);
  EXPECT_EQ(r.results[2], 0);
  EXPECT_EQ(r.results[3], 0);
  EXPECT_FALSE(PathExists(target));
}

TEST(SeccompLoad, EmptyProgramIsUnconfined) {
  SeccompProgram none;
  EXPECT_TRUE(none.empty());
  ChildReport r = RunConfined(none, {[] { return Try(getpid()); }});
  EXPECT_EQ(r.load_err, 0);
  EXPECT_EQ(r.results, std::vector<int>{0});
}

}  // namespace
}  // namespace mini::run
