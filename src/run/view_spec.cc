#include "run/view_spec.h"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "common/error.h"
#include "run/rootfs/mount_plan.h"

namespace mini::run {
namespace {

Error Invalid(const std::string& msg) { return Error(ErrorKind::kInvalidInput, msg); }

/// pflag's wrapping of a value's parse error.
Error BadFlag(const std::string& value, const std::string& flag, const std::string& why) {
  return Invalid("invalid argument \"" + value + "\" for \"" + flag + "\" flag: " + why);
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

/// Go's strconv.ParseInt(s, 10, 64), with its error text.
int64_t ParseInt64(const std::string& s) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  bool digits = !s.empty() && s.find_first_not_of("+-0123456789") == std::string::npos;
  if (!digits || end != s.c_str() + s.size())
    throw Error("strconv.ParseInt: parsing \"" + s + "\": invalid syntax");
  if (errno == ERANGE) throw Error("strconv.ParseInt: parsing \"" + s + "\": value out of range");
  return v;
}

/// go-units ParseUlimit, plus "unlimited" for -1.
Ulimit ParseUlimit(const std::string& val) {
  size_t eq = val.find('=');
  if (eq == std::string::npos) throw Error("invalid ulimit argument: " + val);
  Ulimit u;
  u.name = val.substr(0, eq);
  u.resource = UlimitResource(u.name);
  if (u.resource < 0) throw Error("invalid ulimit type: " + u.name);
  std::string rest = val.substr(eq + 1);
  std::vector<std::string> parts;
  for (size_t a = 0, b;; a = b + 1) {
    b = rest.find(':', a);
    parts.push_back(rest.substr(a, b == std::string::npos ? std::string::npos : b - a));
    if (b == std::string::npos) break;
  }
  if (parts.size() > 2)
    throw Error("too many limit value arguments - " + rest + ", can only have up to two, `soft[:hard]`");
  auto num = [](const std::string& s) { return s == "unlimited" ? int64_t{-1} : ParseInt64(s); };
  u.soft = num(parts[0]);
  u.hard = parts.size() == 2 ? num(parts[1]) : u.soft;
  if (u.hard != -1 && u.soft > u.hard)
    throw Error("ulimit soft limit must be less than or equal to hard limit: " + std::to_string(u.soft) + " > " +
                std::to_string(u.hard));
  return u;
}

bool ValidDeviceMode(const std::string& m) {
  if (m.empty() || m.size() > 3) return false;
  bool seen[3] = {};
  for (char c : m) {
    int i = c == 'r' ? 0 : c == 'w' ? 1 : c == 'm' ? 2 : -1;
    if (i < 0 || seen[i]) return false;
    seen[i] = true;
  }
  return true;
}

/// Docker's validateLinuxPath for --device, then the daemon's defaults.
DeviceMapping ParseDevice(const std::string& val) {
  size_t colons = 0;
  for (char c : val) colons += c == ':';
  if (colons > 2) throw Error("bad format for path: " + val);
  std::vector<std::string> f;
  for (size_t a = 0, b;; a = b + 1) {
    b = val.find(':', a);
    f.push_back(val.substr(a, b == std::string::npos ? std::string::npos : b - a));
    if (b == std::string::npos) break;
  }
  if (f[0].empty()) throw Error("bad format for path: " + val);
  DeviceMapping d;
  d.host = f[0];
  d.container = f[0];
  if (f.size() == 2) {
    if (ValidDeviceMode(f[1])) d.perms = f[1];
    else d.container = f[1];
  } else if (f.size() == 3) {
    d.container = f[1];
    if (!ValidDeviceMode(f[2])) throw Error("bad mode specified: " + f[2]);
    d.perms = f[2];
  }
  if (d.container.empty() || d.container[0] != '/') throw Error(d.container + " is not an absolute path");
  return d;
}

/// opts.ValidateSysctl: Docker's namespaced sysctls.
void CheckSysctl(const std::string& val) {
  static const char* const kExact[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                       "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  size_t eq = val.find('=');
  if (eq != std::string::npos) {
    std::string key = val.substr(0, eq);
    for (const char* k : kExact)
      if (key == k) return;
    if (key.rfind("net.", 0) == 0 || key.rfind("fs.mqueue.", 0) == 0) return;
  }
  throw Error("sysctl '" + val + "' is not whitelisted");
}

/// libnetwork's domain rule for --dns-search.
bool ValidDomain(const std::string& d) {
  if (d.empty() || d.size() > 255) return false;
  std::string s = d.back() == '.' ? d.substr(0, d.size() - 1) : d;
  size_t a = 0;
  while (a <= s.size()) {
    size_t b = s.find('.', a);
    if (b == std::string::npos) b = s.size();
    std::string label = s.substr(a, b - a);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    a = b + 1;
  }
  return true;
}

NamespaceMode ParseMode(const std::string& v, bool ipc) {
  NamespaceMode m;
  using K = NamespaceMode::Kind;
  if (v.empty()) return m;
  if (v == "host") m.kind = K::kHost;
  else if (ipc && v == "private") m.kind = K::kPrivate;
  else if (ipc && v == "shareable") m.kind = K::kShareable;
  else if (ipc && v == "none") m.kind = K::kNone;
  else if (v.rfind("container:", 0) == 0 && v.size() > 10) {
    m.kind = K::kContainer;
    m.container = v.substr(10);
  } else {
    throw Invalid(ipc ? "--ipc: invalid IPC mode" : "--pid: invalid PID mode");
  }
  return m;
}

}  // namespace

int UlimitResource(const std::string& n) {
  static const std::pair<const char*, int> kNames[] = {
      {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},          {"data", RLIMIT_DATA},
      {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},      {"memlock", RLIMIT_MEMLOCK},
      {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},      {"nofile", RLIMIT_NOFILE},
      {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},          {"rtprio", RLIMIT_RTPRIO},
      {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING}, {"stack", RLIMIT_STACK}};
  for (const auto& [name, r] : kNames)
    if (n == name) return r;
  return -1;
}

std::optional<std::string> NetworkContainer(const std::string& network) {
  if (network.rfind("container:", 0) != 0) return std::nullopt;
  return network.substr(10);
}

View ParseView(const RunSpec& spec) {
  const ViewSpec& s = spec.view;
  View v;
  for (const auto& h : s.add_hosts) {
    size_t c = h.find(':');
    if (c == std::string::npos || c == 0) throw BadFlag(h, "--add-host", "bad format for add-host: \"" + h + "\"");
    ExtraHost e{h.substr(0, c), h.substr(c + 1)};
    if (e.ip != "host-gateway" && !IsIp(e.ip))
      throw BadFlag(h, "--add-host", "invalid IP address in add-host: \"" + e.ip + "\"");
    v.extra_hosts.push_back(e);
  }
  for (const auto& d : s.dns)
    if (!IsIp(d)) throw BadFlag(d, "--dns", d + " is not an ip address");
  for (const auto& d : s.dns_search)
    if (d != "." && !ValidDomain(d)) throw BadFlag(d, "--dns-search", d + " is not a valid domain");
  for (const auto& u : s.ulimits) {
    try {
      Ulimit parsed = ParseUlimit(u);
      for (auto& old : v.ulimits)  // the last one of a name wins
        if (old.name == parsed.name) old = parsed;
      bool had = false;
      for (const auto& old : v.ulimits) had = had || old.name == parsed.name;
      if (!had) v.ulimits.push_back(parsed);
    } catch (const Error& e) {
      throw BadFlag(u, "--ulimit", e.what());
    }
  }
  if (!s.shm_size.empty()) {
    try {
      v.shm_size = ParseSize(s.shm_size);
    } catch (const Error& e) {
      throw BadFlag(s.shm_size, "--shm-size", e.what());
    }
    if (v.shm_size < 0) throw Invalid("SHM size can not be less than 0");
    if (v.shm_size == 0) v.shm_size = kDefaultShmSize;
  }
  for (const auto& d : s.devices) {
    try {
      v.devices.push_back(ParseDevice(d));
    } catch (const Error& e) {
      throw BadFlag(d, "--device", e.what());
    }
  }
  for (const auto& kv : s.sysctls) {
    try {
      CheckSysctl(kv);
    } catch (const Error& e) {
      throw BadFlag(kv, "--sysctl", e.what());
    }
    size_t eq = kv.find('=');
    std::string key = kv.substr(0, eq);
    if (key.rfind("net.", 0) == 0 && spec.network == "host")
      throw Invalid("sysctl \"" + key + "\" is not allowed in the hosts network namespace");
    // runc's rule: an ipc sysctl of the host's ipc namespace would change the host.
    if (key.rfind("net.", 0) != 0 && s.ipc_mode == "host")
      throw Invalid("sysctl \"" + key + "\" is not allowed in the hosts ipc namespace");
    v.sysctls.emplace_back(key, kv.substr(eq + 1));
  }
  for (const auto& l : s.labels) {
    size_t eq = l.find('=');
    std::string key = l.substr(0, eq);
    size_t k = key.find_first_not_of(" \t\n\r\v\f");
    key = k == std::string::npos ? "" : key.substr(k);
    if (key.empty()) throw BadFlag(l, "--label", "invalid label '" + l + "': empty name");
    if (key.find_first_of(" \t\n\r\v\f") != std::string::npos)
      throw BadFlag(l, "--label", "label '" + key + "' contains whitespaces");
    v.labels[key] = eq == std::string::npos ? "" : l.substr(eq + 1);
  }
  v.pid = ParseMode(s.pid_mode, false);
  v.ipc = ParseMode(s.ipc_mode, true);
  if (spec.network.rfind("container:", 0) == 0 || spec.network == "container") {
    v.net_container = *NetworkContainer(spec.network + (spec.network == "container" ? ":" : ""));
    if (v.net_container->empty())
      throw Invalid("Invalid network mode: invalid container format container:<name|id>");
    if (!spec.hostname.empty()) throw Invalid("conflicting options: hostname and the network mode");
    if (!s.dns.empty()) throw Invalid("conflicting options: dns and the network mode");
    if (!s.add_hosts.empty()) throw Invalid("conflicting options: custom host-to-IP mapping and the network mode");
    if (!spec.ports.empty() || spec.publish_all)
      throw Invalid("conflicting options: port publishing and the container type network mode");
  }
  return v;
}

std::string BuildResolvConf(const std::string& host, const std::vector<std::string>& dns,
                            const std::vector<std::string>& search, const std::vector<std::string>& options) {
  std::vector<std::string> ns, hs, ho;
  for (size_t i = 0; i < host.size();) {
    size_t j = host.find('\n', i);
    if (j == std::string::npos) j = host.size();
    std::string line = host.substr(i, j - i);
    i = j + 1;
    std::vector<std::string> w;
    for (size_t a = 0; a < line.size();) {
      size_t b = line.find_first_of(" \t", a);
      if (b == std::string::npos) b = line.size();
      if (b > a) w.push_back(line.substr(a, b - a));
      a = b + 1;
    }
    if (w.empty() || w[0][0] == '#' || w[0][0] == ';') continue;
    std::vector<std::string> rest(w.begin() + 1, w.end());
    if (w[0] == "nameserver" && !rest.empty()) ns.push_back(rest[0]);
    else if (w[0] == "search") hs = rest;
    else if (w[0] == "options") ho = rest;
  }
  const auto& use_ns = dns.empty() ? ns : dns;
  const auto& use_search = search.empty() ? hs : search;
  const auto& use_opts = options.empty() ? ho : options;
  auto join = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : " ") + x;
    return out;
  };
  std::string out;
  std::string sj = join(use_search);
  if (!use_search.empty() && sj != ".") out += "search " + sj + "\n";
  for (const auto& n : use_ns) out += "nameserver " + n + "\n";
  if (!use_opts.empty()) out += "options " + join(use_opts) + "\n";
  return out;
}

