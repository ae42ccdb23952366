#include "run/rootfs/mount_plan.h"

#include <cctype>
#include <cmath>

#include "common/error.h"
#include "common/path.h"
#include "run/rootfs/mount_propagation.h"
#include "run/process_spec.h"

namespace mini::run {

std::string OverlayPlan::Options() const {
  std::string o = "lowerdir=";
  for (size_t i = 0; i < lowers.size(); i++) o += (i ? ":" : "") + lowers[i];
  o += ",upperdir=" + upper + ",workdir=" + work;
  if (volatile_upper) o += ",volatile";
  return o;
}

OverlayPlan MakeOverlayPlan(const std::string& cid, const std::vector<std::string>& image_lowers,
                            size_t page_size) {
  return MakeOverlayPlanAt(cid + "-init/diff", cid + "/diff", cid + "/work", cid + "/merged", image_lowers,
                           page_size);
}

OverlayPlan MakeOverlayPlanAt(const std::string& init, const std::string& upper, const std::string& work,
                              const std::string& merged, const std::vector<std::string>& image_lowers,
                              size_t page_size) {
  if (image_lowers.empty()) throw Error("image has no layers");
  OverlayPlan p;
  p.lowers.push_back(init);
  p.lowers.insert(p.lowers.end(), image_lowers.begin(), image_lowers.end());
  p.upper = upper;
  p.work = work;
  p.merged = merged;
  if (p.Options().size() + 1 > page_size)
    throw Error("too many layers to mount (" + std::to_string(image_lowers.size()) +
                "): overlay options exceed one page");
  return p;
}

namespace {

bool ValidVolumeName(const std::string& n) {
  if (n.empty() || !std::isalnum(static_cast<unsigned char>(n[0]))) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

}  // namespace

MountRequest ParseVolumeSpec(const std::string& s) {
  std::vector<std::string> parts;
  size_t i = 0;
  for (;;) {
    size_t j = s.find(':', i);
    parts.push_back(s.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  // "/path" or "/path:ro": an anonymous volume (Docker's -v with one path and an optional mode).
  bool anonymous = !parts[0].empty() && parts[0][0] == '/' &&
                   (parts.size() == 1 || (parts.size() == 2 && (parts[1] == "ro" || parts[1] == "rw")));
  if (anonymous) parts.insert(parts.begin(), "");
  if (parts.size() < 2 || parts.size() > 3)
    throw Error(ErrorKind::kInvalidInput, "invalid volume specification: '" + s + "'");
  MountRequest m;
  m.source = parts[0];
  if (parts[1].empty() || parts[1][0] != '/')
    throw Error(ErrorKind::kInvalidInput, "invalid volume specification: '" + s + "': destination must be an absolute path");
  m.target = CleanAbsPath(parts[1]);
  if (m.target == "/") throw Error(ErrorKind::kInvalidInput, "invalid volume specification: '" + s + "': destination can't be '/'");
  if (parts.size() == 3) {
    for (size_t a = 0, b; a <= parts[2].size(); a = b + 1) {
      b = parts[2].find(',', a);
      if (b == std::string::npos) b = parts[2].size();
      std::string opt = parts[2].substr(a, b - a);
      if (opt == "ro") m.read_only = true;
      else if (opt == "rw") m.read_only = false;
      else if (opt == "private" || opt == "rprivate" || opt == "shared" || opt == "rshared" || opt == "slave" ||
               opt == "rslave")
        m.propagation = opt;
      else if (opt == "nocopy") m.no_copy = true;
      else if (opt == "z" || opt == "Z") continue;  // SELinux relabelling: no SELinux here
      else throw Error(ErrorKind::kInvalidInput, "invalid mode: " + opt);
    }
  }
  if (!m.propagation.empty() && (anonymous || m.source[0] != '/'))
    throw Error(ErrorKind::kInvalidInput, "invalid volume specification: '" + s + "': propagation mode is only for bind mounts");
  if (anonymous) {
    m.kind = MountRequest::Kind::kVolume;  // named at create time (run/anonymous_volumes.h)
  } else if (!m.source.empty() && m.source[0] == '/') {
    m.kind = MountRequest::Kind::kBind;
    m.source = CleanAbsPath(m.source);
    m.create_source = true;
  } else if (ValidVolumeName(m.source)) {
    m.kind = MountRequest::Kind::kVolume;
  } else {
    throw Error(ErrorKind::kInvalidInput, "invalid volume specification: '" + s + "': \"" + m.source +
                "\" includes invalid characters for a local volume name");
  }
  return m;
}

MountRequest ParseMountFlag(const std::string& s) {
  auto bad = [&](const std::string& why) {
    return Error(ErrorKind::kInvalidInput, "invalid argument \"" + s + "\" for \"--mount\" flag: " + why);
  };
  MountRequest m;
  std::string type = "volume", tmpfs_opts;
  bool have_target = false;
  auto boolean = [&](const std::string& k, const std::string& v, bool bare) {
    if (bare || v == "true" || v == "1") return true;
    if (v == "false" || v == "0") return false;
    throw bad("invalid value for " + k + ": " + v);
  };
  // Docker reads the value as one CSV record: a field in double quotes may hold commas
  // ("volume-opt=o=size=64m,uid=1000"), and "" in it is one quote.
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < s.size(); i++) {
    char c = s[i];
    if (c == '"' && quoted && i + 1 < s.size() && s[i + 1] == '"') {
      fields.back() += '"';
      i++;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (quoted) throw bad("unterminated quote");
  for (const std::string& field : fields) {
    size_t eq = field.find('=');
    std::string k = field.substr(0, eq), v = eq == std::string::npos ? "" : field.substr(eq + 1);
    bool bare = eq == std::string::npos;
    if (k == "type") {
      type = v;
    } else if (k == "source" || k == "src") {
      m.source = v;
    } else if (k == "destination" || k == "dst" || k == "target") {
      if (v.empty() || v[0] != '/') throw bad("destination must be an absolute path");
      m.target = CleanAbsPath(v);
      have_target = true;
    } else if (k == "readonly" || k == "ro") {
      m.read_only = boolean(k, v, bare);
    } else if (k == "bind-propagation") {
      try {
        CheckPropagationName(v);
      } catch (const Error&) {
        throw bad("invalid propagation mode: " + v);
      }
      m.propagation = v;
    } else if (k == "volume-nocopy") {
      m.no_copy = boolean(k, v, bare);
    } else if (k == "tmpfs-size") {
      tmpfs_opts += (tmpfs_opts.empty() ? "" : ",") + std::string("size=") + std::to_string(ParseSize(v));
    } else if (k == "tmpfs-mode") {
      if (v.empty() || v.find_first_not_of("01234567") != std::string::npos) throw bad("invalid tmpfs-mode " + v);
      tmpfs_opts += (tmpfs_opts.empty() ? "" : ",") + std::string("mode=") + v;
    } else if (k == "volume-opt" || k == "volume-label") {
      size_t e2 = v.find('=');
      if (v.empty() || e2 == 0) throw bad("invalid " + k + " " + v);
      auto& map = k == "volume-opt" ? m.volume_options : m.volume_labels;
      map[v.substr(0, e2)] = e2 == std::string::npos ? "" : v.substr(e2 + 1);
    } else if (k == "volume-driver") {
      if (v != "local") throw bad("volume driver \"" + v + "\" is not supported (only local)");
    } else if (k == "bind-nonrecursive") {
      m.non_recursive = boolean(k, v, bare);
    } else {
      throw bad("unexpected key '" + k + "' in '" + field + "'");
    }
  }
  if (!have_target) throw bad("target is required");
  if (m.target == "/") throw bad("destination can't be '/'");
  if ((!m.volume_options.empty() || !m.volume_labels.empty()) && type != "volume")
    throw bad("cannot mix 'volume-*' options with mount type \"" + type + "\"");
  if (m.non_recursive && type != "bind") throw bad("cannot mix 'bind-nonrecursive' with mount type \"" + type + "\"");
  if (!m.propagation.empty() && type != "bind") throw bad("cannot mix 'bind-propagation' with mount type \"" + type + "\"");
  if (type == "bind") {
    if (m.source.empty() || m.source[0] != '/') throw bad("invalid mount config for type \"bind\": field Source must not be empty (and absolute)");
    m.kind = MountRequest::Kind::kBind;
    m.source = CleanAbsPath(m.source);
  } else if (type == "volume") {
    // No source: an anonymous volume, named at create time (run/anonymous_volumes.h).
    if (!m.source.empty() && !ValidVolumeName(m.source)) throw bad("\"" + m.source + "\" includes invalid characters for a local volume name");
    m.kind = MountRequest::Kind::kVolume;
  } else if (type == "tmpfs") {
    if (!m.source.empty()) throw bad("invalid mount config for type \"tmpfs\": field Source must not be specified");
    m.kind = MountRequest::Kind::kTmpfs;
    m.options = tmpfs_opts;
  } else {
    throw bad("invalid mount type \"" + type + "\" (bind, volume or tmpfs)");
  }
  if (type != "tmpfs" && !tmpfs_opts.empty()) throw bad("tmpfs options need type=tmpfs");
  return m;
}

MountRequest ParseTmpfsSpec(const std::string& s) {
  MountRequest m;
  m.kind = MountRequest::Kind::kTmpfs;
  size_t c = s.find(':');
  std::string path = s.substr(0, c);
  if (path.empty() || path[0] != '/') throw Error(ErrorKind::kInvalidInput, "invalid tmpfs path: '" + s + "': must be absolute");
  m.target = CleanAbsPath(path);
  if (m.target == "/") throw Error(ErrorKind::kInvalidInput, "invalid tmpfs path: '" + s + "'");
  m.options = c == std::string::npos ? "" : s.substr(c + 1);
  for (size_t a = 0, b; a <= m.options.size(); a = b + 1) {
    b = m.options.find(',', a);
    if (b == std::string::npos) b = m.options.size();
    if (m.options.compare(a, b - a, "ro") == 0) m.read_only = true;
  }
  return m;
}

int64_t ParseSize(const std::string& in) {
  if (in.empty()) throw Error(ErrorKind::kInvalidInput, "invalid size: ''");
  size_t n = 0;
  while (n < in.size() && (std::isdigit(static_cast<unsigned char>(in[n])) || in[n] == '.')) n++;
  if (n == 0) throw Error(ErrorKind::kInvalidInput, "invalid size: '" + in + "'");
  double v;
  try {
    v = std::stod(in.substr(0, n));
  } catch (...) {
    throw Error(ErrorKind::kInvalidInput, "invalid size: '" + in + "'");
  }
  std::string unit;
  for (char c : in.substr(n)) unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() == 2 && unit[1] == 'b') unit.pop_back();  // "mb" == "m"
  double mult = 1;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k") mult = 1024.0;
  else if (unit == "m") mult = 1024.0 * 1024;
  else if (unit == "g") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t") mult = 1024.0 * 1024 * 1024 * 1024;
  else throw Error(ErrorKind::kInvalidInput, "invalid size: '" + in + "'");
  double r = std::floor(v * mult);
  if (!(r >= 0) || r > 9.2e18) throw Error(ErrorKind::kInvalidInput, "invalid size: '" + in + "'");
  return static_cast<int64_t>(r);
}

int64_t ParseMemorySwap(const std::string& s) { return s == "-1" ? -1 : ParseSize(s); }

const std::vector<std::string>& MaskedPaths() {
  static const std::vector<std::string> k = {
      "/proc/asound",        "/proc/acpi",          "/proc/interrupts", "/proc/kcore",
      "/proc/keys",          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
      "/proc/sched_debug",   "/proc/scsi",          "/sys/firmware",    "/sys/devices/virtual/powercap"};
  return k;
}

const std::vector<std::string>& ReadOnlyPaths() {
  static const std::vector<std::string> k = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                             "/proc/sysrq-trigger"};
  return k;
}

}  // namespace mini::run
