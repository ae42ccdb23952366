#pragma once
/// `mini stats`: a running container's resource use from its cgroup (v1 or v2) and its network
/// namespace's interface counters, shaped like Docker's stats columns. The parsers of the cgroup
/// and /proc files are pure (unit-tested); ReadContainerStats does the reading.
#include <cstdint>
#include <string>

#include "run/container.h"

namespace mini::run {

struct StatsSample {
  uint64_t cpu_ns = 0;     ///< the container's cpu time (v1 cpuacct.usage, v2 cpu.stat usage_usec)
  uint64_t system_ns = 0;  ///< the host's cpu time (/proc/stat "cpu" line), Docker's system_cpu_usage
  uint32_t online_cpus = 0;
  uint64_t mem_usage = 0;  ///< without the page cache's inactive files, as Docker shows it
  uint64_t mem_limit = 0;  ///< the limit, or the host's memory when there is none
  uint64_t net_rx = 0, net_tx = 0;
  uint64_t blk_read = 0, blk_write = 0;
  uint64_t pids = 0;
};

/// The value of `key` in "key value" lines (memory.stat, cpu.stat, memory.events); 0 if absent.
uint64_t KeyedValue(const std::string& text, const std::string& key);
/// /proc/<pid>/net/dev: received and transmitted bytes summed over every interface but lo.
void ParseNetDev(const std::string& text, uint64_t* rx, uint64_t* tx);
/// v1 blkio.throttle.io_service_bytes ("8:0 Read 4096" lines): Read and Write summed over devices.
void ParseBlkioV1(const std::string& text, uint64_t* read, uint64_t* write);
/// v2 io.stat ("8:0 rbytes=4096 wbytes=0 ..." lines): rbytes and wbytes summed.
void ParseIoStatV2(const std::string& text, uint64_t* read, uint64_t* write);
/// /proc/stat's first line as nanoseconds: user+nice+system+idle+iowait+irq+softirq ticks
/// (Docker's getSystemCPUUsage) times 1e9 / `clock_ticks`.
uint64_t ParseProcStatSystemNs(const std::string& text, long clock_ticks);
/// Memory in use as Docker computes it: v1 usage_in_bytes - total_inactive_file, v2
/// memory.current - inactive_file (never below 0). `stat` is memory.stat's text.
uint64_t MemUsageV1(uint64_t usage_in_bytes, const std::string& stat);
uint64_t MemUsageV2(uint64_t current, const std::string& stat);
/// Docker's CPU %: (cpu delta / system delta) x online cpus x 100; 0 when either delta is 0.
double CpuPercent(const StatsSample& prev, const StatsSample& cur);
/// go-units BytesSize ("%.4g" of binary units): "0B", "1.5KiB", "64MiB", "1.953GiB".
std::string BinarySize(double bytes);

/// Reads the current sample of a running container (`st`: its state, with cgroup_paths and
/// pid); `host_network`: its net counters are the host's, shown as 0 as Docker does. Files that
/// are missing count as 0. Throws Error when the container's cgroup cannot be found.
StatsSample ReadContainerStats(const ContainerState& st, bool host_network);

}  // namespace mini::run
