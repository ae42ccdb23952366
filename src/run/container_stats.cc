// `mini stats`: cgroup and /proc readers, and Docker's arithmetic on them.
#include "run/container_stats.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/error.h"
#include "common/fs.h"
#include "run/cgroup/cgroup.h"

namespace mini::run {

uint64_t KeyedValue(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string k;
  uint64_t v;
  while (in >> k) {
    if (!(in >> v)) {
      in.clear();
      in.ignore(1 << 20, '\n');
      continue;
    }
    if (k == key) return v;
  }
  return 0;
}

void ParseNetDev(const std::string& text, uint64_t* rx, uint64_t* tx) {
  *rx = *tx = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;  // the two header lines
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::istringstream f(line.substr(colon + 1));
    uint64_t v[9] = {};
    for (auto& x : v) f >> x;
    *rx += v[0];
    *tx += v[8];
  }
}

void ParseBlkioV1(const std::string& text, uint64_t* read, uint64_t* write) {
  *read = *write = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string dev, op;
    uint64_t v = 0;
    if (!(f >> dev >> op >> v)) continue;
    if (op == "Read") *read += v;
    if (op == "Write") *write += v;
  }
}

void ParseIoStatV2(const std::string& text, uint64_t* read, uint64_t* write) {
  *read = *write = 0;
  std::istringstream in(text);
  std::string tok;
  while (in >> tok) {
    if (tok.rfind("rbytes=", 0) == 0) *read += std::strtoull(tok.c_str() + 7, nullptr, 10);
    if (tok.rfind("wbytes=", 0) == 0) *write += std::strtoull(tok.c_str() + 7, nullptr, 10);
  }
}

uint64_t ParseProcStatSystemNs(const std::string& text, long clock_ticks) {
  std::istringstream in(text);
  std::string label;
  if (!(in >> label) || label != "cpu" || clock_ticks <= 0) return 0;
  uint64_t total = 0, v;
  for (int i = 0; i < 7 && in >> v; ++i) total += v;
  return total * (1000000000ull / static_cast<uint64_t>(clock_ticks));
}

uint64_t MemUsageV1(uint64_t usage, const std::string& stat) {
  uint64_t inactive = KeyedValue(stat, "total_inactive_file");
  return inactive < usage ? usage - inactive : 0;
}

uint64_t MemUsageV2(uint64_t current, const std::string& stat) {
  uint64_t inactive = KeyedValue(stat, "inactive_file");
  return inactive < current ? current - inactive : 0;
}

double CpuPercent(const StatsSample& prev, const StatsSample& cur) {
  if (cur.cpu_ns <= prev.cpu_ns || cur.system_ns <= prev.system_ns) return 0;
  double cpu = static_cast<double>(cur.cpu_ns - prev.cpu_ns);
  double sys = static_cast<double>(cur.system_ns - prev.system_ns);
  return cpu / sys * (cur.online_cpus ? cur.online_cpus : 1) * 100.0;
}

std::string BinarySize(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"};
  size_t i = 0;
  while (bytes >= 1024 && i + 1 < sizeof kUnits / sizeof *kUnits) {
    bytes /= 1024;
    ++i;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "%.4g%s", bytes, kUnits[i]);
  return buf;
}

namespace {

uint64_t FileNumber(const std::string& path) {
  auto s = ReadFileIfExists(path, 1 << 16);
  return s ? std::strtoull(s->c_str(), nullptr, 10) : 0;
}

uint64_t HostMemory() {
  return KeyedValue(ReadFileIfExists("/proc/meminfo", 1 << 16).value_or(""), "MemTotal:") * 1024;
}

}  // namespace

StatsSample ReadContainerStats(const ContainerState& st, bool host_network) {
  if (st.cgroup_paths.empty()) throw Error("the container has no cgroup");
  StatsSample s;
  s.system_ns = ParseProcStatSystemNs(ReadFileIfExists("/proc/stat", 1 << 20).value_or(""), sysconf(_SC_CLK_TCK));
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  s.online_cpus = cpus > 0 ? static_cast<uint32_t>(cpus) : 1;
  uint64_t host_mem = HostMemory();
  if (DetectCgroupMode() == CgroupMode::kV2) {
    const std::string& d = st.cgroup_paths.front();
    s.cpu_ns = KeyedValue(ReadFileIfExists(d + "/cpu.stat").value_or(""), "usage_usec") * 1000;
    s.mem_usage = MemUsageV2(FileNumber(d + "/memory.current"), ReadFileIfExists(d + "/memory.stat").value_or(""));
    auto max = ReadFileIfExists(d + "/memory.max");
    s.mem_limit = max && max->rfind("max", 0) != 0 ? std::strtoull(max->c_str(), nullptr, 10) : 0;
    ParseIoStatV2(ReadFileIfExists(d + "/io.stat").value_or(""), &s.blk_read, &s.blk_write);
    s.pids = FileNumber(d + "/pids.current");
  } else {
    std::string acct = CgroupV1DirFor(st.cgroup_paths, "cpuacct");
    if (acct.empty()) acct = CgroupV1DirFor(st.cgroup_paths, "cpu");
    std::string mem = CgroupV1DirFor(st.cgroup_paths, "memory");
    std::string blk = CgroupV1DirFor(st.cgroup_paths, "blkio");
    std::string pids = CgroupV1DirFor(st.cgroup_paths, "pids");
    if (!acct.empty()) s.cpu_ns = FileNumber(acct + "/cpuacct.usage");
    if (!mem.empty()) {
      s.mem_usage = MemUsageV1(FileNumber(mem + "/memory.usage_in_bytes"), ReadFileIfExists(mem + "/memory.stat").value_or(""));
      s.mem_limit = FileNumber(mem + "/memory.limit_in_bytes");
    }
    if (!blk.empty()) {
      auto text = ReadFileIfExists(blk + "/blkio.throttle.io_service_bytes_recursive");
      if (!text) text = ReadFileIfExists(blk + "/blkio.throttle.io_service_bytes");
      ParseBlkioV1(text.value_or(""), &s.blk_read, &s.blk_write);
    }
    if (!pids.empty()) s.pids = FileNumber(pids + "/pids.current");
  }
  if (s.mem_limit == 0 || (host_mem && s.mem_limit > host_mem)) s.mem_limit = host_mem;  // no limit
  if (!host_network && st.pid > 0)
    ParseNetDev(ReadFileIfExists("/proc/" + std::to_string(st.pid) + "/net/dev", 1 << 20).value_or(""), &s.net_rx, &s.net_tx);
  return s;
}

}  // namespace mini::run