std::string ExtraHostsLines(const std::vector<ExtraHost>& hosts, const std::string& gateway) {
  std::string out;
  for (const auto& h : hosts) out += (h.ip == "host-gateway" ? gateway : h.ip) + "\t" + h.name + "\n";
  return out;
}

std::vector<uint32_t> ResolveGroupAdd(const std::vector<std::string>& groups,
                                      const std::optional<std::string>& group_file) {
  std::vector<uint32_t> out;
  for (const auto& g : groups) {
    if (!g.empty() && g.find_first_not_of("0123456789") == std::string::npos) {
      out.push_back(static_cast<uint32_t>(std::strtoul(g.c_str(), nullptr, 10)));
      continue;
    }
    bool found = false;
    const std::string& f = group_file ? *group_file : std::string();
    for (size_t i = 0; i < f.size() && !found;) {
      size_t j = f.find('\n', i);
      if (j == std::string::npos) j = f.size();
      std::string line = f.substr(i, j - i);
      i = j + 1;
      size_t c1 = line.find(':');
      if (c1 == std::string::npos || line.substr(0, c1) != g) continue;
      size_t c2 = line.find(':', c1 + 1);
      if (c2 == std::string::npos) continue;
      size_t c3 = line.find(':', c2 + 1);
      std::string id = line.substr(c2 + 1, c3 == std::string::npos ? std::string::npos : c3 - c2 - 1);
      if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) continue;
      out.push_back(static_cast<uint32_t>(std::strtoul(id.c_str(), nullptr, 10)));
      found = true;
    }
    if (!found) throw Error("Unable to find group " + g);
  }
  return out;
}

}  // namespace mini::run
