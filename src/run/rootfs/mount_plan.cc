#include "run/rootfs/mount_plan.h"

#include <cctype>
#include <cmath>

#include "common/error.h"
#include "common/path.h"
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
      else throw Error(ErrorKind::kInvalidInput, "invalid mode: " + opt);
    }
  }
  if (!m.source.empty() && m.source[0] == '/') {
    m.kind = MountRequest::Kind::kBind;
    m.source = CleanAbsPath(m.source);
  } else if (ValidVolumeName(m.source)) {
    m.kind = MountRequest::Kind::kVolume;
  } else {
    throw Error(ErrorKind::kInvalidInput, "invalid volume specification: '" + s + "': \"" + m.source +
                "\" includes invalid characters for a local volume name");
  }
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
