#include "run/security/capabilities.h"

#include <algorithm>
#include <cctype>

#include "common/error.h"

namespace mini::run {
namespace {

// Index = capability number (linux/capability.h).
constexpr const char* kNames[] = {
    "CHOWN",           "DAC_OVERRIDE",   "DAC_READ_SEARCH", "FOWNER",          "FSETID",
    "KILL",            "SETGID",         "SETUID",          "SETPCAP",         "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",       "NET_RAW",         "IPC_LOCK",
    "IPC_OWNER",       "SYS_MODULE",     "SYS_RAWIO",       "SYS_CHROOT",      "SYS_PTRACE",
    "SYS_PACCT",       "SYS_ADMIN",      "SYS_BOOT",        "SYS_NICE",        "SYS_RESOURCE",
    "SYS_TIME",        "SYS_TTY_CONFIG", "MKNOD",           "LEASE",           "AUDIT_WRITE",
    "AUDIT_CONTROL",   "SETFCAP",        "MAC_OVERRIDE",    "MAC_ADMIN",       "SYSLOG",
    "WAKE_ALARM",      "BLOCK_SUSPEND",  "AUDIT_READ",      "PERFMON",         "BPF",
    "CHECKPOINT_RESTORE",
};
constexpr int kKnown = sizeof(kNames) / sizeof(kNames[0]);

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool IsAll(const std::string& s) { return Upper(s) == "ALL"; }

}  // namespace

CapSet DefaultCaps() {
  CapSet s = 0;
  for (const char* n : {"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
                        "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
                        "AUDIT_WRITE"})
    s |= CapSet{1} << CapFromName(n);
  return s;
}

CapSet AllCaps(int last_cap) {
  last_cap = std::clamp(last_cap, 0, 63);
  return last_cap == 63 ? ~CapSet{0} : (CapSet{1} << (last_cap + 1)) - 1;
}

int CapFromName(const std::string& name) {
  std::string n = Upper(name);
  if (n.rfind("CAP_", 0) == 0) n = n.substr(4);
  for (int i = 0; i < kKnown; i++)
    if (n == kNames[i]) return i;
  return -1;
}

CapSet ComputeCaps(bool privileged, const std::vector<std::string>& add,
                   const std::vector<std::string>& drop, int last_cap) {
  CapSet all = AllCaps(last_cap);
  CapSet s = privileged ? all : DefaultCaps();
  auto bit = [&](const std::string& n) -> CapSet {
    int c = CapFromName(n);
    if (c < 0 || c > last_cap) throw Error(ErrorKind::kInvalidInput, "unknown capability: \"" + n + "\"");
    return CapSet{1} << c;
  };
  for (const auto& a : add) s |= IsAll(a) ? all : bit(a);
  for (const auto& d : drop) s &= IsAll(d) ? 0 : ~bit(d);
  // Docker: when both are given, an explicit add survives "--cap-drop ALL".
  for (const auto& d : drop)
    if (IsAll(d))
      for (const auto& a : add) s |= IsAll(a) ? all : bit(a);
  return s & all;
}

}  // namespace mini::run
